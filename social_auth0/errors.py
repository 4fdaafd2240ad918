"""Building and logging rejections.

A token or response that fails a rule becomes social-core 7's
``AuthResponseError`` through ``token_error``; every rejection is logged once
through ``log_rejection``, with what failed and never a token.
``ReauthenticationRequired`` is the one exception of our own: callers of
``get_access_token`` catch it to send the user to log in again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from social_core.exceptions import (
    AuthCredentialError,
    AuthResponseError,
    ErrorStage,
    SocialAuthBaseException,
)

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth

# Rejections have always been logged on this name (docs/security.rst), and
# sites route it: it stays although the function moved here.
logger = logging.getLogger("social_auth0.backend")

__all__ = ["MfaRequired", "ReauthenticationRequired", "log_rejection", "token_error"]


class ReauthenticationRequired(AuthCredentialError):
    """The user must log in again: no usable tokens are stored (any more)."""

    default_code = "reauthentication_required"


class MfaRequired(ReauthenticationRequired):
    """Auth0 demands MFA before it refreshes the tokens for this API (its answer
    403 ``mfa_required``): the stored tokens are kept; a step-up login with MFA
    (``social_auth0.access.mfa_step_up``) satisfies it. Auth0's ``mfa_token``
    is neither kept nor logged."""


def token_error(
    backend: BaseAuth[Any] | None,
    detail: str,
    *,
    code: str,
    claim: str | None = None,
    stage: ErrorStage = "token_validation",
) -> AuthResponseError:
    """Build the structured error a rejected token (or response) raises."""
    return AuthResponseError(backend, detail, code=code, claim=claim, stage=stage)


def log_rejection(error: SocialAuthBaseException, what: str = "login") -> None:
    """Log a rejected login (or logout) once, with what failed, never a token."""
    logger.warning(
        "Auth0 %s rejected: %s %s (stage=%s, claim=%s, parameter=%s): %s",
        what,
        type(error).__name__,
        error.code,
        error.stage,
        error.claim,
        error.parameter,
        # repr: the detail may quote the callback's error_description, which
        # anyone can send: no newlines or unbounded text in the log.
        repr(error.detail or str(error))[:300],
    )


def social_backend(backend: object) -> BaseAuth[Any]:
    """A backend typed by a package's protocol (``login.LoginBackend``,
    ``user_tokens.TokenBackend``), as social-core's exceptions take it: at run
    time it is always the ``Auth0OAuth2`` that called the helper."""
    return cast("BaseAuth[Any]", backend)
