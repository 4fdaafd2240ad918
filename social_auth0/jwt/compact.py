"""The compact JWS of an Auth0 token: size bounds, header, signature, payload.

Every kind of token takes one path, ``decode_verified``: size bounds, the
header (RS256 pinned, never read from the token), the signature checked with
the tenant's key (python-jose's key object, straight to ``cryptography``), and
only then the payload, parsed once. A failure raises ``claims.TokenRejected``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .claims import PARSING_ERRORS, TokenRejected, display_value

if TYPE_CHECKING:
    from jose.backends.base import Key

# Auth0 signs with RS256 by default; HS256 (the client secret as key) is legacy
# and would let anyone holding the secret mint tokens. Pinned, never read from
# the token header.
ALGORITHM = "RS256"
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
            f"token alg {display_value(alg, 20)} is not allowed; only {ALGORITHM} is",
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
    the key set once, see ``keys.py``). ``header_rule`` adds a kind's own
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


def issuer_prefixes(issuers: Iterable[str]) -> dict[str, tuple[bytes, str]]:
    """For ``unverified_issuer``: each issuer by how a token's payload begins
    whose first claim names it (Auth0's and the emulator's tokens begin so),
    base64url-encoded as far as whole groups of three bytes go."""
    found = {}
    for issuer in issuers:
        raw = b'{"iss":' + json.dumps(issuer).encode() + b","
        whole = len(raw) // 3 * 3
        head = base64.urlsafe_b64encode(raw[:whole]).decode("ascii")
        found[head] = (raw, issuer)
    return found


def unverified_issuer(
    token: object,
    max_length: int,
    prefixes: Mapping[str, tuple[bytes, str]] | None = None,
) -> object:
    """The ``iss`` a token names, read *before* its signature is checked.

    Only to choose which configured domain's keys to try (the tenant's
    domains share keys; each is fetched from its own domain): the claims are
    checked again once a key verified them, ``iss`` among them. With
    ``prefixes`` (``issuer_prefixes``) a payload whose first claim names a
    configured issuer is routed without decoding all of it: a token whose
    parsed ``iss`` turns out to be another is refused after verification,
    and naming a configured domain is what any token can do anyway.
    """
    token, header_end, signed_end = check_size(token, max_length)
    if prefixes:
        found = _prefixed_issuer(token, header_end + 1, prefixes)
        if found is not None:
            return found
    claims = read_segment(
        token[header_end + 1 : signed_end], "token payload is not JSON"
    )
    return claims.get("iss") if isinstance(claims, dict) else None


def _prefixed_issuer(
    token: str, start: int, prefixes: Mapping[str, tuple[bytes, str]]
) -> str | None:
    """The configured issuer the payload at ``start`` begins with, or None."""
    for head, (raw, issuer) in prefixes.items():
        if token.startswith(head, start):
            chunk = token[start : start + -(-len(raw) // 3) * 4]
            try:
                return issuer if b64url_decode(chunk).startswith(raw) else None
            except ValueError:
                return None
    return None
