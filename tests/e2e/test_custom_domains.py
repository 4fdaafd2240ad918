"""A login on the tenant's second custom domain in a real browser (Chromium via
Playwright): the emulator serves one tenant as ``127.0.0.1`` and as
``localhost``; the site (the test settings under pytest-django's live server,
``CUSTOM_DOMAINS`` and a ``DOMAIN_RESOLVER`` choosing the second domain) sends
the browser there, completes the login and logs out at the same domain."""

from __future__ import annotations

import os
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
_chosen: list[str] = []
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"  # the domain the resolver answers


@pytest.fixture(scope="module", autouse=True)
def _database_beside_the_browser(django_db_setup: Any) -> Iterator[None]:
    """The test database is made before the browser starts (a dependency of a
    module-scoped autouse fixture comes first); Playwright's sync API then
    keeps an event loop in this thread, so this module's queries (the live
    server's run in its own thread) are allowed beside it."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        del os.environ[ASYNC_UNSAFE]
    else:
        os.environ[ASYNC_UNSAFE] = previous


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
    settings.LOGIN_URL = "social_auth0:login"
    _chosen[:] = [second]
    yield second
    _chosen.clear()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_login_and_logout_on_the_second_custom_domain(
    page: Any, tenant: Auth0Tenant, second: str, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/auth0/login/?next=/done/")  # submits itself
    page.wait_for_selector("#login-form")
    assert page.url.startswith(f"{second}/u/login")  # the second domain's page
    page.fill("#email", READER.email)
    page.fill("#password", READER.password)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server.url}/done/")
    assert page.inner_text("body") == "done:reader"

    host = urlsplit(second).netloc
    served = {(r.path, r.headers.get("Host")) for r in tenant.requests}
    assert {("/authorize", host), ("/oauth/token", host)} <= served
    assert ("/.well-known/jwks.json", host) in served
    assert not [path for path, at in served if at != host]  # nothing at DOMAIN
    assert Auth0Session.objects.get().issuer == f"{second}/"

    page.goto(f"{live_server.url}/auth0/logout/")
    with page.expect_request(lambda r: r.url.startswith(f"{second}/oidc/logout")):
        page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/done/")
    assert page.inner_text("body") == "done:"
    assert tenant.sessions == {}
