"""private_key_jwt client authentication (RFC 7523), over loopback against the
tenant emulator, which checks every assertion as Auth0 does and refuses the
client secret of an application with a registered key.

No secret is configured: login, refresh, revocation, a pushed authorization
request and auth0check all authenticate with a fresh assertion, and no call to
the tenant carrying the client id lacks one (every POST is recorded).
"""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from social_auth0.access import get_access_token
from social_auth0.backend import backend_for
from social_auth0.jwt import assertion
from social_auth0.jwt.compact import b64url_decode
from social_auth0.testing import ClientKey
from tests.support.tenants import ADA, begin_login, complete_login

pytestmark = pytest.mark.django_db(transaction=True)

API = "https://api.example.com/"
KEY = ClientKey()
OTHER_KEY = ClientKey()
CLIENT_ID = "test-client-id"


@pytest.fixture(scope="module")
def tenant(tenant):
    tenant.register_client_key(KEY.jwks)  # and refuse the secret from now on
    tenant.applications[CLIENT_ID].access_token_lifetime = 300
    return tenant


@pytest.fixture(autouse=True)
def signed(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


def claims_of(token: str) -> tuple[dict, dict]:
    head, body, _ = token.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body))


def post(tenant, path: str, **form: str) -> requests.Response:
    return requests.post(f"{tenant.base_url}{path}", data=form, timeout=5)


def revoke_with(tenant, client_assertion: str) -> requests.Response:
    return post(
        tenant,
        "/oauth/revoke",
        token="not-a-token",
        client_assertion_type=assertion.ASSERTION_TYPE,
        client_assertion=client_assertion,
    )


# What we send -------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "RS384", "PS256"])
def test_our_assertions_are_well_formed_and_accepted(tenant, settings, alg):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_ALG = alg
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KID = "key-1"
    fields = backend_for(None).client_authentication()
    assert set(fields) == {"client_id", "client_assertion_type", "client_assertion"}
    header, claims = claims_of(fields["client_assertion"])
    assert header == {"alg": alg, "typ": "JWT", "kid": "key-1"}
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == tenant.issuer  # with its trailing slash
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert abs(claims["iat"] - time.time()) < 5
    assert revoke_with(tenant, fields["client_assertion"]).status_code == 200


def test_every_assertion_has_its_own_jti():
    backend = backend_for(None)
    jtis = {
        claims_of(backend.client_authentication()["client_assertion"])[1]["jti"]
        for _ in range(20)
    }
    assert len(jtis) == 20
    assert all(len(jti) <= 64 for jti in jtis)


# What the emulator refuses, as Auth0 does ------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "https://other.example/"}, "aud"),
        ({"aud": "{issuer}oauth/token"}, "aud"),
        ({"exp": "{past}"}, "expired"),
        ({"exp": "{far}"}, "lifetime"),
        ({"iss": "someone-else"}, "iss"),
        ({"sub": "someone-else"}, "sub"),
        ({"jti": "j" * 65}, "jti"),
    ],
    ids=[
        "aud",
        "aud-token-endpoint",
        "expired",
        "exp-too-far",
        "iss",
        "sub",
        "jti-long",
    ],
)
def test_a_wrong_assertion_is_refused(tenant, overrides, reason):
    values = {"issuer": tenant.issuer, "past": "", "far": ""}
    now = tenant.now()
    claims = {
        name: (
            now - 10
            if value == "{past}"
            else now + 3600
            if value == "{far}"
            else value.format(**values)
            if isinstance(value, str)
            else value
        )
        for name, value in overrides.items()
    }
    answer = revoke_with(tenant, KEY.assertion(tenant, **claims))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert reason in answer.json()["error_description"]


def test_a_reused_jti_is_refused(tenant):
    first = KEY.assertion(tenant)
    assert revoke_with(tenant, first).status_code == 200
    answer = revoke_with(tenant, first)
    assert answer.status_code == 401
    assert "jti was used before" in answer.json()["error_description"]


def test_an_assertion_signed_by_another_key_is_refused(tenant):
    answer = revoke_with(tenant, OTHER_KEY.assertion(tenant))
    assert answer.status_code == 401
    assert "signature" in answer.json()["error_description"]


def test_the_secret_of_an_application_with_a_key_is_refused(tenant):
    answer = post(
        tenant,
        "/oauth/revoke",
        token="x",
        client_id=CLIENT_ID,
        client_secret="test-client-secret",
    )
    assert answer.status_code == 401


def test_a_wrong_key_at_the_site_is_a_configuration_error_naming_the_setting(
    tenant, settings, caplog
):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = OTHER_KEY.private_pem
    client = Client()
    callback = tenant.login(begin_login(client), ADA.email, ADA.password)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    response = client.get(f"{path}?{query}")
    assert response["Location"].startswith("/login-error/")
    assert "parameter=CLIENT_ASSERTION_KEY" in caplog.text
    assert not get_user_model().objects.exists()


# Every call that authenticates the client -----------------------------------------


def request_of(client: Client):
    request = RequestFactory().get("/reports/")
    request.session = SessionStore(client.session.session_key)
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


def test_login_refresh_revoke_par_and_auth0check_never_send_a_secret(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    client = Client()
    assert complete_login(client, tenant, ADA.email)["Location"] == "/done/"
    request = request_of(client)
    # The stored token lives 300 s: asking for 400 refreshes it.
    assert get_access_token(request, min_ttl=400)
    client.post("/auth0/logout/")  # revokes the refresh token
    out = StringIO()
    with pytest.raises(CommandError):  # logout URLs on http: FAIL, not ours
        call_command("auth0check", "--site-url", "http://testserver", stdout=out)
    assert "OK    client       client credentials accepted" in out.getvalue()

    # Every request to the back channel, and any other carrying the client id
    # (the login page's form posts carry neither).
    posts = [
        r
        for r in tenant.requests
        if r.method == "POST"
        and (r.path.startswith("/oauth/") or "client_id" in r.form)
    ]
    by_path = {
        path: [r for r in posts if r.path == path] for path in {r.path for r in posts}
    }
    grants = [r.form.get("grant_type") for r in by_path["/oauth/token"]]
    assert grants.count("authorization_code") == 2  # the login, auth0check
    assert grants.count("refresh_token") == 1
    assert len(by_path["/oauth/revoke"]) == 1
    assert len(by_path["/oauth/par"]) == 2  # the login, auth0check
    for record in posts:
        assert "client_secret" not in record.form, record.path
        assert record.form.get("client_assertion_type") == assertion.ASSERTION_TYPE, (
            record.path,
            record.form,
        )
        assert record.form["client_assertion"] == "[redacted]"  # never logged
    # The tenant accepted every assertion (auth0check's made-up code: invalid_grant).
    assert [r.status for r in by_path["/oauth/par"]] == [201, 201]
    assert [r.status for r in by_path["/oauth/token"]] == [200, 200, 403]
    assert [r.status for r in by_path["/oauth/revoke"]] == [200]
