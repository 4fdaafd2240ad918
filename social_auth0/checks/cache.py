"""System checks for the shared cache as a dependency (cache.py).

A Redis that refuses connections fails fast and social_auth0 degrades (see
cache.py). One that does not answer at all (a host gone, a dropped route)
holds each request for the OS's TCP timeout, minutes, unless the client has
timeouts of its own: then nothing degrades, every request hangs.
``apps.py`` registers ``CHECKS``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .lookup import (
    DUMMY_CACHE,
    PROCESS_LOCAL_CACHES,
    UNSET,
    api_only,
    resolve_setting,
    shared_cache_setting,
)

# Cache backend -> the OPTIONS keys of its connect and socket timeouts.
REDIS_TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": (
        "socket_connect_timeout",
        "socket_timeout",
    ),
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
}


def check_shared_cache(**kwargs: Any) -> list[checks.CheckMessage]:
    """SHARED_CACHE names a configured cache, preferably a shared one."""
    alias, name = shared_cache_setting()
    caches = getattr(settings, "CACHES", {"default": {}})
    if not isinstance(alias, str) or alias not in caches:
        return [
            checks.Error(
                f"{name} is {alias!r}, which is not in CACHES.",
                hint="Name a cache alias from CACHES (default: 'default').",
                id="social_auth0.E011",
            )
        ]
    backend = caches[alias].get(
        "BACKEND", "django.core.cache.backends.locmem.LocMemCache"
    )
    return _check_shared_cache_is_shared(alias, name, backend)


def check_deprecated_names(**kwargs: Any) -> list[checks.CheckMessage]:
    """``JWKS_CACHE`` is the former name of ``SHARED_CACHE``."""
    old, old_name = resolve_setting("JWKS_CACHE", UNSET)
    if old is UNSET:
        return []
    new_name = old_name.removesuffix("JWKS_CACHE") + "SHARED_CACHE"
    return [
        checks.Warning(
            f"{old_name} is deprecated; rename it {new_name}.",
            hint="It names the cache shared by the JWKS, used logout tokens, "
            "each login's state and the refresh lock; the old name is read "
            "only while SHARED_CACHE is unset.",
            id="social_auth0.W008",
        )
    ]


def _check_shared_cache_is_shared(
    alias: str, name: str, backend: str
) -> list[checks.CheckMessage]:
    if backend == DUMMY_CACHE:
        message = f"The shared cache {alias!r} (DummyCache) keeps nothing."
        keys = (
            "Nothing limits refetches of the tenant's keys (every token with an "
            "unknown key id fetches them)"
        )
        replays = "a replayed back-channel logout token is never recognised"
    elif backend in PROCESS_LOCAL_CACHES:
        message = (
            f"The shared cache {alias!r} ({backend.rsplit('.', 1)[-1]}) is "
            "local to each process."
        )
        keys = "Every worker process will fetch the tenant's keys itself"
        replays = (
            "a replayed back-channel logout token is only recognised by the "
            "process that saw it first"
        )
    else:
        return []
    # A site that only protects its API has no logout token to recognise.
    lost = keys if api_only() else f"{keys}, and {replays}"
    return [
        checks.Warning(
            message,
            hint=f"{lost}. Point {name} at a shared cache (Redis, Memcached, "
            "database).",
            id="social_auth0.W004",
        )
    ]


def check_shared_cache_timeouts(**kwargs: Any) -> list[checks.CheckMessage]:
    """A Redis ``SHARED_CACHE`` sets connect and socket timeouts."""
    alias, name = shared_cache_setting()
    config = getattr(settings, "CACHES", {}).get(alias)
    if not isinstance(config, dict):
        return []  # social_auth0.E011 reports it
    wanted = REDIS_TIMEOUT_OPTIONS.get(config.get("BACKEND", ""))
    options = config.get("OPTIONS") or {}
    missing = [key for key in wanted or () if options.get(key) is None]
    if not missing:
        return []
    return [
        checks.Warning(
            f"The cache {alias!r} ({name}) is Redis without "
            f"{' and '.join(missing)}: an unreachable Redis host would hold "
            "every login and page request for the OS's TCP timeout instead of "
            "letting social_auth0 fall back.",
            hint=f"Set CACHES[{alias!r}]['OPTIONS'] = "
            + "{"
            + ", ".join(f"{key!r}: 1" for key in wanted or ())
            + "} (seconds).",
            id="social_auth0.W050",
        )
    ]


# Registered by apps.py.
CHECKS = (check_shared_cache, check_deprecated_names, check_shared_cache_timeouts)
