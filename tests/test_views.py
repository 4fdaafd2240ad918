"""Starting a login: the ``social_auth0:login`` page, the POST form, LOGIN_URL,
and social_django's app_launch bridge."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db

TOP_LEVEL = {"HTTP_SEC_FETCH_DEST": "document", "HTTP_SEC_FETCH_MODE": "navigate"}


@login_required
def private(request):
    return HttpResponse("private")


urlpatterns = [
    path("", include("tests.urls")),
    path("private/", private),
]


def hidden_inputs(html: bytes) -> dict[str, str]:
    return dict(
        re.findall(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    )


def test_login_page_renders_a_post_form_to_begin():
    response = Client().get("/auth0/login/", **TOP_LEVEL)
    assert response.status_code == 200
    html = response.content
    assert b'method="post" action="/login/auth0/"' in html
    assert b"csrfmiddlewaretoken" in html
    assert b"form.submit()" in html or b'"social-auth0-login").submit()' in html


def test_login_page_carries_a_same_site_next():
    response = Client().get("/auth0/login/", {"next": "/reports/?q=1"})
    assert hidden_inputs(response.content)[b"next"] == b"/reports/?q=1"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil"],
)
def test_login_page_drops_an_off_site_next(next_url):
    response = Client().get("/auth0/login/", {"next": next_url})
    assert b"next" not in hidden_inputs(response.content)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_DEST": "iframe", "HTTP_SEC_FETCH_MODE": "navigate"},
        {"HTTP_SEC_FETCH_DEST": "empty", "HTTP_SEC_FETCH_MODE": "cors"},
    ],
)
def test_login_page_does_not_auto_submit_when_framed_or_scripted(headers):
    response = Client().get("/auth0/login/", **headers)
    assert b"<script>" not in response.content
    assert b'id="social-auth0-login-button"' in response.content


def test_login_page_does_not_auto_submit_for_a_logged_in_user():
    client = Client()
    client.force_login(get_user_model().objects.create_user("ada"))
    response = client.get("/auth0/login/", **TOP_LEVEL)
    assert b"<script>" not in response.content


def test_login_page_is_get_only_never_cached_and_not_framable():
    client = Client()
    assert client.post("/auth0/login/").status_code == 405
    response = client.get("/auth0/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.urls(__name__)
def test_login_url_sends_anonymous_visitors_to_the_login_page():
    response = Client().get("/private/?tab=2")
    assert response.status_code == 302
    assert response["Location"] == "/auth0/login/?next=/private/%3Ftab%3D2"


def test_submitting_the_rendered_form_starts_the_login():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/auth0/login/", {"next": "/reports/"})
    fields = hidden_inputs(page.content)
    response = client.post(
        "/login/auth0/",
        {k.decode(): v.decode() for k, v in fields.items()},
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://tenant.eu.auth0.com/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "test-client-id"
    assert query["redirect_uri"] == "http://testserver/complete/auth0/"
    assert query["scope"] == "openid profile email"
    assert query["code_challenge_method"] == "S256"
    assert {"state", "nonce", "code_challenge"} <= query.keys()
    assert client.session["next"] == "/reports/"


def test_begin_without_csrf_token_is_refused():
    assert Client(enforce_csrf_checks=True).post("/login/auth0/").status_code == 403


def test_begin_by_get_is_refused():
    # What the plain <a href="/login/auth0"> of older quickstarts gets now.
    assert Client().get("/login/auth0/").status_code == 405


def test_app_launch_bridge_works_for_an_https_tenant():
    response = Client().get(
        "/app-launch/auth0/",
        {"next": "/reports/"},
        HTTP_SEC_FETCH_SITE="same-origin",
        **TOP_LEVEL,
    )
    assert response.status_code == 200
    fields = hidden_inputs(response.content)
    assert fields[b"iss"] == b"https://tenant.eu.auth0.com/"
    assert fields[b"next"] == b"/reports/"


def test_app_launch_bridge_refuses_a_cross_site_request():
    response = Client().get("/app-launch/auth0/", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 400


def test_app_launch_bridge_refuses_an_http_issuer(settings):
    # Why the local emulator (http on loopback) needs social_auth0:login instead.
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "http://127.0.0.1:8001"
    response = Client().get("/app-launch/auth0/", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 400
