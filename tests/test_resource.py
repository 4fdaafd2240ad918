"""The site's API protected by Auth0 access tokens: plain Django views
(``token_required``) and DRF views (``contrib.drf``), end to end over HTTP
against a live server and the tenant emulator."""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import subprocess
import sys
import time
import weakref

import pytest
import requests
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from social_auth0.resource import NO_TOKEN, UNAVAILABLE
from social_auth0.testing import REMOVE
from social_auth0.testing.keys import SigningKey, b64url, corrupt_signature
from tests.support.api_urls import DrfReports, reports
from tests.support.tenants import ADA
from tests.support.tokens import Signer

pytestmark = [pytest.mark.urls("tests.support.api_urls")]

API = "https://api.example.com/"
M2M_CLIENT = "m2m-client-id"
M2M_SECRET = "m2m-client-secret"  # noqa: S105
PLAIN, DRF = "/api", "/drf"
BOTH = pytest.mark.parametrize("kind", [PLAIN, DRF])


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(scope="module")
def tenant(tenant):
    from social_auth0.testing import Application

    tenant.add_application(Application(M2M_CLIENT, M2M_SECRET))
    tenant.authorize_client(M2M_CLIENT, API, ["read:reports", "write:reports"])
    return tenant


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API


def call(live_server, path, token=None, *, header=None, method="get", **kwargs):
    headers = {}
    if header is not None:
        headers["Authorization"] = header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, f"{live_server.url}{path}", headers=headers, timeout=10, **kwargs
    )


# The DPoP challenge beside the Bearer one (API_DPOP "allowed", the default).
DPOP_CHALLENGE = 'DPoP realm="api", algs="ES256 ES384 RS256 PS256 EdDSA"'


def challenge(response) -> str:
    return response.headers.get("WWW-Authenticate", "")


def assert_invalid_token(response):
    assert response.status_code == 401, response.text
    assert challenge(response) == (
        'Bearer realm="api", error="invalid_token", '
        'error_description="The access token is invalid or has expired", '
        + DPOP_CHALLENGE
    )
    assert response.headers["Content-Type"] == "application/json"


# -- valid tokens ------------------------------------------------------------


@BOTH
def test_valid_token_reaches_the_view(live_server, tenant, kind):
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    response = call(live_server, f"{kind}/reports/", token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.pop("pk").startswith("auth0-")  # the caller's key (test_principal)
    assert body == {"sub": ADA.sub, "user": ADA.sub, "machine": False}


def test_async_view_is_protected_too(live_server, tenant):
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    assert call(live_server, "/api/async-reports/", token).json()["sub"] == ADA.sub
    assert call(live_server, "/api/async-reports/").status_code == 401
    bad = tenant.access_token_for(ADA, scopes=["read:reports"], iss="https://x/")
    assert_invalid_token(call(live_server, "/api/async-reports/", bad))


@BOTH
def test_rfc9068_token_is_accepted(live_server, tenant, kind, settings):
    from social_auth0.testing.apis import Api

    other = "https://rfc9068.example.com/"
    tenant.add_api(Api(other, profile="rfc9068"))
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = [API, other]
    try:
        token = tenant.access_token_for(ADA, audience=other, scopes=["read:reports"])
        response = call(live_server, f"{kind}/reports/", token)
    finally:
        tenant.apis.pop(other)
    assert response.status_code == 200, response.text


@BOTH
def test_token_from_login_with_openid_has_two_audiences(live_server, tenant, kind):
    token = tenant.access_token_for(ADA, scopes=["read:reports"], openid=True)
    assert call(live_server, f"{kind}/reports/", token).status_code == 200


@BOTH
def test_machine_to_machine_token_from_client_credentials(live_server, tenant, kind):
    answer = requests.post(
        f"{tenant.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": M2M_CLIENT,
            "client_secret": M2M_SECRET,
            "audience": API,
            "scope": "read:reports",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    response = call(live_server, f"{kind}/reports/", answer.json()["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == f"{M2M_CLIENT}@clients"
    assert response.json()["machine"] is True


@BOTH
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "samlp|acme-sso|bob@clients"},  # a SAML user named "bob@clients"
        {"sub": "samlp|acme-sso|bob@clients", "gty": "client-credentials"},
        # sub = azp + "@clients", but no gty (or another): not client credentials
        {"sub": f"{M2M_CLIENT}@clients", "client_id": M2M_CLIENT},
        {"sub": f"{M2M_CLIENT}@clients", "client_id": M2M_CLIENT, "gty": "password"},
    ],
    ids=["saml_sub", "saml_sub_with_gty", "client_sub_without_gty", "other_gty"],
)
def test_user_token_whose_sub_ends_in_clients_is_not_a_machine(
    live_server, tenant, kind, claims
):
    """A user of an enterprise connection may be called ``bob@clients``:
    machine-ness is what Auth0 puts in a client-credentials token (``gty``,
    and ``sub`` = the token's client + ``@clients``), not the end of ``sub``."""
    token = tenant.access_token_for(scopes=["read:reports"], **claims)
    response = call(live_server, f"{kind}/reports/", token)
    assert response.status_code == 200, response.text
    assert response.json()["machine"] is False


@BOTH
def test_rfc9068_machine_token_is_a_machine(live_server, tenant, kind, settings):
    """RFC 9068's profile names the client in ``client_id`` (no ``azp``)."""
    from social_auth0.testing.apis import Api

    other = "https://rfc9068.example.com/"
    tenant.add_api(Api(other, profile="rfc9068"))
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = [API, other]
    try:
        token = tenant.machine_token(
            M2M_CLIENT, audience=other, scopes=["read:reports"]
        )
    finally:
        tenant.apis.pop(other)
    response = call(live_server, f"{kind}/reports/", token)
    assert response.status_code == 200, response.text
    assert response.json()["machine"] is True


# -- the principal: one stable identity per caller ---------------------------------


def principal(**claims):
    from social_auth0.resource import Auth0Principal

    base = {"iss": "https://tenant-a.example/", "sub": ADA.sub, "azp": "spa"}
    return Auth0Principal({**base, **claims}, frozenset())


def test_principal_pk_is_one_key_per_caller():
    ada = principal()
    assert ada.pk == ada.id == principal(scope="other", jti="2").pk  # a new token
    assert ada == principal() and hash(ada) == hash(principal())
    others = [
        principal(sub="auth0|grace"),
        principal(iss="https://tenant-b.example/"),  # same sub, another tenant
        principal(sub="spa@clients", gty="client-credentials"),
        principal(sub="m2m@clients", azp="m2m", gty="client-credentials"),
    ]
    assert len({ada.pk, *(other.pk for other in others)}) == 5
    assert all(other != ada for other in others)
    assert others[2].is_machine and not others[0].is_machine
    # a cache key fragment: short, no spaces or control characters (memcached)
    odd = principal(sub="samlp|x|a b\n" + "é" * 300)
    assert odd.pk.isascii() and odd.pk.isprintable() and " " not in odd.pk
    assert len(odd.pk) < 64


def test_principal_holds_no_django_permission():
    ada = principal()
    assert ada.has_perm("auth.add_group") is False
    assert ada.has_perms(["auth.add_group"]) is False
    assert ada.has_perms([]) is True  # as Django's users: nothing asked
    assert ada.has_module_perms("auth") is False
    assert ada.get_all_permissions() == set()
    with pytest.raises(ValueError):
        ada.has_perms("auth.add_group")  # a string, as Django refuses it


# -- invalid tokens: 401 invalid_token ------------------------------------------


def now() -> int:
    return int(time.time())


INVALID = {
    "bad_signature": lambda t: corrupt_signature(
        t.access_token_for(ADA, scopes=["read:reports"])
    ),
    "alg_none": lambda t: t.sign(claims_of(t), alg="none"),
    "hs256_with_client_secret": lambda t: t.sign(claims_of(t), alg="HS256"),
    "wrong_issuer": lambda t: t.access_token_for(ADA, iss="https://evil.example/"),
    "issuer_without_slash": lambda t: t.access_token_for(ADA, iss=t.base_url),
    "wrong_audience": lambda t: t.access_token_for(
        ADA, audience="https://other-api.example.com/"
    ),
    "expired": lambda t: t.access_token_for(ADA, iat=now() - 7200, exp=now() - 3600),
    "not_yet_valid": lambda t: t.access_token_for(ADA, nbf=now() + 3600),
    "issued_in_the_future": lambda t: t.access_token_for(ADA, iat=now() + 3600),
    "without_exp": lambda t: t.access_token_for(ADA, exp=REMOVE),
    "id_token": lambda t: t.id_token_for(ADA, nonce="n"),
    "id_token_listing_the_api": lambda t: t.id_token_for(
        ADA, nonce="n", aud=[t._default_client_id(), API]
    ),
    "id_token_claims_for_the_api": lambda t: t.access_token_for(ADA, nonce="n"),
    "without_sub": lambda t: t.access_token_for(ADA, sub=REMOVE),
    "empty_sub": lambda t: t.access_token_for(ADA, sub=""),
    "logout_token_typ": lambda t: t.sign(claims_of(t), headers={"typ": "logout+jwt"}),
    "garbage": lambda t: "not-a-jwt",
    "three_garbage_segments": lambda t: "a.b.c",
    "signed_by_another_key": lambda t: Signer(t.signing_kid).sign(claims_of(t)),
    # Bound to a client's key (RFC 9449 DPoP, RFC 8705 mTLS): without a proof
    # of that key, a stolen token must not work as a bearer token.
    "dpop_bound": lambda t: t.access_token_for(ADA, cnf={"jkt": client_key_jkt()}),
    "dpop_bound_rfc9068": lambda t: dpop_bound_rfc9068(t),
    "mtls_bound": lambda t: t.access_token_for(
        ADA, cnf={"x5t#S256": b64url(hashlib.sha256(b"client cert").digest())}
    ),
}


@functools.cache
def client_key_jkt() -> str:
    """The RFC 7638 thumbprint of a client's DPoP key (a real RSA key)."""
    jwk = SigningKey.generate("dpop-client").public_jwk()
    members = {name: jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def dpop_bound_rfc9068(tenant) -> str:
    """A DPoP-bound token in RFC 9068's profile (``typ: at+jwt``)."""
    return tenant.sign(
        {**claims_of(tenant), "cnf": {"jkt": client_key_jkt()}},
        headers={"typ": "at+jwt"},
    )


def claims_of(tenant) -> dict:
    from social_auth0.testing.apis import api_token_claims

    return api_token_claims(
        tenant,
        tenant.apis[API],
        sub=ADA.sub,
        client_id=tenant._default_client_id(),
        scopes=["read:reports"],
        permissions=None,
    )


@BOTH
@pytest.mark.parametrize("case", sorted(INVALID))
def test_rejects_invalid_token(live_server, tenant, kind, case, caplog):
    token = INVALID[case](tenant)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = call(live_server, f"{kind}/whoami/", token)
    assert_invalid_token(response)
    rejections = [r for r in caplog.records if "API request rejected" in r.message]
    assert len(rejections) == 1, caplog.text
    assert token not in caplog.text
    if kind == DRF:
        assert response.json() == {
            "detail": "The access token is invalid or has expired"
        }
    else:
        assert response.json()["error"] == "invalid_token"


@BOTH
def test_dpop_bound_token_is_refused_only_for_its_binding(live_server, tenant, kind):
    """The same claims without ``cnf`` are accepted: the refusal is the binding's."""
    claims = claims_of(tenant)
    assert call(live_server, f"{kind}/reports/", tenant.sign(claims)).status_code == 200
    bound = tenant.sign({**claims, "cnf": {"jkt": client_key_jkt()}})
    assert_invalid_token(call(live_server, f"{kind}/reports/", bound))
    assert_invalid_token(call(live_server, "/api/async-reports/", bound))


# -- the Authorization header --------------------------------------------------


@BOTH
def test_no_token_is_401_without_error(live_server, kind):
    response = call(live_server, f"{kind}/whoami/")
    assert response.status_code == 401
    assert challenge(response) == f'Bearer realm="api", {DPOP_CHALLENGE}'


@BOTH
def test_other_scheme_is_no_token(live_server, kind):
    response = call(live_server, f"{kind}/whoami/", header="Basic dXNlcjpwYXNz")
    assert response.status_code == 401
    assert challenge(response) == f'Bearer realm="api", {DPOP_CHALLENGE}'


@BOTH
@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer  x.y.z"]
)
def test_malformed_header_is_invalid_request(live_server, kind, header):
    response = call(live_server, f"{kind}/whoami/", header=header)
    assert response.status_code == 400, response.text
    assert 'error="invalid_request"' in challenge(response)


@BOTH
def test_token_in_query_string_is_refused(live_server, tenant, kind):
    token = tenant.access_token_for(ADA)
    response = call(live_server, f"{kind}/whoami/?access_token={token}")
    assert response.status_code == 400
    assert 'error="invalid_request"' in challenge(response)


@BOTH
def test_token_in_form_body_is_not_a_token(live_server, tenant, kind):
    token = tenant.access_token_for(ADA)
    response = call(
        live_server, f"{kind}/whoami/", method="post", data={"access_token": token}
    )
    assert response.status_code == 401
    assert challenge(response) == f'Bearer realm="api", {DPOP_CHALLENGE}'


@BOTH
def test_oversized_token_is_refused_before_parsing(live_server, kind):
    response = call(live_server, f"{kind}/whoami/", "a" * (128 * 1024 + 1))
    assert response.status_code in (400, 431)  # the server may refuse it first


@pytest.mark.parametrize("view", [reports, DrfReports.as_view()], ids=["plain", "drf"])
def test_a_refused_request_is_not_kept_alive_by_its_error(rf, view):
    """Raising one module-level exception instance appends each raise's frames
    (holding the request) to its ``__traceback__``: every request without a
    token would be kept for the life of the process. The errors raised are
    fresh copies: the templates keep no traceback, and nothing keeps the
    request once its response is gone."""
    request = rf.get("/api/reports/")
    assert view(request).status_code == 401
    kept = weakref.ref(request)
    del request
    gc.collect()
    assert kept() is None
    assert (NO_TOKEN.__traceback__, UNAVAILABLE.__traceback__) == (None, None)
    assert (NO_TOKEN.__context__, UNAVAILABLE.__context__) == (None, None)


# Plain Django only: DRF's content negotiation reads query_params (the
# ``format`` override) before any authentication class runs.
@pytest.mark.parametrize("path", ["/api/reports/"])
def test_query_string_flood_is_an_rfc6750_error_without_error_logs(
    client, settings, caplog, path
):
    """bearer_token() reads request.GET: a query string over
    DATA_UPLOAD_MAX_NUMBER_FIELDS raised TooManyFieldsSent, which Django
    answers with an HTML 400 and an ERROR log line, per anonymous request."""
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    flood = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))
    with caplog.at_level(logging.WARNING):
        response = client.get(f"{path}?{flood}&x=1")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert 'error="invalid_request"' in response["WWW-Authenticate"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_post_needs_no_csrf_token(tenant, client):
    """No cookie authenticates a bearer request: CSRF does not apply."""
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    headers = tenant.bearer_headers(ADA)
    assert csrf_client.post("/api/whoami/", headers=headers).status_code == 200
    assert csrf_client.post("/drf/whoami/", headers=headers).status_code == 200


# -- scopes ---------------------------------------------------------------------


@BOTH
def test_missing_scope_is_403_insufficient_scope(live_server, tenant, kind):
    token = tenant.access_token_for(ADA, scopes=["write:reports"])
    response = call(live_server, f"{kind}/reports/", token)
    assert response.status_code == 403, response.text
    assert challenge(response) == (
        'Bearer realm="api", error="insufficient_scope", '
        'error_description="The access token does not grant the scope this '
        'request needs", scope="read:reports", ' + DPOP_CHALLENGE
    )


@BOTH
def test_permissions_claim_grants_only_when_configured(
    live_server, tenant, kind, settings
):
    token = tenant.access_token_for(ADA, scopes=[], permissions=["read:reports"])
    assert call(live_server, f"{kind}/reports/", token).status_code == 403
    settings.SOCIAL_AUTH_AUTH0_API_SCOPES_CLAIM = "permissions"
    assert call(live_server, f"{kind}/reports/", token).status_code == 200
    scoped = tenant.access_token_for(ADA, scopes=["read:reports"], permissions=[])
    assert call(live_server, f"{kind}/reports/", scoped).status_code == 403
    settings.SOCIAL_AUTH_AUTH0_API_SCOPES_CLAIM = "both"
    assert call(live_server, f"{kind}/reports/", token).status_code == 200
    assert call(live_server, f"{kind}/reports/", scoped).status_code == 200


# -- organizations: the site's rules apply to access tokens -------------------------

ACME, GLOBEX = "org_acme0000000000", "org_globex00000000"
ORG_CASES = {
    # settings -> {token's org_id (None: no org_id): accepted?}
    "neither_setting": ({}, {None: True, ACME: False}),
    "organization": (
        {"ORGANIZATION": ACME},
        {ACME: True, GLOBEX: False, None: False},
    ),
    "allowed": (
        {"ALLOWED_ORGANIZATIONS": [ACME]},
        {ACME: True, GLOBEX: False, None: True},
    ),
    "allowed_any_required": (
        {"ALLOWED_ORGANIZATIONS": "*", "ORGANIZATION_REQUIRED": True},
        {ACME: True, GLOBEX: True, None: False},
    ),
    "rules_off": (
        {"ORGANIZATION": ACME, "API_ORGANIZATION_RULES": False},
        {ACME: True, GLOBEX: True, None: True},
    ),
}


def org_token(tenant, org_id):
    extra = {} if org_id is None else {"org_id": org_id}
    return tenant.access_token_for(ADA, scopes=["read:reports"], **extra)


@BOTH
@pytest.mark.parametrize("case", sorted(ORG_CASES))
def test_organization_rules_apply_to_access_tokens(
    live_server, tenant, kind, settings, case, caplog
):
    """ORGANIZATION, ALLOWED_ORGANIZATIONS and ORGANIZATION_REQUIRED decide
    which organizations' tokens the API accepts, as for logins; a refusal is a
    401 invalid_token, logged once (API_ORGANIZATION_RULES = False opts out)."""
    overrides, expected = ORG_CASES[case]
    for name, value in overrides.items():
        setattr(settings, f"SOCIAL_AUTH_AUTH0_{name}", value)
    for org_id, accepted in expected.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="social_auth0"):
            response = call(live_server, f"{kind}/reports/", org_token(tenant, org_id))
        if accepted:
            assert response.status_code == 200, (org_id, response.text)
        else:
            assert_invalid_token(response)
            assert "org_id" in caplog.text, org_id
            rejections = [r for r in caplog.records if "rejected" in r.message]
            assert len(rejections) == 1, caplog.text


@BOTH
def test_organization_by_name_needs_org_name(live_server, tenant, kind, settings):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = "Acme"
    named = org_token(tenant, None)
    assert_invalid_token(call(live_server, f"{kind}/reports/", named))
    named = tenant.access_token_for(
        ADA, scopes=["read:reports"], org_id=ACME, org_name="ACME"
    )
    assert call(live_server, f"{kind}/reports/", named).status_code == 200


@BOTH
@pytest.mark.parametrize("org_id", ["acme", 42, ["org_x"], "org_" + "x" * 200])
def test_malformed_org_id_is_invalid_token(live_server, tenant, kind, org_id, settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    assert_invalid_token(
        call(live_server, f"{kind}/reports/", org_token(tenant, org_id))
    )


def test_api_organization_rules_must_be_a_boolean(client, tenant, settings):
    """Caught at startup by E066; at run time it is the site's fault, loudly."""
    from django.core.exceptions import ImproperlyConfigured

    settings.SOCIAL_AUTH_AUTH0_API_ORGANIZATION_RULES = "False"
    with pytest.raises(ImproperlyConfigured, match="API_ORGANIZATION_RULES"):
        client.get("/api/whoami/", headers=tenant.bearer_headers(ADA))


# -- keys: fetched once, refetched at most once per interval -----------------------


@BOTH
def test_jwks_fetched_once_for_many_requests(live_server, tenant, kind):
    tenant.clear_requests()
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    for _ in range(20):
        assert call(live_server, f"{kind}/reports/", token).status_code == 200
    assert tenant.count("/.well-known/jwks.json") == 1
    assert len(tenant.requests) == 1


@BOTH
def test_unknown_kid_flood_costs_one_refetch_per_interval(live_server, tenant, kind):
    token = tenant.access_token_for(ADA)
    assert call(live_server, f"{kind}/whoami/", token).status_code == 200
    tenant.clear_requests()
    forger = Signer("forged")
    for index in range(40):
        forger.kid = f"forged-{index}"
        forged = forger.sign(claims_of(tenant))
        assert_invalid_token(call(live_server, f"{kind}/whoami/", forged))
    assert tenant.count("/.well-known/jwks.json") == 1  # one refetch, then none
    assert call(live_server, f"{kind}/whoami/", token).status_code == 200


@BOTH
def test_rotated_key_is_picked_up(live_server, tenant, kind):
    token = tenant.access_token_for(ADA)
    assert call(live_server, f"{kind}/whoami/", token).status_code == 200
    tenant.rotate_keys()
    rotated = tenant.access_token_for(ADA)
    assert call(live_server, f"{kind}/whoami/", rotated).status_code == 200


@BOTH
def test_tenant_down_is_503_not_500(live_server, tenant, kind, settings):
    from tests.support.ports import free_port

    down = f"http://127.0.0.1:{free_port()}"
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = down
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 1
    # A token of the down domain (another iss is refused without a request).
    token = tenant.access_token_for(ADA, iss=f"{down}/")
    response = call(live_server, f"{kind}/whoami/", token)
    assert response.status_code == 503, response.text


# -- counts: no network, no database per request --------------------------------


@pytest.mark.django_db
@BOTH
def test_no_network_and_no_query_per_request_after_the_first(
    client, tenant, kind, django_assert_num_queries
):
    headers = tenant.bearer_headers(ADA, scopes=["read:reports"])
    assert client.get(f"{kind}/reports/", headers=headers).status_code == 200
    tenant.clear_requests()
    with django_assert_num_queries(0):
        for _ in range(10):
            response = client.get(f"{kind}/reports/", headers=headers)
            assert response.status_code == 200
    assert tenant.requests == []


# -- linked-user mode -------------------------------------------------------------


@pytest.fixture
def linked(settings):
    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    user = get_user_model().objects.create_user("ada", "ada@example.com")
    UserSocialAuth.objects.create(user=user, provider="auth0", uid=ADA.sub)
    return user


@pytest.mark.django_db(transaction=True)
@BOTH
def test_linked_user_mode_gives_the_django_user(live_server, tenant, kind, linked):
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    response = call(live_server, f"{kind}/reports/", token)
    assert response.status_code == 200, response.text
    assert response.json()["pk"] == linked.pk
    assert response.json()["user"] == "ada"


@pytest.mark.django_db(transaction=True)
@BOTH
def test_linked_user_mode_refuses_unlinked_sub(live_server, tenant, kind, linked):
    token = tenant.access_token_for(sub="auth0|nobody", scopes=["read:reports"])
    assert_invalid_token(call(live_server, f"{kind}/reports/", token))


@pytest.mark.django_db(transaction=True)
@BOTH
def test_linked_user_mode_refuses_inactive_user(live_server, tenant, kind, linked):
    linked.is_active = False
    linked.save()
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    assert_invalid_token(call(live_server, f"{kind}/reports/", token))


@pytest.mark.django_db(transaction=True)
@BOTH
def test_linked_user_mode_refuses_machine_token(live_server, tenant, kind, linked):
    token = tenant.machine_token(M2M_CLIENT, scopes=["read:reports"])
    assert_invalid_token(call(live_server, f"{kind}/reports/", token))


@pytest.mark.django_db
@BOTH
def test_linked_user_mode_costs_one_query(
    client, tenant, kind, linked, django_assert_num_queries
):
    headers = tenant.bearer_headers(ADA, scopes=["read:reports"])
    assert client.get(f"{kind}/reports/", headers=headers).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(f"{kind}/reports/", headers=headers).status_code == 200


# -- DRF is optional ----------------------------------------------------------------


def test_nothing_imports_rest_framework_unless_contrib_drf_is_imported():
    code = (
        "import os, sys, json, django;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "django.setup();"
        "import social_auth0, social_auth0.resource, social_auth0.backend,"
        " social_auth0.checks, social_auth0.views, social_auth0.urls,"
        " social_auth0.contrib, social_auth0.testing;"
        "from django.core.management import call_command;"
        "call_command('check');"
        "print(json.dumps(sorted(m for m in sys.modules if 'rest_framework' in m)))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_contrib_drf_without_rest_framework_says_how_to_install():
    code = (
        "import sys; sys.modules['rest_framework'] = None\n"
        "try:\n    import social_auth0.contrib.drf\n"
        "except ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "pip install 'social-auth0[drf]'" in result.stdout, result.stderr


def test_missing_audience_is_improperly_configured(client, tenant, settings):
    """Caught at startup by E060; at run time it is the site's fault, loudly."""
    from django.core.exceptions import ImproperlyConfigured

    del settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE
    with pytest.raises(ImproperlyConfigured, match="API_AUDIENCE"):
        client.get("/api/whoami/", headers=tenant.bearer_headers(ADA))
