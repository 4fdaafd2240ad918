"""DPoP proofs (RFC 9449) sent to the site's API with a DPoP-bound token.

``check_proof`` runs the checks of RFC 9449 section 4.3 on the ``DPoP``
header of a request carrying ``Authorization: DPoP <token>``, in this order:
size bounds; the header (``typ: dpop+jwt``, an asymmetric ``alg`` of
``ALGORITHMS``, a public ``jwk`` of the matching key type and nothing
private); the signature by that key; the claims (``jti``, ``htm`` = the
method, ``htu`` = the URL without query and fragment, both normalised per
RFC 3986 section 6.2, ``iat`` within the window); the server nonce when one
is demanded; ``ath`` = the token's hash (section 7.1); the token's
``cnf.jkt`` = the RFC 7638 thumbprint of the proof's key (section 6.1); and
last, the ``jti`` claimed once, deployment-wide, in the shared cache
(section 11.1). The signature is checked with ``cryptography`` directly:
the key comes from the proof, never from a key set, so the token path of
``compact.py`` does not apply.

A failure raises ``ProofRejected``: ``error`` is ``invalid_dpop_proof`` or
``use_dpop_nonce`` (section 7.1, 9); ``detail`` is for the log only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..cache import UNAVAILABLE, SharedCache
from .claims import PARSING_ERRORS, TokenRejected, display_value
from .compact import b64url_decode, check_size, read_segment

__all__ = [
    "ALGORITHMS",
    "Nonces",
    "ProofRejected",
    "access_token_hash",
    "check_proof",
    "normalize_url",
    "thumbprint",
]

TYPE = "dpop+jwt"
# alg -> (kty, crv): asymmetric only (section 4.3 check 5), never "none" or
# HS*, whose "key" would be in the proof for anyone to sign with.
ALGORITHMS: Final[dict[str, tuple[str, str | None]]] = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    "EdDSA": ("OKP", "Ed25519"),
}
# Members of a private or symmetric JWK (RFC 7518 section 6.2.2, 6.3.2, 6.4;
# RFC 8037 section 2): a proof carrying any of them is refused (check 7).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# A proof is a header with the public key and five short claims: an RSA
# key of 8192 bits is 1366 characters of "n". Anything longer is refused
# before it is decoded.
MAX_PROOF_LENGTH = 8192
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
MAX_JTI_LENGTH = 256
# Seconds a proof is accepted after its iat (plus the leeway either side):
# a proof is made for one request, right before it (section 11.1).
PROOF_AGE = 60
_EC_CURVES = {"P-256": (ec.SECP256R1(), 32), "P-384": (ec.SECP384R1(), 48)}
_HASH_OF = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384()}
_SHA256 = hashes.SHA256()
_PSS = padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32)
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ProofRejected(Exception):
    """The proof failed one rule: ``error`` is the RFC 9449 error code."""

    def __init__(self, detail: str, *, error: str = "invalid_dpop_proof") -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error


@dataclass(frozen=True)
class ProofKey:
    """The proof's algorithm, its public key and the key's thumbprint."""

    alg: str
    key: Any
    jkt: str


@dataclass(frozen=True)
class ProofRules:
    """What a proof is checked against, besides the request."""

    leeway: float
    replay: SharedCache
    nonce: Any = None  # a Nonces, or None: no nonce demanded


def check_proof(
    proof: str,
    *,
    method: str,
    url: str,
    access_token: str,
    token_claims: Mapping[str, Any],
    now: float,
    rules: ProofRules,
) -> dict[str, Any]:
    """Check ``proof`` for this request and token; return its claims."""
    key, claims = read_proof(proof)
    check_request(claims, method=method, url=url)
    check_iat(claims, now=now, leeway=rules.leeway)
    if rules.nonce is not None and not rules.nonce.valid(claims.get("nonce"), now):
        raise ProofRejected("proof has no current nonce", error="use_dpop_nonce")
    check_token_hash(claims, access_token)
    check_binding(token_claims, key.jkt)
    claim_jti(rules.replay, key.jkt, claims["jti"], PROOF_AGE + 2 * rules.leeway)
    return claims


# -- the compact JWS --------------------------------------------------------------


def read_proof(proof: str) -> tuple[ProofKey, dict[str, Any]]:
    """Size, header, signature, then the payload: the proof's key and claims."""
    try:
        proof, header_end, signed_end = check_size(proof, MAX_PROOF_LENGTH)
        key = header_key(proof[:header_end])
        signature = b64url_decode(proof[signed_end + 1 :])
        message = proof[:signed_end].encode("ascii")
        if not signature_matches(key, message, signature):
            raise ProofRejected("proof signature does not verify with its jwk")
        claims = read_segment(proof[header_end + 1 : signed_end], "unreadable")
    except (TokenRejected, ValueError, *PARSING_ERRORS) as error:
        raise ProofRejected(f"proof is malformed ({error})") from None
    if not isinstance(claims, dict):
        raise ProofRejected("proof payload is not a JSON object")
    return key, claims


# Header segment -> its key, for headers that passed every header rule. A
# client sends the same header (typ, alg, jwk) with each proof: reading the
# key once is enough. Bounded: emptied when full.
_header_keys: dict[str, ProofKey] = {}
MAX_HEADER_KEYS = 256


def header_key(segment: str) -> ProofKey:
    """The key of a proof's header segment, after the header rules."""
    key = _header_keys.get(segment)
    if key is not None:
        return key
    header = read_segment(segment, "proof header is unreadable")
    if not isinstance(header, dict):
        raise ProofRejected("proof header is not an object")
    key = checked_header(header)
    if len(_header_keys) >= MAX_HEADER_KEYS:
        _header_keys.clear()
    _header_keys[segment] = key
    return key


def checked_header(header: Mapping[str, Any]) -> ProofKey:
    """``typ``, ``alg`` and a public ``jwk`` of the alg's key type (checks 4, 5, 7)."""
    if header.get("typ") != TYPE:
        raise ProofRejected(f"proof typ {display_value(header.get('typ'), 20)}")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise ProofRejected(f"proof alg {display_value(alg, 20)} is not allowed")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise ProofRejected("proof header has no jwk object")
    if PRIVATE_MEMBERS.intersection(jwk):
        raise ProofRejected("proof jwk carries private key members")
    kty, crv = ALGORITHMS[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise ProofRejected(f"proof jwk is not an {kty} {crv or ''} key for {alg}")
    return ProofKey(alg, public_key(jwk), thumbprint(jwk))


def public_key(jwk: Mapping[str, Any]) -> Any:
    """The ``cryptography`` public key of a checked JWK (``ValueError`` if unusable)."""
    kty = jwk["kty"]
    if kty == "RSA":
        n = _uint(jwk.get("n"))
        if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
            raise ProofRejected(f"proof RSA key of {n.bit_length()} bits")
        return rsa.RSAPublicNumbers(_uint(jwk.get("e")), n).public_key()
    if kty == "EC":
        curve, size = _EC_CURVES[jwk["crv"]]
        x, y = _octets(jwk.get("x"), size), _octets(jwk.get("y"), size)
        # Raises ValueError for a point not on the curve.
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x), int.from_bytes(y), curve
        ).public_key()
    return ed25519.Ed25519PublicKey.from_public_bytes(_octets(jwk.get("x"), 32))


def _octets(value: object, size: int) -> bytes:
    raw = b64url_decode(value) if isinstance(value, str) else b""
    if len(raw) != size:
        raise ValueError(f"a key coordinate is not {size} bytes")
    return raw


def _uint(value: object) -> int:
    raw = b64url_decode(value) if isinstance(value, str) else b""
    if not raw or raw[0] == 0:  # RFC 7518 section 6.3.1.1: minimal octets
        raise ValueError("an RSA key member is empty or not minimal")
    return int.from_bytes(raw)


def signature_matches(key: ProofKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies with the proof's key."""
    try:
        if key.alg.startswith("ES"):
            size = _EC_CURVES[str(ALGORITHMS[key.alg][1])][1]
            if len(signature) != 2 * size:  # r || s, each of the curve's size
                return False
            r, s = int.from_bytes(signature[:size]), int.from_bytes(signature[size:])
            der = encode_dss_signature(r, s)
            key.key.verify(der, message, ec.ECDSA(_HASH_OF[key.alg]))
        elif key.alg == "RS256":
            key.key.verify(signature, message, padding.PKCS1v15(), _SHA256)
        elif key.alg == "PS256":
            key.key.verify(signature, message, _PSS, _SHA256)
        else:
            key.key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url."""
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
    names = members.get(str(jwk.get("kty")), ("crv", "kty", "x"))
    required = {name: jwk.get(name) for name in names}
    if not all(isinstance(value, str) for value in required.values()):
        raise ValueError("the jwk lacks a member of its thumbprint")
    text = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(text.encode()).digest())


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# -- the claims -------------------------------------------------------------------


def check_request(claims: Mapping[str, Any], *, method: str, url: str) -> None:
    """``jti`` present; ``htm`` and ``htu`` name this request (checks 3, 8, 9)."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise ProofRejected("proof jti is missing or not a short string")
    if claims.get("htm") != method:
        raise ProofRejected(f"proof htm {display_value(claims.get('htm'), 10)}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or not _same_url(htu, url):
        raise ProofRejected("proof htu does not name this request's URL")


def _same_url(htu: str, url: str) -> bool:
    # Most clients send the URL as Django builds it: no normalising then.
    if htu == url:
        return True
    expected = normalize_url(url)
    return expected is not None and normalize_url(htu) == expected


def check_iat(claims: Mapping[str, Any], *, now: float, leeway: float) -> None:
    """``iat`` within ``PROOF_AGE`` seconds past, ``leeway`` either side (check 11)."""
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise ProofRejected("proof iat is missing or not a number")
    if iat > now + leeway:
        raise ProofRejected("proof iat is in the future")
    if iat < now - PROOF_AGE - leeway:
        raise ProofRejected("proof iat is too old")


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the token's ASCII (section 4.2)."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def check_token_hash(claims: Mapping[str, Any], access_token: str) -> None:
    """``ath`` is the hash of the token sent with the proof (section 4.3 check 12)."""
    ath = claims.get("ath")
    expected = access_token_hash(access_token)
    if not isinstance(ath, str) or not hmac.compare_digest(ath, expected):
        raise ProofRejected("proof ath does not match the access token")


def check_binding(token_claims: Mapping[str, Any], jkt: str) -> None:
    """The token's ``cnf.jkt`` is the proof key's thumbprint (section 6.1)."""
    cnf = token_claims.get("cnf")
    bound = cnf.get("jkt") if isinstance(cnf, dict) else None
    if not isinstance(bound, str):
        # A bearer token sent as DPoP: the token is what is wrong.
        raise ProofRejected(
            "the token is not DPoP-bound (no cnf.jkt)", error="invalid_token"
        )
    if not hmac.compare_digest(bound, jkt):
        raise ProofRejected("the token is bound to another key than the proof's")


def claim_jti(replay: SharedCache, jkt: str, jti: str, timeout: float) -> None:
    """Accept ``jti`` once per window, deployment-wide (section 11.1).

    Keyed by the key's thumbprint too: only its holder can sign a proof, so
    another client's ``jti`` never collides. The shared cache down answers
    ``UNAVAILABLE`` (no per-process fallback: another worker would accept
    the same proof): the caller refuses the request with a 503.
    """
    material = f"{jkt}\0{jti}".encode()
    key = "social_auth0:dpop-jti:" + hashlib.sha256(material).hexdigest()
    added = replay.add(key, 1, timeout)
    if added is UNAVAILABLE:
        raise ReplayStoreUnavailable("the shared cache is down")
    if not added:
        raise ProofRejected("proof jti was already used (a replayed proof)")


class ReplayStoreUnavailable(Exception):
    """The jti of a proof cannot be claimed: the shared cache is down."""


# -- server nonces (section 8, 9) ----------------------------------------------------

NONCE_LIFETIME = 300  # seconds a slice lasts; a nonce is good for up to two


class Nonces:
    """Nonces every worker computes alike, without storage: an HMAC keyed by
    the site's secret over the time slice. The current and the previous
    slice's are accepted, so a nonce handed out just before a slice ends
    still works; compared in constant time."""

    def __init__(self, secret: str | bytes, lifetime: int = NONCE_LIFETIME) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        self._key = hashlib.sha256(b"social_auth0.dpop-nonce\0" + raw).digest()
        self.lifetime = lifetime

    def current(self, now: float) -> str:
        """The nonce to hand out now (``DPoP-Nonce``)."""
        return self._for_slice(int(now // self.lifetime))

    def valid(self, nonce: object, now: float) -> bool:
        """Whether ``nonce`` is the current or the previous slice's."""
        if not isinstance(nonce, str) or len(nonce) > 64:
            return False
        current = int(now // self.lifetime)
        matches = [
            hmac.compare_digest(nonce, self._for_slice(slot))
            for slot in (current, current - 1)
        ]
        return any(matches)

    def _for_slice(self, slot: int) -> str:
        digest = hmac.new(self._key, str(slot).encode(), hashlib.sha256).digest()
        return _b64url(digest)


# -- URLs --------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)  # a client signs the same few URLs
def normalize_url(url: str) -> str | None:
    """``url`` without query and fragment, normalised per RFC 3986 section 6.2.2
    and 6.2.3 (case, percent-encoding, dot segments, default port, empty path);
    None if it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = parts.hostname  # lower-cased by urlsplit
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _remove_dot_segments(_normalize_percent(parts.path)) or "/"
    return f"{scheme}://{host}{path}"


def _normalize_percent(path: str) -> str:
    """Upper-case escapes; decode escaped unreserved characters (6.2.2.1, 6.2.2.2)."""
    pieces = path.split("%")
    out = [pieces[0]]
    for piece in pieces[1:]:
        code = piece[:2]
        if len(code) == 2 and all(c in string.hexdigits for c in code):
            char = chr(int(code, 16))
            escaped = char if char in _UNRESERVED else f"%{code.upper()}"
            out.append(escaped + piece[2:])
        else:
            out.append("%" + piece)
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path of segments."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)
