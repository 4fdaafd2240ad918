"""The tenant's signing keys: fetched through the backend, shared through the
Django cache, parsed once per process, refetched on rotation.

Two layers, because python-jose key objects do not pickle:

* the Django cache (shared by every worker process and host) holds the raw
  JWKS with its fetch time, and a short-lived *fetch stamp* taken with
  ``cache.add``: whoever adds the stamp fetches, everybody else waits for or
  reuses the result. That makes the first fetch single-flight and caps
  refetches for unknown ``kid`` values at one per interval for the whole
  deployment, so a flood of forged kids cannot become a flood of requests to
  Auth0 (whose JWKS endpoint is rate limited);
* each process keeps the parsed keys by ``kid``. A login whose ``kid`` is
  known and fresh touches neither the network nor the cache.

``lookup_warm`` is ``lookup`` for the event loop (async views): it answers
from this process's fresh keys only, and raises ``KeysNotWarm`` wherever
``lookup`` would read the shared cache or fetch; the caller then does that
part in a worker thread (``resource.py``).

When the shared cache is down, the document and the stamp live in a
process-local fallback (cache.py): logins still work, and refetches are then
rate limited per process instead of per deployment.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.cache import InvalidCacheBackendError, caches
from jose import jwk
from jose.exceptions import JOSEError
from social_core.exceptions import (
    AuthConfigurationError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)

from .. import clock
from ..cache import PROCESS_LOCAL, RECENTLY_FAILED, SharedCache, forget_degradation
from .claims import TokenRejected, display_value
from .compact import ALGORITHM, issuer_prefixes, unverified_issuer

if TYPE_CHECKING:
    from jose.backends.base import Key
    from social_core.backends.base import BaseAuth

logger = logging.getLogger(__name__)

# How often a waiting process looks for another process's fetch result.
POLL_INTERVAL = 0.05


@dataclass
class KeySet:
    """Parsed RS256 signing keys of one JWKS document."""

    fetched_at: float
    by_kid: dict[str, Key] = field(default_factory=dict)
    # Keys without a kid can only serve tokens without one.
    unnamed: list[Key] = field(default_factory=list)

    def all_keys(self) -> list[Key]:
        """Every signing key, for a token that names no kid."""
        return [*self.by_kid.values(), *self.unnamed]


# jwks_url -> KeySet, for this process only.
_process_keys: dict[str, KeySet] = {}


class KeysNotWarm(Exception):  # noqa: N818 (control flow, not an error)
    """The lookup needs the shared cache or the network: not on an event loop."""


def forget_keys() -> None:
    """Drop this process's parsed keys and cache fallback (tests; the shared
    cache is untouched)."""
    _process_keys.clear()
    forget_degradation()


def parse_jwks(
    backend: BaseAuth[Any] | None, document: object, fetched_at: float
) -> KeySet:
    """Build a KeySet from a JWKS document, keeping only RS256 signing keys."""
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list):
        raise AuthResponseError(
            backend,
            "JWKS document has no 'keys' list",
            code="malformed_response",
            stage="token_validation",
        )
    keyset = KeySet(fetched_at=fetched_at)
    for entry in keys:
        key = _signing_key(entry)
        if key is None:
            continue
        kid = entry.get("kid")
        if isinstance(kid, str) and kid:
            keyset.by_kid[kid] = key
        else:
            keyset.unnamed.append(key)
    if not keyset.all_keys():
        raise AuthResponseError(
            backend,
            "JWKS document holds no RS256 signing key",
            code="malformed_response",
            stage="token_validation",
        )
    return keyset


def _signing_key(entry: object) -> Key | None:
    """Return a python-jose key for an RSA signature JWK, else None."""
    if not isinstance(entry, Mapping) or entry.get("kty") != "RSA":
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
        return None
    try:
        return jwk.construct(dict(entry), algorithm=ALGORITHM)
    except (JOSEError, TypeError, ValueError):
        logger.warning("Skipping an unusable RSA key in the tenant's JWKS")
        return None


class TenantKeys:
    """Key lookup for one tenant: ``lookup(kid)`` yields candidate keys."""

    def __init__(
        self,
        backend: BaseAuth[Any],
        url: str,
        *,
        cache_alias: str,
        ttl: float,
        refetch_interval: float,
        wait: float,
    ) -> None:
        self.backend = backend
        self.url = url
        self.ttl = ttl
        self.refetch_interval = refetch_interval
        self.wait = wait
        self.cache = self._cache(cache_alias)
        digest = hashlib.sha256(url.encode()).hexdigest()[:32]
        self.document_key = f"social_auth0:jwks:{digest}"
        self.stamp_key = f"social_auth0:jwks-fetch:{digest}"

    def _cache(self, alias: str) -> SharedCache:
        try:
            caches[alias]  # a configured alias, or a configuration error
        except InvalidCacheBackendError as error:
            raise AuthConfigurationError(
                self.backend,
                f"SHARED_CACHE names no configured cache: {alias!r}",
                code="invalid_setting",
                parameter="SHARED_CACHE",
                stage="token_validation",
            ) from error
        return SharedCache(
            alias,
            "the tenant's JWKS",
            consequence="each process fetches the keys itself, at most once "
            "per JWKS_REFETCH_INTERVAL",
            fallback=PROCESS_LOCAL,
        )

    def lookup(self, kid: str | None) -> Iterable[Key]:
        """The keys to try for a token with this ``kid``: the key named so
        (after a refetch if unknown), else every key, then a refetch's."""
        keyset = self.current()
        if kid is None:
            return self._every_key(keyset)
        key = keyset.by_kid.get(kid)
        if key is None:
            # Unknown kid: Auth0 may have rotated its keys. Refetch (rate
            # limited deployment-wide) and look again.
            refreshed = self.refetch()
            key = refreshed.by_kid.get(kid) if refreshed else None
        return () if key is None else (key,)

    def lookup_warm(self, kid: str | None) -> Iterable[Key]:
        """``lookup`` without I/O: this process's fresh keys, else
        ``KeysNotWarm`` where ``lookup`` would read the cache or fetch."""
        keyset = self.warm()
        if keyset is None:
            raise KeysNotWarm
        if kid is None:
            return self._every_warm_key(keyset)
        key = keyset.by_kid.get(kid)
        if key is None:  # lookup would refetch
            raise KeysNotWarm
        return (key,)

    @staticmethod
    def _every_warm_key(keyset: KeySet) -> Iterator[Key]:
        yield from keyset.all_keys()
        raise KeysNotWarm  # no current key verified: lookup would refetch

    def warm(self) -> KeySet | None:
        """This process's keys if still fresh (no I/O), else None."""
        local = _process_keys.get(self.url)
        if local is not None and clock.current_time() - local.fetched_at < self.ttl:
            return local
        return None

    def _every_key(self, keyset: KeySet) -> Iterator[Key]:
        """Every key of ``keyset``, then those of a refetch: a generator, so
        that the refetch happens only when no current key verified the token."""
        yield from keyset.all_keys()
        refreshed = self.refetch()
        if refreshed is not None:
            yield from refreshed.all_keys()

    def current(self) -> KeySet:
        """Return fresh keys: this process's, the shared cache's, or fetched."""
        warm = self.warm()
        if warm is not None:
            return warm
        local = _process_keys.get(self.url)
        shared = self._shared_keys()
        if shared is not None and (
            local is None or shared.fetched_at > local.fetched_at
        ):
            return shared
        try:
            fetched = self._fetch_once()
        except SocialAuthBaseException:
            if local is None:
                raise
            fetched = None  # the tenant is down: stale keys beat a failed login
        if fetched is not None:
            return fetched
        if local is not None:
            # Another process is refreshing (or the tenant is down).
            return local
        return self._wait_for_fetch()

    def refetch(self) -> KeySet | None:
        """Fetch again if nobody did within the refetch interval."""
        local = _process_keys.get(self.url)  # before _shared_keys() replaces it
        shared = self._shared_keys()
        if (
            shared is not None
            and local is not None
            and shared.fetched_at > local.fetched_at
        ):
            # Another process already refetched: use its result.
            return shared
        return self._fetch_once(refetch=True)

    def _shared_keys(self) -> KeySet | None:
        entry = self.cache.get(self.document_key)
        if not isinstance(entry, dict) or "fetched_at" not in entry:
            return None
        local = _process_keys.get(self.url)
        if local is not None and local.fetched_at == entry["fetched_at"]:
            return local
        keyset = parse_jwks(self.backend, entry.get("jwks"), entry["fetched_at"])
        _process_keys[self.url] = keyset
        return keyset

    def _fetch_once(self, *, refetch: bool = False) -> KeySet | None:
        """Fetch if this process wins the stamp; None when another one holds it.

        After a refetch (an unknown kid) the stamp stays for the interval:
        that is the deployment-wide rate limit. After a scheduled fetch (none
        cached, or expired) it is released, so a rotation that follows at once
        can still be picked up.
        """
        if not self.cache.add(self.stamp_key, "fetching", self.refetch_interval):
            return None
        try:
            document = self.backend.get_json(self.url, stage="token_validation")
            keyset = parse_jwks(self.backend, document, clock.current_time())
        except Exception:
            # Keep the stamp (marked failed) for the interval: a down or broken
            # JWKS endpoint is retried once per interval, not once per login.
            self.cache.set(self.stamp_key, RECENTLY_FAILED, self.refetch_interval)
            raise
        self.cache.set(
            self.document_key,
            {"jwks": document, "fetched_at": keyset.fetched_at},
            timeout=self.ttl,
        )
        if not refetch:
            self.cache.delete(self.stamp_key)
        _process_keys[self.url] = keyset
        logger.debug("Fetched the tenant's JWKS (%d keys)", len(keyset.all_keys()))
        return keyset

    def _wait_for_fetch(self) -> KeySet:
        """Wait for the process that holds the stamp to publish the keys."""
        deadline = time.monotonic() + self.wait
        while True:
            stamp = self.cache.get(self.stamp_key)
            if stamp == RECENTLY_FAILED:
                break
            shared = self._shared_keys()
            if shared is not None:
                return shared
            if stamp is None:
                # The stamp expired before anyone published keys: try ourselves.
                fetched = self._fetch_once()
                if fetched is not None:
                    return fetched
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)
        raise AuthProviderError(
            self.backend,
            "the tenant's JWKS could not be fetched recently; retrying later",
            code="unavailable",
            stage="token_validation",
        )


class IssuerKeys:
    """The keys of each of the tenant's domains, by the issuer it signs as.

    A token of any configured domain is checked with that domain's keys and
    issuer; a token naming any other ``iss`` is refused before a key is
    looked up, so it costs no request to anyone.
    """

    def __init__(self, by_issuer: Mapping[str, TenantKeys]) -> None:
        self.by_issuer = dict(by_issuer)
        self.prefixes = issuer_prefixes(self.by_issuer)

    def route(self, token: object, max_length: int) -> tuple[str, TenantKeys]:
        """(the configured issuer ``token`` names, that domain's keys)."""
        issuer = unverified_issuer(token, max_length, self.prefixes)
        keys = self.by_issuer.get(issuer) if isinstance(issuer, str) else None
        if keys is None or not isinstance(issuer, str):
            raise TokenRejected(
                f"token iss {display_value(issuer, 200)} is none of the "
                f"tenant's domains ({', '.join(self.by_issuer)})",
                code="invalid_claim",
                claim="iss",
            )
        return issuer, keys
