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

from .core import shared_cache_setting

# Cache backend -> the OPTIONS keys of its connect and socket timeouts.
REDIS_TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": (
        "socket_connect_timeout",
        "socket_timeout",
    ),
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
}


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
CHECKS = (check_shared_cache_timeouts,)
