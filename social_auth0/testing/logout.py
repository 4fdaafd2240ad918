"""``/v2/logout`` and ``/oidc/logout``: end the tenant session, go to an allowed URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .authorize import SESSION_COOKIE, expired_session_cookie
from .pages import message_page
from .tokens import decode_own_token
from .wire import Request, Response, add_query, html_response, redirect

if TYPE_CHECKING:
    from .tenant import Auth0Tenant


def v2_logout(tenant: Auth0Tenant, request: Request) -> Response:
    """Auth0's own logout: ``client_id`` and ``returnTo``, no hints."""
    client_id = request.query.get("client_id")
    return_to = request.query.get("returnTo")
    refusal = _check_return_url(tenant, client_id, return_to, "returnTo")
    if refusal is not None:
        return refusal
    _end_sessions(tenant, request.cookies.get(SESSION_COOKIE))
    return _leave(return_to)


def oidc_logout(tenant: Auth0Tenant, request: Request) -> Response:
    """OIDC RP-initiated logout: hints, ``post_logout_redirect_uri`` and ``state``."""
    params = request.params
    hint_claims: dict[str, Any] = {}
    if params.get("id_token_hint"):
        hint_claims = decode_own_token(tenant, params["id_token_hint"]) or {}
        if not hint_claims:
            return _error_page(
                "Invalid id_token_hint", "The id_token_hint was not issued here."
            )
    client_id = params.get("client_id") or hint_claims.get("aud")
    if hint_claims and client_id != hint_claims["aud"]:
        return _error_page(
            "Invalid request", "client_id does not match the id_token_hint."
        )
    target = params.get("post_logout_redirect_uri")
    refusal = _check_return_url(tenant, client_id, target, "post_logout_redirect_uri")
    if refusal is not None:
        return refusal
    hinted_sid = params.get("logout_hint") or hint_claims.get("sid")
    _end_sessions(tenant, request.cookies.get(SESSION_COOKIE), hinted_sid)
    return _leave(add_query(target, {"state": params.get("state")}) if target else None)


def _check_return_url(
    tenant: Auth0Tenant, client_id: str | None, url: str | None, parameter: str
) -> Response | None:
    if client_id is not None and client_id not in tenant.applications:
        return _error_page(
            "Invalid request", "The client_id is not an application of this tenant."
        )
    if url is None:
        return None
    # Without a client_id Auth0 checks the tenant's list; here: any application's.
    apps = (
        [tenant.applications[client_id]] if client_id else tenant.applications.values()
    )
    if any(url in app.logout_urls for app in apps):
        return None
    return _error_page(
        "Invalid logout URL",
        f'The "{parameter}" parameter is not defined as a valid URL in '
        '"Allowed Logout URLs".',
    )


def _end_sessions(tenant: Auth0Tenant, *sids: str | None) -> None:
    for sid in {sid for sid in sids if sid}:
        tenant.end_session(sid)


def _leave(target: str | None) -> Response:
    cookie = [("Set-Cookie", expired_session_cookie())]
    if target is None:
        page = message_page("Logged out", "You have been logged out of the tenant.")
        response = html_response(page)
        response.headers.extend(cookie)
        return response
    return redirect(target, cookie)


def _error_page(title: str, description: str) -> Response:
    return html_response(message_page(title, description), 400)
