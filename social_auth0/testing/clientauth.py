"""How the emulated tenant authenticates a client: a secret (basic or post), or
a ``private_key_jwt`` assertion checked as Auth0 checks it.

An application with a registered public key (``tenant.register_client_key``)
accepts assertions signed by it (RS256, RS384, PS256): ``iss`` = ``sub`` = the
client id, ``aud`` = the tenant's issuer, ``exp`` in the future and at most
``MAX_ASSERTION_LIFETIME`` seconds away, a ``jti`` of at most 64 characters
never seen before, the whole assertion at most 2048 bytes. With
``accept_client_secret = False`` it refuses its secret. ``ClientKey`` makes a
key pair for tests and signs assertions, well-formed or not.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..jwt import assertion as client_assertion
from .keys import b64url, private_pem, public_pem
from .wire import Response, oauth_error

if TYPE_CHECKING:
    from .tenant import Auth0Tenant
    from .users import Application
    from .wire import Request

ASSERTION_TYPE = client_assertion.ASSERTION_TYPE
MAX_ASSERTION_LENGTH = 2048  # bytes (Auth0's limit)
MAX_ASSERTION_LIFETIME = 300  # seconds between now and exp (Auth0: 5 minutes)
MAX_JTI_LENGTH = 64
CLOCK_SKEW = 5  # seconds an iat may be in the future


class ClientAuthRefused(Exception):  # noqa: N818 (a refusal, with Auth0's words)
    """Why the client was not authenticated (the 401's error_description)."""


class ClientKey:
    """An RSA key pair for an application's ``private_key_jwt`` (tests, demos)."""

    def __init__(self, bits: int = 2048, kid: str | None = None) -> None:
        self.private_key = rsa.generate_private_key(
            public_exponent=65537, key_size=bits
        )
        self.kid = kid

    @property
    def private_pem(self) -> str:
        """The private key, PEM (what ``CLIENT_ASSERTION_KEY`` is set to)."""
        return private_pem(self.private_key)

    @property
    def public_pem(self) -> str:
        """The public key, PEM (what the Auth0 dashboard takes)."""
        return public_pem(self.private_key)

    @property
    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS."""
        numbers = self.private_key.public_key().public_numbers()
        jwk = {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
        if self.kid:
            jwk["kid"] = self.kid
        return {"keys": [jwk]}

    def assertion(
        self, tenant: Auth0Tenant, client_id: str | None = None, **overrides: Any
    ) -> str:
        """A signed assertion for ``tenant``; ``overrides`` change its claims
        (``alg=`` its algorithm): what a wrong client would send."""
        alg = overrides.pop("alg", client_assertion.DEFAULT_ALGORITHM)
        client_id = client_id or next(iter(tenant.applications))
        claims = client_assertion.assertion_claims(
            client_id, tenant.issuer, tenant.now()
        )
        claims.update(overrides)
        return client_assertion.sign_assertion(
            self.private_key, claims, alg=alg, kid=self.kid
        )


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def public_keys(key: object) -> list[rsa.RSAPublicKey]:
    """RSA public keys from a JWKS, one JWK, PEM text or a key object."""
    if isinstance(key, ClientKey):
        return [key.private_key.public_key()]
    if isinstance(key, rsa.RSAPublicKey):
        return [key]
    if isinstance(key, (str, bytes)):
        data = key.encode() if isinstance(key, str) else key
        loaded = serialization.load_pem_public_key(data)
        if not isinstance(loaded, rsa.RSAPublicKey):
            raise ValueError("only RSA keys sign private_key_jwt assertions")
        return [loaded]
    if isinstance(key, dict):
        jwks = key.get("keys", [key])
        return [_jwk_key(jwk) for jwk in jwks]
    raise ValueError(f"not a public key: {type(key).__name__}")


def _jwk_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    if jwk.get("kty") != "RSA":
        raise ValueError("only RSA keys sign private_key_jwt assertions")
    n, e = (int.from_bytes(_b64url_decode(jwk[name]), "big") for name in ("n", "e"))
    return rsa.RSAPublicNumbers(e, n).public_key()


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class JtiLedger:
    """The assertion ``jti``s seen, kept until their ``exp``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def first_use(self, client_id: str, jti: str, exp: float, now: float) -> bool:
        """True the first time ``jti`` comes from ``client_id``."""
        key = f"{client_id} {jti}"
        with self._lock:
            self._seen = {k: v for k, v in self._seen.items() if v >= now}
            if key in self._seen:
                return False
            self._seen[key] = exp
            return True


def authenticate(tenant: Auth0Tenant, request: Request) -> Application:
    """The application that authenticated ``request``; ``ClientAuthRefused``."""
    form = request.form
    if "client_assertion" in form or "client_assertion_type" in form:
        if "client_secret" in form or request.header("Authorization"):
            raise ClientAuthRefused("more than one client authentication method")
        return _by_assertion(tenant, form)
    return _by_secret(tenant, request)


def client_refusal(refusal: ClientAuthRefused) -> Response:
    """Auth0's answer to a wrong secret (access_denied, not invalid_client) or
    to a refused assertion (invalid_client, saying why)."""
    if str(refusal) == "Unauthorized":
        return oauth_error(401, "access_denied", "Unauthorized")
    return oauth_error(401, "invalid_client", str(refusal))


def _by_secret(tenant: Auth0Tenant, request: Request) -> Application:
    client_id, secret = _basic_credentials(request.header("Authorization"))
    if client_id is None:
        client_id, secret = (
            request.form.get("client_id"),
            request.form.get("client_secret"),
        )
    app = tenant.applications.get(client_id or "")
    if (
        app is None
        or secret is None
        or not hmac.compare_digest(secret, app.client_secret)
    ):
        raise ClientAuthRefused("Unauthorized")
    if not app.accept_client_secret:
        raise ClientAuthRefused("the application authenticates with private_key_jwt")
    return app


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = (
            base64.b64decode(encoded, validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before base64.
    return unquote(client_id), unquote(secret)


def _by_assertion(tenant: Auth0Tenant, form: dict[str, str]) -> Application:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise ClientAuthRefused("client_assertion_type is not jwt-bearer")
    token = form.get("client_assertion", "")
    if len(token.encode()) > MAX_ASSERTION_LENGTH:
        raise ClientAuthRefused("client_assertion is longer than 2048 bytes")
    header, claims, signing_input, signature = _parts(token)
    app = tenant.applications.get(str(claims.get("iss", "")))
    if app is None or not app.client_keys:
        raise ClientAuthRefused("client_assertion iss is no application with a key")
    if form.get("client_id", app.client_id) != app.client_id:
        raise ClientAuthRefused("client_id differs from the assertion's iss")
    _check_signature(app, header, signing_input, signature)
    _check_claims(tenant, app, claims)
    return app


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    try:
        head, body, signature = token.split(".")
        header = json.loads(_b64url_decode(head))
        claims = json.loads(_b64url_decode(body))
        raw_signature = _b64url_decode(signature)
    except (ValueError, binascii.Error):
        raise ClientAuthRefused("client_assertion is not a compact JWS") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ClientAuthRefused("client_assertion is not a compact JWS")
    return header, claims, f"{head}.{body}".encode(), raw_signature


def _check_signature(
    app: Application, header: dict[str, Any], signing_input: bytes, signature: bytes
) -> None:
    alg = header.get("alg")
    if alg not in client_assertion.ALGORITHMS:
        raise ClientAuthRefused(f"client_assertion alg {alg!r} is not accepted")
    digest: hashes.HashAlgorithm = (
        hashes.SHA384() if alg == "RS384" else hashes.SHA256()
    )
    scheme: padding.AsymmetricPadding = (
        padding.PSS(padding.MGF1(digest), digest.digest_size)
        if alg == "PS256"
        else padding.PKCS1v15()
    )
    for key in app.client_keys:
        try:
            key.verify(signature, signing_input, scheme, digest)
        except InvalidSignature:
            continue
        return
    raise ClientAuthRefused("client_assertion signature does not verify")


def _check_claims(
    tenant: Auth0Tenant, app: Application, claims: dict[str, Any]
) -> None:
    now = tenant.now()
    if claims.get("sub") != app.client_id:
        raise ClientAuthRefused("client_assertion sub is not the client id")
    if claims.get("aud") != tenant.issuer:
        raise ClientAuthRefused("client_assertion aud is not the tenant's issuer")
    exp, iat = claims.get("exp"), claims.get("iat", now)
    if not isinstance(exp, (int, float)) or not _number(exp) or not _number(iat):
        raise ClientAuthRefused("client_assertion exp or iat is not a number")
    if exp <= now:
        raise ClientAuthRefused("client_assertion has expired")
    if exp - now > MAX_ASSERTION_LIFETIME or iat > now + CLOCK_SKEW:
        raise ClientAuthRefused("client_assertion lifetime is too long")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise ClientAuthRefused("client_assertion jti is missing or too long")
    if not tenant.client_auth.first_use(app.client_id, jti, exp, now):
        raise ClientAuthRefused("client_assertion jti was used before")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
