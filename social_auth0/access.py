"""Calling APIs as the user: an access token that is always fresh.

``get_access_token(request)`` returns the user's stored access token while it
has ``min_ttl`` seconds left, else refreshes it through Auth0's token endpoint,
single-flight for the whole deployment (``user_tokens/refresh.py``).
``BearerAuth`` sends it with ``requests``. ``ReauthenticationRequired`` says
the user must log in again; ``MfaRequired`` (one of them), that Auth0 wants
MFA before it refreshes: answer it with ``mfa_step_up(request)``.
``aget_access_token`` is the same for ``async def`` views: nothing it waits
for blocks the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from requests.auth import AuthBase

from .backend import backend_for
from .decorators import step_up_login
from .errors import MfaRequired, ReauthenticationRequired
from .login.record import TOKEN_STAMP, login_record
from .models import Auth0Token
from .user_tokens.refresh import MIN_TTL, aaccess_token_for, access_token_for
from .user_tokens.revocation import revoke_login_tokens, revoke_refresh_tokens
from .user_tokens.store import refresh_tokens_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from requests import PreparedRequest

__all__ = [
    "BearerAuth",
    "MfaRequired",
    "ReauthenticationRequired",
    "aget_access_token",
    "get_access_token",
    "mfa_step_up",
]


def get_access_token(request: HttpRequest, *, min_ttl: int = MIN_TTL) -> str:
    """The logged-in user's access token, valid for at least ``min_ttl`` seconds.

    Raises ``ReauthenticationRequired`` when the user must log in again, and
    social-core's ``AuthProviderError`` when Auth0 cannot be reached or fails
    (the stored tokens are kept: retry later).
    """
    user = _logged_in(getattr(request, "user", None))
    # The request picks the strategy (a per-site strategy: that site's tenant
    # and AUDIENCE), also one without a session (built for a task, say).
    return access_token_for(backend_for(request), user, min_ttl=min_ttl)


async def aget_access_token(request: HttpRequest, *, min_ttl: int = MIN_TTL) -> str:
    """``get_access_token`` for ``async def`` views.

    The stored row is read, and the refresh sent, in worker threads; waiting
    for another caller's refresh (the same deployment-wide lock) is an
    ``asyncio.sleep``, so the event loop serves other requests meanwhile.
    """
    auser = getattr(request, "auser", None)  # AuthenticationMiddleware's
    user = await auser() if auser is not None else getattr(request, "user", None)
    return await aaccess_token_for(
        backend_for(request), _logged_in(user), min_ttl=min_ttl
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


class BearerAuth(AuthBase):
    """``requests`` auth sending the user's fresh access token as a Bearer token.

    The token is fetched (and refreshed if needed) when each request is sent.
    """

    def __init__(self, request: HttpRequest, *, min_ttl: int = MIN_TTL) -> None:
        self.request = request
        self.min_ttl = min_ttl

    def __call__(self, prepared: PreparedRequest) -> PreparedRequest:
        token = get_access_token(self.request, min_ttl=self.min_ttl)
        prepared.headers["Authorization"] = f"Bearer {token}"
        return prepared


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
