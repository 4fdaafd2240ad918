"""APIs (resource servers) of the tenant: their access tokens, and the
``client_credentials`` grant that gives machine-to-machine clients one."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .claims import ACCESS_TOKEN_LIFETIME
from .users import Application
from .wire import Response, json_response, oauth_error

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

PROFILES = ("auth0", "rfc9068")


@dataclass
class Api:
    """An API registered in the tenant, as under Applications > APIs.

    ``add_permissions``: RBAC's "Add Permissions in the Access Token" (a
    ``permissions`` list in every token). ``profile``: Auth0's default token
    profile, or ``"rfc9068"`` (``client_id`` for ``azp``, a ``jti``, header
    ``typ: at+jwt``). ``dpop_required``: the API's ``proof_of_possession``
    ``{mechanism: "dpop", required: true}``: a token request for it without
    a DPoP proof is refused.
    """

    identifier: str
    scopes: tuple[str, ...] = ()
    add_permissions: bool = False
    profile: str = "auth0"
    dpop_required: bool = False

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}")
        self.scopes = tuple(self.scopes)


def api_token_claims(
    tenant: Auth0Tenant,
    api: Api,
    *,
    sub: str,
    client_id: str,
    scopes: Iterable[str],
    permissions: Iterable[str] | None,
    openid: bool = False,
    machine: bool = False,
    lifetime: int = ACCESS_TOKEN_LIFETIME,
) -> dict[str, Any]:
    """The claims of an access token for ``api``, issued now."""
    now = tenant.now()
    # With openid, Auth0 adds /userinfo as a second audience.
    audience: str | list[str] = (
        [api.identifier, f"{tenant.issuer}userinfo"] if openid else api.identifier
    )
    scope = " ".join(dict.fromkeys(["openid", *scopes] if openid else scopes))
    claims: dict[str, Any] = {
        "iss": tenant.issuer,
        "sub": sub,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "scope": scope,
    }
    if machine:
        claims["gty"] = "client-credentials"
    if api.profile == "rfc9068":
        claims.update(client_id=client_id, jti=secrets.token_urlsafe(16))
    else:
        claims["azp"] = client_id
    if api.add_permissions or permissions is not None:
        claims["permissions"] = list(scopes if permissions is None else permissions)
    return claims


def token_header(api: Api) -> dict[str, Any]:
    """``typ: at+jwt`` for the RFC 9068 profile; Auth0's ``JWT`` otherwise."""
    return {"typ": "at+jwt"} if api.profile == "rfc9068" else {}


def client_credentials(
    tenant: Auth0Tenant, app: Application, form: dict[str, str], jkt: str | None
) -> Response:
    """``grant_type=client_credentials``: a token for ``audience``, Auth0's errors."""
    audience = form.get("audience", "")
    if not audience:
        return oauth_error(
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has "
            "been configured",
        )
    api = tenant.apis.get(audience)
    if api is None:
        return oauth_error(403, "access_denied", f"Service not found: {audience}")
    if jkt is None and proof_required(tenant, app, audience):
        return proof_missing()
    granted = app.api_grants.get(audience)
    if granted is None:
        return oauth_error(
            403,
            "access_denied",
            f'Client is not authorized to access "{audience}". You need to create '
            'a "client-grant" associated to this API.',
        )
    requested = form.get("scope", "").split() or list(granted)
    missing = [scope for scope in requested if scope not in granted]
    if missing:
        return oauth_error(
            403,
            "access_denied",
            f"Client has not been granted scopes: {', '.join(missing)}",
        )
    bound = {} if jkt is None else {"cnf": {"jkt": jkt}}
    token = tenant.machine_token(
        app.client_id, audience=audience, scopes=requested, **bound
    )
    return json_response(
        {
            "access_token": token,
            "scope": " ".join(requested),
            "expires_in": tenant.access_token_lifetime(app.client_id),
            "token_type": "Bearer" if jkt is None else "DPoP",
        }
    )


def proof_required(tenant: Auth0Tenant, app: Application, audience: str | None) -> bool:
    """Whether a token request of ``app`` for ``audience`` needs a DPoP proof."""
    api = tenant.apis.get(audience or "")
    return app.require_proof_of_possession or (api is not None and api.dpop_required)


def proof_missing() -> Response:
    """The answer to a token request without the DPoP proof it needs."""
    return oauth_error(400, "invalid_request", "DPoP proof is required")
