"""Where the enterprise features meet: tokens for many APIs (MRRT), DPoP as a
client, custom domains, private_key_jwt, pushed authorization requests and MFA
at refresh, combined two at a time, over loopback against the tenant emulator
(which serves ``127.0.0.1`` and ``localhost`` as two domains of one tenant)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from social_core.exceptions import AuthConfigurationError

from social_auth0.access import (
    AccessTokenAuth,
    BearerAuth,
    MfaRequired,
    get_access_token,
    mfa_step_up,
)
from social_auth0.backend import backend_for
from social_auth0.jwt import assertion, compact, proof
from social_auth0.login.stepup import MFA_ACR
from social_auth0.models import Auth0Session, Auth0Token
from social_auth0.testing import ClientKey
from social_auth0.user_tokens import refresh
from social_auth0.user_tokens import store as token_store
from tests.flows.test_custom_domains import DOMAIN_HEADER, finish, start
from tests.support.tenants import ADA
from tests.support.tokens import private_pem
from tests.user_tokens.test_access import API, request_of, store_tokens

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.dpop_client_urls"),
]

CLIENT = "test-client-id"
RESOLVER = "tests.flows.test_custom_domains.resolver"  # reads DOMAIN_HEADER
BILLING = "https://billing.example.com/"
READ = "read:invoices"
CLIENT_KEY = ClientKey()
DPOP_KEY = private_pem(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(scope="module")
def tenant(tenant, live_server):
    tenant.applications[CLIENT].access_token_lifetime = 300
    tenant.add_api(BILLING, [READ])
    return tenant


@pytest.fixture(scope="module")
def second(tenant) -> str:
    return tenant.add_custom_domain("localhost")


@pytest.fixture(autouse=True)
def site(use_tenant, tenant, settings, second):
    """Tokens stored and refreshed with rotation; two domains, the resolver
    reading a header; BILLING covered by a refresh-token policy."""
    store_tokens(tenant, settings)
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = [second]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER = RESOLVER
    settings.SOCIAL_AUTH_AUTH0_APIS = {BILLING: [READ]}
    app = tenant.applications[CLIENT]
    app.refresh_token_policies = []
    tenant.add_refresh_token_policy(CLIENT, BILLING, [READ])
    tenant.dpop_nonce = None
    proof.forget_nonces()
    yield
    app.refresh_token_policies = []
    app.client_keys.clear()
    app.accept_client_secret = True
    tenant.pushed_authorization_requests = False
    tenant.dpop_nonce = None


@pytest.fixture
def dpop(settings):
    settings.SOCIAL_AUTH_AUTH0_DPOP = True
    settings.SOCIAL_AUTH_AUTH0_DPOP_KEY = DPOP_KEY
    return proof.load_key(DPOP_KEY).jkt


@pytest.fixture
def signed(tenant, settings):
    """private_key_jwt only: the tenant refuses the secret."""
    tenant.register_client_key(CLIENT_KEY.jwks)
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = CLIENT_KEY.private_pem


def login_at(tenant, domain: str) -> Client:
    client = Client()
    tenant.browser.cookies.clear()
    assert finish(client, tenant, start(client, domain))["Location"] == "/done/"
    return client


def token_posts(tenant, grant_type: str) -> list:
    return [
        r
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == grant_type
    ]


def header(record, name: str) -> str:
    (value,) = [v for k, v in record.headers.items() if k.lower() == name.lower()]
    return value


def claims_of(token: str) -> dict:
    return json.loads(compact.b64url_decode(token.split(".")[1]))


# 1. MRRT + DPoP as a client -------------------------------------------------------


def test_a_token_for_another_api_is_dpop_bound_and_called_with_a_proof(
    tenant, settings, dpop, live_server
):
    request = request_of(login_at(tenant, tenant.domain))
    tenant.clear_requests()

    token = get_access_token(request, audience=BILLING, scope=READ)

    (exchange,) = token_posts(tenant, "refresh_token")
    assert exchange.form["audience"] == BILLING
    sent = json.loads(compact.b64url_decode(header(exchange, "DPoP").split(".")[1]))
    assert sent["htu"] == f"{tenant.domain}/oauth/token"
    assert claims_of(token)["cnf"] == {"jkt": dpop}
    row = Auth0Token.objects.get(user=request.user, audience=BILLING)
    assert READ in row.scope.split()
    assert (row.token_type, row.dpop_jkt) == ("DPoP", dpop)

    # The site's own API for BILLING, DPoP required: AccessTokenAuth proves it.
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = BILLING
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "required"
    url = f"{live_server.url}/api/whoami/"
    sent_requests = []
    answer = requests.get(
        url,
        auth=AccessTokenAuth(request, audience=BILLING, scope=READ),
        hooks={"response": lambda r, **_: sent_requests.append(r.request)},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == ADA.sub
    (prepared,) = sent_requests
    assert prepared.headers["Authorization"] == f"DPoP {token}"
    api_proof = claims_of(prepared.headers["DPoP"])
    assert api_proof["ath"] == proof.access_token_hash(token)
    assert api_proof["htu"] == url
    with pytest.raises(AuthConfigurationError):
        requests.get(url, auth=BearerAuth(request, audience=BILLING), timeout=5)
    assert len(token_posts(tenant, "refresh_token")) == 1  # served from the row


# 2. MRRT + private_key_jwt ---------------------------------------------------------


def test_the_exchange_for_another_api_sends_an_assertion_and_no_secret(tenant, signed):
    request = request_of(login_at(tenant, tenant.domain))
    tenant.clear_requests()

    assert get_access_token(request, audience=BILLING, scope=READ)

    (exchange,) = token_posts(tenant, "refresh_token")
    assert exchange.status == 200
    assert exchange.form["audience"] == BILLING
    assert exchange.form["client_assertion_type"] == assertion.ASSERTION_TYPE
    assert exchange.form["client_assertion"] == "[redacted]"
    assert "client_secret" not in exchange.form
    assert not header_names(exchange) & {"authorization"}


def header_names(record) -> set[str]:
    return {k.lower() for k in record.headers}


# 3. Custom domains + private_key_jwt -----------------------------------------------


def test_a_login_on_the_second_domain_signs_for_its_issuer(
    tenant, second, signed, monkeypatch
):
    audiences = []
    sign = assertion.sign_assertion

    def keep(key, claims, **kwargs):
        audiences.append(claims["aud"])
        return sign(key, claims, **kwargs)

    monkeypatch.setattr(assertion, "sign_assertion", keep)
    tenant.clear_requests()
    client = login_at(tenant, second)

    (code,) = token_posts(tenant, "authorization_code")
    assert code.status == 200
    assert code.headers["Host"] == urlsplit(second).netloc
    assert audiences == [f"{second}/"]
    assert client.session["_auth_user_id"]
    assert Auth0Session.objects.get().issuer == f"{second}/"


def test_the_emulator_checks_the_assertion_aud_against_the_domain_asked(
    tenant, second, signed
):
    """An assertion for the first domain's issuer, sent to the second's token
    endpoint, is refused: Auth0 wants the issuer of the domain in use."""
    first = CLIENT_KEY.assertion(tenant)  # aud: the first domain's issuer
    answer = requests.post(
        f"{second}/oauth/revoke",
        data={
            "token": "x",
            "client_assertion_type": assertion.ASSERTION_TYPE,
            "client_assertion": first,
        },
        timeout=5,
    )
    assert answer.status_code == 401
    assert "aud" in answer.json()["error_description"]
    with tenant.on_domain(second):
        mine = CLIENT_KEY.assertion(tenant)
    answer = requests.post(
        f"{second}/oauth/revoke",
        data={
            "token": "x",
            "client_assertion_type": assertion.ASSERTION_TYPE,
            "client_assertion": mine,
        },
        timeout=5,
    )
    assert answer.status_code == 200


def test_a_refresh_of_a_second_domain_login_keeps_the_same_user(tenant, second, signed):
    """The refresh goes to DOMAIN (documented); its ID token's iss is then
    DOMAIN's, and the identity is the same user's: nothing dropped."""
    request = request_of(login_at(tenant, second))
    before = token_store.load(request.user.pk, API)
    tenant.clear_requests()

    assert get_access_token(request, min_ttl=400)

    (sent,) = token_posts(tenant, "refresh_token")
    assert sent.status == 200
    assert sent.headers["Host"] == urlsplit(tenant.domain).netloc
    after = token_store.load(request.user.pk, API)
    assert after is not None and after.refresh_token != before.refresh_token
    assert get_access_token(request, audience=BILLING, scope=READ)


def test_a_refresh_at_the_second_domain_keeps_the_same_user(tenant, second, signed):
    """A backend pinned to the second domain (Auth0 accepts a refresh at any
    of the tenant's domains) gets an ID token and an API token whose iss is
    that domain's: both verify, the identity is the login's, nothing dropped."""
    request = request_of(login_at(tenant, tenant.domain))
    backend = backend_for(request)
    backend.use_domain(second)
    tenant.clear_requests()

    assert refresh.access_token_for(backend, request.user, min_ttl=400)
    assert refresh.access_token_for(backend, request.user, audience=BILLING, scope=READ)

    sent = token_posts(tenant, "refresh_token")
    assert [r.status for r in sent] == [200, 200]
    assert {r.headers["Host"] for r in sent} == {urlsplit(second).netloc}
    assert Auth0Token.objects.filter(user=request.user).count() == 2


# 4. Custom domains + DPoP as a client ----------------------------------------------


def test_the_proof_at_the_second_domain_names_its_token_url(tenant, second, dpop):
    tenant.dpop_nonce = "nonce-2"
    request = request_of(login_at(tenant, second))

    first, retried = token_posts(tenant, "authorization_code")
    assert (first.status, retried.status) == (400, 200)
    for record in (first, retried):
        assert claims_of(header(record, "DPoP"))["htu"] == f"{second}/oauth/token"
    tokens = token_store.load(request.user.pk, API)
    assert (tokens.token_type, tokens.dpop_jkt) == ("DPoP", dpop)


# 5. Custom domains + PAR -----------------------------------------------------------


def test_a_pushed_login_on_the_second_domain_stays_on_it(tenant, second, settings):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    tenant.pushed_authorization_requests = True
    client = Client()
    tenant.browser.cookies.clear()
    authorize = start(client, second)

    assert authorize.startswith(f"{second}/authorize?")
    assert set(parse_qs(urlsplit(authorize).query)) == {"client_id", "request_uri"}
    (push,) = [r for r in tenant.requests if r.path == "/oauth/par"]
    assert (push.status, push.headers["Host"]) == (201, urlsplit(second).netloc)
    assert finish(client, tenant, authorize)["Location"] == "/done/"
    assert Auth0Session.objects.get().issuer == f"{second}/"


# 6. Custom domains + MFA at refresh ------------------------------------------------


def test_mfa_step_up_with_a_resolver_logs_in_at_a_configured_domain(tenant, second):
    client = login_at(tenant, second)
    tenant.require_mfa_at_refresh(API)
    view = client.get("/done/", headers={DOMAIN_HEADER: second}).wsgi_request
    with pytest.raises(MfaRequired):
        get_access_token(view, min_ttl=400)

    step_up = mfa_step_up(view)
    view.session.save()  # as the middleware would
    assert step_up.status_code == 302
    # The login page's form; the resolver would answer DOMAIN (the header is
    # the first domain's), the step-up is the second domain login's.
    response = client.post(
        "/login/auth0/",
        {"next": "/done/"},
        headers={DOMAIN_HEADER: tenant.domain},
    )
    authorize = response["Location"]
    assert authorize.startswith(f"{second}/authorize?")
    assert parse_qs(urlsplit(authorize).query)["acr_values"] == [MFA_ACR]
    with tenant.on_domain(second):
        callback = tenant.login_with_mfa(authorize, ADA.email, ADA.password)
    assert client.get(callback.removeprefix("http://testserver"))["Location"] == (
        "/done/"
    )
    assert get_access_token(request_of(client), min_ttl=400)


# 7. DPoP as a client + PAR ---------------------------------------------------------


def test_a_pushed_login_with_dpop_binds_the_tokens(tenant, settings, dpop):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    tenant.pushed_authorization_requests = True
    request = request_of(login_at(tenant, tenant.domain))

    (push,) = [r for r in tenant.requests if r.path == "/oauth/par"]
    assert push.status == 201
    # No dpop_jkt (RFC 9449 section 10, optional): the code is bound to this
    # login by PKCE already; the exchange proves the key.
    assert "dpop_jkt" not in push.form
    (code,) = token_posts(tenant, "authorization_code")
    assert claims_of(header(code, "DPoP"))["htu"] == f"{tenant.domain}/oauth/token"
    tokens = token_store.load(request.user.pk, API)
    assert (tokens.token_type, tokens.dpop_jkt) == ("DPoP", dpop)
    assert claims_of(tokens.access_token)["cnf"] == {"jkt": dpop}
