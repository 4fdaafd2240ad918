"""Logout in both directions, against the tenant emulator over loopback:
RP-initiated logout to Auth0, and Auth0's back-channel logout to us."""

from __future__ import annotations

import io
import logging
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.test import Client

from social_auth0.models import Auth0Session
from social_auth0.sessions import SESSION_KEY, retention_cutoff
from social_auth0.testing import REMOVE, Auth0Tenant, TenantUser
from social_auth0.views import _LOGOUT_NEXT_KEY
from tests.support.tenants import ADA, complete_login
from tests.support.tokens import Signer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

GRACE = TenantUser(email="grace@example.com", password="cobol")
BACKCHANNEL = "/auth0/backchannel-logout/"


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA, GRACE]


@pytest.fixture(scope="module")
def tenant_options(live_server):
    return {
        "logout_urls": [
            "http://testserver/done/",
            "http://testserver/auth0/logout/return/",
        ],
        "backchannel_logout_urls": [f"{live_server.url}{BACKCHANNEL}"],
    }


def login(tenant: Auth0Tenant, user: TenantUser = ADA) -> Client:
    """A browser (Django test client) logged in through a tenant session of its own."""
    client = Client()
    response = complete_login(client, tenant, user.email, user.password)
    assert response["Location"] == "/done/"
    return client


def logged_in(client: Client) -> bool:
    return client.get("/done/").content != b"done:"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# What the session keeps -----------------------------------------------------

RECORD_FIELDS = {
    "sub",
    "sid",
    "iss",
    "auth_time",
    "amr",
    "acr",
    "mfa",
    "org_id",
    "org_name",
    "login_id",
    "token_stamp",  # names the stored tokens this login may revoke
}


def test_session_keeps_one_record_of_verified_claims(tenant):
    client = login(tenant)
    assert set(client.session[SESSION_KEY]) == RECORD_FIELDS
    assert not [key for key in client.session.keys() if "pending" in key]
    assert client.session[SESSION_KEY]["sid"] in tenant.sessions
    values = " ".join(str(v) for v in dict(client.session).values())
    assert "eyJ" not in values  # no JWT, no access or refresh token


def test_login_records_the_session_for_back_channel_logout(tenant):
    client = login(tenant)
    row = Auth0Session.objects.get()
    assert row.sid == client.session[SESSION_KEY]["sid"]
    assert row.sub == ADA.sub or row.sub == tenant.users[ADA.email].sub
    assert row.session_key == client.session.session_key  # the cycled key
    assert row.revoked_at is None


def test_login_by_another_backend_is_not_recorded(tenant):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("local", password="pw")
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"sid": "stale", "sub": "auth0|stale"}  # a failed login
    session.save()
    assert client.login(username="local", password="pw")
    assert not Auth0Session.objects.exists()
    assert SESSION_KEY not in client.session


# RP-initiated logout --------------------------------------------------------------


def test_get_shows_a_form_and_does_not_log_out(tenant):
    client = login(tenant)
    response = client.get("/auth0/logout/")
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert logged_in(client)


def test_logout_requires_the_csrf_token(tenant):
    client = login(tenant)
    client.handler.enforce_csrf_checks = True
    assert client.post("/auth0/logout/").status_code == 403
    assert logged_in(client)


def test_logout_ends_django_session_then_redirects_to_oidc_logout(tenant):
    client = login(tenant)
    sid = client.session[SESSION_KEY]["sid"]
    ended = []

    def receiver(user, **kwargs):
        ended.append(user)

    user_logged_out.connect(receiver)
    try:
        response = client.post("/auth0/logout/")
    finally:
        user_logged_out.disconnect(receiver)
    assert ended and ended[0].username == "ada"
    assert not logged_in(client)
    location = response["Location"]
    assert location.startswith(f"{tenant.base_url}/oidc/logout?")
    assert query(location) == {
        "client_id": "test-client-id",
        "post_logout_redirect_uri": "http://testserver/done/",
        "logout_hint": sid,
    }
    # The tenant accepts it, ends its session, and returns to the site.
    back = tenant.browser.get(location, allow_redirects=False)
    assert back.status_code == 302
    assert back.headers["Location"].startswith("http://testserver/done/")
    assert sid not in tenant.sessions


def test_logout_through_v2_logout(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT = "v2"
    settings.SOCIAL_AUTH_AUTH0_LOGOUT_FEDERATED = True
    client = login(tenant)
    location = client.post("/auth0/logout/")["Location"]
    assert location.startswith(f"{tenant.base_url}/v2/logout?")
    assert query(location) == {
        "client_id": "test-client-id",
        "returnTo": "http://testserver/done/",
    }
    assert "federated" in urlsplit(location).query
    back = tenant.browser.get(location, allow_redirects=False)
    assert back.headers["Location"] == "http://testserver/done/"


def test_same_site_next_is_honoured_on_return(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_LOGOUT_REDIRECT_URL = "social_auth0:logout_return"
    client = login(tenant)
    location = client.post("/auth0/logout/", {"next": "/admin/"})["Location"]
    assert query(location)["post_logout_redirect_uri"] == (
        "http://testserver/auth0/logout/return/"
    )
    back = tenant.browser.get(location, allow_redirects=False)
    assert back.status_code == 302
    assert client.get(urlsplit(back.headers["Location"]).path)["Location"] == "/admin/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_off_site_next_is_ignored(tenant, settings, next_url):
    settings.SOCIAL_AUTH_AUTH0_LOGOUT_REDIRECT_URL = "social_auth0:logout_return"
    client = login(tenant)
    client.post("/auth0/logout/", {"next": next_url})
    assert _LOGOUT_NEXT_KEY not in client.session
    assert client.get("/auth0/logout/return/")["Location"] == "/done/"


def test_anonymous_logout_still_ends_the_tenant_session(tenant):
    response = Client().post("/auth0/logout/")
    assert query(response["Location"]).keys() == {
        "client_id",
        "post_logout_redirect_uri",
    }


# Back-channel logout ---------------------------------------------------------------


def post_token(token, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)  # CSRF-exempt: no token needed
    return client.post(BACKCHANNEL, {"logout_token": token})


def test_tenant_logout_token_ends_only_the_matching_session(tenant, live_server):
    first, second = login(tenant), login(tenant)
    first_sid = first.session[SESSION_KEY]["sid"]
    first_key = first.session.session_key
    assert first_sid != second.session[SESSION_KEY]["sid"]
    answer = tenant.send_backchannel_logout(
        f"{live_server.url}{BACKCHANNEL}", sid=first_sid
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert not Session.objects.filter(session_key=first_key).exists()
    assert not logged_in(first)
    assert logged_in(second)


def test_logout_token_with_only_sub_ends_every_session_of_the_user(tenant, live_server):
    first, second, other = login(tenant), login(tenant), login(tenant, GRACE)
    sub = first.session[SESSION_KEY]["sub"]
    answer = tenant.send_backchannel_logout(f"{live_server.url}{BACKCHANNEL}", sub=sub)
    assert answer.status_code == 200
    assert not logged_in(first)
    assert not logged_in(second)
    assert logged_in(other)


def test_tenant_ending_its_session_logs_us_out(tenant):
    """Auth0 sends the logout token itself when its session ends (/v2/logout)."""
    client = login(tenant)
    sid = client.session[SESSION_KEY]["sid"]
    tenant.end_session(sid)
    assert tenant.backchannel_deliveries[-1][1] == 200
    assert not logged_in(client)


def test_signed_cookie_sessions_end_at_their_next_request(tenant, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client = login(tenant)
    assert Auth0Session.objects.get().session_key == ""
    response = post_token(tenant.logout_token(sid=client.session[SESSION_KEY]["sid"]))
    assert response.status_code == 200
    assert not logged_in(client)  # the middleware logged it out


def test_signed_cookie_session_without_middleware_survives(tenant, settings):
    """Why the middleware is needed (and system-checked) with signed cookies."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.MIDDLEWARE = [
        m
        for m in django_settings.MIDDLEWARE
        if not m.endswith("BackchannelLogoutMiddleware")
    ]
    client = login(tenant)
    post_token(tenant.logout_token(sid=client.session[SESSION_KEY]["sid"]))
    assert logged_in(client)


def bad_tokens(tenant: Auth0Tenant, sid: str) -> dict[str, str]:
    forger = Signer(tenant.signing_kid)  # same kid, another key
    good = tenant.logout_token(sid=sid)
    header, payload, _ = good.split(".")
    forged = forger.sign({"iss": tenant.issuer})
    return {
        "forged": f"{header}.{payload}.{forged.split('.')[2]}",
        "expired": tenant.logout_token(
            sid=sid, iat=tenant.now() - 600, exp=tenant.now() - 300
        ),
        "wrong audience": tenant.logout_token(sid=sid, aud="another-client"),
        "wrong issuer": tenant.logout_token(sid=sid, iss="https://evil.example/"),
        "no events": tenant.logout_token(sid=sid, events=REMOVE),
        "wrong event": tenant.logout_token(sid=sid, events={"http://x/other": {}}),
        "nonce": tenant.logout_token(sid=sid, nonce="n"),
        "no jti": tenant.logout_token(sid=sid, jti=REMOVE),
        "no sid nor sub": tenant.logout_token(),
        "no exp": tenant.logout_token(sid=sid, exp=REMOVE),
        "garbage": "not.a.token",
        "missing": "",
    }


@pytest.mark.parametrize(
    "case",
    [
        "forged",
        "expired",
        "wrong audience",
        "wrong issuer",
        "no events",
        "wrong event",
        "nonce",
        "no jti",
        "no sid nor sub",
        "no exp",
        "garbage",
        "missing",
    ],
)
def test_invalid_logout_token_is_refused_and_ends_nothing(tenant, case, caplog):
    client = login(tenant)
    token = bad_tokens(tenant, client.session[SESSION_KEY]["sid"])[case]
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = post_token(token)
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_request"
    assert logged_in(client)
    assert not Auth0Session.objects.filter(revoked_at__isnull=False).exists()
    assert "back-channel logout rejected" in caplog.text


def test_replayed_logout_token_is_refused(tenant):
    client = login(tenant)
    token = tenant.logout_token(sid=client.session[SESSION_KEY]["sid"])
    assert post_token(token).status_code == 200
    assert post_token(token).status_code == 400


def test_backchannel_logout_only_accepts_post(tenant):
    assert Client().get(BACKCHANNEL).status_code == 405


def test_server_side_session_deleted_with_cache_engine(tenant, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = login(tenant)
    key = client.session.session_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert store().exists(key)
    assert (
        post_token(
            tenant.logout_token(sid=client.session[SESSION_KEY]["sid"])
        ).status_code
        == 200
    )
    assert not store().exists(key)


def test_normal_logout_forgets_the_recorded_session(tenant):
    client = login(tenant)
    client.post("/auth0/logout/")
    assert not Auth0Session.objects.exists()


def test_clearauth0sessions_deletes_records_of_ended_sessions(tenant, settings):
    from datetime import timedelta

    from django.core.management import call_command

    kept, ended = login(tenant), login(tenant)
    Session.objects.filter(session_key=ended.session.session_key).delete()  # expired
    old_cookie = Auth0Session.objects.create(
        login_id="cookie", sub="auth0|x", user=Auth0Session.objects.first().user
    )
    Auth0Session.objects.filter(pk=old_cookie.pk).update(
        seen_at=retention_cutoff() - timedelta(seconds=1)
    )
    out = io.StringIO()
    call_command("clearauth0sessions", stdout=out)
    assert "Deleted 2 " in out.getvalue()
    assert list(Auth0Session.objects.values_list("login_id", flat=True)) == [
        kept.session[SESSION_KEY]["login_id"]
    ]


SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


def copy_of(client: Client) -> Client:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = Client()
    thief.cookies[django_settings.SESSION_COOKIE_NAME] = client.cookies[
        django_settings.SESSION_COOKIE_NAME
    ].value
    return thief


def test_old_copy_of_a_revoked_signed_cookie_stays_logged_out(tenant, settings):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client = login(tenant)
    stolen = copy_of(client)
    post_token(tenant.logout_token(sid=client.session[SESSION_KEY]["sid"]))
    assert not logged_in(client)  # the middleware logs it out...
    assert not logged_in(stolen)  # ...and the revocation outlives that logout


def test_old_copy_of_a_signed_cookie_is_dead_after_a_normal_logout(tenant, settings):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client = login(tenant)
    stolen = copy_of(client)
    client.post("/auth0/logout/")
    assert not logged_in(stolen)


def test_a_failed_second_login_keeps_the_first_users_record(tenant, settings):
    client = login(tenant)  # Ada
    ada = dict(client.session[SESSION_KEY])
    settings.SOCIAL_AUTH_AUTH0_WHITELISTED_EMAILS = [ADA.email]  # Grace refused
    response = complete_login(client, tenant, GRACE.email, GRACE.password)
    assert response["Location"].startswith("/login-error/")
    assert client.session[SESSION_KEY] == ada
    assert post_token(tenant.logout_token(sid=ada["sid"])).status_code == 200
    assert not logged_in(client)


def test_requests_without_a_session_cookie_are_not_given_one(tenant):
    response = Client().get("/login-error/")  # a page that needs no session
    assert "Cookie" not in response.get("Vary", "")
