"""BackchannelLogoutMiddleware outside a login: without session middleware it
fails as Django's AuthenticationMiddleware does, and without a session cookie
it loads no session. (Logging out revoked sessions: flows/test_logout.py.)"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from social_auth0.middleware import BackchannelLogoutMiddleware

BACKCHANNEL = "social_auth0.middleware.BackchannelLogoutMiddleware"
NEEDS_SESSIONS = (
    "BackchannelLogoutMiddleware requires session middleware. Edit your MIDDLEWARE "
    "setting to insert 'django.contrib.sessions.middleware.SessionMiddleware' "
    f"before '{BACKCHANNEL}'."
)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@pytest.mark.parametrize("cookies", [{}, {settings.SESSION_COOKIE_NAME: "k" * 32}])
def test_without_session_middleware_is_improperly_configured(cookies):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    with pytest.raises(ImproperlyConfigured) as raised:
        BackchannelLogoutMiddleware(ok)(request)
    assert str(raised.value) == NEEDS_SESSIONS


def test_a_site_without_session_middleware_fails_on_its_first_request(settings):
    settings.MIDDLEWARE = [BACKCHANNEL]
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "k" * 32  # as a returning visitor
    with pytest.raises(ImproperlyConfigured, match="requires session middleware"):
        client.get("/done/")


def test_a_request_without_a_session_cookie_loads_no_session():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    assert BackchannelLogoutMiddleware(ok)(request).content == b"ok"
    assert request.session.accessed is False
