"""A user logged in through Auth0 as seen by ``async def`` views: Django's
async auth (``request.auser()``, ``aget_user``, ``login_required`` on an
async view, ``aauthenticate``) asks our backend for its async methods."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate, aget_user
from django.contrib.auth.models import AnonymousUser
from django.test import AsyncClient, Client, RequestFactory

from tests.support.tenants import ADA, complete_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.async_urls"),
    pytest.mark.usefixtures("use_tenant"),
]


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

    response = async_to_sync(browser.get)("/async/profile/")

    assert response.status_code == 200
    assert response.content.decode() == f"async:{username}"


def test_async_login_required_view_sends_a_visitor_to_log_in(tenant):
    response = async_to_sync(AsyncClient().get)("/async/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth0/login/?next=")


def test_aget_user_finds_the_user_get_user_finds(tenant):
    client = logged_in(tenant)
    request = RequestFactory().get("/")
    request.session = client.session

    user = async_to_sync(aget_user)(request)

    assert user.is_authenticated
    assert user.pk == int(client.session["_auth_user_id"])


def test_aauthenticate_with_a_password_passes_over_the_auth0_backend(tenant):
    # Auth0OAuth2 comes first in AUTHENTICATION_BACKENDS: Django asks it first.
    user = async_to_sync(aauthenticate)(username="ada", password="wrong")
    assert user is None or isinstance(user, AnonymousUser)
