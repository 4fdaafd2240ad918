"""``private_key_jwt`` client authentication (RFC 7523 section 2.2, OIDC Core 9).

The client proves who it is with a JWT it signs with its registered private
key instead of sending a shared secret: ``iss`` = ``sub`` = the client id,
``aud`` = the tenant's issuer (with Auth0's trailing slash), a fresh ``jti``,
``iat`` and an ``exp`` at most ``LIFETIME`` seconds later. One assertion per
request: Auth0 refuses a ``jti`` it has seen.

:func:`load_private_key` reads the key (PEM text, or a path to a PEM file) and
says why it is unusable; :func:`sign_assertion` builds the compact JWS with
``cryptography`` (RS256, RS384 or PS256, the algorithms Auth0 accepts).
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# What Auth0 accepts for private_key_jwt (its dashboard offers these three).
ALGORITHMS = ("RS256", "RS384", "PS256")
DEFAULT_ALGORITHM = "RS256"
# Seconds an assertion is valid: Auth0 allows 5 minutes and recommends 1.
LIFETIME = 60
# NIST SP 800-131A: RSA keys shorter than 2048 bits are not acceptable.
MIN_RSA_BITS = 2048
# What a kid may be (Auth0's key ids are short; no header injection).
MAX_KID_LENGTH = 256
_PEM_MARK = "-----BEGIN"


def load_private_key(value: object) -> rsa.RSAPrivateKey:
    """The RSA private key in ``value`` (PEM text or bytes, or a PEM file's
    path); ``ValueError`` says why it cannot sign (never quoting the key)."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        value = value.encode() if value.lstrip().startswith(_PEM_MARK) else _read(value)
    if not isinstance(value, bytes) or not value.strip():
        raise ValueError("is not set (a PEM private key, or the path to one)")
    return _parse(value)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ValueError(
            f"is neither a PEM key nor a readable file ({type(error).__name__})"
        ) from None


@functools.lru_cache(maxsize=8)
def _parse(pem: bytes) -> rsa.RSAPrivateKey:
    if b"PRIVATE KEY" not in pem and (b"PUBLIC KEY" in pem or b"CERTIFICATE" in pem):
        raise ValueError("holds a public key or certificate: the private key is needed")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        reason = "is encrypted" if isinstance(error, TypeError) else "is not a PEM key"
        raise ValueError(
            f"{reason}: an unencrypted PEM private key is needed"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("is not an RSA key (RS256, RS384 and PS256 sign with RSA)")
    if key.key_size < MIN_RSA_BITS:
        raise ValueError(
            f"is a {key.key_size}-bit RSA key: at least {MIN_RSA_BITS} bits are needed"
        )
    return key


def check_algorithm(value: object) -> str:
    """``value`` if Auth0 accepts it for ``private_key_jwt``, else ``ValueError``."""
    if value not in ALGORITHMS:
        raise ValueError(f"must be one of {', '.join(ALGORITHMS)} (is {value!r})")
    return str(value)


def check_kid(value: object) -> str | None:
    """An optional key id: None, or a short printable string."""
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > MAX_KID_LENGTH
        or not value.isprintable()
    ):
        raise ValueError(f"must be a printable string of at most {MAX_KID_LENGTH}")
    return value


def assertion_claims(client_id: str, audience: str, now: int) -> dict[str, Any]:
    """The claims of one assertion (RFC 7523 section 3)."""
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(32),
        "iat": now,
        "exp": now + LIFETIME,
    }


def sign_assertion(
    key: rsa.RSAPrivateKey,
    claims: dict[str, Any],
    *,
    alg: str = DEFAULT_ALGORITHM,
    kid: str | None = None,
) -> str:
    """The compact JWS of ``claims`` signed with ``key`` by ``alg``."""
    header: dict[str, Any] = {"alg": check_algorithm(alg), "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode("ascii")
    signature = key.sign(signing_input, *_scheme(alg))
    return f"{signing_input.decode('ascii')}.{_b64url(signature)}"


def _scheme(alg: str) -> tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]:
    digest: hashes.HashAlgorithm = (
        hashes.SHA384() if alg == "RS384" else hashes.SHA256()
    )
    if alg == "PS256":  # RFC 7518 section 3.5: MGF1 with SHA-256, salt = hash length
        return padding.PSS(padding.MGF1(digest), digest.digest_size), digest
    return padding.PKCS1v15(), digest


def _segment(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


__all__ = [
    "ALGORITHMS",
    "ASSERTION_TYPE",
    "LIFETIME",
    "assertion_claims",
    "check_algorithm",
    "check_kid",
    "load_private_key",
    "sign_assertion",
]
