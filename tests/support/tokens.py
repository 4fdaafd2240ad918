"""Real RSA keys and real signed tokens: a tenant signing key that signs test
tokens as given, compact JWS assembled by hand, and an Auth0 ID token's claims.

The ``signer`` and ``other_signer`` fixtures (conftest.py) are two of them."""

from __future__ import annotations

import json
import time
from typing import Any

from jose import jwk

from social_auth0.testing.keys import SigningKey, b64url
from social_auth0.testing.keys import private_pem as private_pem  # for the tests

ISSUER = "https://tenant.eu.auth0.com/"
CLIENT_ID = "test-client-id"


class Signer:
    """A tenant signing key (the emulator's ``SigningKey``) that signs test
    tokens as given, and its public JWK (``kid=None``: a JWK without kid)."""

    def __init__(self, kid: str | None) -> None:
        self.kid = kid
        self.signing_key = SigningKey.generate("test-tenant")
        self.private_key = self.signing_key.private_key
        self.public_pem = self.signing_key.public_pem()
        self.jwk: dict[str, Any] = {
            name: value
            for name, value in self.signing_key.public_jwk().items()
            if name in ("kty", "use", "alg", "n", "e")
        }
        if kid is not None:
            self.jwk["kid"] = kid
        self.key = jwk.construct(self.jwk, algorithm="RS256")

    def sign(self, claims: Any, headers: dict[str, Any] | None = None) -> str:
        header = {"alg": "RS256", "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        header.update(headers or {})
        return raw_token(header, json.dumps(claims).encode(), self)


def raw_token(header: dict[str, Any], payload: bytes, signer: Signer | None) -> str:
    """Assemble a compact JWS by hand (for payloads jose would not encode)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    if signer is None:
        return f"{signing_input}."
    signature = signer.signing_key.sign(signing_input.encode(), "RS256")
    return f"{signing_input}.{b64url(signature)}"


def id_token_claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a valid Auth0 ID token; ``name=None`` removes ``name``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "auth0|65f0c0ffee0000000000abcd",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 36000,
        "auth_time": now,
        "nonce": "the-nonce",
        "sid": "tenant-session-id",
        "email": "ada@example.com",
        "email_verified": True,
        "name": "ada@example.com",
        "nickname": "ada",
        "picture": "https://s.gravatar.com/avatar/ada.png",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims
