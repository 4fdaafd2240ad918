"""DPoP (RFC 9449) for tests: a client's key and the proofs it signs, and the
emulator's check of the proof sent to ``/oauth/token``.

::

    key = DpopKey()                       # ES256; "RS256", "PS256", "EdDSA"
    headers = tenant.dpop_headers("GET", "http://testserver/api/", ADA, key=key)
    client.get("/api/", headers=headers)  # Authorization: DPoP ..., DPoP: <proof>
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ..jwt import dpop
from .keys import b64url
from .wire import Request, Response, oauth_error

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

__all__ = ["DpopKey"]


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class DpopKey:
    """A DPoP key pair of one ``alg`` (ES256 by default) and its proofs."""

    def __init__(self, alg: str = "ES256") -> None:
        if alg not in dpop.ALGORITHMS:
            raise ValueError(f"alg must be one of {', '.join(dpop.ALGORITHMS)}")
        self.alg = alg
        self.private_key: Any = _generate(alg)
        self.public_jwk = _public_jwk(self.private_key)
        self.thumbprint = dpop.thumbprint(self.public_jwk)

    def private_jwk(self) -> dict[str, Any]:
        """The JWK with its private member ``d`` (what a proof must never carry)."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return {**self.public_jwk, "d": _uint(self.private_key.private_numbers().d)}
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            value = self.private_key.private_numbers().private_value
            return {**self.public_jwk, "d": _uint(value)}
        return {**self.public_jwk, "d": b64url(self.private_key.private_bytes_raw())}

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """A fresh proof for ``method`` ``url`` (``ath`` of ``access_token``);
        ``claims``/``header`` merge last (a value of None removes a member), to
        forge exactly one part. Signed with this key whatever ``alg`` says."""
        body: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            body["ath"] = dpop.access_token_hash(access_token)
        if nonce is not None:
            body["nonce"] = nonce
        head = {"typ": dpop.TYPE, "alg": self.alg, "jwk": self.public_jwk}
        return self.sign(_merged(head, header), _merged(body, claims))

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` under ``header``, signed with this key."""
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode())
            for part in (header, claims)
        )
        signature = _signature(self.alg, self.private_key, signing_input.encode())
        return f"{signing_input}.{b64url(signature)}"

    def headers(
        self, method: str, url: str, access_token: str, *, nonce: str | None = None
    ) -> dict[str, str]:
        """``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof."""
        return {
            "Authorization": f"DPoP {access_token}",
            "DPoP": self.proof(method, url, access_token=access_token, nonce=nonce),
        }


def _merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**base, **(changes or {})}
    return {name: value for name, value in merged.items() if value is not None}


def _generate(alg: str) -> Any:
    if alg.startswith("ES"):
        return ec.generate_private_key(
            ec.SECP256R1() if alg == "ES256" else ec.SECP384R1()
        )
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_jwk(private_key: Any) -> dict[str, Any]:
    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "e": _uint(numbers.e), "n": _uint(numbers.n)}
    if isinstance(public, ec.EllipticCurvePublicKey):
        size = (public.curve.key_size + 7) // 8
        point = public.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256" if size == 32 else "P-384",
            "x": b64url(point.x.to_bytes(size, "big")),
            "y": b64url(point.y.to_bytes(size, "big")),
        }
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public.public_bytes_raw())}


def _signature(alg: str, private_key: Any, data: bytes) -> bytes:
    if alg.startswith("ES"):
        digest = hashes.SHA256() if alg == "ES256" else hashes.SHA384()
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(digest)))
        size = 32 if alg == "ES256" else 48
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == "RS256":
        return bytes(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    if alg == "PS256":
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32)
        return bytes(private_key.sign(data, pss, hashes.SHA256()))
    return bytes(private_key.sign(data))


# -- the emulator's /oauth/token ---------------------------------------------------

_used_jtis: set[str] = set()
_jti_lock = threading.Lock()


def token_request_binding(
    tenant: Auth0Tenant, request: Request
) -> tuple[str | None, Response | None]:
    """The thumbprint a token request's ``DPoP`` proof binds the token to
    (None without a proof), or Auth0's 400 ``invalid_dpop_proof``, or 400
    ``use_dpop_nonce`` with a ``DPoP-Nonce`` when ``tenant.dpop_nonce`` is
    demanded and the proof lacks it."""
    proof = request.header("DPoP")
    if not proof:
        return None, None
    try:
        key, claims = _checked(tenant, proof, "POST", request.path)
    except dpop.ProofRejected as error:
        return None, oauth_error(400, "invalid_dpop_proof", error.detail)
    nonce = tenant.dpop_nonce
    if nonce is not None and claims.get("nonce") != nonce:
        refused = oauth_error(
            400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof"
        )
        refused.headers.append(("DPoP-Nonce", nonce))
        return None, refused
    return key.jkt, None


def _checked(
    tenant: Auth0Tenant, proof: str, method: str, path: str
) -> tuple[dpop.ProofKey, dict[str, Any]]:
    """A proof's key and claims: signature, ``htm``, ``htu``, ``iat``, a
    ``jti`` seen once (``ProofRejected`` otherwise)."""
    key, claims = dpop.read_proof(proof)
    dpop.check_request(claims, method=method, url=f"{tenant.base_url}{path}")
    dpop.check_iat(claims, now=tenant.now(), leeway=60)
    with _jti_lock:
        if claims["jti"] in _used_jtis:
            raise dpop.ProofRejected("DPoP proof replayed")
        _used_jtis.add(claims["jti"])
    return key, claims


def resource_proof_error(
    tenant: Auth0Tenant, request: Request, access_token: str, jkt: str
) -> str | None:
    """Why the ``DPoP`` proof sent with a DPoP-bound token to ``request``'s
    path (``/userinfo``) is refused; None when it is good."""
    proof = request.header("DPoP")
    if not proof:
        return "no DPoP proof"
    try:
        key, claims = _checked(tenant, proof, request.method, request.path)
        dpop.check_token_hash(claims, access_token)
    except dpop.ProofRejected as error:
        return error.detail
    return None if key.jkt == jkt else "the proof's key is not the token's"
