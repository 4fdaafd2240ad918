"""Calling APIs as the user: an access token that is always fresh.

``get_access_token(request)`` returns the user's stored access token while it
has ``min_ttl`` seconds left, else refreshes it through Auth0's token endpoint,
single-flight for the whole deployment (``user_tokens/refresh.py``). With
``audience=`` (an API ``APIS`` lists) and ``scope=``, the login's refresh
token gets a token for that API (Auth0's multi-resource refresh tokens).
``BearerAuth`` sends it with ``requests``. ``ReauthenticationRequired`` says
the user must log in again; ``MfaRequired`` (one of them), that Auth0 wants
MFA before it refreshes: answer it with ``mfa_step_up(request)``.
``aget_access_token`` is the same for ``async def`` views: nothing it waits
for blocks the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from django.db import transaction
from requests.auth import AuthBase
from social_core.exceptions import AuthConfigurationError

from .backend import backend_for
from .decorators import step_up_login
from .errors import MfaRequired, ReauthenticationRequired
from .jwt import proof
from .login.record import TOKEN_STAMP, login_record
from .models import Auth0Token
from .user_tokens import store as token_store
from .user_tokens.binding import bound_key
from .user_tokens.refresh import (
    MIN_TTL,
    Target,
    aaccess_token_for,
    access_token_for,
    target_for,
)
from .user_tokens.revocation import revoke_login_tokens, revoke_refresh_tokens
from .user_tokens.store import refresh_tokens_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from requests import PreparedRequest, Response

    from .user_tokens.store import StoredTokens

__all__ = [
    "AccessTokenAuth",
    "BearerAuth",
    "MfaRequired",
    "ReauthenticationRequired",
    "aget_access_token",
    "get_access_token",
    "mfa_step_up",
]


Scope = str | Iterable[str] | None


def get_access_token(
    request: HttpRequest,
    *,
    audience: str | None = None,
    scope: Scope = None,
    min_ttl: int = MIN_TTL,
) -> str:
    """The logged-in user's access token, valid for at least ``min_ttl`` seconds.

    ``audience`` None: for the login's ``AUDIENCE``. Another API (listed in
    ``APIS``, with ``scope`` a subset of its scopes): the smallest stored
    token covering ``scope``, else one the login's refresh token gets.
    Raises ``ReauthenticationRequired`` when the user must log in again,
    social-core's ``AuthProviderError`` when Auth0 cannot be reached or fails
    (the stored tokens are kept: retry later), ``AuthConfigurationError`` for
    an API or scope ``APIS`` does not list, and ``AuthResponseError`` (code
    ``refresh_token_policy_missing``) when Auth0 will not issue the token.
    """
    user = _logged_in(getattr(request, "user", None))
    # The request picks the strategy (a per-site strategy: that site's tenant
    # and AUDIENCE), also one without a session (built for a task, say).
    return access_token_for(
        backend_for(request), user, audience=audience, scope=scope, min_ttl=min_ttl
    )


async def aget_access_token(
    request: HttpRequest,
    *,
    audience: str | None = None,
    scope: Scope = None,
    min_ttl: int = MIN_TTL,
) -> str:
    """``get_access_token`` for ``async def`` views.

    The stored row is read, and the refresh sent, in worker threads; waiting
    for another caller's refresh (the same deployment-wide lock) is an
    ``asyncio.sleep``, so the event loop serves other requests meanwhile.
    """
    auser = getattr(request, "auser", None)  # AuthenticationMiddleware's
    user = await auser() if auser is not None else getattr(request, "user", None)
    return await aaccess_token_for(
        backend_for(request),
        _logged_in(user),
        audience=audience,
        scope=scope,
        min_ttl=min_ttl,
    )


def mfa_step_up(request: HttpRequest) -> HttpResponse:
    """The answer to ``MfaRequired``: a step-up login with MFA (``acr_values``
    for MFA, the site's ``AUDIENCE`` as every login asks), back to this page.

    The login stores the tokens it gets (``STORE_TOKENS``), replacing the ones
    Auth0 would not refresh, so the same ``get_access_token`` call succeeds
    after it. Asked even when this session's login did MFA already: Auth0
    wants it for the refresh, whatever the session proved before. 403 for a
    request that is not a GET or HEAD (a redirect would drop its body); no
    Auth0 login in this session: ``ReauthenticationRequired``.
    """
    record = login_record(request)
    if record is None:
        raise ReauthenticationRequired(
            None, "this session did not log in with Auth0", stage="refresh"
        )
    return step_up_login(request, record, mfa=True)


def _logged_in(user: Any) -> Any:
    if user is None or not user.is_authenticated:
        raise ReauthenticationRequired(
            None, "the request has no logged-in user", stage="refresh"
        )
    return user


class _UserTokenAuth(AuthBase):
    """A ``requests`` auth sending the logged-in user's fresh access token:
    ``audience`` and ``scope`` as for ``get_access_token``; the token is
    fetched (and refreshed if needed) when each request is sent."""

    def __init__(
        self,
        request: HttpRequest,
        audience: str | None = None,
        scope: Scope = None,
        *,
        min_ttl: int = MIN_TTL,
    ) -> None:
        self.request = request
        self.audience = audience
        self.scope = scope
        self.min_ttl = min_ttl

    def _current(self) -> StoredTokens:
        return _current(self.request, self.min_ttl, self.audience, self.scope)


class BearerAuth(_UserTokenAuth):
    """``requests`` auth sending the user's fresh access token as a Bearer token.

    The token is fetched (and refreshed if needed) when each request is sent;
    ``audience`` and ``scope`` as for ``get_access_token``. A DPoP-bound token
    (``SOCIAL_AUTH_AUTH0_DPOP``) is refused: an API takes it only with a proof
    (``AccessTokenAuth``).
    """

    def __init__(
        self,
        request: HttpRequest,
        *,
        audience: str | None = None,
        scope: Scope = None,
        min_ttl: int = MIN_TTL,
    ) -> None:
        super().__init__(request, audience, scope, min_ttl=min_ttl)

    def __call__(self, prepared: PreparedRequest) -> PreparedRequest:
        current = self._current()
        if current.token_type != token_store.BEARER:
            raise AuthConfigurationError(
                backend_for(self.request),
                "the user's access token is DPoP-bound (SOCIAL_AUTH_AUTH0_DPOP): "
                "send it with social_auth0.access.AccessTokenAuth, not BearerAuth",
                code="invalid_setting",
                parameter="DPOP",
            )
        prepared.headers["Authorization"] = f"Bearer {current.access_token}"
        return prepared


class AccessTokenAuth(_UserTokenAuth):
    """``requests`` auth sending the user's fresh access token as the API
    takes it: ``Authorization: DPoP`` with a fresh proof (``ath``, the
    request's method and URL) for a DPoP-bound token, ``Bearer`` otherwise.

    An API answering 401 ``use_dpop_nonce`` with a ``DPoP-Nonce`` gets the
    request once more, with a proof carrying that nonce; the nonce is kept
    for the API's origin (this process) and sent with later proofs.
    ``audience`` and ``scope`` name the token to send (the login's when None).
    """

    def __call__(self, prepared: PreparedRequest) -> PreparedRequest:
        current = self._current()
        token = current.access_token
        key = bound_key(backend_for(self.request), current)
        if key is None:
            prepared.headers["Authorization"] = f"Bearer {token}"
            return prepared
        prepared.headers["Authorization"] = f"DPoP {token}"
        _add_proof(prepared, key, token, proof.nonce_for(str(prepared.url)))
        retry = _NonceRetry(key, token, str(prepared.url), _body_start(prepared))
        prepared.register_hook("response", retry)  # type: ignore[no-untyped-call]
        return prepared


def _add_proof(
    prepared: PreparedRequest, key: proof.ClientKey, token: str, nonce: str | None
) -> None:
    prepared.headers["DPoP"] = key.proof(
        str(prepared.method), str(prepared.url), access_token=token, nonce=nonce
    )


class _NonceRetry:
    """The response hook of one request: keeps the API's ``DPoP-Nonce`` and
    re-sends once on 401 ``use_dpop_nonce`` (as requests' HTTPDigestAuth
    re-sends on its 401).

    Only for the API's own origin: requests follows a redirect with a copy
    of the request (its proof and this hook too), so a redirect to another
    origin takes the proof and the token off the copy, and another origin's
    answers are never given a proof."""

    def __init__(
        self, key: proof.ClientKey, token: str, url: str, body_start: int | None
    ) -> None:
        self.key, self.token, self.retried = key, token, False
        self.origin = proof.origin(url)
        self.body_start = body_start

    def __call__(self, response: Response, **kwargs: Any) -> Response:
        if proof.origin(str(response.request.url)) != self.origin:
            return response
        answer = response if response.is_redirect else self._retried(response, kwargs)
        if answer.is_redirect and self._leaves(answer):
            # requests copies the request it sent first for the next hop.
            for sent in (response.request, answer.request):
                for name in ("Authorization", "DPoP"):
                    sent.headers.pop(name, None)
        return answer

    def _leaves(self, response: Response) -> bool:
        """Whether the redirect ``response`` points to another origin (or
        nowhere a URL can name: requests then raises its own error)."""
        try:
            location = urljoin(str(response.request.url), response.headers["Location"])
            return proof.origin(location) != self.origin
        except ValueError:
            return True

    def _retried(self, response: Response, kwargs: dict[str, Any]) -> Response:
        """``response``, or the answer to the one retry it demands."""
        nonce = proof.remember_nonce(str(response.request.url), response)
        if self.retried or nonce is None or not _demands_nonce(response):
            return response
        if not self._rewound(response.request):
            return response
        self.retried = True
        response.content  # noqa: B018 (read, so the connection can be reused)
        response.close()
        prepared = response.request.copy()
        _add_proof(prepared, self.key, self.token, nonce)
        again: Response = response.connection.send(prepared, **kwargs)
        again.history.append(response)
        again.request = prepared
        return again

    def _rewound(self, sent: PreparedRequest) -> bool:
        """Whether the body can go again: a file body is sought back to
        where it started (its copy shares the file), a generator cannot."""
        if self.body_start is None:
            return True
        if self.body_start == _NOT_REWINDABLE:
            return False
        sent.body.seek(self.body_start)  # type: ignore[union-attr]
        return True


_NOT_REWINDABLE = -1


def _body_start(prepared: PreparedRequest) -> int | None:
    """Where a file body starts (as requests' HTTPDigestAuth keeps it); None
    for none or bytes, ``_NOT_REWINDABLE`` for one read once (a generator)."""
    body: Any = prepared.body
    if body is None or isinstance(body, bytes | str):
        return None
    try:
        return int(body.tell())
    except (AttributeError, OSError):
        return _NOT_REWINDABLE


def _demands_nonce(response: Response) -> bool:
    """401 with ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` (RFC 9449 9).

    Bounded and linear: the API may be hostile, and requests joins up to 100
    repeated headers of 64 KB each."""
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code != 401 or len(challenge) > MAX_CHALLENGE_LENGTH:
        return False
    scheme = _DPOP.search(challenge)
    return scheme is not None and bool(_USE_NONCE.search(challenge, scheme.end()))


# A real challenge (RFC 9449 7.1: algs, error, error_description) is short.
MAX_CHALLENGE_LENGTH = 4096
_DPOP = re.compile(r"(?i)\bDPoP\b")
_USE_NONCE = re.compile(r'(?i)\berror\s*=\s*"?use_dpop_nonce\b')


def _current(
    request: HttpRequest, min_ttl: int, audience: str | None, scope: Scope
) -> StoredTokens:
    """The stored row of the user's fresh access token (what it is bound to).

    Another caller may refresh between the token and the row being read:
    then once more (it is fresh now, and that costs no request)."""
    target = target_for(backend_for(request), audience, scope)
    for _ in range(2):
        token = get_access_token(
            request, audience=audience, scope=scope, min_ttl=min_ttl
        )
        for stored in _rows_of(request.user.pk, target):
            if stored.access_token == token:
                return stored
    raise ReauthenticationRequired(
        None, "the stored tokens keep changing while being sent", stage="refresh"
    )


def _rows_of(user_id: Any, target: Target) -> list[StoredTokens]:
    """The stored rows that may hold ``target``'s token."""
    if target.api is None:
        login = token_store.load(user_id, target.family)
        return [login] if login is not None else []
    return token_store.covering(user_id, target.api, target.scopes, valid_until=0)


def on_logout(
    sender: Any, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    """``user_logged_out`` receiver: revoke and delete the stored tokens this
    session's login stored (its record's ``token_stamp``).

    Tokens a newer login stored (another device's) stay: an older session
    (a replayed, long logged-out signed cookie too) never touches them. Rows
    stored before logins were stamped go with any logout of their user. Only
    with ``STORE_TOKENS``: a logout costs no query on a site that stores none.
    """
    if user is None:
        return
    # The site's own setting, asked of the backend the login asked (a per-site
    # strategy or backend), even for a bare request.
    backend = backend_for(request)
    if not backend.setting("STORE_TOKENS", False):
        return
    record = login_record(request) if request is not None else None
    stamp = str((record or {}).get(TOKEN_STAMP) or "")
    if Auth0Token.objects.filter(user_id=user.pk, login_stamp=stamp).exists():
        revoke_login_tokens(backend, user.pk, stamp)


def on_user_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` receiver of the user model: once the delete is committed
    (its ``Auth0Token`` rows go with it), revoke its refresh tokens at Auth0.

    Best effort: a failure is logged (``revoke_refresh_tokens``) and never
    stops the delete. No request: the deployment's default settings say which
    tenant (a per-site tenant's tokens are refused there, and logged).
    """
    tokens = refresh_tokens_of(instance.pk)
    if tokens:
        transaction.on_commit(
            lambda: revoke_refresh_tokens(backend_for(None), tokens),
            using=kwargs.get("using"),
        )
