"""What one login asks of Auth0 beyond the OAuth request itself, remembered
with the login transaction and checked when the ID token comes back.

At the start (``authorize_params``): the allow-listed request parameters
(``params.py``), the organization (``organizations.py``) and a pending step-up
(``stepup.py``). Whatever the callback must check later (organization, the
strictest ``max_age``, the step-up) goes into the session transaction
social-core keeps per ``state``, like the nonce: single-use, and bound to the
browser that started the login. At the callback (``verify_callback``): every
one of those rules, after the ID token itself is verified.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from social_core.exceptions import AuthSessionError

from .. import clock
from ..errors import social_backend as base
from ..jwt import claims as claims_rules
from .organizations import (
    check_organization,
    configured_organization,
    organization_to_request,
)
from .params import allowed_names, forwarded_params
from .stepup import STEP_UP_KEY, check_step_up, step_up_params, valid_step_up

if TYPE_CHECKING:
    from . import LoginBackend

logger = logging.getLogger("social_auth0")

TRANSACTION_FIELD = "social_auth0"  # our part of social-core's transaction
NONCE_FIELD = "oidc_nonce"
DOMAIN_FIELD = "domain"  # the base URL of the tenant domain the login uses


def strictest_max_age(*values: object) -> int | None:
    """The smallest of the ``max_age`` values given (strings or ints), or None."""
    ages = [int(str(v)) for v in values if v is not None and str(v).isdigit()]
    return min(ages) if ages else None


def pop_step_up(backend: LoginBackend) -> dict[str, Any] | None:
    """The step-up request a protected view left for this login (used once)."""
    return valid_step_up(backend.strategy.session_pop(STEP_UP_KEY))


def step_up_domain(backend: LoginBackend) -> str | None:
    """The domain of the login a pending step-up request is for (its issuer's,
    if still one of the tenant's): the step-up goes where that login went,
    whatever ``DOMAIN_RESOLVER`` answers now, so its ID token's ``iss`` is
    the login's."""
    step_up = valid_step_up(backend.strategy.session_get(STEP_UP_KEY))
    issuer = step_up.get("iss") if step_up is not None else None
    return next((d for d in backend.domains() if f"{d}/" == issuer), None)


def request_params(backend: LoginBackend) -> dict[str, str]:
    """The allow-listed parameters of the request starting the login, with the
    organization checked (refused here, before the redirect)."""
    data = cast("Mapping[str, object]", backend.data or {})
    params = forwarded_params(data, allowed_names(backend.setting("REQUEST_PARAMS")))
    invitation = params.pop("invitation", None)
    organization = organization_to_request(
        base(backend), params.pop("organization", None)
    )
    if organization is not None:
        params["organization"] = organization
        if invitation is not None:
            params["invitation"] = invitation
    elif invitation is not None:
        logger.warning("Login parameter 'invitation' dropped: no organization")
    return params


def authorize_params(
    backend: LoginBackend, state: str | None, params: Mapping[str, str]
) -> dict[str, str]:
    """Parameters to add to (or replace in) the ``/authorize`` request
    ``params``: a fresh nonce, the allow-listed request parameters, the
    organization and a pending step-up. What the callback must check is kept
    in the transaction, in one session write."""
    extra = request_params(backend)
    step_up = pop_step_up(backend)
    if step_up is not None:
        extra.update(step_up_params(step_up))
    max_age = strictest_max_age(params.get("max_age"), extra.pop("max_age", None))
    if step_up is not None:
        max_age = strictest_max_age(max_age, step_up["max_age"])
    if max_age is not None:
        extra["max_age"] = str(max_age)
    # 256 bits in one call: strategy.random_string draws each of its 43
    # characters with a system call of its own.
    extra["nonce"] = secrets.token_urlsafe(32)
    asked = {
        "organization": extra.get("organization"),
        "max_age": max_age,
        "step_up": step_up,
    }
    kept = {
        NONCE_FIELD: extra["nonce"],
        TRANSACTION_FIELD: asked,
        # /authorize, /oauth/token, the keys and the ID token's iss: all this
        # domain's, whatever DOMAIN_RESOLVER answers by the callback.
        DOMAIN_FIELD: backend.domain_in_use(),
    }
    keep(backend, state, kept)
    return extra


def keep(backend: LoginBackend, state: str | None, values: dict[str, Any]) -> None:
    """Add ``values`` to this state's session transaction.

    ``validate_state()`` pops the transaction when the callback arrives, so
    what is kept is single-use and bound to the browser that started the login.
    """
    key = backend.transaction_key(cast("str", state))
    transaction = backend.strategy.session_get(key)
    if not isinstance(transaction, dict) or transaction.get("state") != state:
        raise AuthSessionError(
            base(backend), "state", code="session_context_missing", stage="begin"
        )
    backend.strategy.session_set(key, {**transaction, **values})


def expected_nonce(backend: LoginBackend) -> str | None:
    """The nonce of the transaction ``validate_state()`` just consumed."""
    transaction = backend._oauth2_transaction
    nonce = transaction.get(NONCE_FIELD) if isinstance(transaction, dict) else None
    return nonce if isinstance(nonce, str) else None


def pinned_domain(backend: LoginBackend) -> str | None:
    """The domain the login being completed was pinned to (its transaction),
    if still one of the tenant's; None before the callback or for a
    transaction from before domains were kept."""
    transaction = backend._oauth2_transaction
    domain = transaction.get(DOMAIN_FIELD) if isinstance(transaction, dict) else None
    if not isinstance(domain, str):
        return None
    if domain not in backend.domains():
        raise AuthSessionError(
            base(backend),
            f"the login's domain {domain!r} is no longer one of the tenant's",
            code="session_context_missing",
            stage="callback",
        )
    return domain


def asked_for(backend: LoginBackend) -> dict[str, Any]:
    """What the login being completed asked for (from its transaction)."""
    transaction = backend._oauth2_transaction
    values = transaction.get(TRANSACTION_FIELD) if transaction else None
    return values if isinstance(values, dict) else {}


def verify_callback(backend: LoginBackend, claims: Mapping[str, Any]) -> None:
    """Check verified ID-token claims against what this login asked for."""
    asked = asked_for(backend)
    organization = asked.get("organization")
    if organization is None:  # a transaction from before this code
        organization = configured_organization(base(backend))
    check_organization(base(backend), claims, organization)
    max_age = asked.get("max_age")
    if isinstance(max_age, int) and not isinstance(max_age, bool):
        try:
            claims_rules.check_auth_time(
                claims,
                max_age=max_age,
                leeway=backend.leeway(),
                now=clock.current_time(),
            )
        except claims_rules.TokenRejected as failure:
            raise failure.error(base(backend)) from None
    step_up = valid_step_up(asked.get("step_up"))
    if step_up is not None:
        check_step_up(base(backend), claims, step_up)
