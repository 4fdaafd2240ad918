"""``GET /authorize``: check the client and redirect URI, then log in or SSO."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import mfa, par
from .claims import Grant
from .pages import message_page
from .state import AuthorizeRequest, TenantSession
from .wire import Request, Response, html_response, redirect

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

SESSION_COOKIE = "auth0_tenant_session"
PKCE_METHODS = ("S256", "plain")


def authorize(tenant: Auth0Tenant, request: Request) -> Response:
    """Start a login; never redirect to a URL that is not an allowed callback."""
    params, refused = par.authorize_params(tenant, request.query)
    if refused is not None:
        return refused
    app = tenant.applications.get(params.get("client_id", ""))
    if app is None:
        return _error_page(
            "Unknown client", "The client_id is not an application of this tenant."
        )
    if params.get("redirect_uri") not in app.callback_urls:
        # Auth0 matches Allowed Callback URLs exactly and shows a page instead.
        return _error_page(
            "Callback URL mismatch",
            f"The provided redirect_uri is not in the list of allowed callback URLs "
            f"of {app.name}.",
        )
    auth = authorize_request(params)
    problem = _invalid_parameters(params) or tenant.organizations.authorize_problem(
        app, params
    )
    if problem:
        return redirect(
            auth.redirect_with(error=problem[0], error_description=problem[1])
        )
    transferred = _transferred_session(tenant, params)
    if transferred is not None:  # native-to-web SSO: the token's user
        return complete_login(tenant, auth, transferred, set_cookie=True)
    session = tenant.state.session(request.cookies.get(SESSION_COOKIE))
    if session and auth.prompt != "login" and _fresh_enough(tenant, session, auth):
        return complete_login(tenant, auth, session)  # single sign-on
    if auth.prompt == "none":
        return redirect(
            auth.redirect_with(
                error="login_required", error_description="Login required"
            )
        )
    return redirect(f"/u/login?state={tenant.state.begin(auth)}")


def _transferred_session(
    tenant: Auth0Tenant, params: dict[str, str]
) -> TenantSession | None:
    """A new tenant session for the user of a live ``session_transfer_token``
    (used up); None without one, or for an unknown, used or expired one:
    then the login page, as Auth0 shows it."""
    if "session_transfer_token" not in params:
        return None
    email = tenant.session_transfers.redeem(params["session_transfer_token"])
    if email is None:
        return None
    return tenant.state.start_session(email, tenant.now())


def authorize_request(params: dict[str, str]) -> AuthorizeRequest:
    """The parameters ``/authorize`` keeps for the rest of the login."""
    challenge = params.get("code_challenge") or None
    max_age = params.get("max_age", "")
    return AuthorizeRequest(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        scope=params.get("scope") or "openid",
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=challenge,
        # RFC 7636 section 4.3: "plain" when the method is left out.
        code_challenge_method=params.get("code_challenge_method", "plain")
        if challenge
        else None,
        audience=params.get("audience") or None,
        connection=params.get("connection") or None,
        organization=params.get("organization") or None,
        invitation=params.get("invitation") or None,
        max_age=int(max_age) if max_age.isdigit() else None,
        prompt=params.get("prompt") or None,
        screen_hint=params.get("screen_hint") or None,
        login_hint=params.get("login_hint") or None,
        acr_values=params.get("acr_values") or None,
    )


def _invalid_parameters(params: dict[str, str]) -> tuple[str, str] | None:
    response_type = params.get("response_type", "")
    if response_type != "code":
        return (
            "unsupported_response_type",
            f"Unsupported response type: {response_type}",
        )
    if params.get("code_challenge") and params.get(
        "code_challenge_method", "plain"
    ) not in (PKCE_METHODS):
        return "invalid_request", "Invalid code_challenge_method"
    if params.get("max_age", "").strip() and not params["max_age"].isdigit():
        return "invalid_request", "max_age must be a non-negative integer"
    return None


def _fresh_enough(
    tenant: Auth0Tenant, session: TenantSession, auth: AuthorizeRequest
) -> bool:
    # max_age (OIDC Core 3.1.2.1): an older authentication must log in again.
    return auth.max_age is None or tenant.now() - session.auth_time <= auth.max_age


def complete_login(
    tenant: Auth0Tenant,
    auth: AuthorizeRequest,
    session: TenantSession,
    *,
    set_cookie: bool = False,
) -> Response:
    """Issue a code for the session's user and send the browser back to the app
    (after the organization's admission and, when asked, the MFA step)."""
    user = tenant.user(session.email)
    headers = [("Set-Cookie", session_cookie(session.sid))] if set_cookie else []
    denied = tenant.organizations.admit(auth, user)
    if denied is not None:
        return redirect(
            auth.redirect_with(error="access_denied", error_description=denied),
            headers,
        )
    if mfa.needed(tenant, auth, session):
        return mfa.challenge(tenant, auth, session, headers)
    if session.mfa:
        tenant.mfa.passed(session.email)
    grant = Grant(
        user=user,
        client_id=auth.client_id,
        scope=auth.scope,
        sid=session.sid,
        auth_time=session.auth_time,
        nonce=auth.nonce,
        audience=auth.audience,
        issuer=tenant.issuer,  # the domain this login is served at
        **_grant_extras(tenant, auth, session),
    )
    tenant.state.add_client(session.sid, auth.client_id)
    code = tenant.state.issue_code(auth, grant)
    return redirect(auth.redirect_with(code=code), headers)


def _grant_extras(
    tenant: Auth0Tenant, auth: AuthorizeRequest, session: TenantSession
) -> dict[str, Any]:
    """The registered organization (id and name) and how the user authenticated."""
    extras: dict[str, Any] = {"organization": auth.organization}
    organization = tenant.organizations.find(auth.organization)
    if organization is not None:
        extras.update(organization=organization.id, organization_name=organization.name)
    if session.mfa:
        extras["amr"] = ("mfa",)
        if mfa.requested(auth):
            extras["acr"] = mfa.MFA_ACR
    return extras


def session_cookie(sid: str) -> str:
    """The tenant's session cookie; Lax is enough, every SSO hop is a top-level GET."""
    return f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"


def expired_session_cookie() -> str:
    """A Set-Cookie value that deletes the tenant's session cookie."""
    return f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"


def _error_page(title: str, description: str) -> Response:
    return html_response(message_page(title, description), 400)
