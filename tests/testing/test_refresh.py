"""The emulator's refresh tokens behave like Auth0's: rotation, automatic reuse
detection, the reuse interval, revocation at /oauth/revoke, short lifetimes."""

from __future__ import annotations

import time

import pytest
import requests

from social_auth0.testing import Auth0Tenant
from social_auth0.testing.defaults import CLIENT_ID, CLIENT_SECRET

from .test_tenant import TIMEOUT, login_and_exchange, verify

OFFLINE = "openid profile email offline_access"


def refresh(tenant: Auth0Tenant, token: str, **auth: str) -> requests.Response:
    return requests.post(
        f"{tenant.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token, **auth},
        auth=None if auth else (CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )


def revoke(tenant: Auth0Tenant, token: str, secret: str = CLIENT_SECRET):
    return requests.post(
        f"{tenant.base_url}/oauth/revoke",
        data={"token": token, "client_id": CLIENT_ID, "client_secret": secret},
        timeout=TIMEOUT,
    )


@pytest.fixture
def first(auth0_tenant: Auth0Tenant) -> str:
    """The refresh token of a fresh login with offline_access."""
    response, _ = login_and_exchange(auth0_tenant, scope=OFFLINE)
    return response.json()["refresh_token"]


def test_each_refresh_rotates_the_refresh_token(auth0_tenant, first):
    answer = refresh(auth0_tenant, first)

    assert answer.status_code == 200
    second = answer.json()["refresh_token"]
    assert second != first
    assert auth0_tenant.state.refresh_token_state(first) == "spent"
    assert refresh(auth0_tenant, second).status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_family(auth0_tenant, first):
    second = refresh(auth0_tenant, first).json()["refresh_token"]

    reused = refresh(auth0_tenant, first)

    assert reused.status_code == 403
    assert reused.json()["error"] == "invalid_grant"
    assert auth0_tenant.state.reuse_detections == 1
    assert refresh(auth0_tenant, second).json()["error"] == "invalid_grant"
    assert auth0_tenant.state.refresh_token_state(second) == "revoked"


def test_reuse_interval_lets_the_previous_token_through(auth0_tenant, first):
    auth0_tenant.applications[CLIENT_ID].refresh_token_reuse_interval = 30
    refresh(auth0_tenant, first)

    again = refresh(auth0_tenant, first)

    assert again.status_code == 200
    assert auth0_tenant.state.reuse_detections == 0


def test_reuse_interval_ends(auth0_tenant_options):
    offset = [0.0]
    with Auth0Tenant(
        **auth0_tenant_options, clock=lambda: time.time() + offset[0]
    ) as tenant:
        tenant.applications[CLIENT_ID].refresh_token_reuse_interval = 30
        response, _ = login_and_exchange(tenant, scope=OFFLINE)
        first = response.json()["refresh_token"]
        refresh(tenant, first)
        offset[0] = 31

        assert refresh(tenant, first).status_code == 403
        assert tenant.state.reuse_detections == 1


def test_without_rotation_the_refresh_token_stays(auth0_tenant, first):
    auth0_tenant.applications[CLIENT_ID].refresh_token_rotation = False

    answers = [refresh(auth0_tenant, first) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("refresh_token" not in a.json() for a in answers)


def test_refreshed_id_token_has_no_nonce_and_the_same_sub(auth0_tenant, first):
    claims = verify(auth0_tenant, refresh(auth0_tenant, first).json()["id_token"])
    assert "nonce" not in claims
    assert claims["sub"] == next(iter(auth0_tenant.users.values())).sub


def test_revoke_revokes_the_family(auth0_tenant, first):
    second = refresh(auth0_tenant, first).json()["refresh_token"]

    assert revoke(auth0_tenant, second).status_code == 200

    assert refresh(auth0_tenant, second).json()["error"] == "invalid_grant"
    assert auth0_tenant.state.refresh_token_state(first) == "revoked"
    assert auth0_tenant.count("/oauth/revoke", "POST") == 1


def test_revoke_needs_the_client_credentials(auth0_tenant, first):
    assert revoke(auth0_tenant, first, secret="wrong").status_code == 401
    assert auth0_tenant.state.refresh_token_state(first) == "active"


def test_revoke_of_an_unknown_token_answers_200(auth0_tenant):
    """RFC 7009 section 2.2: nothing tells a caller which tokens exist."""
    assert revoke(auth0_tenant, "not-a-token").status_code == 200


def test_revoke_without_a_token_is_a_bad_request(auth0_tenant):
    answer = requests.post(
        f"{auth0_tenant.base_url}/oauth/revoke",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 400


def test_another_clients_refresh_token_is_refused(auth0_tenant, first):
    from social_auth0.testing import Application

    auth0_tenant.add_application(Application("other", "other-secret"))
    answer = refresh(
        auth0_tenant, first, client_id="other", client_secret="other-secret"
    )
    assert answer.json()["error"] == "invalid_grant"
    assert auth0_tenant.state.refresh_token_state(first) == "active"


def test_short_access_token_lifetime_on_request(auth0_tenant):
    auth0_tenant.applications[CLIENT_ID].access_token_lifetime = 120
    response, _ = login_and_exchange(
        auth0_tenant, scope=OFFLINE, audience="https://api"
    )
    body = response.json()
    claims = verify(auth0_tenant, body["access_token"], audience="https://api")

    assert body["expires_in"] == 120
    assert claims["exp"] - claims["iat"] == 120
    again = refresh(auth0_tenant, body["refresh_token"]).json()
    assert again["expires_in"] == 120


def test_request_log_counts_refreshes_without_the_tokens(auth0_tenant, first):
    auth0_tenant.clear_requests()
    refresh(auth0_tenant, first)

    (record,) = auth0_tenant.requests
    assert record.form["grant_type"] == "refresh_token"
    assert record.form["refresh_token"] == "[redacted]"


def test_discovery_names_the_revocation_endpoint(auth0_tenant):
    document = requests.get(
        f"{auth0_tenant.base_url}/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()
    assert document["revocation_endpoint"] == f"{auth0_tenant.base_url}/oauth/revoke"


# -- refresh-token policies (multi-resource refresh tokens) ------------------------

BILLING = "https://billing.example.com/"
LOGIN_API = "https://api.example.com/"


@pytest.fixture
def login_api(auth0_tenant: Auth0Tenant) -> str:
    """A login for LOGIN_API with offline_access; its refresh token. BILLING
    is an API of the tenant with a policy (read only)."""
    auth0_tenant.add_api(LOGIN_API)
    auth0_tenant.add_api(BILLING, ["read:invoices", "write:invoices"])
    auth0_tenant.add_refresh_token_policy(CLIENT_ID, BILLING, ["read:invoices"])
    response, _ = login_and_exchange(auth0_tenant, scope=OFFLINE, audience=LOGIN_API)
    return response.json()["refresh_token"]


def for_api(tenant: Auth0Tenant, token: str, **params: str) -> requests.Response:
    """A refresh with ``audience`` (and ``scope``): a token for another API."""
    return requests.post(
        f"{tenant.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": token, **params},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )


def access_claims(tenant: Auth0Tenant, answer: requests.Response) -> dict:
    return verify(tenant, answer.json()["access_token"], verify_aud=False)


def test_a_policy_lets_the_refresh_token_get_a_token_for_its_api(
    auth0_tenant, login_api
):
    answer = for_api(auth0_tenant, login_api, audience=BILLING, scope="read:invoices")

    assert answer.status_code == 200
    claims = access_claims(auth0_tenant, answer)
    assert claims["aud"] == [BILLING, f"{auth0_tenant.issuer}userinfo"]
    assert "read:invoices" in claims["scope"].split()
    assert answer.json()["scope"] == claims["scope"]
    # The one family rotates: the next exchange, for any API, uses the new token.
    rotated = answer.json()["refresh_token"]
    assert auth0_tenant.state.refresh_token_state(login_api) == "spent"
    assert refresh(auth0_tenant, rotated).status_code == 200


def test_a_scope_the_policy_lacks_is_left_out(auth0_tenant, login_api):
    answer = for_api(
        auth0_tenant, login_api, audience=BILLING, scope="read:invoices write:invoices"
    )

    assert answer.status_code == 200
    assert "write:invoices" not in access_claims(auth0_tenant, answer)["scope"]
    assert "write:invoices" not in answer.json()["scope"]


@pytest.mark.parametrize("registered", [True, False])
def test_no_policy_silently_answers_for_the_login_audience(
    auth0_tenant, login_api, registered
):
    """No policy for the API, or one naming an API the tenant lacks: Auth0
    answers 200 with a token for the login's audience."""
    other = "https://shipping.example.com/"
    if registered:
        auth0_tenant.add_api(other, ["read:parcels"])
    else:
        auth0_tenant.add_refresh_token_policy(CLIENT_ID, other, ["read:parcels"])

    answer = for_api(auth0_tenant, login_api, audience=other, scope="read:parcels")

    assert answer.status_code == 200
    claims = access_claims(auth0_tenant, answer)
    assert claims["aud"] == [LOGIN_API, f"{auth0_tenant.issuer}userinfo"]
    assert "read:parcels" not in claims["scope"]


def test_a_token_for_another_api_without_rotation(auth0_tenant, login_api):
    auth0_tenant.applications[CLIENT_ID].refresh_token_rotation = False

    answer = for_api(auth0_tenant, login_api, audience=BILLING)

    assert answer.status_code == 200
    assert "refresh_token" not in answer.json()
    assert access_claims(auth0_tenant, answer)["aud"][0] == BILLING
    assert for_api(auth0_tenant, login_api, audience=BILLING).status_code == 200
