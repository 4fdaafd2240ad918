"""A token goes only to the tenant that issued it: two sites on one database,
each its own tenant (a per-site SOCIAL_AUTH_STRATEGY), whatever settings.py
names. A refresh token sent to another tenant's ``/oauth/revoke`` or
``/oauth/token`` (with that tenant's client credentials) is a live credential
handed to whoever runs that tenant; so is an access token for another tenant's
API. Whole logins through the emulator, as in test_tenant_identities.
"""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from social_auth0.access import get_access_token
from social_auth0.errors import ReauthenticationRequired
from social_auth0.login.record import SESSION_KEY, TOKEN_STAMP
from social_auth0.models import Auth0Token
from tests.flows import test_tenant_identities as identities
from tests.flows.test_tenant_identities import ADA, ADA_AT_B, MALLORY, login_at, user_of
from tests.support.tenants import BACKCHANNEL

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.sites_urls"),
]

REVOKE = "/oauth/revoke"
# Sites A and B on tenants A and B; settings.py names A's, B's or neither.
tenants = identities.tenants
sites = identities.sites


@pytest.fixture
def stored(settings):
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]


def revocations(a, b) -> tuple[int, int]:
    return a.count(REVOKE, "POST"), b.count(REVOKE, "POST")


def test_deleting_users_revokes_each_refresh_token_only_at_its_own_tenant(
    sites, stored, request
):
    """No request says which site: the default settings' tenant revokes its
    own identities' tokens and is never sent another tenant's."""
    a, b = sites
    ada = user_of(login_at("site-a.test", a, ADA))
    mallory = user_of(login_at("site-b.test", b, MALLORY))
    assert Auth0Token.objects.filter(refresh_token__gt="").count() == 2

    get_user_model().objects.filter(pk__in=[ada, mallory]).delete()

    assert not Auth0Token.objects.exists()
    named = request.node.callspec.id.split("-")[0]  # whose tenant settings.py names
    expected = {"A": (1, 0), "B": (0, 1), "neither": (0, 0)}[named]
    assert revocations(a, b) == expected


def test_a_login_at_another_tenant_never_sends_it_the_replaced_refresh_token(
    sites, stored
):
    """Ada, logged in at A, links her account at B (one session cookie for
    both sites): B's login replaces A's stored tokens, and A's refresh token
    is never sent to B."""
    a, b = sites
    client = login_at("site-a.test", a, ADA)
    ada = user_of(client)
    assert user_of(login_at_with(client, "site-b.test", b, ADA_AT_B)) == ada

    assert revocations(a, b) == (0, 0)
    assert Auth0Token.objects.get().sub.endswith(ADA_AT_B.sub)


def test_stored_tokens_of_another_tenant_never_go_to_this_sites_tenant(sites, stored):
    """At site A, the tokens B's login stored are neither handed out (an
    access token for B's API) nor refreshed at A's token endpoint."""
    a, b = sites
    client = login_at("site-a.test", a, ADA)
    login_at_with(client, "site-b.test", b, ADA_AT_B)
    user = get_user_model().objects.get(pk=user_of(client))
    at_a = RequestFactory().get("/", HTTP_HOST="site-a.test")
    at_a.user = user

    with pytest.raises(ReauthenticationRequired):
        get_access_token(at_a)
    Auth0Token.objects.update(
        expires_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    with pytest.raises(ReauthenticationRequired):
        get_access_token(at_a)

    assert a.count("/oauth/token", "POST") == 1  # Ada's login at A, nothing since
    at_b = RequestFactory().get("/", HTTP_HOST="site-b.test")
    at_b.user = user
    assert get_access_token(at_b)  # B's tokens, refreshed at B
    assert b.count("/oauth/token", "POST") == 2


def login_at_with(client: Client, host: str, tenant, user) -> Client:
    """``login_at`` in an existing client (its session: the user logged in)."""
    authorize = client.post("/login/auth0/", HTTP_HOST=host)["Location"]
    tenant.browser.cookies.clear()
    callback = urlsplit(tenant.login(authorize, user.email, user.password))
    response = client.get(callback.path, parse_qs(callback.query), HTTP_HOST=host)
    assert response["Location"] == "/done/", response
    return client


def test_a_backchannel_logout_of_one_auth0_session_leaves_a_newer_logins_tokens(
    sites, stored
):
    """Ada logs in on a laptop, then on a phone (whose tokens replace the
    laptop's). Auth0 ends the laptop's session (its logout token names that
    ``sid`` and her ``sub``, as Auth0's do): the laptop is logged out, the
    phone keeps its tokens."""
    a, _ = sites
    laptop = login_at("site-a.test", a, ADA)
    phone = login_at("site-a.test", a, ADA)
    laptop_sid = laptop.session[SESSION_KEY]["sid"]
    assert laptop_sid != phone.session[SESSION_KEY]["sid"]
    a.clear_requests()

    sent = Client(HTTP_HOST="site-a.test").post(
        BACKCHANNEL, {"logout_token": a.logout_token(sid=laptop_sid, sub=ADA.sub)}
    )

    assert sent.status_code == 200, sent.content
    assert laptop.get("/done/").content == b"done:"  # logged out
    assert phone.get("/done/").content != b"done:"
    assert a.count(REVOKE, "POST") == 0
    assert (
        Auth0Token.objects.get().login_stamp == phone.session[SESSION_KEY][TOKEN_STAMP]
    )

    # Auth0 ends the phone's session: its tokens go, revoked at A.
    Client(HTTP_HOST="site-a.test").post(
        BACKCHANNEL,
        {"logout_token": a.logout_token(sid=phone.session[SESSION_KEY]["sid"])},
    )
    assert not Auth0Token.objects.exists()
    assert a.count(REVOKE, "POST") == 1


def test_a_backchannel_logout_after_a_step_up_revokes_the_step_ups_tokens(
    sites, stored
):
    """A step-up (a second login in the same session) stores new tokens; the
    session's Auth0 session stays the first login's: its logout revokes them."""
    a, _ = sites
    client = login_at("site-a.test", a, ADA)
    sid = client.session[SESSION_KEY]["sid"]
    login_at_with(client, "site-a.test", a, ADA)  # the step-up
    assert client.session[SESSION_KEY]["sid"] == sid
    a.clear_requests()

    Client(HTTP_HOST="site-a.test").post(
        BACKCHANNEL, {"logout_token": a.logout_token(sid=sid, sub=ADA.sub)}
    )

    assert client.get("/done/").content == b"done:"
    assert not Auth0Token.objects.exists()
    assert a.count(REVOKE, "POST") == 1
