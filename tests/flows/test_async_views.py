"""A user logged in through Auth0 as seen by ``async def`` views: Django's
async auth (``request.auser()``, ``aget_user``, ``login_required`` on an
async view, ``aauthenticate``) asks our backend for its async methods."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import aauthenticate, aget_user
from django.contrib.auth.models import AnonymousUser
from django.test import AsyncClient, Client, RequestFactory

from social_auth0.sessions import SESSION_KEY
from tests.support.asgi import blocking_calls_on_the_loop, run_async, thread_hops
from tests.support.tenants import ADA, complete_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.async_urls"),
    pytest.mark.usefixtures("use_tenant"),
]
BACKCHANNEL = "/auth0/backchannel-logout/"
MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"


@pytest.fixture(scope="module")
def tenant_options(live_server):
    return {"backchannel_logout_urls": [f"{live_server.url}{BACKCHANNEL}"]}


def logged_in(tenant) -> Client:
    client = Client()
    response = complete_login(client, tenant, ADA.email, ADA.password)
    assert response["Location"] == "/done/"
    return client


def test_async_login_required_view_sees_the_auth0_user(tenant):
    client = logged_in(tenant)
    username = client.get("/done/").content.decode().removeprefix("done:")
    browser = AsyncClient()
    browser.cookies = client.cookies

    response = run_async(browser.get, "/async/profile/")

    assert response.status_code == 200
    assert response.content.decode() == f"async:{username}"


def test_async_login_required_view_sends_a_visitor_to_log_in(tenant):
    response = run_async(AsyncClient().get, "/async/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth0/login/?next=")


def test_aget_user_finds_the_user_get_user_finds(tenant):
    client = logged_in(tenant)
    request = RequestFactory().get("/")
    request.session = client.session

    user = run_async(aget_user, request)

    assert user.is_authenticated
    assert user.pk == int(client.session["_auth_user_id"])


def test_aauthenticate_with_a_password_passes_over_the_auth0_backend(tenant):
    # Auth0OAuth2 comes first in AUTHENTICATION_BACKENDS: Django asks it first.
    user = run_async(aauthenticate, username="ada", password="wrong")
    assert user is None or isinstance(user, AnonymousUser)


# -- BackchannelLogoutMiddleware under ASGI ------------------------------------------


def test_signed_cookie_session_ends_at_its_next_async_request(tenant, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client = logged_in(tenant)
    browser = AsyncClient()
    browser.cookies = client.cookies
    assert run_async(browser.get, "/async/profile/").status_code == 200
    sid = client.session[SESSION_KEY]["sid"]

    answer = Client().post(BACKCHANNEL, {"logout_token": tenant.logout_token(sid=sid)})

    assert answer.status_code == 200
    assert run_async(browser.get, "/async/profile/").status_code == 302


def test_a_logged_in_async_request_costs_no_query_and_no_blocking_call_on_the_loop(
    tenant, settings, django_assert_num_queries
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    browser = AsyncClient()
    browser.cookies = logged_in(tenant).cookies
    run_async(browser.get, "/async/bare/")  # the login's state is cached

    with django_assert_num_queries(0), blocking_calls_on_the_loop() as blocking:
        assert run_async(browser.get, "/async/bare/").status_code == 200

    assert blocking == []


def test_the_middleware_adds_no_thread_hop_without_a_session_cookie(settings):
    def hops_of_bare_requests() -> Counter[str]:
        with thread_hops() as hops:
            for _ in range(5):
                response = run_async(AsyncClient().get, "/async/bare/")
                assert response.status_code == 200
        return Counter(hops)

    with_middleware = hops_of_bare_requests()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    assert hops_of_bare_requests() == with_middleware
