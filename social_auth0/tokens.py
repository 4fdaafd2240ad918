"""Verification of Auth0-issued JWTs: ID tokens, and the rules shared with
access and logout tokens.

python-jose verifies the signature and pins the algorithm; every claim rule is
a small named function here that raises ``AuthResponseError`` with its own
``code`` and ``claim``, because python-jose cannot say which claim failed and
its defaults let through a token with no ``aud``, ``exp`` or ``iat``, an empty
``sub``, a list ``aud`` without ``azp``, and ``"123"`` or ``true`` as a time.

OpenID Connect Core 1.0, section 3.1.3.7 (ID Token Validation), is the
reference for the order and the content of the checks.
"""

from __future__ import annotations

import binascii
import functools
import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jose import jws
from jose.exceptions import JOSEError
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
Verifier = TypeVar("Verifier", bound=Callable[..., dict[str, Any]])

# Size bounds, checked before anything is decoded: a token is attacker input
# (the back-channel endpoint is public), and python-jose would base64-decode and
# JSON-parse whatever arrives (200 KB of nested "[" in a header is a
# RecursionError; megabytes are memory). Lengths are in characters of the
# compact JWS. Auth0's headers are {"alg", "typ", "kid"}: under 150 characters.
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
# Parsing errors python-jose and json do not turn into ValueError: nesting
# deeper than the interpreter's recursion limit, integers too large for a
# float, and sizes that exhaust memory.
PARSING_ERRORS = (RecursionError, OverflowError, MemoryError)
# NumericDates after the year 9999 (or before 1970) are refused, so every time
# computed from a claim stays a finite float and a valid datetime and timeout.
MAX_NUMERIC_DATE = 253_402_300_799


def _now() -> float:
    """Return the current time; a seam for tests (like Django's token generator)."""
    return time.time()


def token_error(
    backend: BaseAuth[Any] | None,
    detail: str,
    *,
    code: str,
    claim: str | None = None,
    stage: ErrorStage = "token_validation",
) -> AuthResponseError:
    """Build the structured error every failed check raises."""
    return AuthResponseError(backend, detail, code=code, claim=claim, stage=stage)


def parsing_failures_rejected(verify: Verifier) -> Verifier:
    """Turn a parsing failure that escaped the checks into a rejected token.

    The checks already refuse what they can name; this is the net under them
    (a decorator of the verify_* functions, cheaper than a ``with`` per token),
    so that no token, and nothing a tenant signs, ever becomes a 500.
    """

    @functools.wraps(verify)
    def verify_rejecting_parse_failures(
        backend: BaseAuth[Any] | None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            return verify(backend, *args, **kwargs)
        except PARSING_ERRORS as error:
            raise token_error(
                backend,
                f"token could not be parsed ({type(error).__name__})",
                code="malformed_response",
            ) from None

    return cast("Verifier", verify_rejecting_parse_failures)


def check_size(
    backend: BaseAuth[Any] | None, token: object, max_length: int, *, stage: ErrorStage
) -> str:
    """Return ``token`` if it is a compact JWS within the size bounds."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise token_error(
            backend,
            "token is not a compact JWS",
            code="malformed_response",
            stage=stage,
        )
    header = token.find(".")  # lengths from indexes: no copies of the token
    signature = len(token) - token.rfind(".") - 1
    if (
        len(token) > max_length
        or header > MAX_HEADER_LENGTH
        or signature > MAX_SIGNATURE_LENGTH
    ):
        raise token_error(
            backend,
            f"token is larger than allowed ({len(token)} characters, header "
            f"{header}, signature {signature}; limits {max_length}, "
            f"{MAX_HEADER_LENGTH}, {MAX_SIGNATURE_LENGTH})",
            code="malformed_response",
            stage=stage,
        )
    return token


def read_header(
    backend: BaseAuth[Any] | None,
    token: object,
    *,
    stage: ErrorStage,
    max_length: int = MAX_ID_TOKEN_LENGTH,
) -> dict[str, Any]:
    """Return the JWS header of ``token``; only the header, never the payload."""
    token = check_size(backend, token, max_length, stage=stage)
    try:
        header = jws.get_unverified_header(token)
    except (JOSEError, TypeError, ValueError, *PARSING_ERRORS) as error:
        raise token_error(
            backend,
            "token header is unreadable",
            code="malformed_response",
            stage=stage,
        ) from error
    if not isinstance(header, dict):
        raise token_error(
            backend,
            "token header is not an object",
            code="malformed_response",
            stage=stage,
        )
    return header


def shown(value: object, limit: int) -> str:
    """``value`` for a log line: a string cut to ``limit``, else its type only
    (the repr of an attacker's deeply nested list could itself recurse)."""
    if isinstance(value, str):
        return repr(value[:limit])
    return f"<{type(value).__name__}>"


def check_algorithm(
    backend: BaseAuth[Any] | None, header: Mapping[str, Any], *, stage: ErrorStage
) -> None:
    """Refuse any algorithm but RS256 (``none``, HS*, PS*, ...)."""
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise token_error(
            backend,
            f"token alg {shown(alg, 20)} is not allowed; only {ALGORITHM} is",
            code="invalid_signature",
            claim="alg",
            stage=stage,
        )


def verify_signature(
    backend: BaseAuth[Any] | None,
    token: str,
    keys: Iterable[Key],
    *,
    stage: ErrorStage,
) -> dict[str, Any] | None:
    """Return the payload of ``token`` if one of ``keys`` verifies it, else None.

    This is the only place a payload is decoded, and only after its signature
    checks out. python-jose's errors are translated here, in one place.
    """
    for key in keys:
        try:
            payload = jws.verify(token, key, algorithms=[ALGORITHM])
        except Exception:  # noqa: S112 (whatever failed, it did not verify)
            continue
        try:
            claims = json.loads(payload)
        except (TypeError, ValueError, *PARSING_ERRORS) as error:
            raise token_error(
                backend,
                "token payload is not JSON",
                code="malformed_response",
                stage=stage,
            ) from error
        if not isinstance(claims, dict):
            raise token_error(
                backend,
                "token payload is not a JSON object",
                code="malformed_response",
                stage=stage,
            )
        return claims
    return None


def decode_verified(
    backend: BaseAuth[Any] | None,
    token: object,
    key_lookup: KeyLookup,
    *,
    stage: ErrorStage = "token_validation",
    max_length: int = MAX_ID_TOKEN_LENGTH,
) -> dict[str, Any]:
    """Check the size, header and signature of ``token`` and return its claims.

    ``key_lookup(kid)`` yields the candidate keys: the key with that ``kid``, or
    every RS256 signing key of the set for a token without one (it may refetch
    the key set once, see ``jwks.py``).
    """
    header = read_header(backend, token, stage=stage, max_length=max_length)
    check_algorithm(backend, header, stage=stage)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise token_error(
            backend, "token kid is not a string", code="malformed_response", stage=stage
        )
    claims = verify_signature(backend, str(token), key_lookup(kid), stage=stage)
    if claims is None:
        raise token_error(
            backend,
            "token signature does not verify with the tenant's keys",
            code="invalid_signature",
            stage=stage,
        )
    return claims


def require_claims(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    names: Iterable[str],
    *,
    stage: ErrorStage = "token_validation",
) -> None:
    """Each of ``names`` must be present (and not null)."""
    for name in names:
        if claims.get(name) is None:
            raise token_error(
                backend,
                f"token has no {name!r} claim",
                code="missing_claim",
                claim=name,
                stage=stage,
            )


def check_issuer(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    issuer: str,
    *,
    stage: ErrorStage = "token_validation",
) -> None:
    """``iss`` must equal the tenant's issuer exactly (with its trailing slash)."""
    if claims.get("iss") != issuer:
        raise token_error(
            backend,
            f"token iss {shown(claims.get('iss'), 200)} is not {issuer!r}",
            code="invalid_claim",
            claim="iss",
            stage=stage,
        )


def token_audiences(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    *,
    stage: ErrorStage = "token_validation",
) -> list[str]:
    """Return ``aud`` as a list; it must be a string or a list of strings."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return aud
    raise token_error(
        backend,
        "token aud is neither a string nor a list of strings",
        code="invalid_claim",
        claim="aud",
        stage=stage,
    )


def check_audience(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    audience: str,
    *,
    stage: ErrorStage = "token_validation",
) -> list[str]:
    """``aud`` must contain ``audience``; returns the audiences."""
    audiences = token_audiences(backend, claims, stage=stage)
    if audience not in audiences:
        raise token_error(
            backend,
            f"token aud does not contain {audience!r}",
            code="invalid_claim",
            claim="aud",
            stage=stage,
        )
    return audiences


def check_authorized_party(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    client_id: str,
    *,
    several_audiences: bool,
    stage: ErrorStage = "token_validation",
) -> None:
    """With several audiences ``azp`` is required; when present it must be us.

    OIDC Core 3.1.3.7 steps 4 and 5: a token minted for another client that
    merely lists us as an extra audience must not log anyone in here.
    """
    azp = claims.get("azp")
    if azp is None:
        if several_audiences:
            raise token_error(
                backend,
                "token has several audiences but no 'azp' claim",
                code="missing_claim",
                claim="azp",
                stage=stage,
            )
        return
    if not isinstance(azp, str) or not constant_time_compare(azp, client_id):
        raise token_error(
            backend,
            "token azp is not this application's client id",
            code="invalid_claim",
            claim="azp",
            stage=stage,
        )


def numeric_date(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    name: str,
    *,
    stage: ErrorStage = "token_validation",
) -> float:
    """Return the NumericDate claim ``name``; booleans and strings are refused."""
    value = claims.get(name)
    # json.loads accepts NaN and Infinity (an "exp" of Infinity never expires)
    # and integers of any size (10**400 is an OverflowError as a float).
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_NUMERIC_DATE  # False for NaN too
    ):
        raise token_error(
            backend,
            f"token {name!r} is not a NumericDate (0 to {MAX_NUMERIC_DATE})",
            code="invalid_claim",
            claim=name,
            stage=stage,
        )
    return float(value)


def check_times(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    *,
    leeway: float,
    now: float,
    stage: ErrorStage = "token_validation",
) -> None:
    """``exp`` in the future, ``iat`` and ``nbf`` (if any) not, all with leeway."""
    if numeric_date(backend, claims, "exp", stage=stage) <= now - leeway:
        raise token_error(
            backend,
            "token has expired",
            code="response_expired",
            claim="exp",
            stage=stage,
        )
    if numeric_date(backend, claims, "iat", stage=stage) > now + leeway:
        raise token_error(
            backend,
            "token was issued in the future",
            code="response_not_yet_valid",
            claim="iat",
            stage=stage,
        )
    if "nbf" in claims and numeric_date(backend, claims, "nbf", stage=stage) > (
        now + leeway
    ):
        raise token_error(
            backend,
            "token is not valid yet",
            code="response_not_yet_valid",
            claim="nbf",
            stage=stage,
        )


def check_subject(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    *,
    stage: ErrorStage = "token_validation",
) -> None:
    """``sub`` must be a non-empty string: it becomes the account's uid."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise token_error(
            backend,
            "token sub is not a non-empty string",
            code="invalid_claim",
            claim="sub",
            stage=stage,
        )


def check_nonce(
    backend: BaseAuth[Any] | None, claims: Mapping[str, Any], expected: str | None
) -> None:
    """``nonce`` must equal the one sent with this login's state (constant time)."""
    nonce = claims.get("nonce")
    if nonce is None:
        raise token_error(
            backend,
            "ID token has no 'nonce' claim",
            code="missing_claim",
            claim="nonce",
        )
    if (
        not expected
        or not isinstance(nonce, str)
        or not constant_time_compare(nonce, expected)
    ):
        raise token_error(
            backend,
            "ID token nonce does not match this login",
            code="nonce_mismatch",
            claim="nonce",
        )


def check_auth_time(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    *,
    max_age: int,
    leeway: float,
    now: float,
) -> None:
    """With ``max_age`` sent, ``auth_time`` is required and must be recent enough."""
    require_claims(backend, claims, ("auth_time",))
    auth_time = numeric_date(backend, claims, "auth_time")
    if auth_time + max_age + leeway < now:
        raise token_error(
            backend,
            f"user authenticated more than max_age={max_age}s ago",
            code="response_expired",
            claim="auth_time",
        )


@parsing_failures_rejected
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
        now = _now()
    claims = decode_verified(backend, token, key_lookup)
    require_claims(backend, claims, ID_TOKEN_REQUIRED_CLAIMS)
    check_issuer(backend, claims, issuer)
    audiences = check_audience(backend, claims, client_id)
    check_authorized_party(
        backend, claims, client_id, several_audiences=len(audiences) > 1
    )
    check_times(backend, claims, leeway=leeway, now=now)
    check_subject(backend, claims)
    if nonce_required:
        check_nonce(backend, claims, nonce)
    if max_age is not None:
        check_auth_time(backend, claims, max_age=max_age, leeway=leeway, now=now)
    return claims


ACCESS_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "azp")


@parsing_failures_rejected
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
        now = _now()
    claims = decode_verified(backend, token, key_lookup)
    require_claims(backend, claims, ACCESS_TOKEN_REQUIRED_CLAIMS)
    check_issuer(backend, claims, issuer)
    check_audience(backend, claims, audience)
    check_authorized_party(backend, claims, client_id, several_audiences=True)
    check_times(backend, claims, leeway=leeway, now=now)
    check_subject(backend, claims)
    if "nonce" in claims:
        raise token_error(
            backend, "access token carries a nonce", code="invalid_claim", claim="nonce"
        )
    return claims


# --- Access tokens presented to the site's own API (resource.py) -------------
#
# Bearer tokens come from anyone on the internet, on every API request: one
# parse of the compact JWS, the signature checked with the key's own verify,
# then the claim rules above. RFC 9068 and Auth0's access-token profile.

# base64url -> base64 for binascii's strict decoder; "+" and "/" become "!",
# which it refuses: a token's segments are base64url only (RFC 7515 section 2).
_FROM_B64URL = bytes.maketrans(b"-_+/", b"+/!!")
# Stateless parameters of RS256, shared by every verification.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
# A JWS header is a few dozen bytes; a payload is bounded by the caller.
MAX_HEADER_SEGMENT = 2048
# "JWT" is Auth0's default; "at+jwt" is RFC 9068's (section 2.1). Anything
# else (a logout token, a SET) is another kind of token.
ACCESS_TOKEN_TYPES = frozenset({None, "jwt", "at+jwt", "application/at+jwt"})
API_TOKEN_REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
_UNSEEN = object()


def b64url_decode(segment: str) -> bytes:
    """Decode one base64url segment; raise ``ValueError`` on any other character."""
    raw = segment.encode("ascii")  # UnicodeEncodeError is a ValueError
    try:
        return binascii.a2b_base64(
            raw.translate(_FROM_B64URL) + b"=" * (-len(raw) % 4), strict_mode=True
        )
    except binascii.Error as error:
        raise ValueError("not base64url") from error


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


def read_compact_header(
    backend: BaseAuth[Any] | None, segment: str, *, stage: ErrorStage
) -> dict[str, Any]:
    """The JWS header of one compact token's first segment (only the header)."""
    try:
        if len(segment) > MAX_HEADER_SEGMENT:
            raise ValueError("header too long")
        header = json.loads(b64url_decode(segment))
    # json.JSONDecodeError is a ValueError; deep nesting is a RecursionError.
    except (ValueError, RecursionError) as error:
        raise token_error(
            backend,
            "token header is unreadable",
            code="malformed_response",
            stage=stage,
        ) from error
    if not isinstance(header, dict):
        raise token_error(
            backend,
            "token header is not an object",
            code="malformed_response",
            stage=stage,
        )
    return header


def check_token_type(
    backend: BaseAuth[Any] | None, header: Mapping[str, Any], *, stage: ErrorStage
) -> None:
    """``typ``, when present, says JWT or RFC 9068's ``at+jwt``."""
    typ = header.get("typ")
    if not (typ is None or isinstance(typ, str)) or (
        typ is not None and typ.lower() not in ACCESS_TOKEN_TYPES
    ):
        raise token_error(
            backend,
            f"token typ {str(typ)[:40]!r} is not an access token type",
            code="invalid_claim",
            claim="typ",
            stage=stage,
        )


# Header segment -> its kid, for headers that passed accept_header(). Every
# token a tenant signs with one key has the same header: checking it once is
# enough. Bounded: emptied when full (forged headers only churn it).
_accepted_headers: dict[str, str | None] = {}
MAX_ACCEPTED_HEADERS = 64


def accept_header(
    backend: BaseAuth[Any] | None, segment: str, *, stage: ErrorStage
) -> str | None:
    """Check an access token's header (RS256, typ, kid); return its ``kid``."""
    kid = _accepted_headers.get(segment, _UNSEEN)
    if kid is not _UNSEEN:
        return cast("str | None", kid)
    header = read_compact_header(backend, segment, stage=stage)
    check_algorithm(backend, header, stage=stage)
    check_token_type(backend, header, stage=stage)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise token_error(
            backend, "token kid is not a string", code="malformed_response", stage=stage
        )
    if len(_accepted_headers) >= MAX_ACCEPTED_HEADERS:
        _accepted_headers.clear()
    _accepted_headers[segment] = kid
    return kid


def decode_access_token(
    backend: BaseAuth[Any] | None,
    token: str,
    key_lookup: KeyLookup,
    *,
    stage: ErrorStage = "token_validation",
) -> dict[str, Any]:
    """Check header, algorithm and signature of ``token`` and return its claims.

    The same rules as ``decode_verified`` in one pass over the token: the
    payload is decoded only after a key of the tenant verified the signature.
    """
    header_segment, _, rest = token.partition(".")
    payload_segment, _, signature_segment = rest.partition(".")
    kid = accept_header(backend, header_segment, stage=stage)
    try:
        if "." in signature_segment:
            raise ValueError("more than three segments")
        signature = b64url_decode(signature_segment)
        message = f"{header_segment}.{payload_segment}".encode("ascii")
    except ValueError as error:  # UnicodeEncodeError is one too
        raise token_error(
            backend,
            "token is not a compact JWS",
            code="malformed_response",
            stage=stage,
        ) from error
    for key in key_lookup(kid):
        if signature_matches(key, message, signature):
            return _verified_payload(backend, payload_segment, stage=stage)
    raise token_error(
        backend,
        "token signature does not verify with the tenant's keys",
        code="invalid_signature",
        stage=stage,
    )


_json_decode = json.JSONDecoder().decode


def _verified_payload(
    backend: BaseAuth[Any] | None, segment: str, *, stage: ErrorStage
) -> dict[str, Any]:
    try:
        claims = _json_decode(b64url_decode(segment).decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise token_error(
            backend, "token payload is not JSON", code="malformed_response", stage=stage
        ) from error
    if not isinstance(claims, dict):
        raise token_error(
            backend,
            "token payload is not a JSON object",
            code="malformed_response",
            stage=stage,
        )
    return claims


def check_api_audience(
    backend: BaseAuth[Any] | None,
    claims: Mapping[str, Any],
    api_audiences: Collection[str],
    *,
    client_id: str | None,
    stage: ErrorStage = "token_validation",
) -> None:
    """``aud`` names one of the API's identifiers and never our client id.

    An ID token's ``aud`` is the client id: a token listing it was issued to
    log in to the site, not to call its API (RFC 9068 section 4 and 5).
    """
    audiences = token_audiences(backend, claims, stage=stage)
    if client_id is not None and client_id in audiences:
        raise token_error(
            backend,
            "token aud names the client id: an ID token, not an access token",
            code="invalid_claim",
            claim="aud",
            stage=stage,
        )
    if not any(audience in api_audiences for audience in audiences):
        raise token_error(
            backend,
            "token aud names none of the API_AUDIENCE identifiers",
            code="invalid_claim",
            claim="aud",
            stage=stage,
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
        now = _now()
    claims = decode_access_token(backend, token, key_lookup)
    require_claims(backend, claims, API_TOKEN_REQUIRED_CLAIMS)
    check_issuer(backend, claims, issuer)
    check_api_audience(backend, claims, api_audiences, client_id=client_id)
    check_times(backend, claims, leeway=leeway, now=now)
    check_subject(backend, claims)
    if "nonce" in claims:
        raise token_error(
            backend, "access token carries a nonce", code="invalid_claim", claim="nonce"
        )
    return claims


BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_REQUIRED_CLAIMS = ("iss", "aud", "iat", "exp", "jti", "events")


def check_logout_event(
    backend: BaseAuth[Any] | None, claims: Mapping[str, Any], *, stage: ErrorStage
) -> None:
    """``events`` is an object holding the back-channel logout event (BCL 2.4)."""
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(
        events.get(BACKCHANNEL_LOGOUT_EVENT), dict
    ):
        raise token_error(
            backend,
            "logout token events has no back-channel logout event",
            code="invalid_claim",
            claim="events",
            stage=stage,
        )


def check_logout_subject(
    backend: BaseAuth[Any] | None, claims: Mapping[str, Any], *, stage: ErrorStage
) -> None:
    """``sid`` and/or ``sub``, as non-empty strings; never a ``nonce`` (BCL 2.4)."""
    if "nonce" in claims:
        raise token_error(
            backend,
            "logout token carries a nonce",
            code="invalid_claim",
            claim="nonce",
            stage=stage,
        )
    present = [name for name in ("sid", "sub") if claims.get(name) is not None]
    if not present:
        raise token_error(
            backend,
            "logout token has neither 'sid' nor 'sub'",
            code="missing_claim",
            claim="sid",
            stage=stage,
        )
    for name in present:
        value = claims[name]
        if not isinstance(value, str) or not value.strip():
            raise token_error(
                backend,
                f"logout token {name!r} is not a non-empty string",
                code="invalid_claim",
                claim=name,
                stage=stage,
            )


@parsing_failures_rejected
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
        now = _now()
    stage: ErrorStage = "token_validation"
    claims = decode_verified(
        backend, token, key_lookup, stage=stage, max_length=MAX_LOGOUT_TOKEN_LENGTH
    )
    require_claims(backend, claims, LOGOUT_TOKEN_REQUIRED_CLAIMS, stage=stage)
    check_issuer(backend, claims, issuer, stage=stage)
    check_audience(backend, claims, client_id, stage=stage)
    check_times(backend, claims, leeway=leeway, now=now, stage=stage)
    check_logout_jti(backend, claims, stage=stage)
    check_logout_event(backend, claims, stage=stage)
    check_logout_subject(backend, claims, stage=stage)
    return claims


def check_logout_jti(
    backend: BaseAuth[Any] | None, claims: Mapping[str, Any], *, stage: ErrorStage
) -> None:
    """``jti`` is a non-empty string (its replay is the caller's to refuse)."""
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise token_error(
            backend,
            "logout token jti is not a non-empty string",
            code="invalid_claim",
            claim="jti",
            stage=stage,
        )
