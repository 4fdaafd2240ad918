"""Revoking the stored refresh tokens: at logout (ours and back-channel), when
an identity is disconnected and when its user is deleted.

The stored tokens are deleted first; then each refresh token is revoked at
Auth0's ``/oauth/revoke`` (which revokes its whole rotation family). A failed
revocation is logged and does not stop the logout: the tokens are gone here
either way, and Auth0 lets them expire.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from social_core.exceptions import SocialAuthBaseException

from .. import conf
from ..errors import log_rejection
from ..models import Auth0Session, Auth0Token
from . import store as token_store
from .store import IssuedToken

if TYPE_CHECKING:
    from . import TokenBackend

logger = logging.getLogger(__name__)


def revoke_url(backend: TokenBackend) -> str:
    """``{base}/oauth/revoke``."""
    return f"{backend.base_url()}/oauth/revoke"


def revoke_identity_tokens(backend: TokenBackend, user_id: Any, sub: str) -> int:
    """Delete the tokens one identity (``sub``) of a user stored, and revoke
    its refresh token (the identity was disconnected)."""
    return revoke_refresh_tokens(
        backend, token_store.take_refresh_tokens([user_id], sub=sub)
    )


def revoke_login_tokens(backend: TokenBackend, user_id: Any, stamp: str) -> int:
    """Delete the user's tokens the login ``stamp`` stored (a newer login's
    stay), and revoke their refresh tokens (that login's logout)."""
    return revoke_refresh_tokens(
        backend, token_store.take_refresh_tokens([user_id], stamp=stamp)
    )


def revoke_refresh_tokens(backend: TokenBackend, tokens: Iterable[IssuedToken]) -> int:
    """POST each token to ``/oauth/revoke``; failures are logged, not raised.

    Only the tokens this backend's tenant issued (``issued_here``): another
    tenant's refresh token, sent to this one with its client credentials,
    would be handed to whoever runs it; it is left to expire (logged).
    """
    revoked = 0
    for sub, token in tokens:
        if not issued_here(backend, sub):
            logger.warning(
                "A stored refresh token was not revoked: another tenant than "
                "this site's issued it (or no tenant is configured here)"
            )
            continue
        try:
            backend.request(
                revoke_url(backend),
                method="POST",
                data={"token": token, **backend.client_authentication()},
                stage="disconnect",
            )
        except SocialAuthBaseException as error:
            log_rejection(error, "refresh-token revocation")
            continue
        revoked += 1
    return revoked


def issued_here(backend: TokenBackend, sub: str) -> bool:
    """Whether the identity ``sub`` (a stored ``uid``) is of ``backend``'s
    tenant (``conf.identity_issuer``); False when it has none configured."""
    try:
        issuer = f"{backend.base_url()}/"
    except SocialAuthBaseException:
        return False
    return conf.identity_issuer(sub, backend.name) == issuer


def on_backchannel_logout(
    sender: Any,
    backend: TokenBackend,
    sid: str | None = None,
    sub: str | None = None,
    issuer: str = "",
    **kwargs: Any,
) -> None:
    """``backchannel_logout`` receiver: the same for the logins it ends, of
    the token's own tenant only (as ``sessions.end_sessions``): with a ``sid``
    the tokens those logins stored (their stamps; a newer login's stay), with
    only a ``sub`` every token of the identity (``issuer``, ``sub``)."""
    if not issuer:
        return  # an identity is (issuer, sub): nothing to match without it
    # A tenant of several custom domains: each domain's logout ends its own
    # logins only (their identities are all DOMAIN's, one tenant), so only
    # the tokens those logins stored are revoked.
    if sid or (sub and len(backend.issuers()) > 1):
        logins = Auth0Session.objects.filter(
            Auth0Session.of_issuer(issuer, backend.name),
            (Q(sid=sid) if sid else Q()) & (Q(sub=sub) if sub else Q()),
        )
        for user_id, stamp in set(logins.values_list("user_id", "login_stamp")):
            revoke_login_tokens(backend, user_id, stamp)
    elif sub:
        # Stored tokens hold their identity's uid: (issuer, sub), never sub alone.
        uid = conf.identity_uid(issuer, sub, backend.name)
        revoke_refresh_tokens(
            backend,
            token_store.take_refresh_tokens(
                Auth0Token.objects.filter(sub=uid).values_list("user_id", flat=True),
                sub=uid,
            ),
        )
