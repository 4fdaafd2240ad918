"""What the Auth0 login behind this Django session proved: who (``sub``), when
(``auth_time``), how (``amr``/``acr``, MFA) and for which organization.

The callback leaves the verified values pending (``PENDING_KEY``); they become
the session's only once the login has completed: at ``user_logged_in`` for a
new login (``login()`` may flush the session before), or right after the
pipeline for a user who was already logged in (a step-up, where ``login()`` is
not called). Kept under a key of its own, beside ``SESSION_KEY``'s logout
record; only verified claims, never a token.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from social_core.strategy import BaseStrategy

# The keys Auth0 logins use in the Django session, stated once here (a module
# that imports neither the backend nor the models, so both sides can use it).
# SESSION_KEY holds {"sid", "sub", "login_id"}: what logout needs (the sid for
# logout_hint); sessions.py records it. The backend leaves the verified sid,
# sub and iss under PENDING_SESSION_KEY until the login completes.
SESSION_KEY = "_social_auth0"
PENDING_SESSION_KEY = "_social_auth0_pending"
# The request attribute holding the same pending records too: login() flushes
# a session that still names another user (a stale session, say of an account
# since deleted), which would lose them, and with them the back-channel record.
PENDING_ATTRIBUTE = "_social_auth0_pending"
CONTEXT_KEY = "_social_auth0_login"
PENDING_KEY = "_social_auth0_login_pending"
MFA = "mfa"  # the amr value Auth0 sets after a second factor


def _string(value: object, limit: int = 255) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _time(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def amr_of(claims: Mapping[str, Any]) -> list[str]:
    """The ``amr`` claim as a list of strings ([] when absent or malformed)."""
    amr = claims.get("amr")
    if not isinstance(amr, list):
        return []
    return [str(item)[:64] for item in amr[:16] if isinstance(item, str)]


def context_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The session record of a login, from its verified ID-token claims."""
    amr = amr_of(claims)
    return {
        "sub": claims["sub"],
        "auth_time": _time(claims.get("auth_time")),
        "amr": amr,
        "acr": _string(claims.get("acr")),
        "mfa": MFA in amr,
        "org_id": _string(claims.get("org_id")),
        "org_name": _string(claims.get("org_name")),
    }


def merged(previous: object, pending: dict[str, Any]) -> dict[str, Any]:
    """A step-up's record over the session's: MFA, once proven for this
    ``sub`` in this session, stays proven; the newest ``auth_time`` counts."""
    if not isinstance(previous, dict) or previous.get("sub") != pending["sub"]:
        return pending
    record = dict(pending)
    record["mfa"] = bool(previous.get("mfa")) or pending["mfa"]
    times = [t for t in (previous.get("auth_time"), pending["auth_time"]) if t]
    record["auth_time"] = max(times) if times else None
    return record


def record_after_pipeline(strategy: BaseStrategy[Any]) -> None:
    """For a user already logged in (no ``login()`` call): merge the pending
    record into the session's, if it is the same Auth0 user."""
    pending = strategy.session_pop(PENDING_KEY)
    if not isinstance(pending, dict):
        return
    previous = strategy.session_get(CONTEXT_KEY)
    if not isinstance(previous, dict):
        # A session opened before this record existed: its logout record
        # names the Auth0 user.
        previous = None
        logout_record = strategy.session_get(SESSION_KEY)
        sub = logout_record.get("sub") if isinstance(logout_record, dict) else None
        if sub != pending.get("sub"):
            return
    elif previous.get("sub") != pending.get("sub"):
        return
    strategy.session_set(CONTEXT_KEY, merged(previous, pending))


def login_context(request: HttpRequest) -> dict[str, Any] | None:
    """The record of this session's Auth0 login, or None."""
    session = getattr(request, "session", None)
    record = session.get(CONTEXT_KEY) if session is not None else None
    return record if isinstance(record, dict) and record.get("sub") else None


def leave_pending(strategy: BaseStrategy[Any], key: str, value: dict[str, Any]) -> None:
    """Keep ``value`` under ``key`` until the login completes: in the session,
    and on the request, which ``login()``'s flush cannot empty."""
    strategy.session_set(key, value)
    request = getattr(strategy, "request", None)
    if request is not None:
        request.__dict__.setdefault(PENDING_ATTRIBUTE, {})[key] = value


def take_pending(request: HttpRequest | None, key: str) -> Any:
    """The record ``leave_pending`` kept under ``key`` (now taken), or None."""
    session = getattr(request, "session", None)
    value = session.pop(key, None) if session is not None else None
    kept = getattr(request, "__dict__", {}).get(PENDING_ATTRIBUTE, {}).pop(key, None)
    return value if value is not None else kept
