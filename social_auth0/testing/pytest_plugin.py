"""pytest fixture ``auth0_tenant``: enable with ``pytest_plugins = [...pytest_plugin]``.

Django is touched only when pytest-django is active and configured; then the
``SOCIAL_AUTH_AUTH0_DOMAIN``/``KEY``/``SECRET`` settings point at the tenant,
and each ``SOCIAL_AUTH_AUTH0_API_AUDIENCE`` identifier is one of its APIs.
Override the ``auth0_tenant_options`` fixture to change the defaults.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .defaults import (
    CALLBACK_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_ROLES,
    LOGOUT_URL,
    ROLES_CLAIM,
)
from .tenant import Auth0Tenant
from .users import TenantUser


@pytest.fixture
def auth0_tenant_options() -> dict[str, Any]:
    """Keyword arguments for the ``auth0_tenant`` fixture's ``Auth0Tenant``."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "callback_urls": [CALLBACK_URL],
        "logout_urls": [LOGOUT_URL],
        "users": [TenantUser(DEMO_EMAIL, DEMO_PASSWORD, roles=list(DEMO_ROLES))],
        "roles_claim": ROLES_CLAIM,
    }


@pytest.fixture
def auth0_tenant(
    request: pytest.FixtureRequest, auth0_tenant_options: dict[str, Any]
) -> Iterator[Auth0Tenant]:
    """A running tenant; Django settings point at it when pytest-django is on."""
    with Auth0Tenant(**auth0_tenant_options) as tenant:
        _point_django_at(request, tenant)
        yield tenant


def _point_django_at(request: pytest.FixtureRequest, tenant: Auth0Tenant) -> None:
    if not request.config.pluginmanager.hasplugin("django"):
        return
    from pytest_django.lazy_django import django_settings_is_configured

    # pytest-django's ``settings`` fixture would skip the test without Django.
    if not django_settings_is_configured():
        return
    settings = request.getfixturevalue("settings")
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    app = next(iter(tenant.applications.values()), None)
    if app is not None:
        settings.SOCIAL_AUTH_AUTH0_KEY = app.client_id
        settings.SOCIAL_AUTH_AUTH0_SECRET = app.client_secret
    # The site's API is an API of the tenant: access_token_for() mints for it.
    audience = getattr(settings, "SOCIAL_AUTH_AUTH0_API_AUDIENCE", None)
    for identifier in [audience] if isinstance(audience, str) else audience or ():
        if isinstance(identifier, str) and identifier not in tenant.apis:
            tenant.add_api(identifier)


__all__ = ["auth0_tenant", "auth0_tenant_options"]
