"""RSA signing keys, the JWKS Auth0 publishes for them, and compact JWS signing."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
SUPPORTED_ALGORITHMS = frozenset(
    [f"{family}{bits}" for family in ("RS", "PS", "HS") for bits in _HASHES] + ["none"]
)


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class SigningKey:
    """One RSA 2048 key pair with the self-signed certificate Auth0 publishes."""

    kid: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls, common_name: str) -> SigningKey:
        """Create a fresh key; this is the slow part (~50 ms), so once per key."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            secrets.token_urlsafe(16),
            private_key,
            _certificate(private_key, common_name),
        )

    def public_jwk(self) -> dict[str, Any]:
        """The key as Auth0's JWKS lists it: kty, use, n, e, kid, x5t, x5c, alg."""
        numbers = self.private_key.public_key().public_numbers()
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kty": "RSA",
            "use": "sig",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "kid": self.kid,
            "x5t": b64url(hashlib.sha1(der, usedforsecurity=False).digest()),
            "x5c": [base64.b64encode(der).decode("ascii")],
            "alg": "RS256",
        }

    def public_pem(self) -> str:
        """The public key as PEM, for callers that verify with it."""
        return public_pem(self.private_key)

    def sign(self, data: bytes, alg: str) -> bytes:
        """Sign ``data`` with RS256/384/512 or PS256/384/512."""
        digest = _HASHES[alg[2:]]()
        if alg.startswith("PS"):
            pss = padding.PSS(padding.MGF1(digest), salt_length=digest.digest_size)
            return self.private_key.sign(data, pss, digest)
        return self.private_key.sign(data, padding.PKCS1v15(), digest)


def private_pem(private_key: Any) -> str:
    """A ``cryptography`` private key as unencrypted PKCS#8 PEM."""
    return str(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
    )


def public_pem(private_key: Any) -> str:
    """The public half of a ``cryptography`` private key, as PEM."""
    return str(
        private_key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


def _certificate(private_key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    # Auth0 publishes x5c/x5t for every key; some libraries pick keys by x5t.
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(private_key, hashes.SHA256())
    )


class KeyRing:
    """The tenant's published keys; one of them is the current signing key."""

    def __init__(self, common_name: str) -> None:
        self._common_name = common_name
        self._keys: dict[str, SigningKey] = {}
        self.current_kid = ""
        self.rotate()

    def rotate(self) -> str:
        """Make a new key current; earlier keys stay published until revoked."""
        key = SigningKey.generate(self._common_name)
        # Current key first, as Auth0 lists it.
        self._keys = {key.kid: key, **self._keys}
        self.current_kid = key.kid
        return key.kid

    def revoke(self, kid: str) -> None:
        """Stop publishing ``kid``; the current key cannot be revoked."""
        if kid == self.current_kid:
            raise ValueError("rotate_keys() before revoking the current signing key")
        del self._keys[kid]

    def get(self, kid: str | None = None) -> SigningKey:
        """The key ``kid``, or the current signing key."""
        return self._keys[kid or self.current_kid]

    def jwks(self) -> dict[str, Any]:
        """The JWKS document, as served at ``/.well-known/jwks.json``."""
        return {"keys": [key.public_jwk() for key in self._keys.values()]}


def encode_jws(
    payload: Any,
    header: dict[str, Any],
    *,
    rsa_key: SigningKey,
    hmac_secret: bytes | None = None,
    fallback_alg: str = "RS256",
) -> str:
    """Compact JWS of ``payload``, signed the way ``header["alg"]`` says.

    An ``alg`` the emulator cannot produce (e.g. ES256) stays in the header, but
    the token is signed with ``fallback_alg``: a token that lies about its alg.
    """
    claimed = header.get("alg", fallback_alg)
    alg = claimed if claimed in SUPPORTED_ALGORITHMS else fallback_alg
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, payload)
    ).encode("ascii")
    if alg == "none":
        signature = b""
    elif alg.startswith("HS"):
        if hmac_secret is None:
            raise ValueError(f"{alg} needs a key (bytes)")
        signature = hmac.digest(hmac_secret, signing_input, f"sha{alg[2:]}")
    else:
        signature = rsa_key.sign(signing_input, alg)
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def corrupt_signature(token: str) -> str:
    """Flip one bit of the signature, keeping the token well-formed."""
    head, _, signature = token.rpartition(".")
    raw = bytearray(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) or b"\0"
    )
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{b64url(bytes(raw))}"
