"""System checks for sites moving over from another Auth0 integration.

Each setting of a seed system (django-auth0-authbackend, django-auth0, Auth0's
quickstarts) that social_auth0 does not read gets a warning naming the
``SOCIAL_AUTH_AUTH0_*`` setting to use instead, with the value to put there.
(That the app itself is installed is checked by ``social_auth0.conf``, E090.)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from .lookup import checked_backend, resolve_setting

APP = "social_auth0"
DJANGO_AUTH0_CONTEXT_PROCESSOR = "django_auth0.context_processors.auth0"


# Settings of the systems people come from --------------------------------------

_UNSET = object()


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return secrets.compare_digest(a.encode(), b.encode())
    return a == b


def _as_is(value: object) -> object:
    return value


def _as_roles(value: object) -> object:
    return [value] if isinstance(value, str) else value


BOTH = "django-auth0-authbackend and django-auth0"
# Seed setting -> (system, our setting, value converter; None: never show it).
REPLACEMENTS: dict[str, tuple[str, str, Callable[[object], object] | None]] = {
    "AUTH0_CLIENT_ID": (BOTH, "SOCIAL_AUTH_AUTH0_KEY", str),
    "AUTH0_CLIENT_SECRET": (
        "django-auth0-authbackend",
        "SOCIAL_AUTH_AUTH0_SECRET",
        None,
    ),
    "AUTH0_SECRET": ("django-auth0", "SOCIAL_AUTH_AUTH0_SECRET", None),
    "AUTH0_DOMAIN": (BOTH, "SOCIAL_AUTH_AUTH0_DOMAIN", str),
    "AUTH0_AUDIENCE": ("django-auth0-authbackend", "SOCIAL_AUTH_AUTH0_AUDIENCE", str),
    "AUTH0_USER_FIELD_MAPPING": (
        "django-auth0-authbackend",
        "SOCIAL_AUTH_AUTH0_CLAIM_FIELDS",
        _as_is,
    ),
    "AUTH0_GROUPS_FIELD": (
        "django-auth0-authbackend",
        "SOCIAL_AUTH_AUTH0_ROLES_CLAIM",
        str,
    ),
    "AUTH0_STAFF_GROUP": (
        "django-auth0-authbackend",
        "SOCIAL_AUTH_AUTH0_STAFF_ROLES",
        _as_roles,
    ),
    "AUTH0_SUPERUSER_GROUP": (
        "django-auth0-authbackend",
        "SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES",
        _as_roles,
    ),
    "AUTH0_SUCCESS_URL": ("django-auth0", "LOGIN_REDIRECT_URL", str),
}
# Extra advice per seed setting (why the mapping is not word for word).
NOTES = {
    "AUTH0_USER_FIELD_MAPPING": " Email is not synced from claims: only a "
    "verified address is ever written to the user.",
    "AUTH0_GROUPS_FIELD": " Auth0 recommends a namespaced claim set by an Action "
    "('https://example.com/roles'), with '?? []' so a user without roles gets [].",
    "AUTH0_SUPERUSER_GROUP": " Django's admin also needs is_staff: list the role "
    "in SOCIAL_AUTH_AUTH0_STAFF_ROLES too.",
}
CALLBACK_SETTINGS = {
    "AUTH0_CALLBACK_URI": "django-auth0-authbackend",
    "AUTH0_CALLBACK_URL": "django-auth0",
}


def check_seed_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """One warning per setting of a seed system that is not carried over yet."""
    messages: list[checks.CheckMessage] = []
    for old, (system, new, convert) in REPLACEMENTS.items():
        value = getattr(settings, old, _UNSET)
        if value is _UNSET or value is None:
            continue
        if convert is not None:
            try:
                value = convert(value)
            except (TypeError, ValueError):
                pass  # shown as it is
        if _same(getattr(settings, new, _UNSET), value):
            continue  # carried over; the old name is a harmless leftover
        messages.append(_replacement_warning(old, system, new, value, convert))
    messages.extend(_callback_warnings())
    return messages


def _replacement_warning(
    old: str, system: str, new: str, value: object, convert: object
) -> checks.Warning:
    shown = f"{old} (its value is not shown)" if convert is None else repr(value)
    hint = f"Set {new} = {shown} and remove {old}.{NOTES.get(old, '')}"
    roles_claim, roles_name = resolve_setting("ROLES_CLAIM")
    if old in ("AUTH0_STAFF_GROUP", "AUTH0_SUPERUSER_GROUP") and not (
        roles_claim or getattr(settings, "AUTH0_GROUPS_FIELD", None)
    ):
        hint += (
            f" Roles are read from {roles_name}, which has no "
            f"default: set it too (django-auth0-authbackend read {'groups'!r})."
        )
    return checks.Warning(
        f"{old} is a setting of {system}; social_auth0 does not read it.",
        hint=hint,
        id="social_auth0.W091",
    )


def _callback_warnings() -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for old, system in CALLBACK_SETTINGS.items():
        if getattr(settings, old, None) is None:
            continue
        messages.append(
            checks.Warning(
                f"{old} is a setting of {system}; social_auth0 does not read it.",
                hint=f"Remove {old}: the callback is social_django's "
                f"{_complete_path()!r} on this site; register "
                f"https://<your site>{_complete_path()} under Allowed Callback URLs.",
                id="social_auth0.W092",
            )
        )
    return messages


def _complete_path() -> str:
    slash = getattr(settings, "SOCIAL_AUTH_TRAILING_SLASH", True)
    return "/complete/auth0/" if slash else "/complete/auth0"


def check_seed_context_processor(**kwargs: Any) -> list[checks.CheckMessage]:
    """django-auth0's context processor puts the client id (and more) in templates."""
    for engine in getattr(settings, "TEMPLATES", []):
        processors = engine.get("OPTIONS", {}).get("context_processors", [])
        if DJANGO_AUTH0_CONTEXT_PROCESSOR in processors:
            return [
                checks.Warning(
                    "TEMPLATES lists django-auth0's context processor "
                    f"{DJANGO_AUTH0_CONTEXT_PROCESSOR!r}.",
                    hint="Remove it: logins start at a form posting to "
                    "{% url 'social:begin' 'auth0' %} (or a link to "
                    "{% url 'social_auth0:login' %}), so templates need no client "
                    "id, and never a secret.",
                    id="social_auth0.W093",
                )
            ]
    return []


def check_scope(**kwargs: Any) -> list[checks.CheckMessage]:
    """A quickstart's ``SCOPE = ['openid', 'profile']`` lacks ``email``."""
    scope, name = resolve_setting("SCOPE")
    if not isinstance(scope, list | tuple) or "email" in scope:
        return []
    ignore_default, _ = resolve_setting("IGNORE_DEFAULT_SCOPE", False)
    if not ignore_default and not {"openid", "profile"} & set(scope):
        return []  # extra scopes only (e.g. offline_access): the default is sent
    extra = [s for s in scope if s not in ("openid", "profile", "email")]
    if ignore_default:
        wanted = ["openid", "profile", "email", *extra]
        hint = (
            f"Set {name} = {wanted!r}: without 'email' no address reaches the "
            "user, and accounts are never linked by verified email."
        )
    else:
        hint = (
            f"Set {name} = {extra!r} (extra scopes only) or remove it: "
            "'openid profile email' is always requested."
        )
    return [
        checks.Warning(
            f"{name} = {list(scope)!r} lacks 'email'.",
            hint=hint,
            id="social_auth0.W094",
        )
    ]


def check_login_url(**kwargs: Any) -> list[checks.CheckMessage]:
    """``LOGIN_URL = "/login/auth0"`` reaches a GET-answers-405 view."""
    if not _is_post_only_begin(str(getattr(settings, "LOGIN_URL", "") or "")):
        return []
    return [
        checks.Warning(
            f"LOGIN_URL = {settings.LOGIN_URL!r} leads to social_django's login "
            "view, which answers a GET with 405 (social-auth-app-django 8 made it "
            "POST-only).",
            hint="Set LOGIN_URL = 'social_auth0:login', or in urls.py include "
            "'social_auth0.social_urls' instead of 'social_django.urls' (same "
            "URLs; /login/auth0 then answers a GET with the login page too).",
            id="social_auth0.W090",
        )
    ]


def _is_post_only_begin(login_url: str) -> bool:
    from django.shortcuts import resolve_url
    from django.urls import NoReverseMatch, Resolver404, resolve
    from social_django import views as social_views

    try:
        path = urlsplit(resolve_url(login_url)).path
    except NoReverseMatch:
        return False
    # APPEND_SLASH sends a GET of "/login/auth0" on to "/login/auth0/".
    for candidate in dict.fromkeys((path, path.rstrip("/") + "/")):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        return match.func is social_views.auth
    return False


def check_organization_logins(
    databases: list[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Rows social-core's auth0 backend wrote, and no organization allowed:
    logins whose token carries ``org_id`` will be refused.

    social-core's backend let a login through an Auth0 Organization in (it
    checks no ``org_id``); ours refuses one until ``ORGANIZATION`` or
    ``ALLOWED_ORGANIZATIONS`` says which are accepted. Its rows are known by
    the plaintext access token social-core keeps in ``extra_data`` (ours never
    does, and removes it at the user's next login). A database check, like
    Django's own: run by ``migrate`` and ``check --database``.
    """
    organization, org_name = resolve_setting("ORGANIZATION")
    allowed, allowed_name = resolve_setting("ALLOWED_ORGANIZATIONS")
    if not databases or organization or allowed:
        return []
    provider = checked_backend()
    if not any(_social_core_rows(alias, provider) for alias in databases):
        return []
    return [
        checks.Warning(
            f"Associations of provider {provider!r} written by social-core's "
            f"auth0 backend exist, and neither {org_name} nor {allowed_name} is "
            "set: a login through an Auth0 Organization (a token carrying "
            "org_id), which social-core's backend let in, is refused.",
            hint=f"If users log in through Organizations, set {allowed_name} to "
            f"their ids or names (or '*' for any), or {org_name} for one.",
            id="social_auth0.W095",
        )
    ]


def _social_core_rows(alias: str, provider: str) -> bool:
    from django.db import DatabaseError
    from social_django.models import UserSocialAuth

    rows = UserSocialAuth.objects.using(alias).filter(
        provider=provider, extra_data__has_key="access_token"
    )
    try:
        return rows.exists()
    except DatabaseError:  # before social_django's tables are migrated
        return False


CHECKS = (
    check_seed_settings,
    check_seed_context_processor,
    check_scope,
    check_login_url,
    check_organization_logins,
)
# Those of CHECKS that read the database: registered with Django's "database"
# tag, so only ``migrate`` and ``check --database`` run them (Django 6.1 hands
# every alias to every check, so ``databases`` no longer says "you may query").
DATABASE_CHECKS = (check_organization_logins,)
