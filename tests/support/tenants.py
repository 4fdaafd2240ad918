"""Emulated tenants for the tests and whole logins through them."""

from __future__ import annotations

from social_auth0.testing import Auth0Tenant, TenantUser

from .tokens import CLIENT_ID

# The user of most tests' tenants (the ``tenant`` fixture's default).
ADA = TenantUser(email="ada@example.com", password="correct horse")


def begin_login(client, **data) -> str:
    """POST /login/auth0/ like the login form; return the authorize URL."""
    response = client.post("/login/auth0/", data)
    assert response.status_code == 302, response
    return response["Location"]


def complete_login(client, tenant, email: str, password: str | None = None, **data):
    """A whole login through the tenant's page in a fresh tenant session;
    returns the response to the callback."""
    tenant.browser.cookies.clear()  # a browser of its own: no single sign-on
    callback = tenant.login(begin_login(client, **data), email, password)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    return client.get(f"{path}?{query}")


def make_tenant(*users, **options):
    """An emulated tenant with one application registered for the test client."""
    defaults = {
        "client_id": CLIENT_ID,
        "client_secret": "test-client-secret",
        "callback_urls": ["http://testserver/complete/auth0/"],
        "logout_urls": ["http://testserver/"],
        "users": list(users),
    }
    return Auth0Tenant(**{**defaults, **options})


BACKCHANNEL = "/auth0/backchannel-logout/"


def point_django_at(tenant, settings) -> None:
    """Settings at ``tenant``; a well-behaved tenant, a new browser, no log."""
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    tenant.misbehave.reset()
    tenant.browser.cookies.clear()
    tenant.clear_requests()
