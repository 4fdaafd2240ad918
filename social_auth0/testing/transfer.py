"""Native-to-web SSO: session transfer tokens, which ``/authorize`` accepts
in place of a login (``?session_transfer_token=``), as Auth0 does."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

SESSION_TRANSFER_LIFETIME = 60  # seconds, as Auth0's


class SessionTransfers:
    """Issued tokens: each names a user, lives a minute and is used once."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def issue(self, email: str, lifetime: int = SESSION_TRANSFER_LIFETIME) -> str:
        """A fresh token standing for ``email``'s native session."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (email, self._clock() + lifetime)
        return token

    def redeem(self, token: str | None) -> str | None:
        """The email ``token`` stands for, if it is live; used up either way."""
        with self._lock:
            found = self._tokens.pop(token or "", None)
        if found is None or self._clock() > found[1]:
            return None
        return found[0]
