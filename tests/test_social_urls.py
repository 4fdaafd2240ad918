"""``social_auth0.social_urls``: old ``/login/auth0`` links and
``LOGIN_URL = "/login/auth0"`` land on a working login, with and without the
trailing slash and with ``SOCIAL_AUTH_TRAILING_SLASH = False``; a POST still
starts the login as social_django's view does. Whole logins run against the
emulator over loopback."""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import social_django.urls
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import clear_url_caches, include, path

import social_auth0.social_urls
from tests.support.tenants import ADA

from .test_views import TOP_LEVEL, Form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]


@login_required
def dashboard(request):
    return HttpResponse(f"dashboard:{request.user.get_username()}")


def site_urlconf() -> types.ModuleType:
    """A site's urls.py with the one-line change: social_auth0.social_urls."""
    module = types.ModuleType("site_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("", include("social_auth0.social_urls", namespace="social")),
        path("auth0/", include("social_auth0.urls")),
        path("dashboard", dashboard),
        path("done/", lambda request: HttpResponse("done")),
        path("login-error/", lambda request: HttpResponse("login-error")),
    ]
    return module


def reload_urls() -> None:
    importlib.reload(social_django.urls)  # reads SOCIAL_AUTH_TRAILING_SLASH
    importlib.reload(social_auth0.social_urls)
    clear_url_caches()


@pytest.fixture(params=[True, False], ids=["trailing-slash", "no-trailing-slash"])
def trailing_slash(request) -> Iterator[bool]:
    with override_settings(SOCIAL_AUTH_TRAILING_SLASH=request.param):
        reload_urls()
        with override_settings(ROOT_URLCONF=site_urlconf()):
            yield request.param
    reload_urls()  # back to the test project's spelling


@pytest.fixture(scope="module")
def tenant_options():
    callbacks = [
        "http://testserver/complete/auth0/",
        "http://testserver/complete/auth0",
    ]
    return {"callback_urls": callbacks}


def begin_path(trailing_slash: bool) -> str:
    return "/login/auth0/" if trailing_slash else "/login/auth0"


def log_in_from_the_page(browser: Client, page, tenant) -> HttpResponse:
    """Submit the login page's form, log in at the tenant, follow the callback."""
    form = Form(page.content)
    assert form.auto_submits
    authorize = browser.post(form.attrs["action"], form.hidden)
    assert authorize.status_code == 302, authorize
    callback = tenant.login(authorize["Location"], ADA.email, ADA.password)
    parts = urlsplit(callback)
    return browser.get(f"{parts.path}?{parts.query}")


@pytest.mark.parametrize("link", ["/login/auth0", "/login/auth0/"])
def test_an_old_link_lands_on_a_working_login(trailing_slash, tenant, link):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link, headers=TOP_LEVEL)
    assert page.status_code == 200
    assert Form(page.content).attrs["action"] == begin_path(trailing_slash)
    response = log_in_from_the_page(browser, page, tenant)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"]
    authorize = [r for r in tenant.requests if r.path == "/authorize"][-1]
    assert authorize.query["redirect_uri"] == (
        "http://testserver/complete/auth0" + ("/" if trailing_slash else "")
    )


@pytest.mark.parametrize("login_url", ["/login/auth0", "/login/auth0/"])
def test_old_login_url_lands_on_a_working_login_and_comes_back(
    trailing_slash, tenant, settings, login_url
):
    settings.LOGIN_URL = login_url
    browser = Client(enforce_csrf_checks=True)
    redirect = browser.get("/dashboard")
    assert redirect["Location"] == f"{login_url}?next=/dashboard"
    page = browser.get(redirect["Location"], headers=TOP_LEVEL)
    assert Form(page.content).hidden["next"] == "/dashboard"
    response = log_in_from_the_page(browser, page, tenant)
    assert response["Location"] == "/dashboard"
    assert browser.get("/dashboard").content == b"dashboard:ada"


def test_a_post_still_starts_the_login_as_social_django_does(trailing_slash, tenant):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(begin_path(trailing_slash))
    token = Form(page.content).hidden["csrfmiddlewaretoken"]
    response = browser.post(begin_path(trailing_slash), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{tenant.domain}/authorize?")


def test_a_post_without_csrf_token_is_refused(trailing_slash):
    browser = Client(enforce_csrf_checks=True)
    browser.get(begin_path(trailing_slash))
    assert browser.post(begin_path(trailing_slash)).status_code == 403


def test_other_backends_keep_social_djangos_answer(trailing_slash):
    assert Client().get("/login/google-oauth2/").status_code == 405
