"""What the tenant remembers between requests: logins, codes, sessions, tokens."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .claims import Grant
from .wire import add_query

CODE_LIFETIME = 60  # seconds; Auth0 authorization codes expire quickly


@dataclass(frozen=True)
class AuthorizeRequest:
    """The parameters of one ``/authorize`` call, kept while the user logs in."""

    client_id: str
    redirect_uri: str
    scope: str = "openid"
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    audience: str | None = None
    connection: str | None = None
    organization: str | None = None
    invitation: str | None = None
    max_age: int | None = None
    prompt: str | None = None
    screen_hint: str | None = None
    login_hint: str | None = None
    acr_values: str | None = None

    def redirect_with(self, **params: str | None) -> str:
        """The ``redirect_uri`` carrying ``params`` and the client's ``state``."""
        return add_query(self.redirect_uri, {**params, "state": self.state})


@dataclass
class AuthorizationCode:
    """A code on its way to ``/oauth/token``."""

    request: AuthorizeRequest
    grant: Grant
    issued_at: float
    used: bool = False


@dataclass
class TenantSession:
    """Auth0's session with the browser (the ``sid``), and the apps it logged into."""

    sid: str
    email: str
    auth_time: int
    client_ids: set[str] = field(default_factory=set)
    mfa: bool = False  # a second factor was passed in this session (mfa.py)


@dataclass
class RefreshToken:
    """A refresh token: its grant, its rotation family, and when it was spent."""

    grant: Grant
    family: str
    spent_at: float | None = None


@dataclass(frozen=True)
class AccessGrant:
    """What an opaque lookup of an access token yields (for ``/userinfo``)."""

    grant: Grant
    expires_at: float


class TenantState:
    """Thread-safe stores; every public method takes the lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._transactions: dict[str, AuthorizeRequest] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._sessions: dict[str, TenantSession] = {}
        self._refresh_tokens: dict[str, RefreshToken] = {}
        self._revoked_families: set[str] = set()
        #: how many reused refresh tokens revoked their family
        self.reuse_detections = 0
        self._access_tokens: dict[str, AccessGrant] = {}

    def begin(self, request: AuthorizeRequest) -> str:
        """Remember an ``/authorize`` call; return its transaction id."""
        transaction_id = secrets.token_urlsafe(18)
        with self._lock:
            self._transactions[transaction_id] = request
        return transaction_id

    def transaction(self, transaction_id: str) -> AuthorizeRequest | None:
        """The ``/authorize`` call behind a login page, if known."""
        with self._lock:
            return self._transactions.get(transaction_id)

    def issue_code(self, request: AuthorizeRequest, grant: Grant) -> str:
        """A fresh single-use authorization code for ``grant``."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = AuthorizationCode(request, grant, self._clock())
        return code

    def live_code(self, code: str) -> AuthorizationCode | None:
        """The code if it exists, is unused and younger than a minute."""
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used:
                return None
            if self._clock() - found.issued_at > CODE_LIFETIME:
                return None
            return found

    def use_code(self, code: str) -> bool:
        """Mark ``code`` redeemed; ``False`` if it already was (single use)."""
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used:
                return False
            found.used = True
            return True

    def start_session(self, email: str, auth_time: int) -> TenantSession:
        """Open a tenant session for ``email``."""
        session = TenantSession(secrets.token_urlsafe(24), email, auth_time)
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def session(self, sid: str | None) -> TenantSession | None:
        """The live session ``sid``, if any."""
        with self._lock:
            return self._sessions.get(sid or "")

    def sessions(self) -> dict[str, TenantSession]:
        """A snapshot of the live sessions by sid."""
        with self._lock:
            return dict(self._sessions)

    def end_session(self, sid: str) -> TenantSession | None:
        """Close session ``sid``; return it if it was live."""
        with self._lock:
            return self._sessions.pop(sid, None)

    def add_client(self, sid: str, client_id: str) -> None:
        """Record that session ``sid`` logged into ``client_id``."""
        with self._lock:
            if sid in self._sessions:
                self._sessions[sid].client_ids.add(client_id)

    def issue_refresh_token(self, grant: Grant, family: str | None = None) -> str:
        """A refresh token for ``grant`` in ``family`` (default: a new family)."""
        token = secrets.token_urlsafe(36)
        with self._lock:
            self._refresh_tokens[token] = RefreshToken(
                grant, family or secrets.token_urlsafe(12)
            )
        return token

    def refresh_grant(self, token: str) -> Grant | None:
        """The grant behind a live refresh token (not revoked; spent is fine)."""
        with self._lock:
            found = self._refresh_tokens.get(token)
            if found is None or found.family in self._revoked_families:
                return None
            return found.grant

    def spend_refresh_token(
        self, token: str, *, rotation: bool, reuse_interval: int
    ) -> tuple[Grant, str] | None:
        """Exchange ``token``: its grant and family, or None (invalid_grant).

        With rotation a token is spent by its first exchange; a later one,
        outside the reuse interval, is a reuse: the family is revoked, as
        Auth0's automatic reuse detection does.
        """
        with self._lock:
            found = self._refresh_tokens.get(token)
            if found is None or found.family in self._revoked_families:
                return None
            if rotation and found.spent_at is not None:
                if self._clock() - found.spent_at > reuse_interval:
                    self._revoked_families.add(found.family)
                    self.reuse_detections += 1
                    return None
            elif rotation:
                found.spent_at = self._clock()
            return found.grant, found.family

    def revoke_refresh_token(self, token: str) -> bool:
        """Revoke ``token``'s whole family; False for an unknown token."""
        with self._lock:
            found = self._refresh_tokens.get(token)
            if found is None:
                return False
            self._revoked_families.add(found.family)
            return True

    def revoked_families(self) -> set[str]:
        """The refresh-token families revoked so far (reuse or ``/oauth/revoke``)."""
        with self._lock:
            return set(self._revoked_families)

    def refresh_token_state(self, token: str) -> str | None:
        """``"active"``, ``"spent"`` (rotated), ``"revoked"``; None if unknown."""
        with self._lock:
            found = self._refresh_tokens.get(token)
            if found is None:
                return None
            if found.family in self._revoked_families:
                return "revoked"
            return "spent" if found.spent_at is not None else "active"

    def remember_access_token(self, token: str, grant: Grant, lifetime: int) -> None:
        """Let ``/userinfo`` recognise ``token`` until it expires."""
        with self._lock:
            self._access_tokens[token] = AccessGrant(grant, self._clock() + lifetime)

    def access_grant(self, token: str) -> Grant | None:
        """The grant of a live access token."""
        with self._lock:
            found = self._access_tokens.get(token)
        if found is None or found.expires_at < self._clock():
            return None
        return found.grant
