"""A pipeline step of the example: keep the verified claims for the dashboard."""

from __future__ import annotations

from typing import Any

# Token-endpoint fields merged into `response` next to the claims: credentials
# never go into the session.
TOKEN_FIELDS = {
    "access_token",
    "id_token",
    "refresh_token",
    "token_type",
    "expires_in",
    "scope",
}


def keep_verified_claims(
    strategy: Any, response: dict, *args: Any, **kwargs: Any
) -> None:
    """Store the verified ID-token claims (no tokens) in the session."""
    claims = {k: v for k, v in response.items() if k not in TOKEN_FIELDS}
    strategy.session_set("auth0_claims", claims)
