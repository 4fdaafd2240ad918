"""Roles: the ``ROLES_CLAIM`` claim read into role names, and what they grant.

Used by the backend (``get_user_groups``, so social-core's ``ALLOW_GROUPS``
works) and by the pipeline (staff/superuser flags, Django groups). Reading
roles from the access token verifies it first, on the backend.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth

    from . import LoginBackend

logger = logging.getLogger(__name__)

# User flag -> the setting listing the roles that grant it.
ROLE_FLAGS = (("is_staff", "STAFF_ROLES"), ("is_superuser", "SUPERUSER_ROLES"))
# GROUPS = "mirror": each role grants the Django group of the same name.
MIRROR = "mirror"


def parse_roles(value: object, claim: str) -> list[str] | None:
    """Roles from a claim value: a list of strings, one string, or "a, b".

    None means "unknown, change nothing": a number, a dict, null, or a list
    holding anything but strings (role objects instead of names, say) would
    otherwise read as "no roles" and revoke everything. An empty list or
    string is known and empty: it revokes.
    """
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        logger.warning(
            "Roles claim %r is malformed (%s, not a list of strings or a string): "
            "ignored, roles left unchanged",
            claim,
            type(value).__name__,
        )
        return None
    return sorted({item.strip() for item in value if item.strip()})


# backend -> (the login's response, its roles): social-core's social_details
# (get_user_groups, for ALLOW_GROUPS) and the pipeline both ask, once each.
_read: weakref.WeakKeyDictionary[Any, tuple[Mapping[str, Any], list[str] | None]] = (
    weakref.WeakKeyDictionary()
)


def roles_of(backend: LoginBackend, response: Mapping[str, Any]) -> list[str] | None:
    """The user's roles per ``ROLES_CLAIM``, or None when they are unknown.

    Read from the verified ID-token claims, or from the access token when
    ``ROLES_TOKEN = "access_token"`` (verified first, by the backend). Read
    once per login (per backend and response): warnings about the claim are
    logged once, and the access token is verified once.
    """
    memo = _read.get(backend)
    if memo is None or memo[0] is not response:
        memo = _read[backend] = (response, _read_roles(backend, response))
    return None if memo[1] is None else list(memo[1])


def _read_roles(backend: LoginBackend, response: Mapping[str, Any]) -> list[str] | None:
    claim = backend.setting("ROLES_CLAIM")
    if not claim:
        return None
    source = response
    if backend.setting("ROLES_TOKEN", backend.ROLES_TOKEN) == "access_token":  # noqa: S105
        if not response.get("access_token"):
            logger.warning("No access token in the token response: roles unchanged")
            return None
        source = backend.verify_access_token(
            response.get("access_token"), subject=response.get("sub")
        )
    if claim not in source:
        logger.warning(
            "Roles claim %r is absent (is the Auth0 Action deployed?): "
            "staff, superuser and groups left unchanged",
            claim,
        )
        return None
    return parse_roles(source[claim], claim)


def role_flags(backend: BaseAuth[Any], roles: Iterable[str] | None) -> dict[str, bool]:
    """``is_staff``/``is_superuser`` per ``STAFF_ROLES``/``SUPERUSER_ROLES``.

    Only flags whose setting is set, and none when the roles are unknown.
    """
    if roles is None:
        return {}
    held = set(roles)
    flags = {}
    for field, setting in ROLE_FLAGS:
        granting = backend.setting(setting)
        if granting:
            flags[field] = bool(held & set(as_names(granting)))
    return flags


def group_mapping(
    backend: BaseAuth[Any], roles: Iterable[str]
) -> dict[str, set[str]] | None:
    """role -> Django group names from ``GROUPS`` ("mirror": the same names)."""
    setting = backend.setting("GROUPS")
    if not setting:
        return None
    if setting == MIRROR:
        return {role: {role} for role in roles}
    return {role: set(as_names(groups)) for role, groups in setting.items()}


def as_names(value: object) -> list[str]:
    """A setting holding one name or several, as a list."""
    if isinstance(value, str):
        return [value]
    return list(cast("Iterable[str]", value or []))
