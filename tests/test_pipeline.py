"""social_auth0.pipeline through whole logins against the tenant emulator: one
integration per concern (fields, roles, groups, linking, access-token roles).
Each rule in detail is tested step by step in login/test_pipeline_steps.py."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from social_core.exceptions import AuthResponseError
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from social_auth0.backend import Auth0OAuth2
from social_auth0.pipeline import PIPELINE
from social_auth0.testing import Auth0Tenant, TenantUser
from tests.support.tenants import complete_login

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = "https://example.com/roles"
ADA = "ada@example.com"
GRACE = "grace@example.com"


@pytest.fixture
def tenant():
    with Auth0Tenant(
        client_id="test-client-id",
        client_secret="test-client-secret",
        callback_urls=["http://testserver/complete/auth0/"],
        users=[
            TenantUser(ADA, "pw", roles=["staff"]),
            TenantUser(
                GRACE,
                "pw",
                connection="google-oauth2",
                given_name="Grace",
                family_name="Hopper",
            ),
        ],
        roles_claim=ROLES,
    ) as tenant:
        yield tenant


@pytest.fixture(autouse=True)
def pipeline_settings(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = ROLES
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff", "admin"]
    settings.SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES = ["admin"]
    return settings


def login(tenant, email=ADA):
    client = Client()
    response = complete_login(client, tenant, email, "pw")
    return client, response


def logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


# Fields -----------------------------------------------------------------------------


def test_first_login_creates_user_with_names_from_claims(tenant):
    client, response = login(tenant, GRACE)
    assert response["Location"] == "/done/"
    user = logged_in_as(client)
    assert (user.first_name, user.last_name, user.email) == (
        "Grace",
        "Hopper",
        GRACE,
    )


# Roles -> staff / superuser --------------------------------------------------------


def test_staff_role_grants_and_removal_revokes_at_next_login(tenant):
    assert logged_in_as(login(tenant)[0]).is_staff
    tenant.users[ADA].roles = []
    user = logged_in_as(login(tenant)[0])
    assert not user.is_staff


@pytest.mark.parametrize("pipeline", ["ours", "social-core"])
def test_absent_roles_claim_is_logged_once_per_login(
    tenant, settings, caplog, pipeline
):
    """social_details (get_user_groups) and read_roles both ask for the roles."""
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    if pipeline == "social-core":
        settings.SOCIAL_AUTH_PIPELINE = DEFAULT_AUTH_PIPELINE
    tenant.users[ADA].roles = []
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = "https://example.com/not-set"
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        client, response = login(tenant)
    assert response["Location"] == "/done/"
    absent = [r for r in caplog.records if "is absent" in r.getMessage()]
    assert len(absent) == 1


# Groups ----------------------------------------------------------------------------


def test_groups_follow_roles_and_hand_set_groups_stay(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_GROUPS = {
        "staff": ["Staff"],
        "editor": ["Editors", "Staff"],
    }
    staff, editors, manual = (
        Group.objects.create(name=name) for name in ("Staff", "Editors", "Manual")
    )
    client, _ = login(tenant)
    user = logged_in_as(client)
    user.groups.add(manual)  # an admin adds a group by hand
    assert set(user.groups.values_list("name", flat=True)) == {"Staff", "Manual"}
    tenant.users[ADA].roles = ["editor"]
    user = logged_in_as(login(tenant)[0])
    assert set(user.groups.values_list("name", flat=True)) == {
        "Staff",
        "Editors",
        "Manual",
    }
    tenant.users[ADA].roles = []
    user = logged_in_as(login(tenant)[0])
    assert set(user.groups.values_list("name", flat=True)) == {"Manual"}


def test_a_login_saves_the_user_once_whatever_the_number_of_roles(tenant, settings):
    many = [f"role-{n}" for n in range(12)]
    settings.SOCIAL_AUTH_AUTH0_GROUPS = {role: [role] for role in many}
    settings.SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True
    settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"first_name": "https://example.com/fn"}

    def count(roles):
        tenant.users[ADA].roles = roles
        tenant.users[ADA].extra_claims = {"https://example.com/fn": roles[0]}
        with CaptureQueriesContext(connection) as queries:
            login(tenant)
        # social-core stamps extra_data["auth_time"] with the wall clock: the
        # association is re-saved when a second has ticked since the last
        # login, whatever the roles. Not counted, or the test is flaky.
        sqls = [
            q["sql"]
            for q in queries.captured_queries
            if not q["sql"].startswith('UPDATE "social_auth_usersocialauth"')
        ]
        # Django's login() updates last_login by itself: not ours.
        updates = [
            s
            for s in sqls
            if s.startswith('UPDATE "auth_user"') and "last_login" not in s
        ]
        return len(sqls), updates

    few_roles, many_roles = many[:1] + ["staff"], many[1:] + ["staff", "x"]
    count(few_roles)  # first logins: the user, then every group, are created
    count(many_roles)
    # Steady state, each login swapping one set of groups for the other.
    few_total, few_updates = count(few_roles)
    many_total, many_updates = count(many_roles)
    assert len(few_updates) <= 1 and len(many_updates) <= 1
    assert (
        'SET "first_name"' in many_updates[0] and '"last_login"' not in many_updates[0]
    )
    assert many_total == few_total  # independent of the number of roles


# Linking and refusals ---------------------------------------------------------------


def test_verified_email_links_to_the_existing_account(tenant):
    local = get_user_model().objects.create_user("ada.local", ADA)
    client, _ = login(tenant)
    assert logged_in_as(client) == local
    assert get_user_model().objects.count() == 1


def test_unverified_email_is_never_linked(tenant):
    local = get_user_model().objects.create_user("ada.local", ADA)
    tenant.users[ADA].email_verified = False
    client, _ = login(tenant)
    assert logged_in_as(client) != local
    assert get_user_model().objects.count() == 2


def test_deactivated_user_is_refused_and_left_alone(tenant, caplog):
    client, _ = login(tenant)
    user = logged_in_as(client)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False, is_staff=False)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        client, response = login(tenant)
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert not user.is_active and not user.is_staff  # nothing synced, not re-activated
    assert "authentication_disallowed" in caplog.text
    assert "deactivated" in caplog.text


def test_deactivated_user_found_by_email_is_refused(tenant):
    get_user_model().objects.create_user("ada.local", ADA, is_active=False)
    client, response = login(tenant)
    assert response["Location"].startswith("/login-error/")
    assert get_user_model().objects.count() == 1


def test_create_step_picks_up_the_winner_of_a_race(tenant):
    """The integrity conflict path, single-threaded: the identity exists already
    when the step inserts it (PostgreSQL runs the real race: test_concurrency)."""
    from social_auth0.pipeline import create_user_and_association

    winner = get_user_model().objects.create_user("ada", ADA)
    UserSocialAuth.objects.create(
        user=winner, provider="auth0", uid="auth0|x", id_key="user_id"
    )
    backend = Auth0OAuth2(load_strategy(), redirect_uri="/complete/auth0/")
    result = create_user_and_association(
        backend.strategy,
        {"username": "ada-2", "email": ADA},
        backend,
        "auth0|x",
        id_key="user_id",
    )
    assert result["user"] == winner and result["is_new"] is False
    assert get_user_model().objects.count() == 1


# Roles from the access token ----------------------------------------------------------


def test_roles_from_the_access_token(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com/"
    settings.SOCIAL_AUTH_AUTH0_ROLES_TOKEN = "access_token"
    settings.SOCIAL_AUTH_AUTH0_ROLES_CLAIM = "permissions"
    settings.SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["read:admin"]
    tenant.users[ADA].roles = []
    tenant.users[ADA].permissions = ["read:admin"]
    assert logged_in_as(login(tenant)[0]).is_staff


@pytest.mark.parametrize(
    ("overrides", "claim"),
    [
        ({"aud": "https://other.example/"}, "aud"),
        ({"azp": "another-client"}, "azp"),
        ({"iss": "https://evil.example/"}, "iss"),
        ({"exp": 1}, "exp"),
        ({"nonce": "n"}, "nonce"),
        ({"sub": "auth0|someone-else"}, "sub"),
    ],
)
def test_access_token_is_verified_before_its_roles_are_trusted(
    tenant, settings, overrides, claim
):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com/"
    backend = Auth0OAuth2(load_strategy(), redirect_uri="/complete/auth0/")
    now = tenant.now()
    claims = {
        "iss": tenant.issuer,
        "sub": tenant.users[ADA].sub,
        "aud": ["https://api.example.com/", f"{tenant.issuer}userinfo"],
        "azp": "test-client-id",
        "iat": now,
        "exp": now + 600,
        "permissions": ["read:admin"],
        **overrides,
    }
    with pytest.raises(AuthResponseError) as info:
        backend.verify_access_token(tenant.sign(claims), subject=tenant.users[ADA].sub)
    assert info.value.claim == claim


def test_allow_groups_admits_only_users_with_an_allowed_role(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOW_GROUPS = ["staff"]
    client, response = login(tenant)  # ada has the staff role
    assert response["Location"] == "/done/"
    tenant.users[ADA].roles = ["reader"]
    client, response = login(tenant)
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
