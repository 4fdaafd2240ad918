"""What happens to a user's stored tokens when the identity or the user goes
away, when an old session comes back, and when social-core's own refresh is
asked for (user_tokens/revocation.py, refresh.py), against the emulator."""

from __future__ import annotations

import logging
import time

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from social_core.exceptions import AuthConfigurationError
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from social_auth0 import clock
from social_auth0.access import ReauthenticationRequired, get_access_token
from social_auth0.models import Auth0Token
from social_auth0.user_tokens import revocation
from social_auth0.user_tokens import store as token_store
from tests.support.tenants import ADA
from tests.user_tokens.test_access import API, login, store_tokens

pytestmark = pytest.mark.django_db(transaction=True)

SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


@pytest.fixture(scope="module")
def tenant(tenant):
    tenant.applications["test-client-id"].access_token_lifetime = 300
    return tenant


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, tenant, settings):
    store_tokens(tenant, settings)


def ada():
    return get_user_model().objects.get(email=ADA.email)


def refresh_token_of(user) -> str:
    tokens = token_store.load(user.pk, API)
    assert tokens is not None and tokens.refresh_token
    return tokens.refresh_token


def refresh_at_tenant(tenant, refresh_token: str) -> requests.Response:
    """What anyone holding ``refresh_token`` can do with it at the tenant."""
    return requests.post(
        f"{tenant.base_url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "test-client-id",
            "client_secret": "test-client-secret",
        },
        timeout=5,
    )


def request_of(client: Client):
    request = RequestFactory().get("/reports/")
    request.session = SessionStore(client.session.session_key)
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


# -- disconnect ------------------------------------------------------------------


def test_disconnect_drops_the_identitys_tokens_and_revokes_its_refresh_token(
    tenant,
):
    client = login(tenant)
    request = request_of(client)
    assert get_access_token(request)
    refresh_token = refresh_token_of(ada())
    user = ada()
    user.set_password("another way in")  # else social-core refuses to disconnect
    user.save()
    session = client.session  # the password change keeps this session
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()

    response = client.post("/disconnect/auth0/")

    assert response.status_code == 302 and response["Location"].endswith("/done/")
    assert not UserSocialAuth.objects.filter(user=user).exists()
    with pytest.raises(ReauthenticationRequired):
        get_access_token(request)
    assert tenant.state.refresh_token_state(refresh_token) == "revoked"
    assert refresh_at_tenant(tenant, refresh_token).status_code in (400, 401, 403)


def test_a_refused_disconnect_keeps_the_tokens(tenant):
    client = login(tenant)  # the only way in: social-core refuses to disconnect

    client.post("/disconnect/auth0/")

    assert UserSocialAuth.objects.filter(user=ada()).exists()
    assert get_access_token(request_of(client))
    assert tenant.count("/oauth/revoke", "POST") == 0


# -- deleting the user -------------------------------------------------------------


def test_deleting_the_user_revokes_its_refresh_tokens(tenant):
    login(tenant)
    refresh_token = refresh_token_of(ada())

    ada().delete()

    assert not Auth0Token.objects.exists()
    assert tenant.state.refresh_token_state(refresh_token) == "revoked"
    assert tenant.count("/oauth/revoke", "POST") == 1


def test_deleting_the_user_with_the_tenant_down_still_deletes(
    tenant, monkeypatch, caplog
):
    login(tenant)
    refresh_token = refresh_token_of(ada())
    monkeypatch.setattr(
        revocation, "revoke_url", lambda backend: "http://127.0.0.1:9/oauth/revoke"
    )

    with caplog.at_level(logging.INFO, logger="social_auth0"):
        ada().delete()

    assert not get_user_model().objects.filter(email=ADA.email).exists()
    assert not Auth0Token.objects.exists()
    (record,) = [r for r in caplog.records if "revocation" in r.getMessage()]
    assert "connection_failed" in record.getMessage()
    assert refresh_token not in caplog.text
    assert tenant.state.refresh_token_state(refresh_token) == "active"


def test_a_rolled_back_delete_revokes_nothing(tenant):
    from django.db import transaction

    login(tenant)
    with pytest.raises(RuntimeError), transaction.atomic():
        ada().delete()
        raise RuntimeError("the delete is rolled back")

    assert Auth0Token.objects.exists()
    assert tenant.count("/oauth/revoke", "POST") == 0


# -- an old signed cookie comes back ---------------------------------------------


def test_a_replayed_logged_out_cookie_never_touches_a_newer_logins_tokens(
    tenant, settings
):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    device_1 = login(tenant)
    saved = device_1.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert device_1.post("/auth0/logout/").status_code == 302
    device_2 = login(tenant)
    current = refresh_token_of(ada())
    revokes = tenant.count("/oauth/revoke", "POST")

    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = saved
    replay.get("/done/")  # the stale session comes back...
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = saved
    replay.post("/auth0/logout/")  # ...and its logout is replayed

    assert tenant.count("/oauth/revoke", "POST") == revokes
    assert tenant.state.refresh_token_state(current) == "active"
    assert refresh_token_of(ada()) == current
    assert device_2.get("/done/").content == b"done:" + ada().username.encode()


def test_logging_out_the_login_that_stored_the_tokens_still_revokes_them(
    tenant, settings
):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client = login(tenant)
    current = refresh_token_of(ada())

    client.post("/auth0/logout/")

    assert tenant.state.refresh_token_state(current) == "revoked"
    assert not Auth0Token.objects.exists()


def test_a_logout_without_a_host_revokes_with_the_default_settings(tenant):
    client = login(tenant)
    current = refresh_token_of(ada())

    client.logout()  # Django's test client: a bare HttpRequest, no host

    assert tenant.state.refresh_token_state(current) == "revoked"
    assert not Auth0Token.objects.exists()


# -- social-core's own refresh ---------------------------------------------------


def test_social_refresh_token_goes_through_the_stored_tokens_refresh(
    tenant, monkeypatch
):
    login(tenant)
    before = refresh_token_of(ada())
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + 3600)
    social = UserSocialAuth.objects.get(user=ada())

    social.refresh_token(load_strategy())

    refreshes = [
        r
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    assert refresh_token_of(ada()) != before
    assert tenant.state.refresh_token_state(before) != "active"
    social.refresh_from_db()
    assert "access_token" not in social.extra_data


def test_social_refresh_token_without_store_tokens_says_what_to_use(tenant, settings):
    login(tenant)
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = False
    social = UserSocialAuth.objects.get(user=ada())

    with pytest.raises(AuthConfigurationError) as raised:
        social.refresh_token(load_strategy())

    assert raised.value.parameter == "STORE_TOKENS"
    assert "get_access_token" in raised.value.detail
    assert tenant.count("/oauth/token", "POST") == 1  # the login's code exchange
