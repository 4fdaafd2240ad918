"""Step-up: asking Auth0 for a fresher login or for MFA, and checking the result.

A protected view (``decorators.py``) leaves a step-up request in the session
(``STEP_UP_KEY``): the user it is for, a ``max_age`` and/or MFA. The next login
start takes it into the authorization request (``max_age``, ``prompt=login``,
``acr_values``) and into the login transaction; the callback then checks the
ID token against it: the same ``sub`` (a step-up never switches users),
``auth_time`` within ``max_age``, ``amr`` containing ``mfa`` (and ``acr``,
when present, the one asked for). Auth0 enforces MFA only through an Action
(README, "Step-up authentication"): the request alone proves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from social_core.exceptions import AuthResponseError

from .record import MFA, amr_of

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth

STEP_UP_KEY = "_social_auth0_step_up"
# OpenID Provider Authentication Policy Extension 1.0, section 4: the policy
# Auth0 documents for requesting MFA with acr_values.
MFA_ACR = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"


def step_up_request(
    sub: str, *, max_age: int | None, mfa: bool, iss: str | None = None
) -> dict[str, Any]:
    """What a protected view asks of the next login of the identity (``iss``,
    ``sub``): a ``sub`` is unique only within its tenant."""
    return {"sub": sub, "iss": iss, "max_age": max_age, "mfa": bool(mfa)}


def valid_step_up(value: object) -> dict[str, Any] | None:
    """A step-up request read back from the session (None if malformed)."""
    if not isinstance(value, dict) or not isinstance(value.get("sub"), str):
        return None
    max_age = value.get("max_age")
    if max_age is not None and (
        isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0
    ):
        return None
    iss = value.get("iss")
    return step_up_request(
        value["sub"],
        max_age=max_age,
        mfa=value.get("mfa") is True,
        iss=iss if isinstance(iss, str) else None,
    )


def step_up_params(step_up: Mapping[str, Any]) -> dict[str, str]:
    """The ``/authorize`` parameters of a step-up request."""
    params = {}
    if step_up["max_age"] is not None:
        params["max_age"] = str(step_up["max_age"])
        if step_up["max_age"] == 0:  # "now": never a single sign-on
            params["prompt"] = "login"
    if step_up["mfa"]:
        params["acr_values"] = MFA_ACR
    return params


def is_recent(
    record: Mapping[str, Any] | None, max_age: int, *, leeway: float, now: float
) -> bool:
    """Whether the session's Auth0 login is at most ``max_age`` seconds old."""
    auth_time = record.get("auth_time") if record else None
    if not isinstance(auth_time, int) or isinstance(auth_time, bool):
        return False
    # A future auth_time (refused at verification) never counts as recent.
    return now - max_age - leeway <= auth_time <= now + leeway


def has_mfa(record: Mapping[str, Any] | None) -> bool:
    """Whether this session's login (or a step-up since) proved MFA."""
    return bool(record and record.get("mfa") is True)


def _error(
    backend: BaseAuth[Any] | None, detail: str, *, code: str, claim: str
) -> AuthResponseError:
    return AuthResponseError(
        backend, detail, code=code, claim=claim, stage="token_validation"
    )


def check_step_up_subject(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    expected: str,
    issuer: str | None = None,
) -> None:
    """The step-up came back for the user who asked: never a switch of users,
    nor another tenant's user with the same ``sub`` (when the request names
    its issuer)."""
    if claims.get("sub") != expected or issuer not in (None, claims.get("iss")):
        raise _error(
            backend,
            "step-up login returned another user than the one logged in",
            code="user_mismatch",
            claim="sub",
        )


def check_mfa(backend: BaseAuth[Any] | None, claims: Mapping[str, Any]) -> None:
    """``amr`` contains ``mfa``; ``acr``, when present, is the MFA policy."""
    if claims.get("amr") is None:
        raise _error(
            backend,
            "ID token has no 'amr': MFA was requested but not performed "
            "(is the Auth0 Action deployed?)",
            code="missing_claim",
            claim="amr",
        )
    if MFA not in amr_of(claims):
        raise _error(
            backend,
            "ID token amr does not contain 'mfa'",
            code="invalid_claim",
            claim="amr",
        )
    acr = claims.get("acr")
    if acr is not None and acr != MFA_ACR:
        raise _error(
            backend,
            "ID token acr is not the requested MFA policy",
            code="invalid_claim",
            claim="acr",
        )


def check_step_up(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    step_up: Mapping[str, Any],
) -> None:
    """The ID token answers the step-up request (``max_age`` is checked with
    the transaction's other ``max_age``, see ``transaction.py``)."""
    check_step_up_subject(backend, claims, step_up["sub"], step_up.get("iss"))
    if step_up["mfa"]:
        check_mfa(backend, claims)
