"""The built-in home page (``social_auth0.views.home``) with what a hostile
or careless tenant can put in the claims: the user's email and name are shown
escaped, and a rejected login's message does not quote the claim at all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path

from social_auth0 import views
from social_auth0.testing import TenantUser
from tests.support.tenants import complete_login

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# A database user may be given any email by the tenant's own signup or an
# Action; a social connection's name and nickname come from elsewhere.
MALLORY = TenantUser(
    email=f"m{IMG}@example.com", password="pw", nickname=f"m{SCRIPT}", name=SCRIPT
)
ORG_MALLORY = TenantUser(
    email="eve@example.com", password="pw", extra_claims={"org_id": f"org_{SCRIPT}"}
)

urlpatterns = [path("home/", views.home), path("", include("tests.urls"))]


@pytest.fixture(scope="module")
def tenant_users():
    return [MALLORY, ORG_MALLORY]


@pytest.fixture(autouse=True)
def home_site(use_tenant, settings):
    settings.ROOT_URLCONF = __name__
    settings.SOCIAL_AUTH_LOGIN_ERROR_URL = "/home/"
    settings.LOGIN_REDIRECT_URL = "/home/"


def assert_no_markup(html: str) -> None:
    assert "<script" not in html and "<img" not in html, html


def test_a_hostile_email_and_name_are_escaped(tenant):
    client = Client()
    assert complete_login(client, tenant, MALLORY.email, "pw")["Location"] == "/home/"
    home = client.get("/home/").content.decode()
    assert 'id="social-auth0-user"' in home
    assert_no_markup(home)
    assert "m&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com" in home


def test_a_rejected_login_shows_a_message_without_the_claim(tenant):
    client = Client()
    answer = complete_login(client, tenant, ORG_MALLORY.email, "pw")
    assert answer["Location"] == "/home/"
    home = client.get("/home/").content.decode()
    assert 'id="social-auth0-messages"' in home
    assert "could not be verified" in home
    # The message is generic: the claim's value is logged, never shown.
    assert "alert(1)" not in home
    assert_no_markup(home)
