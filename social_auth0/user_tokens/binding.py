"""Which DPoP key a stored token is bound to (``SOCIAL_AUTH_AUTH0_DPOP``).

A DPoP-bound token is used, and refreshed, only with proofs of the key it is
bound to: Auth0 refuses a refresh signed by another key. The key is found
among ``DPOP_KEY`` and ``DPOP_OLD_KEYS`` by its thumbprint (stored with the
token), so a rotated key keeps serving the tokens bound to it until they are
replaced; a token whose key is no longer configured asks for a new login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from social_core.exceptions import AuthConfigurationError

from ..errors import ReauthenticationRequired
from ..errors import social_backend as base
from ..jwt import proof
from .store import DPOP

if TYPE_CHECKING:
    from . import TokenBackend
    from .store import StoredTokens


def bound_key(backend: TokenBackend, stored: StoredTokens) -> proof.ClientKey | None:
    """The key ``stored``'s token is bound to; None for a bearer token."""
    if stored.token_type != DPOP:
        return None
    try:
        keys = proof.configured_keys(
            backend.setting("DPOP_KEY"), backend.setting("DPOP_OLD_KEYS")
        )
    except ValueError as error:
        raise AuthConfigurationError(
            base(backend),
            f"SOCIAL_AUTH_AUTH0_DPOP_KEY or DPOP_OLD_KEYS {error}",
            code="invalid_setting",
            parameter="DPOP_KEY",
            stage="refresh",
        ) from None
    key = proof.key_with(keys, stored.dpop_jkt)
    if key is None:
        raise ReauthenticationRequired(
            base(backend),
            "the stored token is bound to a DPoP key that is no longer "
            "configured (SOCIAL_AUTH_AUTH0_DPOP_KEY, DPOP_OLD_KEYS)",
            stage="refresh",
        )
    return key


@contextmanager
def signing_with(key: proof.ClientKey | None) -> Iterator[None]:
    """Token requests within sign their DPoP proof with ``key`` (when set)."""
    if key is None:
        yield
        return
    token = proof.bound_key.set(key)
    try:
        yield
    finally:
        proof.bound_key.reset(token)
