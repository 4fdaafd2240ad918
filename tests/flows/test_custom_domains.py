"""One tenant, several custom domains (``CUSTOM_DOMAINS``, ``DOMAIN_RESOLVER``):
whole logins, logouts and back-channel logouts against the tenant emulator
serving ``127.0.0.1`` and ``localhost`` (same port, same keys, own issuers)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.test import Client
from social_django.models import UserSocialAuth

from social_auth0.jwt.keys import forget_keys
from social_auth0.models import Auth0Session
from social_auth0.sessions import SESSION_KEY
from social_auth0.testing import Auth0Tenant
from tests.support.tenants import ADA, BACKCHANNEL

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

DOMAIN_HEADER = "X-Login-Domain"  # what tests/flows' resolver reads


def resolver(request):
    """The DOMAIN_RESOLVER of these tests: the domain a header names."""
    chosen = request.headers.get(DOMAIN_HEADER, "")
    if chosen == "raise":
        raise RuntimeError("a bug in the site's resolver")
    return chosen or request.get_host()


@pytest.fixture(scope="module")
def tenant_options():
    return {"logout_urls": ["http://testserver/done/"]}


@pytest.fixture(scope="module")
def second(tenant: Auth0Tenant) -> str:
    """The tenant's second domain (``localhost``): its base URL."""
    return tenant.add_custom_domain("localhost")


@pytest.fixture
def use_tenant(use_tenant, settings, second):
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = [second]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER = f"{__name__}.resolver"
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 2
    return use_tenant


def start(client: Client, domain: str) -> str:
    """Start a login the resolver pins to ``domain``; the authorize URL."""
    response = client.post("/login/auth0/", headers={DOMAIN_HEADER: domain})
    assert response.status_code == 302, response
    return response["Location"]


def finish(client: Client, tenant: Auth0Tenant, authorize_url: str):
    """Log in at the domain ``authorize_url`` is on; the callback's response."""
    parts = urlsplit(authorize_url)
    with tenant.on_domain(f"{parts.scheme}://{parts.netloc}"):
        callback = tenant.login(authorize_url, ADA.email, ADA.password)
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def login_at(tenant: Auth0Tenant, domain: str) -> Client:
    client = Client()
    tenant.browser.cookies.clear()
    response = finish(client, tenant, start(client, domain))
    assert response["Location"] == "/done/"
    return client


def backend_records(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "social_auth0.backend"]


def hosts_of(tenant: Auth0Tenant, path: str) -> list[str]:
    return [r.headers["Host"] for r in tenant.requests if r.path == path]


def test_login_on_the_second_domain_uses_it_throughout(tenant, second):
    client = Client()
    authorize = start(client, second)
    assert authorize.startswith(f"{second}/authorize?")
    tenant.clear_requests()
    assert finish(client, tenant, authorize)["Location"] == "/done/"
    host = urlsplit(second).netloc
    assert hosts_of(tenant, "/oauth/token") == [host]
    assert hosts_of(tenant, "/.well-known/jwks.json") == [host]
    assert client.session[SESSION_KEY]["iss"] == f"{second}/"
    assert Auth0Session.objects.get().issuer == f"{second}/"
    # One tenant: the same identity as a login at DOMAIN (the bare sub).
    assert UserSocialAuth.objects.get().uid == tenant.user(ADA.email).sub


def test_logins_at_both_domains_are_one_user(tenant, second):
    login_at(tenant, tenant.domain)
    login_at(tenant, second)
    assert get_user_model().objects.count() == 1
    issuers = set(Auth0Session.objects.values_list("issuer", flat=True))
    assert issuers == {f"{tenant.domain}/", f"{second}/"}


def test_id_token_of_the_other_domain_is_refused(tenant, second, caplog):
    """The login is pinned to the second domain; the browser is sent to the
    first domain's /authorize instead (same client, same keys): the code
    exchange at the second domain answers an ID token whose iss is the
    first's, which this login refuses."""
    client = Client()
    pinned = urlsplit(start(client, second))
    first = urlsplit(tenant.domain)
    diverted = urlunsplit(pinned._replace(netloc=first.netloc))
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = finish(client, tenant, diverted)
    assert response.status_code == 302
    assert response["Location"].startswith("/login-error/")
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert "_auth_user_id" not in client.session
    assert not UserSocialAuth.objects.exists()
    records = backend_records(caplog)
    assert len(records) == 1
    assert "claim=iss" in records[0]
    assert f"is not '{second}/'" in records[0]


def test_login_stays_pinned_whatever_the_resolver_says_later(tenant, second):
    client = Client()
    authorize = start(client, second)
    # The callback arrives without the header: the resolver would answer
    # DOMAIN now, but the transaction keeps the second domain.
    tenant.clear_requests()
    assert finish(client, tenant, authorize)["Location"] == "/done/"
    assert hosts_of(tenant, "/oauth/token") == [urlsplit(second).netloc]


@pytest.mark.parametrize(
    "answer", ["https://evil.example", "evil.example", "", "raise", "not a host"]
)
def test_resolver_answering_an_unconfigured_domain_is_a_login_error(
    tenant, answer, caplog, settings
):
    if answer == "":  # the resolver returns the site's own host: not the tenant's
        settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/login/auth0/", headers={DOMAIN_HEADER: answer})
    assert response.status_code == 302
    assert response["Location"].startswith("/login-error/")
    assert "evil" not in response["Location"]
    assert len(list(get_messages(response.wsgi_request))) == 1
    records = backend_records(caplog)
    assert len(records) == 1
    assert "parameter=DOMAIN_RESOLVER" in records[0]
    assert tenant.requests == []


def test_logout_goes_to_the_domain_of_the_login(tenant, second):
    client = login_at(tenant, second)
    sid = client.session[SESSION_KEY]["sid"]
    location = client.post("/auth0/logout/")["Location"]
    assert location.startswith(f"{second}/oidc/logout?")
    with tenant.on_domain(second):
        back = tenant.browser.get(location, allow_redirects=False)
    assert back.status_code == 302
    assert sid not in tenant.sessions


def test_logout_at_domain_login_goes_to_domain(tenant):
    client = login_at(tenant, tenant.domain)
    assert client.post("/auth0/logout/")["Location"].startswith(
        f"{tenant.domain}/oidc/logout?"
    )


# Back-channel logout ----------------------------------------------------------


def logged_in(client: Client) -> bool:
    return client.get("/done/").content != b"done:"


def test_logout_token_of_a_domain_ends_only_its_sessions(tenant, second):
    at_first = login_at(tenant, tenant.domain)
    at_second = login_at(tenant, second)
    with tenant.on_domain(second):
        token = tenant.logout_token(sub=tenant.user(ADA.email).sub)
    response = Client().post(BACKCHANNEL, {"logout_token": token})
    assert response.status_code == 200
    assert not logged_in(at_second)
    assert logged_in(at_first)


def test_logout_token_naming_another_domains_sid_ends_nothing(tenant, second):
    at_first = login_at(tenant, tenant.domain)
    sid = at_first.session[SESSION_KEY]["sid"]
    with tenant.on_domain(second):
        token = tenant.logout_token(sid=sid)
    assert Client().post(BACKCHANNEL, {"logout_token": token}).status_code == 200
    assert logged_in(at_first)


def test_logout_token_of_each_domain_is_accepted(tenant, second):
    for domain in (tenant.domain, second):
        client = login_at(tenant, domain)
        with tenant.on_domain(domain):
            token = tenant.logout_token(sid=client.session[SESSION_KEY]["sid"])
        assert Client().post(BACKCHANNEL, {"logout_token": token}).status_code == 200
        assert not logged_in(client)


def test_logout_token_of_an_unlisted_issuer_costs_no_request(tenant, caplog):
    client = login_at(tenant, tenant.domain)
    token = tenant.logout_token(
        sid=client.session[SESSION_KEY]["sid"], iss="http://127.0.0.2:1/"
    )
    forget_keys()  # cold keys: a lookup would fetch
    caches["default"].clear()
    tenant.clear_requests()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = Client().post(BACKCHANNEL, {"logout_token": token})
    assert response.status_code == 400
    assert tenant.requests == []
    assert "claim=iss" in caplog.text
    assert logged_in(client)


def test_callback_of_a_domain_removed_meanwhile_is_a_login_error(
    tenant, second, settings, caplog
):
    client = Client()
    authorize = start(client, second)
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = []  # a deploy in between
    tenant.clear_requests()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = finish(client, tenant, authorize)
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
    records = backend_records(caplog)
    assert len(records) == 1
    assert "AuthSessionError session_context_missing" in records[0]
    assert hosts_of(tenant, "/oauth/token") == []  # the code is not exchanged


@pytest.fixture
def store_tokens(settings):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com/"
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


@pytest.mark.usefixtures("store_tokens")
def test_sub_only_logout_token_revokes_the_tokens_of_its_domains_logins(tenant, second):
    from social_auth0.models import Auth0Token

    login_at(tenant, second)
    assert Auth0Token.objects.count() == 1
    with tenant.on_domain(tenant.domain):  # DOMAIN's: no login of ADA there
        token = tenant.logout_token(sub=tenant.user(ADA.email).sub)
    assert Client().post(BACKCHANNEL, {"logout_token": token}).status_code == 200
    assert Auth0Token.objects.count() == 1
    assert tenant.count("/oauth/revoke", "POST") == 0
    with tenant.on_domain(second):
        token = tenant.logout_token(sub=tenant.user(ADA.email).sub)
    assert Client().post(BACKCHANNEL, {"logout_token": token}).status_code == 200
    assert not Auth0Token.objects.exists()
    assert tenant.count("/oauth/revoke", "POST") == 1
