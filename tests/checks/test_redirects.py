"""checks/redirects.py: redirect sanitizing and the hosts redirects may lead to.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import checks
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, include, path, reverse_lazy

from social_auth0.checks import redirects
from tests.support.check_settings import configured


@pytest.mark.parametrize(
    "name",
    [
        "SOCIAL_AUTH_AUTH0_SANITIZE_REDIRECTS",
        "SOCIAL_AUTH_SANITIZE_REDIRECTS",
        "SANITIZE_REDIRECTS",
    ],
)
def test_warns_when_redirects_are_not_sanitized(name):
    with configured(**{name: False}):
        assert redirects.check_redirects() == [
            checks.Warning(
                f"{name} is off: a login link can send the user anywhere after "
                "login (an open redirect).",
                hint=f"Remove {name}; list other hosts of your own in "
                "SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS instead.",
                id="social_auth0.W033",
            )
        ]


def foreign_hosts_warning(name: str, hosts: str) -> checks.Warning:
    return checks.Warning(
        f"{name} names {hosts}, not in ALLOWED_HOSTS: logins can redirect to a "
        "site this project does not serve.",
        hint="List only hosts that ALLOWED_HOSTS also matches (hosts of this "
        "site), or add them to ALLOWED_HOSTS if they are.",
        id="social_auth0.W034",
    )


@pytest.mark.parametrize(
    "name",
    ["SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS", "SOCIAL_AUTH_AUTH0_ALLOWED_REDIRECT_HOSTS"],
)
def test_warns_about_redirect_hosts_outside_allowed_hosts(name):
    with configured(
        ALLOWED_HOSTS=["testserver", ".example.com"],
        **{name: ["app.example.com", "evil.example", "testserver:8000", "x.test"]},
    ):
        assert redirects.check_redirects() == [
            foreign_hosts_warning(name, "'evil.example', 'x.test'")
        ]


def test_accepts_redirect_hosts_that_allowed_hosts_matches():
    with configured(
        ALLOWED_HOSTS=["testserver", ".example.com"],
        SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["example.com", "a.b.example.com:443"],
        SOCIAL_AUTH_AUTH0_ALLOWED_REDIRECT_HOSTS="testserver",
    ):
        assert redirects.check_redirects() == []
    with configured(ALLOWED_HOSTS=["*"], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["x.test"]):
        assert redirects.check_redirects() == []


def test_redirect_hosts_follow_djangos_debug_default_for_allowed_hosts():
    with configured(
        DEBUG=True, ALLOWED_HOSTS=[], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["localhost"]
    ):
        assert redirects.check_redirects() == []
    with configured(
        DEBUG=False, ALLOWED_HOSTS=[], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["localhost"]
    ):
        assert redirects.check_redirects() == [
            foreign_hosts_warning("SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS", "'localhost'")
        ]


def test_the_test_settings_url_names_reverse():
    assert redirects.check_url_names() == []


# A site that switched over as the 2017 guide said, without its urls line.
class WithoutOurUrls:
    urlpatterns = [
        path("", include("social_django.urls", namespace="social")),
        path("done/", lambda request: None, name="done"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        (
            "LOGIN_URL",
            "social_auth0:login",
            'Add path("auth0/", include("social_auth0.urls")) to the '
            "ROOT_URLCONF's urlpatterns.",
        ),
        (
            "SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL",
            "login_error",
            "Name a URL pattern of the ROOT_URLCONF that takes no arguments "
            "(namespace:name), or give a path.",
        ),
        (
            "LOGOUT_REDIRECT_URL",
            "social:begin",  # installed, but it needs the backend's name
            "Name a URL pattern of the ROOT_URLCONF that takes no arguments "
            "(namespace:name), or give a path.",
        ),
    ],
)
def test_a_url_setting_naming_no_pattern_is_an_error(name, value, hint):
    paths = {"LOGIN_URL": "/login/"}  # tests/settings.py's others are paths
    with configured(ROOT_URLCONF=WithoutOurUrls, **{**paths, name: value}):
        assert redirects.check_url_names() == [
            checks.Error(
                f"{name} = {value!r} names a URL pattern that does not reverse: "
                "every request redirected there fails with NoReverseMatch (a 500).",
                hint=hint,
                id="social_auth0.E035",
            )
        ]


@pytest.mark.parametrize("value", ["/", "/done/", "done", "https://example.com", ""])
def test_paths_and_names_that_reverse_pass(value):
    with configured(
        ROOT_URLCONF=WithoutOurUrls, LOGIN_URL="/login/", LOGIN_REDIRECT_URL=value
    ):
        assert redirects.check_url_names() == []


def test_a_lazy_url_that_does_not_reverse_is_an_error():
    """LOGIN_URL = reverse_lazy("social_auth0:login") without the urls line:
    resolve_url() evaluates it on the first anonymous request (a 500)."""
    with configured(
        ROOT_URLCONF=WithoutOurUrls, LOGIN_URL=reverse_lazy("social_auth0:login")
    ):
        (error,) = redirects.check_url_names()
        assert error.id == "social_auth0.E035"
        assert error.msg.startswith("LOGIN_URL = a lazy URL names a URL pattern")
        with pytest.raises(NoReverseMatch):
            resolve_url(settings.LOGIN_URL)


@pytest.mark.parametrize(
    "value", [reverse_lazy("done"), reverse_lazy("social:begin", args=["auth0"])]
)
def test_a_lazy_url_that_reverses_passes(value):
    with configured(ROOT_URLCONF=WithoutOurUrls, LOGIN_URL=value):
        assert redirects.check_url_names() == []


def test_an_anonymous_login_required_page_is_a_500_without_it(client):
    """What E035 prevents: NoReverseMatch when LOGIN_URL is followed."""
    from django.contrib.auth.views import redirect_to_login

    with configured(ROOT_URLCONF=WithoutOurUrls, LOGIN_URL="social_auth0:login"):
        with pytest.raises(NoReverseMatch):
            redirect_to_login("/reports/")
