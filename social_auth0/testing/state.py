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
        self._refresh_tokens: dict[str, Grant] = {}
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

    def issue_refresh_token(self, grant: Grant) -> str:
        """A refresh token for ``grant`` (offline_access)."""
        token = secrets.token_urlsafe(36)
        with self._lock:
            self._refresh_tokens[token] = grant
        return token

    def refresh_grant(self, token: str) -> Grant | None:
        """The grant behind a refresh token."""
        with self._lock:
            return self._refresh_tokens.get(token)

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
