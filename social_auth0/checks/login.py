"""System checks for login parameters, organizations and step-up (ids
``social_auth0.E080``-``E089`` and ``W080``-``W089``)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from ..login.organizations import ANY, same_organization
from ..login.params import KNOWN_PARAMS, NEVER_FORWARDED, normalize_organization
from .lookup import resolve_setting

ORG_GROUPS_STEP = "social_auth0.pipeline.sync_organization_groups"


def check_request_params(**kwargs: Any) -> list[checks.CheckMessage]:
    """REQUEST_PARAMS: a list of known names, none of the request's own."""
    value, name = resolve_setting("REQUEST_PARAMS")
    if value is None:
        return []
    if not isinstance(value, list | tuple | set | frozenset) or not all(
        isinstance(item, str) for item in value
    ):
        return [
            checks.Error(
                f"{name} must be a list of parameter names, not {value!r}.",
                hint="e.g. ['screen_hint', 'login_hint', 'organization', 'invitation']",
                id="social_auth0.E081",
            )
        ]
    return [
        *_never_forwarded_errors(value, name),
        *_unknown_name_errors(value, name),
        *_invitation_warnings(value, name),
    ]


def _never_forwarded_errors(names: Any, name: str) -> list[checks.CheckMessage]:
    refused = sorted(item for item in names if item in NEVER_FORWARDED)
    if not refused:
        return []
    return [
        checks.Error(
            f"{name} lists {', '.join(refused)}, which can never be taken "
            "from a request.",
            hint="These make up the authorization request itself (redirect, "
            "client, scope, state, nonce, PKCE, audience): set them through "
            "their own settings.",
            id="social_auth0.E080",
        )
    ]


def _unknown_name_errors(names: Any, name: str) -> list[checks.CheckMessage]:
    unknown = sorted(
        repr(item) for item in names if item not in KNOWN_PARAMS | NEVER_FORWARDED
    )
    if not unknown:
        return []
    return [
        checks.Error(
            f"{name} lists unknown parameter(s) {', '.join(unknown)}.",
            hint=f"Known: {', '.join(sorted(KNOWN_PARAMS))}.",
            id="social_auth0.E081",
        )
    ]


def _invitation_warnings(names: Any, name: str) -> list[checks.CheckMessage]:
    if "invitation" not in names or "organization" in names:
        return []
    return [
        checks.Warning(
            f"{name} lists 'invitation' without 'organization': invitation "
            "links cannot be forwarded.",
            hint="Add 'organization' (it is checked against the organization "
            "settings).",
            id="social_auth0.W081",
        )
    ]


def _organization_errors(value: Any, name: str) -> list[checks.CheckMessage]:
    if value in (None, ""):
        return []
    if not isinstance(value, str) or normalize_organization(value) is None:
        return [
            checks.Error(
                f"{name} must be an organization id ('org_...') or name, "
                f"not {value!r}.",
                id="social_auth0.E082",
            )
        ]
    return []


def _allowed_errors(value: Any, name: str) -> list[checks.CheckMessage]:
    if value is None or value == ANY:
        return []
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list | tuple | set | frozenset) or not all(
        isinstance(item, str) and normalize_organization(item) for item in entries
    ):
        return [
            checks.Error(
                f"{name} must be '*' or a list of organization ids ('org_...') "
                f"and/or names, not {value!r}.",
                id="social_auth0.E083",
            )
        ]
    return []


def check_organizations(**kwargs: Any) -> list[checks.CheckMessage]:
    """ORGANIZATION / ALLOWED_ORGANIZATIONS / ORGANIZATION_REQUIRED agree."""
    organization, org_name = resolve_setting("ORGANIZATION")
    allowed, allowed_name = resolve_setting("ALLOWED_ORGANIZATIONS")
    required, required_name = resolve_setting("ORGANIZATION_REQUIRED")
    errors = _organization_errors(organization, org_name)
    errors += _allowed_errors(allowed, allowed_name)
    if errors:
        return errors
    if organization and allowed is not None:
        errors.append(
            checks.Error(
                f"{org_name} and {allowed_name} are both set.",
                hint=f"{org_name} sends one organization on every login, so no "
                f"other can be chosen: remove {allowed_name} (or {org_name}, to "
                "let users choose).",
                id="social_auth0.E084",
            )
        )
    if required and not organization and not allowed:
        errors.append(
            checks.Error(
                f"{required_name} is set but neither {org_name} nor {allowed_name} "
                "is: every login would be refused.",
                hint=f"Set {allowed_name} to the organizations whose users may log "
                "in ('*' for any).",
                id="social_auth0.E085",
            )
        )
    return errors + _extra_arguments_warnings(org_name, allowed_name)


def _extra_arguments_warnings(
    org_name: str, allowed_name: str
) -> list[checks.CheckMessage]:
    extra, extra_name = resolve_setting("AUTH_EXTRA_ARGUMENTS")
    managed = {"organization", "invitation"} & set(
        extra if isinstance(extra, dict) else ()
    )
    if not managed:
        return []
    return [
        checks.Warning(
            f"{extra_name} sets {', '.join(sorted(managed))}: the ID token's "
            "organization is then checked against no request.",
            hint=f"Use {org_name} (or {allowed_name} and REQUEST_PARAMS).",
            id="social_auth0.W082",
        )
    ]


def _unreachable_organizations(references: list[str]) -> list[str]:
    """ORGANIZATION_GROUPS keys neither ORGANIZATION nor ALLOWED_ORGANIZATIONS
    accepts (compared as the callback compares them)."""
    organization, _ = resolve_setting("ORGANIZATION")
    allowed, _ = resolve_setting("ALLOWED_ORGANIZATIONS")
    if allowed == ANY:
        return []
    accepted = [organization] if isinstance(organization, str) and organization else []
    if isinstance(allowed, str):
        allowed = [allowed]
    accepted += [a for a in allowed or () if isinstance(a, str)]
    return [
        repr(reference)
        for reference in references
        if not any(same_organization(reference, a) for a in accepted)
    ]


def check_organization_groups(**kwargs: Any) -> list[checks.CheckMessage]:
    """ORGANIZATION_GROUPS: a dict of organization -> group name(s), in the pipeline."""
    value, name = resolve_setting("ORGANIZATION_GROUPS")
    if not value:
        return []
    if not _is_groups_mapping(value):
        return [
            checks.Error(
                f"{name} must map organization ids or names to a group name or "
                "a list of group names.",
                hint="e.g. {'org_abc123': ['Acme staff']}",
                id="social_auth0.E086",
            )
        ]
    unreachable = _unreachable_organizations(list(value))
    if unreachable:
        return [
            checks.Warning(
                f"{name} maps {', '.join(unreachable)}, which no login can be in: "
                "the organization settings do not accept it.",
                hint="Add it to SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS (or set "
                "SOCIAL_AUTH_AUTH0_ORGANIZATION to it), or remove it.",
                id="social_auth0.W084",
            )
        ]
    return _pipeline_warnings(name)


def _is_groups_mapping(value: object) -> bool:
    """{organization id or name: "group" or ["group", ...]}."""
    if not isinstance(value, dict):
        return False
    for key, groups in value.items():
        if not isinstance(key, str) or normalize_organization(key) is None:
            return False
        names = [groups] if isinstance(groups, str) else groups
        if not isinstance(names, list | tuple) or not all(
            isinstance(group, str) for group in names
        ):
            return False
    return True


def _pipeline_warnings(name: str) -> list[checks.CheckMessage]:
    pipeline, pipeline_name = resolve_setting("PIPELINE")
    if pipeline is None or ORG_GROUPS_STEP in pipeline:
        return []
    return [
        checks.Warning(
            f"{name} is set but {pipeline_name} does not run {ORG_GROUPS_STEP}.",
            hint="Add it after social_auth0.pipeline.sync_groups.",
            id="social_auth0.W083",
        )
    ]


CHECKS = (
    check_request_params,
    check_organizations,
    check_organization_groups,
)
