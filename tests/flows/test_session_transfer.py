"""Native-to-web SSO: the site's login URL opened with
``?session_transfer_token=…`` forwards it to ``/authorize`` (when the site
lists it in ``REQUEST_PARAMS``), and the emulated tenant logs the browser in
as that token's user. Hostile values are dropped before they reach the tenant."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from social_auth0.testing import TenantUser
from tests.support.docs import doc_block
from tests.support.tenants import ADA, begin_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

GRACE = TenantUser(email="grace@example.com", password="cobol")


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA, GRACE]


@pytest.fixture
def use_tenant(use_tenant, settings):
    """docs/enterprise.rst's REQUEST_PARAMS."""
    values: dict[str, object] = {}
    block = doc_block("docs/enterprise.rst", "enterprise-session-transfer-settings")
    exec(block, values)  # noqa: S102 (our docs)
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = values[
        "SOCIAL_AUTH_AUTH0_REQUEST_PARAMS"
    ]
    return use_tenant


def test_documented_login_uri_is_the_login_page():
    from django.urls import reverse

    uri = doc_block("docs/enterprise.rst", "enterprise-login-uri").strip()
    assert urlsplit(uri).path == reverse("social_auth0:login")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def hidden_fields(page) -> dict[str, str]:
    return dict(
        re.findall(
            r'type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()
        )
    )


def follow_to_callback(tenant, authorize_url: str) -> str:
    """What a browser does at /authorize; the redirect it is given."""
    answer = tenant.browser.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def test_transferred_session_logs_in_as_the_tokens_user(tenant):
    token = tenant.session_transfer_token(GRACE.email)
    client = Client()
    page = client.get(f"/auth0/login/?session_transfer_token={token}&next=/done/")
    assert hidden_fields(page)["session_transfer_token"] == token
    authorize = begin_login(client, session_transfer_token=token)
    assert query_of(authorize)["session_transfer_token"] == [token]
    callback = follow_to_callback(tenant, authorize)
    assert callback.startswith("http://testserver/complete/auth0/?code=")
    parts = urlsplit(callback)
    assert client.get(f"{parts.path}?{parts.query}")["Location"] == "/done/"
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert user.email == GRACE.email


def test_session_transfer_token_is_single_use(tenant):
    token = tenant.session_transfer_token(GRACE.email)
    follow_to_callback(tenant, begin_login(Client(), session_transfer_token=token))
    tenant.browser.cookies.clear()  # another browser: no tenant session
    again = follow_to_callback(
        tenant, begin_login(Client(), session_transfer_token=token)
    )
    assert again.startswith("/u/login?")  # the login page, nobody logged in


def test_expired_session_transfer_token_is_not_honoured(tenant):
    token = tenant.session_transfers.issue(GRACE.email, lifetime=-1)
    answer = follow_to_callback(
        tenant, begin_login(Client(), session_transfer_token=token)
    )
    assert answer.startswith("/u/login?")


def test_not_forwarded_unless_listed(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = None  # the defaults
    token = tenant.session_transfer_token(GRACE.email)
    authorize = begin_login(Client(), session_transfer_token=token)
    assert "session_transfer_token" not in query_of(authorize)
    page = Client().get(f"/auth0/login/?session_transfer_token={token}")
    assert "session_transfer_token" not in hidden_fields(page)


HOSTILE = [
    "abcdefghijklmnop&prompt=none",
    "abcdefghijklmnop#fragment",
    "abcdefghijklmnop%26redirect_uri%3Dhttps://evil.example/",
    "abcdefghijklmnop&redirect_uri=https://evil.example/",
    "abcdefghijklmnop\r\nSet-Cookie: x=1",
    "abcdefghijklmnop qrs",
    "abcdefghijklmnop+qrs",
    "abcdefghijklmnop=",
    "abcdefghijklmnop\x00",
    "abcdéfghijklmnop",
    "<script>alert(1)</script>",
    "short",
    "a" * 513,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_session_transfer_token_is_dropped(tenant, caplog, value):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        authorize = begin_login(
            client, session_transfer_token=value, screen_hint="login"
        )
    query = query_of(authorize)
    assert "session_transfer_token" not in query
    assert "prompt" not in query and query["redirect_uri"] == [
        "http://testserver/complete/auth0/"
    ]
    assert not urlsplit(authorize).fragment
    assert query["screen_hint"] == ["login"]  # the login goes on without it
    assert "'session_transfer_token' dropped" in caplog.text
    assert value not in caplog.text  # the name is logged, never the value
    # The tenant shows its login page: nobody is logged in by the link.
    assert follow_to_callback(tenant, authorize).startswith("/u/login?")


@pytest.mark.parametrize("value", HOSTILE)
def test_login_page_does_not_carry_a_hostile_token(tenant, value):
    page = Client().get("/auth0/login/", {"session_transfer_token": value})
    assert page.status_code == 200
    assert "session_transfer_token" not in hidden_fields(page)
