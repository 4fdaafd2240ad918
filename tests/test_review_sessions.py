"""Review finding: an Auth0 login that Django's ``login()`` starts with
``session.flush()`` is never recorded, so back-channel logout cannot end it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from social_auth0.testing import TenantUser
from tests.support.tenants import BACKCHANNEL, complete_login, point_django_at

pytestmark = pytest.mark.django_db(transaction=True)

ADA = TenantUser(email="ada@example.com", password="correct horse")


@pytest.fixture(scope="module")
def tenant(backchannel_tenant):
    return backchannel_tenant


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.signed_cookies",
        "django.contrib.sessions.backends.db",
    ],
)
def test_login_over_a_stale_session_can_still_be_logged_out(
    tenant, live_server, settings, engine
):
    point_django_at(tenant, settings)
    settings.SESSION_ENGINE = engine
    browser = Client()
    # A shared computer: someone's session stays in the browser after their
    # account was removed (or deactivated) by an admin...
    former = get_user_model().objects.create_user("former", password="x")
    browser.force_login(former, "django.contrib.auth.backends.ModelBackend")
    former.delete()
    # ...then Ada logs in through Auth0 in the same browser.
    response = complete_login(browser, tenant, ADA.email, ADA.password)
    assert response["Location"] == "/done/"
    assert browser.get("/done/").content != b"done:"
    # Ada's Auth0 session is ended (her account was compromised, say).
    answer = tenant.send_backchannel_logout(
        f"{live_server.url}{BACKCHANNEL}", sub=tenant.users[ADA.email].sub
    )
    assert answer.status_code == 200
    assert browser.get("/done/").content == b"done:"  # logged out
