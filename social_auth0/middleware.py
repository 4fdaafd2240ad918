"""Ends sessions that Auth0 logged out through back-channel logout."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from .sessions import SESSION_KEY, is_revoked


class BackchannelLogoutMiddleware:
    """Log out a request whose Auth0 login was revoked by back-channel logout.

    Server-side sessions are deleted when the logout token arrives; signed-
    cookie sessions cannot be, so they end here, at their next request. One
    indexed query per request of a user who logged in through Auth0. Place it
    after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session: don't load one (nor add Vary: Cookie).
            return self.get_response(request)
        login = request.session.get(SESSION_KEY)
        if isinstance(login, dict) and login.get("login_id"):
            if is_revoked(login["login_id"]):
                logout(request)
        return self.get_response(request)
