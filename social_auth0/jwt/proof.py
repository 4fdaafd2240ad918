"""DPoP proofs this site signs as a client (RFC 9449 section 4): the key,
the proofs, and the server nonces it was handed.

The key is ``SOCIAL_AUTH_AUTH0_DPOP_KEY``, a private key in PEM; its type
picks the ``alg``: an EC P-256 key signs ES256 (the default Auth0 shows), a
P-384 key ES384, an Ed25519 key EdDSA, an RSA key of at least 2048 bits
RS256. ``DPOP_OLD_KEYS`` lists retired keys still holding tokens bound to
them (a refresh must be signed by the key its token is bound to).

``ProofAuth`` is the ``requests`` auth of a token request: it adds a fresh
proof and notes a ``DPoP-Nonce`` the server hands out, and whether it
demanded one (``use_dpop_nonce``): the caller then retries once.
``dpop.py`` beside it checks the proofs the site's API receives.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from requests.auth import AuthBase, HTTPBasicAuth
from social_core.exceptions import SocialAuthBaseException

from .dpop import MIN_RSA_BITS, TYPE, access_token_hash, thumbprint

if TYPE_CHECKING:
    from requests import PreparedRequest, Response

__all__ = [
    "ClientKey",
    "ProofAuth",
    "load_key",
    "nonce_for",
    "origin",
    "remember_nonce",
    "send_with_proof",
    "strip_url",
]

_CURVES = {"secp256r1": ("ES256", "P-256", 32), "secp384r1": ("ES384", "P-384", 48)}
# Origins whose last nonce is remembered (per process; a stale one only costs
# the server's use_dpop_nonce answer and one retry).
MAX_NONCE_ORIGINS = 256
MAX_NONCE_LENGTH = 512


def b64url_encode(raw: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class ClientKey:
    """A private DPoP key: its ``alg``, public JWK and RFC 7638 thumbprint."""

    alg: str
    private_key: Any
    public_jwk: Mapping[str, str]
    jkt: str

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """A fresh proof for ``method`` ``url`` (query and fragment dropped)."""
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": strip_url(url),
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"typ": TYPE, "alg": self.alg, "jwk": dict(self.public_jwk)}
        signing_input = ".".join(
            b64url_encode(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, claims)
        )
        signature = self._sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url_encode(signature)}"

    def _sign(self, data: bytes) -> bytes:
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            size = _CURVES[key.curve.name][2]
            digest = hashes.SHA256() if size == 32 else hashes.SHA384()
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return bytes(key.sign(data))


def strip_url(url: str) -> str:
    """``url`` without its query and fragment: a proof's ``htu``, normalised
    as servers compare it (RFC 9449 section 4.3), without credentials."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return urlunsplit((scheme, _authority(scheme, url), parts.path or "/", "", ""))


def _authority(scheme: str, url: str) -> str:
    """``host[:port]`` of ``url``: lower case, no user info, no default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = parts.port
    return host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


_DEFAULT_PORTS = {"https": 443, "http": 80}


def load_key(pem: object) -> ClientKey:
    """The ``ClientKey`` of a PEM private key; ``ValueError`` saying why not
    (unreadable, encrypted, a public key only, weak or of another type)."""
    if isinstance(pem, str):
        pem = pem.encode()
    if not isinstance(pem, bytes) or not pem.strip():
        raise ValueError("is not a PEM private key (a string)")
    return _load(pem)


@functools.lru_cache(maxsize=16)
def _load(pem: bytes) -> ClientKey:
    if b"PRIVATE KEY" not in pem:
        raise ValueError("is not a PEM private key (a public key or certificate?)")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        reason = "is encrypted" if "encrypted" in str(error).lower() else "unreadable"
        raise ValueError(f"cannot be read as a PEM private key ({reason})") from None
    alg, jwk = _alg_and_jwk(key)
    return ClientKey(alg, key, jwk, thumbprint(jwk))


def _alg_and_jwk(key: Any) -> tuple[str, dict[str, str]]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            raise ValueError(f"is an EC key on {key.curve.name}: use P-256 (ES256)")
        alg, crv, size = _CURVES[key.curve.name]
        point = key.public_key().public_numbers()
        x, y = (b64url_encode(v.to_bytes(size, "big")) for v in (point.x, point.y))
        return alg, {"kty": "EC", "crv": crv, "x": x, "y": y}
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"is an RSA key of {key.key_size} bits (at least 2048)")
        numbers = key.public_key().public_numbers()
        return "RS256", {"kty": "RSA", "e": _uint(numbers.e), "n": _uint(numbers.n)}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes_raw()
        return "EdDSA", {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    raise ValueError(f"is a {type(key).__name__}: use EC P-256, RSA or Ed25519")


def configured_keys(current: object, old: object) -> list[ClientKey]:
    """``DPOP_KEY`` (when set) then each of ``DPOP_OLD_KEYS``, loaded."""
    found = [load_key(current)] if current else []
    if old is not None and not isinstance(old, list | tuple):
        raise ValueError("DPOP_OLD_KEYS is not a list of PEM private keys")
    found.extend(load_key(pem) for pem in old or ())
    return found


def key_with(keys: Iterable[ClientKey], jkt: str) -> ClientKey | None:
    """The key whose thumbprint is ``jkt``, if configured."""
    return next((key for key in keys if key.jkt == jkt), None)


# -- nonces the servers handed out (section 8, 9) ------------------------------------

_nonces: OrderedDict[str, str] = OrderedDict()
_nonces_lock = threading.Lock()


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower case (RFC 6454 section 4)."""
    scheme = urlsplit(url).scheme.lower()
    return f"{scheme}://{_authority(scheme, url)}"


def nonce_for(url: str) -> str | None:
    """The last nonce ``url``'s origin handed out (this process), if any."""
    with _nonces_lock:
        return _nonces.get(origin(url))


def remember_nonce(url: str, response: Response) -> str | None:
    """Keep the ``DPoP-Nonce`` of ``response`` for ``url``'s origin; the nonce."""
    nonce = response.headers.get("DPoP-Nonce")
    if not nonce or len(nonce) > MAX_NONCE_LENGTH or not nonce.isprintable():
        return None
    where = origin(url)
    with _nonces_lock:
        _nonces[where] = nonce
        _nonces.move_to_end(where)
        while len(_nonces) > MAX_NONCE_ORIGINS:
            _nonces.popitem(last=False)
    return nonce


def forget_nonces() -> None:
    """Forget every remembered nonce (tests)."""
    with _nonces_lock:
        _nonces.clear()


# -- the token endpoint --------------------------------------------------------------

# The key a token request signs its proof with, when it must be a given one
# (a refresh of a token bound to it): set around the call by the refresh.
bound_key: ContextVar[ClientKey | None] = ContextVar("dpop_bound_key", default=None)


class ProofAuth(AuthBase):
    """A token request's auth: ``inner`` (the client credentials, if any)
    plus a fresh ``DPoP`` proof; notes a nonce the server demanded."""

    def __init__(self, key: ClientKey, inner: Any, nonce: str | None = None) -> None:
        self.key = key
        self.inner = HTTPBasicAuth(*inner) if isinstance(inner, tuple) else inner
        self.nonce = nonce
        self.demanded: str | None = None  # the nonce of a use_dpop_nonce answer

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        url = str(request.url)
        nonce = self.nonce or nonce_for(url)
        request.headers["DPoP"] = self.key.proof(str(request.method), url, nonce=nonce)
        request.register_hook("response", self._note_nonce)  # type: ignore[no-untyped-call]
        return self.inner(request) if self.inner is not None else request

    def _note_nonce(self, response: Response, **kwargs: Any) -> None:
        nonce = remember_nonce(str(response.request.url), response)
        if nonce is not None and response.status_code == 400 and _demands(response):
            self.demanded = nonce

    def retry(self) -> ProofAuth:
        """The auth of the one retry, with the demanded nonce."""
        return ProofAuth(self.key, self.inner, self.demanded)


def _demands(response: Response) -> bool:
    """A token endpoint's ``{"error": "use_dpop_nonce"}`` (section 8)."""
    try:
        body = json.loads(response.content[:4096])
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("error") == "use_dpop_nonce"


def send_with_proof(
    send: Callable[..., Response], key: ClientKey, kwargs: dict[str, Any]
) -> Response:
    """``send(**kwargs)`` with a proof; once more with the nonce the server
    demanded (Auth0's 400 ``use_dpop_nonce``), never more."""
    auth = ProofAuth(key, kwargs.get("auth"))
    try:
        return send(**{**kwargs, "auth": auth})
    except SocialAuthBaseException:
        if auth.demanded is None:
            raise
    return send(**{**kwargs, "auth": auth.retry()})
