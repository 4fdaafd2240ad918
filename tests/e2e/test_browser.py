"""The example project in a real browser (Chromium via Playwright), logging in
through the tenant emulator's own login page."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import pytest

from social_auth0.testing import Auth0Tenant, TenantUser

from .example_site import CLIENT_ID, ExampleSite

pytestmark = pytest.mark.e2e

DASHBOARD = re.compile(r"^http://[^/]+/dashboard/$")


def login_at_tenant(page: Any, tenant: Auth0Tenant, user: TenantUser) -> None:
    """Fill in the emulator's login page like a person would."""
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{tenant.base_url}/u/login")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("#login-submit")


def log_in(page: Any, site: ExampleSite, tenant: Auth0Tenant, user: TenantUser) -> None:
    """From the index page's "Log in" button to the dashboard."""
    page.context.clear_cookies()  # the tenant's too: no single sign-on
    page.goto(f"{site.url}/")
    page.click("#login")
    login_at_tenant(page, tenant, user)
    page.wait_for_url(DASHBOARD)
    assert page.inner_text("#email") == user.email


def session_in_database(site: ExampleSite, session_key: str) -> bool:
    with sqlite3.connect(site.database) as db:
        row = db.execute(
            "SELECT 1 FROM django_session WHERE session_key = ?", (session_key,)
        ).fetchone()
    return row is not None


def test_login_shows_the_claims_and_logout_ends_the_session(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    reader = users["reader"]
    log_in(page, example_site, tenant, reader)

    claims = json.loads(page.inner_text("#claims"))
    assert claims["sub"] == reader.sub
    assert claims["email"] == reader.email
    assert claims["email_verified"] is True
    assert claims["iss"] == tenant.issuer
    assert claims["aud"] == CLIENT_ID
    assert not {"access_token", "id_token", "refresh_token"} & claims.keys()
    assert "eyJ" not in page.content()  # no token anywhere on the page
    assert page.inner_text("#roles") == "Roles: none"
    assert not page.is_visible("#admin-link")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session_in_database(example_site, cookie["value"])
    assert claims["sid"] in tenant.sessions

    page.click("#logout")  # a POST form: Django, then the tenant, then back
    page.wait_for_url(f"{example_site.url}/")
    assert page.is_visible("#login")
    assert not session_in_database(example_site, cookie["value"])
    assert claims["sid"] not in tenant.sessions  # logged out of Auth0 too

    # The old session cookie no longer opens the dashboard: the login flow
    # starts again, and stops at the tenant's page (its session ended too).
    page.context.add_cookies([cookie])
    page.goto(f"{example_site.url}/dashboard/")
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{tenant.base_url}/u/login")


def test_bookmarked_page_goes_through_login_and_back(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    # LOGIN_URL is social_auth0's auto-submitting login form, `next` kept.
    page.goto(f"{example_site.url}/dashboard/?tab=claims")
    login_at_tenant(page, tenant, users["editor"])
    page.wait_for_url(f"{example_site.url}/dashboard/?tab=claims")
    assert page.inner_text("#email") == "editor@example.com"
    assert page.inner_text("#name") == "Editor Example"  # a social user's names


def test_cancel_at_the_login_page_shows_a_friendly_error(
    page: Any, example_site: ExampleSite
) -> None:
    page.goto(f"{example_site.url}/")
    page.click("#login")
    page.wait_for_selector("#cancel")
    statuses: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda response: (
            statuses.append((response.status, response.url))
            if response.request.is_navigation_request()
            else None
        ),
    )
    page.click("#cancel")
    page.wait_for_url(f"{example_site.url}/login-error/")

    assert page.inner_text("#login-error") == "Login failed"
    assert "canceled" in page.inner_text(".messages").lower()
    # The tenant's redirect, the callback's redirect, then the error page.
    assert statuses[-1] == (200, f"{example_site.url}/login-error/")
    assert all(status < 400 for status, _ in statuses), statuses


def test_staff_role_reaches_the_admin_and_others_do_not(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    log_in(page, example_site, tenant, users["admin"])
    assert page.inner_text("#roles") == "Roles: admin, staff"
    page.click("#admin-link")
    page.wait_for_url(f"{example_site.url}/admin/")
    assert page.is_visible("#site-name")
    assert "Site administration" in page.title()

    log_in(page, example_site, tenant, users["reader"])
    assert not page.is_visible("#admin-link")
    page.goto(f"{example_site.url}/admin/")
    # The admin sends a logged-in non-staff user to its own login page.
    page.wait_for_url(f"{example_site.url}/admin/login/?next=/admin/")
    assert "not authorized" in page.content()


def test_editor_role_maps_to_a_group(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    log_in(page, example_site, tenant, users["editor"])
    assert page.inner_text("#groups") == "Groups: Editors"


def test_key_rotation_between_two_logins(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    """The new ``kid`` makes the site fetch the JWKS again, once.

    The only rotation of the session on purpose: the site refetches for an
    unknown ``kid`` at most once per JWKS_REFETCH_INTERVAL (10 s).
    """
    log_in(page, example_site, tenant, users["reader"])
    fetches = tenant.count("/.well-known/jwks.json")
    tenant.rotate_keys()
    log_in(page, example_site, tenant, users["reader"])
    assert tenant.count("/.well-known/jwks.json") == fetches + 1


def test_user_logged_out_by_the_tenant_is_sent_to_login_at_next_click(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    log_in(page, example_site, tenant, users["reader"])
    sid = json.loads(page.inner_text("#claims"))["sid"]  # this browser's
    tenant.end_session(sid)  # e.g. an admin ends the Auth0 session
    assert tenant.backchannel_deliveries[-1] == (
        f"{example_site.url}/auth0/backchannel-logout/",
        200,
    )
    page.click("nav a:has-text('Dashboard')")
    page.wait_for_selector("#login-form")  # at the tenant's login page
    assert page.url.startswith(f"{tenant.base_url}/u/login")
