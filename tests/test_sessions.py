"""Revocation of Auth0 sessions: fails closed, outlives clearauth0sessions,
costs no database query per request, and stays within its own tenant.

Logins and back-channel logouts go through the tenant emulator over loopback,
the logout tokens to the live server, like Auth0 sends them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social_auth0.backend import Auth0OAuth2
from social_auth0.models import Auth0Session
from social_auth0.sessions import (
    _RECHECK_AFTER,
    _SEEN_RESOLUTION,
    SESSION_KEY,
    retention_cutoff,
)
from tests.support.tenants import (
    ADA,
    BACKCHANNEL,
    begin_login,
    complete_login,
    make_tenant,
    point_django_at,
)

pytestmark = pytest.mark.django_db(transaction=True)

SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


@pytest.fixture(scope="module")
def tenant_options(live_server):
    return {"backchannel_logout_urls": [f"{live_server.url}{BACKCHANNEL}"]}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SESSION_ENGINE = SIGNED_COOKIES


def login(tenant, client: Client | None = None) -> Client:
    client = client or Client()
    response = complete_login(client, tenant, ADA.email, ADA.password)
    assert response["Location"] == "/done/"
    return client


def logged_in(client: Client) -> bool:
    return client.get("/done/").content != b"done:"


def copy_of(client: Client) -> Client:
    """Another browser holding a copy of ``client``'s current session cookie."""
    thief = Client()
    name = django_settings.SESSION_COOKIE_NAME
    thief.cookies[name] = client.cookies[name].value
    return thief


def backchannel_logout(tenant, live_server, **claims) -> None:
    answer = tenant.send_backchannel_logout(f"{live_server.url}{BACKCHANNEL}", **claims)
    assert answer.status_code == 200


def logged_in_long_ago(client: Client) -> None:
    """The login happened more than a cookie age ago; the user kept it alive."""
    long_ago = timezone.now() - timedelta(
        seconds=django_settings.SESSION_COOKIE_AGE + 3600
    )
    Auth0Session.objects.update(created_at=long_ago)


# Item 3: fail closed, and records outlive every copy of the cookie ---------------


@pytest.mark.parametrize("save_every_request", [False, True])
def test_stolen_copy_stays_out_after_revocation_and_clearauth0sessions(
    tenant, live_server, settings, save_every_request
):
    settings.SESSION_SAVE_EVERY_REQUEST = save_every_request
    client = login(tenant)
    logged_in_long_ago(client)
    client.get("/touch/")  # a session write re-signs (re-dates) the cookie
    stolen = copy_of(client)  # the attacker keeps a copy of the fresh cookie
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    call_command("clearauth0sessions")
    caches["default"].clear()  # even with the cache flushed...
    assert not logged_in(stolen)  # ...the replayed copy is logged out
    assert Auth0Session.objects.filter(revoked_at__isnull=False).exists()  # kept


def test_login_id_without_a_record_is_logged_out(tenant, live_server):
    """Fail closed: whatever deleted the record, its cookie does not get in."""
    client = login(tenant)
    stolen = copy_of(client)
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    Auth0Session.objects.update(seen_at=retention_cutoff() - timedelta(seconds=1))
    call_command("clearauth0sessions")
    assert not Auth0Session.objects.exists()
    caches["default"].clear()
    assert not logged_in(stolen)


def test_an_active_record_deleted_logs_its_session_out(tenant):
    client = login(tenant)
    Auth0Session.objects.all().delete()
    caches["default"].clear()
    assert not logged_in(client)


def test_a_session_in_use_keeps_its_record_however_old_the_login(tenant, settings):
    client = login(tenant)
    logged_in_long_ago(client)
    Auth0Session.objects.update(
        seen_at=timezone.now() - timedelta(seconds=_SEEN_RESOLUTION + 1)
    )
    caches["default"].clear()  # the cached "active" expired: the database answers
    client.get("/touch/")
    row = Auth0Session.objects.get()
    assert row.seen_at > timezone.now() - timedelta(seconds=60)  # seen again
    call_command("clearauth0sessions")
    assert Auth0Session.objects.filter(pk=row.pk).exists()
    assert logged_in(client)


def test_revoked_records_are_deleted_once_no_copy_can_be_accepted(tenant, live_server):
    client = login(tenant)
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    row = Auth0Session.objects.get()
    assert row.seen_at >= row.revoked_at  # the revocation counts as last use
    cutoff = timedelta(
        seconds=django_settings.SESSION_COOKIE_AGE + _RECHECK_AFTER + _SEEN_RESOLUTION
    )
    assert abs(retention_cutoff() - (timezone.now() - cutoff)) < timedelta(seconds=5)
    Auth0Session.objects.update(seen_at=timezone.now() - cutoff + timedelta(hours=1))
    call_command("clearauth0sessions")
    assert Auth0Session.objects.exists()  # a copy could still be valid
    Auth0Session.objects.update(seen_at=timezone.now() - cutoff - timedelta(hours=1))
    call_command("clearauth0sessions")
    assert not Auth0Session.objects.exists()


# Item 9: no database query on the hot path ---------------------------------------


def test_the_revocation_check_makes_no_database_query(tenant):
    client = login(tenant)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get("/plain/").status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert logged_in(client)


def test_a_flushed_cache_costs_one_query_then_none(tenant):
    client = login(tenant)
    caches["default"].clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/plain/")
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        client.get("/plain/")
    assert len(queries) == 0


def test_revocation_takes_effect_at_the_next_request(tenant, live_server):
    client = login(tenant)
    assert logged_in(client)  # "active" is cached
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    assert not logged_in(client)


def test_revocation_holds_when_the_cache_is_flushed_after_it(tenant, live_server):
    client = login(tenant)
    stolen = copy_of(client)
    assert logged_in(client)
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    caches["default"].clear()  # the "revoked" entry is gone: the database answers
    assert not logged_in(stolen)


def test_a_replayed_revoked_cookie_is_answered_by_the_cache(tenant, live_server):
    client = login(tenant)
    stolen = copy_of(client)
    backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
    caches["default"].clear()
    stolen.get("/plain/")
    replay = copy_of(stolen)  # the attacker keeps the old copy, not the new cookie
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = client.cookies[
        django_settings.SESSION_COOKIE_NAME
    ].value
    with CaptureQueriesContext(connection) as queries:
        replay.get("/plain/")
    # logout() loads the user for user_logged_out; the record is not asked.
    assert not [q for q in queries if "social_auth0" in q["sql"]], (
        queries.captured_queries
    )


def test_normal_logout_ends_cookie_copies_at_once(tenant):
    client = login(tenant)
    stolen = copy_of(client)
    assert logged_in(stolen)  # "active" is cached
    client.post("/auth0/logout/")
    assert not logged_in(stolen)


# Issuer: a logout token ends only its own tenant's sessions -----------------------


class OtherTenantAuth0(Auth0OAuth2):
    """A second Auth0 backend, for a second tenant."""

    name = "auth0-other"


OTHER = f"{__name__}.OtherTenantAuth0"


@pytest.fixture
def other_tenant(settings):
    with make_tenant(
        ADA,  # the same email, so the same sub as on the first tenant
        callback_urls=["http://testserver/complete/auth0-other/"],
    ) as other:
        settings.AUTHENTICATION_BACKENDS = [
            *django_settings.AUTHENTICATION_BACKENDS,
            OTHER,
        ]
        settings.SOCIAL_AUTH_AUTH0_OTHER_DOMAIN = other.domain
        settings.SOCIAL_AUTH_AUTH0_OTHER_KEY = "test-client-id"
        settings.SOCIAL_AUTH_AUTH0_OTHER_SECRET = "test-client-secret"
        yield other


def login_other(other) -> Client:
    client = Client()
    authorize = client.post("/login/auth0-other/")["Location"]
    callback = other.login(authorize, ADA.email, ADA.password)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    assert client.get(f"{path}?{query}")["Location"] == "/done/"
    return client


@pytest.mark.parametrize(
    "engine", [SIGNED_COOKIES, "django.contrib.sessions.backends.db"]
)
def test_logout_token_ends_only_sessions_of_its_own_tenant(
    tenant, other_tenant, live_server, settings, engine
):
    settings.SESSION_ENGINE = engine
    ours, theirs = login(tenant), login_other(other_tenant)
    sub = ours.session[SESSION_KEY]["sub"]
    assert theirs.session[SESSION_KEY]["sub"] == sub  # two tenants, one sub
    backchannel_logout(tenant, live_server, sub=sub)
    assert not logged_in(ours)
    assert logged_in(theirs)
    issuers = dict(Auth0Session.objects.values_list("issuer", "revoked_at"))
    assert issuers.keys() == {tenant.issuer, other_tenant.issuer}


def test_records_from_before_issuers_are_still_ended(tenant, live_server):
    client = login(tenant)
    Auth0Session.objects.update(issuer="")  # recorded by an older version
    caches["default"].clear()
    backchannel_logout(tenant, live_server, sub=client.session[SESSION_KEY]["sub"])
    assert not logged_in(client)


def test_the_session_record_and_its_row_name_the_issuer(tenant):
    client = login(tenant)
    assert client.session[SESSION_KEY]["iss"] == tenant.issuer
    assert Auth0Session.objects.get().issuer == tenant.issuer


def test_begin_login_helper_still_works(tenant):
    assert begin_login(Client()).startswith(tenant.base_url)


def test_a_revocation_during_a_database_check_is_not_overwritten(
    tenant, live_server, monkeypatch
):
    """The check read "active" just before a revocation committed: what it
    caches afterwards must not hide the revocation from later requests."""
    from social_auth0 import sessions

    client = login(tenant)
    caches["default"].clear()
    read_before_revocation = sessions._active_in_database

    def racing(session, login_id):
        active = read_before_revocation(session, login_id)
        backchannel_logout(tenant, live_server, sid=client.session[SESSION_KEY]["sid"])
        return active

    monkeypatch.setattr(sessions, "_active_in_database", racing)
    assert logged_in(client)  # this one request was already past the check
    monkeypatch.undo()
    assert not logged_in(client)


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.signed_cookies",
        "django.contrib.sessions.backends.db",
    ],
)
def test_login_over_a_stale_session_can_still_be_logged_out(
    tenant, live_server, settings, engine
):
    point_django_at(tenant, settings)
    settings.SESSION_ENGINE = engine
    browser = Client()
    # A shared computer: someone's session stays in the browser after their
    # account was removed (or deactivated) by an admin...
    former = get_user_model().objects.create_user("former", password="x")
    browser.force_login(former, "django.contrib.auth.backends.ModelBackend")
    former.delete()
    # ...then Ada logs in through Auth0 in the same browser.
    response = complete_login(browser, tenant, ADA.email, ADA.password)
    assert response["Location"] == "/done/"
    assert browser.get("/done/").content != b"done:"
    # Ada's Auth0 session is ended (her account was compromised, say).
    answer = tenant.send_backchannel_logout(
        f"{live_server.url}{BACKCHANNEL}", sub=tenant.users[ADA.email].sub
    )
    assert answer.status_code == 200
    assert browser.get("/done/").content == b"done:"  # logged out
