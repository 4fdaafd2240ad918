"""The MFA step of the emulated tenant: what an Auth0 Action does with
``acr_values=…multi-factor`` (``api.multifactor.enable``), with a second page.

``tenant.mfa.action_deployed = False`` plays a tenant without that Action:
``acr_values`` is then ignored and no token says ``mfa``, as on Auth0.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .pages import message_page, mfa_page
from .wire import Request, Response, html_response, redirect

if TYPE_CHECKING:
    from .state import AuthorizeRequest, TenantSession
    from .tenant import Auth0Tenant

MFA_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
#: The one-time code the emulator's MFA page accepts.
MFA_CODE = "123456"


class MfaState:
    """Pending MFA challenges (transaction id -> tenant session id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, str] = {}
        #: whether the tenant has the Action that enforces MFA on acr_values
        self.action_deployed = True
        # APIs whose refreshes an Action answers mfa_required, and the
        # (API, email) pairs that logged in with MFA since it was demanded
        self._at_refresh: set[str] = set()
        self._passed: set[tuple[str, str]] = set()
        #: the mfa_token of the last refresh answered mfa_required (tests
        #: look for it in logs and rows)
        self.last_mfa_token: str | None = None

    def demand_at_refresh(self, audience: str) -> None:
        """Answer refreshes of tokens for ``audience`` 403 ``mfa_required``
        until their user logs in with MFA (an Action doing so)."""
        with self._lock:
            self._at_refresh.add(audience)
            self._passed = {p for p in self._passed if p[0] != audience}

    def passed(self, email: str) -> None:
        """``email`` logged in with MFA: its refreshes are answered again."""
        with self._lock:
            self._passed.update((audience, email) for audience in self._at_refresh)

    def blocks_refresh(self, audience: str | None, email: str) -> bool:
        """Whether a refresh for ``audience`` by ``email`` needs MFA first."""
        with self._lock:
            return (
                audience in self._at_refresh and (audience, email) not in self._passed
            )

    def remember(self, transaction_id: str, sid: str) -> None:
        """A challenge for session ``sid`` behind the page ``transaction_id``."""
        with self._lock:
            self._pending[transaction_id] = sid

    def take(self, transaction_id: str) -> str | None:
        """The session of a challenge, once (a passed challenge is used up)."""
        with self._lock:
            return self._pending.pop(transaction_id, None)

    def peek(self, transaction_id: str) -> str | None:
        """The session of a challenge, leaving it pending."""
        with self._lock:
            return self._pending.get(transaction_id)


def requested(auth: AuthorizeRequest) -> bool:
    """Whether ``acr_values`` asks for MFA."""
    return MFA_ACR in (auth.acr_values or "").split()


def needed(tenant: Auth0Tenant, auth: AuthorizeRequest, session: TenantSession) -> bool:
    """MFA asked for, enforced by the Action, and not yet done in this session."""
    return tenant.mfa.action_deployed and requested(auth) and not session.mfa


def challenge(
    tenant: Auth0Tenant,
    auth: AuthorizeRequest,
    session: TenantSession,
    headers: list[tuple[str, str]],
) -> Response:
    """Send the browser to the MFA page (keeping a new session's cookie)."""
    transaction_id = tenant.state.begin(auth)
    tenant.mfa.remember(transaction_id, session.sid)
    return redirect(f"/u/mfa?state={transaction_id}", headers)


def show(tenant: Auth0Tenant, request: Request) -> Response:
    """The code page."""
    transaction_id = request.query.get("state", "")
    if tenant.mfa.peek(transaction_id) is None:
        return _expired()
    return html_response(mfa_page(transaction_id=transaction_id))


def submit(tenant: Auth0Tenant, request: Request) -> Response:
    """Check the code; mark the session MFA'd and finish the login."""
    from .authorize import complete_login

    transaction_id = request.form.get("state", "")
    auth = tenant.state.transaction(transaction_id)
    if auth is None or tenant.mfa.peek(transaction_id) is None:
        return _expired()
    if request.form.get("code", "").strip() != MFA_CODE:
        page = mfa_page(transaction_id=transaction_id, error="Wrong code.")
        return html_response(page, 400)
    session = tenant.state.session(tenant.mfa.take(transaction_id))
    if session is None:
        return _expired()
    session.mfa = True
    return complete_login(tenant, auth, session)


def _expired() -> Response:
    return html_response(
        message_page(
            "Invalid state", "This page has expired. Start again from the app."
        ),
        400,
    )
