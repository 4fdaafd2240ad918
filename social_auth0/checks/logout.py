"""Checks of logout: the RP-initiated logout endpoint, and the back-channel
logout middleware, its place in MIDDLEWARE and the session store it needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .. import conf
from .lookup import (
    PROCESS_LOCAL_CACHES,
    accepted,
    api_only,
    middleware_index,
    resolve_setting,
)

BACKCHANNEL_MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"


SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


# LOGOUT_ENDPOINT values, in the words the E012 hint uses.
LOGOUT_ENDPOINT_LABELS = {
    "oidc": "OIDC RP-initiated logout",
    "v2": "Auth0's /v2/logout",
}


def check_logout(**kwargs: Any) -> list[checks.CheckMessage]:
    """LOGOUT_ENDPOINT is known; back-channel logout can reach every session
    (a site that only protects its API has no Auth0 session to end)."""
    login = not api_only()
    messages = [*_check_logout_endpoint(), *_check_backchannel_middleware(login)]
    if login and _session_store_is_process_local():
        messages.append(
            checks.Warning(
                "SESSION_ENGINE keeps sessions in a per-process cache.",
                hint="Back-channel logout runs in one worker process and cannot "
                "delete sessions held by the others. Use the db, cached_db or "
                "file engine, or a shared SESSION_CACHE_ALIAS.",
                id="social_auth0.W006",
            )
        )
    return messages


def _check_logout_endpoint() -> list[checks.CheckMessage]:
    endpoint, name = resolve_setting("LOGOUT_ENDPOINT", conf.LOGOUT_ENDPOINT)
    if accepted(conf.logout_endpoint, endpoint):
        return []
    uses = [
        f"{value!r} ({LOGOUT_ENDPOINT_LABELS[value]}"
        + (", the default)" if value == conf.LOGOUT_ENDPOINT else ")")
        for value in conf.LOGOUT_ENDPOINTS
    ]
    return [
        checks.Error(
            f"{name} is {endpoint!r}.",
            hint=f"Use {' or '.join(uses)}.",
            id="social_auth0.E012",
        )
    ]


def _check_backchannel_middleware(login: bool) -> list[checks.CheckMessage]:
    index = middleware_index(BACKCHANNEL_MIDDLEWARE)
    if index is None and not login:
        return []
    if index is None:
        return [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} is not in MIDDLEWARE.",
                hint="Without it, sessions that Auth0 ends by back-channel logout "
                "survive when they cannot be deleted server-side (signed cookies, "
                "or a session key changed since login). Add it after "
                "AuthenticationMiddleware.",
                id="social_auth0.W005",
            )
        ]
    return _check_backchannel_middleware_order(index)


def _check_backchannel_middleware_order(index: int) -> list[checks.CheckMessage]:
    sessions = middleware_index(SESSION_MIDDLEWARE)
    if sessions is None or sessions > index:
        return [
            checks.Error(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {SESSION_MIDDLEWARE!r} before it "
                "in MIDDLEWARE.",
                hint="Without request.session it cannot end a session: every "
                "request would fail with ImproperlyConfigured. Put it after "
                "SessionMiddleware and AuthenticationMiddleware.",
                id="social_auth0.E016",
            )
        ]
    authentication = middleware_index(AUTHENTICATION_MIDDLEWARE)
    if authentication is None or authentication > index:
        return [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {AUTHENTICATION_MIDDLEWARE!r} "
                "before it in MIDDLEWARE.",
                hint="It then logs out sessions before request.user is set, so "
                "user_logged_out receivers are not told who logged out. Move it "
                "after AuthenticationMiddleware.",
                id="social_auth0.W007",
            )
        ]
    return []


def _session_store_is_process_local() -> bool:
    # cached_db is fine: its database copy is authoritative.
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.cache":
        return False
    alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    return backend in PROCESS_LOCAL_CACHES


CHECKS = (check_logout,)
