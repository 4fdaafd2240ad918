"""Refreshing a user's stored tokens: the deployment-wide lock and the
exchange at Auth0's token endpoint; storing a login's tokens.

Refreshes are single-flight for the whole deployment: with refresh-token
rotation and Auth0's default reuse interval of 0, two refreshes with one
refresh token make Auth0 revoke the token family (and log the user out
everywhere). So one caller takes a lock in the shared cache, re-reads the
stored tokens under it (someone may have refreshed meanwhile) and refreshes;
the others wait for the lock and use what it stored. ``access.py`` is the
public face (``get_access_token``).

``aaccess_token_for`` is the same for an event loop: the same lock, rows and
exchange (so the single flight holds across sync and async callers and
processes); the cache and the database are used in worker threads and the
waits are ``asyncio.sleep``, so waiting for another caller's refresh never
blocks the loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.core.cache import InvalidCacheBackendError, caches
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    AuthProviderError,
    SocialAuthBaseException,
)

from .. import clock, conf
from ..cache import RECENTLY_FAILED
from ..errors import MfaRequired, ReauthenticationRequired, log_rejection
from ..errors import social_backend as base
from . import store as token_store
from .revocation import issued_here

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

    from . import TokenBackend
    from .store import StoredTokens

logger = logging.getLogger(__name__)

MIN_TTL = 60  # seconds an access token must still be valid when handed out
REFRESH_LOCK_TIMEOUT = 15  # seconds; longer than one token request may take
# After a refresh failed for a transient reason, callers waiting for it (and
# new ones) give up at once for this long instead of each trying again.
REFRESH_FAILURE_BACKOFF = 2
POLL_INTERVAL = 0.02  # seconds between looks at another caller's lock
# Tests switch this off to show what happens without the lock (the control
# of the multi-process race test). Never a setting: nobody should run so.
SINGLE_FLIGHT = True


def audience_of(backend: TokenBackend) -> str:
    """The API the stored tokens are for: ``AUDIENCE``, or "" for none."""
    return str(backend.setting("AUDIENCE") or "")


def access_token_for(
    backend: TokenBackend, user: Any, *, min_ttl: int = MIN_TTL
) -> str:
    """``get_access_token`` for a user and a backend rather than a request."""
    audience = audience_of(backend)
    stored = _loaded(backend, token_store.load(user.pk, audience))
    if _fresh_or_refreshable(backend, stored, min_ttl):
        return stored.access_token
    if not SINGLE_FLIGHT:
        return exchange(backend, stored)
    return RefreshLock(backend, user.pk, audience).refresh(min_ttl)


async def aaccess_token_for(
    backend: TokenBackend, user: Any, *, min_ttl: int = MIN_TTL
) -> str:
    """``access_token_for`` on an event loop (``aget_access_token``)."""
    audience = audience_of(backend)
    stored = _loaded(backend, await sync_to_async(token_store.load)(user.pk, audience))
    if _fresh_or_refreshable(backend, stored, min_ttl):
        return stored.access_token
    if not SINGLE_FLIGHT:
        return await sync_to_async(exchange)(backend, stored)
    return await RefreshLock(backend, user.pk, audience).arefresh(min_ttl)


def _loaded(backend: TokenBackend, stored: StoredTokens | None) -> StoredTokens:
    if stored is None:
        raise ReauthenticationRequired(
            base(backend),
            "no tokens are stored for this user "
            "(SOCIAL_AUTH_AUTH0_STORE_TOKENS, and a login since it was set)",
            stage="refresh",
        )
    if not issued_here(backend, stored.sub):
        # Another site's tenant issued them (a user linked at both sites): its
        # access token is for another tenant's API, and its refresh token
        # must never reach this tenant. They stay for that site.
        raise ReauthenticationRequired(
            base(backend),
            "the stored tokens were issued by another tenant than this site's",
            stage="refresh",
        )
    return stored


def _fresh_or_refreshable(
    backend: TokenBackend, stored: StoredTokens, min_ttl: int
) -> bool:
    """True when ``stored`` is fresh enough, False when it must be refreshed;
    ``ReauthenticationRequired`` when it cannot be."""
    if stored.seconds_left(clock.current_time()) >= min_ttl:
        return True
    if not stored.refresh_ciphertext:
        raise ReauthenticationRequired(
            base(backend),
            "the access token expires and there is no refresh token "
            "(add 'offline_access' to SOCIAL_AUTH_AUTH0_SCOPE)",
            stage="refresh",
            claim="refresh_token",
        )
    return False


class RefreshLock:
    """The deployment-wide lock on refreshing one user's tokens for one API."""

    def __init__(self, backend: TokenBackend, user_id: Any, audience: str) -> None:
        self.backend = backend
        self.user_id = user_id
        self.audience = audience
        self.cache = self._cache()
        self.timeout = self._timeout()
        # Hashed: an API identifier is a URL, and memcached refuses some keys.
        digest = hashlib.sha256(f"{user_id} {audience}".encode()).hexdigest()[:32]
        self.key = f"social_auth0:refresh:{digest}"
        self.holder = secrets.token_hex(8)

    def _cache(self) -> BaseCache:
        alias = self.backend.setting("REFRESH_LOCK_CACHE")
        alias = alias or self.backend.shared_cache()
        try:
            return caches[alias]
        except InvalidCacheBackendError as error:
            raise AuthConfigurationError(
                base(self.backend),
                f"REFRESH_LOCK_CACHE names no configured cache: {alias!r}",
                code="invalid_setting",
                parameter="REFRESH_LOCK_CACHE",
                stage="refresh",
            ) from error

    def _timeout(self) -> int:
        value = self.backend.setting("REFRESH_LOCK_TIMEOUT", REFRESH_LOCK_TIMEOUT)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AuthConfigurationError(
                base(self.backend),
                "SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT must be an integer >= 1",
                code="invalid_setting",
                parameter="REFRESH_LOCK_TIMEOUT",
                stage="refresh",
            )
        return value

    def refresh(self, min_ttl: int) -> str:
        """Refresh under the lock, or wait for whoever holds it and use its result."""
        deadline = time.monotonic() + self.timeout + 1
        while True:
            if self.cache.add(self.key, self.holder, self.timeout):
                token = self._refresh_holding_lock(min_ttl)
                if token is not None:
                    return token
                # Another process holds the row's claim: a cache whose add()
                # is not atomic (FileBasedCache) let two of us take the lock.
                time.sleep(POLL_INTERVAL)
            else:
                self._wait(deadline)
            current = self._reread()
            if current.seconds_left(clock.current_time()) >= min_ttl:
                return current.access_token
            if time.monotonic() >= deadline:
                raise self._timed_out()
            # Still stale and the lock is free: its holder died (the lock
            # timed out) or lost the claim. Try again.

    async def arefresh(self, min_ttl: int) -> str:
        """``refresh`` on an event loop: the cache (its async API) and the
        rows in worker threads, the waits on the loop."""
        deadline = time.monotonic() + self.timeout + 1
        while True:
            if await self.cache.aadd(self.key, self.holder, self.timeout):
                token = await sync_to_async(self._refresh_holding_lock)(min_ttl)
                if token is not None:
                    return token
                await asyncio.sleep(POLL_INTERVAL)  # see refresh
            else:
                await self._await_release(deadline)
            current = await sync_to_async(self._reread)()
            if current.seconds_left(clock.current_time()) >= min_ttl:
                return current.access_token
            if time.monotonic() >= deadline:
                raise self._timed_out()

    def _refresh_holding_lock(self, min_ttl: int) -> str | None:
        """The fresh token, or None when another caller holds the row's claim."""
        failed = False
        try:
            current = self._reread()  # another caller may have refreshed already
            if current.seconds_left(clock.current_time()) >= min_ttl:
                return current.access_token
            claimed = token_store.claim_exchange(
                current, now=clock.current_time(), hold=self.timeout
            )
            if claimed is None:
                return None
            return exchange(self.backend, claimed)
        except ReauthenticationRequired:
            raise
        except SocialAuthBaseException:
            failed = True
            raise
        finally:
            self._release(failed=failed)

    def _timed_out(self) -> AuthProviderError:
        return AuthProviderError(
            base(self.backend),
            "another refresh of this user's token did not finish in time",
            code="timeout",
            stage="refresh",
        )

    def _reread(self) -> StoredTokens:
        current = token_store.load(self.user_id, self.audience)
        if current is None:  # dropped meanwhile: invalid_grant, or a logout
            raise ReauthenticationRequired(
                base(self.backend), "the stored tokens were dropped", stage="refresh"
            )
        # Replaced meanwhile by a login at another site: its tokens are not
        # this tenant's to hand out or to refresh.
        return _loaded(self.backend, current)

    def _release(self, *, failed: bool) -> None:
        # Only our own lock: if it timed out, another caller may hold it now.
        # (The cache has no compare-and-delete; the window is one round trip.)
        if self.cache.get(self.key) != self.holder:
            return
        if failed:
            self.cache.set(self.key, RECENTLY_FAILED, REFRESH_FAILURE_BACKOFF)
        else:
            self.cache.delete(self.key)

    def _wait(self, deadline: float) -> None:
        """Wait until the lock is released; fail when the holder's refresh failed."""
        while True:
            value = self.cache.get(self.key)
            if value is None:
                return
            self._still_waiting(value, deadline)
            time.sleep(POLL_INTERVAL)

    async def _await_release(self, deadline: float) -> None:
        """``_wait`` on an event loop."""
        while True:
            value = await self.cache.aget(self.key)
            if value is None:
                return
            self._still_waiting(value, deadline)
            await asyncio.sleep(POLL_INTERVAL)

    def _still_waiting(self, value: object, deadline: float) -> None:
        """Raise when the holder's refresh failed or the wait is over."""
        if value == RECENTLY_FAILED:
            raise AuthProviderError(
                base(self.backend),
                "a refresh of this user's token just failed; retry later",
                code="unavailable",
                stage="refresh",
            )
        if time.monotonic() >= deadline:
            raise self._timed_out()


def exchange(backend: TokenBackend, stored: StoredTokens) -> str:
    """Send the refresh token once, verify the answer, store it; the new token.

    ``stored`` is the row as claimed (``token_store.claim_exchange``); only
    the lock-disabled test switch calls this without a claim.

    ``invalid_grant`` (revoked, expired, reused, user blocked) drops the stored
    tokens; a transport error or a 5xx keeps them (the answer may come next
    time). A refresh whose answer was lost is retried with the same token:
    that is logged, and only a reuse interval at Auth0 lets it succeed.
    """
    if stored.exchange_in_doubt:
        logger.warning(
            "Retrying the refresh of user %s's token: the previous attempt got "
            "no answer (Auth0 accepts it again only within its reuse interval)",
            stored.user_id,
        )
    sent_at = clock.current_time()
    response = _refresh_request(backend, stored)
    _verify_refreshed_id_token(backend, stored, response)
    leeway = backend.leeway()
    if not token_store.replace(stored, response, sent_at=sent_at, leeway=leeway):
        logger.warning(
            "The tokens of user %s changed during a refresh; kept the newer ones",
            stored.user_id,
        )
    return str(response["access_token"])


def _refresh_request(backend: TokenBackend, stored: StoredTokens) -> dict[str, Any]:
    refresh_token = stored.refresh_token
    if refresh_token is None:  # no configured key opens it any more
        token_store.forget_undecryptable(stored.pk, stored.version, stored.user_id)
        raise ReauthenticationRequired(
            base(backend),
            "the stored refresh token cannot be decrypted",
            stage="refresh",
        )
    try:
        return backend.refresh_token(refresh_token)
    except AuthCredentialError as error:  # invalid_grant at stage "refresh"
        token_store.drop(stored)
        log_rejection(error, "token refresh")
        raise ReauthenticationRequired(
            base(backend),
            f"Auth0 refused the refresh token ({error.provider_code}); "
            "the stored tokens were dropped",
            stage="refresh",
            provider_code=error.provider_code,
            status_code=error.status_code,
        ) from error
    except SocialAuthBaseException as error:
        if error.status_code is not None:
            # An HTTP answer (a 5xx, a 429): Auth0 refused, nothing was lost.
            # Without one (timeout, connection) the token may have been spent.
            token_store.clear_exchange_mark(stored)
        log_rejection(error, "token refresh")
        if error.provider_code == "mfa_required":
            # An Action demands MFA for this API: the tokens stay (a step-up
            # login replaces them); Auth0's mfa_token is dropped, never kept.
            raise MfaRequired(
                base(backend),
                "Auth0 demands MFA to refresh the tokens for this API: "
                "step up (social_auth0.access.mfa_step_up)",
                stage="refresh",
                provider_code=error.provider_code,
                status_code=error.status_code,
            ) from None
        raise


def _verify_refreshed_id_token(
    backend: TokenBackend, stored: StoredTokens, response: dict[str, Any]
) -> None:
    """An ID token in the answer is verified like a login's, and is the same user's.

    Otherwise nothing is stored and the stored tokens are dropped: under
    rotation the refresh token just sent is spent, so keeping it would only
    make the next call a reuse.
    """
    id_token = response.get("id_token")
    if id_token is None:
        return
    try:
        claims = backend.verify_refreshed_id_token(id_token)
        # The stored sub is the identity's uid: (issuer, sub), conf.identity_uid.
        identity = conf.identity_uid(claims["iss"], claims["sub"], backend.name)
        if identity != stored.sub:
            raise AuthCredentialError(
                base(backend),
                "the refreshed ID token's sub is not the stored user's",
                code="user_mismatch",
                claim="sub",
                stage="refresh",
            )
    except SocialAuthBaseException as error:
        error.stage = "refresh"
        token_store.drop(stored)
        log_rejection(error, "token refresh")
        raise ReauthenticationRequired(
            base(backend),
            "the refresh answer failed verification; the stored tokens were dropped",
            stage="refresh",
            claim=error.claim,
        ) from error


def store_login_tokens(
    backend: TokenBackend,
    user: Any,
    uid: str,
    response: dict[str, Any],
    stamp: str = "",
) -> None:
    """Keep a login's access and refresh tokens, encrypted (``STORE_TOKENS``)."""
    if not isinstance(response.get("access_token"), str):
        return
    replaced = token_store.save_login(
        user,
        sub=uid,
        audience=audience_of(backend),
        response=response,
        sent_at=clock.current_time(),
        leeway=backend.leeway(),
        stamp=stamp,
    )
    if replaced:
        # Nobody can use the previous login's refresh token any more: a live
        # credential nobody holds should not stay valid at Auth0.
        from .revocation import revoke_refresh_tokens

        revoke_refresh_tokens(backend, [replaced])


def on_login_tokens(
    sender: Any,
    backend: TokenBackend,
    user: Any,
    uid: str,
    response: dict[str, Any],
    social: Any = None,
    stamp: str = "",
    **kwargs: Any,
) -> None:
    """``login_tokens`` receiver: no plaintext token stays on the association;
    with ``STORE_TOKENS`` the login's tokens are kept, encrypted, under the
    login's ``stamp``."""
    scrub_extra_data(social)
    if backend.setting("STORE_TOKENS", False) and user is not None:
        store_login_tokens(backend, user, uid, response, stamp)


def scrub_extra_data(social: Any) -> None:
    """Remove plaintext tokens an older backend left in ``extra_data`` (and save)."""
    data = getattr(social, "extra_data", None)
    if isinstance(data, dict) and token_store.scrub_plaintext(data):
        social.save(update_fields=["extra_data"])
        logger.info("Removed plaintext tokens from the extra_data of %s", social.pk)
