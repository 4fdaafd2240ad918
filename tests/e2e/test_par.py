"""A pushed-authorization-request login in a real browser (Chromium via
Playwright): the site (this test's live server) pushes the login's parameters
to the tenant emulator, which requires PAR, and the browser's visit to
``/authorize`` carries only ``client_id`` and ``request_uri``."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest

from social_auth0.testing import Auth0Tenant, ClientKey, TenantUser

from .conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADA = TenantUser("ada@example.com", "correct horse")
KEY = ClientKey()


@pytest.fixture
def par_tenant(live_server, settings) -> Iterator[Auth0Tenant]:
    with Auth0Tenant(
        client_id="test-client-id",
        callback_urls=[f"{live_server.url}/complete/auth0/"],
        users=[ADA],
    ) as tenant:
        tenant.require_pushed_authorization_requests()
        tenant.register_client_key(KEY.jwks)  # and refuse the secret
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
        settings.SOCIAL_AUTH_AUTH0_SECRET = None
        settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
        settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
        yield tenant


def log_in_with_chromium(
    chromium: str, login_url: str, done_url: str, tenant_url: str
) -> list[str]:
    """Log Ada in from ``login_url`` in Chromium; the ``/authorize`` URLs it
    visited. Playwright's sync API keeps an event loop in its thread: this
    runs in a thread of its own, so the test's database stays usable here."""
    from playwright.sync_api import sync_playwright

    visits: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "request",
            lambda request: (
                visits.append(request.url)
                if request.url.startswith(f"{tenant_url}/authorize")
                else None
            ),
        )
        page.goto(login_url)  # the login page submits itself: a top-level visit
        page.wait_for_selector("#login-form")
        page.fill("#email", ADA.email)
        page.fill("#password", ADA.password)
        page.click("#login-submit")
        page.wait_for_url(done_url)
        visits.append(f"body:{page.inner_text('body')}")
        browser.close()
    return visits


def test_a_pushed_login_in_the_browser(live_server, par_tenant, chromium_path) -> None:
    pytest.importorskip("playwright")
    with ThreadPoolExecutor(1) as pool:
        visits = pool.submit(
            log_in_with_chromium,
            str(chromium_path),
            f"{live_server.url}/auth0/login/",
            f"{live_server.url}/done/",
            par_tenant.base_url,
        ).result(timeout=60)

    *authorize_visits, body = visits
    assert body == f"body:done:{ADA.email.split('@')[0]}"
    (visit,) = authorize_visits
    query = parse_qs(urlsplit(visit).query)
    assert set(query) == {"client_id", "request_uri"}
    assert query["request_uri"][0].startswith("urn:ietf:params:oauth:request_uri:")
    (push,) = [r for r in par_tenant.requests if r.path == "/oauth/par"]
    assert push.status == 201
    assert push.form["redirect_uri"] == f"{live_server.url}/complete/auth0/"
    assert "client_secret" not in push.form
    assert push.form["client_assertion"] == "[redacted]"
