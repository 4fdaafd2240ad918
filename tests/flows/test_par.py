"""Pushed authorization requests (RFC 9126), over loopback against the tenant
emulator: the browser carries only ``client_id`` and ``request_uri``; a
refused push or an unreachable tenant ends on the error page, logged once."""

from __future__ import annotations

import json
import logging
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from social_core.exceptions import AuthResponseError
from social_django.models import UserSocialAuth

from social_auth0.backend import backend_for
from social_auth0.login import par
from tests.support.hostile import HostileServer
from tests.support.ports import free_port
from tests.support.tenants import ADA, begin_login

pytestmark = pytest.mark.django_db(transaction=True)

PAR = "/oauth/par"


@pytest.fixture(autouse=True)
def pushed(use_tenant, tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 1
    tenant.pushed_authorization_requests = True
    yield
    tenant.require_pushed_authorization_requests(required=False)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def pushes(tenant) -> list:
    return [r for r in tenant.requests if r.path == PAR]


def logged_in(client: Client, tenant, authorize_url: str):
    callback = tenant.login(authorize_url, ADA.email, ADA.password)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    return client.get(f"{path}?{query}")


def test_the_browser_carries_only_the_client_id_and_the_request_uri(tenant):
    client = Client()
    authorize_url = begin_login(client)

    assert authorize_url.startswith(f"{tenant.base_url}/authorize?")
    query = query_of(authorize_url)
    assert set(query) == {"client_id", "request_uri"}
    assert query["client_id"] == ["test-client-id"]
    assert query["request_uri"][0].startswith(par.REQUEST_URI_PREFIX)
    # Everything else went over the back channel, with the client's authentication.
    (push,) = pushes(tenant)
    assert push.method == "POST" and push.status == 201
    for name in ("state", "nonce", "code_challenge", "scope", "redirect_uri"):
        assert push.form[name], name
    assert push.form["code_challenge_method"] == "S256"
    assert push.form["response_type"] == "code"
    assert push.form["client_secret"] == "[redacted]"

    response = logged_in(client, tenant, authorize_url)
    assert response["Location"] == "/done/"
    assert client.session["_auth_user_id"]


def test_pushed_request_carries_audience_organization_and_request_params(
    tenant, settings
):
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com/"
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["screen_hint", "login_hint"]
    begin_login(Client(), screen_hint="signup", login_hint=ADA.email)
    (push,) = pushes(tenant)
    assert push.form["audience"] == "https://api.example.com/"
    assert push.form["screen_hint"] == "signup"
    assert push.form["login_hint"] == ADA.email


def test_a_tenant_requiring_par_refuses_a_plain_request_and_takes_a_pushed_one(
    tenant, settings
):
    tenant.require_pushed_authorization_requests()
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = False
    plain = tenant.browser.get(begin_login(Client()), allow_redirects=False)
    assert plain.status_code == 400
    assert "Pushed authorization request required" in plain.text

    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    client = Client()
    response = logged_in(client, tenant, begin_login(client))
    assert response["Location"] == "/done/"


def test_a_request_uri_is_used_once(tenant):
    authorize_url = begin_login(Client())
    first = tenant.browser.get(authorize_url, allow_redirects=False)
    assert first.status_code == 302
    again = tenant.browser.get(authorize_url, allow_redirects=False)
    assert again.status_code == 400
    assert "Invalid request_uri" in again.text


def refused_login(client: Client, caplog) -> str:
    """The start of the login ended on the error page with a message, nobody
    in, logged once; the log line."""
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/login/auth0/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login-error/")
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert not UserSocialAuth.objects.exists()
    records = [r for r in caplog.records if r.name == "social_auth0.backend"]
    assert len(records) == 1, [r.getMessage() for r in records]
    return records[0].getMessage()


@pytest.mark.parametrize("status", [400, 401])
def test_a_refused_push_is_a_login_error(tenant, caplog, status):
    tenant.misbehave.par_status = status
    message = refused_login(Client(), caplog)
    assert "stage=begin" in message
    assert "test-client-secret" not in caplog.text
    assert tenant.count("/authorize") == 0


def test_a_push_with_the_wrong_secret_names_the_setting(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_SECRET = "wrong-secret"
    message = refused_login(Client(), caplog)
    assert "AuthConfigurationError" in message and "parameter=SECRET" in message


def test_an_unreachable_tenant_at_the_push_is_a_login_error(settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = f"http://127.0.0.1:{free_port()}"
    message = refused_login(Client(), caplog)
    assert "connection_failed" in message


@pytest.mark.parametrize(
    "answer",
    [
        {"request_uri": "https://evil.example/x", "expires_in": 30},
        {"request_uri": par.REQUEST_URI_PREFIX + "a" * 600, "expires_in": 30},
        {"request_uri": par.REQUEST_URI_PREFIX + "a&redirect_uri=x", "expires_in": 30},
        {"request_uri": par.REQUEST_URI_PREFIX + "abc", "expires_in": 10**9},
        {"request_uri": par.REQUEST_URI_PREFIX + "abc", "expires_in": True},
        {"request_uri": par.REQUEST_URI_PREFIX + "abc"},
        ["not", "an", "object"],
    ],
    ids=[
        "other-url",
        "long",
        "characters",
        "expires-huge",
        "expires-bool",
        "no-expiry",
        "list",
    ],
)
def test_a_push_answer_out_of_bounds_is_a_login_error(settings, caplog, answer):
    body = json.dumps(answer).encode()

    def reply(handler) -> None:
        handler.reply(201, body)

    with HostileServer(reply) as hostile:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = hostile.url
        message = refused_login(Client(), caplog)
    assert "malformed_response" in message


def test_a_push_answer_within_bounds_is_taken():
    backend = backend_for(None)
    uri = par.REQUEST_URI_PREFIX + "6esc_11ACC5bwc014ltc14eY22c"
    assert par.request_uri_of(backend, {"request_uri": uri, "expires_in": 30}) == uri
    with pytest.raises(AuthResponseError):
        par.request_uri_of(backend, {"request_uri": uri, "expires_in": 0})


def auth0check() -> str:
    out = StringIO()
    try:
        call_command(
            "auth0check",
            "--site-url",
            "http://testserver",
            stdout=out,
            stderr=out,
            no_color=True,
        )
    except CommandError:
        pass
    return out.getvalue()


def test_auth0check_says_whether_the_tenant_advertises_par(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = False
    assert "pushed authorization requests advertised" in auth0check()
    tenant.pushed_authorization_requests = False
    assert "pushed authorization requests not advertised" in auth0check()


def test_auth0check_fails_par_on_a_tenant_without_it(tenant):
    tenant.pushed_authorization_requests = False
    output = auth0check()
    assert "FAIL  discovery" in output
    assert "pushed_authorization_request_endpoint" in output
    tenant.pushed_authorization_requests = True
    tenant.clear_requests()
    output = auth0check()
    assert "OK    discovery" in output
    assert "callback     http://testserver/complete/auth0/ is accepted" in output
    assert tenant.count(PAR, "POST") == 1  # the callback check pushed, as a login
