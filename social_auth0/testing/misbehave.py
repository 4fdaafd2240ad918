"""Switches that make the emulated tenant misbehave, for negative tests."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Final


class _Remove:
    """Marker type of :data:`REMOVE`."""

    _instance: _Remove | None = None

    def __new__(cls) -> _Remove:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REMOVE"


#: Use as a claim value in overrides to delete that claim from a token.
REMOVE: Final = _Remove()


def apply_overrides(
    claims: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """``claims`` updated with ``overrides``; a ``REMOVE`` value deletes its claim."""
    merged = {**claims, **overrides}
    return {name: value for name, value in merged.items() if value is not REMOVE}


@dataclass
class Misbehaviour:
    """What the tenant should get wrong; ``reset()`` makes it behave again.

    ``id_token_header`` is merged into the ID token's JWS header. When it sets
    ``alg``, the token is really signed with that algorithm if the emulator can
    (``RS*``/``PS*`` with the current key, ``HS*`` with the client secret, as
    Auth0 does for HS256 applications, ``none`` unsigned); any other ``alg``
    only changes the header and the token stays RS256-signed.
    """

    clock_skew: int = 0  # seconds added to iat/exp/auth_time/nbf of issued tokens
    bad_signature: bool = False  # flip a bit of the ID token signature
    discovery_issuer: str | None = None  # "issuer" the discovery document names
    jwks_down: bool = False  # /.well-known/jwks.json answers 503
    jwks_garbage: bool = False  # /.well-known/jwks.json answers 200, not JSON
    jwks_body: bytes | None = None  # raw 200 JWKS body, e.g. b'{"nokeys": []}'
    token_status: int | None = None  # /oauth/token fails with this status
    token_body: bytes | None = None  # /oauth/token answers 200 with this body
    token_delay: float = 0  # seconds /oauth/token sleeps before answering
    par_status: int | None = None  # /oauth/par refuses with this status
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    id_token: str | None = None  # served verbatim instead of the real ID token

    def reset(self) -> None:
        """Behave like a healthy tenant again."""
        for spec in fields(self):
            setattr(self, spec.name, getattr(Misbehaviour(), spec.name))
