"""The claim rules of Auth0-issued JWTs, and how a rule says no.

Each rule is a small named function, because python-jose cannot say which
claim failed and its defaults let through a token with no ``aud``, ``exp`` or
``iat``, an empty ``sub``, a list ``aud`` without ``azp``, and ``"123"`` or
``true`` as a time. A rule that fails raises ``TokenRejected`` (code, claim,
detail); the entry points in ``verify.py`` turn it into social-core's
``AuthResponseError``. Parsing the compact JWS is ``compact.py``'s.

OpenID Connect Core 1.0, section 3.1.3.7 (ID Token Validation), is the
reference for the order and the content of the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from social_core.exceptions import AuthResponseError, ErrorStage
from social_core.utils import constant_time_compare

from ..errors import token_error

if TYPE_CHECKING:
    from social_core.backends.base import BaseAuth

# Parsing errors json does not turn into ValueError: nesting deeper than the
# interpreter's recursion limit, integers too large for a float, and sizes
# that exhaust memory.
PARSING_ERRORS = (RecursionError, OverflowError, MemoryError)
# NumericDates after the year 9999 (or before 1970) are refused, so every time
# computed from a claim stays a finite float and a valid datetime and timeout.
MAX_NUMERIC_DATE = 253_402_300_799


class TokenRejected(Exception):
    """A rule of this module refused the token: ``code``, ``claim``, ``detail``.

    Never escapes the verify_* functions, which raise ``AuthResponseError``;
    a caller running a rule itself turns it into one with ``error()``.
    """

    def __init__(self, detail: str, *, code: str, claim: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.claim = claim

    def error(
        self, backend: BaseAuth[Any] | None, stage: ErrorStage = "token_validation"
    ) -> AuthResponseError:
        """The structured error social-core's callers handle."""
        return token_error(
            backend, self.detail, code=self.code, claim=self.claim, stage=stage
        )


def display_value(value: object, limit: int) -> str:
    """``value`` for a log line: a string cut to ``limit``, else its type only
    (the repr of an attacker's deeply nested list could itself recurse)."""
    if isinstance(value, str):
        return repr(value[:limit])
    return f"<{type(value).__name__}>"


# --- Claim rules ------------------------------------------------------------


def require_claims(claims: Mapping[str, Any], names: Iterable[str]) -> None:
    """Each of ``names`` must be present (and not null)."""
    for name in names:
        if claims.get(name) is None:
            raise TokenRejected(
                f"token has no {name!r} claim", code="missing_claim", claim=name
            )


def check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    """``iss`` must equal the tenant's issuer exactly (with its trailing slash)."""
    if claims.get("iss") != issuer:
        raise TokenRejected(
            f"token iss {display_value(claims.get('iss'), 200)} is not {issuer!r}",
            code="invalid_claim",
            claim="iss",
        )


def token_audiences(claims: Mapping[str, Any]) -> list[str]:
    """Return ``aud`` as a list; it must be a string or a list of strings."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return aud
    raise TokenRejected(
        "token aud is neither a string nor a list of strings",
        code="invalid_claim",
        claim="aud",
    )


def check_audience(claims: Mapping[str, Any], audience: str) -> list[str]:
    """``aud`` must contain ``audience``; returns the audiences."""
    audiences = token_audiences(claims)
    if audience not in audiences:
        raise TokenRejected(
            f"token aud does not contain {audience!r}",
            code="invalid_claim",
            claim="aud",
        )
    return audiences


def check_authorized_party(
    claims: Mapping[str, Any], client_id: str, *, several_audiences: bool
) -> None:
    """With several audiences ``azp`` is required; when present it must be us.

    OIDC Core 3.1.3.7 steps 4 and 5: a token minted for another client that
    merely lists us as an extra audience must not log anyone in here.
    """
    azp = claims.get("azp")
    if azp is None:
        if several_audiences:
            raise TokenRejected(
                "token has several audiences but no 'azp' claim",
                code="missing_claim",
                claim="azp",
            )
        return
    if not isinstance(azp, str) or not constant_time_compare(azp, client_id):
        raise TokenRejected(
            "token azp is not this application's client id",
            code="invalid_claim",
            claim="azp",
        )


def numeric_date(claims: Mapping[str, Any], name: str) -> float:
    """Return the NumericDate claim ``name``; booleans and strings are refused."""
    value = claims.get(name)
    # json.loads accepts NaN and Infinity (an "exp" of Infinity never expires)
    # and integers of any size (10**400 is an OverflowError as a float).
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))  # a tuple: faster than int | float
        or not 0 <= value <= MAX_NUMERIC_DATE  # False for NaN too
    ):
        raise TokenRejected(
            f"token {name!r} is not a NumericDate (0 to {MAX_NUMERIC_DATE})",
            code="invalid_claim",
            claim=name,
        )
    return float(value)


def check_times(claims: Mapping[str, Any], *, leeway: float, now: float) -> None:
    """``exp`` in the future, ``iat`` and ``nbf`` (if any) not, all with leeway."""
    if numeric_date(claims, "exp") <= now - leeway:
        raise TokenRejected("token has expired", code="response_expired", claim="exp")
    if numeric_date(claims, "iat") > now + leeway:
        raise TokenRejected(
            "token was issued in the future",
            code="response_not_yet_valid",
            claim="iat",
        )
    if "nbf" in claims and numeric_date(claims, "nbf") > now + leeway:
        raise TokenRejected(
            "token is not valid yet", code="response_not_yet_valid", claim="nbf"
        )


def check_subject(claims: Mapping[str, Any]) -> None:
    """``sub`` must be a non-empty string: it becomes the account's uid."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise TokenRejected(
            "token sub is not a non-empty string", code="invalid_claim", claim="sub"
        )


def check_nonce(claims: Mapping[str, Any], expected: str | None) -> None:
    """``nonce`` must equal the one sent with this login's state (constant time)."""
    nonce = claims.get("nonce")
    if nonce is None:
        raise TokenRejected(
            "ID token has no 'nonce' claim", code="missing_claim", claim="nonce"
        )
    if (
        not expected
        or not isinstance(nonce, str)
        or not constant_time_compare(nonce, expected)
    ):
        raise TokenRejected(
            "ID token nonce does not match this login",
            code="nonce_mismatch",
            claim="nonce",
        )


def check_no_nonce(claims: Mapping[str, Any], kind: str) -> None:
    """No ``nonce``: it marks an ID token passed off as a token of ``kind``."""
    if "nonce" in claims:
        raise TokenRejected(
            f"{kind} carries a nonce", code="invalid_claim", claim="nonce"
        )


def check_auth_time_not_future(
    claims: Mapping[str, Any], *, leeway: float, now: float
) -> None:
    """``auth_time`` (when present) is not in the future beyond the leeway:
    a login "at" a time to come would count as recent until then."""
    if "auth_time" in claims and numeric_date(claims, "auth_time") > now + leeway:
        raise TokenRejected(
            "user authenticated in the future",
            code="response_not_yet_valid",
            claim="auth_time",
        )


def check_auth_time(
    claims: Mapping[str, Any], *, max_age: int, leeway: float, now: float
) -> None:
    """With ``max_age`` sent, ``auth_time`` is required and must be recent enough."""
    require_claims(claims, ("auth_time",))
    check_auth_time_not_future(claims, leeway=leeway, now=now)
    if numeric_date(claims, "auth_time") + max_age + leeway < now:
        raise TokenRejected(
            f"user authenticated more than max_age={max_age}s ago",
            code="response_expired",
            claim="auth_time",
        )


# --- Access tokens presented to the site's own API (resource.py) -------------
#
# Bearer tokens come from anyone on the internet, on every API request: the
# same path as above, plus RFC 9068's typ and the API's audiences.

# "JWT" is Auth0's default; "at+jwt" is RFC 9068's (section 2.1). Anything
# else (a logout token, a SET) is another kind of token.
ACCESS_TOKEN_TYPES = frozenset({None, "jwt", "at+jwt", "application/at+jwt"})


def check_token_type(header: Mapping[str, Any]) -> None:
    """``typ``, when present, says JWT or RFC 9068's ``at+jwt``."""
    typ = header.get("typ")
    if not (typ is None or isinstance(typ, str)) or (
        typ is not None and typ.lower() not in ACCESS_TOKEN_TYPES
    ):
        raise TokenRejected(
            f"token typ {str(typ)[:40]!r} is not an access token type",
            code="invalid_claim",
            claim="typ",
        )


def check_api_audience(
    claims: Mapping[str, Any],
    api_audiences: AbstractSet[str],
    *,
    client_id: str | None,
) -> None:
    """``aud`` names one of the API's identifiers and never our client id.

    An ID token's ``aud`` is the client id: a token listing it was issued to
    log in to the site, not to call its API (RFC 9068 section 4 and 5).
    """
    audiences = token_audiences(claims)
    if client_id is not None and client_id in audiences:
        raise TokenRejected(
            "token aud names the client id: an ID token, not an access token",
            code="invalid_claim",
            claim="aud",
        )
    if api_audiences.isdisjoint(audiences):
        raise TokenRejected(
            "token aud names none of the API_AUDIENCE identifiers",
            code="invalid_claim",
            claim="aud",
        )


def check_not_key_bound(claims: Mapping[str, Any]) -> None:
    """No ``cnf``: a token bound to a key (RFC 9449 DPoP's ``cnf.jkt``, RFC
    8705's ``cnf.x5t#S256``) is refused as a bearer token.

    Its holder must prove the key (RFC 9449 section 7.2); accepting it
    without that proof lets whoever stole it use it, which the binding exists
    to prevent. This API checks no proof, so every bound token is refused.
    """
    if "cnf" in claims:
        raise TokenRejected(
            "token is bound to a key (cnf) but was presented as a bearer token",
            code="invalid_claim",
            claim="cnf",
        )


# --- Logout tokens (OIDC Back-Channel Logout 1.0) ----------------------------

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def check_logout_jti(claims: Mapping[str, Any]) -> None:
    """``jti`` is a non-empty string (its replay is the caller's to refuse)."""
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise TokenRejected(
            "logout token jti is not a non-empty string",
            code="invalid_claim",
            claim="jti",
        )


def check_logout_event(claims: Mapping[str, Any]) -> None:
    """``events`` is an object holding the back-channel logout event (BCL 2.4)."""
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(
        events.get(BACKCHANNEL_LOGOUT_EVENT), dict
    ):
        raise TokenRejected(
            "logout token events has no back-channel logout event",
            code="invalid_claim",
            claim="events",
        )


def check_logout_subject(claims: Mapping[str, Any]) -> None:
    """``sid`` and/or ``sub``, as non-empty strings; never a ``nonce`` (BCL 2.4)."""
    check_no_nonce(claims, "logout token")
    present = [name for name in ("sid", "sub") if claims.get(name) is not None]
    if not present:
        raise TokenRejected(
            "logout token has neither 'sid' nor 'sub'",
            code="missing_claim",
            claim="sid",
        )
    for name in present:
        value = claims[name]
        if not isinstance(value, str) or not value.strip():
            raise TokenRejected(
                f"logout token {name!r} is not a non-empty string",
                code="invalid_claim",
                claim=name,
            )
