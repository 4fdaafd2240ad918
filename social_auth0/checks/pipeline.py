"""System checks of the pipeline settings (ids social_auth0.E013-E015, E020-E029,
W020-W029, E040, W040).

``check_pipeline_settings`` checks their shape: ``ID_KEY`` (E023),
``CLAIM_FIELDS`` (E013),
``ROLES_TOKEN`` (E014), the role and group settings (E015).
``check_pipeline_setup`` checks what they meet: the user model, the configured
pipeline, and settings that do nothing. ``apps.py`` registers ``CHECKS``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.core import checks
from social_core.utils import setting_name

from .. import conf
from ..login.fields import claims_may_write, model_field, protected_fields
from ..login.roles import MIRROR
from .lookup import checked_backend, resolve_setting

SYNC_USER = "social_auth0.pipeline.sync_user"
SYNC_GROUPS = "social_auth0.pipeline.sync_groups"
UNSAFE_LINKING = "social_core.pipeline.social_auth.associate_by_email"
LINKING = "social_auth0.pipeline.associate_by_verified_email"
RECORD_EMAIL = "social_auth0.pipeline.record_verified_email"
ROLE_SETTINGS = ("STAFF_ROLES", "SUPERUSER_ROLES", "GROUPS")
ID_KEY = "user_id"  # Auth0OAuth2.ID_KEY (checks never import the backend)


def check_pipeline_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """CLAIM_FIELDS name real user fields; role settings are well formed."""
    return [
        *_check_id_key(),
        *_check_claim_fields(),
        *_check_roles_token(),
        *_check_role_names(),
    ]


def _check_id_key() -> list[checks.CheckMessage]:
    """ID_KEY is unset or "user_id": the uid is the identity (issuer, sub)."""
    value, name = resolve_setting("ID_KEY")
    if value in (None, "", ID_KEY):
        return []
    own = setting_name(checked_backend(), "ID_KEY")
    fix = (
        f"Remove {name} (or set it to {ID_KEY!r})."
        if name == own
        # social-core reads it for every backend: removing it changes theirs.
        else f"Set {own} = {ID_KEY!r}: {name} applies to every backend, and "
        "that overrides it for Auth0 alone."
    )
    return [
        checks.Error(
            f"{name} is {value!r}: an Auth0 identity is stored under "
            f"{ID_KEY!r}, its uid the ID token's sub (with the tenant's issuer "
            "when it is not the tenant settings.py names); no other claim.",
            hint=f"{fix} Rows stored under "
            "'sub' or 'id' are migrated at their user's next login.",
            id="social_auth0.E023",
        )
    ]


def _check_claim_fields() -> list[checks.CheckMessage]:
    from django.contrib.auth import get_user_model

    mapping, name = resolve_setting("CLAIM_FIELDS")
    if mapping is None:
        return []
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()
    ):
        return [
            checks.Error(
                f"{name} must map user model field names to claim names.",
                hint='e.g. {"first_name": "given_name", '
                '"department": "https://example.com/department"}',
                id="social_auth0.E013",
            )
        ]
    model = get_user_model()
    return [
        checks.Error(
            f"{name} maps to {field_name!r}, which {model._meta.label} does not have.",
            hint="Use a field of your user model (AUTH_USER_MODEL).",
            id="social_auth0.E013",
        )
        for field_name in mapping
        if not _has_field(model, field_name)
    ]


def _check_roles_token() -> list[checks.CheckMessage]:
    roles_token, name = resolve_setting("ROLES_TOKEN", conf.ROLES_TOKEN)
    if roles_token not in conf.ROLES_TOKENS:
        default = conf.ROLES_TOKEN
        others = [token for token in conf.ROLES_TOKENS if token != default]
        return [
            checks.Error(
                f"{name} is {roles_token!r}.",
                hint=f"Use {default!r} (default) or {' or '.join(map(repr, others))}.",
                id="social_auth0.E014",
            )
        ]
    audience, _ = resolve_setting("AUDIENCE")
    if roles_token == "access_token" and not audience:  # noqa: S105 (a name)
        return [
            checks.Error(
                f"{name} is 'access_token' but SOCIAL_AUTH_AUTH0_AUDIENCE is not set.",
                hint="Auth0 issues a JWT access token (with roles or permissions) "
                "only for an API audience: set SOCIAL_AUTH_AUTH0_AUDIENCE.",
                id="social_auth0.E014",
            )
        ]
    return []


def _check_role_names() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for setting in ("STAFF_ROLES", "SUPERUSER_ROLES"):
        value, name = resolve_setting(setting)
        if value is not None and not _is_names(value):
            errors.append(
                checks.Error(
                    f"{name} must be a list of role names.",
                    id="social_auth0.E015",
                )
            )
    groups, groups_name = resolve_setting("GROUPS")
    if groups not in (None, MIRROR) and not (
        isinstance(groups, dict)
        and all(isinstance(k, str) and _is_names(v) for k, v in groups.items())
    ):
        errors.append(
            checks.Error(
                f"{groups_name} must map role names to group names, or be {MIRROR!r}.",
                hint='e.g. {"editor": ["Editors"], "admin": ["Editors", "Admins"]}',
                id="social_auth0.E015",
            )
        )
    return errors


def _is_names(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(item, str) and item for item in value
    )


def check_pipeline_setup(**kwargs: Any) -> list[checks.CheckMessage]:
    """Role settings meet the user model and the pipeline that applies them."""
    return [
        *_check_roles_claim(),
        *_check_user_model_for_roles(),
        *_check_claim_field_targets(),
        *_check_pipeline_steps(),
        *_check_social_core_groups(),
    ]


def _check_roles_claim() -> list[checks.CheckMessage]:
    claim, name = resolve_setting("ROLES_CLAIM")
    if claim is not None and (not isinstance(claim, str) or not claim.strip()):
        return [
            checks.Error(
                f"{name} must be the name of a claim.",
                hint="e.g. 'https://example.com/roles', the claim your Auth0 "
                "Action sets.",
                id="social_auth0.E020",
            )
        ]
    if claim:
        return []
    return [
        checks.Warning(
            f"{role_name} is set but {name} is not: no roles are read, so it "
            "changes nothing.",
            hint=f"Set {name} to the claim holding the roles, e.g. "
            "'https://example.com/roles'.",
            id="social_auth0.W020",
        )
        for role_name in _set_role_settings()
    ]


def _set_role_settings() -> list[str]:
    names = []
    for setting in ROLE_SETTINGS:
        value, name = resolve_setting(setting)
        if value:
            names.append(name)
    return names


def _check_user_model_for_roles() -> list[checks.CheckMessage]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    model = get_user_model()
    errors: list[checks.CheckMessage] = []
    for setting, attribute in (
        ("STAFF_ROLES", "is_staff"),
        ("SUPERUSER_ROLES", "is_superuser"),
    ):
        value, name = resolve_setting(setting)
        if value and not _has_field(model, attribute):
            errors.append(
                checks.Error(
                    f"{name} is set but {model._meta.label} has no "
                    f"{attribute!r} field.",
                    hint="Unset it, or use a user model with that field.",
                    id="social_auth0.E021",
                )
            )
    groups, name = resolve_setting("GROUPS")
    if groups:
        field = model_field(model, "groups")
        if field is None or getattr(field, "related_model", None) is not Group:
            errors.append(
                checks.Error(
                    f"{name} is set but {model._meta.label} has no 'groups' "
                    "relation to auth.Group.",
                    hint="Use PermissionsMixin in the user model, or unset it.",
                    id="social_auth0.E021",
                )
            )
    return errors


def _has_field(model: Any, name: str) -> bool:
    return model_field(model, name) is not None


def _check_claim_field_targets() -> list[checks.CheckMessage]:
    from django.contrib.auth import get_user_model

    mapping, name = resolve_setting("CLAIM_FIELDS")
    if not isinstance(mapping, dict):
        return []  # E013 reports the shape
    model = get_user_model()
    no_defaults, _ = resolve_setting("NO_DEFAULT_PROTECTED_USER_FIELDS")
    extra, _ = resolve_setting("PROTECTED_USER_FIELDS", [])
    protected = protected_fields(no_defaults, extra)
    messages: list[checks.CheckMessage] = []
    for field_name in mapping:
        message = _claim_field_target(model, field_name, name, protected)
        if message is not None:
            messages.append(message)
    return messages


def _claim_field_target(
    model: Any, field_name: str, name: str, protected: Collection[str]
) -> checks.CheckMessage | None:
    """What is wrong with CLAIM_FIELDS writing ``field_name``, if anything."""
    field = model_field(model, field_name)
    if field is None:
        return None  # E013 reports it
    if field_name == model.get_email_field_name():
        return checks.Error(
            f"{name} maps {field_name!r}, the email field: it takes "
            "only the address Auth0 verified, never another claim.",
            hint="Remove it; the verified email is written by sync_user "
            "(unverified addresses never are: they could be anyone's).",
            id="social_auth0.E040",
        )
    if not claims_may_write(field):
        return checks.Error(
            f"{name} maps {field_name!r}, which claims never write.",
            hint="is_active is a local decision, is_staff/is_superuser "
            "come from STAFF_ROLES/SUPERUSER_ROLES, groups from GROUPS; "
            "keys, passwords and relations are not claims.",
            id="social_auth0.E022",
        )
    if field_name in protected:
        return checks.Warning(
            f"{name} maps {field_name!r}, a protected user field: it is never synced.",
            hint="Remove it from SOCIAL_AUTH_PROTECTED_USER_FIELDS (or, "
            "for username/email, set "
            "SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = True).",
            id="social_auth0.W021",
        )
    return None


def _check_pipeline_steps() -> list[checks.CheckMessage]:
    pipeline, name = resolve_setting("PIPELINE")
    if pipeline is None:
        from social_core.pipeline import DEFAULT_AUTH_PIPELINE

        pipeline = DEFAULT_AUTH_PIPELINE
        name = "social-core's default pipeline (SOCIAL_AUTH_PIPELINE is unset)"
    if not isinstance(pipeline, list | tuple):
        return []
    return [*_check_linking_steps(pipeline, name), *_check_sync_steps(pipeline, name)]


def _check_linking_steps(
    pipeline: Sequence[str], name: str
) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if UNSAFE_LINKING in pipeline:
        messages.append(
            checks.Warning(
                f"{name} links accounts with {UNSAFE_LINKING}, which trusts "
                "unverified emails: whoever signs up at Auth0 with someone "
                "else's address takes over their account.",
                hint="Use social_auth0.pipeline.associate_by_verified_email.",
                id="social_auth0.W022",
            )
        )
    if LINKING in pipeline and RECORD_EMAIL not in pipeline:
        messages.append(
            checks.Warning(
                f"{name} has {LINKING} but not {RECORD_EMAIL}: no identity is "
                "known to have proven its address, so only accounts without "
                "any social login are ever linked.",
                hint=f"Add {RECORD_EMAIL} after load_extra_data, or use "
                "social_auth0.pipeline.PIPELINE.",
                id="social_auth0.W040",
            )
        )
    return messages


def _check_sync_steps(pipeline: Sequence[str], name: str) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for step, names in (
        (SYNC_USER, ("CLAIM_FIELDS", "STAFF_ROLES", "SUPERUSER_ROLES")),
        (SYNC_GROUPS, ("GROUPS",)),
    ):
        used = [found for value, found in map(resolve_setting, names) if value]
        if used and step not in pipeline:
            messages.append(
                checks.Warning(
                    f"{', '.join(used)} set, but {name} lacks {step}: "
                    "they change nothing.",
                    hint="Use SOCIAL_AUTH_PIPELINE = social_auth0.pipeline.PIPELINE, "
                    f"or add {step}.",
                    id="social_auth0.W023",
                )
            )
    return messages


def _check_social_core_groups() -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for setting in ("GROUPS_KEY", "GROUPS_MAP"):
        name = f"SOCIAL_AUTH_AUTH0_{setting}"
        value, found = resolve_setting(setting)
        if value is not None and found == name:
            messages.append(
                checks.Warning(
                    f"{name} is social-core's OpenID Connect group setting; "
                    "Auth0OAuth2 does not read it.",
                    hint="Use SOCIAL_AUTH_AUTH0_ROLES_CLAIM and "
                    "SOCIAL_AUTH_AUTH0_GROUPS.",
                    id="social_auth0.W024",
                )
            )
    return messages


# Registered by apps.py, in this order.
CHECKS = (check_pipeline_settings, check_pipeline_setup)
