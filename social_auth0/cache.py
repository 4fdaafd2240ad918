"""The shared cache as a dependency that may fail: use it, degrade on error,
warn once per interval.

What every worker must share lives in the Django cache named by
``SHARED_CACHE``: the tenant's JWKS and its fetch stamp, the ``jti`` of used
logout tokens, the state of each Auth0 login (sessions.py). When that cache is
down (Redis restarting, a network partition) none of this may become a 500.
``SharedCache`` wraps the cache for one purpose: an operation that raises is
sent to a process-local fallback cache when the caller's data allows one (keys,
jti), else answers ``UNAVAILABLE`` so the caller takes its own safe path (the
database, for revocation). Each purpose logs one warning per ``WARN_INTERVAL``,
not one per request, and one line when the cache answers again.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Final

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

logger = logging.getLogger(__name__)

# Seconds between two warnings about the same purpose while the cache is down.
WARN_INTERVAL = 60.0


class Unavailable:
    """What an operation returns when the shared cache failed and no fallback
    may stand in for it. Falsy, and distinct from every cached value."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = Unavailable()

# The value a process leaves under a lock or stamp key when its attempt at the
# shared work (a JWKS fetch, a token refresh) failed: whoever waits for the
# result, or comes next, gives up at once until it expires instead of trying
# again (Auth0 is rate limited). Pickles as a plain string across processes.
RECENTLY_FAILED: Final = "failed"

# Per process: stands in for the shared cache where a per-process answer is
# still safe (JWKS documents and fetch stamps, used jtis).
PROCESS_LOCAL = LocMemCache(
    "social_auth0-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}}
)

# (alias, purpose) -> monotonic time of the last warning, while degraded.
_degraded: dict[tuple[str, str], float] = {}


def forget_degradation() -> None:
    """Clear the fallback cache and the warning state (tests)."""
    PROCESS_LOCAL.clear()
    _degraded.clear()


class SharedCache:
    """One purpose's use of a Django cache that degrades instead of raising.

    ``consequence`` completes the warning: what happens while the cache is
    down (e.g. "revocations are checked in the database").
    """

    def __init__(
        self,
        alias: str,
        purpose: str,
        *,
        consequence: str,
        fallback: BaseCache | None = None,
    ) -> None:
        self.alias = alias
        self.fallback = fallback
        self.state_key = (alias, purpose)
        self.consequence = consequence

    def get(self, key: str) -> Any:
        """``cache.get``; a miss is None."""
        return self._call("get", key)

    def add(self, key: str, value: Any, timeout: float) -> Any:
        """``cache.add``: True if the key was free."""
        return self._call("add", key, value, timeout)

    def set(self, key: str, value: Any, timeout: float) -> Any:
        """``cache.set``."""
        return self._call("set", key, value, timeout)

    def set_many(self, values: dict[str, Any], timeout: float) -> Any:
        """``cache.set_many`` (one round trip)."""
        return self._call("set_many", values, timeout)

    def delete(self, key: str) -> Any:
        """``cache.delete``."""
        return self._call("delete", key)

    def _call(self, operation: str, *args: Any) -> Any:
        # Looked up per call: Django gives each thread its own client, and a
        # SharedCache may be kept for the process (the tenant's keys). Outside
        # the net below: an alias naming no cache is a configuration error.
        cache = caches[self.alias]
        try:
            result = getattr(cache, operation)(*args)
        # Each backend raises its own transport errors (redis, pymemcache,
        # DatabaseError...): any of them means "the cache is not there".
        except Exception as error:
            self._warn(error)
            if self.fallback is None:
                return UNAVAILABLE
            return getattr(self.fallback, operation)(*args)
        if self.state_key in _degraded:
            del _degraded[self.state_key]
            logger.info("Shared cache %r answers again (%s)", *self.state_key)
        return result

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        last = _degraded.get(self.state_key)
        if last is not None and now - last < WARN_INTERVAL:
            return
        _degraded[self.state_key] = now
        alias, purpose = self.state_key
        logger.warning(
            "Shared cache %r failed for %s (%s): %s until it answers again",
            alias,
            purpose,
            type(error).__name__,
            self.consequence,
        )
