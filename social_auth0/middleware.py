"""Ends sessions that Auth0 logged out through back-channel logout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from .sessions import SESSION_KEY, login_is_active


class BackchannelLogoutMiddleware:
    """Log out a request whose Auth0 login is no longer active.

    Server-side sessions are deleted when the logout token arrives; signed-
    cookie sessions cannot be, so they end here, at their next request. The
    check is one read of the shared cache (``SHARED_CACHE``), no database query;
    the database answers when the cache has no entry or is down. A login id
    without an active record (revoked, or its record deleted) is logged out.
    Place it after ``SessionMiddleware`` and ``AuthenticationMiddleware``
    (system checks E016, W007).

    Sync and async capable: under ASGI no thread is spent on a request
    without a session cookie; one with a cookie has its check (the session
    and the cache are sync I/O) in a worker thread, logout included.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        if self._has_session(request):
            self._end_inactive_login(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if self._has_session(request):
            await sync_to_async(self._end_inactive_login)(request)
        response: Awaitable[HttpResponse] = self.get_response(request)
        return await response

    @staticmethod
    def _has_session(request: HttpRequest) -> bool:
        """Whether the request names a session (without loading it)."""
        # As AuthenticationMiddleware does; hasattr does not load the session.
        if not hasattr(request, "session"):
            raise ImproperlyConfigured(
                "BackchannelLogoutMiddleware requires session middleware. Edit "
                "your MIDDLEWARE setting to insert "
                "'django.contrib.sessions.middleware.SessionMiddleware' before "
                "'social_auth0.middleware.BackchannelLogoutMiddleware'."
            )
        # No session cookie: don't load one (nor add Vary: Cookie).
        return settings.SESSION_COOKIE_NAME in request.COOKIES

    @staticmethod
    def _end_inactive_login(request: HttpRequest) -> None:
        login = request.session.get(SESSION_KEY)
        login_id = login.get("login_id") if isinstance(login, dict) else None
        if isinstance(login_id, str) and not login_is_active(request.session, login_id):
            # Nothing left to settle: spare forget_login its query.
            del request.session[SESSION_KEY]
            logout(request)


__all__ = ["BackchannelLogoutMiddleware"]
