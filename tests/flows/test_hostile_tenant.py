"""Whole logins, refreshes and auth0check against a hostile tenant: a real
HTTP server on loopback (alone, or in front of the emulator) answering with a
redirect to a second server, a body trickled one byte at a time, a body nested
thousands of levels deep, an ``expires_in`` of ``10**400``.

Every one ends in a structured error: a login in a redirect with a message and
no user row (never a 500), a refresh in a social-core error, auth0check in a
FAIL line. Nothing is ever sent where a redirect points.
"""

from __future__ import annotations

import json
import logging
import time
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from social_core.exceptions import AuthProviderError, AuthResponseError
from social_django.models import UserSocialAuth

from social_auth0 import clock, outbound
from social_auth0.access import get_access_token
from social_auth0.backend import backend_for
from social_auth0.models import Auth0Token
from social_auth0.user_tokens import refresh
from social_auth0.user_tokens.revocation import revoke_refresh_tokens
from social_auth0.user_tokens.store import IssuedToken
from tests.support.hostile import HostileServer
from tests.support.tenants import ADA, begin_login, complete_login

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "test-client-secret"
NESTED = b"[" * 100_000 + b"]" * 100_000
HUGE_EXPIRES_IN = b'{"access_token": "x", "token_type": "Bearer", "expires_in": 1' + (
    b"0" * 400 + b"}"
)
# A legitimate-looking answer, trickled: it would take a minute to arrive.
SLOW_BODY = json.dumps({"access_token": "x" * 100, "expires_in": 86400}).encode()
API = "https://api.example.com/"


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 0.5
    refresh.SINGLE_FLIGHT = True


@pytest.fixture
def recorder():
    """Where a hostile tenant's redirects point: it records what arrives."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def hostile():
    with HostileServer() as server:
        yield server


def callback_at(client: Client, domain_url: str, settings, code: str = "a-code"):
    """Begin a login at ``domain_url`` and come back with ``code``, as Auth0
    would send the browser: the site then exchanges the code at that tenant."""
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain_url
    state = parse_qs(urlsplit(begin_login(client)).query)["state"][0]
    return client.get(f"/complete/auth0/?code={code}&state={state}")


def rejected(response, client: Client, caplog) -> str:
    """The login ended on the error page with a message, nobody in; the log line."""
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith("/login-error/")
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert not UserSocialAuth.objects.exists()
    records = [r for r in caplog.records if r.name == "social_auth0.backend"]
    assert len(records) == 1, [r.getMessage() for r in records]
    return records[0].getMessage()


# Redirects are never followed ---------------------------------------------------


def test_token_endpoint_redirect_does_not_resend_the_secret(
    hostile, recorder, settings, caplog
):
    hostile.answer = hostile.redirect_to(f"{recorder.url}/oauth/token")
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = callback_at(client, hostile.url, settings)
    message = rejected(response, client, caplog)
    assert "AuthProviderError http_error" in message
    # The tenant got the secret (it is the tenant); where it pointed got nothing.
    assert [(r.method, r.path) for r in hostile.received] == [("POST", "/oauth/token")]
    assert SECRET.encode() in hostile.received[0].body
    assert recorder.received == []


def logged_in_with_stored_tokens(tenant, settings):
    """Ada logged in at the emulator with STORE_TOKENS; her tokens now stale."""
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = Client()
    assert complete_login(client, tenant, ADA.email, ADA.password)["Location"] == (
        "/done/"
    )
    request = RequestFactory().get("/reports/")
    request.session = SessionStore(client.session.session_key)
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


def later(monkeypatch, seconds: float = 3 * 86400) -> None:
    monkeypatch.setattr(clock, "current_time", lambda: time.time() + seconds)


def test_refresh_redirect_does_not_resend_the_refresh_token(
    tenant, hostile, recorder, settings, monkeypatch
):
    request = logged_in_with_stored_tokens(tenant, settings)
    hostile.answer = hostile.redirect_to(f"{recorder.url}/oauth/token", status=308)
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = hostile.url
    later(monkeypatch)
    with pytest.raises(AuthProviderError) as raised:
        get_access_token(request)
    assert (raised.value.code, raised.value.status_code) == ("http_error", 308)
    assert len(hostile.received) == 1
    assert recorder.received == []
    assert Auth0Token.objects.count() == 1  # a refusal with an answer: kept


def test_revoke_and_jwks_redirects_are_not_followed(hostile, recorder, settings):
    hostile.answer = hostile.redirect_to(f"{recorder.url}/elsewhere")
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = hostile.url
    backend = backend_for(None)
    assert revoke_refresh_tokens(backend, [IssuedToken("auth0|x", "a-token")]) == 0
    with pytest.raises(AuthProviderError) as raised:
        backend.tenant_keys().lookup("some-kid")
    assert raised.value.code in ("http_error", "unavailable")
    assert [r.path for r in hostile.received] == [
        "/oauth/revoke",
        "/.well-known/jwks.json",
    ]
    assert recorder.received == []


# A total deadline, not only a per-read timeout ----------------------------------


def test_trickling_token_endpoint_fails_the_login_at_the_deadline(
    hostile, settings, caplog
):
    hostile.answer = hostile.trickle(SLOW_BODY, interval=0.3)
    client = Client()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = callback_at(client, hostile.url, settings)
    assert "AuthProviderError timeout" in rejected(response, client, caplog)
    # Sanity bound only: the whole body would take 40 s to trickle.
    assert time.monotonic() - started < 20
    assert hostile.bytes_sent < len(SLOW_BODY) // 2


def test_trickling_tenant_fails_auth0check_with_a_clear_error(
    hostile, recorder, settings
):
    hostile.answer = hostile.trickle(SLOW_BODY, interval=0.3)
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = hostile.url
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("auth0check", stdout=out, stderr=out, no_color=True)
    output = out.getvalue()
    assert "FAIL  discovery" in output
    assert "timeout" in output or "did not answer in time" in output, output
    assert hostile.bytes_sent < len(SLOW_BODY) // 2
    assert SECRET not in output


# Answers that do not parse, or whose numbers do not fit -------------------------


@pytest.mark.parametrize("body", [NESTED, HUGE_EXPIRES_IN], ids=["nested", "huge"])
def test_refresh_answer_that_does_not_parse_is_a_structured_error(
    tenant, settings, monkeypatch, body
):
    request = logged_in_with_stored_tokens(tenant, settings)
    tenant.misbehave.token_body = body
    later(monkeypatch)
    with pytest.raises(AuthResponseError) as raised:
        get_access_token(request)
    assert (raised.value.code, raised.value.stage) == ("malformed_response", "refresh")


def test_token_endpoint_answer_nested_deep_fails_the_login(tenant, caplog):
    tenant.misbehave.token_body = NESTED
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = complete_login(client, tenant, ADA.email, ADA.password)
    assert "malformed_response" in rejected(response, client, caplog)


def test_token_endpoint_answer_larger_than_the_bound_fails_the_login(tenant, caplog):
    padding = "x" * outbound.MAX_RESPONSE_BYTES
    tenant.misbehave.token_body = json.dumps({"access_token": padding}).encode()
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = complete_login(client, tenant, ADA.email, ADA.password)
    message = rejected(response, client, caplog)
    assert "malformed_response" in message
    assert "larger than" in message


def with_expires_in(value: bytes):
    def rewrite(body: bytes) -> bytes:
        # The emulator's real answer (valid ID token), expires_in replaced.
        return body.replace(b'"expires_in":', b'"expires_in":' + value + b', "x":')

    return rewrite


def test_login_with_huge_expires_in_and_store_tokens_is_refused_not_a_500(
    tenant, hostile, settings, caplog
):
    """A proxy in front of the emulator (the ID token names it as issuer)
    rewrites ``expires_in`` in the real token answer."""
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = hostile.url
    tenant.misbehave.id_token_claims = {"iss": f"{hostile.url}/"}
    hostile.answer = hostile.proxy(
        tenant.base_url, {"/oauth/token": with_expires_in(b"1" + b"0" * 400)}
    )
    client = Client()
    authorize = begin_login(client).replace(hostile.url, tenant.base_url)
    callback = tenant.login(authorize, ADA.email, ADA.password)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(callback.removeprefix("http://testserver"))
    message = rejected(response, client, caplog)
    assert "malformed_response" in message
    assert "claim=expires_in" in message
    assert not Auth0Token.objects.exists()
