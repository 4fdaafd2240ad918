"""MFA demanded at refresh: Auth0 answers a refresh 403 ``mfa_required`` (an
Action demanding MFA for the API). ``get_access_token`` keeps the stored
tokens and raises ``MfaRequired``; its documented handling (``mfa_step_up``)
sends the user through a step-up login with MFA and back, after which the
same call succeeds. Over loopback against the tenant emulator; the view is
the one docs/enterprise.rst shows."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import path

from social_auth0.access import MfaRequired, get_access_token, mfa_step_up
from social_auth0.errors import ReauthenticationRequired
from social_auth0.login.stepup import MFA_ACR
from social_auth0.models import Auth0Token
from social_auth0.user_tokens import store as token_store
from tests.support.docs import doc_block
from tests.support.tenants import ADA, begin_login, complete_login
from tests.urls import urlpatterns as base_urls

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
]

API = "https://api.example.com/"
LIFETIME = 300
namespace: dict = {"__name__": __name__}
exec(doc_block("docs/enterprise.rst", "mfa-at-refresh-view"), namespace)  # noqa: S102
reports = namespace["reports"]
urlpatterns = [*base_urls, path("reports/", reports)]


@pytest.fixture(scope="module")
def tenant(tenant):
    tenant.add_api(API)
    tenant.applications["test-client-id"].access_token_lifetime = LIFETIME
    return tenant


@pytest.fixture(autouse=True)
def stored(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


def refreshes(tenant) -> list:
    return [
        r
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]


def logged_in(tenant) -> Client:
    client = Client()
    assert (
        complete_login(client, tenant, ADA.email, ADA.password)["Location"] == "/done/"
    )
    return client


def view_request(client: Client) -> HttpRequest:
    return client.get("/done/").wsgi_request


def test_mfa_required_keeps_the_tokens_then_a_step_up_satisfies_it(tenant, caplog):
    client = logged_in(tenant)
    tenant.require_mfa_at_refresh(API)
    before = Auth0Token.objects.get()

    # The token lives 300 s: asking for 400 sends the refresh, which needs MFA.
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(MfaRequired) as raised:
            get_access_token(view_request(client), min_ttl=400)
    assert isinstance(raised.value, ReauthenticationRequired)
    assert raised.value.provider_code == "mfa_required"
    assert raised.value.status_code == 403
    after = Auth0Token.objects.get()  # kept: the same tokens, no retry pending
    assert (after.pk, after.refresh_token) == (before.pk, before.refresh_token)
    assert not token_store.load(after.user_id, API).exchange_in_doubt
    assert len(refreshes(tenant)) == 1
    # Auth0's mfa_token is in no log line and on no row.
    mfa_token = tenant.mfa.last_mfa_token
    assert mfa_token and mfa_token not in caplog.text
    assert mfa_token not in repr(raised.value.__dict__)
    row = Auth0Token.objects.filter(pk=after.pk).values().get()
    assert mfa_token not in repr(row)

    # The documented view: the step-up login, with MFA and the API's audience.
    response = client.get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == "/auth0/login/?next=/reports/"
    authorize_url = begin_login(client, next="/reports/")  # the login page's form
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["acr_values"] == [MFA_ACR]
    assert query["audience"] == [API]
    callback = tenant.login_with_mfa(authorize_url, ADA.email, ADA.password)
    done = client.get(callback.removeprefix("http://testserver"))
    assert done["Location"] == "/reports/"

    # The same call succeeds now, and so does the next refresh.
    assert client.get("/reports/").content.decode().startswith("token for ")
    assert get_access_token(view_request(client), min_ttl=60)
    assert get_access_token(view_request(client), min_ttl=400)
    # Refused for the direct call and the view's first; then answered.
    assert [r.status for r in refreshes(tenant)] == [403, 403, 200, 200]

    # Demanded again: asked again, though this session's login did MFA.
    tenant.require_mfa_at_refresh(API)
    response = client.get("/reports/")
    assert response.status_code == 302
    assert client.session["_social_auth0_step_up"]["mfa"] is True


def test_mfa_step_up_without_an_auth0_login_asks_to_log_in(rf):
    request = rf.get("/reports/")
    request.session = {}
    with pytest.raises(ReauthenticationRequired):
        mfa_step_up(request)
