"""Two sites, two tenants, one process: a per-site SOCIAL_AUTH_STRATEGY (the
usual multi-site pattern) gets each site's own domain, client id and secret,
whichever site is served first and however requests interleave."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import social_django.utils
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import DjangoStorage, UserSocialAuth
from social_django.strategy import DjangoStrategy

from social_auth0.backend import Auth0OAuth2, backend_for
from social_auth0.models import Auth0Token
from social_auth0.testing import TenantUser
from social_auth0.user_tokens import store as token_store
from tests.support.tenants import ADA, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = TenantUser(email="grace@example.com", password="cobol")
API = "https://api.example.com/"
VICTIM = TenantUser(email="ada@site-a.example", password="correct horse")
ATTACKER = TenantUser(email="mallory@evil.example", password="hunter2")
# host -> the settings that differ per site (SiteStrategy reads them).
SITES: dict[str, dict[str, str]] = {}


class SiteStrategy(DjangoStrategy):
    """Settings of the request's site first, then Django's."""

    def get_setting(self, name):
        site = SITES.get(self.request.get_host()) if self.request else None
        if site and name in site:
            return site[name]
        return super().get_setting(name)


class SettingStrategy(DjangoStrategy):
    """A per-site strategy that overrides setting() rather than get_setting()."""

    def setting(self, name, default=None, backend=None):
        site = SITES.get(self.request.get_host()) if self.request else None
        if site and f"SOCIAL_AUTH_AUTH0_{name}" in site:
            return site[f"SOCIAL_AUTH_AUTH0_{name}"]
        return super().setting(name, default, backend)


@pytest.fixture(scope="module")
def tenants():
    with (
        make_tenant(
            ADA,
            client_id="site-a-client",
            client_secret="site-a-secret",
            callback_urls=["http://site-a.test/complete/auth0/"],
        ) as a,
        make_tenant(
            GRACE,
            client_id="site-b-client",
            client_secret="site-b-secret",
            callback_urls=["http://site-b.test/complete/auth0/"],
        ) as b,
    ):
        yield a, b


@pytest.fixture(params=[SiteStrategy, SettingStrategy])
def two_sites(request, tenants, settings, monkeypatch):
    """Sites A and B on their own tenants, served by one per-site strategy."""
    strategy = request.param
    monkeypatch.setattr(
        social_django.utils, "STRATEGY", f"{__name__}.{strategy.__name__}"
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test", "site-b.test"]
    for host, tenant in zip(("site-a.test", "site-b.test"), tenants, strict=True):
        app = next(iter(tenant.applications.values()))
        SITES[host] = {
            "SOCIAL_AUTH_AUTH0_DOMAIN": tenant.domain,
            "SOCIAL_AUTH_AUTH0_KEY": app.client_id,
            "SOCIAL_AUTH_AUTH0_SECRET": app.client_secret,
        }
        tenant.misbehave.reset()
        tenant.browser.cookies.clear()
        tenant.clear_requests()
    yield tenants
    SITES.clear()


def login_at(host: str, tenant, user: TenantUser):
    """A whole login at ``host``; returns (client, authorize URL, callback response)."""
    client = Client(HTTP_HOST=host)
    authorize = client.post("/login/auth0/")["Location"]
    if not authorize.startswith(f"{tenant.domain}/authorize?"):
        return client, authorize, None
    tenant.browser.cookies.clear()
    callback = urlsplit(tenant.login(authorize, user.email, user.password))
    return client, authorize, client.get(callback.path, parse_qs(callback.query))


@pytest.mark.parametrize("first", ["site-a.test", "site-b.test"])
def test_each_site_logs_in_at_its_own_tenant(two_sites, first):
    a, b = two_sites
    order = [("site-a.test", a, ADA), ("site-b.test", b, GRACE)]
    if first == "site-b.test":
        order.reverse()
    for _ in range(2):  # interleaved: A B A B (or B A B A)
        for host, tenant, user in order:
            client, authorize, response = login_at(host, tenant, user)
            assert authorize.startswith(f"{tenant.domain}/authorize?"), (
                host,
                authorize,
            )
            query = parse_qs(urlsplit(authorize).query)
            assert query["client_id"] == [f"{host.split('.')[0]}-client"]
            assert query["redirect_uri"] == [f"http://{host}/complete/auth0/"]
            assert response is not None and response["Location"] == "/done/"
            social = UserSocialAuth.objects.get(user__email=user.email)
            # Neither site's tenant is settings.py's: issuer-qualified uids.
            sub = tenant.users[user.email].sub
            assert social.uid == f"{tenant.domain}/{sub}"
            assert client.session["_auth_user_id"] == str(social.user_id)
    assert get_user_model().objects.count() == 2


def test_settings_are_read_per_request_with_a_per_site_strategy(two_sites):
    a, b = two_sites
    backends = {}
    for host in ("site-a.test", "site-b.test", "site-a.test"):
        request = Client(HTTP_HOST=host).get("/done/").wsgi_request
        strategy = social_django.utils.load_strategy(request)
        backend = Auth0OAuth2(strategy, redirect_uri="/complete/auth0/")
        backends[host] = (backend.base_url(), backend.client_id())
        assert backend.get_key_and_secret()[1] == f"{host.split('.')[0]}-secret"
    assert backends == {
        "site-a.test": (a.domain, "site-a-client"),
        "site-b.test": (b.domain, "site-b-client"),
    }


def test_the_tenant_is_resolved_per_request_with_a_per_site_strategy(two_sites):
    a, b = two_sites
    for host, tenant in (("site-a.test", a), ("site-b.test", b), ("site-a.test", a)):
        request = Client(HTTP_HOST=host).get("/done/").wsgi_request
        backend = backend_for(request)
        resolved = backend.tenant()
        assert (resolved.issuer, resolved.client_id) == (
            f"{tenant.domain}/",
            f"{host.split('.')[0]}-client",
        )
        assert backend.tenant_keys().url == f"{tenant.domain}/.well-known/jwks.json"


def test_the_stock_strategy_is_still_memoized(settings):
    strategy = DjangoStrategy(DjangoStorage)
    backend = Auth0OAuth2(strategy, redirect_uri="/complete/auth0/")
    assert backend.setting("DOMAIN") == settings.SOCIAL_AUTH_AUTH0_DOMAIN
    # The memo answers without asking the strategy again...
    strategy.get_setting = None  # would raise if called
    assert backend.setting("DOMAIN") == settings.SOCIAL_AUTH_AUTH0_DOMAIN
    # ...until Django reports a change.
    del strategy.get_setting
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "other.eu.auth0.com"
    assert backend.setting("DOMAIN") == "other.eu.auth0.com"


# The API of a site with a tenant of its own ----------------------------------------


@pytest.fixture(scope="module")
def api_tenants():
    with (
        make_tenant(VICTIM, client_id="site-a-client", apis=[API]) as a,
        make_tenant(ATTACKER, client_id="main-client", apis=[API]) as b,
    ):
        yield a, b


@pytest.mark.urls("tests.support.api_urls")
@pytest.mark.parametrize("path", ["/api/reports/", "/drf/reports/"])
def test_per_site_api_refuses_another_tenants_token(
    api_tenants, settings, monkeypatch, path
):
    site_a, main = api_tenants
    # The main site's tenant is in settings.py; site A (a customer with its own
    # tenant) is overridden per request, as item 6 of issue 8 supports.
    monkeypatch.setattr(
        social_django.utils, "STRATEGY", f"{__name__}.{SiteStrategy.__name__}"
    )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test"]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = main.domain
    settings.SOCIAL_AUTH_AUTH0_KEY = "main-client"
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    SITES["site-a.test"] = {
        "SOCIAL_AUTH_AUTH0_DOMAIN": site_a.domain,
        "SOCIAL_AUTH_AUTH0_KEY": "site-a-client",
    }
    try:
        client = Client(HTTP_HOST="site-a.test")
        # The attacker signs up at the main site's tenant (anyone can) and
        # calls site A's API with that tenant's token.
        stolen = main.access_token_for(ATTACKER, scopes=["read:reports"])
        forged = client.get(path, HTTP_AUTHORIZATION=f"Bearer {stolen}")
        # Site A's own users' tokens must work there.
        own = site_a.access_token_for(VICTIM, scopes=["read:reports"])
        legit = client.get(path, HTTP_AUTHORIZATION=f"Bearer {own}")
    finally:
        SITES.clear()
    assert (forged.status_code, legit.status_code) == (401, 200), (
        forged.content,
        legit.content,
    )


def test_logout_honours_the_sites_store_tokens(two_sites):
    """Only site A stores tokens (its own STORE_TOKENS; Django's is unset):
    logging out there revokes and deletes them at A's tenant, as the login
    that stored them read the setting."""
    a, b = two_sites
    SITES["site-a.test"]["SOCIAL_AUTH_AUTH0_STORE_TOKENS"] = True
    SITES["site-a.test"]["SOCIAL_AUTH_AUTH0_SCOPE"] = ["offline_access"]
    client, _, response = login_at("site-a.test", a, ADA)
    assert response is not None and response["Location"] == "/done/"
    stored = Auth0Token.objects.get(user__email=ADA.email)
    assert stored.refresh_token

    assert client.post("/auth0/logout/").status_code == 302

    assert a.count("/oauth/revoke", "POST") == 1
    assert b.count("/oauth/revoke", "POST") == 0
    assert not Auth0Token.objects.exists()


def test_logout_without_the_sites_store_tokens_revokes_nothing(two_sites, settings):
    """The other way round: Django's STORE_TOKENS is on, site B's is off."""
    a, b = two_sites
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    SITES["site-b.test"]["SOCIAL_AUTH_AUTH0_STORE_TOKENS"] = False
    client, _, response = login_at("site-b.test", b, GRACE)
    assert response is not None and response["Location"] == "/done/"
    assert not Auth0Token.objects.exists()
    user = get_user_model().objects.get(email=GRACE.email)
    token_store.save_login(  # as if stored by an earlier configuration
        user,
        sub=b.users[GRACE.email].sub,
        audience="",
        response={"access_token": "a", "refresh_token": "r", "expires_in": 300},
        sent_at=time.time(),
        leeway=60,
    )

    assert client.post("/auth0/logout/").status_code == 302

    assert b.count("/oauth/revoke", "POST") == 0
    assert Auth0Token.objects.filter(user=user).exists()
