"""A login on the tenant's second custom domain in a real browser (Chromium via
Playwright): the emulator serves one tenant as ``127.0.0.1`` and as
``localhost``; the site (the test settings under pytest-django's live server,
``CUSTOM_DOMAINS`` and a ``DOMAIN_RESOLVER`` choosing the second domain) sends
the browser there, completes the login and logs out at the same domain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from social_auth0.models import Auth0Session
from social_auth0.testing import Auth0Tenant, TenantUser
from tests.support.tokens import CLIENT_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

READER = TenantUser("reader@example.com", "reader")
SECRET = "e2e-domains-secret"  # noqa: S105 (a test tenant)
_chosen: list[str] = []  # the domain the resolver answers


def resolver(request: Any) -> str:
    """The site's DOMAIN_RESOLVER: the second domain."""
    return _chosen[0]


@pytest.fixture
def tenant(live_server: Any) -> Iterator[Auth0Tenant]:
    with Auth0Tenant(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        callback_urls=[f"{live_server.url}/complete/auth0/"],
        logout_urls=[f"{live_server.url}/done/"],
        users=[READER],
    ) as tenant:
        yield tenant


@pytest.fixture
def second(tenant: Auth0Tenant, settings: Any) -> Iterator[str]:
    second = tenant.add_custom_domain("localhost")
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    settings.SOCIAL_AUTH_AUTH0_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_AUTH0_SECRET = SECRET
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = [second]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER = f"{__name__}.resolver"
    _chosen[:] = [second]
    yield second
    _chosen.clear()


def log_in_and_out(page: Any, site: str, second: str) -> tuple[str, str]:
    """Log in from the site's login page and out again; the page texts."""
    page.goto(f"{site}/auth0/login/?next=/done/")  # the form submits itself
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{second}/u/login")  # the second domain's page
    page.fill("#email", READER.email)
    page.fill("#password", READER.password)
    page.click("#login-submit")
    page.wait_for_url(f"{site}/done/")
    logged_in = page.inner_text("body")
    page.goto(f"{site}/auth0/logout/")
    with page.expect_request(lambda r: r.url.startswith(f"{second}/oidc/logout")):
        page.click("button[type=submit]")
    page.wait_for_url(f"{site}/done/")
    return logged_in, page.inner_text("body")


def test_login_and_logout_on_the_second_custom_domain(
    private_chromium: Any, tenant: Auth0Tenant, second: str, live_server: Any
) -> None:
    with private_chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(10_000)
        texts = log_in_and_out(page, live_server.url, second)
    assert texts == ("done:reader", "done:")

    host = urlsplit(second).netloc
    served = {(r.path, r.headers.get("Host")) for r in tenant.requests}
    assert {("/authorize", host), ("/oauth/token", host)} <= served
    assert ("/.well-known/jwks.json", host) in served
    assert ("/oidc/logout", host) in served
    assert not [path for path, at in served if at != host]  # nothing at DOMAIN
    assert tenant.sessions == {}  # the logout reached the session's domain
    assert not Auth0Session.objects.exists()  # and ended the site's session
