"""The example's reports page calls its local API with the user's access
token, refreshed as it expires, in a real browser."""

from __future__ import annotations

import json
from typing import Any

import pytest

from social_auth0.testing import Auth0Tenant

from .example_site import CLIENT_ID, ExampleSite
from .test_browser import log_in

pytestmark = pytest.mark.e2e


def refreshes(tenant: Auth0Tenant) -> list[int]:
    return [
        r.status
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]


def open_reports(page: Any, site: ExampleSite) -> dict[str, Any]:
    page.goto(f"{site.url}/reports/")
    assert page.inner_text("#api-status") == "200"
    assert "eyJ" not in page.content()  # the token is never on the page
    return json.loads(page.inner_text("#api-answer"))


def test_reports_page_calls_the_api_as_the_user(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    reader = users["reader"]
    log_in(page, example_site, tenant, reader)
    tenant.clear_requests()

    page.click("#reports-link")

    answer = json.loads(page.inner_text("#api-answer"))
    assert answer["sub"] == reader.sub
    assert "offline_access" in answer["scope"]
    assert refreshes(tenant) == []  # a fresh token: no refresh


def test_expiring_token_is_refreshed_and_logout_revokes_it(
    page: Any, example_site: ExampleSite, tenant: Auth0Tenant, users: dict
) -> None:
    app = tenant.applications[CLIENT_ID]
    app.access_token_lifetime = 1  # every use finds it expiring
    try:
        log_in(page, example_site, tenant, users["editor"])
        tenant.clear_requests()
        reuse_before = tenant.state.reuse_detections

        first = open_reports(page, example_site)
        second = open_reports(page, example_site)

        assert first["sub"] == second["sub"] == users["editor"].sub
        assert refreshes(tenant) == [200, 200]  # rotated each time, never reused
        assert tenant.state.reuse_detections == reuse_before
        page.goto(f"{example_site.url}/dashboard/")
        page.click("#logout")
        page.wait_for_url(f"{example_site.url}/")
        assert tenant.count("/oauth/revoke", "POST") == 1
    finally:
        app.access_token_lifetime = None
