"""Auth0 Organizations, the public face: the organization of the logged-in user.

The rules a login's organization must meet (``ORGANIZATION``,
``ALLOWED_ORGANIZATIONS``, ``ORGANIZATION_REQUIRED``, ``ORGANIZATION_GROUPS``)
live in ``login/organizations.py``; docs/organizations.rst describes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from .login.record import login_record

__all__ = ["Organization", "current_organization"]


@dataclass(frozen=True)
class Organization:
    """The organization an Auth0 login was made in."""

    id: str
    name: str | None = None


def current_organization(request: HttpRequest) -> Organization | None:
    """The organization of this session's Auth0 login (verified claims), or None."""
    record = login_record(request)
    if record is None or not isinstance(record.get("org_id"), str):
        return None
    return Organization(record["org_id"], record.get("org_name"))
