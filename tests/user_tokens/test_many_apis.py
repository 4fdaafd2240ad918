"""Tokens for other APIs with the login's refresh token (Auth0's multi-resource
refresh tokens: ``get_access_token(request, audience=..., scope=...)``), over
loopback against the emulator: the exchange, scope coverage, Auth0's silent
fallback to the default audience, rotation on and off, ``APIS``, the async
face, and what logout and a new login do with these tokens."""

from __future__ import annotations

import logging
import time

import pytest
import requests
import responses
from django.core import checks
from django.test import override_settings
from social_core.exceptions import AuthConfigurationError, AuthResponseError

from social_auth0.access import (
    BearerAuth,
    ReauthenticationRequired,
    aget_access_token,
    get_access_token,
)
from social_auth0.backend import backend_for
from social_auth0.jwt.verify import verify_access_token
from social_auth0.models import Auth0Token
from social_auth0.user_tokens import refresh
from social_auth0.user_tokens import store as token_store
from tests.support.asgi import blocking_calls_on_the_loop, run_async
from tests.support.docs import doc_block
from tests.support.tenants import ADA
from tests.user_tokens.test_access import (
    API,
    later,
    login,
    refreshes,
    request_of,
    stored,
)
from tests.user_tokens.test_access import tenant as tenant  # noqa: F401, PLC0414
from tests.user_tokens.test_access import use_tenant as use_tenant  # noqa: F401, PLC0414

pytestmark = pytest.mark.django_db(transaction=True)

BILLING = "https://billing.example.com/"
SHIPPING = "https://shipping.example.com/"
READ, WRITE = "read:invoices", "write:invoices"
CLIENT = "test-client-id"


@pytest.fixture(autouse=True)
def apis(tenant, settings):
    """BILLING has a refresh-token policy (read and write); SHIPPING, an API
    of the tenant the site lists too, has none."""
    tenant.add_api(API)
    tenant.add_api(BILLING, [READ, WRITE])
    tenant.add_api(SHIPPING, ["read:parcels"])
    app = tenant.applications[CLIENT]
    app.refresh_token_policies = []
    tenant.add_refresh_token_policy(CLIENT, BILLING, [READ, WRITE])
    settings.SOCIAL_AUTH_AUTH0_APIS = {
        BILLING: [READ, WRITE],
        SHIPPING: ["read:parcels"],
    }
    yield
    app.refresh_token_policies = []


def claims_of(tenant, token: str, audience: str) -> dict:
    backend = backend_for(None)
    return verify_access_token(
        backend,
        token,
        backend.tenant_keys().lookup,
        issuer=tenant.issuer,
        client_id=CLIENT,
        audience=audience,
        leeway=60,
        now=tenant.clock(),
    )


def exchanges(tenant, audience: str) -> list:
    return [
        r
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("audience") == audience
    ]


def at_both_ends(monkeypatch, tenant, seconds: float) -> None:
    """Move our clock and the tenant's: the exchanged tokens are verified."""
    later(monkeypatch, seconds)
    monkeypatch.setattr(tenant, "clock", lambda: time.time() + seconds)


def api_rows(audience: str = BILLING) -> list[Auth0Token]:
    return list(Auth0Token.objects.filter(audience=audience).exclude(scope_key=""))


# -- the exchange ------------------------------------------------------------------


def test_a_token_for_another_api_is_got_with_the_login_refresh_token(tenant):
    request = request_of(login(tenant))
    before = stored(request)

    token = get_access_token(request, audience=BILLING, scope=READ)

    claims = claims_of(tenant, token, BILLING)
    assert claims["sub"] == ADA.sub
    assert READ in claims["scope"].split()
    (sent,) = exchanges(tenant, BILLING)
    assert (sent.form["grant_type"], sent.form["scope"]) == ("refresh_token", READ)
    # The family's one refresh token rotated, and the login row keeps it.
    after = stored(request)
    assert after.refresh_token != before.refresh_token
    assert tenant.state.refresh_token_state(before.refresh_token) == "spent"
    assert tenant.state.refresh_token_state(after.refresh_token) == "active"
    assert after.access_token == before.access_token  # the login's own is kept
    (row,) = api_rows()
    assert (row.refresh_token, row.login_stamp) == ("", after.login_stamp)
    assert token not in row.access_token
    assert token_store.decrypt(row.access_token) == token


def test_a_stored_token_for_the_api_is_served_without_a_request(tenant):
    request = request_of(login(tenant))
    token = get_access_token(request, audience=BILLING, scope=READ)
    tenant.clear_requests()

    assert get_access_token(request, audience=BILLING, scope=[READ]) == token
    assert get_access_token(request, audience=BILLING) == token
    assert tenant.requests == []


def test_the_smallest_stored_set_covering_the_scopes_is_served(tenant):
    request = request_of(login(tenant))
    read_only = get_access_token(request, audience=BILLING, scope=READ)
    both = get_access_token(request, audience=BILLING, scope=f"{WRITE} {READ}")
    tenant.clear_requests()

    assert len(api_rows()) == 2
    assert get_access_token(request, audience=BILLING, scope=READ) == read_only
    assert get_access_token(request, audience=BILLING, scope=WRITE) == both
    assert get_access_token(request, audience=BILLING) == read_only
    assert tenant.requests == []


def test_an_expiring_token_for_the_api_is_exchanged_again(tenant, monkeypatch):
    request = request_of(login(tenant))
    get_access_token(request, audience=BILLING, scope=READ)
    at_both_ends(monkeypatch, tenant, 3600)

    token = get_access_token(request, audience=BILLING, scope=READ)

    assert len(exchanges(tenant, BILLING)) == 2
    assert claims_of(tenant, token, BILLING)["sub"] == ADA.sub
    assert len(api_rows()) == 1  # the same (user, audience, scope) row
    assert tenant.state.reuse_detections == 0


def test_exchanges_for_several_apis_share_the_one_refresh_token(tenant, monkeypatch):
    """Each exchange spends the token the previous one stored: no reuse."""
    request = request_of(login(tenant))
    seen = [stored(request).refresh_token]
    for scope in (READ, WRITE, f"{READ} {WRITE}"):
        get_access_token(request, audience=BILLING, scope=scope)
        seen.append(stored(request).refresh_token)
    later(monkeypatch, 3600)
    assert claims_of(tenant, get_access_token(request), API)["sub"] == ADA.sub
    seen.append(stored(request).refresh_token)

    assert len(set(seen)) == 5
    assert refreshes(tenant) == 4
    assert tenant.state.reuse_detections == 0
    assert tenant.state.revoked_families() == set()


def test_the_login_audience_with_a_scope_is_a_narrower_token(tenant):
    request = request_of(login(tenant))

    token = get_access_token(request, scope="offline_access")

    (sent,) = exchanges(tenant, API)
    assert sent.form["scope"] == "offline_access"
    assert claims_of(tenant, token, API)["scope"] == "offline_access"
    assert get_access_token(request) == stored(request).access_token != token


def test_a_scope_the_login_never_asks_for_is_refused_without_a_request(tenant):
    """A site passing a request's value as ``scope`` for its own API: no
    exchange, no stored row per value."""
    request = request_of(login(tenant))
    before = api_rows(API)

    with pytest.raises(AuthConfigurationError) as caught:
        get_access_token(request, scope="offline_access admin:everything")

    assert (caught.value.code, caught.value.parameter) == ("invalid_setting", "SCOPE")
    assert "admin:everything" in caught.value.detail
    assert refreshes(tenant) == 0
    assert api_rows(API) == before


# -- Auth0's silent fallback -----------------------------------------------------


def test_a_token_for_the_default_audience_instead_is_refused(tenant, caplog):
    """No refresh-token policy covers SHIPPING: Auth0 answers for the login's
    API. Not handed out, not stored; the rotated refresh token is kept."""
    request = request_of(login(tenant))
    before = stored(request)

    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        with pytest.raises(AuthResponseError) as caught:
            get_access_token(request, audience=SHIPPING)

    assert (caught.value.code, caught.value.claim) == (refresh.POLICY_MISSING, "aud")
    assert caught.value.stage == "refresh"
    assert "refresh_token.policies" in caught.value.detail
    assert SHIPPING in caught.value.detail
    assert api_rows(SHIPPING) == [] and api_rows(API) == []
    after = stored(request)
    assert after.access_token == before.access_token
    assert tenant.state.refresh_token_state(after.refresh_token) == "active"
    assert not after.exchange_in_doubt
    # The family lives on: another exchange spends the kept token.
    assert get_access_token(request, audience=BILLING, scope=READ)
    assert tenant.state.reuse_detections == 0
    assert [r for r in caplog.records if before.refresh_token in r.getMessage()] == []


def test_a_policy_for_an_api_the_tenant_lacks_is_the_same_fallback(tenant):
    tenant.apis.pop(SHIPPING)
    tenant.add_refresh_token_policy(CLIENT, SHIPPING, ["read:parcels"])
    request = request_of(login(tenant))

    with pytest.raises(AuthResponseError) as caught:
        get_access_token(request, audience=SHIPPING, scope="read:parcels")

    assert caught.value.code == refresh.POLICY_MISSING
    assert api_rows(SHIPPING) == []


def test_a_token_without_the_scope_asked_for_is_refused(tenant):
    app = tenant.applications[CLIENT]
    app.refresh_token_policies = []
    tenant.add_refresh_token_policy(CLIENT, BILLING, [READ])
    request = request_of(login(tenant))

    with pytest.raises(AuthResponseError) as caught:
        get_access_token(request, audience=BILLING, scope=f"{READ} {WRITE}")

    assert (caught.value.code, caught.value.claim) == (refresh.POLICY_MISSING, "scope")
    assert WRITE in caught.value.detail
    assert api_rows() == []


# -- rotation off (Auth0's Token Vault needs it) ---------------------------------


def test_without_rotation_an_api_exchange_keeps_the_refresh_token(tenant, monkeypatch):
    tenant.applications[CLIENT].refresh_token_rotation = False
    request = request_of(login(tenant))
    before = stored(request)

    get_access_token(request, audience=BILLING, scope=READ)
    get_access_token(request, audience=BILLING, scope=WRITE)
    later(monkeypatch, 3600)
    get_access_token(request)

    after = stored(request)
    assert after.refresh_token == before.refresh_token
    assert tenant.state.refresh_token_state(after.refresh_token) == "active"
    assert not after.exchange_in_doubt
    assert refreshes(tenant) == 3
    assert len(api_rows()) == 2


# -- APIS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "scope", "detail"),
    [
        ("https://payroll.example.com/", None, "is not in SOCIAL_AUTH_AUTH0_APIS"),
        (BILLING, "delete:invoices", "does not list 'delete:invoices'"),
    ],
)
def test_an_api_or_scope_apis_does_not_list_is_refused(tenant, audience, scope, detail):
    request = request_of(login(tenant))

    with pytest.raises(AuthConfigurationError) as caught:
        get_access_token(request, audience=audience, scope=scope)

    assert (caught.value.code, caught.value.parameter) == ("invalid_setting", "APIS")
    assert detail in caught.value.detail
    assert refreshes(tenant) == 0


def test_a_malformed_apis_is_refused(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_APIS = {BILLING: READ}  # a string, not a list
    request = request_of(login(tenant))

    with pytest.raises(AuthConfigurationError) as caught:
        get_access_token(request, audience=BILLING, scope=READ)

    assert caught.value.parameter == "APIS"
    assert refreshes(tenant) == 0


def test_without_apis_only_the_login_audience_is_served(tenant, settings):
    del settings.SOCIAL_AUTH_AUTH0_APIS
    request = request_of(login(tenant))

    assert get_access_token(request, audience=API) == stored(request).access_token
    with pytest.raises(AuthConfigurationError):
        get_access_token(request, audience=BILLING)


# -- async, BearerAuth -----------------------------------------------------------


def test_aget_access_token_gets_a_token_for_another_api(tenant):
    request = request_of(login(tenant))

    async def both():
        first = await aget_access_token(request, audience=BILLING, scope=READ)
        again = await aget_access_token(request, audience=BILLING, scope=READ)
        return first, again

    with blocking_calls_on_the_loop() as blocking:
        first, again = run_async(both)

    assert first == again
    assert claims_of(tenant, first, BILLING)["sub"] == ADA.sub
    assert len(exchanges(tenant, BILLING)) == 1
    assert blocking == []


def test_aget_access_token_refuses_the_fallback(tenant):
    request = request_of(login(tenant))

    with pytest.raises(AuthResponseError) as caught:
        run_async(aget_access_token, request, audience=SHIPPING)

    assert caught.value.code == refresh.POLICY_MISSING


def test_bearer_auth_sends_the_token_for_the_api(tenant):
    request = request_of(login(tenant))
    prepared = requests.Request("GET", "https://billing.example.com/invoices").prepare()

    BearerAuth(request, audience=BILLING, scope=READ)(prepared)

    scheme, token = prepared.headers["Authorization"].split()
    assert scheme == "Bearer"
    assert claims_of(tenant, token, BILLING)["sub"] == ADA.sub


# -- lifecycle -----------------------------------------------------------------------


def test_logout_deletes_the_tokens_for_other_apis(tenant):
    client = login(tenant)
    get_access_token(request_of(client), audience=BILLING, scope=READ)

    client.post("/auth0/logout/")

    assert not Auth0Token.objects.exists()


def test_invalid_grant_drops_the_tokens_for_other_apis_too(tenant, monkeypatch):
    request = request_of(login(tenant))
    get_access_token(request, audience=BILLING, scope=READ)
    tenant.state.revoke_refresh_token(stored(request).refresh_token)
    later(monkeypatch, 3600)

    with pytest.raises(ReauthenticationRequired):
        get_access_token(request, audience=BILLING, scope=READ)

    assert not Auth0Token.objects.exists()


def test_a_new_login_drops_the_older_grant_tokens_for_other_apis(tenant):
    client = login(tenant)
    get_access_token(request_of(client), audience=BILLING, scope=READ)

    request = request_of(login(tenant))

    assert api_rows() == []
    assert get_access_token(request, audience=BILLING, scope=READ)
    assert len(exchanges(tenant, BILLING)) == 2


# -- the docs' blocks, run as they stand ---------------------------------------------


def run_block(page: str, name: str, **namespace) -> dict:
    exec(compile(doc_block(page, name), f"{page} ({name})", "exec"), namespace)  # noqa: S102
    return namespace


def test_the_docs_apis_settings_serve_their_apis_and_draw_no_message(tenant):
    values = {
        k: v
        for k, v in run_block("docs/access.rst", "access-apis-settings").items()
        if k.isupper()
    }
    before = checks.run_checks(tags=["social_auth0"])
    with override_settings(**values):
        assert checks.run_checks(tags=["social_auth0"]) == before
        request = request_of(login(tenant))
        token = get_access_token(
            request, audience=BILLING, scope=["read:invoices", "write:invoices"]
        )
    assert values["SOCIAL_AUTH_AUTH0_AUDIENCE"] == API
    assert claims_of(tenant, token, BILLING)["sub"] == ADA.sub


@responses.activate
def test_the_docs_invoices_view_calls_billing_with_its_token(tenant):
    responses.add_passthru(tenant.base_url)
    responses.get(f"{BILLING}invoices", json=[], content_type="application/json")
    invoices = run_block("docs/access.rst", "access-apis-view")["invoices"]
    request = request_of(login(tenant))

    response = invoices(request)

    assert response.status_code == 200
    (call,) = [c for c in responses.calls if c.request.url.startswith(BILLING)]
    token = call.request.headers["Authorization"].removeprefix("Bearer ")
    assert READ in claims_of(tenant, token, BILLING)["scope"].split()


def test_the_docs_invoices_view_without_a_policy_answers_502(tenant):
    tenant.applications[CLIENT].refresh_token_policies = []
    invoices = run_block("docs/access.rst", "access-apis-view")["invoices"]

    response = invoices(request_of(login(tenant)))

    assert (response.status_code, response.content) == (
        502,
        b"Billing is not available.",
    )
    assert api_rows() == []


def test_the_docs_emulator_policies_block(tenant, settings):
    tenant.apis.pop(BILLING)
    tenant.applications[CLIENT].refresh_token_policies = []
    run_block("docs/testing.rst", "testing-refresh-token-policies")[
        "test_invoices_use_the_billing_token"
    ](tenant, settings)
    request = request_of(login(tenant))

    token = get_access_token(request, audience=BILLING, scope=READ)

    assert claims_of(tenant, token, BILLING)["scope"].split().count(READ) == 1
    assert stored(request).refresh_token  # kept: rotation is off
    assert tenant.applications[CLIENT].refresh_token_rotation is False
