"""Two sites, two tenants, one process: a per-site SOCIAL_AUTH_STRATEGY (the
usual multi-site pattern) gets each site's own domain, client id and secret,
whichever site is served first and however requests interleave."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import social_core.backends.utils
import social_django.utils
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from social_django.models import DjangoStorage, UserSocialAuth
from social_django.strategy import DjangoStrategy

from social_auth0 import clock
from social_auth0.access import get_access_token
from social_auth0.backend import Auth0OAuth2, backend_for
from social_auth0.models import Auth0Token
from social_auth0.sessions import SESSION_KEY
from social_auth0.testing import TenantUser
from social_auth0.user_tokens import store as token_store
from tests.support.sites import SITES, STRATEGY, SiteStrategy
from tests.support.tenants import ADA, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = TenantUser(email="grace@example.com", password="cobol")
API = "https://api.example.com/"
VICTIM = TenantUser(email="ada@site-a.example", password="correct horse")
ATTACKER = TenantUser(email="mallory@evil.example", password="hunter2")


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
        social_django.utils, "STRATEGY", f"{strategy.__module__}.{strategy.__name__}"
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
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
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


@pytest.mark.urls("tests.support.api_urls")
@pytest.mark.parametrize("path", ["/api/reports/", "/drf/reports/"])
def test_an_api_only_site_reads_each_sites_tenant(
    api_tenants, settings, monkeypatch, path
):
    """No Auth0 backend listed (none ever loaded) and no client id: the API
    still reads the tenant through the request's per-site strategy."""
    site_a, main = api_tenants
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
    monkeypatch.setattr(social_core.backends.utils, "BACKENDSCACHE", {})
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    del settings.SOCIAL_AUTH_AUTH0_KEY, settings.SOCIAL_AUTH_AUTH0_SECRET
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test"]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = main.domain
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    SITES["site-a.test"] = {"SOCIAL_AUTH_AUTH0_DOMAIN": site_a.domain}
    tokens = {
        "a": site_a.access_token_for(VICTIM, scopes=["read:reports"]),
        "main": main.access_token_for(ATTACKER, scopes=["read:reports"]),
    }
    try:
        answers = [
            Client(HTTP_HOST=host).get(path, HTTP_AUTHORIZATION=f"Bearer {tokens[t]}")
            for host, t in [
                ("site-a.test", "a"),
                ("site-a.test", "main"),
                ("testserver", "main"),
                ("testserver", "a"),
            ]
        ]
    finally:
        SITES.clear()
    assert [a.status_code for a in answers] == [200, 401, 200, 401]
    assert "auth0" not in social_core.backends.utils.BACKENDSCACHE


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


# Every path after login reads the request's site ------------------------------------


def store_tokens_at(host: str, audience: str = API) -> None:
    """Site ``host`` keeps its users' tokens (Django's settings keep none)."""
    SITES[host].update(
        {
            "SOCIAL_AUTH_AUTH0_STORE_TOKENS": True,
            "SOCIAL_AUTH_AUTH0_SCOPE": ["offline_access"],
            "SOCIAL_AUTH_AUTH0_AUDIENCE": audience,
        }
    )


def refresh_token_of(email: str) -> str:
    user = get_user_model().objects.get(email=email)
    tokens = token_store.load(user.pk, API)
    assert tokens is not None and tokens.refresh_token
    return tokens.refresh_token


def revokes(*tenants) -> tuple[int, ...]:
    """How many revocations each tenant received."""
    return tuple(tenant.count("/oauth/revoke", "POST") for tenant in tenants)


def request_at(host: str, client: Client | None = None):
    """A request to ``host`` as a view (``client``'s session) or a task (none)."""
    request = RequestFactory(HTTP_HOST=host).get("/reports/")
    if client is not None:
        request.session = SessionStore(client.session.session_key)
        user_id = client.session["_auth_user_id"]
    else:
        user_id = Auth0Token.objects.get().user_id
    request.user = get_user_model().objects.get(pk=user_id)
    return request


def test_backchannel_logout_revokes_at_the_sites_tenant(two_sites):
    a, b = two_sites
    store_tokens_at("site-a.test")
    client, _, _ = login_at("site-a.test", a, ADA)
    refresh_token = refresh_token_of(ADA.email)
    sid = client.session[SESSION_KEY]["sid"]

    answer = Client(HTTP_HOST="site-a.test").post(
        "/auth0/backchannel-logout/", {"logout_token": a.logout_token(sid=sid)}
    )

    assert answer.status_code == 200
    assert revokes(a, b) == (1, 0)
    assert a.state.refresh_token_state(refresh_token) == "revoked"
    assert not Auth0Token.objects.exists()


@pytest.mark.parametrize("bound", [True, False], ids=["view", "task"])
def test_refresh_uses_the_sites_tenant_and_audience(two_sites, monkeypatch, bound):
    """A request of site A refreshes at A's tenant for A's AUDIENCE (Django's
    settings name neither), whether it carries a session or not."""
    a, b = two_sites
    monkeypatch.setattr(
        next(iter(a.applications.values())), "access_token_lifetime", 300
    )
    store_tokens_at("site-a.test")
    client, _, _ = login_at("site-a.test", a, ADA)
    before = refresh_token_of(ADA.email)
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + 3600)

    token = get_access_token(request_at("site-a.test", client if bound else None))

    assert token and refresh_token_of(ADA.email) != before
    refreshes = [
        r
        for tenant in (a, b)
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]
    assert [r.form["client_id"] for r in refreshes] == ["site-a-client"]
    assert a.state.refresh_token_state(before) == "spent"


def test_a_second_login_revokes_the_replaced_token_at_the_sites_tenant(two_sites):
    a, b = two_sites
    store_tokens_at("site-a.test")
    login_at("site-a.test", a, ADA)
    first = refresh_token_of(ADA.email)

    login_at("site-a.test", a, ADA)  # another browser

    assert revokes(a, b) == (1, 0)
    assert a.state.refresh_token_state(first) == "revoked"


def test_disconnect_revokes_at_the_sites_tenant(two_sites):
    a, b = two_sites
    store_tokens_at("site-b.test")
    client, _, _ = login_at("site-b.test", b, GRACE)
    refresh_token = refresh_token_of(GRACE.email)
    user = get_user_model().objects.get(email=GRACE.email)
    user.set_password("another way in")  # else social-core refuses to disconnect
    user.save()
    session = client.session
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()

    client.post("/disconnect/auth0/")

    assert not UserSocialAuth.objects.exists()
    assert revokes(a, b) == (0, 1)
    assert b.state.refresh_token_state(refresh_token) == "revoked"
    assert not Auth0Token.objects.exists()


@pytest.mark.urls("tests.support.stepup_urls")
def test_step_up_goes_through_the_sites_tenant_with_its_leeway(two_sites, monkeypatch):
    """Site B steps up at B's tenant; B's LEEWAY (not Django's) decides."""
    a, b = two_sites
    SITES["site-b.test"]["SOCIAL_AUTH_AUTH0_LEEWAY"] = 120
    client, _, _ = login_at("site-b.test", b, GRACE)
    # 400 s after the login: within max_age (300) + B's leeway (120) ...
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + 400)
    assert client.get("/recent/").content == b"recent:grace"
    # ... and beyond it at 1000 s: back through B's tenant, then the view.
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + 1000)
    response = client.get("/recent/")
    assert response["Location"].startswith("/auth0/login/?next=")
    page = client.get(response["Location"]).content.decode()
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
    authorize = client.post("/login/auth0/", fields)["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{b.domain}/authorize?")
    assert (query["client_id"], query["max_age"]) == (["site-b-client"], ["300"])
    monkeypatch.setattr(clock, "current_time", time.time)
    b.browser.cookies.clear()
    callback = urlsplit(b.login(authorize, GRACE.email, GRACE.password))
    assert client.get(callback.path, parse_qs(callback.query))["Location"] == "/recent/"
    assert client.get("/recent/").content == b"recent:grace"


@pytest.mark.urls("tests.support.api_urls")
def test_the_api_answers_with_the_sites_own_settings(
    api_tenants, settings, monkeypatch
):
    """API_REALM and API_AUDIENCE of site A, Django's elsewhere."""
    site_a, main = api_tenants
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test"]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = main.domain
    settings.SOCIAL_AUTH_AUTH0_KEY = "main-client"
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://other-api.example.com/"
    SITES["site-a.test"] = {
        "SOCIAL_AUTH_AUTH0_DOMAIN": site_a.domain,
        "SOCIAL_AUTH_AUTH0_KEY": "site-a-client",
        "SOCIAL_AUTH_AUTH0_API_AUDIENCE": API,
        "SOCIAL_AUTH_AUTH0_API_REALM": "site-a",
    }
    try:
        own = site_a.access_token_for(VICTIM, scopes=["read:reports"])
        at_a = Client(HTTP_HOST="site-a.test")
        accepted = at_a.get("/api/reports/", HTTP_AUTHORIZATION=f"Bearer {own}")
        refused_at_a = at_a.get("/api/reports/")
        refused_at_main = Client().get("/api/reports/")
    finally:
        SITES.clear()
    assert accepted.status_code == 200, accepted.content
    assert 'realm="site-a"' in refused_at_a["WWW-Authenticate"]
    assert 'realm="site-a"' not in refused_at_main["WWW-Authenticate"]


class SiteBackend(Auth0OAuth2):
    """A per-site backend (rather than a strategy): the request's site first."""

    def setting(self, name, default=None):
        request = getattr(self.strategy, "request", None)
        site = SITES.get(request.get_host()) if request is not None else None
        if site and f"SOCIAL_AUTH_AUTH0_{name}" in site:
            return site[f"SOCIAL_AUTH_AUTH0_{name}"]
        return super().setting(name, default)


def test_logout_honours_a_per_site_backends_store_tokens(
    tenants, settings, monkeypatch
):
    """The login stored the tokens because the site's backend said so; the
    logout asks the same backend, not Django's settings."""
    a, b = tenants
    monkeypatch.setattr(social_core.backends.utils, "BACKENDSCACHE", {})
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test"]
    settings.AUTHENTICATION_BACKENDS = [
        f"{__name__}.SiteBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    app = next(iter(a.applications.values()))
    SITES["site-a.test"] = {
        "SOCIAL_AUTH_AUTH0_DOMAIN": a.domain,
        "SOCIAL_AUTH_AUTH0_KEY": app.client_id,
        "SOCIAL_AUTH_AUTH0_SECRET": app.client_secret,
    }
    store_tokens_at("site-a.test")
    a.clear_requests()
    try:
        client, authorize, response = login_at("site-a.test", a, ADA)
        assert response is not None and response["Location"] == "/done/", authorize
        refresh_token = refresh_token_of(ADA.email)
        assert client.post("/auth0/logout/").status_code == 302
    finally:
        SITES.clear()
    assert revokes(a, b) == (1, 0)
    assert a.state.refresh_token_state(refresh_token) == "revoked"
    assert not Auth0Token.objects.exists()


@pytest.mark.urls("tests.support.api_urls")
def test_a_misconfigured_sites_api_still_names_the_per_site_backends_realm(
    settings, monkeypatch
):
    """A request without a token at a site without a DOMAIN (nothing can be
    verified there) is answered under the realm that site's backend names,
    not Django's settings' (the challenge's fallback asked no backend)."""
    monkeypatch.setattr(social_core.backends.utils, "BACKENDSCACHE", {})
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test"]
    settings.AUTHENTICATION_BACKENDS = [
        f"{__name__}.SiteBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    del settings.SOCIAL_AUTH_AUTH0_DOMAIN
    SITES["site-a.test"] = {"SOCIAL_AUTH_AUTH0_API_REALM": "site-a"}
    try:
        response = Client(HTTP_HOST="site-a.test").get("/api/reports/")
    finally:
        SITES.clear()
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="site-a"'
