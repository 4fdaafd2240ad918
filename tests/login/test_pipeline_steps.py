"""Pipeline steps driven with a real backend, real users and real tokens.

Steps run through ``backend.run_pipeline(PIPELINE, ...)`` with the response the
backend hands the pipeline: the token endpoint's fields merged with the
verified ID-token claims. Access tokens are signed with real RSA keys and the
JWKS is served with ``responses``; whole logins run against the emulator.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import responses
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from social_core.exceptions import (
    AuthAssociationError,
    AuthConfigurationError,
    AuthPolicyError,
    AuthResponseError,
)
from social_core.pipeline import DEFAULT_AUTH_PIPELINE
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from social_auth0 import pipeline
from social_auth0.backend import Auth0OAuth2
from social_auth0.login.fields import SKIP, fit_to_field
from social_auth0.login.roles import parse_roles
from social_auth0.pipeline import PIPELINE
from tests.support.tokens import CLIENT_ID, ISSUER, Signer

pytestmark = pytest.mark.django_db

User = get_user_model()
SUB = "auth0|65f0c0ffee0000000000abcd"
ROLES = "https://example.com/roles"
API = "https://api.example.com"
JWKS_URL = f"{ISSUER}.well-known/jwks.json"
ABSENT = object()  # response(claim=ABSENT) leaves the claim out
LOGGER = "social_auth0.pipeline"


def make_backend() -> Auth0OAuth2[Any]:
    request = RequestFactory().get("/complete/auth0/")
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    return Auth0OAuth2(load_strategy(request), redirect_uri="/complete/auth0/")


def response(**claims: Any) -> dict[str, Any]:
    """Token endpoint fields + verified ID-token claims, as the pipeline sees them."""
    data: dict[str, Any] = {
        "access_token": "opaque-access-token",
        "id_token": "header.payload.signature",
        "token_type": "Bearer",
        "scope": "openid profile email",
        "iss": ISSUER,
        "sub": SUB,
        "aud": CLIENT_ID,
        "email": "ada@example.com",
        "email_verified": True,
        "name": "ada@example.com",
        "nickname": "ada",
    }
    data.update(claims)
    return {name: value for name, value in data.items() if value is not ABSENT}


def login(**claims: Any) -> dict[str, Any]:
    """Run PIPELINE for one callback; return the pipeline's output."""
    backend = make_backend()
    return backend.run_pipeline(list(PIPELINE), response=response(**claims))


def refreshed(user: Any) -> Any:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def roles(settings):
    """Roles from the ID token's namespaced claim; "staff"/"admin" grant flags."""
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff", "admin"]
    settings.SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES = ["admin"]
    return settings


# PIPELINE -----------------------------------------------------------------------


def test_pipeline_is_social_cores_default_with_our_steps():
    replaced = {
        "social_core.pipeline.user.create_user": None,
        "social_core.pipeline.social_auth.associate_user": None,
        "social_core.pipeline.user.user_details": None,
        "social_core.pipeline.social_auth.social_user": None,
    }
    kept = [step for step in DEFAULT_AUTH_PIPELINE if step not in replaced]
    assert [s for s in PIPELINE if s.startswith("social_core.")] == kept
    ours = [s.rsplit(".", 1)[1] for s in PIPELINE if s.startswith("social_auth0.")]
    assert ours == [
        "read_roles",
        "social_user",
        "refuse_inactive_user",
        "associate_by_verified_email",
        "create_user_and_association",
        "record_verified_email",
        "sync_user",
        "sync_groups",
    ]
    assert PIPELINE.index("social_auth0.pipeline.refuse_inactive_user") == (
        PIPELINE.index("social_auth0.pipeline.social_user") + 1
    )


def test_pipeline_is_what_the_setting_runs(settings, roles):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    backend = make_backend()
    user = backend.authenticate(
        backend.strategy.request,
        response=response(**{ROLES: ["staff"]}),
        backend=backend,
        strategy=backend.strategy,
    )
    assert user.is_new and user.is_staff
    assert user.social_user.uid == SUB


def test_first_login_creates_user_and_association():
    out = login(given_name="Ada", family_name="Lovelace")
    user = refreshed(out["user"])
    assert out["is_new"] and out["new_association"]
    assert (user.username, user.email) == ("ada", "ada@example.com")
    assert UserSocialAuth.objects.get().user == user
    # Second login: same user, nothing new.
    again = login()
    assert again["user"] == user
    assert not again["is_new"]
    assert User.objects.count() == 1


# CLAIM_FIELDS ---------------------------------------------------------------------


def test_claim_fields_sync_on_every_login(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {
        "first_name": "given_name",
        "last_name": "family_name",
    }
    user = login(given_name="Ada", family_name="Byron")["user"]
    assert (user.first_name, user.last_name) == ("Ada", "Byron")
    login(given_name="Ada", family_name="Lovelace")
    assert refreshed(user).last_name == "Lovelace"


def test_namespaced_claims_map_to_fields(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {
        "last_name": "https://example.com/department"
    }
    user = login(**{"https://example.com/department": "Analytical Engines"})["user"]
    assert refreshed(user).last_name == "Analytical Engines"


def test_a_missing_claim_never_blanks_a_field(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    user = login(family_name="Lovelace")["user"]
    login(family_name=ABSENT)
    assert refreshed(user).last_name == "Lovelace"


def test_claim_fields_override_details_for_the_same_field(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"first_name": "https://e.com/first"}
    user = login(given_name="Ada", **{"https://e.com/first": "Augusta"})["user"]
    assert refreshed(user).first_name == "Augusta"


def test_strings_are_cut_to_max_length(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    user = login(family_name="L" * 400, given_name="G" * 400)["user"]
    user = refreshed(user)
    assert user.last_name == "L" * 150
    assert user.first_name == "G" * 150  # details are fitted too


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("last_name", 42),
        ("last_name", {"a": 1}),
        ("last_name", ["Lovelace"]),
        ("last_name", None),  # not nullable
        ("is_active", "yes"),  # never written at all
    ],
)
def test_values_of_the_wrong_type_are_skipped_with_a_warning(
    settings, caplog, field, value
):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {field: "https://e.com/claim"}
    user = login(family_name="Lovelace")["user"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        out = login(**{"https://e.com/claim": value})
    assert out["user"] == user
    user = refreshed(user)
    assert user.last_name == "Lovelace"  # from family_name, untouched
    assert user.is_active
    if field == "last_name":
        assert "does not fit" in caplog.text
        # No claim values in the log (messages only: caplog.text has line numbers).
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert repr(value) not in messages or value is None


def test_values_are_type_strict_not_coerced(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"is_staff": "https://e.com/staff"}
    settings.SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = True
    user = login(**{"https://e.com/staff": True})["user"]
    assert not refreshed(user).is_staff  # only the role step writes is_staff


def test_fit_to_field_by_type():
    fields = {f.name: f for f in User._meta.get_fields()}
    fit = fit_to_field
    assert fit(fields["first_name"], "x" * 200) == "x" * 150
    assert fit(fields["is_staff"], "true") is SKIP
    assert fit(fields["is_staff"], False) is False
    assert fit(fields["email"], "not an email") is SKIP
    assert fit(fields["last_login"], 12) is SKIP
    when = fit(fields["last_login"], "2024-05-01T10:00:00")
    assert when.tzinfo is not None  # naive Auth0 times are UTC
    assert fit(fields["last_login"], None) is None  # nullable
    assert fit(fields["date_joined"], None) is SKIP


def test_protected_user_fields_are_honoured(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    settings.SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["last_name"]
    user = login(family_name="Lovelace")["user"]
    assert refreshed(user).last_name == ""


def test_immutable_user_fields_are_set_once(settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    settings.SOCIAL_AUTH_IMMUTABLE_USER_FIELDS = ["last_name"]
    user = login(family_name="Byron")["user"]
    login(family_name="Lovelace")
    assert refreshed(user).last_name == "Byron"


def test_email_and_username_are_protected_by_default():
    user = login()["user"]
    login(email="other@example.com", nickname="someone")
    user = refreshed(user)
    assert (user.username, user.email) == ("ada", "ada@example.com")


def test_user_field_mapping_still_applies_to_details(settings):
    settings.SOCIAL_AUTH_USER_FIELD_MAPPING = {"first_name": "last_name"}
    user = login(given_name="Ada")["user"]
    assert refreshed(user).last_name == "Ada"


# Roles: staff and superuser -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        (["staff", "editor"], ["editor", "staff"]),
        ("staff", ["staff"]),
        ("staff, editor ,", ["editor", "staff"]),
        (["staff", " staff ", ""], ["staff"]),
        ("", []),
        ([], []),
        # Anything but strings in the list: malformed as a whole, not "no
        # roles" (role objects instead of names would revoke everyone).
        (["staff", 3, None], None),
        ([{"name": "staff"}], None),
        (7, None),
        (True, None),
        (None, None),
        ({"a": 1}, None),
    ],
)
def test_parse_roles(value, roles):
    assert parse_roles(value, ROLES) == roles


@pytest.mark.parametrize(
    "value", [["staff"], "staff", "editor, staff", ["editor", " staff "]]
)
def test_roles_claim_as_list_string_or_comma_separated(roles, value):
    user = login(**{ROLES: value})["user"]
    user = refreshed(user)
    assert user.is_staff and not user.is_superuser


def test_superuser_role(roles):
    user = refreshed(login(**{ROLES: ["admin"]})["user"])
    assert user.is_staff and user.is_superuser


def test_a_role_removed_in_auth0_revokes_at_next_login(roles):
    user = login(**{ROLES: ["admin"]})["user"]
    login(**{ROLES: ["editor"]})
    user = refreshed(user)
    assert not user.is_staff and not user.is_superuser


@pytest.mark.parametrize("empty", [[], ""])
def test_an_empty_roles_claim_revokes(roles, empty):
    user = login(**{ROLES: ["admin"]})["user"]
    login(**{ROLES: empty})
    user = refreshed(user)
    assert not user.is_staff and not user.is_superuser


def test_an_absent_roles_claim_changes_nothing_and_warns(roles, caplog):
    user = login(**{ROLES: ["admin"]})["user"]
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        out = login()
    user = refreshed(user)
    assert user.is_staff and user.is_superuser
    assert out[pipeline._ROLES_KEY] is None
    assert "is absent (is the Auth0 Action deployed?)" in caplog.text


@pytest.mark.parametrize(
    "value", [42, {"staff": True}, None, [{"name": "staff"}], ["staff", 1], True]
)
def test_malformed_roles_are_ignored_with_a_warning(roles, caplog, value):
    user = login(**{ROLES: ["admin"]})["user"]
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        out = login(**{ROLES: value})
    assert out["user"] == user  # the login goes on
    user = refreshed(user)
    assert user.is_staff and user.is_superuser
    assert "malformed" in caplog.text


def test_flags_are_written_only_when_their_setting_is_set(settings):
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff"]
    user = login(**{ROLES: ["staff"]})["user"]
    User.objects.filter(pk=user.pk).update(is_superuser=True)  # set by hand
    login(**{ROLES: []})
    user = refreshed(user)
    assert not user.is_staff
    assert user.is_superuser  # SUPERUSER_ROLES unset: left alone


def test_one_role_name_as_a_string_setting(settings):
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = "staff"
    assert refreshed(login(**{ROLES: ["staff"]})["user"]).is_staff


def test_without_roles_claim_setting_no_flag_changes(settings):
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff"]
    user = login(**{ROLES: ["staff"]})["user"]
    assert not refreshed(user).is_staff


def test_is_active_is_never_written(roles):
    out = login(**{ROLES: ["admin"]}, is_active=False)
    assert refreshed(out["user"]).is_active


# Groups ---------------------------------------------------------------------------


@pytest.fixture
def groups(roles):
    roles.SOCIAL_AUTH_AUTH0_GROUPS = {
        "editor": ["Editors"],
        "admin": ["Editors", "Admins"],
    }
    Group.objects.bulk_create(
        [Group(name=n) for n in ("Editors", "Admins", "Hand-picked")]
    )
    return roles


def group_names(user: Any) -> set[str]:
    return set(refreshed(user).groups.values_list("name", flat=True))


def test_groups_follow_roles(groups):
    user = login(**{ROLES: ["admin"]})["user"]
    assert group_names(user) == {"Editors", "Admins"}
    login(**{ROLES: ["editor"]})
    assert group_names(user) == {"Editors"}
    login(**{ROLES: []})
    assert group_names(user) == set()


def test_hand_set_groups_survive(groups):
    user = login(**{ROLES: ["admin"]})["user"]
    user.groups.add(Group.objects.get(name="Hand-picked"))
    login(**{ROLES: []})
    assert group_names(user) == {"Hand-picked"}


def test_groups_unchanged_when_roles_are_absent_or_malformed(groups):
    user = login(**{ROLES: ["admin"]})["user"]
    login()
    login(**{ROLES: 42})
    assert group_names(user) == {"Editors", "Admins"}


def test_a_group_as_a_string(groups):
    groups.SOCIAL_AUTH_AUTH0_GROUPS = {"editor": "Editors"}
    assert group_names(login(**{ROLES: ["editor"]})["user"]) == {"Editors"}


def test_missing_groups_are_logged_and_skipped(groups, caplog):
    groups.SOCIAL_AUTH_AUTH0_GROUPS = {"editor": ["Editors", "Reviewers"]}
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        user = login(**{ROLES: ["editor"]})["user"]
    assert group_names(user) == {"Editors"}
    assert not Group.objects.filter(name="Reviewers").exists()
    assert "'Reviewers'" in caplog.text and "GROUPS_CREATE" in caplog.text


def test_missing_groups_are_created_when_allowed(groups):
    groups.SOCIAL_AUTH_AUTH0_GROUPS = {"editor": ["Editors", "Reviewers"]}
    groups.SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True
    user = login(**{ROLES: ["editor"]})["user"]
    assert group_names(user) == {"Editors", "Reviewers"}


def test_mirror_mode_grants_and_revokes_role_named_groups(roles):
    roles.SOCIAL_AUTH_AUTH0_GROUPS = "mirror"
    roles.SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True
    user = login(**{ROLES: ["editor", "reviewer"]})["user"]
    user.groups.add(Group.objects.create(name="Hand-picked"))
    assert group_names(user) == {"editor", "reviewer", "Hand-picked"}
    login(**{ROLES: ["editor"]})
    assert group_names(user) == {"editor", "Hand-picked"}
    social = UserSocialAuth.objects.get()
    assert social.extra_data[pipeline._MIRRORED_GROUPS_KEY] == ["editor"]


def test_mirror_mode_without_create_uses_existing_groups_only(roles):
    roles.SOCIAL_AUTH_AUTH0_GROUPS = "mirror"
    Group.objects.create(name="editor")
    user = login(**{ROLES: ["editor", "ghost"]})["user"]
    assert group_names(user) == {"editor"}
    assert not Group.objects.filter(name="ghost").exists()


def test_group_changes_reset_the_permission_cache(groups):
    user = login(**{ROLES: ["editor"]})["user"]
    user.get_all_permissions()  # fills _perm_cache
    backend = make_backend()
    pipeline.sync_groups(backend, user=user, auth0_roles=[])
    assert not hasattr(user, "_perm_cache")


# Query budget --------------------------------------------------------------------


def sync_queries(n_roles: int) -> list[str]:
    backend = make_backend()
    user = User.objects.get()
    resp = response(**{ROLES: [f"role-{i}" for i in range(n_roles)] + ["admin"]})
    with CaptureQueriesContext(connection) as queries:
        out = pipeline.read_roles(backend, resp)
        out.update(pipeline.sync_user(backend.strategy, {}, backend, user, resp, **out))
        pipeline.sync_groups(backend, user=user, response=resp, **out)
    return [q["sql"] for q in queries.captured_queries]


def test_one_save_and_no_query_per_role(groups):
    groups.SOCIAL_AUTH_AUTH0_GROUPS = {
        f"role-{i}": [f"Group {i}"] for i in range(30)
    } | {"admin": ["Admins"]}
    groups.SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True
    login(**{ROLES: []}, given_name="Ada")
    first = sync_queries(1)
    many = sync_queries(30)
    updates = [q for q in first if q.startswith('UPDATE "auth_user"')]
    assert len(updates) == 1  # is_staff and is_superuser in one save
    assert len(many) <= len(first) + 1  # +1: bulk_create of the new groups
    # A login where nothing changed writes nothing.
    unchanged = sync_queries(30)
    assert not [q for q in unchanged if q.startswith(("UPDATE", "INSERT", "DELETE"))]


# Account linking ---------------------------------------------------------------------


def test_a_verified_email_links_the_existing_account():
    existing = User.objects.create_user("ada.lovelace", "Ada@Example.com")
    out = login(email_verified=True)
    assert out["user"] == existing
    assert UserSocialAuth.objects.get().user == existing
    assert User.objects.count() == 1


@pytest.mark.parametrize("verified", [False, "true", 1, ABSENT])
def test_an_unverified_email_is_never_linked(verified):
    existing = User.objects.create_user("ada.lovelace", "ada@example.com")
    out = login(email_verified=verified)
    assert out["user"] != existing
    assert out["is_new"]
    assert UserSocialAuth.objects.get().user == out["user"]
    assert not UserSocialAuth.objects.filter(user=existing).exists()


def test_two_accounts_with_the_email_are_not_guessed_between():
    User.objects.create_user("ada1", "ada@example.com")
    User.objects.create_user("ada2", "ada@example.com")
    with pytest.raises(AuthAssociationError) as raised:
        login()
    assert raised.value.code == "email_in_use"
    assert not UserSocialAuth.objects.exists()


def test_a_deactivated_account_with_the_email_is_refused_not_shadowed():
    User.objects.create_user("ada", "ada@example.com", is_active=False)
    with pytest.raises(AuthPolicyError) as raised:
        login()
    assert raised.value.code == "authentication_disallowed"
    assert User.objects.count() == 1
    assert not UserSocialAuth.objects.exists()


# Deactivated users ------------------------------------------------------------


def test_a_deactivated_user_is_refused_with_a_message(roles, settings):
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"last_name": "family_name"}
    user = login(**{ROLES: []})["user"]
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(AuthPolicyError) as raised:
        login(**{ROLES: ["admin"]}, family_name="Lovelace")
    error = raised.value
    assert (error.code, error.stage) == ("authentication_disallowed", "pipeline")
    assert "deactivated" in error.detail
    assert "administrator" in error.detail
    user = refreshed(user)
    assert not user.is_active  # never re-activated
    assert not user.is_staff and user.last_name == ""  # nothing synced


# Concurrency, single-threaded: the loser's view -----------------------------------


def test_a_lost_race_leaves_no_orphan_and_continues_as_the_winner():
    backend = make_backend()
    winner = login()["user"]
    # This request ran social_user before the winner committed (no social) and
    # get_username after (so its username differs): its user insert succeeds,
    # the association insert conflicts.
    out = pipeline.create_user_and_association(
        backend.strategy,
        {"email": "ada@example.com"},
        backend,
        SUB,
        id_key="user_id",
        username="ada3f2c",
    )
    assert out["user"] == winner
    assert out["social"] == UserSocialAuth.objects.get()
    assert not out["is_new"]
    assert list(User.objects.all()) == [winner]


def test_an_identity_of_another_user_is_still_refused():
    backend = make_backend()
    login()
    other = User.objects.create_user("grace", "grace@example.com")
    with pytest.raises(AuthAssociationError) as raised:
        pipeline.create_user_and_association(
            backend.strategy, {}, backend, SUB, user=other, id_key="user_id"
        )
    assert raised.value.code == "identity_in_use"


# Access tokens ----------------------------------------------------------------------


@pytest.fixture
def access_roles(settings, signer):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_ROLES_TOKEN = "access_token"
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(JWKS_URL, json={"keys": [signer.jwk]})
        yield mock


def access_token(signer: Signer, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": SUB,
        "aud": [API, f"{ISSUER}userinfo"],
        "azp": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "scope": "openid profile email",
        "permissions": ["read:reports", "manage:site"],
        ROLES: ["staff"],
    }
    claims.update(overrides)
    return signer.sign({k: v for k, v in claims.items() if v is not ABSENT})


def test_roles_from_a_verified_access_token(access_roles, signer):
    user = login(access_token=access_token(signer), **{ROLES: []})["user"]
    assert refreshed(user).is_staff  # the ID token's claim is not read
    assert len(access_roles.calls) == 1


def test_rbac_permissions_as_roles(access_roles, signer, settings):
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = "permissions"
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["manage:site"]
    user = login(access_token=access_token(signer))["user"]
    assert refreshed(user).is_staff


def test_access_token_keys_come_from_the_shared_key_cache(access_roles, signer):
    login(access_token=access_token(signer))
    login(access_token=access_token(signer))
    assert len(access_roles.calls) == 1  # one JWKS fetch for both logins


def test_roles_absent_from_the_access_token_change_nothing(access_roles, signer):
    user = login(access_token=access_token(signer))["user"]
    login(access_token=access_token(signer, **{ROLES: ABSENT}))
    assert refreshed(user).is_staff


@pytest.mark.parametrize(
    ("overrides", "code", "claim"),
    [
        ({"aud": f"{ISSUER}userinfo"}, "invalid_claim", "aud"),
        ({"aud": CLIENT_ID}, "invalid_claim", "aud"),
        ({"azp": "another-client"}, "invalid_claim", "azp"),
        ({"azp": ABSENT}, "missing_claim", "azp"),
        ({"iss": "https://evil.example.com/"}, "invalid_claim", "iss"),
        ({"exp": int(time.time()) - 3600}, "response_expired", "exp"),
        ({"exp": ABSENT}, "missing_claim", "exp"),
        ({"nonce": "n-0S6_WzA2Mj"}, "invalid_claim", "nonce"),
        ({"sub": "auth0|someone-else"}, "invalid_claim", "sub"),
    ],
)
def test_rejects_access_token_with_bad_claim(
    access_roles, signer, overrides, code, claim
):
    with pytest.raises(AuthResponseError) as raised:
        login(access_token=access_token(signer, **overrides))
    assert (raised.value.code, raised.value.claim) == (code, claim)
    assert not User.objects.exists()  # refused before anything is created


def test_rejects_access_token_signed_by_another_key(access_roles, other_signer):
    bad = Signer("key-1")  # right kid, wrong key
    with pytest.raises(AuthResponseError) as raised:
        login(access_token=access_token(bad))
    assert raised.value.code == "invalid_signature"


def test_rejects_an_opaque_access_token(access_roles):
    with pytest.raises(AuthResponseError) as raised:
        login(access_token="Xq3b0pA9opaque")
    assert raised.value.code == "malformed_response"
    assert not access_roles.calls


def test_access_token_roles_need_an_audience(access_roles, settings, signer):
    # A missing setting, not a bad token: the error names AUDIENCE.
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = None
    with pytest.raises(AuthConfigurationError) as raised:
        login(access_token=access_token(signer))
    assert (raised.value.code, raised.value.parameter) == (
        "missing_setting",
        "AUDIENCE",
    )
    assert not access_roles.calls


def test_a_token_response_without_access_token_changes_nothing(
    access_roles, signer, caplog
):
    user = login(access_token=access_token(signer))["user"]
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        login(access_token=ABSENT)
    assert refreshed(user).is_staff
    assert "No access token" in caplog.text


@pytest.mark.parametrize(
    ("stored", "email", "same"),
    [
        ("Ada@Example.COM", "ada@example.com", True),  # A-Z case only
        ("bob@gmail.com", "bob@gmaıl.com", False),  # dotless i: UPPER() merges
        ("sam@example.com", "ſam@example.com", False),  # long s: casefold merges
        ("kim@example.com", "\u212aim@example.com", False),  # Kelvin: lower merges
        ("strasse@example.com", "straße@example.com", False),  # casefold merges
        ("éva@example.com", "Éva@example.com", False),  # non-ASCII: exact only
        (None, "ada@example.com", False),
    ],
)
def test_addresses_are_the_same_only_up_to_ascii_case(stored, email, same):
    assert pipeline._same_address(stored, email) is same
