"""Verification of Auth0-issued JWTs: ID tokens, access tokens (the login's and
those sent to the site's API) and back-channel logout tokens.

Every kind takes one path, ``decode_verified``: size bounds, the header (RS256
pinned, never read from the token), the signature checked with the tenant's key
(python-jose's key object, straight to ``cryptography``), and only then the
payload, parsed once. The claim rules are small named functions here, because
python-jose cannot say which claim failed and its defaults let through a token
with no ``aud``, ``exp`` or ``iat``, an empty ``sub``, a list ``aud`` without
``azp``, and ``"123"`` or ``true`` as a time.

A rule that fails raises ``TokenRejected`` (code, claim, detail); the verify_*
entry points catch it and raise social-core's ``AuthResponseError``, built in
one place (``rejected``) with the backend and the stage. (A ``try`` in each:
a decorator re-packing their keyword arguments cost 8% of an API request's
verification.)

OpenID Connect Core 1.0, section 3.1.3.7 (ID Token Validation), is the
reference for the order and the content of the checks.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from social_core.exceptions import AuthResponseError, ErrorStage
from social_core.utils import constant_time_compare

if TYPE_CHECKING:
    from jose.backends.base import Key
    from social_core.backends.base import BaseAuth

# Auth0 signs with RS256 by default; HS256 (the client secret as key) is legacy
# and would let anyone holding the secret mint tokens. Pinned, never read from
# the token header.
ALGORITHM = "RS256"
ID_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")

KeyLookup = Callable[[str | None], Iterable["Key"]]
HeaderRule = Callable[[Mapping[str, Any]], None]

# Size bounds, checked before anything is decoded: a token is attacker input
# (the back-channel endpoint and the API are public), and a parser would
# base64-decode and JSON-parse whatever arrives (200 KB of nested "[" in a
# header is a RecursionError; megabytes are memory). Lengths are in characters
# of the compact JWS. Auth0's headers are {"alg", "typ", "kid"}: under 150
# characters.
MAX_HEADER_LENGTH = 2048
# An RSA signature of a key up to 8192 bits, base64url.
MAX_SIGNATURE_LENGTH = 1366
# Auth0 limits an ID (or access) token's payload to 100 KB (custom claims
# included): its base64url form, plus the header and signature.
MAX_ID_TOKEN_LENGTH = (
    MAX_HEADER_LENGTH + -(-102_400 * 4 // 3) + MAX_SIGNATURE_LENGTH + 2
)
# A logout token carries iss, aud, iat, exp, jti, events, sid and/or sub: under
# 1 KB from Auth0; 8 KB leaves room for long custom domains and client ids.
MAX_LOGOUT_TOKEN_LENGTH = 8192
# Parsing errors json does not turn into ValueError: nesting deeper than the
# interpreter's recursion limit, integers too large for a float, and sizes
# that exhaust memory.
PARSING_ERRORS = (RecursionError, OverflowError, MemoryError)
# NumericDates after the year 9999 (or before 1970) are refused, so every time
# computed from a claim stays a finite float and a valid datetime and timeout.
MAX_NUMERIC_DATE = 253_402_300_799


def current_time() -> float:
    """Return the current time; a seam for tests (like Django's token generator)."""
    return time.time()


# --- Errors -----------------------------------------------------------------


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


def shown(value: object, limit: int) -> str:
    """``value`` for a log line: a string cut to ``limit``, else its type only
    (the repr of an attacker's deeply nested list could itself recurse)."""
    if isinstance(value, str):
        return repr(value[:limit])
    return f"<{type(value).__name__}>"


# --- The compact JWS: size, header, signature, payload ----------------------

# base64url -> base64 for binascii's strict decoder; "+" and "/" become "!",
# which it refuses: a token's segments are base64url only (RFC 7515 section 2).
_FROM_B64URL = bytes.maketrans(b"-_+/", b"+/!!")
# Stateless parameters of RS256, shared by every verification.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_json_decode = json.JSONDecoder().decode


def b64url_decode(segment: str) -> bytes:
    """Decode one base64url segment; raise ``ValueError`` on any other character."""
    raw = segment.encode("ascii")  # UnicodeEncodeError is a ValueError
    try:
        return binascii.a2b_base64(
            raw.translate(_FROM_B64URL) + b"=" * (-len(raw) % 4), strict_mode=True
        )
    except binascii.Error as error:
        raise ValueError("not base64url") from error


def check_size(token: object, max_length: int) -> tuple[str, int, int]:
    """Return ``token`` and the positions of its two dots if it is a compact
    JWS within the size bounds."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise TokenRejected("token is not a compact JWS", code="malformed_response")
    header_end = token.find(".")  # lengths from indexes: no copies of the token
    signed_end = token.rfind(".")
    signature = len(token) - signed_end - 1
    if (
        len(token) > max_length
        or header_end > MAX_HEADER_LENGTH
        or signature > MAX_SIGNATURE_LENGTH
    ):
        raise TokenRejected(
            f"token is larger than allowed ({len(token)} characters, header "
            f"{header_end}, signature {signature}; limits {max_length}, "
            f"{MAX_HEADER_LENGTH}, {MAX_SIGNATURE_LENGTH})",
            code="malformed_response",
        )
    return token, header_end, signed_end


# Arrays and objects nested deeper than this are refused, whatever the
# Python: json.loads raises RecursionError on 3.11 only from about 1000 levels
# on, and later Pythons parse far deeper. Auth0's claims nest a few levels.
MAX_NESTING = 32


def read_segment(segment: str, unreadable: str) -> Any:
    """The JSON value of one base64url segment; ``unreadable`` is the detail
    of the rejection when it is none."""
    try:
        text = b64url_decode(segment).decode("utf-8")
        value = _json_decode(text)
        # Counting brackets is C-speed; only a suspect value is walked.
        suspect = text.count("[") + text.count("{") > MAX_NESTING
        if suspect and nesting_within(value) > MAX_NESTING:
            raise ValueError(f"nested deeper than {MAX_NESTING}")
        return value
    # json.JSONDecodeError and UnicodeError are ValueErrors; deep nesting is a
    # RecursionError on some Pythons.
    except (ValueError, *PARSING_ERRORS) as error:
        raise TokenRejected(unreadable, code="malformed_response") from error


def nesting_within(value: object, limit: int = MAX_NESTING) -> int:
    """How deep ``value``'s arrays and objects nest, counted up to ``limit + 1``
    (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return deepest


def read_header(segment: str) -> dict[str, Any]:
    """The JWS header of a token's first segment; only the header."""
    header = read_segment(segment, "token header is unreadable")
    if not isinstance(header, dict):
        raise TokenRejected("token header is not an object", code="malformed_response")
    return cast("dict[str, Any]", header)


def check_algorithm(header: Mapping[str, Any]) -> None:
    """Refuse any algorithm but RS256 (``none``, HS*, PS*, ...)."""
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise TokenRejected(
            f"token alg {shown(alg, 20)} is not allowed; only {ALGORITHM} is",
            code="invalid_signature",
            claim="alg",
        )


# (header rule, header segment) -> header, for headers that passed
# accepted_header(). Every token a tenant signs with one key has the same
# header: reading and checking it once is enough. Bounded: emptied when full
# (forged headers only churn it).
_accepted_headers: dict[tuple[HeaderRule | None, str], dict[str, Any]] = {}
MAX_ACCEPTED_HEADERS = 64


def accepted_header(segment: str, header_rule: HeaderRule | None) -> dict[str, Any]:
    """The header of ``segment`` if it is an object with RS256, a string
    ``kid`` (or none) and passes ``header_rule``; the caller must not change
    it (it is shared)."""
    memo_key = (header_rule, segment)
    header = _accepted_headers.get(memo_key)
    if header is not None:
        return header
    header = read_header(segment)
    check_algorithm(header)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenRejected("token kid is not a string", code="malformed_response")
    if header_rule is not None:
        header_rule(header)
    if len(_accepted_headers) >= MAX_ACCEPTED_HEADERS:
        _accepted_headers.clear()
    _accepted_headers[memo_key] = header
    return header


def signature_matches(key: Key, message: bytes, signature: bytes) -> bool:
    """RS256 check of ``signature`` with ``key``, straight to ``cryptography``.

    python-jose's ``key.verify`` does the same after two ABC ``isinstance``
    tests per call; keys it did not build on ``cryptography`` still use it.
    """
    public_key = getattr(key, "prepared_key", None)
    verify = getattr(public_key, "verify", None)
    if verify is None or not hasattr(public_key, "public_numbers"):
        return bool(key.verify(message, signature))
    try:
        verify(signature, message, _PKCS1V15, _SHA256)
    except InvalidSignature:
        return False
    return True


def decode_verified(
    token: object,
    key_lookup: KeyLookup,
    *,
    max_length: int = MAX_ID_TOKEN_LENGTH,
    header_rule: HeaderRule | None = None,
) -> dict[str, Any]:
    """Check the size, header and signature of ``token`` and return its claims.

    ``key_lookup(kid)`` yields the candidate keys: the key with that ``kid``, or
    every RS256 signing key of the set for a token without one (it may refetch
    the key set once, see ``jwks.py``). ``header_rule`` adds a kind's own
    header rule (``typ``). The payload is decoded only after a key verified
    the signature: the one place claims are read from a token.
    """
    token, header_end, signed_end = check_size(token, max_length)
    header = accepted_header(token[:header_end], header_rule)
    try:
        signature = b64url_decode(token[signed_end + 1 :])
        message = token[:signed_end].encode("ascii")
    except ValueError as error:  # UnicodeEncodeError is one too
        raise TokenRejected(
            "token is not a compact JWS", code="malformed_response"
        ) from error
    for key in key_lookup(header.get("kid")):
        if signature_matches(key, message, signature):
            return read_claims(token[header_end + 1 : signed_end])
    raise TokenRejected(
        "token signature does not verify with the tenant's keys",
        code="invalid_signature",
    )


def read_claims(segment: str) -> dict[str, Any]:
    """The claims of a verified token's payload segment: a JSON object."""
    claims = read_segment(segment, "token payload is not JSON")
    if not isinstance(claims, dict):
        raise TokenRejected(
            "token payload is not a JSON object", code="malformed_response"
        )
    return cast("dict[str, Any]", claims)


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
            f"token iss {shown(claims.get('iss'), 200)} is not {issuer!r}",
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
        or not isinstance(value, int | float)
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


def check_auth_time(
    claims: Mapping[str, Any], *, max_age: int, leeway: float, now: float
) -> None:
    """With ``max_age`` sent, ``auth_time`` is required and must be recent enough."""
    require_claims(claims, ("auth_time",))
    if numeric_date(claims, "auth_time") + max_age + leeway < now:
        raise TokenRejected(
            f"user authenticated more than max_age={max_age}s ago",
            code="response_expired",
            claim="auth_time",
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
        now = current_time()
    try:
        claims = decode_verified(token, key_lookup)
        require_claims(claims, ID_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        audiences = check_audience(claims, client_id)
        check_authorized_party(claims, client_id, several_audiences=len(audiences) > 1)
        check_times(claims, leeway=leeway, now=now)
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
        now = current_time()
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


# --- Access tokens presented to the site's own API (resource.py) -------------
#
# Bearer tokens come from anyone on the internet, on every API request: the
# same path as above, plus RFC 9068's typ and the API's audiences.

# "JWT" is Auth0's default; "at+jwt" is RFC 9068's (section 2.1). Anything
# else (a logout token, a SET) is another kind of token.
ACCESS_TOKEN_TYPES = frozenset({None, "jwt", "at+jwt", "application/at+jwt"})
API_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")


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
    api_audiences: Collection[str],
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
    if not any(audience in api_audiences for audience in audiences):
        raise TokenRejected(
            "token aud names none of the API_AUDIENCE identifiers",
            code="invalid_claim",
            claim="aud",
        )


def verify_api_access_token(
    backend: BaseAuth[Any] | None,
    token: str,
    key_lookup: KeyLookup,
    *,
    issuer: str,
    api_audiences: Collection[str],
    client_id: str | None,
    leeway: float,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a bearer token sent to the site's API and return its claims.

    Unlike ``verify_access_token`` (the login's own token, ``azp`` = us) any
    client of the API may hold it: ``azp``/``client_id`` are not checked, and
    neither is ``typ`` required (Auth0 sends ``JWT`` by default). A ``nonce``
    marks an ID token passed off as an access token.
    """
    if now is None:
        now = current_time()
    try:
        claims = decode_verified(token, key_lookup, header_rule=check_token_type)
        require_claims(claims, API_TOKEN_REQUIRED_CLAIMS)
        check_issuer(claims, issuer)
        check_api_audience(claims, api_audiences, client_id=client_id)
        check_times(claims, leeway=leeway, now=now)
        check_subject(claims)
        check_no_nonce(claims, "access token")
    except REJECTIONS as failure:
        raise rejected(backend, failure) from failure.__cause__
    return claims


# --- Logout tokens (OIDC Back-Channel Logout 1.0) ----------------------------

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_REQUIRED_CLAIMS = ("iss", "aud", "iat", "exp", "jti", "events")


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
        now = current_time()
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
