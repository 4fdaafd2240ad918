"""``POST /oauth/token`` (code, refresh and client-credentials grants) and
``GET /userinfo``."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .apis import client_credentials, proof_missing, proof_required
from .claims import Grant, custom_claims, user_claims
from .clientauth import ClientAuthRefused, authenticate, client_refusal
from .dpop import resource_proof_error, token_request_binding
from .keys import b64url
from .state import AuthorizeRequest
from .tokens import token_response
from .users import Application
from .wire import Request, Response, json_response, oauth_error

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

# What Auth0 answers for each status a misbehaving tenant is told to return.
MISBEHAVING_ERRORS = {
    400: ("invalid_request", "Invalid request"),
    401: ("access_denied", "Unauthorized"),
    403: ("invalid_grant", "Invalid authorization code"),
    429: ("too_many_requests", "Global limit has been reached"),
    500: ("server_error", "Internal server error"),
    503: ("temporarily_unavailable", "Service temporarily unavailable"),
}


def token(tenant: Auth0Tenant, request: Request) -> Response:
    """Exchange a code or a refresh token; errors in Auth0's shape."""
    misbehaviour = _misbehaviour(tenant)
    if misbehaviour is not None:
        return misbehaviour
    app = _client(tenant, request)
    if isinstance(app, Response):
        return app
    grant_type = request.form.get("grant_type", "")
    handler = GRANT_TYPES.get(grant_type)
    if handler is None:
        return oauth_error(
            403, "unsupported_grant_type", f"Unsupported grant type: {grant_type}"
        )
    # A DPoP proof binds the access token to its key (RFC 9449 section 5).
    jkt, refused = token_request_binding(tenant, request)
    if refused is not None:
        return refused
    return handler(tenant, app, request.form, jkt)


def _misbehaviour(tenant: Auth0Tenant) -> Response | None:
    switches = tenant.misbehave
    if switches.token_delay:
        time.sleep(switches.token_delay)
    if switches.token_status is not None:
        error, description = MISBEHAVING_ERRORS.get(
            switches.token_status, ("server_error", "Internal server error")
        )
        return oauth_error(switches.token_status, error, description)
    if switches.token_body is not None:
        return Response(200, switches.token_body, "application/json; charset=utf-8")
    return None


def _client(tenant: Auth0Tenant, request: Request) -> Application | Response:
    """The application that authenticated the request (a secret, basic or
    post, or a private_key_jwt assertion), or Auth0's 401."""
    try:
        return authenticate(tenant, request)
    except ClientAuthRefused as refusal:
        return client_refusal(refusal)


def _authorization_code(
    tenant: Auth0Tenant, app: Application, form: dict[str, str], jkt: str | None
) -> Response:
    code = form.get("code", "")
    if not code:
        return oauth_error(400, "invalid_request", "Missing required parameter: code")
    found = tenant.state.live_code(code)
    if found is None or found.request.client_id != app.client_id:
        return oauth_error(403, "invalid_grant", "Invalid authorization code")
    if form.get("redirect_uri") != found.request.redirect_uri:
        return oauth_error(403, "invalid_grant", "Invalid redirect_uri")
    if not _pkce_verified(found.request, form.get("code_verifier")):
        return oauth_error(403, "invalid_grant", "Failed to verify code verifier")
    if jkt is None and proof_required(tenant, app, found.grant.audience):
        return proof_missing()
    if not tenant.state.use_code(code):  # lost a race with a parallel exchange
        return oauth_error(403, "invalid_grant", "Invalid authorization code")
    grant = dataclasses.replace(found.grant, jkt=jkt)
    return json_response(token_response(tenant, grant, refresh=True, jkt=jkt))


def _pkce_verified(auth: AuthorizeRequest, verifier: str | None) -> bool:
    if auth.code_challenge is None:
        return True
    if not verifier:
        return False
    if auth.code_challenge_method == "S256":
        verifier = b64url(hashlib.sha256(verifier.encode()).digest())
    return hmac.compare_digest(verifier, auth.code_challenge)


def _refresh_token(
    tenant: Auth0Tenant, app: Application, form: dict[str, str], jkt: str | None
) -> Response:
    """The refresh grant, with Auth0's rotation and automatic reuse detection."""
    token = form.get("refresh_token", "")
    if not token:
        return oauth_error(
            400, "invalid_request", "Missing required parameter: refresh_token"
        )
    grant = tenant.state.refresh_grant(token)
    if grant is None or grant.client_id != app.client_id:
        return oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
    if grant.jkt is not None and jkt != grant.jkt:
        # Auth0: a DPoP-bound refresh token needs a proof of the same key.
        return oauth_error(
            400,
            "invalid_dpop_proof",
            "DPoP proof key does not match the refresh token's binding",
        )
    if jkt is None and proof_required(tenant, app, grant.audience):
        return proof_missing()
    if tenant.mfa.blocks_refresh(grant.audience, grant.user.email):
        return mfa_required(tenant)
    spent = tenant.state.spend_refresh_token(
        token,
        rotation=app.refresh_token_rotation,
        reuse_interval=app.refresh_token_reuse_interval,
    )
    if spent is None:  # a reused token: its whole family is now revoked
        return oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.")
    grant, family = spent
    # Like Auth0, a refresh answers with the issuer of the domain it reached
    # (any of the tenant's), whichever domain the login used.
    grant = dataclasses.replace(grant, jkt=jkt, issuer=tenant.issuer)
    body = token_response(
        tenant, exchanged_grant(tenant, app, grant, form), refresh=False, jkt=jkt
    )
    if app.refresh_token_rotation:  # the family's token, for the login's grant
        body["refresh_token"] = tenant.state.issue_refresh_token(grant, family)
    return json_response(body)


# Scopes of the login that every token of its refresh token keeps.
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


def exchanged_grant(
    tenant: Auth0Tenant, app: Application, grant: Grant, form: dict[str, str]
) -> Grant:
    """What a refresh answers for: the login's grant (``scope`` narrows it),
    or, with another ``audience`` a refresh-token policy of ``app`` covers
    (MRRT), that API with the policy's scopes (``scope`` narrows them; a
    scope the policy lacks is left out). Like Auth0, a request no policy
    covers, or for an API the tenant lacks, is answered for the login's
    audience, without an error."""
    audience = form.get("audience") or grant.audience
    requested = form.get("scope", "").split()
    policy = app.refresh_token_policy(audience or "")
    if audience == grant.audience or policy is None or audience not in tenant.apis:
        kept = [s for s in requested if s in grant.scopes]
        return dataclasses.replace(grant, scope=" ".join(kept)) if kept else grant
    oidc = [s for s in grant.scope.split() if s in OIDC_SCOPES]
    api_scopes = [s for s in requested or policy.scope if s in policy.scope]
    scope = " ".join(dict.fromkeys([*oidc, *api_scopes]))
    return dataclasses.replace(grant, audience=audience, scope=scope)


GRANT_TYPES: dict[
    str, Callable[[Auth0Tenant, Application, dict[str, str], str | None], Response]
] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "client_credentials": client_credentials,
}


def mfa_required(tenant: Auth0Tenant) -> Response:
    """An Action demanding MFA for the API: 403 with an ``mfa_token`` for
    Auth0's MFA API (the refresh token is not spent)."""
    mfa_token = tenant.mfa.last_mfa_token = secrets.token_urlsafe(32)
    return json_response(
        {
            "error": "mfa_required",
            "error_description": "Multifactor authentication required",
            "mfa_token": mfa_token,
        },
        403,
    )


def userinfo(tenant: Auth0Tenant, request: Request) -> Response:
    """The profile of the access token's user, limited to its scopes.

    A DPoP-bound token is taken only as ``Authorization: DPoP`` with a valid
    proof of its key (``htm``, ``htu``, ``ath``)."""
    scheme, _, access_token = request.header("Authorization").partition(" ")
    scheme = scheme.lower()
    grant = (
        tenant.state.access_grant(access_token)
        if scheme in ("bearer", "dpop")
        else None
    )
    if grant is None or "openid" not in grant.scopes:
        return _unauthorized('Bearer realm="Auth0"')
    if grant.jkt is not None or scheme == "dpop":
        refused = _userinfo_proof_error(tenant, request, access_token, grant, scheme)
        if refused is not None:
            return _unauthorized(f'DPoP algs="ES256", error="{refused}"')
    claims = user_claims(grant.user, grant.scopes)
    claims.update(
        custom_claims(grant.user, tenant.roles_claim, tenant.app_metadata_claim)
    )
    return json_response(claims)


def _userinfo_proof_error(
    tenant: Auth0Tenant, request: Request, token: str, grant: Grant, scheme: str
) -> str | None:
    """The RFC 9449 error code for a DPoP token's request, or None."""
    if grant.jkt is None or scheme != "dpop":
        return "invalid_token"  # a bearer token as DPoP, or the reverse
    if resource_proof_error(tenant, request, token, grant.jkt) is not None:
        return "invalid_dpop_proof"
    return None


def _unauthorized(challenge: str) -> Response:
    return Response(401, b"Unauthorized", headers=[("WWW-Authenticate", challenge)])


def revoke(tenant: Auth0Tenant, request: Request) -> Response:
    """``POST /oauth/revoke``: revoke a refresh token and its family (RFC 7009)."""
    app = _client(tenant, request)
    if isinstance(app, Response):
        return app
    token = request.form.get("token", "")
    if not token:
        return oauth_error(400, "invalid_request", "Missing required parameter: token")
    grant = tenant.state.refresh_grant(token)
    if grant is not None and grant.client_id == app.client_id:
        tenant.state.revoke_refresh_token(token)
    # Unknown tokens get 200 too (RFC 7009 section 2.2).
    return Response(200, b"")
