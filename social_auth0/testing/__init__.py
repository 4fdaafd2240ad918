"""A local Auth0 tenant for tests, demos and browsers: no Auth0 account needed.

::

    with Auth0Tenant(
        callback_urls=["http://testserver/complete/auth0/"],
        users=[TenantUser("ada@example.com", "correct horse")],
    ) as tenant:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
        callback_url = tenant.login(authorize_url, "ada@example.com", "correct horse")

In pytest: ``pytest_plugins = ["social_auth0.testing.pytest_plugin"]`` gives the
``auth0_tenant`` fixture. From a shell: ``python -m social_auth0.testing --help``.
"""

from __future__ import annotations

from .apis import Api
from .browser import LoginError
from .clientauth import ClientKey
from .dpop import DpopKey
from .misbehave import REMOVE, Misbehaviour
from .requestlog import RequestRecord
from .tenant import Auth0Tenant
from .users import Application, RefreshTokenPolicy, TenantUser

__all__ = [
    "REMOVE",
    "Api",
    "Application",
    "Auth0Tenant",
    "ClientKey",
    "DpopKey",
    "LoginError",
    "Misbehaviour",
    "RefreshTokenPolicy",
    "RequestRecord",
    "TenantUser",
]
