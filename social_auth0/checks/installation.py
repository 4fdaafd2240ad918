"""Checks of the installation around the backend: AUTHENTICATION_BACKENDS,
INSTALLED_APPS, and social_django's error handling (a rejected login becomes a
redirect with a message, never a 500)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from ..backend import Auth0OAuth2
from .lookup import (
    BACKEND_PATH,
    api_only,
    listed_backends,
    middleware_index,
    resolve_setting,
)

EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"


def check_backends(**kwargs: Any) -> list[checks.CheckMessage]:
    """Our backend (or a subclass, whatever its name) is listed, and no other
    backend has its name. A site that only protects its API needs none."""
    backends = listed_backends()
    ours = {cls.name for _, cls in backends if issubclass(cls, Auth0OAuth2)}
    # social-core keeps one backend per name: one shadows the other. Without
    # ours, social-core's own "auth0" is what a site switching over still lists.
    for name in sorted(ours or {Auth0OAuth2.name}):
        others = [
            path
            for path, cls in backends
            if not issubclass(cls, Auth0OAuth2) and getattr(cls, "name", None) == name
        ]
        if others:
            return [_shadowed_backend_error(others, name)]
    if not ours and not api_only():
        return [
            checks.Error(
                f"{BACKEND_PATH!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {BACKEND_PATH!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]
    return []


def _shadowed_backend_error(paths: list[str], name: str) -> checks.Error:
    return checks.Error(
        f"AUTHENTICATION_BACKENDS lists {', '.join(map(repr, paths))}, also named "
        f"{name!r}; one shadows the other.",
        hint=f"Replace it with {BACKEND_PATH!r}; existing users keep their accounts.",
        id="social_auth0.E008",
    )


def check_installed_apps(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """social_django provides storage and the /login/ and /complete/ routes."""
    from django.apps import apps

    if not apps.is_installed("social_django"):
        return [
            checks.Error(
                "'social_django' is not in INSTALLED_APPS.",
                hint="Add 'social_django' to INSTALLED_APPS and run migrate.",
                id="social_auth0.E009",
            )
        ]
    return []


def check_error_handling(**kwargs: Any) -> list[checks.CheckMessage]:
    """A rejected login should be a redirect with a message, never a 500."""
    if api_only():
        return []  # no login to reject: API errors are RFC 6750 answers
    warnings: list[checks.CheckMessage] = []
    if middleware_index(EXCEPTION_MIDDLEWARE) is None:
        warnings.append(
            checks.Warning(
                f"{EXCEPTION_MIDDLEWARE!r} is not in MIDDLEWARE.",
                hint="Without it a rejected login is a server error; add it after "
                "MessageMiddleware.",
                id="social_auth0.W001",
            )
        )
    value, name = resolve_setting("LOGIN_ERROR_URL")
    if not value:
        warnings.append(
            checks.Warning(
                f"{name} is not set.",
                hint=f"Set {name} to a page that shows the login error message.",
                id="social_auth0.W002",
            )
        )
    raise_exceptions, raise_name = resolve_setting("RAISE_EXCEPTIONS", settings.DEBUG)
    if raise_exceptions:
        warnings.append(
            checks.Warning(
                f"{raise_name} is on (it defaults to DEBUG): rejected logins raise "
                "instead of redirecting with a message.",
                hint=f"Set {raise_name} = False.",
                id="social_auth0.W003",
            )
        )
    return warnings


CHECKS = (
    check_backends,
    check_installed_apps,
    check_error_handling,
)
