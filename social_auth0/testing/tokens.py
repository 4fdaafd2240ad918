"""Minting the tokens a login yields, with the misbehaviour switches applied."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from jose import jwt
from jose.exceptions import JOSEError

from .claims import Grant, access_token_claims, id_token_claims, skew
from .keys import corrupt_signature
from .misbehave import apply_overrides

if TYPE_CHECKING:
    from .tenant import Auth0Tenant


def id_claims(tenant: Auth0Tenant, grant: Grant) -> dict[str, Any]:
    """The claims of a well-behaved ID token for ``grant``, issued now."""
    return id_token_claims(
        grant,
        issuer=grant.issuer or tenant.issuer,
        now=tenant.now(),
        roles_claim=tenant.roles_claim,
        app_metadata_claim=tenant.app_metadata_claim,
    )


def id_token(tenant: Auth0Tenant, grant: Grant) -> str:
    """The ID token ``/oauth/token`` issues, with ``tenant.misbehave`` applied."""
    switches = tenant.misbehave
    if switches.id_token is not None:
        return switches.id_token
    claims = apply_overrides(
        skew(id_claims(tenant, grant), switches.clock_skew), switches.id_token_claims
    )
    token = tenant.sign(claims, headers=switches.id_token_header or None)
    return corrupt_signature(token) if switches.bad_signature else token


def access_token_lifetime(tenant: Auth0Tenant, grant: Grant) -> int:
    """Seconds an access token of ``grant``'s application lives."""
    return tenant.access_token_lifetime(grant.client_id)


def access_token(tenant: Auth0Tenant, grant: Grant, jkt: str | None = None) -> str:
    """A JWT access token for ``grant``, remembered so ``/userinfo`` accepts it;
    ``jkt``: bound to that DPoP key (``cnf``, RFC 9449 section 6)."""
    lifetime = access_token_lifetime(tenant, grant)
    claims = access_token_claims(
        grant,
        issuer=grant.issuer or tenant.issuer,
        now=tenant.now(),
        roles_claim=tenant.roles_claim,
        lifetime=lifetime,
    )
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    token = tenant.sign(skew(claims, tenant.misbehave.clock_skew))
    tenant.state.remember_access_token(token, grant, lifetime)
    return token


def token_response(
    tenant: Auth0Tenant, grant: Grant, *, refresh: bool, jkt: str | None = None
) -> dict[str, Any]:
    """The JSON ``/oauth/token`` answers; ``refresh``: add a refresh token;
    ``jkt``: a DPoP-bound access token (``token_type: DPoP``)."""
    body: dict[str, Any] = {"access_token": access_token(tenant, grant, jkt)}
    if "openid" in grant.scopes:
        body["id_token"] = id_token(tenant, grant)
    if refresh and "offline_access" in grant.scopes:
        # Refreshed ID tokens carry no nonce (OIDC Core 12.2).
        body["refresh_token"] = tenant.state.issue_refresh_token(
            dataclasses.replace(grant, nonce=None)
        )
    body.update(
        scope=grant.scope,
        expires_in=access_token_lifetime(tenant, grant),
        token_type="Bearer" if jkt is None else "DPoP",
    )
    return body


def decode_own_token(tenant: Auth0Tenant, token: str) -> dict[str, Any] | None:
    """Claims of a token this tenant signed (expired is fine: ``id_token_hint``)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if not any(key["kid"] == kid for key in tenant.jwks["keys"]):
            return None
        return jwt.decode(
            token,
            tenant.keys.get(kid).public_jwk(),
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "verify_at_hash": False},
        )
    except (JOSEError, KeyError, TypeError, ValueError):
        return None
