"""The one record, in the Django session, of what the Auth0 login behind it
proved: who (``sub``), in which Auth0 session (``sid``, ``iss``), when
(``auth_time``), how (``amr``/``acr``, MFA), for which organization, the
``login_id`` of its ``Auth0Session`` row (back-channel logout) and the
``token_stamp`` its stored tokens carry (only this login's logout revokes them).

The callback leaves the verified values pending (``PENDING_KEY``); they become
the session's only once the login has completed: at ``user_logged_in`` for a
new login (sessions.py's receiver; ``login()`` may flush the session before),
or right after the pipeline for a user who was already logged in (a step-up,
where ``login()`` is not called). Only verified claims, never a token.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from social_core.strategy import BaseStrategy

# The session keys, stated once here (a module that imports neither the
# backend nor the models, so both sides can use it).
SESSION_KEY = "_social_auth0_login"
PENDING_KEY = "_social_auth0_login_pending"
# The request attribute holding the pending record too: login() flushes a
# session that still names another user (a stale session, say of an account
# since deleted), which would lose it, and with it the back-channel record.
PENDING_ATTRIBUTE = "_social_auth0_pending_login"
MFA = "mfa"  # the amr value Auth0 sets after a second factor
# The record's name for the stamp the login's stored tokens carry.
TOKEN_STAMP = "token_stamp"  # noqa: S105 (a name)
# What a step-up keeps from the record it refreshes: the Auth0 session and the
# row back-channel logout finds it by.
SESSION_FIELDS = ("sid", "iss", "login_id")


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


def record_from_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The session record of a login, from its verified ID-token claims."""
    amr = amr_of(claims)
    return {
        "sub": claims["sub"],
        "sid": _string(claims.get("sid")),
        "iss": claims["iss"],  # a logout token ends only its tenant's logins
        "auth_time": _time(claims.get("auth_time")),
        "amr": amr,
        "acr": _string(claims.get("acr")),
        "mfa": MFA in amr,
        "org_id": _string(claims.get("org_id")),
        "org_name": _string(claims.get("org_name")),
    }


def after_step_up(
    current: Mapping[str, Any], pending: dict[str, Any]
) -> dict[str, Any]:
    """The session's record after a step-up by the same user: MFA, once proven
    in this session, stays proven; the newest ``auth_time`` counts; the Auth0
    session and the login's row stay the ones back-channel logout knows."""
    record = dict(pending)
    record.update({name: current.get(name) for name in SESSION_FIELDS})
    record["mfa"] = bool(current.get("mfa")) or pending["mfa"]
    times = [t for t in (current.get("auth_time"), pending["auth_time"]) if t]
    record["auth_time"] = max(times) if times else None
    return record


def record_after_pipeline(strategy: BaseStrategy[Any]) -> None:
    """For a user already logged in (no ``login()`` call): fold the pending
    record into the session's, if it is the same Auth0 user's."""
    request = getattr(strategy, "request", None)
    pending = (
        take_pending(request)
        if request is not None
        else strategy.session_pop(PENDING_KEY)
    )
    current = strategy.session_get(SESSION_KEY)
    if not isinstance(pending, dict) or not isinstance(current, dict):
        return
    # The same identity: another tenant's user with the same sub proves
    # nothing about this session's (its MFA, its auth_time).
    if (current.get("iss"), current.get("sub")) == (pending["iss"], pending["sub"]):
        strategy.session_set(SESSION_KEY, after_step_up(current, pending))


def login_record(request: HttpRequest) -> dict[str, Any] | None:
    """The record of this session's Auth0 login, or None."""
    session = getattr(request, "session", None)
    record = session.get(SESSION_KEY) if session is not None else None
    return record if isinstance(record, dict) and record.get("sub") else None


def leave_pending(strategy: BaseStrategy[Any], record: dict[str, Any]) -> None:
    """Keep ``record`` until the login completes: in the session, and on the
    request, which ``login()``'s flush cannot empty."""
    strategy.session_set(PENDING_KEY, record)
    request = getattr(strategy, "request", None)
    if request is not None:
        request.__dict__[PENDING_ATTRIBUTE] = record


def add_to_pending(strategy: BaseStrategy[Any], **values: Any) -> bool:
    """Add ``values`` to the login's pending record; False if there is none."""
    request = getattr(strategy, "request", None)
    record = getattr(request, "__dict__", {}).get(PENDING_ATTRIBUTE)
    if record is None:
        record = strategy.session_get(PENDING_KEY)
    if not isinstance(record, dict):
        return False
    leave_pending(strategy, {**record, **values})
    return True


def token_stamp(strategy: BaseStrategy[Any]) -> str:
    """The stamp of this login's tokens: a new one, but a step-up (the same
    identity, already logged in here) keeps its session's, which that login's
    ``Auth0Session`` row holds for back-channel logout."""
    current = strategy.session_get(SESSION_KEY)
    pending = strategy.session_get(PENDING_KEY)
    request = getattr(strategy, "request", None)
    pending = getattr(request, "__dict__", {}).get(PENDING_ATTRIBUTE, pending)
    if (
        isinstance(current, dict)
        and isinstance(pending, dict)
        and current.get(TOKEN_STAMP)
        and (current.get("iss"), current.get("sub"))
        == (pending.get("iss"), pending.get("sub"))
    ):
        return str(current[TOKEN_STAMP])
    return secrets.token_urlsafe(24)


def take_pending(request: HttpRequest | None) -> dict[str, Any] | None:
    """The record ``leave_pending`` kept (now taken), or None."""
    session = getattr(request, "session", None)
    value = session.pop(PENDING_KEY, None) if session is not None else None
    kept = getattr(request, "__dict__", {}).pop(PENDING_ATTRIBUTE, None)
    record = value if value is not None else kept
    return record if isinstance(record, dict) else None
