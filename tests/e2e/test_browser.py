"""The example project in a real browser (Chromium via Playwright), logging in
through the tenant emulator's pages."""

from __future__ import annotations

import json
import re
import sqlite3

from .conftest import USERS


def login_at_tenant(page, user) -> None:
    """Fill in the emulator's login page like a person would."""
    page.wait_for_selector("#login-form")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("#login-submit")


def log_in(page, site, user, start="/") -> None:
    page.context.clear_cookies()  # also the tenant's: no single sign-on
    page.goto(site["url"] + start)
    if start == "/":
        page.click("#login")
    login_at_tenant(page, user)
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def django_sessions(site) -> int:
    with sqlite3.connect(site["database"]) as db:
        return db.execute("SELECT COUNT(*) FROM django_session").fetchone()[0]


def test_login_shows_the_dashboard_and_logout_ends_the_session(page, example_site):
    log_in(page, example_site, USERS["reader"])
    assert page.inner_text("#email") == "reader@example.com"
    claims = page.inner_text("#claims")
    assert '"sub": "auth0|' in claims
    assert '"email_verified": true' in claims
    assert "access_token" not in claims and "eyJ" not in claims
    session_cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    before = django_sessions(example_site)

    page.click("#logout")
    page.wait_for_url(example_site["url"] + "/")  # back from the tenant's logout
    assert page.is_visible("#login")
    assert django_sessions(example_site) < before
    # The old session cookie no longer opens the dashboard.
    page.context.add_cookies([session_cookie])
    page.goto(example_site["url"] + "/dashboard/")
    page.wait_for_selector("#login-form")  # sent to log in again (at the tenant)


def test_typed_url_goes_through_login_and_back(page, example_site):
    page.context.clear_cookies()
    page.goto(example_site["url"] + "/dashboard/?tab=claims")
    login_at_tenant(page, USERS["editor"])
    page.wait_for_url(re.compile(r".*/dashboard/\?tab=claims$"))
    assert page.inner_text("#name") == "Editor Example"  # given/family names


def test_cancel_at_the_login_page_shows_a_friendly_error(page, example_site):
    page.context.clear_cookies()
    page.goto(example_site["url"] + "/")
    page.click("#login")
    page.wait_for_selector("#cancel")
    with page.expect_navigation() as navigation:
        page.click("#cancel")
    page.wait_for_selector("#login-error")
    assert navigation.value is None or navigation.value.status < 500
    assert page.url.endswith("/login-error/")
    assert "canceled" in page.inner_text(".messages").lower()


def test_staff_role_reaches_the_admin_and_others_do_not(page, example_site):
    log_in(page, example_site, USERS["admin"])
    page.click("#admin-link")
    page.wait_for_selector("#site-name")
    assert "Site administration" in page.content()

    log_in(page, example_site, USERS["reader"])
    assert not page.is_visible("#admin-link")
    page.goto(example_site["url"] + "/admin/")
    assert "/admin/login/" in page.url  # the admin refuses a non-staff user


def test_editor_role_maps_to_a_group(page, example_site):
    log_in(page, example_site, USERS["editor"])
    assert page.inner_text("#groups") == "Groups: Editors"


def test_key_rotation_between_two_logins(page, example_site, tenant):
    log_in(page, example_site, USERS["reader"])
    fetches = tenant.count("/.well-known/jwks.json")
    tenant.rotate_keys()
    log_in(page, example_site, USERS["reader"])
    assert page.inner_text("#email") == "reader@example.com"
    assert tenant.count("/.well-known/jwks.json") == fetches + 1


def test_user_logged_out_by_the_tenant_is_sent_to_login_at_next_click(
    page, example_site, tenant
):
    log_in(page, example_site, USERS["reader"])
    sid = json.loads(page.inner_text("#claims"))["sid"]  # this browser's
    tenant.end_session(sid)  # e.g. an admin ends the Auth0 session
    assert tenant.backchannel_deliveries[-1] == (
        f"{example_site['url']}/auth0/backchannel-logout/",
        200,
    )
    page.click("nav a:has-text('Dashboard')")
    page.wait_for_selector("#login-form")  # at the tenant's login page
