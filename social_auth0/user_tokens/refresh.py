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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.core.cache import InvalidCacheBackendError, caches
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    AuthProviderError,
    AuthResponseError,
    SocialAuthBaseException,
)

from .. import clock, conf
from ..cache import RECENTLY_FAILED
from ..errors import MfaRequired, ReauthenticationRequired, log_rejection
from ..errors import social_backend as base
from . import store as token_store
from .binding import bound_key, signing_with
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
# The code of the error raised when Auth0 answered an exchange for another API
# with a token for the default one (no refresh-token policy covers the API).
POLICY_MISSING = "refresh_token_policy_missing"
FALLBACK_ANSWERS = {
    "aud": "a token for another API",
    "malformed_response": "a token that is not a JWT (not one for an API)",
}


def audience_of(backend: TokenBackend) -> str:
    """The API the login's tokens are for: ``AUDIENCE``, or "" for none."""
    return str(backend.setting("AUDIENCE") or "")


@dataclass(frozen=True)
class Target:
    """What a caller asks for: the login's own token (``api`` None), or a
    token for the API ``api`` with at least ``scopes``, got with the login's
    refresh token (Auth0's multi-resource refresh tokens). ``family`` is the
    login's ``AUDIENCE``: its row holds the one refresh token every exchange
    spends, so the lock is the family's, whatever the API."""

    family: str
    api: str | None = None
    scopes: frozenset[str] = frozenset()

    def cached(
        self, backend: TokenBackend, user_id: Any, login: StoredTokens, min_ttl: int
    ) -> str | None:
        """A stored token that stays valid ``min_ttl`` seconds, else None."""
        now = clock.current_time()
        if self.api is None:
            fresh = login.seconds_left(now) >= min_ttl
            return login.access_token if fresh else None
        for stored in token_store.covering(
            user_id, self.api, self.scopes, valid_until=now + min_ttl
        ):
            if issued_here(backend, stored.sub):
                return stored.access_token
        return None

    def exchange(self, backend: TokenBackend, login: StoredTokens) -> str:
        """Spend the login's refresh token (claimed) for this target's token."""
        if self.api is None:
            return exchange(backend, login)
        return exchange_for_api(backend, login, self.api, self.scopes)


def target_for(
    backend: TokenBackend, audience: str | None, scope: str | Iterable[str] | None
) -> Target:
    """The ``Target`` of ``get_access_token(audience=..., scope=...)``; an
    ``AuthConfigurationError`` for an API or scope ``APIS`` does not list."""
    family = audience_of(backend)
    if scope is None and audience in (None, family):
        return Target(family)
    api = family if audience is None else audience
    scopes = frozenset(scope.split() if isinstance(scope, str) else scope or ())
    if not api:
        raise _not_configured(
            backend, "a scope of the login's own token needs an AUDIENCE", "AUDIENCE"
        )
    if api != family:
        _check_listed(backend, api, scopes)
    else:
        _check_login_scopes(backend, family, scopes)
    return Target(family, api, scopes)


def _check_login_scopes(
    backend: TokenBackend, family: str, scopes: frozenset[str]
) -> None:
    """A narrower token for the login's own API: only scopes the login asks
    for (``SCOPE``) or ``APIS`` lists for it; anything else (a value from a
    request, say) costs no exchange and no stored row."""
    try:
        listed = conf.api_scopes(backend.setting("APIS")).get(family, frozenset())
    except ValueError as error:
        raise _not_configured(backend, f"SOCIAL_AUTH_AUTH0_APIS {error}") from error
    unlisted = scopes - listed - set(backend.get_scope())
    if unlisted:
        raise _not_configured(
            backend,
            "the login asks for no scope "
            f"{' '.join(sorted(unlisted))!r} (SOCIAL_AUTH_AUTH0_SCOPE, "
            "or SOCIAL_AUTH_AUTH0_APIS for the login's AUDIENCE)",
            "SCOPE",
        )


def _check_listed(backend: TokenBackend, api: str, scopes: frozenset[str]) -> None:
    try:
        allowed = conf.api_scopes(backend.setting("APIS")).get(api)
    except ValueError as error:
        raise _not_configured(backend, f"SOCIAL_AUTH_AUTH0_APIS {error}") from error
    if allowed is None:
        raise _not_configured(
            backend, f"the API {api!r} is not in SOCIAL_AUTH_AUTH0_APIS"
        )
    if not scopes <= allowed:
        unlisted = " ".join(sorted(scopes - allowed))
        raise _not_configured(
            backend, f"SOCIAL_AUTH_AUTH0_APIS[{api!r}] does not list {unlisted!r}"
        )


def _not_configured(
    backend: TokenBackend, detail: str, parameter: str = "APIS"
) -> AuthConfigurationError:
    return AuthConfigurationError(
        base(backend),
        detail,
        code="invalid_setting",
        parameter=parameter,
        stage="refresh",
    )


def access_token_for(
    backend: TokenBackend,
    user: Any,
    *,
    audience: str | None = None,
    scope: str | Iterable[str] | None = None,
    min_ttl: int = MIN_TTL,
) -> str:
    """``get_access_token`` for a user and a backend rather than a request."""
    target = target_for(backend, audience, scope)
    login = _loaded(backend, token_store.load(user.pk, target.family))
    token = target.cached(backend, user.pk, login, min_ttl)
    if token is not None:
        return token
    _refreshable(backend, login)
    if not SINGLE_FLIGHT:
        return target.exchange(backend, login)
    return RefreshLock(backend, user.pk, target).refresh(min_ttl)


async def aaccess_token_for(
    backend: TokenBackend,
    user: Any,
    *,
    audience: str | None = None,
    scope: str | Iterable[str] | None = None,
    min_ttl: int = MIN_TTL,
) -> str:
    """``access_token_for`` on an event loop (``aget_access_token``)."""
    target = target_for(backend, audience, scope)
    login = _loaded(
        backend, await sync_to_async(token_store.load)(user.pk, target.family)
    )
    token = await sync_to_async(target.cached)(backend, user.pk, login, min_ttl)
    if token is not None:
        return token
    _refreshable(backend, login)
    if not SINGLE_FLIGHT:
        return await sync_to_async(target.exchange)(backend, login)
    return await RefreshLock(backend, user.pk, target).arefresh(min_ttl)


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


def _refreshable(backend: TokenBackend, stored: StoredTokens) -> None:
    """``ReauthenticationRequired`` when there is no refresh token to spend."""
    if not stored.refresh_ciphertext:
        raise ReauthenticationRequired(
            base(backend),
            "the access token expires and there is no refresh token "
            "(add 'offline_access' to SOCIAL_AUTH_AUTH0_SCOPE)",
            stage="refresh",
            claim="refresh_token",
        )


class RefreshLock:
    """The deployment-wide lock on spending one user's refresh token: one
    lock per refresh-token family (the login's row), whichever API the
    caller asks for, since with rotation every exchange spends the one token."""

    def __init__(self, backend: TokenBackend, user_id: Any, target: Target) -> None:
        self.backend = backend
        self.user_id = user_id
        self.target = target
        self.audience = target.family
        self.cache = self._cache()
        self.timeout = self._timeout()
        # Hashed: an API identifier is a URL, and memcached refuses some keys.
        family = self.audience
        digest = hashlib.sha256(f"{user_id} {family}".encode()).hexdigest()[:32]
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
            token = self._stored_token(min_ttl)
            if token is not None:
                return token
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
            token = await sync_to_async(self._stored_token)(min_ttl)
            if token is not None:
                return token
            if time.monotonic() >= deadline:
                raise self._timed_out()

    def _refresh_holding_lock(self, min_ttl: int) -> str | None:
        """The fresh token, or None when another caller holds the row's claim."""
        failed = False
        try:
            current = self._reread()  # another caller may have refreshed already
            token = self.target.cached(self.backend, self.user_id, current, min_ttl)
            if token is not None:
                return token
            claimed = token_store.claim_exchange(
                current, now=clock.current_time(), hold=self.timeout
            )
            if claimed is None:
                return None
            return self.target.exchange(self.backend, claimed)
        except ReauthenticationRequired:
            raise
        except SocialAuthBaseException as error:
            # A missing refresh-token policy is no outage: callers for other
            # APIs of the family need not back off.
            failed = error.code != POLICY_MISSING
            raise
        finally:
            self._release(failed=failed)

    def _stored_token(self, min_ttl: int) -> str | None:
        """What the holder stored, if it stays valid ``min_ttl`` seconds."""
        return self.target.cached(self.backend, self.user_id, self._reread(), min_ttl)

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


def exchange_for_api(
    backend: TokenBackend, stored: StoredTokens, api: str, scopes: frozenset[str]
) -> str:
    """Spend the login's refresh token (``stored``, claimed) for a token for
    ``api`` with ``scopes``; verify, store and return it.

    The rotated refresh token goes back to the login's row before the access
    token is judged: it is the family's now, whatever the answer is worth.
    Auth0 answers a request no refresh-token policy covers with a token for
    the default audience (or with fewer scopes), silently: that token is
    neither stored nor handed out (``POLICY_MISSING``).
    """
    sent_at = clock.current_time()
    scope = token_store.scope_text(scopes)
    response = _refresh_request(backend, stored, audience=api, scope=scope)
    _verify_refreshed_id_token(backend, stored, response)
    if not token_store.keep_refresh_token(stored, response):
        logger.warning(
            "The tokens of user %s changed during an exchange; kept the newer ones",
            stored.user_id,
        )
    granted = _granted_scopes(backend, response, api, scopes)
    token_store.save_api_tokens(
        stored,
        audience=api,
        scope=token_store.scope_text(granted),
        response=response,
        sent_at=sent_at,
        leeway=backend.leeway(),
    )
    return str(response["access_token"])


def _granted_scopes(
    backend: TokenBackend,
    response: dict[str, Any],
    api: str,
    scopes: frozenset[str],
) -> set[str]:
    """The scopes of an answer's access token, verified to be for ``api``
    and to include ``scopes``; else ``POLICY_MISSING``."""
    try:
        claims = backend.verify_api_access_token(response["access_token"], api)
    except AuthResponseError as error:
        # Auth0's tokens for an API are JWTs; the fallback's, without a default
        # audience, is an opaque token for /userinfo.
        answer = FALLBACK_ANSWERS.get(error.claim or error.code or "")
        if answer is None:
            raise
        raise _policy_missing(backend, api, "aud", answer) from error
    # The answer's scope (RFC 6749 section 5.1), else the verified token's.
    answered = response.get("scope", claims.get("scope"))
    granted = set(answered.split()) if isinstance(answered, str) else set()
    if not scopes <= granted:
        missing = " ".join(sorted(scopes - granted))
        raise _policy_missing(backend, api, "scope", f"no {missing!r}")
    return granted


def _policy_missing(
    backend: TokenBackend, api: str, claim: str, answer: str
) -> AuthResponseError:
    error = AuthResponseError(
        base(backend),
        f"Auth0 answered a request for a token for {api!r} with {answer}: the "
        f"application's refresh-token policies (refresh_token.policies) have "
        f"no policy for this audience and scope",
        code=POLICY_MISSING,
        claim=claim,
        stage="refresh",
    )
    log_rejection(error, "token exchange for another API")
    return error


def _refresh_request(
    backend: TokenBackend, stored: StoredTokens, **params: str
) -> dict[str, Any]:
    """The refresh answer; ``params``: ``audience`` and ``scope`` for a
    token for another API."""
    refresh_token = stored.refresh_token
    if refresh_token is None:  # no configured key opens it any more
        token_store.forget_undecryptable(stored.pk, stored.version, stored.user_id)
        raise ReauthenticationRequired(
            base(backend),
            "the stored refresh token cannot be decrypted",
            stage="refresh",
        )
    key = bound_key(backend, stored)  # a DPoP-bound token: its own key signs
    try:
        with signing_with(key):
            return backend.refresh_token(refresh_token, **params)
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
        # The stored sub is the identity's uid: (tenant, sub), conf.identity_uid.
        # The iss verified is the domain's the refresh went to; any of the
        # tenant's domains names the same tenant (DOMAIN's issuer stands for it).
        tenant_issuer = f"{backend.base_url()}/"
        identity = conf.identity_uid(tenant_issuer, claims["sub"], backend.name)
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
