"""Claim sets of the tokens Auth0 issues: ID, access and logout tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from .users import TenantUser

ID_TOKEN_LIFETIME = 36000  # Auth0's default ID token expiration (10 hours)
ACCESS_TOKEN_LIFETIME = 86400  # Auth0's default API token expiration (24 hours)
LOGOUT_TOKEN_LIFETIME = 120
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
TIME_CLAIMS = ("iat", "exp", "auth_time", "nbf")


@dataclass(frozen=True)
class Grant:
    """What a login granted: who, to which app, in which session, with what scope."""

    user: TenantUser
    client_id: str
    scope: str
    sid: str
    auth_time: int
    nonce: str | None = None
    audience: str | None = None
    organization: str | None = None
    organization_name: str | None = None  # set when the organization is registered
    amr: tuple[str, ...] = ()  # ("mfa",) after the MFA step
    acr: str | None = None
    # The RFC 7638 thumbprint of the DPoP key the tokens are bound to.
    jkt: str | None = None
    issuer: str | None = None  # the custom domain of /authorize (None: the first)

    @property
    def scopes(self) -> set[str]:
        """The granted scope as a set."""
        return set(self.scope.split())


def user_claims(user: TenantUser, scopes: set[str]) -> dict[str, Any]:
    """``sub`` plus the profile and email claims the scopes ask for."""
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims.update(user.profile())
    if "email" in scopes:
        claims.update(email=user.email, email_verified=user.email_verified)
    claims["sub"] = user.sub
    return claims


def organization_claims(organization: str | None) -> dict[str, Any]:
    """``org_id`` (and ``org_name`` when asked by name) for a requested organization."""
    if not organization:
        return {}
    if organization.startswith("org_"):
        return {"org_id": organization}
    # Asked by name: Auth0 then sends both; the id is stable for the name.
    digest = hashlib.sha256(organization.encode()).hexdigest()[:16]
    return {"org_id": f"org_{digest}", "org_name": organization}


def grant_organization_claims(grant: Grant) -> dict[str, Any]:
    """``org_id``/``org_name`` of a registered organization, else as requested."""
    if grant.organization and grant.organization_name:
        return {"org_id": grant.organization, "org_name": grant.organization_name}
    return organization_claims(grant.organization)


def authentication_claims(grant: Grant) -> dict[str, Any]:
    """``amr`` (and ``acr``) once the user passed a second factor."""
    claims: dict[str, Any] = {}
    if grant.amr:
        claims["amr"] = list(grant.amr)
    if grant.acr:
        claims["acr"] = grant.acr
    return claims


def custom_claims(
    user: TenantUser, roles_claim: str | None, app_metadata_claim: str | None
) -> dict[str, Any]:
    """Namespaced claims an Auth0 Action would add, then the user's extra claims."""
    claims: dict[str, Any] = {}
    if roles_claim:
        claims[roles_claim] = list(user.roles)
    if app_metadata_claim:
        claims[app_metadata_claim] = dict(user.app_metadata)
    return {**claims, **user.extra_claims}


def id_token_claims(
    grant: Grant,
    *,
    issuer: str,
    now: int,
    roles_claim: str | None = None,
    app_metadata_claim: str | None = None,
) -> dict[str, Any]:
    """The claims of an Auth0 ID token for ``grant``."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": grant.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "auth_time": grant.auth_time,
        "sid": grant.sid,
        **user_claims(grant.user, grant.scopes),
        **grant_organization_claims(grant),
        **authentication_claims(grant),
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    return {**claims, **custom_claims(grant.user, roles_claim, app_metadata_claim)}


def access_token_claims(
    grant: Grant,
    *,
    issuer: str,
    now: int,
    roles_claim: str | None = None,
    lifetime: int = ACCESS_TOKEN_LIFETIME,
) -> dict[str, Any]:
    """The claims of an Auth0 access token (JWT) for ``grant``."""
    userinfo = f"{issuer}userinfo"
    audience: str | list[str] = userinfo
    if grant.audience:
        # With openid, Auth0 lets the token call /userinfo too: aud is a list.
        audience = (
            [grant.audience, userinfo] if "openid" in grant.scopes else grant.audience
        )
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": grant.user.sub,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "scope": grant.scope,
        "azp": grant.client_id,
        **organization_claims(grant.organization),
    }
    if grant.audience:
        claims["permissions"] = list(grant.user.permissions)
        if roles_claim:
            claims[roles_claim] = list(grant.user.roles)
    return claims


def logout_token_claims(
    *, issuer: str, client_id: str, now: int, sub: Any, sid: Any
) -> dict[str, Any]:
    """An OIDC Back-Channel Logout 1.0 logout token (section 2.4); never a nonce."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": secrets.token_urlsafe(16),
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if sub is not None:
        claims["sub"] = sub
    if sid is not None:
        claims["sid"] = sid
    return claims


def skew(claims: dict[str, Any], seconds: int) -> dict[str, Any]:
    """Shift the time claims by ``seconds``, as a tenant with a wrong clock would."""
    shifted = dict(claims)
    for name in TIME_CLAIMS:
        if isinstance(shifted.get(name), int):
            shifted[name] += seconds
    return shifted
