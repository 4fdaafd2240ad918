"""checks/installation.py: AUTHENTICATION_BACKENDS, INSTALLED_APPS, social_django's
error handling.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import checks
from django.test import modify_settings
from social_core.backends.auth0 import Auth0OAuth2 as CoreAuth0OAuth2
from social_django.middleware import SocialAuthExceptionMiddleware

from social_auth0.backend import Auth0OAuth2
from social_auth0.checks import installation
from tests.support.check_settings import (
    ABSENT,
    API_ONLY,
    EXCEPTION_MIDDLEWARE,
    MODEL_BACKEND,
    OUR_BACKEND,
    configured,
    ids,
    without,
)

CORE_BACKEND = "social_core.backends.auth0.Auth0OAuth2"


MIDDLEWARE_WARNING = checks.Warning(
    f"{EXCEPTION_MIDDLEWARE!r} is not in MIDDLEWARE.",
    hint="Without it a rejected login is a server error; add it after "
    "MessageMiddleware.",
    id="social_auth0.W001",
)


def raise_exceptions_warning(name: str) -> checks.Warning:
    return checks.Warning(
        f"{name} is on (it defaults to DEBUG): rejected logins raise instead of "
        "redirecting with a message.",
        hint=f"Set {name} = False.",
        id="social_auth0.W003",
    )


class SiteAuth0(Auth0OAuth2):
    """A site's own subclass of our backend."""


class RenamedAuth0(Auth0OAuth2):
    """A subclass under a name of its own (e.g. a second tenant)."""

    name = "auth0-eu"


class CoreAuth0EU(CoreAuth0OAuth2):
    """social-core's backend under the renamed subclass's name."""

    name = "auth0-eu"


class SiteExceptionMiddleware(SocialAuthExceptionMiddleware):
    """A site's own subclass of social_django's exception middleware."""


def test_rejects_settings_without_our_backend():
    with configured(AUTHENTICATION_BACKENDS=[MODEL_BACKEND]):
        assert installation.check_backends() == [
            checks.Error(
                f"{OUR_BACKEND!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {OUR_BACKEND!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]


@pytest.mark.parametrize(
    "backends",
    [[CORE_BACKEND, OUR_BACKEND], [OUR_BACKEND, CORE_BACKEND], [CORE_BACKEND]],
)
def test_rejects_social_core_auth0_backend_listed(backends):
    with configured(AUTHENTICATION_BACKENDS=backends):
        assert installation.check_backends() == [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {CORE_BACKEND!r}, also named "
                "'auth0'; one shadows the other.",
                hint=f"Replace it with {OUR_BACKEND!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]


def test_accepts_our_backend_or_a_subclass():
    assert installation.check_backends() == []
    subclass = f"{__name__}.SiteAuth0"
    with configured(AUTHENTICATION_BACKENDS=[subclass, MODEL_BACKEND]):
        assert installation.check_backends() == []


def test_accepts_a_subclass_of_our_backend_under_another_name():
    renamed = f"{__name__}.RenamedAuth0"
    with configured(AUTHENTICATION_BACKENDS=[renamed, MODEL_BACKEND]):
        assert installation.check_backends() == []
    # social-core's backend keeps its own name then: nothing is shadowed.
    with configured(AUTHENTICATION_BACKENDS=[renamed, CORE_BACKEND]):
        assert installation.check_backends() == []


def test_rejects_another_backend_under_the_name_of_a_renamed_subclass():
    renamed, other = f"{__name__}.RenamedAuth0", f"{__name__}.CoreAuth0EU"
    with configured(AUTHENTICATION_BACKENDS=[renamed, other]):
        assert installation.check_backends() == [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {other!r}, also named 'auth0-eu'; "
                "one shadows the other.",
                hint=f"Replace it with {OUR_BACKEND!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]


def test_ignores_an_unimportable_backend():
    # Django's own checks and login report it; ours must not crash on it.
    with configured(AUTHENTICATION_BACKENDS=["no.such.Backend", OUR_BACKEND]):
        assert installation.check_backends() == []


def test_rejects_settings_without_social_django():
    with modify_settings(INSTALLED_APPS={"remove": ["social_django"]}):
        assert installation.check_installed_apps() == [
            checks.Error(
                "'social_django' is not in INSTALLED_APPS.",
                hint="Add 'social_django' to INSTALLED_APPS and run migrate.",
                id="social_auth0.E009",
            )
        ]
    assert installation.check_installed_apps() == []


def test_warns_without_exception_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "SocialAuthException")):
        assert installation.check_error_handling() == [MIDDLEWARE_WARNING]


def test_accepts_a_subclass_of_the_exception_middleware():
    middleware = [
        f"{__name__}.SiteExceptionMiddleware" if "SocialAuthException" in path else path
        for path in settings.MIDDLEWARE
    ]
    with configured(MIDDLEWARE=middleware):
        assert installation.check_error_handling() == []


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (ABSENT, "SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL"),
        (None, "SOCIAL_AUTH_LOGIN_ERROR_URL"),
        ("", "SOCIAL_AUTH_LOGIN_ERROR_URL"),
    ],
)
def test_warns_without_login_error_url(value, name):
    with configured(SOCIAL_AUTH_LOGIN_ERROR_URL=value):
        assert installation.check_error_handling() == [
            checks.Warning(
                f"{name} is not set.",
                hint=f"Set {name} to a page that shows the login error message.",
                id="social_auth0.W002",
            )
        ]


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL", "SOCIAL_AUTH_LOGIN_ERROR_URL"]
)
def test_accepts_login_error_url_under_either_name(name):
    with configured(**{"SOCIAL_AUTH_LOGIN_ERROR_URL": ABSENT, name: "/oops/"}):
        assert installation.check_error_handling() == []


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_RAISE_EXCEPTIONS", "SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS"]
)
def test_warns_when_raise_exceptions_is_on(name):
    with configured(**{"SOCIAL_AUTH_RAISE_EXCEPTIONS": ABSENT, name: True}):
        assert installation.check_error_handling() == [raise_exceptions_warning(name)]


def test_warns_when_raise_exceptions_is_left_to_debug_and_debug_is_on():
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=ABSENT, DEBUG=True):
        assert installation.check_error_handling() == [
            raise_exceptions_warning("SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS")
        ]


@pytest.mark.parametrize(
    "on", [{"DEBUG": True}, {"SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS": True}]
)
def test_following_the_raise_exceptions_hint_clears_w003(on):
    # social_django reads SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS before the
    # global name: a hint naming the global one would leave this on.
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=ABSENT, **on):
        (warning,) = installation.check_error_handling()
        name = re.fullmatch(r"Set (\w+) = False\.", warning.hint)[1]
        with configured(**{name: False}):
            assert installation.check_error_handling() == []


def test_following_the_login_error_url_hint_clears_w002():
    with configured(SOCIAL_AUTH_LOGIN_ERROR_URL=ABSENT):
        (warning,) = installation.check_error_handling()
        name = re.match(r"Set (\w+) to a page", warning.hint)[1]
        assert warning.msg == f"{name} is not set."
        with configured(**{name: "/oops/"}):
            assert installation.check_error_handling() == []


def test_accepts_raise_exceptions_off_even_with_debug_on():
    # social_django's middleware reads the setting first, DEBUG only as default.
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=False, DEBUG=True):
        assert installation.check_error_handling() == []


def test_reports_every_error_handling_problem_at_once():
    with configured(
        MIDDLEWARE=without(settings.MIDDLEWARE, "SocialAuthException"),
        SOCIAL_AUTH_LOGIN_ERROR_URL=ABSENT,
        SOCIAL_AUTH_RAISE_EXCEPTIONS=True,
    ):
        assert ids(installation.check_error_handling()) == [
            "social_auth0.W001",
            "social_auth0.W002",
            "social_auth0.W003",
        ]


# -- a site that only protects its API (no Auth0 login) -----------------------------


def test_an_api_only_site_needs_no_backend_nor_login_error_handling():
    with configured(**API_ONLY, MIDDLEWARE=[], SOCIAL_AUTH_RAISE_EXCEPTIONS=True):
        assert installation.check_backends() == []
        assert installation.check_error_handling() == []


def test_a_site_routing_a_login_view_without_the_backend_gets_e007():
    with configured(**{**API_ONLY, "ROOT_URLCONF": "tests.urls"}):
        assert ids(installation.check_backends()) == ["social_auth0.E007"]
