"""The example project in a real browser: a sign-up link, an invitation link
into an organization, and an MFA step-up to reach a protected page."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import pytest

from social_auth0.testing import Auth0Tenant
from social_auth0.testing.mfa import MFA_CODE

from .example_site import ORGANIZATION_ID, ExampleSite
from .test_browser import DASHBOARD, log_in

pytestmark = pytest.mark.e2e


def new_email() -> str:
    return f"new-{secrets.token_hex(4)}@example.com"


def test_sign_up_link_opens_the_sign_up_page_and_logs_the_new_user_in(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant
) -> None:
    email = new_email()
    page.goto(f"{example_site.url}/")
    page.click("#signup")
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{tenant.base_url}/u/login")
    assert page.inner_text("#heading") == "Sign up"
    page.fill("#email", email)
    page.fill("#password", "a new password")
    page.click("#login-submit")
    page.wait_for_url(DASHBOARD)
    claims = json.loads(page.inner_text("#claims"))
    assert claims["email"] == email
    assert claims["email_verified"] is False  # Auth0 database sign-ups start so
    # ...and an unverified address is never stored on the user (docs/security.rst).
    assert page.inner_text("#email") == ""
    assert tenant.user(email).sub == claims["sub"]


def test_invitation_link_joins_the_organization(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant
) -> None:
    if tenant.organizations.find(ORGANIZATION_ID) is None:
        tenant.add_organization("acme", org_id=ORGANIZATION_ID)
    email = new_email()
    # The link of Auth0's invitation email: the application's login route.
    link = tenant.invitation_link("acme", email, f"{example_site.url}/auth0/login/")
    page.goto(link)
    page.wait_for_selector("#login-form")  # the login page submitted itself
    assert page.inner_text("#heading") == "Sign up"
    assert page.input_value("#email") == email
    page.fill("#password", "invited")
    page.click("#login-submit")
    page.wait_for_url(DASHBOARD)
    assert page.inner_text("#organization") == "Organization: acme"
    claims = json.loads(page.inner_text("#claims"))
    assert claims["org_id"] == ORGANIZATION_ID
    assert email in tenant.organizations.find(ORGANIZATION_ID).members


def test_invitation_to_an_untrusted_organization_stops_before_the_tenant(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant
) -> None:
    if tenant.organizations.find("initech") is None:
        tenant.add_organization("initech")
    link = tenant.invitation_link(
        "initech", new_email(), f"{example_site.url}/auth0/login/"
    )
    authorizations = tenant.count("/authorize")
    page.goto(link)
    page.wait_for_url(re.compile(r".*/login-error/$"))
    assert "invalid" in page.inner_text(".messages").lower()
    assert tenant.count("/authorize") == authorizations


def test_step_up_with_mfa_reaches_the_protected_page(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    log_in(page, example_site, tenant, users["reader"])
    page.click("#security-link")
    # Logged in already: the login page waits for a click (no auto-submit).
    page.wait_for_selector("#social-auth0-login-button")
    page.click("#social-auth0-login-button")
    # The tenant session is live: only the second factor is asked for.
    page.wait_for_selector("#mfa-form")
    assert page.url.startswith(f"{tenant.base_url}/u/mfa")
    page.fill("#mfa-code", MFA_CODE)
    page.click("#mfa-submit")
    page.wait_for_url(f"{example_site.url}/security/")
    assert page.inner_text("#security") == "Security settings"
    # MFA is now part of this session: the page opens directly.
    page.goto(f"{example_site.url}/dashboard/")
    page.click("#security-link")
    page.wait_for_url(f"{example_site.url}/security/")
    assert page.is_visible("#security")
