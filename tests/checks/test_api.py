"""System checks of the API protection (E060-E068, W060), compared whole."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings

from social_auth0.checks import api as resource_checks

AUDIENCE_HINT = (
    "Set it to the API identifier (Applications > APIs in Auth0), e.g. "
    "'https://api.example.com/', or a list of them."
)
DRF_DEFAULTS = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "social_auth0.contrib.drf.Auth0TokenAuthentication"
    ]
}


def run() -> list[checks.CheckMessage]:
    return [
        *resource_checks.check_api_audience(),
        *resource_checks.check_api_options(),
        *resource_checks.check_drf_installed(),
    ]


E060 = checks.Error(
    "SOCIAL_AUTH_AUTH0_API_AUDIENCE is not set, but views are protected with "
    "token_required or Auth0TokenAuthentication.",
    hint=AUDIENCE_HINT,
    id="social_auth0.E060",
)


@override_settings(ROOT_URLCONF="tests.urls")
def test_no_api_no_audience_is_fine():
    assert run() == []


@override_settings(ROOT_URLCONF="tests.support.api_urls")
def test_audience_missing_with_token_required_views():
    assert run() == [E060]


def test_audience_missing_with_drf_view_only(settings):
    settings.ROOT_URLCONF = "tests.support.drf_only_urls"
    assert run() == [E060]


@override_settings(ROOT_URLCONF="tests.urls", REST_FRAMEWORK=DRF_DEFAULTS)
def test_audience_missing_with_drf_defaults():
    assert run() == [E060]


@override_settings(
    ROOT_URLCONF="tests.support.api_urls", SOCIAL_AUTH_AUTH0_API_AUDIENCE="https://api/"
)
def test_audience_set_is_fine():
    assert run() == []


@pytest.mark.parametrize("value", ["", [], ["https://api/", ""], 42, [None]])
def test_unusable_audience(settings, value):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = value
    assert run() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_AUDIENCE must be a non-empty string or a list "
            f"of them, not {value!r}.",
            id="social_auth0.E061",
        )
    ]


def test_audience_that_is_the_client_id(settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = ["https://api/", "test-client-id"]
    assert run() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_AUDIENCE contains SOCIAL_AUTH_AUTH0_KEY, the "
            "client id.",
            hint="Tokens for the client id are ID tokens; an API's access tokens "
            "name its identifier (Applications > APIs in Auth0).",
            id="social_auth0.E062",
        )
    ]


def test_audience_shaped_like_a_client_id(settings):
    client_like = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = client_like
    assert run() == [
        checks.Warning(
            f"SOCIAL_AUTH_AUTH0_API_AUDIENCE value {client_like!r} looks like an "
            "application's client id.",
            hint="Use the API identifier (Applications > APIs in Auth0), usually "
            "a URL such as 'https://api.example.com/'.",
            id="social_auth0.W060",
        )
    ]


def test_scopes_claim_and_linked_user_values(settings):
    settings.SOCIAL_AUTH_AUTH0_API_SCOPES_CLAIM = "roles"
    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = "yes"
    assert run() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_SCOPES_CLAIM must be one of 'scope', "
            "'permissions', 'both', not 'roles'.",
            id="social_auth0.E063",
        ),
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_LINKED_USER must be True or False.",
            id="social_auth0.E064",
        ),
    ]


@pytest.mark.parametrize("value", ["False", 0, None])
def test_api_organization_rules_value(settings, value):
    settings.SOCIAL_AUTH_AUTH0_API_ORGANIZATION_RULES = value
    expected = [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_ORGANIZATION_RULES must be True or False, "
            f"not {value!r}.",
            hint="True (the default) applies ORGANIZATION, ALLOWED_ORGANIZATIONS "
            "and ORGANIZATION_REQUIRED to access tokens; False accepts tokens of "
            "any organization or none.",
            id="social_auth0.E066",
        )
    ]
    assert run() == ([] if value is None else expected)
    settings.SOCIAL_AUTH_AUTH0_API_ORGANIZATION_RULES = False
    assert run() == []


@pytest.mark.parametrize("value", ["Required", True, "optional"])
def test_api_dpop_value(settings, value):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = value
    assert resource_checks.check_api_options() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_DPOP must be 'allowed', 'required', 'disabled', "
            f"not {value!r}.",
            hint="'allowed' (the default) takes DPoP-bound and bearer tokens, "
            "'required' only DPoP-bound ones, 'disabled' only bearer ones.",
            id="social_auth0.E067",
        )
    ]
    for good in ("allowed", "required", "disabled", None):
        settings.SOCIAL_AUTH_AUTH0_API_DPOP = good
        assert resource_checks.check_api_options() == []


@pytest.mark.parametrize("value", ["yes", 1])
def test_api_dpop_nonce_value(settings, value):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP_NONCE = value
    assert resource_checks.check_api_options() == [
        checks.Error(
            f"SOCIAL_AUTH_AUTH0_API_DPOP_NONCE must be True or False, not {value!r}.",
            id="social_auth0.E068",
        )
    ]
    settings.SOCIAL_AUTH_AUTH0_API_DPOP_NONCE = True
    assert resource_checks.check_api_options() == []


def test_a_bad_api_dpop_is_a_configuration_error_at_run_time(settings, rf, use_tenant):
    """The runtime uses the check's validator: the request names the setting."""
    from django.core.exceptions import ImproperlyConfigured

    from social_auth0.resource import authenticate

    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "sometimes"
    request = rf.get("/", HTTP_AUTHORIZATION="Bearer a.b.c")
    with pytest.raises(ImproperlyConfigured, match="API_DPOP"):
        authenticate(request)


def test_drf_named_but_not_installed():
    """In a process where rest_framework cannot be imported (as if not
    installed), naming contrib.drf in REST_FRAMEWORK is E065, reported by the
    check framework (so check_drf_installed is registered, see test_apps)."""
    code = (
        "import importlib.util, os, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == "
        "'rest_framework' else real(name, *a)\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'\n"
        "import django\n"
        "from django.conf import settings\n"
        f"django.setup(); settings.REST_FRAMEWORK = {DRF_DEFAULTS!r}\n"
        "settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = 'https://api/'\n"
        "from django.core import checks\n"
        "print([m.id for m in checks.run_checks(tags=['social_auth0'])"
        " if m.id == 'social_auth0.E065'])\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "['social_auth0.E065']", result.stderr
