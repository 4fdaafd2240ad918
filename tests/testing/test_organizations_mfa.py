"""The emulator's Organizations (members, invitations, usage per application)
and its MFA step (acr_values, amr/acr), over real loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from social_auth0.testing import Auth0Tenant, LoginError, TenantUser
from social_auth0.testing.defaults import CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD
from social_auth0.testing.mfa import MFA_ACR
from social_auth0.testing.organizations import USAGE_DENY, USAGE_REQUIRE

from .test_tenant import exchange, pkce_pair, query_of, verify

LOGIN_ROUTE = "http://testserver/auth0/login/"


def authorize(tenant: Auth0Tenant, **params: str) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    url = tenant.authorize_url(
        state="st-1",
        nonce="n-1",
        code_challenge=challenge,
        code_challenge_method="S256",
        **params,
    )
    return url, verifier


def id_token_claims(
    tenant: Auth0Tenant, callback: str, verifier: str
) -> dict[str, Any]:
    response = exchange(tenant, callback, code_verifier=verifier)
    assert response.status_code == 200, response.text
    return verify(tenant, response.json()["id_token"])


def error_of(tenant: Auth0Tenant, url: str) -> dict[str, str]:
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return query_of(answer.headers["Location"])


@pytest.fixture
def acme(auth0_tenant: Auth0Tenant):
    return auth0_tenant.add_organization("acme", members=[DEMO_EMAIL])


# Organizations -------------------------------------------------------------------


def test_member_gets_org_id_and_org_name(auth0_tenant, acme):
    url, verifier = authorize(auth0_tenant, organization="ACME")  # by name
    claims = id_token_claims(
        auth0_tenant, auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD), verifier
    )
    assert claims["org_id"] == acme.id and claims["org_name"] == "acme"


def test_unknown_organization_is_an_invalid_request(auth0_tenant, acme):
    url, _ = authorize(auth0_tenant, organization="org_doesnotexist")
    assert error_of(auth0_tenant, url)["error"] == "invalid_request"


def test_non_member_is_sent_back_with_access_denied(auth0_tenant, acme):
    outsider = auth0_tenant.add_user(TenantUser("out@example.com", "pw"))
    url, _ = authorize(auth0_tenant, organization=acme.id)
    callback = auth0_tenant.login(url, outsider.email, "pw")
    assert query_of(callback)["error"] == "access_denied"
    assert acme.id in query_of(callback)["error_description"]


@pytest.mark.parametrize(
    ("usage", "params", "description"),
    [
        (USAGE_DENY, {"organization": "acme"}, "is not allowed for this client"),
        (USAGE_REQUIRE, {}, "is required for this client"),
    ],
)
def test_application_organization_usage(auth0_tenant, acme, usage, params, description):
    auth0_tenant.organizations.usage[CLIENT_ID] = usage
    url, _ = authorize(auth0_tenant, **params)
    error = error_of(auth0_tenant, url)
    assert error["error"] == "invalid_request"
    assert description in error["error_description"]


def test_invitation_link_and_one_use(auth0_tenant, acme):
    link = auth0_tenant.invitation_link("acme", "new@example.com", LOGIN_ROUTE)
    assert link.startswith(LOGIN_ROUTE + "?")
    invite = query_of(link)
    assert invite["organization"] == acme.id
    assert invite["organization_name"] == "acme"
    url, verifier = authorize(
        auth0_tenant, organization=acme.id, invitation=invite["invitation"]
    )
    page = auth0_tenant.browser.get(url, timeout=10)
    assert "Sign up" in page.text and 'value="new@example.com"' in page.text
    answer = auth0_tenant.browser.post(
        page.url,
        data={"state": query_of(page.url)["state"], "email": "", "password": "pw"},
        allow_redirects=False,
        timeout=10,
    )
    claims = id_token_claims(auth0_tenant, answer.headers["Location"], verifier)
    assert claims["email"] == "new@example.com" and claims["org_id"] == acme.id
    assert "new@example.com" in acme.members
    again, _ = authorize(
        auth0_tenant, organization=acme.id, invitation=invite["invitation"]
    )
    assert error_of(auth0_tenant, again)["error"] == "invalid_request"


def test_invitation_used_by_another_user_is_denied(auth0_tenant, acme):
    link = auth0_tenant.invitation_link("acme", "invitee@example.com", LOGIN_ROUTE)
    url, _ = authorize(
        auth0_tenant, organization=acme.id, invitation=query_of(link)["invitation"]
    )
    callback = auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD)  # not the invitee
    assert query_of(callback)["error"] == "access_denied"


def test_invitation_for_another_organization_is_invalid(auth0_tenant, acme):
    auth0_tenant.add_organization("globex")
    link = auth0_tenant.invitation_link("globex", "x@example.com", LOGIN_ROUTE)
    url, _ = authorize(
        auth0_tenant, organization=acme.id, invitation=query_of(link)["invitation"]
    )
    assert error_of(auth0_tenant, url)["error"] == "invalid_request"


# MFA ---------------------------------------------------------------------------------


def test_acr_values_adds_an_mfa_page_then_amr_and_acr(auth0_tenant):
    url, verifier = authorize(auth0_tenant, acr_values=MFA_ACR)
    with pytest.raises(LoginError, match="Verify your identity"):
        auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD)  # stops at the MFA page
    url, verifier = authorize(auth0_tenant, acr_values=MFA_ACR)
    callback = auth0_tenant.login_with_mfa(url, DEMO_EMAIL, DEMO_PASSWORD)
    claims = id_token_claims(auth0_tenant, callback, verifier)
    assert claims["amr"] == ["mfa"] and claims["acr"] == MFA_ACR
    # The tenant session now has MFA: single sign-on, no page, still amr.
    url, verifier = authorize(auth0_tenant, acr_values=MFA_ACR)
    claims = id_token_claims(
        auth0_tenant, auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD), verifier
    )
    assert claims["amr"] == ["mfa"]


def test_wrong_mfa_code_shows_the_page_again(auth0_tenant):
    url, _ = authorize(auth0_tenant, acr_values=MFA_ACR)
    with pytest.raises(LoginError, match="Wrong code"):
        auth0_tenant.login_with_mfa(url, DEMO_EMAIL, DEMO_PASSWORD, code="999999")


def test_without_the_action_acr_values_is_ignored(auth0_tenant):
    auth0_tenant.mfa.action_deployed = False
    url, verifier = authorize(auth0_tenant, acr_values=MFA_ACR)
    claims = id_token_claims(
        auth0_tenant, auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD), verifier
    )
    assert "amr" not in claims and "acr" not in claims


def test_no_amr_without_mfa(auth0_tenant):
    url, verifier = authorize(auth0_tenant)
    claims = id_token_claims(
        auth0_tenant, auth0_tenant.login(url, DEMO_EMAIL, DEMO_PASSWORD), verifier
    )
    assert "amr" not in claims and "org_id" not in claims


def test_invitation_with_an_mfa_step(auth0_tenant, acme):
    link = auth0_tenant.invitation_link("acme", DEMO_EMAIL, LOGIN_ROUTE)
    url, verifier = authorize(
        auth0_tenant,
        organization=acme.id,
        invitation=query_of(link)["invitation"],
        acr_values=MFA_ACR,
    )
    callback = auth0_tenant.login_with_mfa(url, DEMO_EMAIL, DEMO_PASSWORD)
    claims = id_token_claims(auth0_tenant, callback, verifier)
    assert claims["org_id"] == acme.id and claims["amr"] == ["mfa"]
