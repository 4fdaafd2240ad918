"""checks/lookup.py: settings resolved under each listed Auth0 backend's name,
each backend checked once.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import pytest
from django.core import checks
from django.urls import include, path

from social_auth0.backend import Auth0OAuth2
from social_auth0.checks.lookup import api_only
from tests.support.check_settings import (
    ABSENT,
    API_ONLY,
    MODEL_BACKEND,
    OUR_BACKEND,
    configured,
)


class RenamedAuth0(Auth0OAuth2):
    """A subclass under a name of its own (e.g. a second tenant)."""

    name = "auth0-eu"


def test_a_renamed_subclass_has_its_own_settings_checked():
    """A backend named ``auth0-eu`` reads SOCIAL_AUTH_AUTH0_EU_*: those are checked."""
    renamed = f"{__name__}.RenamedAuth0"
    with configured(
        AUTHENTICATION_BACKENDS=[renamed, MODEL_BACKEND],
        SOCIAL_AUTH_AUTH0_EU_LEEWAY=-1,
    ):
        errors = checks.run_checks(tags=["social_auth0"])
    by_id = {message.id: message.msg for message in errors}
    assert by_id["social_auth0.E001"] == "SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."
    assert by_id["social_auth0.E004"].startswith("SOCIAL_AUTH_AUTH0_EU_KEY ")
    assert by_id["social_auth0.E010"].startswith("SOCIAL_AUTH_AUTH0_EU_LEEWAY ")


def test_each_listed_auth0_backend_is_checked_once():
    renamed = f"{__name__}.RenamedAuth0"
    with configured(AUTHENTICATION_BACKENDS=[OUR_BACKEND, renamed]):
        domains = [
            message.msg
            for message in checks.run_checks(tags=["social_auth0"])
            if message.id == "social_auth0.E001"
        ]
    # The test settings set SOCIAL_AUTH_AUTH0_DOMAIN; auth0-eu's is missing.
    assert domains == ["SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."]


# -- api_only: a site that only protects its API -----------------------------------


class SocialUrls:
    """A URLconf routing social_auth0.social_urls (its begin view) only."""

    urlpatterns = [path("", include("social_auth0.social_urls", namespace="social"))]


class LoginPageUrls:
    """A URLconf routing social_auth0.urls (its login page) only."""

    urlpatterns = [path("auth0/", include("social_auth0.urls"))]


def test_an_audience_without_backend_or_login_view_is_api_only():
    with configured(**API_ONLY):
        assert api_only()


@pytest.mark.parametrize(
    "login",
    [
        {"SOCIAL_AUTH_AUTH0_API_AUDIENCE": ABSENT},
        {"AUTHENTICATION_BACKENDS": [OUR_BACKEND]},
        {"AUTHENTICATION_BACKENDS": [f"{__name__}.RenamedAuth0"]},
        {"AUTHENTICATION_BACKENDS": ["social_core.backends.auth0.Auth0OAuth2"]},
        {"ROOT_URLCONF": "tests.urls"},  # social_django.urls
        {"ROOT_URLCONF": SocialUrls},
        {"ROOT_URLCONF": LoginPageUrls},
    ],
    ids=[
        "no_audience",
        "our_backend",
        "renamed_subclass",
        "social_core_backend",
        "social_django_urls",
        "social_urls",
        "login_page",
    ],
)
def test_a_backend_or_a_login_view_makes_a_login_site(login):
    with configured(**{**API_ONLY, **login}):
        assert not api_only()
