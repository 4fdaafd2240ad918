"""A step-up is proven by the tenant of the session's own login: two sites
on one database, each its own tenant, one session cookie for both (a shared
``SESSION_COOKIE_DOMAIN``). Whoever holds Ada's session cookie (stolen: what
step-up is there to stop) and a user of tenant B whose ``sub`` is Ada's must
not satisfy ``mfa_required`` at site A with B's MFA, as in
test_tenant_identities.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from social_auth0.login.record import SESSION_KEY
from tests.flows import test_tenant_identities as identities
from tests.flows.test_tenant_identities import ADA, MALLORY, login_at

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.stepup_urls"),
]

# Sites A and B on tenants A and B; settings.py names A's, B's or neither.
tenants = identities.tenants
sites = identities.sites


def test_another_tenants_mfa_never_steps_up_a_session_of_this_tenant(sites):
    """The step-up site A asks for, carried out at site B."""
    a, b = sites
    stolen = login_at("site-a.test", a, ADA)
    assert stolen.get("/mfa/", HTTP_HOST="site-a.test").status_code == 302

    # At site B, by B's user with Ada's sub, who passes B's MFA.
    login_at_b(stolen, b, mfa=True)

    assert stolen.session[SESSION_KEY]["mfa"] is not True
    response = stolen.get("/mfa/", HTTP_HOST="site-a.test")
    assert response.status_code == 302, response.content


def test_another_tenants_login_never_makes_this_tenants_login_recent(sites):
    """No step-up asked: a plain login at site B in the same session."""
    a, b = sites
    stolen = login_at("site-a.test", a, ADA)
    session = stolen.session  # 1000 s later: Ada's login is no longer recent
    session[SESSION_KEY] = {
        **session[SESSION_KEY],
        "auth_time": session[SESSION_KEY]["auth_time"] - 1000,
    }
    session.save()
    assert stolen.get("/recent/", HTTP_HOST="site-a.test").status_code == 302

    login_at_b(stolen, b, mfa=False)

    response = stolen.get("/recent/", HTTP_HOST="site-a.test")
    assert response.status_code == 302, response.content


def login_at_b(client, b, *, mfa: bool) -> None:
    """A login at site B as B's user with Ada's sub, in ``client``'s session."""
    authorize = client.post("/login/auth0/", HTTP_HOST="site-b.test")["Location"]
    assert authorize.startswith(f"{b.domain}/authorize?")
    b.browser.cookies.clear()
    log_in = b.login_with_mfa if mfa else b.login
    callback = urlsplit(log_in(authorize, MALLORY.email, MALLORY.password))
    client.get(callback.path, parse_qs(callback.query), HTTP_HOST="site-b.test")
