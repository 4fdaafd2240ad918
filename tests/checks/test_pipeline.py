"""System checks of the pipeline settings (pipeline_checks.py): the shapes
E013-E015 and E020-E023/W020-W024/E040/W040, compared as whole messages."""

from __future__ import annotations

import pytest
from django.core import checks

from social_auth0.checks.pipeline import check_pipeline_settings, check_pipeline_setup
from social_auth0.pipeline import PIPELINE

ROLES = "https://example.com/roles"


@pytest.fixture
def ours(settings):
    """A complete, correct configuration: no messages."""
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff"]
    settings.SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES = ["admin"]
    settings.SOCIAL_AUTH_AUTH0_GROUPS = {"editor": ["Editors"]}
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {
        "first_name": "given_name",
        "last_name": "https://example.com/family",
    }
    return settings


def messages(**kwargs):
    return [*check_pipeline_settings(**kwargs), *check_pipeline_setup(**kwargs)]


def test_a_complete_configuration_gives_no_message(ours):
    assert messages() == []


def test_nothing_configured_gives_no_message():
    assert messages() == []


# ID_KEY: E023 ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["sub", "email", "https://example.com/uid"])
def test_id_key_other_than_user_id(ours, value):
    ours.SOCIAL_AUTH_AUTH0_ID_KEY = value
    assert check_pipeline_settings() == [
        checks.Error(
            f"SOCIAL_AUTH_AUTH0_ID_KEY is {value!r}: an Auth0 identity is stored "
            "under 'user_id', its uid the ID token's sub (with the tenant's issuer "
            "when it is not the tenant settings.py names); no other claim.",
            hint="Remove SOCIAL_AUTH_AUTH0_ID_KEY (or set it to 'user_id'). Rows "
            "stored under 'sub' or 'id' are migrated at their user's next login.",
            id="social_auth0.E023",
        )
    ]


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_ID_KEY", "ID_KEY"])
def test_an_id_key_for_every_backend_is_overridden_for_auth0_alone(ours, name):
    """social-core reads SOCIAL_AUTH_ID_KEY (and a bare ID_KEY) for every
    backend: removing it would change the others' uids; the fix is Auth0's own."""
    setattr(ours, name, "email")
    [error] = check_pipeline_settings()
    assert error.id == "social_auth0.E023"
    assert error.hint == (
        f"Set SOCIAL_AUTH_AUTH0_ID_KEY = 'user_id': {name} applies to every "
        "backend, and that overrides it for Auth0 alone. Rows stored under "
        "'sub' or 'id' are migrated at their user's next login."
    )
    ours.SOCIAL_AUTH_AUTH0_ID_KEY = "user_id"
    assert check_pipeline_settings() == []


@pytest.mark.parametrize("value", ["user_id", ""])
def test_id_key_user_id_or_blank_is_fine(ours, value):
    ours.SOCIAL_AUTH_AUTH0_ID_KEY = value
    assert check_pipeline_settings() == []


# Shapes: E013, E014, E015 ----------------------------------------------------------


def test_claim_fields_naming_a_missing_field(ours):
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"department": "https://e.com/dept"}
    assert check_pipeline_settings() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_CLAIM_FIELDS maps to 'department', which "
            "auth.User does not have.",
            hint="Use a field of your user model (AUTH_USER_MODEL).",
            id="social_auth0.E013",
        )
    ]


@pytest.mark.parametrize(
    "value", [["first_name"], {"first_name": 3}, {"first_name": ""}]
)
def test_claim_fields_of_the_wrong_shape(ours, value):
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = value
    assert check_pipeline_settings() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_CLAIM_FIELDS must map user model field names to "
            "claim names.",
            hint='e.g. {"first_name": "given_name", '
            '"department": "https://example.com/department"}',
            id="social_auth0.E013",
        )
    ]


def test_roles_token_unknown(ours):
    ours.SOCIAL_AUTH_AUTH0_ROLES_TOKEN = "refresh_token"
    assert check_pipeline_settings() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ROLES_TOKEN is 'refresh_token'.",
            hint="Use 'id_token' (default) or 'access_token'.",
            id="social_auth0.E014",
        )
    ]


def test_access_token_roles_without_audience(ours):
    ours.SOCIAL_AUTH_AUTH0_ROLES_TOKEN = "access_token"
    assert [m.id for m in check_pipeline_settings()] == ["social_auth0.E014"]
    ours.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com"
    assert check_pipeline_settings() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SOCIAL_AUTH_AUTH0_STAFF_ROLES", [1]),
        ("SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES", {"admin": True}),
        ("SOCIAL_AUTH_AUTH0_GROUPS", ["Editors"]),
        ("SOCIAL_AUTH_AUTH0_GROUPS", {"editor": 3}),
    ],
)
def test_role_settings_of_the_wrong_shape(ours, setting, value):
    setattr(ours, setting, value)
    assert [m.id for m in check_pipeline_settings()] == ["social_auth0.E015"]


# What they meet: the user model, the pipeline --------------------------------------


@pytest.mark.parametrize("value", ["", "  ", 3, ["roles"]])
def test_roles_claim_must_name_a_claim(ours, value):
    ours.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = value
    assert check_pipeline_setup() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_ROLES_CLAIM must be the name of a claim.",
            hint="e.g. 'https://example.com/roles', the claim your Auth0 Action sets.",
            id="social_auth0.E020",
        )
    ]


def test_role_settings_without_roles_claim_do_nothing(ours):
    del ours.SOCIAL_AUTH_AUTH0_ROLES_CLAIM
    del ours.SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES
    del ours.SOCIAL_AUTH_AUTH0_GROUPS
    assert check_pipeline_setup() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_STAFF_ROLES is set but SOCIAL_AUTH_AUTH0_ROLES_CLAIM "
            "is not: no roles are read, so it changes nothing.",
            hint="Set SOCIAL_AUTH_AUTH0_ROLES_CLAIM to the claim holding the "
            "roles, e.g. 'https://example.com/roles'.",
            id="social_auth0.W020",
        )
    ]


@pytest.mark.parametrize("field", ["is_active", "is_staff", "password", "groups", "id"])
def test_claim_fields_never_write_local_decisions(ours, field):
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {field: "https://e.com/x"}
    assert check_pipeline_setup() == [
        checks.Error(
            f"SOCIAL_AUTH_AUTH0_CLAIM_FIELDS maps {field!r}, which claims never write.",
            hint="is_active is a local decision, is_staff/is_superuser come from "
            "STAFF_ROLES/SUPERUSER_ROLES, groups from GROUPS; keys, passwords and "
            "relations are not claims.",
            id="social_auth0.E022",
        )
    ]


def test_claim_fields_naming_a_protected_field(ours):
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"username": "nickname"}
    ours.SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["last_name"]
    expected = [
        checks.Warning(
            f"SOCIAL_AUTH_AUTH0_CLAIM_FIELDS maps {name!r}, a protected user "
            "field: it is never synced.",
            hint="Remove it from SOCIAL_AUTH_PROTECTED_USER_FIELDS (or, for "
            "username/email, set SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = "
            "True).",
            id="social_auth0.W021",
        )
        for name in ("username", "last_name")
    ]
    assert check_pipeline_setup() == expected[:1]
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    assert check_pipeline_setup() == expected[1:]
    ours.SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = True
    ours.SOCIAL_AUTH_PROTECTED_USER_FIELDS = []
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"username": "nickname"}
    assert check_pipeline_setup() == []


@pytest.mark.parametrize("unprotected", [False, True])
def test_claim_fields_naming_the_email_field(ours, unprotected):
    """Whatever the protection: the email field takes verified addresses only."""
    ours.SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = unprotected
    ours.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"email": "email"}
    assert check_pipeline_setup() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_CLAIM_FIELDS maps 'email', the email field: it "
            "takes only the address Auth0 verified, never another claim.",
            hint="Remove it; the verified email is written by sync_user "
            "(unverified addresses never are: they could be anyone's).",
            id="social_auth0.E040",
        )
    ]


def test_linking_without_recording_verified_emails(ours):
    ours.SOCIAL_AUTH_PIPELINE = [
        step for step in PIPELINE if not step.endswith(".record_verified_email")
    ]
    assert check_pipeline_setup() == [
        checks.Warning(
            "SOCIAL_AUTH_PIPELINE has "
            "social_auth0.pipeline.associate_by_verified_email but not "
            "social_auth0.pipeline.record_verified_email: no identity is known "
            "to have proven its address, so only accounts without any social "
            "login are ever linked.",
            hint="Add social_auth0.pipeline.record_verified_email after "
            "load_extra_data, or use social_auth0.pipeline.PIPELINE.",
            id="social_auth0.W040",
        )
    ]


def test_unverified_email_linking_in_the_pipeline(ours):
    ours.SOCIAL_AUTH_PIPELINE = (
        *PIPELINE[:8],
        "social_core.pipeline.social_auth.associate_by_email",
        *PIPELINE[8:],
    )
    assert check_pipeline_setup() == [
        checks.Warning(
            "SOCIAL_AUTH_PIPELINE links accounts with "
            "social_core.pipeline.social_auth.associate_by_email, which trusts "
            "unverified emails: whoever signs up at Auth0 with someone else's "
            "address takes over their account.",
            hint="Use social_auth0.pipeline.associate_by_verified_email.",
            id="social_auth0.W022",
        )
    ]


def test_role_settings_with_social_cores_default_pipeline(ours):
    del ours.SOCIAL_AUTH_PIPELINE
    assert check_pipeline_setup() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_CLAIM_FIELDS, SOCIAL_AUTH_AUTH0_STAFF_ROLES, "
            "SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES set, but social-core's default "
            "pipeline (SOCIAL_AUTH_PIPELINE is unset) lacks "
            "social_auth0.pipeline.sync_user: they change nothing.",
            hint="Use SOCIAL_AUTH_PIPELINE = social_auth0.pipeline.PIPELINE, or add "
            "social_auth0.pipeline.sync_user.",
            id="social_auth0.W023",
        ),
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_GROUPS set, but social-core's default pipeline "
            "(SOCIAL_AUTH_PIPELINE is unset) lacks "
            "social_auth0.pipeline.sync_groups: they change nothing.",
            hint="Use SOCIAL_AUTH_PIPELINE = social_auth0.pipeline.PIPELINE, or add "
            "social_auth0.pipeline.sync_groups.",
            id="social_auth0.W023",
        ),
    ]


def test_backend_specific_pipeline_is_the_one_checked(ours):
    ours.SOCIAL_AUTH_AUTH0_PIPELINE = PIPELINE[:-1]
    assert [m.msg for m in check_pipeline_setup()] == [
        "SOCIAL_AUTH_AUTH0_GROUPS set, but SOCIAL_AUTH_AUTH0_PIPELINE lacks "
        "social_auth0.pipeline.sync_groups: they change nothing."
    ]


@pytest.mark.parametrize("setting", ["GROUPS_KEY", "GROUPS_MAP"])
def test_social_cores_oidc_group_settings_are_not_read(ours, setting):
    setattr(ours, f"SOCIAL_AUTH_AUTH0_{setting}", {"a": ["b"]})
    assert check_pipeline_setup() == [
        checks.Warning(
            f"SOCIAL_AUTH_AUTH0_{setting} is social-core's OpenID Connect group "
            "setting; Auth0OAuth2 does not read it.",
            hint="Use SOCIAL_AUTH_AUTH0_ROLES_CLAIM and SOCIAL_AUTH_AUTH0_GROUPS.",
            id="social_auth0.W024",
        )
    ]


def test_global_group_settings_of_other_backends_are_not_ours(ours):
    ours.SOCIAL_AUTH_GROUPS_MAP = {"a": ["b"]}  # e.g. for an OIDC backend
    assert check_pipeline_setup() == []


def test_role_settings_on_a_user_model_without_the_fields(ours, monkeypatch):
    from social_auth0.checks import pipeline as pipeline_checks

    monkeypatch.setattr(pipeline_checks, "model_field", lambda model, name: None)
    assert [m.msg for m in pipeline_checks._check_user_model_for_roles()] == [
        "SOCIAL_AUTH_AUTH0_STAFF_ROLES is set but auth.User has no 'is_staff' field.",
        "SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES is set but auth.User has no "
        "'is_superuser' field.",
        "SOCIAL_AUTH_AUTH0_GROUPS is set but auth.User has no 'groups' relation "
        "to auth.Group.",
    ]
