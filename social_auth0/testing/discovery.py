"""``/.well-known/openid-configuration`` and ``/.well-known/jwks.json``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

CLAIMS_SUPPORTED = [
    "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
    "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
    "picture", "sub",
]  # fmt: skip


def openid_configuration(tenant: Auth0Tenant, request: Request) -> Response:
    """The discovery document, with the values Auth0 publishes."""
    base = tenant.base_url
    document: dict[str, Any] = {
        # A misconfigured custom domain: the tenant names another issuer.
        "issuer": tenant.misbehave.discovery_issuer or tenant.issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "jwks_uri": tenant.jwks_url,
        "end_session_endpoint": f"{base}/oidc/logout",
        "scopes_supported": ["openid", "profile", "offline_access", "email"],
        # Only the code flow is emulated, so only it is advertised.
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "PS256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "code_challenge_methods_supported": ["S256", "plain"],
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
    if tenant.pushed_authorization_requests:  # RFC 9126 section 5
        document["pushed_authorization_request_endpoint"] = f"{base}/oauth/par"
    return json_response(document)


def jwks(tenant: Auth0Tenant, request: Request) -> Response:
    """The published signing keys, unless a misbehaviour switch says otherwise."""
    misbehave = tenant.misbehave
    if misbehave.jwks_down:
        return Response(503, b"Service Unavailable")
    if misbehave.jwks_garbage:
        return Response(200, b"<html>not a key set</html>", "text/html; charset=utf-8")
    if misbehave.jwks_body is not None:
        return Response(200, misbehave.jwks_body, "application/json; charset=utf-8")
    # Auth0 lets clients cache the key set (its CDN sends a max-age).
    return Response(
        200,
        json.dumps(tenant.jwks).encode(),
        "application/json; charset=utf-8",
        [("Cache-Control", "public, max-age=15")],
    )
