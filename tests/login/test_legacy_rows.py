"""Users whose association another Auth0 integration wrote keep their accounts.

Rows as they exist on sites switching over: ``id_key="id"`` (the hand-written
``Auth0(BaseOAuth2)`` of Auth0's 2017/2019 quickstarts, social-core's default
``ID_KEY``), ``"user_id"`` (social-core's built-in backend; social_django's
migration 0020 backfills it), and none (rows 0020 skipped, or written by other
tools). Each logs into its own account with our ``PIPELINE`` and with
social-core's default pipeline, over real HTTP against the emulator; a row that
cannot be proven to hold an Auth0 ``sub`` is refused cleanly, never a 500.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from social_core.pipeline import DEFAULT_AUTH_PIPELINE
from social_django.models import UserSocialAuth

from social_auth0.pipeline import PIPELINE
from tests.support.tenants import ADA, begin_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

PIPELINES = {"ours": PIPELINE, "social-core": DEFAULT_AUTH_PIPELINE}


@pytest.fixture(params=sorted(PIPELINES))
def pipeline(request, settings):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINES[request.param]
    return request.param


def login(client: Client, tenant):
    callback = tenant.login(begin_login(client), ADA.email, ADA.password)
    return client.get(callback.removeprefix("http://testserver"))


def existing_row(tenant, id_key: str) -> UserSocialAuth:
    """Ada's account and association as the old integration left them."""
    user = get_user_model().objects.create_user("ada-before", "ada@example.com")
    return UserSocialAuth.objects.create(
        user=user,
        provider="auth0",
        uid=tenant.users[ADA.email].sub,
        id_key=id_key,
        extra_data={"picture": "https://old.example/ada.png", "auth_time": 1},
    )


@pytest.mark.parametrize("id_key", ["id", "user_id", ""])
def test_existing_user_logs_into_own_account(tenant, pipeline, id_key):
    old = existing_row(tenant, id_key)
    for _ in range(2):  # the row brought up to date keeps working
        client = Client()
        response = login(client, tenant)
        assert response.status_code == 302
        assert response["Location"] == "/done/"
        assert client.session["_auth_user_id"] == str(old.user_id)
        assert get_user_model().objects.count() == 1  # no orphan
        assert list(UserSocialAuth.objects.values_list("pk", flat=True)) == [old.pk]
        old.refresh_from_db()
        assert old.id_key == "user_id"
        assert old.uid == tenant.users[ADA.email].sub
        # What the quickstarts' dashboards read, now Auth0's current picture.
        assert old.extra_data["picture"] == tenant.users[ADA.email].picture


def refused(tenant, caplog) -> str:
    """A login refused with a message: no new user or row, one log line."""
    users_before = set(get_user_model().objects.values_list("pk", flat=True))
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = login(client, tenant)
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
    assert set(get_user_model().objects.values_list("pk", flat=True)) == users_before
    assert UserSocialAuth.objects.count() == 1
    records = [
        r.getMessage() for r in caplog.records if r.name == "social_auth0.backend"
    ]
    assert len(records) == 1, records
    return records[0]


def test_row_under_an_unknown_id_key_is_refused_not_a_500(tenant, pipeline, caplog):
    """Whose ``uid`` a ``nickname``-keyed row holds is unknown (a nickname is
    chosen by its user): never migrated, and never an IntegrityError."""
    old = existing_row(tenant, "nickname")
    message = refused(tenant, caplog)
    assert "identifier_migration_conflict" in message
    # The sentence names the row's key, ours and the ones migrated, and
    # never says a key is not itself.
    assert (
        f"association #{old.pk} holds this sub under id_key 'nickname', which is "
        "neither this backend's 'user_id' nor one it migrates ('', 'id', 'sub')"
    ) in message
    old.refresh_from_db()
    assert old.id_key == "nickname"


@pytest.mark.parametrize("id_key", ["id", ""])
def test_site_can_switch_migration_off(tenant, pipeline, settings, caplog, id_key):
    settings.SOCIAL_AUTH_AUTH0_ALLOW_UNVERIFIED_LEGACY_UID_MIGRATION = False
    old = existing_row(tenant, id_key)
    assert "identifier_migration_conflict" in refused(tenant, caplog)
    old.refresh_from_db()
    assert old.id_key == id_key


def test_id_key_other_than_user_id_is_refused_naming_the_setting(
    tenant, pipeline, settings, caplog
):
    """A site that ran social-core's backend with ``ID_KEY = "sub"``: the
    login is refused with the setting's name (E023 says so at startup), never
    a bare missing_claim; with "user_id" (or none) the row migrates."""
    settings.SOCIAL_AUTH_AUTH0_ID_KEY = "sub"
    old = existing_row(tenant, "sub")
    message = refused(tenant, caplog)
    assert "AuthConfigurationError invalid_setting" in message
    assert "parameter=ID_KEY" in message
    assert "SOCIAL_AUTH_AUTH0_ID_KEY must be unset or 'user_id' (is 'sub')" in message

    settings.SOCIAL_AUTH_AUTH0_ID_KEY = "user_id"  # (or unset)
    client = Client()
    assert login(client, tenant)["Location"] == "/done/"
    assert client.session["_auth_user_id"] == str(old.user_id)
    old.refresh_from_db()
    assert old.id_key == "user_id"
