"""Starting a login: the ``social_auth0:login`` page, the POST form it renders,
``LOGIN_URL``, and social_django's ``app_launch`` bridge."""

from __future__ import annotations

import hashlib
import logging
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.test import Client, modify_settings, override_settings
from django.urls import include, path

from social_auth0.testing.keys import b64url
from tests.support.tokens import CLIENT_ID

pytestmark = pytest.mark.django_db

LOGIN_PAGE = "/auth0/login/"
BEGIN = "/login/auth0/"
APP_LAUNCH = "/app-launch/auth0/"
AUTHORIZE = "https://tenant.eu.auth0.com/authorize"
# What a browser sends for a top-level navigation (a link, a redirect, the
# address bar).
TOP_LEVEL = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}
SAME_ORIGIN = {**TOP_LEVEL, "Sec-Fetch-Site": "same-origin"}


# A URLconf for the LOGIN_URL tests: the test project's, plus a private page.
@login_required
def private(request):
    return HttpResponse("private")


urlpatterns = [
    path("", include("tests.urls")),
    path("private/", private),
]


class Form(HTMLParser):
    """The first <form> of a page: its attributes, inputs and scripts."""

    def __init__(self, html: bytes) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] = {}
        self.hidden: dict[str, str | None] = {}
        self.buttons: list[dict[str, str | None]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html.decode())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self.attrs:
            self.attrs = attributes
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes.get("value")
        elif tag == "button":
            self.buttons.append(attributes)
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data

    @property
    def auto_submits(self) -> bool:
        return any(".submit()" in script for script in self.scripts)


def authorize_params(location: str) -> dict[str, str]:
    """The query of a redirect to the tenant's /authorize, one value per name."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


# The login page ---------------------------------------------------------------------


def test_login_page_renders_a_csrf_protected_post_form_to_begin(client):
    response = client.get(LOGIN_PAGE, headers=TOP_LEVEL)
    assert response.status_code == 200
    form = Form(response.content)
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == BEGIN
    assert form.hidden.keys() == {"csrfmiddlewaretoken"}
    assert form.hidden["csrfmiddlewaretoken"]
    assert {"type": "submit", "id": "social-auth0-login-button"} in form.buttons


@pytest.mark.parametrize("next_url", ["/dashboard/", "/reports/?q=1&tab=2"])
def test_login_page_carries_a_same_site_next(client, next_url):
    response = client.get(LOGIN_PAGE, {"next": next_url})
    assert Form(response.content).hidden["next"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/dashboard/",
        "javascript:alert(1)",
        "\\\\evil.example",
        "/\\evil.example",
        "https://testserver.evil.example/",
    ],
)
def test_login_page_drops_an_off_site_next(client, next_url):
    response = client.get(LOGIN_PAGE, {"next": next_url})
    assert response.status_code == 200
    assert "next" not in Form(response.content).hidden
    assert b"evil" not in response.content
    assert b"javascript" not in response.content


def test_login_page_auto_submits_a_top_level_navigation(client):
    form = Form(client.get(LOGIN_PAGE, headers=TOP_LEVEL).content)
    assert form.auto_submits
    assert 'getElementById("social-auth0-login").submit()' in form.scripts[0]
    assert form.attrs["id"] == "social-auth0-login"


def test_login_page_auto_submits_without_fetch_metadata(client):
    # Browsers without Fetch Metadata (and test clients) send none of the headers.
    assert Form(client.get(LOGIN_PAGE).content).auto_submits


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Dest": "iframe"},
        {"Sec-Fetch-Dest": "frame", "Sec-Fetch-Mode": "navigate"},
        {"Sec-Fetch-Dest": "embed", "Sec-Fetch-Mode": "no-cors"},
        {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors"},
        # social_django's check_fetch_metadata alone lets these through.
        {"Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "no-cors"},
    ],
)
def test_login_page_does_not_auto_submit_when_framed_or_fetched(client, headers):
    response = client.get(LOGIN_PAGE, headers=headers)
    form = Form(response.content)
    assert not form.scripts
    assert form.attrs["action"] == BEGIN
    assert {"type": "submit", "id": "social-auth0-login-button"} in form.buttons


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
def test_login_page_auto_submits_a_navigation_from_this_site_or_the_user(client, site):
    headers = {**TOP_LEVEL, "Sec-Fetch-Site": site}
    assert Form(client.get(LOGIN_PAGE, headers=headers).content).auto_submits


@pytest.mark.parametrize("site", ["cross-site", "something-new"])
def test_login_page_shows_the_button_to_a_cross_site_navigation(client, site):
    # Any site could link here and silently log back in a user with a live
    # Auth0 session: a navigation from elsewhere must be confirmed by a click.
    response = client.get(LOGIN_PAGE, headers={**TOP_LEVEL, "Sec-Fetch-Site": site})
    form = Form(response.content)
    assert not form.scripts
    assert form.attrs["action"] == BEGIN
    assert {"type": "submit", "id": "social-auth0-login-button"} in form.buttons


def test_login_page_does_not_auto_submit_for_a_logged_in_user(client):
    client.force_login(get_user_model().objects.create_user("ada"))
    response = client.get(LOGIN_PAGE, {"next": "/dashboard/"}, headers=TOP_LEVEL)
    form = Form(response.content)
    assert not form.scripts
    assert form.hidden["next"] == "/dashboard/"


@pytest.mark.parametrize("method", ["post", "put", "delete", "head"])
def test_login_page_refuses_methods_other_than_get(client, method):
    response = getattr(client, method)(LOGIN_PAGE)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_login_page_cannot_be_framed(client):
    response = client.get(LOGIN_PAGE)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_login_page_is_never_cached(client):
    response = client.get(LOGIN_PAGE)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {
        "max-age=0",
        "no-cache",
        "no-store",
        "must-revalidate",
        "private",
    }
    assert "Expires" in response


# LOGIN_URL = "social_auth0:login" (tests/settings.py) -------------------------------


@pytest.mark.urls(__name__)
def test_login_required_sends_anonymous_visitors_to_the_login_page_with_next(client):
    response = client.get("/private/?tab=2")
    assert response.status_code == 302
    assert response["Location"] == "/auth0/login/?next=/private/%3Ftab%3D2"
    page = client.get(response["Location"])
    assert Form(page.content).hidden["next"] == "/private/?tab=2"


@pytest.mark.urls(__name__)
@modify_settings(
    MIDDLEWARE={"append": "django.contrib.auth.middleware.LoginRequiredMiddleware"}
)
def test_login_page_and_begin_are_reachable_under_login_required_middleware(client):
    redirect = client.get("/private/")
    assert redirect["Location"] == "/auth0/login/?next=/private/"
    page = client.get(redirect["Location"])
    assert page.status_code == 200
    response = client.post(BEGIN, Form(page.content).hidden)
    assert response.status_code == 302
    authorize_params(response["Location"])


# Submitting the form: social_django's begin view ------------------------------------


def test_submitting_the_rendered_form_redirects_to_the_tenant():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(LOGIN_PAGE, {"next": "/dashboard/"}, headers=TOP_LEVEL)
    form = Form(page.content)
    response = browser.post(form.attrs["action"], form.hidden)
    assert response.status_code == 302
    params = authorize_params(response["Location"])
    assert params.keys() == {
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "nonce",
        "code_challenge_method",
        "code_challenge",
        "scope",
    }
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    # Exactly the registered callback: no redirect_state, no query at all.
    assert params["redirect_uri"] == "http://testserver/complete/auth0/"
    assert params["scope"] == "openid profile email"
    assert params["code_challenge_method"] == "S256"
    # The challenge is S256 of the verifier kept server-side for this state.
    transaction = browser.session[f"auth0_oauth2_state_{params['state']}"]
    verifier = transaction["code_verifier"]
    assert params["code_challenge"] == b64url(
        hashlib.sha256(verifier.encode()).digest()
    )
    assert params["nonce"] == transaction["oidc_nonce"]
    assert browser.session["next"] == "/dashboard/"


def test_each_login_gets_its_own_state_nonce_and_challenge(client):
    first = authorize_params(client.post(BEGIN)["Location"])
    second = authorize_params(client.post(BEGIN)["Location"])
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


def test_begin_without_csrf_token_is_refused():
    browser = Client(enforce_csrf_checks=True)
    browser.get(LOGIN_PAGE)  # has the CSRF cookie, but posts no token
    assert browser.post(BEGIN, {"next": "/dashboard/"}).status_code == 403


def test_begin_by_get_is_refused(client):
    # What the plain <a href="/login/auth0/"> of older quickstarts gets now.
    assert client.get(BEGIN).status_code == 405
    assert client.get(BEGIN, {"next": "/dashboard/"}).status_code == 405


# social_django's app_launch bridge (SOCIAL_AUTH_ENABLE_LAUNCH_BRIDGES) --------------


def test_app_launch_renders_the_launch_form_for_an_https_tenant(client):
    response = client.get(APP_LAUNCH, {"next": "/x/"}, headers=SAME_ORIGIN)
    assert response.status_code == 200
    assert response.templates[0].name == "social_django/launch.html"
    form = Form(response.content)
    assert form.attrs["action"] == BEGIN
    assert form.attrs["method"] == "post"
    # The issuer comes from our backend's id_token_issuer().
    assert form.hidden == {
        "csrfmiddlewaretoken": form.hidden["csrfmiddlewaretoken"],
        "iss": "https://tenant.eu.auth0.com/",
        "next": "/x/",
    }
    assert form.auto_submits
    assert response["X-Frame-Options"] == "DENY"


def test_app_launch_accepts_a_same_site_referer_without_sec_fetch_site(client):
    response = client.get(
        APP_LAUNCH, {"next": "/x/"}, headers={"Referer": "http://testserver/app/"}
    )
    assert response.status_code == 200


def test_submitting_the_launch_form_redirects_to_the_tenant():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(APP_LAUNCH, {"next": "/x/"}, headers=SAME_ORIGIN)
    form = Form(page.content)
    response = browser.post(form.attrs["action"], form.hidden)
    assert response.status_code == 302
    params = authorize_params(response["Location"])
    # The posted `iss` is not passed on: the login is the same as our form's.
    assert "iss" not in params
    assert params["redirect_uri"] == "http://testserver/complete/auth0/"
    assert params["code_challenge_method"] == "S256"
    assert browser.session["next"] == "/x/"


def test_app_launch_drops_an_off_site_next(client):
    response = client.get(
        APP_LAUNCH, {"next": "https://evil.example/"}, headers=SAME_ORIGIN
    )
    assert response.status_code == 200
    assert "next" not in Form(response.content).hidden


def test_app_launch_sends_a_logged_in_user_straight_to_next(client):
    client.force_login(get_user_model().objects.create_user("ada"))
    response = client.get(APP_LAUNCH, {"next": "/x/"}, headers=SAME_ORIGIN)
    assert response.status_code == 302
    assert response["Location"] == "/x/"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "https://evil.example/"},
        {},  # neither Sec-Fetch-Site nor Referer
    ],
)
def test_app_launch_rejects_a_request_not_from_this_site(client, headers):
    assert client.get(APP_LAUNCH, {"next": "/x/"}, headers=headers).status_code == 400


def test_app_launch_rejects_an_iss_other_than_the_tenant(client):
    response = client.get(
        APP_LAUNCH, {"iss": "https://other.eu.auth0.com/"}, headers=SAME_ORIGIN
    )
    assert response.status_code == 400


@override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="http://127.0.0.1:8001")
def test_app_launch_rejects_an_http_issuer(client, caplog):
    # Found: social_django accepts only an https issuer (URLValidator with
    # schemes=["https"]), so with the local emulator on http the bridge answers
    # 400 and LOGIN_URL = "social_auth0:login" is the way in.
    with caplog.at_level(logging.ERROR, logger="social"):
        response = client.get(APP_LAUNCH, {"next": "/x/"}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert (
        "app_launch: Configured ID token issuer `http://127.0.0.1:8001/` for "
        "backend `auth0` is not a valid RFC-compliant HTTPS URL"
    ) in caplog.messages
    # Our own login page works there all the same.
    page = client.get(LOGIN_PAGE, headers=TOP_LEVEL)
    response = client.post(BEGIN, Form(page.content).hidden)
    assert response["Location"].startswith("http://127.0.0.1:8001/authorize?")


@override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="https://localhost:8443")
def test_app_launch_accepts_an_https_issuer_on_loopback(client):
    response = client.get(APP_LAUNCH, headers=SAME_ORIGIN)
    assert response.status_code == 200
    assert Form(response.content).hidden["iss"] == "https://localhost:8443/"


def test_idp_launch_bridge_stays_off_unless_enabled(client):
    # Only "app_launch" is in SOCIAL_AUTH_ENABLE_LAUNCH_BRIDGES.
    response = client.get("/idp-launch/auth0/", {"iss": "https://tenant.eu.auth0.com/"})
    assert response.status_code == 404


def write_mo(path, catalog: dict[str, str]) -> None:
    """A GNU gettext catalog (.mo) holding ``catalog`` (msgid -> msgstr)."""
    import struct

    items = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **catalog}.items())
    ids = [key.encode() for key, _ in items]
    strs = [value.encode() for _, value in items]
    start = 7 * 4 + 16 * len(items)  # header, then the two offset tables
    offsets, blob = [], b""
    for data in ids + strs:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\0"
    header = struct.pack(
        "<7I", 0x950412DE, 0, len(items), 28, 28 + 8 * len(items), 0, 0
    )
    table = b"".join(struct.pack("<2I", *pair) for pair in offsets)
    path.parent.mkdir(parents=True)
    path.write_bytes(header + table + blob)


def test_pages_are_translatable(client, tmp_path):
    from django.utils import translation

    write_mo(
        tmp_path / "de" / "LC_MESSAGES" / "django.mo",
        {"Log in with Auth0": "Mit Auth0 anmelden", "Log out": "Abmelden"},
    )
    with override_settings(LOCALE_PATHS=[str(tmp_path)]), translation.override("de"):
        login_page = client.get("/auth0/login/").content.decode()
        logout_page = client.get("/auth0/logout/").content.decode()
    assert 'lang="de"' in login_page
    assert "Mit Auth0 anmelden" in login_page
    assert "Abmelden" in logout_page
