"""``/u/login``: the Universal Login page, its form and its cancel link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .authorize import SESSION_COOKIE, complete_login
from .pages import login_page, message_page
from .state import AuthorizeRequest
from .users import TenantUser
from .wire import Request, Response, html_response, redirect

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

WRONG_CREDENTIALS = "Wrong email or password."


class LoginRefused(Exception):
    """The form was filled in wrong; the message is shown on the page."""


def show(tenant: Auth0Tenant, request: Request) -> Response:
    """Render the login (or sign-up) page for a transaction."""
    auth = _transaction(tenant, request)
    if auth is None:
        return _unknown_transaction()
    return _page(tenant, request, auth)


def submit(tenant: Auth0Tenant, request: Request) -> Response:
    """Check the form, open a tenant session and redirect back with a code."""
    auth = _transaction(tenant, request)
    if auth is None:
        return _unknown_transaction()
    try:
        user = _authenticate(tenant, auth, request.form)
    except LoginRefused as refused:
        return _page(tenant, request, auth, error=str(refused), status=400)
    session = tenant.state.start_session(user.email, tenant.now())
    previous = request.cookies.get(SESSION_COOKIE)
    if previous and previous != session.sid:
        tenant.state.end_session(previous)  # a new login replaces the old session
    return complete_login(tenant, auth, session, set_cookie=True)


def cancel(tenant: Auth0Tenant, request: Request) -> Response:
    """The user gave up: back to the app with ``error=access_denied``."""
    auth = _transaction(tenant, request)
    if auth is None:
        return _unknown_transaction()
    return redirect(
        auth.redirect_with(error="access_denied", error_description="User cancelled")
    )


def _authenticate(
    tenant: Auth0Tenant, auth: AuthorizeRequest, form: dict[str, str]
) -> TenantUser:
    form = _with_invitee(tenant, auth, form)
    signing_up = auth.screen_hint == "signup" or (
        auth.invitation is not None
        and form.get("email", "").strip().lower() not in tenant.users
    )
    if signing_up and not form.get("login_as"):
        return _sign_up(tenant, form)
    email = form.get("login_as") or form.get("email", "")
    user = tenant.users.get(email.strip().lower())
    if user is None:
        raise LoginRefused(WRONG_CREDENTIALS)
    # The quick-pick buttons log in without a password: this is a test tenant.
    if not form.get("login_as") and (
        user.password is None or form.get("password") != user.password
    ):
        raise LoginRefused(WRONG_CREDENTIALS)
    if auth.connection and user.connection != auth.connection:
        raise LoginRefused(
            f"This user does not belong to the {auth.connection} connection."
        )
    return user


def _with_invitee(
    tenant: Auth0Tenant, auth: AuthorizeRequest, form: dict[str, str]
) -> dict[str, str]:
    """An invitation's page has the invitee's email filled in."""
    invitee = tenant.organizations.invitee(auth)
    if invitee and not form.get("login_as") and not form.get("email", "").strip():
        return {**form, "email": invitee}
    return form


def wants_signup(tenant: Auth0Tenant, auth: AuthorizeRequest) -> bool:
    """``screen_hint=signup``, or an invitation for someone not yet a user."""
    if auth.screen_hint == "signup":
        return True
    invitee = tenant.organizations.invitee(auth)
    return invitee is not None and invitee not in tenant.users


def _sign_up(tenant: Auth0Tenant, form: dict[str, str]) -> TenantUser:
    email = form.get("email", "").strip().lower()
    if "@" not in email or not form.get("password"):
        raise LoginRefused("Enter an email address and a password.")
    if email in tenant.users:
        raise LoginRefused("The user already exists.")
    # Auth0 database sign-ups start unverified.
    return tenant.add_user(TenantUser(email, form["password"], email_verified=False))


def _transaction(tenant: Auth0Tenant, request: Request) -> AuthorizeRequest | None:
    transaction_id = request.query.get("state") or request.form.get("state", "")
    return tenant.state.transaction(transaction_id)


def _page(
    tenant: Auth0Tenant,
    request: Request,
    auth: AuthorizeRequest,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    users = [
        user
        for user in tenant.users.values()
        if auth.connection is None or user.connection == auth.connection
    ]
    page = login_page(
        transaction_id=request.query.get("state") or request.form.get("state", ""),
        app_name=tenant.applications[auth.client_id].name,
        users=users,
        error=error,
        login_hint=request.form.get("email")
        or auth.login_hint
        or tenant.organizations.invitee(auth)
        or "",
        signup=wants_signup(tenant, auth),
    )
    return html_response(page, status)


def _unknown_transaction() -> Response:
    return html_response(
        message_page(
            "Invalid state", "This login page has expired. Start again from the app."
        ),
        400,
    )
