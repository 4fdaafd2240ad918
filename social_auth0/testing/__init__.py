"""A local Auth0 tenant for tests, demos and browsers: no Auth0 account needed.

>>> with Auth0Tenant(callback_urls=["http://testserver/complete/auth0/"]) as tenant:
...     tenant.add_user(TenantUser("ada@example.com", "correct horse"))
"""

from __future__ import annotations

from .browser import LoginError
from .misbehave import REMOVE, Misbehaviour
from .requestlog import RequestRecord
from .tenant import Auth0Tenant
from .users import Application, TenantUser

__all__ = [
    "REMOVE",
    "Application",
    "Auth0Tenant",
    "LoginError",
    "Misbehaviour",
    "RequestRecord",
    "TenantUser",
]
