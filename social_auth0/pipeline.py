"""Pipeline steps: Auth0 claims and roles onto the Django user.

``PIPELINE`` is social-core's default pipeline with these changes: the roles
are read (and an access token verified) before anything is written; a login
of a user an admin deactivated is refused before anything is synced; accounts
are linked by *verified* email only, and only to an account no identity opens
without having proven that address (``record_verified_email`` keeps what each
identity proved); the user and its association are created
in one transaction, so concurrent first logins of one user end with one user;
and ``user_details`` is replaced by ``sync_user`` (details, ``CLAIM_FIELDS``,
staff/superuser from roles, one save) followed by ``sync_groups``::

    from social_auth0.pipeline import PIPELINE   # safe in settings.py
    SOCIAL_AUTH_PIPELINE = PIPELINE

This module imports no models at import time, so settings can import it.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, models, router, transaction
from social_core.exceptions import AuthAssociationError, AuthPolicyError
from social_core.pipeline import social_auth
from social_core.pipeline.user import create_user

from . import conf
from .backend import Auth0OAuth2
from .login.fields import SKIP, fit_to_field, protected_fields, writable_field
from .login.organizations import organization_groups
from .login.roles import MIRROR, group_mapping, role_flags, roles_of

if TYPE_CHECKING:
    from django.contrib.auth.models import Group
    from social_core.backends.base import BaseAuth
    from social_core.strategy import BaseStrategy


logger = logging.getLogger(__name__)

PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_auth0.pipeline.read_roles",
    "social_auth0.pipeline.social_user",
    "social_auth0.pipeline.refuse_inactive_user",
    "social_core.pipeline.user.get_username",
    "social_auth0.pipeline.associate_by_verified_email",
    "social_auth0.pipeline.create_user_and_association",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_auth0.pipeline.record_verified_email",
    "social_auth0.pipeline.sync_user",
    "social_auth0.pipeline.sync_groups",
)

# Where sync_groups remembers the groups it granted in "mirror" mode: the only
# way to tell them from groups an admin set by hand once the role is gone.
_MIRRORED_GROUPS_KEY = "auth0_groups"
_ROLES_KEY = "auth0_roles"  # pipeline kwarg read_roles hands to later steps
# extra_data key: the address the identity proved at its last login, or None.
_VERIFIED_EMAIL_KEY = "auth0_verified_email"


# Refusals and linking ----------------------------------------------------------


def social_user(
    backend: BaseAuth[Any], uid: str, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """social-core's ``social_user``; a legacy row migrated meanwhile by a
    concurrent login of the same identity is found where it now is.

    Logins that all found the same row another integration wrote (keyed
    ``"id"``, ``"sub"`` or unkeyed) all migrate it to ``ID_KEY``; every one but
    the first finds it changed under it (social_django's ``migrate_social_auth``
    raises, social-core answers ``identifier_migration_conflict``). That row,
    now under this ``uid`` and ``id_key``, is the one it was migrating: look
    again, as a login a moment later would (its user checks stay).
    """
    try:
        return cast(
            "dict[str, Any]", social_auth.social_user(backend, uid, *args, **kwargs)
        )
    except AuthAssociationError as error:
        if not _lost_migration(backend, str(uid), kwargs.get("id_key", ""), error):
            raise
    logger.info("Concurrent login: continuing with the row migrated first")
    return cast(
        "dict[str, Any]", social_auth.social_user(backend, uid, *args, **kwargs)
    )


def _lost_migration(
    backend: BaseAuth[Any], uid: str, id_key: str, error: AuthAssociationError
) -> bool:
    """Whether ``error`` is a migration that found its row changed, and the
    row holding ``uid`` under ``id_key`` now exists."""
    storage = backend.strategy.storage
    if error.code != "identifier_migration_conflict" or not (
        error.__cause__ is not None and storage.is_integrity_error(error.__cause__)
    ):
        return False
    return storage.user.get_social_auth(backend.name, uid, id_key=id_key) is not None


def refuse_inactive_user(
    backend: BaseAuth[Any], user: Any = None, *args: Any, **kwargs: Any
) -> None:
    """Refuse a user an admin deactivated (``is_active=False``), before any sync.

    A local decision stands: the login never re-activates the account, and no
    role or claim from Auth0 is applied to it.
    """
    if user is not None and not getattr(user, "is_active", True):
        raise AuthPolicyError(
            backend,
            "This account has been deactivated on this site; "
            "an administrator must re-activate it.",
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
    """Link to the one account that owns this email, if Auth0 verified it.

    social-core's ``associate_by_email`` trusts any email: whoever signs up at
    Auth0 with someone else's unverified address would take over the account.
    Here only a verified address is a key, and it only finds accounts that no
    identity can open without having proven that same address (see
    ``proven_owner``): an account a squatter's unverified identity opens is
    neither a target nor a rival. Deactivated accounts count: a match that is
    deactivated is refused rather than shadowed by a fresh account.
    """
    email = _verified_email(details)
    if user is not None or email is None:
        return None
    storage = backend.strategy.storage.user
    tenant = _issuer_of(backend)
    users = [
        u
        for u in _users_with_email(email)
        if _proven_owner(storage, u, email, backend.name, tenant)
    ]
    if len(users) > 1:
        raise AuthAssociationError(
            backend,
            "several accounts use this email address",
            code="email_in_use",
            stage="pipeline",
        )
    if not users:
        return None
    refuse_inactive_user(backend, users[0])
    return {"user": users[0], "is_new": False}


def _verified_email(details: Mapping[str, Any]) -> str | None:
    """The details' email if the provider verified it (the JSON ``true``), else None."""
    email = details.get("email")
    if details.get("email_verified") is not True or not isinstance(email, str):
        return None
    return email or None


# A case fold that only folds A-Z: Unicode folds merge different addresses
# ("ſ".casefold() == "s", "\u212a".lower() == "k"), and so does PostgreSQL's
# UPPER() behind __iexact ("ı" -> "I").
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _same_address(stored: object, email: str) -> bool:
    """Whether two addresses are the same, ignoring the case of A-Z only."""
    return isinstance(stored, str) and (
        stored.translate(_ASCII_FOLD) == email.translate(_ASCII_FOLD)
    )


def _users_with_email(email: str) -> list[Any]:
    """Every user with this email, active or not (social_django's lookup
    skips inactive users, which would let a login create a second account).

    ``__iexact`` narrows the search in SQL; each candidate is then compared
    again with ``same_address``, so a look-alike (``bob@gmaıl.com`` is
    ``bob@gmail.com`` to PostgreSQL's ``UPPER()``) never matches.
    """
    from django.contrib.auth import get_user_model

    model = get_user_model()
    field = model.get_email_field_name()
    candidates = model._default_manager.filter(**{f"{field}__iexact": email})
    return [u for u in candidates if _same_address(getattr(u, field), email)]


def _issuer_of(backend: BaseAuth[Any]) -> str | None:
    """The tenant of an Auth0 login; None for other backends sharing the pipeline."""
    return backend.tenant().issuer if isinstance(backend, Auth0OAuth2) else None


def _proven_owner(
    storage: Any, user: Any, email: str, provider: str, issuer: str | None
) -> bool:
    """Whether every identity that opens ``user`` has proven ``email``, and
    none is of another tenant of this backend.

    Proven means its last login carried this address verified
    (``record_verified_email`` keeps it in ``extra_data``). An account with
    no identity at all is a local account of the site: its own. One with an
    identity that never proved the address (a squatter's unverified sign-up,
    an identity whose address changed, a row from before this rule, another
    backend's identity) could be opened by someone else: never linked. Nor is
    one another tenant's identity opens: what a tenant calls verified is its
    own say (its admins can set ``email_verified``), not this tenant's.
    Accounts no identity of this tenant opens (a local account, one only
    another backend opens) are the site's: only the tenant ``settings.py``
    names links to them, as rows holding the bare ``sub`` are its.
    """
    identities = list(storage.get_social_auth_for_user(user))
    if issuer is not None and issuer != conf.default_issuer(provider):
        if not identities or any(s.provider != provider for s in identities):
            return False
    for social in identities:
        if (
            issuer is not None
            and social.provider == provider
            and conf.identity_issuer(social.uid, provider) != issuer
        ):
            return False
        data = social.extra_data if isinstance(social.extra_data, dict) else {}
        if not _same_address(data.get(_VERIFIED_EMAIL_KEY), email):
            return False
    return True


def record_verified_email(
    backend: BaseAuth[Any],
    details: Mapping[str, Any],
    social: Any = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """Keep the address this identity proved at this login (None: none).

    ``associate_by_verified_email`` links to an account only if each of its
    identities proved the address; saved only when it changes.
    """
    if social is None:
        return
    email = _verified_email(details)
    data = social.extra_data if isinstance(social.extra_data, dict) else {}
    if _VERIFIED_EMAIL_KEY not in data or data[_VERIFIED_EMAIL_KEY] != email:
        social.set_extra_data({_VERIFIED_EMAIL_KEY: email})


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
    try:
        with _atomic_for(
            cast("type[models.Model]", storage.user_model()),
            cast("type[models.Model]", storage),
        ):
            created = user or create_user(strategy, details, backend, **kwargs)["user"]
            social = storage.create_social_auth(
                created, uid, backend.name, id_key=id_key
            )
    except (IntegrityError, AuthAssociationError) as error:
        return _continue_as_winner(backend, storage, uid, id_key, user, error)
    return {
        "user": created,
        "social": social,
        "is_new": user is None,
        "new_association": True,
    }


def _atomic_for(*model_classes: type[models.Model]) -> ExitStack:
    """One transaction on each database the models are written to (usually one)."""
    stack = ExitStack()
    for alias in dict.fromkeys(router.db_for_write(m) for m in model_classes):
        stack.enter_context(transaction.atomic(using=alias))
    return stack


def _continue_as_winner(
    backend: BaseAuth[Any],
    storage: Any,
    uid: str,
    id_key: str,
    user: Any,
    error: IntegrityError | AuthAssociationError,
) -> dict[str, Any]:
    """After a lost race, the association the other request created, if ours.

    The conflict is either the association itself or the username/email of
    the user the winner created; both mean the winner's rows are committed.
    """
    winner = storage.get_social_auth(backend.name, str(uid), id_key=id_key)
    if winner is None or (user is not None and winner.user != user):
        if isinstance(error, AuthAssociationError):
            raise error
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


# Roles ---------------------------------------------------------------------------


def read_roles(
    backend: BaseAuth[Any],
    response: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any]:
    """Read the roles once, early: a bad access token fails the login before
    any user or association is created. Later steps reuse the result."""
    return {_ROLES_KEY: _roles_for(backend, response or {})}


def _known_roles(
    backend: BaseAuth[Any], response: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> list[str] | None:
    """The roles ``read_roles`` found, or read now (pipelines without it)."""
    if _ROLES_KEY in kwargs:
        return cast("list[str] | None", kwargs[_ROLES_KEY])
    return _roles_for(backend, response)


def _roles_for(backend: BaseAuth[Any], response: Mapping[str, Any]) -> list[str] | None:
    """Roles of an Auth0 login; other backends sharing the pipeline have none."""
    return roles_of(backend, response) if isinstance(backend, Auth0OAuth2) else None


# Fields ----------------------------------------------------------------------------


def sync_user(
    strategy: BaseStrategy[Any],
    details: Mapping[str, Any],
    backend: BaseAuth[Any],
    user: Any = None,
    response: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Sync details, ``CLAIM_FIELDS`` and role flags onto the user; one save.

    Replaces social-core's ``user_details`` (same rules for ``details``:
    ``USER_FIELD_MAPPING``, ``PROTECTED_USER_FIELDS``, ``IMMUTABLE_USER_FIELDS``).
    A claim that is absent never blanks a field. The email field only ever
    receives a verified address (``get_user_details`` withholds others), and
    a blank one is filled once the address is verified.
    """
    if user is None or backend.ASSOCIATION_ONLY:
        return None
    response = response or {}
    roles = _known_roles(backend, response, kwargs)
    changed = _set_fields(
        user, _field_values(strategy, backend, user, details, response)
    )
    changed += _set_fields(user, role_flags(backend, roles))
    if changed:
        user.save(update_fields=sorted(set(changed)))
    return {_ROLES_KEY: roles}


def _field_values(
    strategy: BaseStrategy[Any],
    backend: BaseAuth[Any],
    user: Any,
    details: Mapping[str, Any],
    response: Mapping[str, Any],
) -> dict[str, Any]:
    """Field -> value that details and claims may write now, protection and
    immutability applied (a blank email field takes a verified address)."""
    wanted = _detail_values(strategy, backend, user, details)
    wanted.update(_claim_values(backend, user, response))
    fill = _email_to_fill(strategy, backend, user, details)
    wanted.update(fill)
    protected = (
        protected_fields(
            strategy.setting("NO_DEFAULT_PROTECTED_USER_FIELDS", backend=backend),
            strategy.setting("PROTECTED_USER_FIELDS", [], backend=backend),
        )
        - fill.keys()
    )
    immutable = set(backend.setting("IMMUTABLE_USER_FIELDS", []))
    return {
        name: value
        for name, value in wanted.items()
        if name not in protected and not (name in immutable and getattr(user, name))
    }


def _set_fields(user: Any, values: Mapping[str, Any]) -> list[str]:
    """Set the values that differ; the names of the fields changed."""
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    return changed


def _email_to_fill(
    strategy: BaseStrategy[Any],
    backend: BaseAuth[Any],
    user: Any,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """The verified address for a blank email field, default protection or not.

    A user created while the address was unproven has none (it could have been
    anyone's); once Auth0 verified it, it is written like ``create_user`` would
    have, unless ``PROTECTED_USER_FIELDS`` names the field.
    """
    email = _verified_email(details)
    name = user.get_email_field_name()
    explicit = strategy.setting("PROTECTED_USER_FIELDS", [], backend=backend)
    field = writable_field(user, name)
    if email is None or field is None or getattr(user, name) or name in explicit:
        return {}
    fitted = fit_to_field(field, email)
    return {} if fitted is SKIP else {field.attname: fitted}


def _detail_values(
    strategy: BaseStrategy[Any],
    backend: BaseAuth[Any],
    user: Any,
    details: Mapping[str, Any],
) -> dict[str, Any]:
    """Field -> value from ``details`` (``user_details``'s rules), fitted."""
    mapping = strategy.setting("USER_FIELD_MAPPING", {}, backend=backend)
    values = {}
    for key, value in details.items():
        name = mapping.get(key, key)
        field = writable_field(user, name)
        if value is None or field is None:
            continue  # details carry keys that are no field (user_id, picture)
        fitted = fit_to_field(field, value)
        if fitted is SKIP:
            logger.warning("Detail %r does not fit %s: skipped", key, field)
            continue
        values[field.attname] = fitted
    return values


def _claim_values(
    backend: BaseAuth[Any], user: Any, response: Mapping[str, Any]
) -> dict[str, Any]:
    """Field -> value from ``CLAIM_FIELDS``, for the claims present, fitted."""
    values = {}
    for field_name, claim in (backend.setting("CLAIM_FIELDS") or {}).items():
        if claim not in response:
            continue  # a missing claim never blanks a field
        field = writable_field(user, field_name)
        if field is None or field_name == user.get_email_field_name():
            # a system check (social_auth0.E013/E022/E040) reports it; the
            # email field takes verified addresses only (sync_user).
            continue
        fitted = fit_to_field(field, response[claim])
        if fitted is SKIP:
            logger.warning(
                "Claim %r (a %s) does not fit %s: skipped",
                claim,
                type(response[claim]).__name__,
                field,
            )
            continue
        values[field.attname] = fitted
    return values


# Groups -----------------------------------------------------------------------------


def sync_groups(
    backend: BaseAuth[Any],
    user: Any = None,
    social: Any = None,
    response: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """Sync the groups ``GROUPS`` manages; groups set by hand stay.

    social_django's ``sync_user_groups`` semantics (a managed set; remove the
    managed groups the roles no longer grant, add the granted ones), but a
    missing group is created when ``GROUPS_CREATE`` is on, else logged and
    skipped, instead of failing the login. With ``GROUPS = "mirror"`` the
    managed set is the groups this step granted before (kept in extra_data).
    """
    if user is None or backend.ASSOCIATION_ONLY or not backend.setting("GROUPS"):
        return
    roles = _known_roles(backend, response or {}, kwargs)
    if roles is None or not hasattr(user, "groups"):
        return
    mapping = cast("dict[str, set[str]]", group_mapping(backend, roles))
    desired = set().union(*(mapping.get(role, set()) for role in roles))
    mirror = backend.setting("GROUPS") == MIRROR
    if mirror:
        previous = social.extra_data.get(_MIRRORED_GROUPS_KEY, []) if social else []
        managed = desired | set(previous)
    else:
        managed = set().union(*mapping.values())
    groups = _existing_groups(backend, managed)
    _apply_memberships(user, groups, desired & groups.keys(), managed)
    if mirror and social is not None:
        granted = sorted(desired & groups.keys())
        if social.extra_data.get(_MIRRORED_GROUPS_KEY) != granted:
            social.extra_data[_MIRRORED_GROUPS_KEY] = granted
            social.save(update_fields=["extra_data"])


def _apply_memberships(
    user: Any, groups: Mapping[str, Group], desired: set[str], managed: set[str]
) -> None:
    """Remove managed groups not desired, add desired ones; others untouched."""
    using = router.db_for_write(user.groups.through, instance=user)
    with transaction.atomic(using=using):
        current = set(
            user.groups.filter(name__in=managed).values_list("name", flat=True)
        )
        if remove := current - desired:
            user.groups.remove(*(groups[name] for name in remove if name in groups))
        if add := desired - current:
            user.groups.add(*(groups[name] for name in add))
    if remove or add:
        for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
            if hasattr(user, cache):
                delattr(user, cache)


def _existing_groups(backend: BaseAuth[Any], names: set[str]) -> dict[str, Group]:
    """The groups named ``names``; missing ones created if ``GROUPS_CREATE``."""
    from django.contrib.auth.models import Group

    groups = {group.name: group for group in Group.objects.filter(name__in=names)}
    missing = names - groups.keys()
    if missing and backend.setting("GROUPS_CREATE", False):
        # ignore_conflicts: two first logins may create the same group at once.
        Group.objects.bulk_create(
            [Group(name=name) for name in sorted(missing)], ignore_conflicts=True
        )
        groups.update(
            (group.name, group) for group in Group.objects.filter(name__in=missing)
        )
    elif missing:
        logger.warning(
            "Django groups %s (from SOCIAL_AUTH_AUTH0_GROUPS) do not exist: "
            "skipped (set SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True to create them)",
            ", ".join(repr(name) for name in sorted(missing)),
        )
    return groups


def sync_organization_groups(
    backend: BaseAuth[Any],
    user: Any = None,
    response: Mapping[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    """Pipeline step: the groups of the login's organization (``ORGANIZATION_GROUPS``).

    The managed set is every group the setting names: a login in another
    organization (or none) removes them; groups set by hand stay. Missing
    groups follow ``GROUPS_CREATE``, like ``sync_groups``.
    """
    setting = backend.setting("ORGANIZATION_GROUPS")
    if user is None or not isinstance(setting, dict) or not hasattr(user, "groups"):
        return  # unset, or malformed (E086)
    claims = response or {}
    desired, managed = organization_groups(
        setting, claims.get("org_id"), claims.get("org_name")
    )
    groups = _existing_groups(backend, managed)
    _apply_memberships(user, groups, desired & groups.keys(), managed)


__all__ = [
    "PIPELINE",
    "associate_by_verified_email",
    "create_user_and_association",
    "read_roles",
    "record_verified_email",
    "refuse_inactive_user",
    "social_user",
    "sync_groups",
    "sync_organization_groups",
    "sync_user",
]
