"""Calling an API as the user (access.py, token_store.py, revocation.py), over
loopback against the tenant emulator: stored tokens, refresh, rotation,
failures, logout revocation, encryption at rest."""

from __future__ import annotations

import logging
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.test import Client, RequestFactory
from social_core.exceptions import AuthConfigurationError, AuthProviderError
from social_django.models import UserSocialAuth

from social_auth0 import clock
from social_auth0.access import BearerAuth, ReauthenticationRequired, get_access_token
from social_auth0.backend import backend_for
from social_auth0.jwt.verify import verify_access_token
from social_auth0.models import Auth0Token
from social_auth0.sessions import SESSION_KEY
from social_auth0.user_tokens import refresh
from social_auth0.user_tokens import store as token_store
from tests.support.tenants import ADA, complete_login

pytestmark = pytest.mark.django_db(transaction=True)

API = "https://api.example.com/"
LIFETIME = 300  # seconds: a short-lived API token, as many sites configure
REFRESH = "refresh_token"


@pytest.fixture(scope="module")
def tenant(tenant, live_server):
    tenant.applications["test-client-id"].access_token_lifetime = LIFETIME
    tenant.applications["test-client-id"].backchannel_logout_urls = [
        f"{live_server.url}/auth0/backchannel-logout/"
    ]
    return tenant


def store_tokens(tenant, settings) -> None:
    """Logins store tokens for API, refreshed with rotation (reuse interval 0)."""
    app = tenant.applications["test-client-id"]
    app.refresh_token_rotation = True
    app.refresh_token_reuse_interval = 0
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    refresh.SINGLE_FLIGHT = True


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, tenant, settings):
    store_tokens(tenant, settings)


def login(tenant) -> Client:
    client = Client()
    response = complete_login(client, tenant, ADA.email, ADA.password)
    assert response["Location"] == "/done/"
    return client


def request_of(client: Client):
    """A request of the logged-in user of ``client``, as a view gets it."""
    request = RequestFactory().get("/reports/")
    request.session = SessionStore(client.session.session_key)
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


def refreshes(tenant) -> int:
    return sum(
        1
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == REFRESH
    )


def stored(request) -> token_store.StoredTokens:
    tokens = token_store.load(request.user.pk, API)
    assert tokens is not None
    return tokens


def later(monkeypatch, seconds: float) -> None:
    """Move the clock (tokens are judged by it) ``seconds`` ahead."""
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + seconds)


def verify(tenant, token: str) -> dict:
    """Verify as of the tenant's clock (``later`` moves only ours)."""
    backend = backend_for(None)
    return verify_access_token(
        backend,
        token,
        backend.tenant_keys().lookup,
        issuer=tenant.issuer,
        client_id="test-client-id",
        audience=API,
        leeway=60,
        now=tenant.clock(),
    )


# -- storage -------------------------------------------------------------------


def test_login_stores_the_tokens_encrypted_and_nowhere_else(tenant):
    client = login(tenant)
    request = request_of(client)
    token = get_access_token(request)

    row = Auth0Token.objects.get()
    assert verify(tenant, token)["sub"] == ADA.sub
    assert (row.sub, row.audience) == (ADA.sub, API)
    assert token not in row.access_token
    assert stored(request).refresh_token not in row.refresh_token
    assert token_store.decrypt(row.access_token) == token
    social = UserSocialAuth.objects.get()
    assert not {"access_token", "refresh_token", "id_token"} & set(social.extra_data)
    session = SessionStore(client.session.session_key).load()
    assert token not in repr(session)


def test_expiry_comes_from_expires_in_less_the_leeway(tenant):
    before = time.time()
    request = request_of(login(tenant))
    after = time.time()
    # LIFETIME 300 s, LEEWAY 60 s: 240 s from the moment the login stored it.
    assert before + 240 <= stored(request).expires_at <= after + 240


def test_no_refresh_while_the_token_is_fresh(tenant, monkeypatch):
    request = request_of(login(tenant))
    first = get_access_token(request)
    later(monkeypatch, 240 - 70)  # still about 70 s left

    assert get_access_token(request) == first
    assert get_access_token(request, min_ttl=65) == first
    assert refreshes(tenant) == 0


def test_a_fresh_token_costs_one_query_and_no_request(
    tenant, django_assert_num_queries
):
    request = request_of(login(tenant))
    get_access_token(request)  # the JWKS and settings are warm
    tenant.clear_requests()

    with django_assert_num_queries(1):
        get_access_token(request)

    assert tenant.requests == []


def test_refresh_when_expiring_stores_the_rotated_refresh_token(tenant, monkeypatch):
    request = request_of(login(tenant))
    old = stored(request)
    later(monkeypatch, 240 - 59)  # 59 s left: less than min_ttl

    token = get_access_token(request)

    new = stored(request)
    assert refreshes(tenant) == 1
    assert token == new.access_token  # (a same-second token may equal the old one)
    assert verify(tenant, token)["sub"] == ADA.sub
    assert new.refresh_token != old.refresh_token
    assert tenant.state.refresh_token_state(old.refresh_token) == "spent"
    assert tenant.state.refresh_token_state(new.refresh_token) == "active"
    assert new.version == old.version + 2  # claimed, then stored
    assert not new.exchange_in_doubt
    assert get_access_token(request) == token  # fresh again: no second refresh
    assert refreshes(tenant) == 1


def test_successive_refreshes_never_reuse_a_refresh_token(tenant, monkeypatch):
    request = request_of(login(tenant))
    refresh_tokens = [stored(request).refresh_token]
    for hour in range(1, 4):
        later(monkeypatch, hour * 3600)
        assert verify(tenant, get_access_token(request))["sub"] == ADA.sub
        refresh_tokens.append(stored(request).refresh_token)
    assert refreshes(tenant) == 3
    assert len(set(refresh_tokens)) == 4
    assert tenant.state.reuse_detections == 0


def test_refresh_without_rotation_keeps_the_refresh_token(tenant, monkeypatch):
    tenant.applications["test-client-id"].refresh_token_rotation = False
    request = request_of(login(tenant))
    old = stored(request)
    later(monkeypatch, 3600)

    get_access_token(request)

    assert stored(request).refresh_token == old.refresh_token
    assert refreshes(tenant) == 1


# -- failures --------------------------------------------------------------------


def test_invalid_grant_drops_the_tokens_and_asks_to_log_in_again(
    tenant, monkeypatch, caplog
):
    request = request_of(login(tenant))
    old = stored(request)
    tenant.state.revoke_refresh_token(
        old.refresh_token
    )  # e.g. revoked in the dashboard
    later(monkeypatch, 3600)

    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        with pytest.raises(ReauthenticationRequired) as caught:
            get_access_token(request)

    assert caught.value.code == "reauthentication_required"
    assert caught.value.provider_code == "invalid_grant"
    assert caught.value.recovery == "reauthenticate"
    assert not Auth0Token.objects.exists()
    (record,) = [r for r in caplog.records if "refresh" in r.getMessage()]
    assert old.refresh_token not in record.getMessage()
    assert old.access_token not in record.getMessage()
    with pytest.raises(ReauthenticationRequired):  # and stays so, without a request
        get_access_token(request)
    assert refreshes(tenant) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_tenant_failure_keeps_the_tokens(tenant, monkeypatch, status):
    request = request_of(login(tenant))
    old = stored(request)
    later(monkeypatch, 3600)
    tenant.misbehave.token_status = status

    with pytest.raises(AuthProviderError) as caught:
        get_access_token(request)

    assert not isinstance(caught.value, ReauthenticationRequired)
    assert caught.value.code in ("unavailable", "rate_limited")
    assert caught.value.recovery == "retry_later"
    assert stored(request).refresh_token == old.refresh_token
    assert not stored(request).exchange_in_doubt  # Auth0 answered: nothing lost
    # Others give up at once for a moment instead of each hitting Auth0 again.
    with pytest.raises(AuthProviderError):
        get_access_token(request)
    assert refreshes(tenant) == 1

    tenant.misbehave.reset()
    cache.clear()  # the backoff is over
    assert verify(tenant, get_access_token(request))["sub"] == ADA.sub


def test_wrong_client_secret_is_a_configuration_error_and_keeps_the_tokens(
    tenant, monkeypatch, settings
):
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    settings.SOCIAL_AUTH_AUTH0_SECRET = "not-the-secret"

    with pytest.raises(AuthConfigurationError) as caught:
        get_access_token(request)

    assert caught.value.parameter == "SECRET"
    assert Auth0Token.objects.exists()


def test_unreachable_tenant_keeps_the_tokens(tenant, monkeypatch, settings):
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "http://127.0.0.1:9"  # nothing listens

    with pytest.raises(AuthProviderError) as caught:
        get_access_token(request)

    assert caught.value.code == "connection_failed"
    assert Auth0Token.objects.exists()


def test_refreshed_id_token_of_another_user_is_refused(tenant, monkeypatch):
    request = request_of(login(tenant))
    old = stored(request)
    later(monkeypatch, 3600)
    tenant.misbehave.id_token_claims = {"sub": "auth0|someone-else"}

    with pytest.raises(ReauthenticationRequired) as caught:
        get_access_token(request)

    assert caught.value.claim == "sub"
    assert caught.value.__cause__.code == "user_mismatch"
    assert refreshes(tenant) == 1
    assert not Auth0Token.objects.exists()  # nothing stored, the spent one dropped
    assert tenant.state.refresh_token_state(old.refresh_token) == "spent"


def test_refreshed_id_token_with_a_bad_signature_is_refused(tenant, monkeypatch):
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    tenant.misbehave.bad_signature = True

    with pytest.raises(ReauthenticationRequired) as caught:
        get_access_token(request)

    assert caught.value.__cause__.code == "invalid_signature"
    assert not Auth0Token.objects.exists()


def test_refreshed_id_token_needs_no_nonce(tenant, monkeypatch):
    """OIDC Core 12.2: it answers no authorization request (the emulator sends none)."""
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    assert get_access_token(request)
    assert refreshes(tenant) == 1


def test_no_refresh_token_and_an_expiring_token_ask_to_log_in_again(
    tenant, monkeypatch, settings
):
    settings.SOCIAL_AUTH_AUTH0_SCOPE = []  # no offline_access
    request = request_of(login(tenant))
    assert stored(request).refresh_token is None
    assert get_access_token(request)
    later(monkeypatch, 3600)

    with pytest.raises(ReauthenticationRequired) as caught:
        get_access_token(request)

    assert caught.value.claim == "refresh_token"
    assert refreshes(tenant) == 0


def test_anonymous_request_asks_to_log_in(tenant):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(ReauthenticationRequired):
        get_access_token(request)


def test_login_without_store_tokens_stores_nothing(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = False
    request = request_of(login(tenant))
    assert not Auth0Token.objects.exists()
    with pytest.raises(ReauthenticationRequired):
        get_access_token(request)


# -- the lock --------------------------------------------------------------------


def test_a_dead_lock_holder_is_taken_over_after_the_timeout(
    tenant, monkeypatch, settings
):
    settings.SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT = 1
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    # A process took the lock and died before releasing it.
    lock = refresh.RefreshLock(backend_for(None), request.user.pk, refresh.Target(API))
    assert cache.add(lock.key, "dead-holder", 1)
    waits = []
    wait = refresh.RefreshLock._wait
    monkeypatch.setattr(
        refresh.RefreshLock, "_wait", lambda self, d: waits.append(1) or wait(self, d)
    )

    token = get_access_token(request)

    assert waits == [1]  # it waited for the dead holder, then took over
    assert verify(tenant, token)["sub"] == ADA.sub
    assert refreshes(tenant) == 1


def test_the_row_claim_stops_a_second_sender_even_when_the_cache_lock_fails(
    tenant, monkeypatch, settings, caplog
):
    """FileBasedCache's add() is check-then-set: two processes can both "take"
    the lock. The claim on the row (atomic in the database) still lets only
    one send the refresh token; the other waits for it."""
    settings.SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT = 1
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    other = token_store.claim_exchange(
        stored(request), now=clock.current_time(), hold=1
    )
    assert other is not None  # another process claimed it, then went silent
    assert (
        token_store.claim_exchange(stored(request), now=clock.current_time(), hold=1)
        is None
    )
    from django.core.cache import caches

    monkeypatch.setattr(type(caches["default"]), "add", lambda *args, **kw: True)
    claims = []
    claim = token_store.claim_exchange
    monkeypatch.setattr(
        token_store,
        "claim_exchange",
        lambda *a, **kw: claims.append(claim(*a, **kw)) or claims[-1],
    )

    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        token = get_access_token(request)

    # Refused while the other claim held, then it counted as lost: one send.
    assert claims[0] is None and claims[-1] is not None
    assert refreshes(tenant) == 1
    assert verify(tenant, token)["sub"] == ADA.sub
    assert any("Retrying the refresh" in r.getMessage() for r in caplog.records)


def test_a_refresh_whose_answer_was_lost_is_retried_and_logged(
    tenant, monkeypatch, settings, caplog
):
    """The one path that sends a refresh token twice: only Auth0's reuse
    interval lets the retry through."""
    tenant.applications["test-client-id"].refresh_token_reuse_interval = 30
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 0.5
    # An exchange whose answer was lost holds the row this long (not 15 s).
    settings.SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT = 1
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    tenant.misbehave.token_delay = 1  # Auth0 spends the token; we time out

    with pytest.raises(AuthProviderError) as caught:
        get_access_token(request)
    assert caught.value.code == "timeout"
    assert stored(request).exchange_in_doubt

    tenant.misbehave.reset()
    cache.clear()
    time.sleep(1)  # the slow answer lands at the tenant (it spent the token)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        token = get_access_token(request)

    assert verify(tenant, token)["sub"] == ADA.sub
    assert refreshes(tenant) == 2
    assert any("Retrying the refresh" in r.getMessage() for r in caplog.records)
    assert not stored(request).exchange_in_doubt


# -- BearerAuth ------------------------------------------------------------------


def test_bearer_auth_sends_the_fresh_token(tenant, monkeypatch):
    request = request_of(login(tenant))
    later(monkeypatch, 3600)

    response = requests.get(
        f"{tenant.base_url}/userinfo", auth=BearerAuth(request), timeout=5
    )

    assert response.status_code == 200
    assert response.json()["sub"] == ADA.sub
    assert refreshes(tenant) == 1


# -- logout ----------------------------------------------------------------------


def test_logout_revokes_the_refresh_token_and_deletes_the_tokens(tenant):
    client = login(tenant)
    old = stored(request_of(client))

    response = client.post("/auth0/logout/")

    assert response.status_code == 302
    assert tenant.count("/oauth/revoke", "POST") == 1
    assert tenant.state.refresh_token_state(old.refresh_token) == "revoked"
    assert not Auth0Token.objects.exists()


def test_backchannel_logout_revokes_the_refresh_token(tenant):
    client = login(tenant)
    old = stored(request_of(client))
    sid = client.session[SESSION_KEY]["sid"]

    tenant.end_session(sid)  # Auth0 posts a logout token to us

    assert tenant.backchannel_deliveries[-1][1] == 200
    assert tenant.count("/oauth/revoke", "POST") == 1
    assert tenant.state.refresh_token_state(old.refresh_token) == "revoked"
    assert not Auth0Token.objects.exists()


def test_logout_with_the_tenant_unreachable_still_deletes_the_tokens(
    tenant, monkeypatch, caplog
):
    from social_auth0.user_tokens import revocation

    client = login(tenant)
    monkeypatch.setattr(
        revocation, "revoke_url", lambda backend: "http://127.0.0.1:9/oauth/revoke"
    )

    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/auth0/logout/")

    assert response.status_code == 302
    assert not Auth0Token.objects.exists()
    (record,) = [r for r in caplog.records if "revocation" in r.getMessage()]
    assert "connection_failed" in record.getMessage()


def test_a_second_login_revokes_the_refresh_token_it_replaces(tenant):
    request = request_of(login(tenant))
    first = stored(request).refresh_token

    login(tenant)  # another browser: its tokens replace the first login's

    assert tenant.state.refresh_token_state(first) == "revoked"
    assert tenant.count("/oauth/revoke", "POST") == 1
    assert tenant.state.refresh_token_state(stored(request).refresh_token) == "active"


# -- at rest ---------------------------------------------------------------------


def test_tokens_survive_a_secret_key_rotation_with_fallbacks(tenant, settings):
    request = request_of(login(tenant))
    token = get_access_token(request)
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-brand-new-secret-key"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert get_access_token(request) == token

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ReauthenticationRequired):
        get_access_token(request)
    assert not Auth0Token.objects.exists()  # undecryptable rows are dropped


def test_own_encryption_keys(tenant, settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS = [old]
    request = request_of(login(tenant))
    token = get_access_token(request)
    assert Fernet(old).decrypt(Auth0Token.objects.get().access_token.encode())

    settings.SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS = [new, old]
    assert get_access_token(request) == token


def test_the_derived_key_is_not_the_secret_key():
    key = token_store.derive_key("s3cret")
    assert key != token_store.derive_key("s3cret2")
    assert b"s3cret" not in key


def test_the_derived_key_never_changes():
    """HKDF's label is part of the key: a new one (a module renamed, say) would
    make every token stored under a key derived from SECRET_KEY unreadable."""
    assert token_store.derive_key("s3cret") == (
        b"QOvto6wVBnxOo_RxMv9uBCl4rPrkT7WHUDNIIg2gSWA="
    )


def test_login_scrubs_plaintext_tokens_an_older_backend_left(tenant):
    login(tenant)
    social = UserSocialAuth.objects.get()
    social.extra_data.update(access_token="old-at", refresh_token="old-rt")
    social.save()

    login(tenant)

    social.refresh_from_db()
    assert not {"access_token", "refresh_token"} & set(social.extra_data)
    assert social.extra_data["email_verified"] is True


def test_migration_scrubs_plaintext_tokens(tenant):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    login(tenant)
    social = UserSocialAuth.objects.get()
    social.extra_data.update(
        access_token="old-at", refresh_token="old-rt", id_token="x"
    )
    social.save()
    other = UserSocialAuth.objects.create(
        user=social.user, provider="github", uid="1", extra_data={"access_token": "gh"}
    )
    migration = import_module("social_auth0.migrations.0001_initial")

    with connection.schema_editor() as editor:
        migration.scrub_plaintext_tokens(apps, editor)

    social.refresh_from_db()
    other.refresh_from_db()
    assert not {"access_token", "refresh_token", "id_token"} & set(social.extra_data)
    assert other.extra_data == {"access_token": "gh"}  # not ours to touch
