"""Auth0 Organizations: which organization a login asks for, which tokens are
accepted, the organization of the logged-in user, and organization -> groups.

Settings (``SOCIAL_AUTH_AUTH0_*``):

- ``ORGANIZATION``: one organization id (``org_…``) or name, sent on every
  login; the ID token must carry it (``org_id`` equal, or ``org_name`` equal
  after NFC normalisation and case folding).
- ``ALLOWED_ORGANIZATIONS``: ids and/or names whose tokens are accepted when the
  user picks the organization (Auth0's "prompt for organization", invitation
  links); ``"*"`` accepts any. With neither setting, a token carrying
  ``org_id`` is refused: Auth0 asks clients to accept only organizations they
  trust, and the site has not said which.
- ``ORGANIZATION_REQUIRED``: refuse a login without any organization.
- ``ORGANIZATION_GROUPS``: organization id or name -> Django group name(s),
  synced by the pipeline step ``social_auth0.pipeline.sync_organization_groups``
  with the managed-set rules of ``sync_groups``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from social_core.exceptions import AuthConfigurationError, AuthInputError

from ..errors import token_error
from .params import normalize_organization
from .roles import as_names

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth

ANY = "*"
ID_PREFIX = "org_"


def is_id(value: str) -> bool:
    """Whether ``value`` names an organization by id rather than by name."""
    return value.startswith(ID_PREFIX)


def comparable_name(name: str) -> str:
    """A name as Auth0 compares names: NFC-normalised, case-insensitive."""
    return unicodedata.normalize("NFC", name).casefold()


def same_organization(a: str, b: str) -> bool:
    """Two references (id or name) to one organization, as far as they tell."""
    if is_id(a) or is_id(b):
        return a == b  # an id and a name cannot be compared without the tenant
    return comparable_name(a) == comparable_name(b)


def in_token(reference: str, org_id: object, org_name: object) -> bool:
    """Whether a token's ``org_id``/``org_name`` is the organization ``reference``."""
    if is_id(reference):
        return org_id == reference
    return isinstance(org_name, str) and comparable_name(org_name) == comparable_name(
        reference
    )


# Settings -------------------------------------------------------------------


def configured_organization(backend: BaseAuth[Any]) -> str | None:
    """``ORGANIZATION``, checked; None when unset."""
    value = backend.setting("ORGANIZATION")
    if value in (None, ""):
        return None
    organization = normalize_organization(value) if isinstance(value, str) else None
    if organization is None:
        raise AuthConfigurationError(
            backend,
            "SOCIAL_AUTH_AUTH0_ORGANIZATION must be an organization id (org_...) "
            "or name",
            code="invalid_setting",
            parameter="ORGANIZATION",
        )
    return organization


def allowed_organizations(backend: BaseAuth[Any]) -> list[str] | str:
    """``ALLOWED_ORGANIZATIONS``: ``"*"``, or a list (empty when unset)."""
    value = backend.setting("ALLOWED_ORGANIZATIONS")
    if value == ANY:
        return ANY
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        return []  # unset, or malformed (E083): trusts nothing
    return [item for item in value if isinstance(item, str) and item]


def is_allowed_organization(
    backend: BaseAuth[Any], org_id: object, org_name: object
) -> bool:
    """Whether ``ALLOWED_ORGANIZATIONS`` accepts a token's organization."""
    return _accepts(allowed_organizations(backend), org_id, org_name)


def _accepts(allowed: Iterable[str] | str, org_id: object, org_name: object) -> bool:
    if allowed == ANY:
        return True
    return any(in_token(entry, org_id, org_name) for entry in allowed)


@dataclass(frozen=True)
class OrganizationRules:
    """The site's organization settings, resolved once: what the organization
    of a token no login asked for (an API's access token) must be."""

    organization: str | None  # ORGANIZATION
    allowed: tuple[str, ...] | str  # ALLOWED_ORGANIZATIONS ("*": any)
    required: bool  # ORGANIZATION_REQUIRED


def organization_rules(backend: BaseAuth[Any]) -> OrganizationRules:
    """``ORGANIZATION``, ``ALLOWED_ORGANIZATIONS`` and ``ORGANIZATION_REQUIRED``."""
    allowed = allowed_organizations(backend)
    return OrganizationRules(
        organization=configured_organization(backend),
        allowed=allowed if isinstance(allowed, str) else tuple(allowed),
        required=bool(backend.setting("ORGANIZATION_REQUIRED", False)),
    )


# Before the redirect -------------------------------------------------------------


def organization_to_request(
    backend: BaseAuth[Any], requested: str | None
) -> str | None:
    """The ``organization`` to send to ``/authorize``, or a refusal.

    ``ORGANIZATION`` is always sent; a request naming another one is refused.
    Otherwise a requested organization (a picker, an invitation link) must be
    one ``ALLOWED_ORGANIZATIONS`` accepts: refused here, before the user is
    sent to Auth0, not only when the token comes back.
    """
    configured = configured_organization(backend)
    if configured is not None:
        if requested is not None and not same_organization(requested, configured):
            raise _refused(backend, "is not SOCIAL_AUTH_AUTH0_ORGANIZATION")
        return configured
    if requested is None:
        return None
    allowed = allowed_organizations(backend)
    if allowed == ANY or any(same_organization(requested, a) for a in allowed):
        return requested
    raise _refused(backend, "is not in SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS")


def _refused(backend: BaseAuth[Any], why: str) -> AuthInputError:
    return AuthInputError(
        backend,
        f"the requested organization {why}",
        code="invalid_parameter",
        parameter="organization",
        stage="begin",
    )


# At the callback -------------------------------------------------------------------


def check_organization_claims(
    backend: BaseAuth[Any], claims: Mapping[str, Any], kind: str = "ID token"
) -> None:
    """``org_id`` is an ``org_…`` string and ``org_name`` a string, when present."""
    org_id, org_name = claims.get("org_id"), claims.get("org_name")
    if org_id is not None and not (
        isinstance(org_id, str) and is_id(org_id) and len(org_id) <= 128
    ):
        raise token_error(
            backend,
            f"{kind} org_id is malformed",
            code="invalid_claim",
            claim="org_id",
        )
    if org_name is not None and not (isinstance(org_name, str) and org_name):
        raise token_error(
            backend,
            f"{kind} org_name is malformed",
            code="invalid_claim",
            claim="org_name",
        )


def check_requested_organization(
    backend: BaseAuth[Any],
    claims: Mapping[str, Any],
    requested: str,
    kind: str = "ID token",
) -> None:
    """The token is for the organization this login asked for (by id or name)."""
    claim = "org_id" if is_id(requested) else "org_name"
    if claims.get(claim) is None:
        raise token_error(
            backend,
            f"{kind} has no {claim!r} though organization {requested!r} was requested",
            code="missing_claim",
            claim=claim,
        )
    if not in_token(requested, claims.get("org_id"), claims.get("org_name")):
        raise token_error(
            backend,
            f"{kind} {claim} is not the requested organization {requested!r}",
            code="invalid_claim",
            claim=claim,
        )


def check_unrequested_organization(
    backend: BaseAuth[Any], claims: Mapping[str, Any]
) -> None:
    """No organization was asked for: one in the token must be trusted."""
    check_trusted_organization(
        backend,
        claims,
        allowed=allowed_organizations(backend),
        required=bool(backend.setting("ORGANIZATION_REQUIRED", False)),
    )


def check_trusted_organization(
    backend: BaseAuth[Any],
    claims: Mapping[str, Any],
    *,
    allowed: Iterable[str] | str,
    required: bool,
    kind: str = "ID token",
) -> None:
    """An organization in the token is one ``allowed`` names; none at all is
    refused when ``required``."""
    org_id, org_name = claims.get("org_id"), claims.get("org_name")
    if org_id is None:
        if required:
            raise token_error(
                backend,
                f"{kind} has no org_id and ORGANIZATION_REQUIRED is set",
                code="missing_claim",
                claim="org_id",
            )
        return
    if not _accepts(allowed, org_id, org_name):
        raise token_error(
            backend,
            f"{kind} organization {str(org_id)[:80]!r} is not accepted "
            "(SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS)",
            code="invalid_claim",
            claim="org_id",
        )


def check_organization(
    backend: BaseAuth[Any], claims: Mapping[str, Any], requested: str | None
) -> None:
    """Every organization rule for the ID token of a login that asked for
    ``requested`` (None: no organization was sent)."""
    check_organization_claims(backend, claims)
    if requested is not None:
        check_requested_organization(backend, claims, requested)
    else:
        check_unrequested_organization(backend, claims)


def check_token_organization(
    backend: BaseAuth[Any],
    claims: Mapping[str, Any],
    rules: OrganizationRules,
    kind: str = "access token",
) -> None:
    """The site's organization rules for a token no login asked for (the
    API's): ``ORGANIZATION`` when set, as if the login had requested it; else
    ``ALLOWED_ORGANIZATIONS`` and ``ORGANIZATION_REQUIRED``."""
    check_organization_claims(backend, claims, kind)
    if rules.organization is not None:
        check_requested_organization(backend, claims, rules.organization, kind)
    else:
        check_trusted_organization(
            backend, claims, allowed=rules.allowed, required=rules.required, kind=kind
        )


# Groups ------------------------------------------------------------------------------


def organization_groups(
    setting: Mapping[str, object], org_id: object, org_name: object
) -> tuple[set[str], set[str]]:
    """(desired, managed) group names for a login in organization ``org_id``."""
    managed: set[str] = set()
    desired: set[str] = set()
    for reference, groups in setting.items():
        if not isinstance(groups, str | list | tuple):
            continue  # malformed (E086)
        names = {name for name in as_names(groups) if isinstance(name, str)}
        managed |= names
        if org_id is not None and in_token(reference, org_id, org_name):
            desired |= names
    return desired, managed
