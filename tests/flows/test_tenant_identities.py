"""An identity is (issuer, sub): two sites on one database, each its own
tenant (a per-site SOCIAL_AUTH_STRATEGY), and a user of tenant B whose ``sub``
is Ada's at tenant A. Whole logins, API calls and back-channel logouts
through the emulator, done the way that user would: whichever site's tenant
``settings.py`` names (A, B or neither), B's user never becomes Ada.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import social_django.utils
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import UserSocialAuth

from social_auth0.models import Auth0Session, Auth0Token
from social_auth0.pipeline import PIPELINE
from social_auth0.testing import TenantUser
from tests.support.sites import SITES, STRATEGY
from tests.support.tenants import BACKCHANNEL, make_tenant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.sites_urls"),
]

API = "https://api.example.com/"
SUB = "auth0|65f0c0ffee0000000000ada0"
ADA = TenantUser(email="ada@site-a.example", password="correct horse", sub=SUB)
# Tenant B's user with Ada's sub (a sub is unique only within its tenant).
MALLORY = TenantUser(email="mallory@evil.example", password="hunter2", sub=SUB)
# Tenant B's user with Ada's address, verified: B's say, not A's.
ADA_AT_B = TenantUser(
    email=ADA.email, password="b's own", sub="auth0|65f0c0ffee00000000b0"
)
HOSTS = ("site-a.test", "site-b.test")


@pytest.fixture(scope="module")
def tenants():
    with (
        make_tenant(
            ADA,
            client_id="site-a-client",
            callback_urls=["http://site-a.test/complete/auth0/"],
            apis=[API],
        ) as a,
        make_tenant(
            MALLORY,
            ADA_AT_B,
            client_id="site-b-client",
            callback_urls=["http://site-b.test/complete/auth0/"],
            apis=[API],
        ) as b,
    ):
        yield a, b


@pytest.fixture(
    params=["a", "b", None], ids=["A-in-settings", "B-in-settings", "neither"]
)
def sites(request, tenants, settings, monkeypatch):
    """Sites A and B on their own tenants; settings.py names A's, B's or neither."""
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *HOSTS]
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    if request.param is not None:
        chosen = tenants["ab".index(request.param)]
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = chosen.domain
    for host, tenant in zip(HOSTS, tenants, strict=True):
        app = next(iter(tenant.applications.values()))
        SITES[host] = {
            "SOCIAL_AUTH_AUTH0_DOMAIN": tenant.domain,
            "SOCIAL_AUTH_AUTH0_KEY": app.client_id,
            "SOCIAL_AUTH_AUTH0_SECRET": app.client_secret,
        }
        tenant.misbehave.reset()
        tenant.clear_requests()
    yield tenants
    SITES.clear()


def login_at(host: str, tenant, user: TenantUser) -> Client:
    """A whole login at ``host`` through its tenant's page; the logged-in client."""
    client = Client(HTTP_HOST=host)
    authorize = client.post("/login/auth0/")["Location"]
    assert authorize.startswith(f"{tenant.domain}/authorize?"), authorize
    tenant.browser.cookies.clear()
    callback = urlsplit(tenant.login(authorize, user.email, user.password))
    response = client.get(callback.path, parse_qs(callback.query))
    assert response["Location"] == "/done/", response
    return client


def user_of(client: Client) -> int:
    return int(client.session["_auth_user_id"])


def test_a_login_at_another_tenant_with_adas_sub_never_opens_her_account(sites):
    a, b = sites
    ada = user_of(login_at("site-a.test", a, ADA))

    mallory = user_of(login_at("site-b.test", b, MALLORY))

    assert mallory != ada
    assert get_user_model().objects.get(pk=mallory).email == MALLORY.email
    assert UserSocialAuth.objects.filter(user_id=ada).count() == 1
    assert user_of(login_at("site-a.test", a, ADA)) == ada  # hers, still
    assert user_of(login_at("site-b.test", b, MALLORY)) == mallory


def test_a_verified_address_at_another_tenant_never_links_to_her_account(
    sites, settings
):
    """Email linking (PIPELINE) takes only the account's own tenant's word for
    an address: a tenant's admins can mark any address verified."""
    a, b = sites
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    ada = user_of(login_at("site-a.test", a, ADA))

    other = user_of(login_at("site-b.test", b, ADA_AT_B))

    assert other != ada
    assert UserSocialAuth.objects.filter(user_id=ada).count() == 1
    assert user_of(login_at("site-a.test", a, ADA)) == ada


@pytest.mark.parametrize("path", ["/api/whoami/", "/drf/whoami/"])
def test_another_tenants_token_with_adas_sub_is_not_her_at_the_api(
    sites, settings, path
):
    a, b = sites
    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    ada = user_of(login_at("site-a.test", a, ADA))

    def call(host, tenant, user):
        token = tenant.access_token_for(user)
        return Client(HTTP_HOST=host).get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    # B's token, at B's API: no user of B's tenant is linked to that sub yet.
    forged = call("site-b.test", b, MALLORY)
    assert forged.status_code == 401, forged.content
    assert call("site-a.test", a, ADA).json()["pk"] == ada
    mallory = user_of(login_at("site-b.test", b, MALLORY))
    assert call("site-b.test", b, MALLORY).json()["pk"] == mallory != ada


def test_another_tenants_backchannel_logout_for_adas_sub_leaves_her_logins(
    sites, settings
):
    a, b = sites
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    ada = login_at("site-a.test", a, ADA)
    mallory = login_at("site-b.test", b, MALLORY)
    assert Auth0Token.objects.filter(refresh_token__gt="").count() == 2

    # Tenant B says its user with that sub logged out: B's logins end only.
    sent = Client(HTTP_HOST="site-b.test").post(
        BACKCHANNEL, {"logout_token": b.logout_token(sub=SUB)}
    )

    assert sent.status_code == 200, sent.content
    assert list(Auth0Token.objects.values_list("user_id", flat=True)) == [user_of(ada)]
    assert a.count("/oauth/revoke", "POST") == 0
    assert b.count("/oauth/revoke", "POST") == 1
    active = Auth0Session.objects.filter(revoked_at__isnull=True)
    assert list(active.values_list("user_id", flat=True)) == [user_of(ada)]
    assert ada.get("/done/").content == f"done:{ada_name()}".encode()
    assert mallory.get("/done/").content == b"done:"  # logged out

    # Tenant A's own logout token for Ada ends hers.
    sent = Client(HTTP_HOST="site-a.test").post(
        BACKCHANNEL, {"logout_token": a.logout_token(sub=SUB)}
    )
    assert sent.status_code == 200
    assert not Auth0Token.objects.exists()
    assert a.count("/oauth/revoke", "POST") == 1
    assert not Auth0Session.objects.filter(revoked_at__isnull=True).exists()


def ada_name() -> str:
    return get_user_model().objects.get(email=ADA.email).get_username()


@pytest.fixture
def a_in_settings(tenants, settings, monkeypatch):
    """Sites A and B; settings.py names A's tenant (where old rows are from)."""
    a, b = tenants
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *HOSTS]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = a.domain
    settings.SOCIAL_AUTH_AUTH0_KEY = "site-a-client"
    SITES["site-b.test"] = {
        "SOCIAL_AUTH_AUTH0_DOMAIN": b.domain,
        "SOCIAL_AUTH_AUTH0_KEY": "site-b-client",
    }
    yield tenants
    SITES.clear()


@pytest.mark.parametrize("id_key", ["user_id", "id", ""])
def test_a_row_written_before_keeps_logging_in_for_its_own_tenant(
    a_in_settings, id_key
):
    """Rows hold the bare sub (social-core's backend, the quickstarts, this
    one before identities had issuers): settings.py's tenant's identities."""
    a, b = a_in_settings
    old_user = get_user_model().objects.create_user("ada-before", ADA.email)
    old = UserSocialAuth.objects.create(
        user=old_user, provider="auth0", uid=SUB, id_key=id_key
    )

    assert user_of(login_at("site-b.test", b, MALLORY)) != old_user.pk
    old.refresh_from_db()
    assert (old.uid, old.id_key, old.user_id) == (SUB, id_key, old_user.pk)

    for _ in range(2):
        assert user_of(login_at("site-a.test", a, ADA)) == old_user.pk
    old.refresh_from_db()
    assert (old.uid, old.id_key) == (SUB, "user_id")
    assert UserSocialAuth.objects.count() == 2


def test_a_session_recorded_before_issuers_is_ended_by_its_own_tenant_only(
    a_in_settings, settings
):
    a, b = a_in_settings
    ada = login_at("site-a.test", a, ADA)
    Auth0Session.objects.update(issuer="")  # as recorded before issuers were

    for host, tenant in (("site-b.test", b), ("site-a.test", a)):
        sent = Client(HTTP_HOST=host).post(
            BACKCHANNEL, {"logout_token": tenant.logout_token(sub=SUB)}
        )
        assert sent.status_code == 200
        if host == "site-b.test":
            assert ada.get("/done/").content == f"done:{ada_name()}".encode()
    assert ada.get("/done/").content == b"done:"


def test_another_tenants_stored_tokens_refresh(sites, settings):
    """The stored identity of a tenant settings.py does not name is
    issuer-qualified: a refresh answer's ID token is still the same user's."""
    from social_auth0.access import get_access_token

    a, b = sites
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    for host, tenant, user in (("site-a.test", a, ADA), ("site-b.test", b, MALLORY)):
        client = login_at(host, tenant, user)
        first = Auth0Token.objects.get(user_id=user_of(client))
        request = client.get("/done/").wsgi_request

        refreshed = get_access_token(request, min_ttl=10**6)  # forces a refresh

        assert tenant.count("/oauth/token", "POST") == 2
        assert Auth0Token.objects.get(pk=first.pk).version > first.version
        assert isinstance(refreshed, str) and refreshed


def test_a_verified_address_at_another_tenant_never_links_to_a_local_account(
    sites, settings, request
):
    """An account without an identity (``createsuperuser``, the admin) is the
    site's, and a tenant's ``email_verified`` is that tenant's say: only the
    tenant settings.py names (as for rows holding the bare sub) links to it."""
    a, b = sites
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    local = get_user_model().objects.create_superuser("root", ADA.email, "pw")

    at_b = user_of(login_at("site-b.test", b, ADA_AT_B))

    named = request.node.callspec.id  # whose tenant settings.py names
    assert (at_b == local.pk) is (named == "B-in-settings")


def test_the_longest_sub_of_another_tenant_still_fits_its_rows(sites, settings):
    """OpenID Connect allows a 255-character ``sub``; qualified with the
    issuer it must still fit ``UserSocialAuth.uid`` and ``Auth0Token.sub``
    (PostgreSQL and MySQL refuse a longer value: a 500 at the callback), stay
    that identity's alone, and be found again by the API and a logout."""
    a, b = sites
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    long_sub = "samlp|acme-sso|" + "x" * 240
    b.add_user(TenantUser(email="long@b.example", password="pw", sub=long_sub))
    twin = long_sub[:-1] + "y"  # the same first 254 characters
    b.add_user(TenantUser(email="twin@b.example", password="pw", sub=twin))
    limit = UserSocialAuth._meta.get_field("uid").max_length
    assert len(long_sub) == 255 and limit == 255

    long_user = user_of(login_at("site-b.test", b, b.user("long@b.example")))
    twin_user = user_of(login_at("site-b.test", b, b.user("twin@b.example")))

    assert long_user != twin_user
    for row in UserSocialAuth.objects.all():
        assert len(row.uid) <= limit, row.uid
    for token in Auth0Token.objects.all():
        assert len(token.sub) <= Auth0Token._meta.get_field("sub").max_length
    assert user_of(login_at("site-b.test", b, b.user("long@b.example"))) == long_user
    token = b.access_token_for(b.user("long@b.example"))
    called = Client(HTTP_HOST="site-b.test").get(
        "/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert called.json()["pk"] == long_user
