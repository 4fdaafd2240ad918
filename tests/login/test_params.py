"""Per-request login parameters: the allow-list, the value rules, the login
page carrying them into its form, and a per-request max_age checked at the
callback (over loopback against the emulator)."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from social_core.utils import url_add_parameters

from social_auth0.login.params import (
    DEFAULT_REQUEST_PARAMS,
    KNOWN_PARAMS,
    NEVER_FORWARDED,
    allowed_names,
    clean_value,
    forwarded_params,
)
from tests.support.tenants import ADA, begin_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# Value rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("screen_hint", "signup"),
        ("screen_hint", "login"),
        ("login_hint", "ada@example.com"),
        ("login_hint", "Ada Lovelace"),
        ("ui_locales", "fr-CA en"),
        ("ui_locales", "de"),
        ("max_age", "0"),
        ("max_age", "300"),
        ("organization", "org_abc123"),
        ("organization", "acme-corp_1"),
        ("invitation", "Zx9_-abc"),
        ("connection", "google-oauth2"),
        ("prompt", "login"),
        ("prompt", "none"),
    ],
)
def test_accepts_fit_value(name, value):
    assert clean_value(name, value) == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("screen_hint", "register"),
        ("screen_hint", "signup "),
        ("login_hint", "ada@example.com\r\nX-Injected: 1"),
        ("login_hint", "a" * 255),
        ("ui_locales", "fr_CA"),
        ("ui_locales", "en;q=1"),
        ("ui_locales", "x" * 101),
        ("max_age", "-1"),
        ("max_age", "1e3"),
        ("max_age", "\u0663"),  # an Arabic-Indic digit: isdigit(), not ASCII
        ("max_age", "99999999999"),
        ("max_age", ""),
        ("organization", "org_"),
        ("organization", "acme corp"),
        ("organization", "a" * 51),
        ("organization", "acme/../x"),
        ("invitation", "abc def"),
        ("invitation", "x" * 129),
        ("connection", "-leading-dash"),
        ("connection", "google oauth2"),
        ("prompt", "login consent"),
        ("prompt", "select_account\x00"),
        ("unknown", "value"),
    ],
)
def test_rejects_unfit_value(name, value):
    assert clean_value(name, value) is None


@pytest.mark.parametrize("value", [None, 3, ["signup"], "x" * 10_000])
def test_rejects_non_string_or_huge_value(value):
    assert clean_value("login_hint", value) is None


def test_allowed_names_default_and_never_forwarded():
    assert allowed_names(None) == list(DEFAULT_REQUEST_PARAMS)
    assert allowed_names(["prompt", "redirect_uri", "scope", "bogus", "prompt"]) == [
        "prompt"
    ]
    assert allowed_names("connection") == ["connection"]
    assert allowed_names(3) == []  # malformed (E081): forwards nothing, no 500
    assert allowed_names(["prompt", ["x"], None]) == ["prompt"]


def test_forwarded_params_logs_each_dropped_name_without_its_value(caplog):
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        params = forwarded_params(
            {
                "screen_hint": "signup",
                "login_hint": "secret\nvalue",
                "ui_locales": "fr",
            },
            DEFAULT_REQUEST_PARAMS,
        )
    assert params == {"screen_hint": "signup", "ui_locales": "fr"}
    assert [r.getMessage() for r in caplog.records] == [
        "Login parameter 'login_hint' dropped: invalid value"
    ]
    assert "secret" not in caplog.text


# Forwarded to /authorize ----------------------------------------------------------


def test_default_params_are_forwarded(tenant):
    url = begin_login(
        Client(),
        screen_hint="signup",
        login_hint="ada@example.com",
        ui_locales="fr",
    )
    query = query_of(url)
    assert query["screen_hint"] == ["signup"]
    assert query["login_hint"] == ["ada@example.com"]
    assert query["ui_locales"] == ["fr"]


def test_opt_in_params_are_not_forwarded_by_default(tenant):
    query = query_of(begin_login(Client(), connection="github", prompt="none"))
    assert "connection" not in query and "prompt" not in query


def test_opt_in_params_are_forwarded_when_listed(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["connection", "prompt"]
    query = query_of(begin_login(Client(), connection="github", prompt="login"))
    assert query["connection"] == ["github"] and query["prompt"] == ["login"]


@pytest.mark.parametrize("name", sorted(NEVER_FORWARDED))
def test_never_forwarded_even_if_listed(tenant, settings, name):
    # An attacker's link or form carrying the request's own parameters; the
    # setting is wrong too (the system check E080 reports it).
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = [*DEFAULT_REQUEST_PARAMS, name]
    url = begin_login(Client(), **{name: "https://evil.example/cb"})
    values = query_of(url).get(name, [])
    assert "https://evil.example/cb" not in values


def test_redirect_uri_from_the_request_never_reaches_the_tenant(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["redirect_uri", "audience", "scope"]
    url = begin_login(
        Client(),
        redirect_uri="https://evil.example/cb",
        audience="https://other-api",
        scope="openid offline_access",
    )
    query = query_of(url)
    assert query["redirect_uri"] == ["http://testserver/complete/auth0/"]
    assert "audience" not in query
    assert query["scope"] == ["openid profile email"]


def test_invalid_value_is_dropped_and_the_login_goes_on(tenant, caplog):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        url = begin_login(client, screen_hint="<script>", ui_locales="en")
    assert "screen_hint" not in query_of(url)
    assert query_of(url)["ui_locales"] == ["en"]
    assert "'screen_hint' dropped" in caplog.text
    callback = tenant.login(url, ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/done/"


def test_sign_up_link_reaches_the_tenants_sign_up_page(tenant):
    client = Client()
    page = client.get("/auth0/login/?screen_hint=signup&next=/done/")
    assert page.status_code == 200
    assert '<input type="hidden" name="screen_hint" value="signup">' in (
        page.content.decode()
    )
    url = begin_login(client, screen_hint="signup")
    answer = tenant.browser.get(url, timeout=5)
    assert re.search(r'<h1 id="heading">Sign up</h1>', answer.text)


def test_login_page_carries_only_allowed_fit_params(tenant):
    page = Client().get(
        "/auth0/login/?screen_hint=signup&redirect_uri=https://evil.example/"
        "&prompt=none&login_hint=a%0Ab&ui_locales=fr"
    )
    fields = dict(
        re.findall(
            r'type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()
        )
    )
    fields.pop("csrfmiddlewaretoken")
    assert fields == {"screen_hint": "signup", "ui_locales": "fr"}


# A per-request max_age ---------------------------------------------------------------


def test_per_request_max_age_is_sent_and_remembered(tenant, settings):
    client = Client()
    url = begin_login(client, max_age="120")
    assert query_of(url)["max_age"] == ["120"]
    callback = tenant.login(url, ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/done/"


def test_per_request_max_age_is_checked_at_the_callback(tenant, caplog):
    # The tenant ignores max_age and answers with an old authentication.
    client = Client()
    url = begin_login(client, max_age="120")
    tenant.misbehave.id_token_claims = {"auth_time": tenant.now() - 3600}
    callback = tenant.login(url, ADA.email, ADA.password)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(callback_path(callback))
    assert response["Location"].startswith("/login-error/")
    assert not get_user_model().objects.exists()
    (record,) = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert record.args[2] == "response_expired" and record.args[4] == "auth_time"


def test_old_authentication_is_fine_without_a_per_request_max_age(tenant):
    client = Client()
    url = begin_login(client)
    tenant.misbehave.id_token_claims = {"auth_time": tenant.now() - 3600}
    callback = tenant.login(url, ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/done/"


def test_max_age_setting_and_request_send_the_stricter(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_MAX_AGE = 600
    assert query_of(begin_login(Client(), max_age="60"))["max_age"] == ["60"]
    assert query_of(begin_login(Client(), max_age="6000"))["max_age"] == ["600"]


def test_max_age_from_a_request_is_bound_to_its_own_transaction(tenant, caplog):
    # Two logins started in one browser: each callback is checked against the
    # max_age of the login it completes, not the last one started.
    client = Client()
    strict = begin_login(client, max_age="60")
    relaxed = begin_login(client)
    tenant.misbehave.id_token_claims = {"auth_time": tenant.now() - 3600}
    callback = tenant.login(relaxed, ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/done/"
    client.logout()
    callback = tenant.login(strict, ADA.email, ADA.password)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.get(callback_path(callback))
    assert response["Location"].startswith("/login-error/")


# Whatever a request sends -------------------------------------------------------------


@given(name=st.sampled_from(sorted(KNOWN_PARAMS)), value=st.text(max_size=600))
def test_any_accepted_value_reaches_auth0_as_itself_and_alone(name, value):
    cleaned = clean_value(name, value)
    if cleaned is None:
        return
    assert len(cleaned) <= 254
    assert not any(ord(c) < 32 or ord(c) == 127 for c in cleaned)
    # Built the way social-core builds the /authorize URL for this backend
    # (REDIRECT_STATE = False un-percent-encodes the query), then read back
    # the way Auth0 reads a query.
    url = url_add_parameters(
        "https://tenant.example/authorize", {name: cleaned, "state": "s"}, True
    )
    parts = urlsplit(url)
    assert parts.fragment == ""
    assert parse_qs(parts.query, keep_blank_values=True) == {
        name: [cleaned],
        "state": ["s"],
    }


@pytest.mark.parametrize(
    "hint", ["a&prompt=none", "a#frag", "ada+test@example.com", "a%26b", "a=b", "a;b"]
)
def test_login_hint_that_the_query_cannot_carry_is_dropped(hint):
    assert clean_value("login_hint", hint) is None


def test_login_hint_cannot_smuggle_parameters(tenant):
    query = query_of(begin_login(Client(), login_hint="a&prompt=none#x=1"))
    assert "login_hint" not in query
    assert "prompt" not in query
