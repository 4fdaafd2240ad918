"""checks/logout.py: the logout endpoint, the back-channel middleware and its
session store.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import checks
from social_core.exceptions import AuthConfigurationError
from social_django.utils import load_backend, load_strategy

from social_auth0.backend import Auth0OAuth2
from social_auth0.checks import logout
from social_auth0.middleware import BackchannelLogoutMiddleware
from tests.support.check_settings import API_ONLY, configured, ids, without

REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379",
}


def backend_refuses(read) -> bool:
    """Whether the backend, reading the current settings, refuses them."""
    backend = load_backend(load_strategy(), "auth0", None)
    try:
        read(backend)
    except AuthConfigurationError:
        return True
    return False


class SiteBackchannelMiddleware(BackchannelLogoutMiddleware):
    """A site's own subclass of the back-channel logout middleware."""


class SiteSessionMiddleware(SessionMiddleware):
    """A site's own subclass of Django's session middleware."""


@pytest.mark.parametrize("endpoint", [*Auth0OAuth2.LOGOUT_ENDPOINTS, "v3", None])
def test_e012_and_the_backend_agree_on_logout_endpoints(endpoint):
    with configured(SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT=endpoint):
        reported = "social_auth0.E012" in ids(logout.check_logout())
        refused = backend_refuses(lambda backend: backend.logout_url("/"))
        assert reported == refused == (endpoint not in Auth0OAuth2.LOGOUT_ENDPOINTS)


def test_rejects_unknown_logout_endpoint():
    with configured(SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT="v3"):
        assert logout.check_logout() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT is 'v3'.",
                hint="Use 'oidc' (OIDC RP-initiated logout, the default) or 'v2' "
                "(Auth0's /v2/logout).",
                id="social_auth0.E012",
            )
        ]


def test_warns_without_backchannel_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "Backchannel")):
        assert logout.check_logout() == [
            checks.Warning(
                "'social_auth0.middleware.BackchannelLogoutMiddleware' is not in "
                "MIDDLEWARE.",
                hint="Without it, sessions that Auth0 ends by back-channel logout "
                "survive when they cannot be deleted server-side (signed "
                "cookies, or a session key changed since login). Add it after "
                "AuthenticationMiddleware.",
                id="social_auth0.W005",
            )
        ]


BACKCHANNEL_MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"


SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def moved_to_front(path: str) -> list[str]:
    return [path, *(m for m in settings.MIDDLEWARE if m != path)]


def replaced(path: str, by: str) -> list[str]:
    return [by if m == path else m for m in settings.MIDDLEWARE]


SESSIONS_FIRST_ERROR = checks.Error(
    f"{BACKCHANNEL_MIDDLEWARE!r} needs {SESSION_MIDDLEWARE!r} before it in MIDDLEWARE.",
    hint="Without request.session it cannot end a session: every request would "
    "fail with ImproperlyConfigured. Put it after SessionMiddleware and "
    "AuthenticationMiddleware.",
    id="social_auth0.E016",
)


def test_accepts_a_subclass_of_the_backchannel_middleware():
    subclass = f"{__name__}.SiteBackchannelMiddleware"
    with configured(MIDDLEWARE=replaced(BACKCHANNEL_MIDDLEWARE, subclass)):
        assert logout.check_logout() == []


def test_accepts_a_subclass_of_the_session_middleware_before_it():
    subclass = f"{__name__}.SiteSessionMiddleware"
    with configured(MIDDLEWARE=replaced(SESSION_MIDDLEWARE, subclass)):
        assert logout.check_logout() == []


def test_rejects_backchannel_middleware_before_the_session_middleware():
    with configured(MIDDLEWARE=moved_to_front(BACKCHANNEL_MIDDLEWARE)):
        assert logout.check_logout() == [SESSIONS_FIRST_ERROR]


def test_rejects_backchannel_middleware_without_a_session_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "sessions")):
        assert logout.check_logout() == [SESSIONS_FIRST_ERROR]


@pytest.mark.parametrize(
    "middleware",
    [
        pytest.param(lambda: without(settings.MIDDLEWARE, "auth."), id="missing"),
        pytest.param(
            lambda: [
                SESSION_MIDDLEWARE,
                BACKCHANNEL_MIDDLEWARE,
                *without(settings.MIDDLEWARE, "sessions")[:-1],
            ],
            id="after",
        ),
    ],
)
def test_warns_about_backchannel_middleware_before_authentication(middleware):
    with configured(MIDDLEWARE=middleware()):
        assert logout.check_logout() == [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {AUTH_MIDDLEWARE!r} before it "
                "in MIDDLEWARE.",
                hint="It then logs out sessions before request.user is set, so "
                "user_logged_out receivers are not told who logged out. Move it "
                "after AuthenticationMiddleware.",
                id="social_auth0.W007",
            )
        ]


def test_warns_about_a_process_local_session_store():
    with configured(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        assert logout.check_logout() == [
            checks.Warning(
                "SESSION_ENGINE keeps sessions in a per-process cache.",
                hint="Back-channel logout runs in one worker process and cannot "
                "delete sessions held by the others. Use the db, cached_db or "
                "file engine, or a shared SESSION_CACHE_ALIAS.",
                id="social_auth0.W006",
            )
        ]


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.file",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_accepts_session_engines_reachable_from_any_process(engine):
    with configured(SESSION_ENGINE=engine):
        assert logout.check_logout() == []


def test_accepts_a_cache_session_store_on_a_shared_cache():
    with configured(
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        CACHES={"default": REDIS_CACHE},
    ):
        assert logout.check_logout() == []


# -- a site that only protects its API (no Auth0 login, no Auth0 session) -----------


def test_an_api_only_site_needs_no_backchannel_logout():
    with configured(
        **API_ONLY,
        MIDDLEWARE=without(settings.MIDDLEWARE, "Backchannel"),
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
    ):
        assert logout.check_logout() == []


def test_an_api_only_site_listing_the_middleware_wrongly_is_still_told():
    with configured(**API_ONLY, MIDDLEWARE=moved_to_front(BACKCHANNEL_MIDDLEWARE)):
        assert logout.check_logout() == [SESSIONS_FIRST_ERROR]
