"""DPoP at the site's API (RFC 9449): ``Authorization: DPoP`` with a proof, on
plain (``token_required``) and DRF views, over HTTP against a live server and
the tenant emulator. Each proof rule has a test that forges exactly that part
of a real signed proof; the rest of the proof is valid."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
from urllib.parse import urlsplit

import pytest
import requests
from jose import jwt

from social_auth0 import clock
from social_auth0.cache import forget_degradation
from social_auth0.jwt.dpop import Nonces
from social_auth0.testing import DpopKey
from social_auth0.testing.keys import b64url, corrupt_signature
from tests.support.ports import free_port
from tests.support.tenants import ADA

pytestmark = [pytest.mark.urls("tests.support.api_urls")]

API = "https://api.example.com/"
M2M_CLIENT = "m2m-client-id"
M2M_SECRET = "m2m-client-secret"  # noqa: S105
BOTH = pytest.mark.parametrize("kind", ["/api", "/drf"])
ALGS = "ES256 ES384 RS256 PS256 EdDSA"
INVALID_PROOF = (
    f'DPoP realm="api", algs="{ALGS}", error="invalid_dpop_proof", '
    'error_description="The DPoP proof is invalid"'
)


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(scope="module")
def tenant(tenant):
    from social_auth0.testing import Application

    tenant.add_application(Application(M2M_CLIENT, M2M_SECRET))
    tenant.authorize_client(M2M_CLIENT, API, ["read:reports"])
    return tenant


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API


@pytest.fixture(scope="module")
def key():
    return DpopKey()


@pytest.fixture(scope="module")
def other_key():
    return DpopKey()


def bound_token(tenant, key, **kwargs):
    return tenant.access_token_for(
        ADA, scopes=["read:reports"], cnf={"jkt": key.thumbprint}, **kwargs
    )


def send(url, headers, method="GET"):
    return requests.request(method, url, headers=headers, timeout=10)


def dpop_call(live_server, path, token, key, *, method="GET", **proof_options):
    """A DPoP request whose proof is valid except for ``proof_options``."""
    url = f"{live_server.url}{path}"
    proof = key.proof(method, url, access_token=token, **proof_options)
    return send(url, {"Authorization": f"DPoP {token}", "DPoP": proof}, method)


def assert_refused(response, error="invalid_dpop_proof"):
    assert response.status_code == 401, response.text
    body = response.json()  # RFC 6750's on plain views, DRF's {"detail"} on DRF's
    assert body["error"] == error if "error" in body else body["detail"]
    assert (
        f'DPoP realm="api", algs="{ALGS}", error="{error}"'
        in (response.headers["WWW-Authenticate"])
    )


# -- accepted ---------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "PS256", "EdDSA"])
def test_dpop_bound_token_with_a_proof_is_accepted(live_server, tenant, kind, alg):
    key = DpopKey(alg)
    token = bound_token(tenant, key)
    response = dpop_call(live_server, f"{kind}/reports/", token, key)
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == tenant.user(ADA).sub


def test_async_view_takes_dpop_too(live_server, tenant, key):
    token = bound_token(tenant, key)
    path = "/api/async-reports/"
    assert dpop_call(live_server, path, token, key).status_code == 200
    assert_refused(dpop_call(live_server, path, token, key, claims={"htm": "PUT"}))


def test_rejection_is_logged_once_without_proof_or_token(
    live_server, tenant, key, caplog
):
    token = bound_token(tenant, key)
    url = f"{live_server.url}/api/whoami/"
    proof = key.proof("GET", url, access_token=token, claims={"htm": "PUT"})
    caplog.set_level("WARNING", "social_auth0.resource")
    assert_refused(send(url, {"Authorization": f"DPoP {token}", "DPoP": proof}))
    lines = [r.getMessage() for r in caplog.records if "DPoP" in r.getMessage()]
    assert lines == [
        "Auth0 API request rejected: DPoP invalid_dpop_proof: \"proof htm 'PUT'\""
    ]
    assert token not in caplog.text and proof not in caplog.text


@BOTH
def test_dpop_headers_helper_calls_the_api(live_server, tenant, kind):
    url = f"{live_server.url}{kind}/reports/"
    headers = tenant.dpop_headers("GET", url, ADA, scopes=["read:reports"])
    assert send(url, headers).status_code == 200


@BOTH
def test_scheme_name_is_case_insensitive(live_server, tenant, key, kind):
    url = f"{live_server.url}{kind}/whoami/"
    token = bound_token(tenant, key)
    headers = {"Authorization": f"dpop {token}", "DPoP": key.proof("GET", url,
               access_token=token)}  # fmt: skip
    assert send(url, headers).status_code == 200


@BOTH
def test_query_and_fragment_of_htu_and_request_are_ignored(
    live_server, tenant, key, kind
):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    proof = key.proof("GET", f"{url}?page=1#top", access_token=token)
    response = send(f"{url}?page=2", {"Authorization": f"DPoP {token}", "DPoP": proof})
    assert response.status_code == 200, response.text


@BOTH
def test_htu_is_compared_after_rfc3986_normalisation(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    host = urlsplit(live_server.url).netloc
    htu = f"HTTP://{host.upper()}{kind}/./x/../%77hoami/"
    response = dpop_call(
        live_server, f"{kind}/whoami/", token, key, claims={"htu": htu}
    )
    assert response.status_code == 200, response.text


# -- each rule of RFC 9449 section 4.3, forged alone ------------------------------


@BOTH
@pytest.mark.parametrize(
    "header",
    [
        {"typ": "JWT"},
        {"typ": None},
        {"alg": "none"},
        {"alg": "ES512"},
        {"jwk": None},
        {"jwk": {"kty": "RSA", "e": "AQAB", "n": "AQAB"}},
    ],
    ids=["typ-jwt", "typ-missing", "alg-none", "alg-not-allowed", "no-jwk", "tiny-rsa"],
)
def test_proof_header_rules(live_server, tenant, key, kind, header):
    token = bound_token(tenant, key)
    response = dpop_call(live_server, f"{kind}/whoami/", token, key, header=header)
    assert_refused(response)
    assert response.headers["WWW-Authenticate"].endswith(INVALID_PROOF)


@BOTH
def test_unsigned_proof_with_alg_none_is_refused(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    signed = key.proof("GET", url, access_token=token, header={"alg": "none"})
    unsigned = signed.rpartition(".")[0] + "."
    assert_refused(send(url, {"Authorization": f"DPoP {token}", "DPoP": unsigned}))


@BOTH
def test_hs256_proof_with_a_symmetric_jwk_is_refused(live_server, tenant, kind):
    """An HMAC "proof" carries its own secret: anyone could sign it."""
    secret = b"s" * 32
    jwk = {"kty": "oct", "k": b64url(secret)}
    token = tenant.access_token_for(ADA, cnf={"jkt": "irrelevant"})
    url = f"{live_server.url}{kind}/whoami/"
    claims = {"jti": "j1", "htm": "GET", "htu": url, "iat": int(time.time())}
    proof = jwt.encode(
        claims, secret, algorithm="HS256", headers={"typ": "dpop+jwt", "jwk": jwk}
    )
    assert_refused(send(url, {"Authorization": f"DPoP {token}", "DPoP": proof}))


@BOTH
def test_proof_carrying_the_private_key_is_refused(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    response = dpop_call(
        live_server, f"{kind}/whoami/", token, key, header={"jwk": key.private_jwk()}
    )
    assert_refused(response)


@BOTH
def test_proof_with_a_bad_signature_is_refused(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    proof = corrupt_signature(key.proof("GET", url, access_token=token))
    assert_refused(send(url, {"Authorization": f"DPoP {token}", "DPoP": proof}))


@BOTH
def test_proof_signed_by_another_key_than_its_jwk_is_refused(
    live_server, tenant, key, other_key, kind
):
    token = bound_token(tenant, key)
    response = dpop_call(
        live_server, f"{kind}/whoami/", token, other_key, header={"jwk": key.public_jwk}
    )
    assert_refused(response)


@BOTH
@pytest.mark.parametrize(
    "claims",
    [
        {"htm": "POST"},
        {"htm": "get"},
        {"htm": None},
        {"jti": None},
        {"jti": "x" * 300},
        {"iat": None},
        {"iat": "now"},
        {"ath": None},
        {"ath": b64url(hashlib.sha256(b"another token").digest())},
    ],
    ids=[
        "htm-post",
        "htm-lowercase",
        "htm-missing",
        "jti-missing",
        "jti-too-long",
        "iat-missing",
        "iat-string",
        "ath-missing",
        "ath-of-another-token",
    ],
)
def test_proof_claim_rules(live_server, tenant, key, kind, claims):
    token = bound_token(tenant, key)
    assert_refused(dpop_call(live_server, f"{kind}/whoami/", token, key, claims=claims))


@BOTH
@pytest.mark.parametrize(
    "htu",
    [
        "{base}{kind}/reports/",
        "http://evil.example{kind}/whoami/",
        "https://{host}{kind}/whoami/",
        "{base}{kind}/whoami",
        "not a url",
    ],
    ids=["other-path", "other-host", "other-scheme", "no-trailing-slash", "garbage"],
)
def test_proof_htu_must_name_this_url(live_server, tenant, key, kind, htu):
    token = bound_token(tenant, key)
    host = urlsplit(live_server.url).netloc
    wrong = htu.format(base=live_server.url, kind=kind, host=host)
    response = dpop_call(
        live_server, f"{kind}/whoami/", token, key, claims={"htu": wrong}
    )
    assert_refused(response)


@BOTH
def test_htu_follows_the_proxy_headers_django_trusts(
    live_server, tenant, key, kind, settings
):
    """Behind a TLS proxy Django sees https (SECURE_PROXY_SSL_HEADER) and the
    public host (USE_X_FORWARDED_HOST): the client signed the public URL."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["api.example.com", "testserver", "127.0.0.1"]
    token = bound_token(tenant, key)
    public = f"https://api.example.com{kind}/whoami/"
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com"}
    url = f"{live_server.url}{kind}/whoami/"
    good = {"Authorization": f"DPoP {token}", **proxied}
    good["DPoP"] = key.proof("GET", public, access_token=token)
    assert send(url, good).status_code == 200
    # The internal URL the proxy called is not what the client signed.
    internal = {**good, "DPoP": key.proof("GET", url, access_token=token)}
    assert_refused(send(url, internal))


@BOTH
@pytest.mark.parametrize("age", [200, -200], ids=["old", "future"])
def test_proof_iat_outside_the_window_is_refused(live_server, tenant, key, kind, age):
    token = bound_token(tenant, key)
    iat = int(time.time()) - age
    response = dpop_call(
        live_server, f"{kind}/whoami/", token, key, claims={"iat": iat}
    )
    assert_refused(response)


@BOTH
def test_token_bound_to_another_key_is_refused(
    live_server, tenant, key, other_key, kind
):
    token = bound_token(tenant, other_key)
    assert_refused(dpop_call(live_server, f"{kind}/whoami/", token, key))


@BOTH
def test_unbound_token_sent_as_dpop_is_invalid_token(live_server, tenant, key, kind):
    token = tenant.access_token_for(ADA)
    response = dpop_call(live_server, f"{kind}/whoami/", token, key)
    assert_refused(response, "invalid_token")


@BOTH
def test_dpop_token_without_proof_is_invalid_request(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    response = send(url, {"Authorization": f"DPoP {token}"})
    assert response.status_code == 400
    assert 'DPoP realm="api"' in response.headers["WWW-Authenticate"]
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@BOTH
def test_two_dpop_headers_are_invalid_request(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("GET", parts.path)
    connection.putheader("Authorization", f"DPoP {token}")
    connection.putheader("DPoP", key.proof("GET", url, access_token=token))
    connection.putheader("DPoP", key.proof("GET", url, access_token=token))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400
    assert 'error="invalid_request"' in response.getheader("WWW-Authenticate")
    connection.close()


@BOTH
def test_oversized_proof_is_refused_unread(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    padding = {"pad": "x" * 9000}
    response = dpop_call(live_server, f"{kind}/whoami/", token, key, claims=padding)
    assert_refused(response)


# -- replay -----------------------------------------------------------------------


@BOTH
def test_replayed_proof_is_refused(live_server, tenant, key, kind):
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    headers = key.headers("GET", url, token)
    assert send(url, headers).status_code == 200
    assert_refused(send(url, headers))


@pytest.fixture
def redis_caches(redis_server, settings):
    """Two cache aliases, two clients of one Redis server: two workers' view."""
    location = f"redis://127.0.0.1:{redis_server}/3"
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        **settings.CACHES,
        "worker_a": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "t"},
        "worker_b": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "t"},
    }
    return settings


@BOTH
def test_replay_is_refused_through_another_cache_client(
    live_server, tenant, key, kind, redis_caches
):
    """A proof used on one worker is refused on another: the jti is claimed in
    the shared cache (one Redis), not in the worker's memory."""
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    headers = key.headers("GET", url, token)
    redis_caches.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "worker_a"
    assert send(url, headers).status_code == 200
    redis_caches.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "worker_b"
    assert_refused(send(url, headers))
    assert send(url, key.headers("GET", url, token)).status_code == 200


@BOTH
def test_shared_cache_down_refuses_dpop_with_503(
    live_server, tenant, key, kind, settings, caplog
):
    """No per-process fallback: another worker would accept the same proof."""
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        **settings.CACHES,
        "down": {"BACKEND": backend, "LOCATION": f"redis://127.0.0.1:{free_port()}"},
    }
    token = bound_token(tenant, key)
    url = f"{live_server.url}{kind}/whoami/"
    tenant.access_token_for(ADA)  # keys warm in the default cache first
    assert send(url, key.headers("GET", url, token)).status_code == 200
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "down"
    forget_degradation()
    caplog.set_level("WARNING", "social_auth0.cache")
    response = send(url, key.headers("GET", url, token))
    assert response.status_code == 503, response.text
    body = response.json()
    assert body.get("error", "temporarily_unavailable") == "temporarily_unavailable"
    assert response.headers["Retry-After"] == "10"  # DRF's answer too
    assert "DPoP requests are refused (503)" in caplog.text
    bearer = {"Authorization": f"Bearer {tenant.access_token_for(ADA)}"}
    assert send(url, bearer).status_code == 200  # bearer tokens need no jti store


# -- API_DPOP --------------------------------------------------------------------


@BOTH
def test_required_refuses_a_bearer_token(live_server, tenant, kind, settings):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "required"
    url = f"{live_server.url}{kind}/whoami/"
    response = send(url, {"Authorization": f"Bearer {tenant.access_token_for(ADA)}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'DPoP realm="api", algs="{ALGS}", error="invalid_token", '
        'error_description="A DPoP-bound token is required"'
    )


@BOTH
def test_required_still_takes_dpop(live_server, tenant, key, kind, settings):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "required"
    token = bound_token(tenant, key)
    assert dpop_call(live_server, f"{kind}/whoami/", token, key).status_code == 200
    anonymous = send(f"{live_server.url}{kind}/whoami/", {})
    assert anonymous.headers["WWW-Authenticate"] == f'DPoP realm="api", algs="{ALGS}"'


@BOTH
def test_disabled_takes_only_bearer(live_server, tenant, key, kind, settings):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "disabled"
    token = bound_token(tenant, key)
    response = dpop_call(live_server, f"{kind}/whoami/", token, key)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    bearer = {"Authorization": f"Bearer {tenant.access_token_for(ADA)}"}
    assert send(f"{live_server.url}{kind}/whoami/", bearer).status_code == 200


@BOTH
def test_key_bound_token_sent_as_bearer_is_refused(live_server, tenant, key, kind):
    url = f"{live_server.url}{kind}/whoami/"
    response = send(url, {"Authorization": f"Bearer {bound_token(tenant, key)}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(
        'Bearer realm="api", error="invalid_token"'
    )


@BOTH
def test_insufficient_scope_is_in_the_dpop_challenge(live_server, tenant, key, kind):
    token = tenant.access_token_for(ADA, cnf={"jkt": key.thumbprint})
    response = dpop_call(live_server, f"{kind}/reports/", token, key)
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", DPoP realm="api", algs="{ALGS}", '
        'error="insufficient_scope", error_description="The access token does '
        'not grant the scope this request needs", scope="read:reports"'
    )


# -- server nonce ---------------------------------------------------------------


@pytest.fixture
def nonces(settings):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP_NONCE = True
    return Nonces(settings.SECRET_KEY)


@BOTH
def test_proof_without_nonce_gets_use_dpop_nonce(
    live_server, tenant, key, kind, nonces
):
    token = bound_token(tenant, key)
    response = dpop_call(live_server, f"{kind}/whoami/", token, key)
    assert_refused(response, "use_dpop_nonce")
    nonce = response.headers["DPoP-Nonce"]
    assert hmac.compare_digest(nonce, nonces.current(time.time()))
    retried = dpop_call(live_server, f"{kind}/whoami/", token, key, nonce=nonce)
    assert retried.status_code == 200, retried.text


@BOTH
@pytest.mark.parametrize(
    "age, accepted", [(0, True), (300, True), (600, False), (-300, False)]
)
def test_nonce_of_the_previous_slice_is_accepted_older_not(
    live_server, tenant, key, kind, nonces, age, accepted
):
    token = bound_token(tenant, key)
    nonce = nonces.current(clock.current_time() - age)
    response = dpop_call(live_server, f"{kind}/whoami/", token, key, nonce=nonce)
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert_refused(response, "use_dpop_nonce")


@BOTH
def test_forged_nonce_is_refused(live_server, tenant, key, kind, nonces):
    token = bound_token(tenant, key)
    forged = Nonces("another site's secret").current(time.time())
    response = dpop_call(live_server, f"{kind}/whoami/", token, key, nonce=forged)
    assert_refused(response, "use_dpop_nonce")
    assert response.headers["DPoP-Nonce"] != forged


# -- a whole flow ------------------------------------------------------------------


@BOTH
def test_client_credentials_with_a_proof_then_the_api(live_server, tenant, key, kind):
    token_url = f"{tenant.base_url}/oauth/token"
    answer = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": M2M_CLIENT,
            "client_secret": M2M_SECRET,
            "audience": API,
        },
        headers={"DPoP": key.proof("POST", token_url)},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    assert jwt.get_unverified_claims(token)["cnf"] == {"jkt": key.thumbprint}
    url = f"{live_server.url}{kind}/reports/"
    response = send(url, key.headers("GET", url, token))
    assert response.status_code == 200, response.text
    assert response.json()["machine"] is True
    assert_refused(send(url, other_headers(token, url)))


def other_headers(token, url):
    """The stolen token with the thief's own key: refused."""
    return DpopKey().headers("GET", url, token)


def test_token_endpoint_refuses_a_bad_proof(tenant, key):
    token_url = f"{tenant.base_url}/oauth/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": M2M_CLIENT,
        "client_secret": M2M_SECRET,
        "audience": API,
    }
    wrong = key.proof("POST", f"{tenant.base_url}/elsewhere")
    answer = requests.post(token_url, data=form, headers={"DPoP": wrong}, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_dpop_proof"
    plain = requests.post(token_url, data=form, timeout=10).json()
    assert plain["token_type"] == "Bearer"
    assert "cnf" not in jwt.get_unverified_claims(plain["access_token"])
