"""checks/redirects.py: redirect sanitizing and the hosts redirects may lead to.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import pytest
from django.core import checks

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
