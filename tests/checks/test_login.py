"""System checks for login parameters and organizations (E080-E086,
W081-W084), compared as whole ``checks.Error``/``checks.Warning`` objects."""

from __future__ import annotations

import pytest
from django.core import checks

from social_auth0.checks import login as login_checks
from social_auth0.checks.login import (
    check_organization_groups,
    check_organizations,
    check_request_params,
)
from social_auth0.pipeline import PIPELINE

KNOWN = (
    "Known: connection, invitation, login_hint, max_age, organization, prompt, "
    "screen_hint, session_transfer_token, ui_locales."
)
E080_HINT = (
    "These make up the authorization request itself (redirect, client, scope, "
    "state, nonce, PKCE, audience): set them through their own settings."
)


def test_good_configuration_gives_nothing(settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["screen_hint", "prompt"]
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = ["org_abc", "acme"]
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS = {"org_abc": ["A"], "acme": "B"}
    settings.SOCIAL_AUTH_PIPELINE = (*PIPELINE, login_checks.ORG_GROUPS_STEP)
    assert check_request_params() == []
    assert check_organizations() == []
    assert check_organization_groups() == []


def test_checks_are_registered_and_quiet_by_default(settings):
    ids = {message.id for message in checks.run_checks(tags=["social_auth0"])}
    assert not {i for i in ids if i and i.startswith("social_auth0.") and "08" in i}
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["redirect_uri"]
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_REQUIRED = True
    ids = {message.id for message in checks.run_checks(tags=["social_auth0"])}
    assert {"social_auth0.E080", "social_auth0.E085"} <= ids


@pytest.mark.parametrize("name", ["redirect_uri", "audience", "scope"])
def test_e080_never_forwardable_name(settings, name):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["screen_hint", name]
    assert check_request_params() == [
        checks.Error(
            f"SOCIAL_AUTH_AUTH0_REQUEST_PARAMS lists {name}, which can never be "
            "taken from a request.",
            hint=E080_HINT,
            id="social_auth0.E080",
        )
    ]


def test_e081_unknown_name(settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["screen_hint", "foo"]
    assert check_request_params() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_REQUEST_PARAMS lists unknown parameter(s) 'foo'.",
            hint=KNOWN,
            id="social_auth0.E081",
        )
    ]


def test_e081_not_a_list(settings):
    settings.SOCIAL_AUTH_REQUEST_PARAMS = "screen_hint"  # found under its short name
    assert check_request_params() == [
        checks.Error(
            "SOCIAL_AUTH_REQUEST_PARAMS must be a list of parameter names, not "
            "'screen_hint'.",
            hint="e.g. ['screen_hint', 'login_hint', 'organization', 'invitation']",
            id="social_auth0.E081",
        )
    ]


@pytest.mark.parametrize("value", [["screen_hint", ["prompt"]], [None], 3])
def test_e081_unhashable_or_non_string_names_are_reported_not_raised(settings, value):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = value
    assert [m.id for m in check_request_params()] == ["social_auth0.E081"]


def test_auth_extra_arguments_of_another_shape_is_not_ours_to_report(settings):
    settings.SOCIAL_AUTH_AUTH0_AUTH_EXTRA_ARGUMENTS = 3
    assert check_organizations() == []


def test_w081_invitation_without_organization(settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["invitation"]
    assert check_request_params() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_REQUEST_PARAMS lists 'invitation' without "
            "'organization': invitation links cannot be forwarded.",
            hint="Add 'organization' (it is checked against the organization "
            "settings).",
            id="social_auth0.W081",
        )
    ]


@pytest.mark.parametrize("value", ["org_", "acme corp", 42])
def test_e082_malformed_organization(settings, value):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = value
    assert check_organizations() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION must be an organization id ('org_...') "
            f"or name, not {value!r}.",
            id="social_auth0.E082",
        )
    ]


@pytest.mark.parametrize("value", [["org_a", "bad name"], 3, [None]])
def test_e083_malformed_allowed_organizations(settings, value):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = value
    assert check_organizations() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS must be '*' or a list of "
            f"organization ids ('org_...') and/or names, not {value!r}.",
            id="social_auth0.E083",
        )
    ]


def test_e084_organization_and_allowed_organizations(settings):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = "org_abc"
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    assert check_organizations() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION and "
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS are both set.",
            hint="SOCIAL_AUTH_AUTH0_ORGANIZATION sends one organization on every "
            "login, so no other can be chosen: remove "
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS (or "
            "SOCIAL_AUTH_AUTH0_ORGANIZATION, to let users choose).",
            id="social_auth0.E084",
        )
    ]


def test_e085_organization_required_without_any(settings):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_REQUIRED = True
    assert check_organizations() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION_REQUIRED is set but neither "
            "SOCIAL_AUTH_AUTH0_ORGANIZATION nor "
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS is: every login would be "
            "refused.",
            hint="Set SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS to the organizations "
            "whose users may log in ('*' for any).",
            id="social_auth0.E085",
        )
    ]


def test_w082_organization_in_auth_extra_arguments(settings):
    settings.SOCIAL_AUTH_AUTH0_AUTH_EXTRA_ARGUMENTS = {"organization": "org_abc"}
    assert check_organizations() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_AUTH_EXTRA_ARGUMENTS sets organization: the ID "
            "token's organization is then checked against no request.",
            hint="Use SOCIAL_AUTH_AUTH0_ORGANIZATION (or "
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS and REQUEST_PARAMS).",
            id="social_auth0.W082",
        )
    ]


@pytest.mark.parametrize(
    "value", [["org_abc"], {"org_abc": 3}, {"bad name": "A"}, {"acme": ["A", 1]}]
)
def test_e086_malformed_organization_groups(settings, value):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS = value
    assert check_organization_groups() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS must map organization ids or "
            "names to a group name or a list of group names.",
            hint="e.g. {'org_abc123': ['Acme staff']}",
            id="social_auth0.E086",
        )
    ]


def test_w084_organization_groups_for_an_organization_never_accepted(settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = ["org_abc", "acme"]
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS = {
        "org_abc": "A",
        "ACME": "B",
        "org_other": "C",
        "globex": "D",
    }
    assert check_organization_groups() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS maps 'org_other', 'globex', "
            "which no login can be in: the organization settings do not accept it.",
            hint="Add it to SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS (or set "
            "SOCIAL_AUTH_AUTH0_ORGANIZATION to it), or remove it.",
            id="social_auth0.W084",
        )
    ]


def test_w083_organization_groups_without_the_pipeline_step(settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS = {"acme": "A"}
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    assert check_organization_groups() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS is set but "
            "SOCIAL_AUTH_PIPELINE does not run "
            "social_auth0.pipeline.sync_organization_groups.",
            hint="Add it after social_auth0.pipeline.sync_groups.",
            id="social_auth0.W083",
        )
    ]
