"""Whole logins through Django's test client against the tenant emulator,
served over real HTTP on loopback: the happy path, request counts, replays,
and every error path ending in a redirect with a message (no 500, no user)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from social_django.models import UserSocialAuth

from social_auth0.pipeline import PIPELINE
from social_auth0.testing import REMOVE, Auth0Tenant, TenantUser
from tests.support.tenants import ADA, begin_login

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = TenantUser(
    email="grace@example.com",
    password="cobol",
    connection="google-oauth2",
    given_name="Grace",
    family_name="Hopper",
)
BACKEND_PATHS = ("/oauth/token", "/.well-known/jwks.json", "/userinfo")


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA, GRACE]


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 2


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def login(client: Client, tenant: Auth0Tenant, user: TenantUser = ADA, **data):
    """A whole login; returns the response to the callback."""
    callback = tenant.login(begin_login(client, **data), user.email, user.password)
    return client.get(callback_path(callback))


def backend_requests(tenant: Auth0Tenant) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in tenant.requests if r.path in BACKEND_PATHS]


def assert_rejected(response, client: Client) -> None:
    """The login ended on the error page with a message, and nobody is in."""
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith("/login-error/")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert not UserSocialAuth.objects.exists()


# The happy path ---------------------------------------------------------------


def test_login_creates_user_and_association(tenant):
    client = Client()
    response = login(client, tenant)
    assert response.status_code == 302
    assert response["Location"] == "/done/"
    user = get_user_model().objects.get()
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.username, user.email) == ("ada", "ada@example.com")
    assert (user.first_name, user.last_name) == ("", "")  # never split `name`
    social = UserSocialAuth.objects.get()
    assert social.provider == "auth0"
    assert social.uid == tenant.users["ada@example.com"].sub
    assert social.extra_data["email_verified"] is True
    assert social.extra_data["picture"]
    assert "access_token" not in social.extra_data


TOKEN_FIELDS = ("access_token", "token_type", "expires_in", "id_token")
SEEN: list[dict] = []


def details_of_token_response(backend, response, details, *args, **kwargs):
    """A pipeline step calling get_user_details with the token endpoint's
    answer alone, as social-core's callers and tests do."""
    token_response = {k: response[k] for k in TOKEN_FIELDS if k in response}
    SEEN.append({"details": details, "again": backend.get_user_details(token_response)})


def test_details_of_the_verified_token_response_are_the_claims(tenant, settings):
    settings.SOCIAL_AUTH_PIPELINE = (
        *PIPELINE[:1],
        f"{__name__}.details_of_token_response",
        *PIPELINE[1:],
    )
    SEEN.clear()
    assert login(Client(), tenant)["Location"] == "/done/"
    (seen,) = SEEN
    assert seen["again"] == seen["details"]
    assert seen["again"]["user_id"] == tenant.users["ada@example.com"].sub


def test_social_user_gets_first_and_last_name(tenant):
    login(Client(), tenant, GRACE)
    user = get_user_model().objects.get()
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")


def test_next_is_honoured(tenant):
    response = login(Client(), tenant, next="/admin/")
    assert response["Location"] == "/admin/"


def test_authorize_request_carries_nonce_pkce_and_exact_callback(tenant):
    query = parse_qs(urlsplit(begin_login(Client())).query)
    assert query["redirect_uri"] == ["http://testserver/complete/auth0/"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]


def test_first_login_fetches_keys_once_then_one_request_per_login(tenant):
    login(Client(), tenant)
    assert backend_requests(tenant) == [
        ("POST", "/oauth/token"),
        ("GET", "/.well-known/jwks.json"),
    ]
    for _ in range(3):
        tenant.clear_requests()
        login(Client(), tenant)
        # Steady state: the token exchange is the only request to Auth0.
        assert backend_requests(tenant) == [("POST", "/oauth/token")]


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL run, without transaction control (only SQLite logs BEGIN/COMMIT)."""
    sqls = [query["sql"] for query in queries.captured_queries]
    return [sql for sql in sqls if sql not in ("BEGIN", "COMMIT")]


def test_a_steady_state_login_makes_fourteen_queries(tenant, settings):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    login(Client(), tenant)  # the first login creates the user and association
    client = Client()
    with CaptureQueriesContext(connection) as begin:
        authorize_url = begin_login(client)
    callback = tenant.login(authorize_url, ADA.email, ADA.password)
    with CaptureQueriesContext(connection) as complete:
        assert client.get(callback_path(callback))["Location"] == "/done/"
    # Begin (4): social-core's state nonce (SELECT, INSERT: single-use state),
    # the new session (SELECT exists, INSERT).
    assert len(statements(begin)) == 4, statements(begin)
    # Callback (10): the session (SELECT); the state nonce consumed (DELETE);
    # the association with its user (SELECT: social_user); login()'s new
    # session key (SELECT exists, INSERT) and the old session deleted (SELECT,
    # DELETE); last_login (UPDATE, Django's receiver); the Auth0Session record
    # (INSERT: sessions.record_login); the session saved (UPDATE). Nothing
    # changed, so neither the user nor the association is written: without
    # AUTH_TIME_RESOLUTION social-core's auth_time stamp re-saved the
    # association at every login.
    assert len(statements(complete)) == 10, statements(complete)
    assert not [
        s for s in statements(complete) if "usersocialauth" in s and "UPDATE" in s
    ]
    # Of these, the writes: social-core's and Django's (the state nonce, the
    # session twice at begin and three times at the callback, last_login),
    # and one of ours, the Auth0Session row back-channel logout needs.
    assert [write_target(sql) for sql in writes(begin)] == [
        "INSERT social_auth_nonce",
        "INSERT django_session",
    ]
    assert [write_target(sql) for sql in writes(complete)] == [
        "DELETE social_auth_nonce",
        "INSERT django_session",
        "DELETE django_session",
        "UPDATE auth_user",
        "INSERT social_auth0_auth0session",
        "UPDATE django_session",
    ]


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        sql
        for sql in statements(queries)
        if sql.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
    ]


def write_target(sql: str) -> str:
    """``"INSERT table"`` for ``INSERT INTO "table" ...`` (and UPDATE, DELETE)."""
    verb, rest = sql.split(" ", 1)
    rest = rest.removeprefix("INTO ").removeprefix("FROM ")
    return f"{verb} {rest.split(' ', 1)[0].strip(chr(34))}"


def test_key_rotation_between_two_logins(tenant):
    login(Client(), tenant)
    tenant.rotate_keys()
    tenant.clear_requests()
    client = Client()
    response = login(client, tenant)
    assert response["Location"] == "/done/"
    assert backend_requests(tenant) == [
        ("POST", "/oauth/token"),
        ("GET", "/.well-known/jwks.json"),
    ]


def test_switching_from_social_core_builtin_backend_keeps_users(tenant):
    """Rows written by social_core.backends.auth0.Auth0OAuth2 are found again.

    social_django 8 stores (and its migration 0020 backfills) ``id_key`` =
    "user_id" on auth0 rows, the built-in backend's ID_KEY, which is ours too.
    """
    user = get_user_model().objects.create_user("ada-from-before", "ada@example.com")
    old = UserSocialAuth.objects.create(
        user=user,
        provider="auth0",
        uid=tenant.users["ada@example.com"].sub,
        id_key="user_id",
        extra_data={"access_token": "old-token", "picture": "old.png"},
    )
    client = Client()
    assert login(client, tenant)["Location"] == "/done/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert get_user_model().objects.count() == 1
    assert list(UserSocialAuth.objects.values_list("pk", flat=True)) == [old.pk]


# Replays ----------------------------------------------------------------------


def test_replayed_callback_in_another_browser_logs_nobody_in(tenant):
    client = Client()
    callback = callback_path(tenant.login(begin_login(client), ADA.email, ADA.password))
    assert client.get(callback)["Location"] == "/done/"
    intruder = Client()
    response = intruder.get(callback)
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in intruder.session


def test_replayed_callback_in_the_same_browser_is_refused(tenant, caplog):
    client = Client()
    callback = callback_path(tenant.login(begin_login(client), ADA.email, ADA.password))
    assert client.get(callback)["Location"] == "/done/"
    client.logout()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(callback)
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
    assert "AuthSessionError" in caplog.text


# Every error path: a redirect with a message, a log line, no user --------------


def rejected_login(tenant, caplog, client=None):
    client = client or Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = login(client, tenant)
    assert_rejected(response, client)
    records = [r for r in caplog.records if r.name == "social_auth0.backend"]
    assert len(records) == 1, [r.getMessage() for r in records]
    return records[0].getMessage()


def test_cancel_at_the_login_page(tenant, caplog):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(callback_path(tenant.cancel(begin_login(client))))
    assert_rejected(response, client)
    assert "AuthCanceled" in caplog.text


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"aud": "another-client"}, "invalid_claim (stage=token_validation, claim=aud"),
        ({"iss": "https://evil.example/"}, "claim=iss"),
        ({"nonce": "forged"}, "nonce_mismatch"),
        ({"nonce": REMOVE}, "missing_claim (stage=token_validation, claim=nonce"),
        ({"sub": ""}, "claim=sub"),
        ({"exp": 1}, "response_expired"),
        ({"iat": REMOVE}, "claim=iat"),
        ({"azp": "another-client"}, "claim=azp"),
    ],
)
def test_rejects_id_token_with_bad_claim(tenant, caplog, claims, expected):
    tenant.misbehave.id_token_claims = claims
    assert expected in rejected_login(tenant, caplog)


def test_rejects_bad_signature(tenant, caplog):
    tenant.misbehave.bad_signature = True
    assert "invalid_signature" in rejected_login(tenant, caplog)


def test_rejects_unknown_kid(tenant, caplog):
    tenant.misbehave.id_token_header = {"kid": "forged-kid"}
    assert "invalid_signature" in rejected_login(tenant, caplog)


def test_tolerates_clock_skew_within_leeway(tenant):
    tenant.misbehave.clock_skew = 45
    assert login(Client(), tenant)["Location"] == "/done/"


def test_rejects_clock_skew_beyond_leeway(tenant, caplog):
    tenant.misbehave.clock_skew = 600
    assert "response_not_yet_valid" in rejected_login(tenant, caplog)


def test_jwks_endpoint_down(tenant, caplog):
    tenant.misbehave.jwks_down = True
    assert "AuthProviderError unavailable" in rejected_login(tenant, caplog)


def test_jwks_endpoint_returns_garbage(tenant, caplog):
    tenant.misbehave.jwks_garbage = True
    assert "malformed_response" in rejected_login(tenant, caplog)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, "AuthProviderError unavailable"), (429, "rate_limited"), (403, "")],
)
def test_token_endpoint_errors(tenant, caplog, status, expected):
    tenant.misbehave.token_status = status
    assert expected in rejected_login(tenant, caplog)


def test_token_endpoint_returns_invalid_json(tenant, caplog):
    tenant.misbehave.token_body = b"<html>bad gateway</html>"
    assert "malformed_response" in rejected_login(tenant, caplog)


def test_token_endpoint_times_out(tenant, caplog, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 0.3
    tenant.misbehave.token_delay = 1.0
    assert "AuthProviderError timeout" in rejected_login(tenant, caplog)


def test_wrong_client_secret_is_reported_as_configuration(tenant, caplog, settings):
    settings.SOCIAL_AUTH_AUTH0_SECRET = "not-the-secret"
    message = rejected_login(tenant, caplog)
    assert "AuthConfigurationError invalid_setting" in message
    assert "parameter=SECRET" in message
    assert "AuthCanceled" not in message


def test_token_response_without_id_token(tenant, caplog):
    tenant.misbehave.id_token = ""
    assert "malformed_response" in rejected_login(tenant, caplog)


def test_error_from_authorize_other_than_cancel(tenant, caplog):
    client = Client()
    query = parse_qs(urlsplit(begin_login(client)).query)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(
            "/complete/auth0/",
            {"error": "login_required", "state": query["state"][0]},
        )
    assert_rejected(response, client)
    assert "login_required" not in str(list(get_messages(response.wsgi_request)))


def test_callback_without_state(tenant, caplog):
    client = Client()
    begin_login(client)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get("/complete/auth0/", {"code": "x"})
    assert_rejected(response, client)


def test_log_lines_carry_no_token(tenant, caplog):
    tenant.misbehave.id_token_claims = {"aud": "another-client"}
    message = rejected_login(tenant, caplog)
    assert "eyJ" not in message
    assert "test-client-secret" not in caplog.text


def test_misconfiguration_at_login_start_is_a_redirect_with_a_message(
    tenant, caplog, settings
):
    settings.SOCIAL_AUTH_AUTH0_USE_PKCE = False
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/login/auth0/")
    assert_rejected(response, client)
    assert "parameter=USE_PKCE" in caplog.text
