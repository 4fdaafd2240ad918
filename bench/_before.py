"""The revocation check as it was before: one indexed query per request.
Only bench/request.py's baseline."""

from __future__ import annotations

from social_auth0.models import Auth0Session
from social_auth0.sessions import SESSION_KEY


class QueryPerRequest:
    """``BackchannelLogoutMiddleware`` before the shared-cache state."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        login = request.session.get(SESSION_KEY)
        if isinstance(login, dict) and login.get("login_id"):
            Auth0Session.objects.filter(
                login_id=login["login_id"], revoked_at__isnull=False
            ).exists()
        return self.get_response(request)
