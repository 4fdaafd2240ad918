"""Pipeline steps: Auth0 claims and roles onto the Django user.

``PIPELINE`` is social-core's default pipeline with three changes: a refused
login for deactivated users before anything is synced, account linking by
*verified* email only, user and association created together so that
concurrent first logins of one user end with one user, and ``user_details``
replaced by ``sync_user`` (claims, staff/superuser from roles, one save) and
``sync_groups``::

    from social_auth0.pipeline import PIPELINE   # safe in settings.py
    SOCIAL_AUTH_PIPELINE = PIPELINE

This module imports no models at import time, so settings can import it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from social_core.exceptions import AuthAssociationError, AuthPolicyError
from social_core.pipeline.user import USER_FIELDS

from .tokens import _now as tokens_now
from .tokens import (
    check_audience,
    check_authorized_party,
    check_issuer,
    check_times,
    decode_verified,
    require_claims,
    token_error,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import Group
    from social_core.backends.base import BaseAuth
    from social_core.strategy import BaseStrategy

    from .backend import Auth0OAuth2

logger = logging.getLogger(__name__)

PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "social_auth0.pipeline.refuse_inactive_user",
    "social_core.pipeline.user.get_username",
    "social_auth0.pipeline.associate_by_verified_email",
    "social_auth0.pipeline.create_user_and_association",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_auth0.pipeline.sync_user",
    "social_auth0.pipeline.sync_groups",
)

DEFAULT_PROTECTED = (
    "username",
    "id",
    "pk",
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
)
MIRROR = "mirror"
# Where sync_groups remembers which groups it granted in "mirror" mode.
MIRRORED_GROUPS_KEY = "auth0_groups"


# Refusals and linking --------------------------------------------------------


def refuse_inactive_user(
    backend: BaseAuth[Any], user: Any = None, *args: Any, **kwargs: Any
) -> None:
    """Refuse a user an admin deactivated, before anything is synced.

    A local decision stands: the login never re-activates the account, and no
    role or claim from Auth0 is applied to it.
    """
    if user is not None and not getattr(user, "is_active", True):
        raise AuthPolicyError(
            backend,
            "this account was deactivated on this site (is_active=False)",
            code="authentication_disallowed",
            stage="pipeline",
        )


def associate_by_verified_email(
    backend: BaseAuth[Any],
    details: Mapping[str, Any],
    user: Any = None,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Link to the existing account with this email, only if Auth0 verified it.

    social-core's ``associate_by_email`` trusts any email: whoever signs up at
    Auth0 with someone else's unverified address would take over their account.
    """
    if user is not None or details.get("email_verified") is not True:
        return None
    email = details.get("email")
    if not isinstance(email, str) or not email:
        return None
    users = users_with_email(email)
    if len(users) > 1:
        raise AuthAssociationError(
            backend,
            "several accounts use this email address",
            code="email_in_use",
            stage="pipeline",
        )
    if not users:
        return None
    # A deactivated account is refused, not bypassed with a fresh one.
    refuse_inactive_user(backend, users[0])
    return {"user": users[0], "is_new": False}


def users_with_email(email: str) -> list[Any]:
    """Every user with this email, active or not (social_django's lookup
    skips inactive users, which would let a login create a second account)."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    field = model.get_email_field_name()
    return list(model._default_manager.filter(**{f"{field}__iexact": email})[:2])


def create_user_and_association(
    strategy: BaseStrategy[Any],
    details: Mapping[str, Any],
    backend: BaseAuth[Any],
    uid: str,
    user: Any = None,
    social: Any = None,
    *args: Any,
    id_key: str = "",
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Create the user (if new) and its association in one transaction.

    Replaces ``create_user`` + ``associate_user``. Concurrent first logins of
    one user (a double click, two tabs, a retried callback) race to insert the
    same identity: the loser's transaction rolls back whole (no orphan user)
    and it continues as the winner's user.
    """
    if social is not None:
        return None
    storage = backend.strategy.storage.user
    fields = None if user is not None else new_user_fields(details, backend, kwargs)
    try:
        with transaction.atomic():
            created = (
                user if fields is None else strategy.create_user(**fields)  # type: ignore[no-untyped-call]
            )
            social = storage.create_social_auth(
                created, uid, backend.name, id_key=id_key
            )
    except (IntegrityError, AuthAssociationError) as error:
        winner = storage.get_social_auth(backend.name, str(uid), id_key=id_key)
        if winner is None or (user is not None and winner.user != user):
            if isinstance(error, AuthAssociationError):
                raise
            raise AuthAssociationError(
                backend, code="identity_in_use", stage="pipeline"
            ) from error
        logger.info("Concurrent first login: continuing as the user created first")
        return {
            "user": winner.user,
            "social": winner,
            "is_new": False,
            "new_association": False,
        }
    return {
        "user": created,
        "social": social,
        "is_new": fields is not None,
        "new_association": True,
    }


def new_user_fields(
    details: Mapping[str, Any], backend: BaseAuth[Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields social-core's ``create_user`` would create the user with."""
    fields = {
        name: kwargs.get(name, details.get(name))
        for name in backend.setting("USER_FIELDS", USER_FIELDS)
    }
    fields = {
        name: value
        for name, value in fields.items()
        if value is not None or name not in ("fullname", "first_name", "last_name")
    }
    if backend.setting("FORCE_EMAIL_LOWERCASE", False) and fields.get("email"):
        fields["email"] = fields["email"].lower()
    return fields


# Roles -------------------------------------------------------------------------


def parse_roles(value: object, claim: str) -> set[str] | None:
    """Roles from a claim value: a list, one string, or "a, b" strings.

    None means "unknown, change nothing" (a number, a dict, null). An empty
    list or string is known and empty: it revokes.
    """
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        logger.warning(
            "Roles claim %r holds a %s, not a list or string: ignored",
            claim,
            type(value).__name__,
        )
        return None
    roles = set()
    for item in value:
        if isinstance(item, str) and item.strip():
            roles.add(item.strip())
        elif not (isinstance(item, str)):
            logger.warning("Roles claim %r: ignoring a non-string entry", claim)
    return roles


def roles_of(backend: BaseAuth[Any], response: Mapping[str, Any]) -> set[str] | None:
    """The user's roles per ``ROLES_CLAIM``, or None when they are unknown.

    Read from the verified ID-token claims, or from the access token when
    ``ROLES_TOKEN = "access_token"`` (it is verified first).
    """
    claim = backend.setting("ROLES_CLAIM")
    if not claim:
        return None
    source = response
    if backend.setting("ROLES_TOKEN", "id_token") == "access_token":
        source = verified_access_token_claims(
            cast("Auth0OAuth2[Any]", backend), response
        )
    if claim not in source:
        logger.warning(
            "Roles claim %r is absent (is the Auth0 Action deployed?): "
            "roles, staff and groups left unchanged",
            claim,
        )
        return None
    return parse_roles(source[claim], claim)


def verified_access_token_claims(
    backend: Auth0OAuth2[Any], response: Mapping[str, Any]
) -> dict[str, Any]:
    """Claims of the access token issued for ``AUDIENCE``, verified first.

    Its rules differ from an ID token's: RS256 from the same key cache, ``iss``,
    ``exp``, ``aud`` containing ``AUDIENCE``, ``azp`` the client id, no nonce.
    """
    audience = backend.setting("AUDIENCE")
    if not audience:
        raise token_error(
            backend,
            "ROLES_TOKEN = 'access_token' needs SOCIAL_AUTH_AUTH0_AUDIENCE",
            code="invalid_claim",
            claim="aud",
            stage="pipeline",
        )
    claims = decode_verified(
        backend, response.get("access_token"), backend.tenant_keys().lookup
    )
    require_claims(backend, claims, ("iss", "aud", "exp", "iat", "azp"))
    check_issuer(backend, claims, backend.id_token_issuer())
    check_audience(backend, claims, str(audience))
    check_authorized_party(backend, claims, backend.client_id(), several_audiences=True)
    check_times(backend, claims, leeway=backend.leeway(), now=tokens_now())
    if "nonce" in claims:
        raise token_error(
            backend, "access token carries a nonce", code="invalid_claim", claim="nonce"
        )
    return claims


def role_flags(backend: BaseAuth[Any], roles: set[str] | None) -> dict[str, bool]:
    """``is_staff``/``is_superuser`` per ``STAFF_ROLES``/``SUPERUSER_ROLES``."""
    if roles is None:
        return {}
    flags = {}
    for field, setting in (
        ("is_staff", "STAFF_ROLES"),
        ("is_superuser", "SUPERUSER_ROLES"),
    ):
        granting = backend.setting(setting)
        if granting:
            flags[field] = bool(roles & set(_as_list(granting)))
    return flags


def _as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


# Fields -----------------------------------------------------------------------------


def sync_user(
    strategy: BaseStrategy[Any],
    details: Mapping[str, Any],
    backend: BaseAuth[Any],
    user: Any = None,
    response: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Sync details, ``CLAIM_FIELDS`` and role flags; at most one save.

    Replaces social-core's ``user_details`` (same rules for ``details``:
    ``USER_FIELD_MAPPING``, ``PROTECTED_USER_FIELDS``, ``IMMUTABLE_USER_FIELDS``).
    A claim that is absent never blanks a field.
    """
    if user is None:
        return None
    response = response or {}
    wanted = detail_values(strategy, backend, details)
    wanted.update(claim_values(backend, user, response))
    protected = protected_fields(strategy, backend)
    immutable = set(backend.setting("IMMUTABLE_USER_FIELDS", []))
    changed = []
    for name, value in wanted.items():
        if name in protected or not hasattr(user, name):
            continue
        current = getattr(user, name)
        if current == value or (name in immutable and current):
            continue
        setattr(user, name, value)
        changed.append(name)
    roles = roles_of(backend, response)
    for name, value in role_flags(backend, roles).items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=sorted(set(changed)))
    return {"auth0_roles": roles}


def protected_fields(strategy: BaseStrategy[Any], backend: BaseAuth[Any]) -> set[str]:
    """social-core's protected fields: defaults plus ``PROTECTED_USER_FIELDS``."""
    defaults = (
        ()
        if strategy.setting("NO_DEFAULT_PROTECTED_USER_FIELDS", backend=backend) is True
        else DEFAULT_PROTECTED
    )
    return {*defaults, *strategy.setting("PROTECTED_USER_FIELDS", [], backend=backend)}


def detail_values(
    strategy: BaseStrategy[Any], backend: BaseAuth[Any], details: Mapping[str, Any]
) -> dict[str, Any]:
    """Field -> value from ``details`` (social-core's ``user_details`` rules)."""
    mapping = strategy.setting("USER_FIELD_MAPPING", {}, backend=backend)
    return {
        mapping.get(name, name): value
        for name, value in details.items()
        if value is not None
    }


def claim_values(
    backend: BaseAuth[Any], user: Any, response: Mapping[str, Any]
) -> dict[str, Any]:
    """Field -> value from ``CLAIM_FIELDS``, for the claims present, fitted."""
    values = {}
    for field_name, claim in (backend.setting("CLAIM_FIELDS") or {}).items():
        if claim not in response:
            continue  # a missing claim never blanks a field
        try:
            field = user._meta.get_field(field_name)
        except FieldDoesNotExist:
            continue  # system check social_auth0.E013 reports it
        fitted = fit_to_field(field, response[claim])
        if fitted is _SKIP:
            logger.warning(
                "Claim %r does not fit %s.%s: skipped",
                claim,
                type(user).__name__,
                field_name,
            )
            continue
        values[field.attname] = fitted
    return values


_SKIP = object()


def fit_to_field(field: models.Field[Any, Any], value: object) -> object:
    """``value`` made fit for ``field`` (strings cut to max_length), or _SKIP."""
    if value is None:
        return None if field.null else _SKIP
    if isinstance(field, models.CharField | models.TextField):
        if not isinstance(value, str):
            return _SKIP
        return value[: field.max_length] if field.max_length else value
    if isinstance(field, models.BooleanField):
        return value if isinstance(value, bool) else _SKIP
    if isinstance(field, models.IntegerField):
        return (
            value if isinstance(value, int) and not isinstance(value, bool) else _SKIP
        )
    try:
        return field.clean(value, None)
    except (ValidationError, TypeError, ValueError):
        return _SKIP


# Groups -----------------------------------------------------------------------------


def group_mapping(
    backend: BaseAuth[Any], roles: Iterable[str]
) -> dict[str, set[str]] | None:
    """role -> Django group names from ``GROUPS`` ("mirror": same names)."""
    setting = backend.setting("GROUPS")
    if not setting:
        return None
    if setting == MIRROR:
        return {role: {role} for role in roles}
    return {role: set(_as_list(groups)) for role, groups in setting.items()}


def sync_groups(
    backend: BaseAuth[Any],
    user: Any = None,
    social: Any = None,
    auth0_roles: set[str] | None = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """Sync the groups ``GROUPS`` manages; groups set by hand stay.

    Like social_django's ``sync_user_groups`` (a managed set, desired subset),
    but a missing group is created when ``GROUPS_CREATE`` is on, else logged
    and skipped, instead of failing the login. With ``GROUPS = "mirror"`` the
    managed set is the groups this step granted before (kept in extra_data).
    """
    if user is None or auth0_roles is None:
        return
    mapping = group_mapping(backend, auth0_roles)
    if mapping is None:
        return
    desired = set().union(*(mapping.get(role, set()) for role in auth0_roles))
    if backend.setting("GROUPS") == MIRROR:
        previous = (
            set(social.extra_data.get(MIRRORED_GROUPS_KEY, [])) if social else set()
        )
        managed = desired | previous
    else:
        managed = set().union(*mapping.values())
    groups = existing_groups(backend, managed)
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    if remove := current - desired:
        user.groups.remove(*(groups[name] for name in remove))
    if add := (desired - current) & groups.keys():
        user.groups.add(*(groups[name] for name in add))
    if backend.setting("GROUPS") == MIRROR and social is not None:
        granted = sorted(desired & groups.keys())
        if social.extra_data.get(MIRRORED_GROUPS_KEY) != granted:
            social.extra_data[MIRRORED_GROUPS_KEY] = granted
            social.save(update_fields=["extra_data"])


def existing_groups(backend: BaseAuth[Any], names: set[str]) -> dict[str, Group]:
    """The groups named ``names``, creating missing ones if ``GROUPS_CREATE``."""
    from django.contrib.auth.models import Group

    groups = {group.name: group for group in Group.objects.filter(name__in=names)}
    missing = names - groups.keys()
    if missing and backend.setting("GROUPS_CREATE", False):
        # One insert for all of them; a concurrent login may create some too.
        Group.objects.bulk_create(
            [Group(name=name) for name in sorted(missing)], ignore_conflicts=True
        )
        groups.update(
            (group.name, group) for group in Group.objects.filter(name__in=missing)
        )
    for name in sorted(names - groups.keys()):
        logger.warning(
            "Django group %r (from SOCIAL_AUTH_AUTH0_GROUPS) does not exist: "
            "skipped (set SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True to create it)",
            name,
        )
    return groups


__all__ = [
    "PIPELINE",
    "associate_by_verified_email",
    "create_user_and_association",
    "refuse_inactive_user",
    "sync_groups",
    "sync_user",
]
