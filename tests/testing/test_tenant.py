"""The Auth0 tenant emulator, exercised over real loopback HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from jose import jwk, jwt
from jose.exceptions import JWTError

from social_auth0.testing import (
    REMOVE,
    Application,
    Auth0Tenant,
    LoginError,
    TenantUser,
)
from social_auth0.testing.defaults import (
    CALLBACK_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    ROLES_CLAIM,
)

TIMEOUT = 10
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


# -- helpers ------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def exchange(tenant: Auth0Tenant, callback_url: str, **form: str) -> requests.Response:
    """POST the callback's code to /oauth/token with client_secret_post."""
    data = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": query_of(callback_url)["code"],
        "redirect_uri": CALLBACK_URL,
        **form,
    }
    return requests.post(f"{tenant.base_url}/oauth/token", data=data, timeout=TIMEOUT)


def verify(tenant: Auth0Tenant, token: str, **options: Any) -> dict[str, Any]:
    """Verify ``token`` with the key the JWKS endpoint publishes for its kid."""
    keys = requests.get(tenant.jwks_url, timeout=TIMEOUT).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwk.construct(next(k for k in keys if k["kid"] == kid), algorithm="RS256")
    return jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=options.pop("audience", CLIENT_ID),
        issuer=tenant.issuer,
        options={"verify_at_hash": False, **options},
    )


def login_and_exchange(
    tenant: Auth0Tenant, **params: str
) -> tuple[requests.Response, dict[str, str]]:
    verifier, challenge = pkce_pair()
    url = tenant.authorize_url(
        state="st-1",
        nonce="n-1",
        code_challenge=challenge,
        code_challenge_method="S256",
        **params,
    )
    callback = tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD)
    return exchange(tenant, callback, code_verifier=verifier), query_of(callback)


def get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=TIMEOUT, **kwargs)


class FakeClock:
    def __init__(self, now: float = 1_750_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Receiver(ThreadingHTTPServer):
    """A tiny loopback back-channel logout endpoint that records POST bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/backchannel-logout/"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        self.server.bodies.append(dict(parse_qsl(self.rfile.read(length).decode())))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- discovery and keys -------------------------------------------------------


def test_discovery_document_points_at_the_tenant(auth0_tenant: Auth0Tenant) -> None:
    document = get(f"{auth0_tenant.base_url}/.well-known/openid-configuration").json()

    base = auth0_tenant.base_url
    assert document["issuer"] == base + "/" == auth0_tenant.issuer
    assert document["authorization_endpoint"] == f"{base}/authorize"
    assert document["token_endpoint"] == f"{base}/oauth/token"
    assert document["userinfo_endpoint"] == f"{base}/userinfo"
    assert document["jwks_uri"] == auth0_tenant.jwks_url
    assert document["end_session_endpoint"] == f"{base}/oidc/logout"
    assert document["id_token_signing_alg_values_supported"] == [
        "HS256",
        "RS256",
        "PS256",
    ]
    assert document["code_challenge_methods_supported"] == ["S256", "plain"]
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
    assert auth0_tenant.domain == base and not base.endswith("/")


def test_jwks_key_verifies_a_token_the_tenant_signs(auth0_tenant: Auth0Tenant) -> None:
    jwks = get(auth0_tenant.jwks_url).json()
    key = jwks["keys"][0]
    token = auth0_tenant.sign(
        {"iss": auth0_tenant.issuer, "aud": CLIENT_ID, "sub": "x"}
    )

    claims = jwt.decode(
        token,
        jwk.construct(key, algorithm="RS256"),
        algorithms=["RS256"],
        audience=CLIENT_ID,
    )

    assert claims["sub"] == "x"
    assert {"kty", "use", "alg", "n", "e", "kid", "x5t", "x5c"} <= set(key)
    assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")
    assert (
        key["kid"]
        == auth0_tenant.signing_kid
        == jwt.get_unverified_header(token)["kid"]
    )


def test_rotate_keys_keeps_the_old_key_published(auth0_tenant: Auth0Tenant) -> None:
    old_kid = auth0_tenant.signing_kid
    old_token = auth0_tenant.id_token_for(DEMO_EMAIL)

    new_kid = auth0_tenant.rotate_keys()
    new_token = auth0_tenant.id_token_for(DEMO_EMAIL)

    published = [key["kid"] for key in get(auth0_tenant.jwks_url).json()["keys"]]
    assert published == [new_kid, old_kid]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert (
        verify(auth0_tenant, old_token)["sub"] == verify(auth0_tenant, new_token)["sub"]
    )

    auth0_tenant.revoke_key(old_kid)
    assert [key["kid"] for key in auth0_tenant.jwks["keys"]] == [new_kid]
    with pytest.raises(ValueError):
        auth0_tenant.revoke_key(new_kid)


def test_sign_with_hs256_uses_the_client_secret_and_none_is_unsigned(
    auth0_tenant: Auth0Tenant,
) -> None:
    hs256 = auth0_tenant.sign({"aud": CLIENT_ID}, alg="HS256")
    unsigned = auth0_tenant.sign({"aud": CLIENT_ID}, alg="none")

    assert jwt.decode(hs256, CLIENT_SECRET, algorithms=["HS256"], audience=CLIENT_ID)
    assert jwt.get_unverified_header(hs256) == {"alg": "HS256", "typ": "JWT"}
    assert unsigned.endswith(".")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"


# -- the code flow ------------------------------------------------------------


def test_login_and_pkce_exchange_issue_auth0_shaped_tokens(
    auth0_tenant: Auth0Tenant,
) -> None:
    response, callback = login_and_exchange(auth0_tenant)

    assert response.status_code == 200
    body = response.json()
    assert callback["state"] == "st-1"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["scope"] == "openid profile email"
    assert "refresh_token" not in body
    claims = verify(auth0_tenant, body["id_token"])
    assert claims["nonce"] == "n-1"
    assert claims["exp"] == claims["iat"] + 36000
    assert claims["auth_time"] <= claims["iat"]
    assert claims[ROLES_CLAIM] == ["admin"]
    assert auth0_tenant.sessions == {claims["sid"]: DEMO_EMAIL}
    header = jwt.get_unverified_header(body["id_token"])
    assert header == {"alg": "RS256", "typ": "JWT", "kid": auth0_tenant.signing_kid}


def test_basic_client_authentication_works(auth0_tenant: Auth0Tenant) -> None:
    url = auth0_tenant.authorize_url(state="s")
    callback = auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD)

    response = requests.post(
        f"{auth0_tenant.base_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(callback)["code"],
            "redirect_uri": CALLBACK_URL,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert verify(auth0_tenant, response.json()["id_token"])["sub"].startswith("auth0|")


def test_rejects_wrong_code_verifier(auth0_tenant: Auth0Tenant) -> None:
    _, challenge = pkce_pair()
    url = auth0_tenant.authorize_url(
        code_challenge=challenge, code_challenge_method="S256"
    )
    callback = auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD)

    wrong = exchange(auth0_tenant, callback, code_verifier="not-the-verifier")
    missing = exchange(auth0_tenant, callback)

    for response in (wrong, missing):
        assert response.status_code == 403
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "Failed to verify code verifier",
        }


def test_rejects_code_reuse(auth0_tenant: Auth0Tenant) -> None:
    callback = auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)

    assert exchange(auth0_tenant, callback).status_code == 200
    second = exchange(auth0_tenant, callback)

    assert second.status_code == 403
    assert second.json()["error"] == "invalid_grant"


def test_rejects_wrong_client_secret_with_access_denied(
    auth0_tenant: Auth0Tenant,
) -> None:
    callback = auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)

    response = exchange(auth0_tenant, callback, client_secret="wrong")

    assert response.status_code == 401
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Unauthorized",
    }


def test_rejects_expired_code() -> None:
    clock = FakeClock()
    user = TenantUser(DEMO_EMAIL, DEMO_PASSWORD)
    with Auth0Tenant(callback_urls=[CALLBACK_URL], users=[user], clock=clock) as tenant:
        callback = tenant.login(tenant.authorize_url(), DEMO_EMAIL)
        clock.now += 61

        response = exchange(tenant, callback)

    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"


def test_rejects_code_with_other_redirect_uri(auth0_tenant: Auth0Tenant) -> None:
    callback = auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)

    response = exchange(auth0_tenant, callback, redirect_uri="http://testserver/other/")

    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://testserver/elsewhere/",
        CALLBACK_URL + "?redirect_state=abc",  # reported to fail at Auth0 too
    ],
)
def test_rejects_callback_url_mismatch_without_redirecting(
    auth0_tenant: Auth0Tenant, redirect_uri: str
) -> None:
    response = get(auth0_tenant.authorize_url(redirect_uri=redirect_uri))

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Callback URL mismatch" in response.text


def test_rejects_unknown_client(auth0_tenant: Auth0Tenant) -> None:
    response = get(auth0_tenant.authorize_url(client_id="nobody"))

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_redirects_unsupported_response_type(auth0_tenant: Auth0Tenant) -> None:
    response = get(auth0_tenant.authorize_url(response_type="token", state="s"))

    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == {
        "error": "unsupported_response_type",
        "error_description": "Unsupported response type: token",
        "state": "s",
    }


def test_prompt_none_without_session_is_login_required(
    auth0_tenant: Auth0Tenant,
) -> None:
    response = get(auth0_tenant.authorize_url(prompt="none", state="s"))

    location = response.headers["Location"]
    assert location.startswith(CALLBACK_URL)
    assert query_of(location) == {
        "error": "login_required",
        "error_description": "Login required",
        "state": "s",
    }


def test_prompt_none_with_session_redirects_with_code(
    auth0_tenant: Auth0Tenant,
) -> None:
    auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL, DEMO_PASSWORD)

    callback = auth0_tenant.login(
        auth0_tenant.authorize_url(prompt="none", state="s2"), DEMO_EMAIL
    )

    assert query_of(callback)["state"] == "s2"
    assert exchange(auth0_tenant, callback).status_code == 200
    assert auth0_tenant.count("/u/login", method="POST") == 1


def test_prompt_none_after_session_ended_is_login_required(
    auth0_tenant: Auth0Tenant,
) -> None:
    auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)
    (sid,) = auth0_tenant.sessions
    auth0_tenant.end_session(sid)

    callback = auth0_tenant.login(auth0_tenant.authorize_url(prompt="none"), DEMO_EMAIL)

    assert query_of(callback)["error"] == "login_required"


def test_prompt_login_forces_the_page(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)

    response = requests.get(
        auth0_tenant.authorize_url(prompt="login"),
        cookies=auth0_tenant.browser.cookies,
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert 'id="login-submit"' in response.text


def test_cancel_returns_access_denied(auth0_tenant: Auth0Tenant) -> None:
    callback = auth0_tenant.cancel(auth0_tenant.authorize_url(state="s"))

    assert callback.startswith(CALLBACK_URL + "?")
    assert "error_description=User%20cancelled" in callback
    assert query_of(callback) == {
        "error": "access_denied",
        "error_description": "User cancelled",
        "state": "s",
    }


def test_wrong_password_rerenders_the_page_with_an_error(
    auth0_tenant: Auth0Tenant,
) -> None:
    page = requests.get(auth0_tenant.authorize_url(), timeout=TIMEOUT)
    transaction = parse_qs(urlsplit(page.url).query)["state"][0]

    answer = requests.post(
        page.url,
        data={"state": transaction, "email": DEMO_EMAIL, "password": "wrong"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert answer.status_code == 400
    assert "Wrong email or password." in answer.text
    assert f'value="{DEMO_EMAIL}"' in answer.text
    with pytest.raises(LoginError, match="Wrong email or password"):
        auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL, "wrong")


def test_login_page_has_stable_hooks_forbrowser_tests(
    auth0_tenant: Auth0Tenant,
) -> None:
    page = requests.get(
        auth0_tenant.authorize_url(login_hint="hint@example.com"), timeout=TIMEOUT
    ).text

    for hook in (
        'name="email"',
        'name="password"',
        'id="login-submit"',
        'id="cancel"',
        f'data-email="{DEMO_EMAIL}"',
        'value="hint@example.com"',
        ">Log in<",
    ):
        assert hook in page


def test_signup_screen_creates_an_unverified_user(auth0_tenant: Auth0Tenant) -> None:
    url = auth0_tenant.authorize_url(screen_hint="signup")
    assert ">Sign up<" in requests.get(url, timeout=TIMEOUT).text

    callback = auth0_tenant.login(url, "new@example.com", "s3cret")
    claims = verify(auth0_tenant, exchange(auth0_tenant, callback).json()["id_token"])

    assert claims["email"] == "new@example.com"
    assert claims["email_verified"] is False
    assert auth0_tenant.users["new@example.com"].password == "s3cret"


def test_refresh_token_with_offline_access(auth0_tenant: Auth0Tenant) -> None:
    response, _ = login_and_exchange(
        auth0_tenant, scope="openid profile email offline_access"
    )
    refresh_token = response.json()["refresh_token"]

    refreshed = requests.post(
        f"{auth0_tenant.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )

    assert refreshed.status_code == 200
    assert "nonce" not in verify(auth0_tenant, refreshed.json()["id_token"])


def test_audience_yields_an_api_access_token_with_permissions() -> None:
    user = TenantUser(
        DEMO_EMAIL, DEMO_PASSWORD, roles=["admin"], permissions=["read:x"]
    )
    with Auth0Tenant(
        callback_urls=[CALLBACK_URL], users=[user], roles_claim=ROLES_CLAIM
    ) as tenant:
        response, _ = login_and_exchange(tenant, audience="https://api.example.com")
        claims = verify(
            tenant, response.json()["access_token"], audience="https://api.example.com"
        )

    assert claims["aud"] == ["https://api.example.com", tenant.issuer + "userinfo"]
    assert claims["azp"] == CLIENT_ID
    assert claims["permissions"] == ["read:x"]
    assert claims[ROLES_CLAIM] == ["admin"]


def test_organization_adds_org_id(auth0_tenant: Auth0Tenant) -> None:
    response, _ = login_and_exchange(auth0_tenant, organization="org_abc123")

    assert verify(auth0_tenant, response.json()["id_token"])["org_id"] == "org_abc123"


def test_userinfo_answers_the_access_token(auth0_tenant: Auth0Tenant) -> None:
    response, _ = login_and_exchange(auth0_tenant)
    token = response.json()["access_token"]

    profile = get(
        f"{auth0_tenant.base_url}/userinfo",
        headers={"Authorization": f"Bearer {token}"},
    )
    refused = get(
        f"{auth0_tenant.base_url}/userinfo",
        headers={"Authorization": "Bearer nope"},
    )

    assert profile.json()["email"] == DEMO_EMAIL
    assert profile.json()["sub"] == auth0_tenant.users[DEMO_EMAIL].sub
    assert refused.status_code == 401


def test_login_with_mixed_case_email_and_json_token_request() -> None:
    user = TenantUser("Ada@Example.com", DEMO_PASSWORD)
    with Auth0Tenant(callback_urls=[CALLBACK_URL], users=[user]) as tenant:
        callback = tenant.login(
            tenant.authorize_url(), "ada@example.com", DEMO_PASSWORD
        )
        response = requests.post(
            f"{tenant.base_url}/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "code": query_of(callback)["code"],
                "redirect_uri": CALLBACK_URL,
            },
            timeout=TIMEOUT,
        )

        assert response.status_code == 200
        assert verify(tenant, response.json()["id_token"])["sub"] == user.sub


def test_two_applications_share_the_tenant_session(auth0_tenant: Auth0Tenant) -> None:
    other = "http://127.0.0.1:9/other/complete/"
    auth0_tenant.add_application(Application("app-2", "secret-2", [other]))
    auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)

    callback = auth0_tenant.login(
        auth0_tenant.authorize_url(client_id="app-2", prompt="none"), DEMO_EMAIL
    )

    assert callback.startswith(other + "?code=")


# -- claims shape ---------------------------------------------------------------


def test_database_user_claims_look_like_auth0() -> None:
    user = TenantUser("ada.lovelace@example.com", "pw")

    assert user.sub is not None and user.sub.startswith("auth0|")
    assert len(user.sub) == len("auth0|") + 24
    assert user.sub == TenantUser("ada.lovelace@example.com").sub  # deterministic
    assert (user.name, user.nickname) == ("ada.lovelace@example.com", "ada.lovelace")
    assert user.given_name is None and user.family_name is None
    assert user.picture is not None and user.picture.startswith("https://")


def test_social_user_claims_look_like_auth0(auth0_tenant: Auth0Tenant) -> None:
    user = auth0_tenant.add_user(
        TenantUser("grace.hopper@example.com", connection="google-oauth2")
    )

    claims = verify(auth0_tenant, auth0_tenant.id_token_for(user, nonce="n"))

    provider, _, number = claims["sub"].partition("|")
    assert provider == "google-oauth2" and number.isdigit() and len(number) == 21
    assert (claims["given_name"], claims["family_name"]) == ("Grace", "Hopper")
    assert claims["name"] == "Grace Hopper"
    assert claims["nonce"] == "n"
    assert isinstance(claims["updated_at"], str)


def test_id_token_for_claim_overrides(auth0_tenant: Auth0Tenant) -> None:
    token = auth0_tenant.id_token_for(DEMO_EMAIL, email=REMOVE, org_id="org_1")

    claims = verify(auth0_tenant, token)

    assert "email" not in claims
    assert claims["org_id"] == "org_1"
    assert claims[ROLES_CLAIM] == ["admin"]


# -- misbehaviour ---------------------------------------------------------------


def test_jwks_misbehaviour(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.misbehave.jwks_down = True
    assert get(auth0_tenant.jwks_url).status_code == 503

    auth0_tenant.misbehave.reset()
    auth0_tenant.misbehave.jwks_garbage = True
    garbage = get(auth0_tenant.jwks_url)
    assert garbage.status_code == 200
    with pytest.raises(ValueError):
        garbage.json()

    auth0_tenant.misbehave.reset()
    auth0_tenant.misbehave.jwks_body = b'{"no": "keys"}'
    assert get(auth0_tenant.jwks_url).json() == {"no": "keys"}

    auth0_tenant.misbehave.reset()
    assert get(auth0_tenant.jwks_url).json() == auth0_tenant.jwks
    assert auth0_tenant.count("/.well-known/jwks.json") == 4


def test_token_endpoint_misbehaviour(auth0_tenant: Auth0Tenant) -> None:
    token_url = f"{auth0_tenant.base_url}/oauth/token"
    auth0_tenant.misbehave.token_status = 429
    limited = requests.post(token_url, data={}, timeout=TIMEOUT)
    auth0_tenant.misbehave.reset()
    auth0_tenant.misbehave.token_body = b"not json"
    raw = requests.post(token_url, data={}, timeout=TIMEOUT)

    assert limited.status_code == 429
    assert set(limited.json()) == {"error", "error_description"}
    assert (raw.status_code, raw.content) == (200, b"not json")


def test_token_delay_makes_clients_time_out(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.misbehave.token_delay = 0.5

    with pytest.raises(requests.Timeout):
        requests.post(f"{auth0_tenant.base_url}/oauth/token", data={}, timeout=0.1)


def test_id_token_misbehaviour(auth0_tenant: Auth0Tenant) -> None:
    switches = auth0_tenant.misbehave
    switches.clock_skew = -7200
    switches.id_token_claims = {"aud": "someone-else", "nonce": REMOVE}
    switches.id_token_header = {"kid": "unknown"}
    response, _ = login_and_exchange(auth0_tenant)
    token = response.json()["id_token"]

    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header["kid"] == "unknown"
    assert claims["aud"] == "someone-else"
    assert "nonce" not in claims
    assert claims["exp"] == claims["iat"] + 36000
    assert claims["iat"] < auth0_tenant.now() - 7000


def test_bad_signature_fails_verification(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.misbehave.bad_signature = True
    response, _ = login_and_exchange(auth0_tenant)

    with pytest.raises(JWTError):
        verify(auth0_tenant, response.json()["id_token"])


def test_id_token_header_alg_hs256_signs_with_the_client_secret(
    auth0_tenant: Auth0Tenant,
) -> None:
    auth0_tenant.misbehave.id_token_header = {"alg": "HS256"}
    response, _ = login_and_exchange(auth0_tenant)

    token = response.json()["id_token"]

    assert jwt.decode(
        token,
        CLIENT_SECRET,
        algorithms=["HS256"],
        audience=CLIENT_ID,
        options={"verify_at_hash": False},
    )


def test_id_token_replaced_verbatim(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.misbehave.id_token = "not.a.token"

    response, _ = login_and_exchange(auth0_tenant)

    assert response.json()["id_token"] == "not.a.token"


# -- logout ---------------------------------------------------------------------


def test_v2_logout_ends_the_session_and_returns(auth0_tenant: Auth0Tenant) -> None:
    auth0_tenant.login(auth0_tenant.authorize_url(), DEMO_EMAIL)
    session = auth0_tenant.browser

    response = session.get(
        f"{auth0_tenant.base_url}/v2/logout",
        params={"client_id": CLIENT_ID, "returnTo": "http://testserver/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "http://testserver/"
    assert auth0_tenant.sessions == {}


def test_v2_logout_refuses_unlisted_return_url(auth0_tenant: Auth0Tenant) -> None:
    response = get(
        f"{auth0_tenant.base_url}/v2/logout",
        params={"client_id": CLIENT_ID, "returnTo": "https://evil.example/"},
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_oidc_logout_with_id_token_hint_returns_with_state(
    auth0_tenant: Auth0Tenant,
) -> None:
    response, _ = login_and_exchange(auth0_tenant)
    id_token = response.json()["id_token"]

    logout = get(
        f"{auth0_tenant.base_url}/oidc/logout",
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "http://testserver/",
            "state": "bye",
        },
    )

    assert logout.headers["Location"] == "http://testserver/?state=bye"
    assert auth0_tenant.sessions == {}


def test_oidc_logout_refuses_unlisted_return_url(auth0_tenant: Auth0Tenant) -> None:
    response = get(
        f"{auth0_tenant.base_url}/oidc/logout",
        params={"client_id": CLIENT_ID, "post_logout_redirect_uri": "http://x/"},
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_send_backchannel_logout_posts_a_logout_token(
    auth0_tenant: Auth0Tenant, receiver: Receiver
) -> None:
    answer = auth0_tenant.send_backchannel_logout(
        receiver.url, sub="auth0|abc", sid="sid-1"
    )

    assert answer.status_code == 200
    (body,) = receiver.bodies
    claims = verify(auth0_tenant, body["logout_token"])
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert (claims["sub"], claims["sid"]) == ("auth0|abc", "sid-1")
    assert claims["exp"] == claims["iat"] + 120
    assert claims["jti"] and "nonce" not in claims


def test_backchannel_logout_overrides_and_loopback_only(
    auth0_tenant: Auth0Tenant, receiver: Receiver
) -> None:
    auth0_tenant.send_backchannel_logout(
        receiver.url, sid="sid-1", events=REMOVE, nonce="n"
    )

    claims = jwt.get_unverified_claims(receiver.bodies[0]["logout_token"])
    assert "events" not in claims and claims["nonce"] == "n" and "sub" not in claims
    with pytest.raises(ValueError):
        auth0_tenant.send_backchannel_logout("https://example.com/logout", sid="s")


def test_logout_notifies_backchannel_urls_of_the_session(receiver: Receiver) -> None:
    user = TenantUser(DEMO_EMAIL, DEMO_PASSWORD)
    with Auth0Tenant(
        callback_urls=[CALLBACK_URL],
        logout_urls=["http://testserver/"],
        backchannel_logout_urls=[receiver.url],
        users=[user],
    ) as tenant:
        tenant.login(tenant.authorize_url(), DEMO_EMAIL)
        (sid,) = tenant.sessions
        tenant.browser.get(f"{tenant.base_url}/v2/logout", timeout=TIMEOUT)

    claims = jwt.get_unverified_claims(receiver.bodies[0]["logout_token"])
    assert (claims["sid"], claims["sub"]) == (sid, user.sub)
    assert tenant.backchannel_deliveries == [(receiver.url, 200)]


# -- request log ------------------------------------------------------------------


def test_request_log_redacts_secrets(auth0_tenant: Auth0Tenant) -> None:
    login_and_exchange(auth0_tenant)

    (record,) = [r for r in auth0_tenant.requests if r.path == "/oauth/token"]
    logged = json.dumps([vars(r) for r in auth0_tenant.requests])

    assert record.status == 200
    assert record.form["client_id"] == CLIENT_ID
    for name in ("client_secret", "code", "code_verifier"):
        assert record.form[name] == "[redacted]"
    assert CLIENT_SECRET not in logged and DEMO_PASSWORD not in logged
    assert auth0_tenant.count("/oauth/token") == 1
    auth0_tenant.clear_requests()
    assert auth0_tenant.requests == []


# -- pytest plugin and CLI ----------------------------------------------------------


def test_fixture_points_django_settings_at_the_tenant(
    auth0_tenant: Auth0Tenant,
) -> None:
    from django.conf import settings

    assert settings.SOCIAL_AUTH_AUTH0_DOMAIN == auth0_tenant.domain
    assert settings.SOCIAL_AUTH_AUTH0_KEY == CLIENT_ID
    assert settings.SOCIAL_AUTH_AUTH0_SECRET == CLIENT_SECRET


def test_cli_serves_discovery(tmp_path: Any) -> None:
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps([{"email": "b@example.com", "password": "pw"}]))
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "social_auth0.testing",
            "--port",
            "0",
            "--user",
            "a@example.com:pw:admin,staff",
            "--users-file",
            str(users_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        domain = first_line.split("=", 1)[1].strip().strip("'")
        document = get(f"{domain}/.well-known/openid-configuration").json()
        output = "".join(process.stdout.readline() for _ in range(7))
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)

    assert document["issuer"] == domain + "/"
    assert "a@example.com / pw (roles: admin, staff)" in output
    assert "b@example.com / pw" in output


def test_cli_prints_the_settings_in_use() -> None:
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "social_auth0.testing",
            "--port",
            "0",
            "--client-id",
            "my-client",
            "--client-secret",
            "my-secret",
            "--roles-claim",
            "https://example.com/roles",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)
    assert lines[0].startswith("SOCIAL_AUTH_AUTH0_DOMAIN = 'http://127.0.0.1:")
    assert lines[1:] == [
        "SOCIAL_AUTH_AUTH0_KEY = 'my-client'",
        "SOCIAL_AUTH_AUTH0_SECRET = 'my-secret'",
        "SOCIAL_AUTH_AUTH0_ROLES_CLAIM = 'https://example.com/roles'",
    ]


def test_cli_help_documents_the_users_file_format(tmp_path: Any) -> None:
    from social_auth0.testing.__main__ import USERS_FILE_HELP, build_parser, load_users

    assert USERS_FILE_HELP in " ".join(build_parser().format_help().split())
    example = USERS_FILE_HELP.split(": ", 1)[1].split("; ", 1)[0]
    (tmp_path / "users.json").write_text(example)
    users = load_users(tmp_path / "users.json")
    assert [u.email for u in users] == ["ada@example.com", "grace@example.com"]
    assert users[0].roles == ["staff"]
    assert users[1].is_social
