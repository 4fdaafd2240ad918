"""System checks of the RFC 9728 metadata (E120-E122, W120), compared whole."""

from __future__ import annotations

from django.core import checks
from django.test import override_settings

from social_auth0.checks import resource_metadata

ON = "SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA"
AUDIENCE = "SOCIAL_AUTH_AUTH0_API_AUDIENCE"
IDENTIFIER_HINT = (
    "RFC 9728 names a protected resource by an https URL: the API identifier "
    "must be the URL clients call, e.g. 'https://api.example.com/mcp'."
)


def run() -> list[checks.CheckMessage]:
    return [
        *resource_metadata.check_resource_metadata(),
        *resource_metadata.check_scopes_supported(),
    ]


@override_settings(ROOT_URLCONF="tests.urls")
def test_off_by_default_draws_nothing(settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "urn:reports"
    assert run() == []


@override_settings(**{ON: "yes"})
def test_metadata_switch_must_be_a_boolean():
    assert run() == [
        checks.Error(f"{ON} must be True or False, not 'yes'.", id="social_auth0.E120")
    ]


@override_settings(
    ROOT_URLCONF="tests.support.well_known_urls",
    **{ON: True, AUDIENCE: ["https://api.example.com/", "urn:reports"]},
)
def test_audience_that_is_no_url_is_refused():
    assert run() == [
        checks.Error(
            f"{ON} is True, but {AUDIENCE} value 'urn:reports' is not an https URL.",
            hint=IDENTIFIER_HINT,
            id="social_auth0.E121",
        )
    ]


@override_settings(
    ROOT_URLCONF="tests.support.well_known_urls",
    **{ON: True, AUDIENCE: "http://api.example.com/"},
)
def test_plain_http_audience_is_refused():
    message = run()[0]
    assert (message.id, message.msg) == (
        "social_auth0.E121",
        f"{ON} is True, but {AUDIENCE} value 'http://api.example.com/' must use "
        "https (http is for loopback hosts only).",
    )


@override_settings(
    ROOT_URLCONF="tests.support.api_urls",
    **{ON: True, AUDIENCE: "https://api.example.com/mcp"},
)
def test_metadata_not_routed_is_a_warning():
    assert run() == [
        checks.Warning(
            f"{ON} is True, but no URL pattern serves "
            "https://api.example.com/.well-known/oauth-protected-resource/mcp.",
            hint="Add path('', include('social_auth0.well_known')) to the root "
            "URLconf.",
            id="social_auth0.W120",
        )
    ]


@override_settings(
    ROOT_URLCONF="tests.support.well_known_urls",
    **{ON: True, AUDIENCE: ["https://api.example.com/mcp", "https://api.example.com/"]},
)
def test_routed_metadata_of_url_audiences_draws_nothing():
    assert run() == []


@override_settings(SOCIAL_AUTH_AUTH0_API_SCOPES_SUPPORTED="read:reports")
def test_scopes_supported_must_be_a_list():
    assert run() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_API_SCOPES_SUPPORTED must be a list of scope names "
            "(strings without spaces), not 'read:reports'.",
            id="social_auth0.E122",
        )
    ]
