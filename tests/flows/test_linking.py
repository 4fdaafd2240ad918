"""Account linking and allow-lists under attack: whole logins against the
tenant emulator, the attacker using the tenant's own sign-up page.

The attacker signs up at the database connection with the victim's address
and never verifies it; the victim later logs in through Google, where Auth0
reports the same address verified. The emulator keeps one user per address,
so each test puts the identity that is about to log in at that address
(``as_identity``), as two users of two connections of one tenant are.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from social_core.pipeline import DEFAULT_AUTH_PIPELINE
from social_django.models import UserSocialAuth

from social_auth0.pipeline import _VERIFIED_EMAIL_KEY, PIPELINE
from social_auth0.testing import Auth0Tenant, TenantUser
from tests.support.tenants import begin_login, complete_login

pytestmark = pytest.mark.django_db(transaction=True)

VICTIM = "victim@example.com"
ATTACKER_OWN = "mallory@evil.example"
PASSWORD = "attacker-pw"  # noqa: S105


@pytest.fixture
def tenant(settings):
    with Auth0Tenant(
        client_id="test-client-id",
        client_secret="test-client-secret",
        callback_urls=["http://testserver/complete/auth0/"],
    ) as tenant:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
        settings.SOCIAL_AUTH_PIPELINE = PIPELINE
        yield tenant


def google_user(email=VICTIM):
    return TenantUser(email, "victim-pw", connection="google-oauth2")


def as_identity(tenant, identity):
    """Make ``identity`` the tenant's user at its address (see the docstring)."""
    return tenant.add_user(identity)


def sign_up(tenant, email=VICTIM):
    """The attacker's browser: the site's login, switched to the sign-up
    screen (Universal Login's "Sign up" link), with someone else's address.
    Auth0 logs the new, unverified user straight in. Returns the identity."""
    client = Client()
    tenant.browser.cookies.clear()
    tenant.users.pop(email, None)  # the database connection has no such user
    authorize = begin_login(client) + "&screen_hint=signup"
    callback = tenant.login(authorize, email, PASSWORD)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    response = client.get(f"{path}?{query}")
    assert response["Location"] == "/done/", response
    identity = tenant.users[email]
    assert identity.email_verified is False and identity.sub.startswith("auth0|")
    return identity, logged_in_as(client)


def log_in(tenant, identity):
    """A whole login of ``identity``; (user it opened or None, response)."""
    as_identity(tenant, identity)
    client = Client()
    response = complete_login(client, tenant, identity.email, identity.password)
    return logged_in_as(client), response


def logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def identities_of(user):
    return set(UserSocialAuth.objects.filter(user=user).values_list("uid", flat=True))


def squatted_account_from_before_the_fix(identity):
    """The rows main's pipeline (or social-core's) left for the attacker's
    sign-up: the unverified address stored on the user, no proof recorded."""
    user = get_user_model().objects.create_user("victim", identity.email)
    UserSocialAuth.objects.create(
        user=user,
        provider="auth0",
        uid=identity.sub,
        id_key="user_id",
        extra_data={"email_verified": False},
    )
    return user


# 1. Account pre-takeover through an unverified email --------------------------------


def test_an_unverified_sign_up_never_catches_the_victims_later_login(tenant):
    attacker, squatted = sign_up(tenant)
    victim = google_user()

    victims_account, response = log_in(tenant, victim)

    assert response["Location"] == "/done/"
    assert victims_account != squatted  # a fresh account of the victim's own
    assert identities_of(victims_account) == {victim.sub}
    assert victims_account.email == VICTIM
    # The attacker's identity keeps only what it created, and it never held
    # the victim's address.
    attackers_account, _ = log_in(tenant, attacker)
    assert attackers_account == squatted
    assert identities_of(squatted) == {attacker.sub}
    assert squatted.email == ""


def test_an_unverified_sign_up_does_not_lock_the_victim_out_of_a_local_account(
    tenant,
):
    local = get_user_model().objects.create_user("victim.local", VICTIM)
    attacker, squatted = sign_up(tenant)
    assert squatted != local  # never linked to the local account either

    victims_account, response = log_in(tenant, google_user())

    assert response["Location"] == "/done/"  # not email_in_use
    assert victims_account == local
    attackers_account, _ = log_in(tenant, attacker)
    assert attackers_account == squatted
    assert identities_of(local) == {google_user().sub}


@pytest.mark.parametrize("local_account", [False, True])
@pytest.mark.parametrize("attacker_address", ["still unverified", "own, verified"])
def test_a_squatted_account_from_before_the_fix_is_never_linked(
    tenant, local_account, attacker_address
):
    """Rows from before the fix keep the unverified address. Neither logging in
    again nor moving the identity to an address the attacker can verify makes
    that account a target (or a rival of the victim's local account)."""
    local = (
        get_user_model().objects.create_user("victim.local", VICTIM)
        if local_account
        else None
    )
    attacker = TenantUser(VICTIM, PASSWORD, email_verified=False)
    squatted = squatted_account_from_before_the_fix(attacker)
    if attacker_address == "own, verified":
        attacker = TenantUser(ATTACKER_OWN, PASSWORD, sub=attacker.sub)
    assert log_in(tenant, attacker)[0] == squatted

    victims_account, response = log_in(tenant, google_user())

    assert response["Location"] == "/done/"
    assert victims_account != squatted
    assert victims_account == (local or victims_account)
    assert identities_of(squatted) == {attacker.sub}
    assert log_in(tenant, attacker)[0] == squatted


@pytest.mark.parametrize("writer", ["details", "CLAIM_FIELDS"])
def test_later_syncs_never_write_the_unverified_address(tenant, settings, writer):
    """With email unprotected, sync_user ran on each login of the attacker;
    it must not store the address (an account without an email, say one made
    before the address claim was requested, must not gain the victim's)."""
    settings.SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = True
    settings.SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["username"]  # README's advice
    if writer == "CLAIM_FIELDS":
        settings.SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {"email": "email"}
    attacker = TenantUser(VICTIM, PASSWORD, email_verified=False)
    squatted = get_user_model().objects.create_user("mallory", "")
    UserSocialAuth.objects.create(
        user=squatted, provider="auth0", uid=attacker.sub, id_key="user_id"
    )
    log_in(tenant, attacker)
    log_in(tenant, attacker)
    squatted.refresh_from_db()
    assert squatted.email == ""

    victims_account, _ = log_in(tenant, google_user())

    assert victims_account != squatted
    assert identities_of(squatted) == {attacker.sub}


def test_a_verified_address_still_links_the_owners_connections(tenant):
    """The owner's path: sign up, log in before verifying (no address stored:
    it was unproven), verify, log in (the address is filled and proven),
    then log in with Google: one account."""
    ada, account = sign_up(tenant, "ada@example.com")
    assert account.email == ""
    ada.email_verified = True
    assert log_in(tenant, ada)[0] == account
    account.refresh_from_db()
    assert account.email == "ada@example.com"
    social = UserSocialAuth.objects.get(uid=ada.sub)
    assert social.extra_data[_VERIFIED_EMAIL_KEY] == "ada@example.com"

    via_google, _ = log_in(tenant, google_user("ada@example.com"))

    assert via_google == account
    assert get_user_model().objects.count() == 1


# 2. Allow-lists admit verified emails only -----------------------------------------

ALLOW_LISTS = [
    ("SOCIAL_AUTH_AUTH0_WHITELISTED_DOMAINS", ["company.com"]),
    ("SOCIAL_AUTH_WHITELISTED_EMAILS", ["ceo@company.com"]),
]
PIPELINES = {"ours": PIPELINE, "social-core's default": DEFAULT_AUTH_PIPELINE}


@pytest.fixture(params=ALLOW_LISTS, ids=lambda p: p[0].rsplit("_", 1)[-1])
def allow_list(request, settings):
    name, value = request.param
    setattr(settings, name, value)
    return name.rsplit("_", 2)[-2:]


@pytest.mark.parametrize("pipeline", PIPELINES, ids=str)
def test_an_allow_list_refuses_an_unverified_address(
    tenant, settings, allow_list, pipeline, caplog
):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINES[pipeline]
    outsider = TenantUser("ceo@company.com", PASSWORD, email_verified=False)

    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        user, response = log_in(tenant, outsider)

    assert response["Location"].startswith("/login-error/")
    assert user is None
    assert not get_user_model().objects.exists()
    assert not UserSocialAuth.objects.exists()
    [record] = [r for r in caplog.records if r.name.startswith("social_auth0")]
    message = record.getMessage()
    assert "AuthPolicyError authentication_disallowed" in message
    assert "claim=email_verified" in message
    assert f"parameter=WHITELISTED_{allow_list[1]}" in message
    assert "ceo@company.com" not in message


@pytest.mark.parametrize("pipeline", PIPELINES, ids=str)
def test_an_allow_list_admits_the_verified_address(
    tenant, settings, allow_list, pipeline
):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINES[pipeline]
    user, response = log_in(tenant, google_user("ceo@company.com"))
    assert response["Location"] == "/done/"
    assert user.email == "ceo@company.com"
    _, response = log_in(tenant, google_user("ceo@elsewhere.com"))
    assert response["Location"].startswith("/login-error/")
