"""The verify_* entry points: one per kind of Auth0 token (ID token, the
login's access token, a bearer token sent to the site's API, a back-channel
logout token).

Each parses the compact JWS once (``compact.decode_verified``), then runs its
kind's claim rules (``claims.py``). A rule's ``TokenRejected`` becomes
social-core's ``AuthResponseError``, built in one place (``rejected``) with
the backend and the stage. (A ``try`` in each: a decorator re-packing their
keyword arguments cost 8% of an API request's verification.)
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from .. import clock
from ..errors import token_error
from .claims import (
    PARSING_ERRORS,
    TokenRejected,
    check_api_audience,
    check_audience,
    check_auth_time,
    check_auth_time_not_future,
    check_authorized_party,
    check_issuer,
    check_logout_event,
    check_logout_jti,
    check_logout_subject,
    check_no_nonce,
    check_nonce,
    check_not_key_bound,
    check_subject,
    check_times,
    check_token_type,
    require_claims,
)
from .compact import MAX_LOGOUT_TOKEN_LENGTH, KeyLookup, decode_verified

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth
    from social_core.exceptions import AuthResponseError

__all__ = [
    "verify_access_token",
    "verify_api_access_token",
    "verify_id_token",
    "verify_logout_token",
]

ID_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
API_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
LOGOUT_TOKEN_REQUIRED_CLAIMS = ("iss", "aud", "iat", "exp", "jti", "events")

# What the verify_* functions catch: the rules' refusals, and parsing failures
# that escaped them (the net under the checks), so that no token, and nothing
# a tenant signs, ever becomes a 500.
REJECTIONS = (TokenRejected, *PARSING_ERRORS)


def rejected(
    backend: BaseAuth[Any] | None, failure: BaseException
) -> AuthResponseError:
    """The ``AuthResponseError`` a verify_* function raises for ``failure``."""
    if isinstance(failure, TokenRejected):
        return failure.error(backend)
    return token_error(
        backend,
        f"token could not be parsed ({type(failure).__name__})",
        code="malformed_response",
    )


# --- ID tokens and the login's access token ---------------------------------


def verify_id_token(
    backend: BaseAuth[Any] | None,
    token: object,
    key_lookup: KeyLookup,
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    leeway: float,
    max_age: int | None = None,
    now: float | None = None,
    nonce_required: bool = True,
) -> dict[str, Any]:
    """Verify an Auth0 ID token completely and return its claims.

    ``nonce_required=False`` is for an ID token from a refresh (OIDC Core
    12.2): it answers no authorization request, so it carries no nonce to check.
    """
    if now is None:
        now = clock.current_time()
    try:
        claims = decode_verified(token, key_lookup)
        require_claims(claims, ID_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        audiences = check_audience(claims, client_id)
        check_authorized_party(claims, client_id, several_audiences=len(audiences) > 1)
        check_times(claims, leeway=leeway, now=now)
        check_auth_time_not_future(claims, leeway=leeway, now=now)
        check_subject(claims)
        if nonce_required:
            check_nonce(claims, nonce)
        if max_age is not None:
            check_auth_time(claims, max_age=max_age, leeway=leeway, now=now)
    except REJECTIONS as failure:
        raise rejected(backend, failure) from failure.__cause__
    return claims


ACCESS_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "azp")


def verify_access_token(
    backend: BaseAuth[Any] | None,
    token: object,
    key_lookup: KeyLookup,
    *,
    issuer: str,
    client_id: str,
    audience: str,
    leeway: float,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify an Auth0 access token issued for the API ``audience``.

    Same keys and signature path as ID tokens; its own rules: ``aud`` contains
    the API identifier, ``azp`` is our client (Auth0 always names it; OIDC's
    "only with several audiences" rule is for ID tokens), and no ``nonce``,
    which would mark an ID token passed off as an access token.
    """
    if now is None:
        now = clock.current_time()
    try:
        claims = decode_verified(token, key_lookup)
        require_claims(claims, ACCESS_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        check_audience(claims, audience)
        check_authorized_party(claims, client_id, several_audiences=True)
        check_times(claims, leeway=leeway, now=now)
        check_subject(claims)
        check_no_nonce(claims, "access token")
    except REJECTIONS as failure:
        raise rejected(backend, failure) from failure.__cause__
    return claims


def verify_api_access_token(
    backend: BaseAuth[Any] | None,
    token: str,
    key_lookup: KeyLookup,
    *,
    issuer: str,
    api_audiences: AbstractSet[str],
    client_id: str | None,
    leeway: float,
    now: float | None = None,
    key_bound: bool = False,
) -> dict[str, Any]:
    """Verify a bearer token sent to the site's API and return its claims.

    Unlike ``verify_access_token`` (the login's own token, ``azp`` = us) any
    client of the API may hold it: ``azp``/``client_id`` are not checked, and
    neither is ``typ`` required (Auth0 sends ``JWT`` by default). A ``nonce``
    marks an ID token passed off as an access token; a ``cnf`` a token bound
    to a DPoP (or mTLS) key, which a bearer request cannot prove.
    ``key_bound``: the token came with a DPoP proof, whose check
    (``dpop.check_binding``) compares ``cnf.jkt`` with the proof's key.
    """
    if now is None:
        now = clock.current_time()
    try:
        claims = decode_verified(token, key_lookup, header_rule=check_token_type)
        require_claims(claims, API_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        check_api_audience(claims, api_audiences, client_id=client_id)
        check_times(claims, leeway=leeway, now=now)
        check_subject(claims)
        check_no_nonce(claims, "access token")
        if not key_bound:
            check_not_key_bound(claims)
    except REJECTIONS as failure:
        raise rejected(backend, failure) from failure.__cause__
    return claims


def verify_logout_token(
    backend: BaseAuth[Any] | None,
    token: object,
    key_lookup: KeyLookup,
    *,
    issuer: str,
    client_id: str,
    leeway: float,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify an OIDC Back-Channel Logout 1.0 logout token (section 2.6).

    Same keys and signature path as ID tokens; its own claim rules. Replays
    (``jti``) are the caller's to refuse: that needs shared storage.
    """
    if now is None:
        now = clock.current_time()
    try:
        claims = decode_verified(token, key_lookup, max_length=MAX_LOGOUT_TOKEN_LENGTH)
        require_claims(claims, LOGOUT_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        check_audience(claims, client_id)
        check_times(claims, leeway=leeway, now=now)
        check_logout_jti(claims)
        check_logout_event(claims)
        check_logout_subject(claims)
    except REJECTIONS as failure:
        raise rejected(backend, failure) from failure.__cause__
    return claims
