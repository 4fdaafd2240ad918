"""Step-up for sensitive views over loopback: recent_login_required,
mfa_required and the mixins send a logged-in user through the emulated tenant
again, the callback checks the result (same sub, auth_time, amr/acr), and a
failure never logs anyone out."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import UserSocialAuth

from social_auth0 import clock as clock_module
from social_auth0.decorators import recent_login_required
from social_auth0.login.record import SESSION_KEY
from social_auth0.login.stepup import MFA_ACR, STEP_UP_KEY, step_up_params
from social_auth0.testing import TenantUser
from tests.support.tenants import ADA, complete_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.stepup_urls"),
]

GRACE = TenantUser(email="grace@example.com", password="cobol")


class Clock:
    """One clock for the tenant and for our token checks."""

    def __init__(self) -> None:
        import time

        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA, GRACE]


@pytest.fixture(scope="module")
def tenant_options(clock):
    return {"clock": clock}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, tenant, clock, monkeypatch):
    tenant.mfa.action_deployed = True
    monkeypatch.setattr(clock_module, "current_time", clock)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def logged_in(tenant, user=ADA) -> Client:
    client = Client()
    response = complete_login(client, tenant, user.email, user.password)
    assert response["Location"] == "/done/"
    return client


def start_step_up(client, path: str) -> str:
    """Open a protected page, follow to the login page, submit its form:
    returns the /authorize URL."""
    response = client.get(path)
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith("/auth0/login/?next=")
    page = client.get(response["Location"])
    fields = dict(
        re.findall(
            r'type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode()
        )
    )
    assert fields["next"] == path
    answer = client.post("/login/auth0/", fields)
    assert answer.status_code == 302
    return answer["Location"]


def user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def rejected(caplog, response) -> tuple[str, str | None]:
    assert response["Location"].startswith("/login-error/")
    (record,) = [r for r in caplog.records if "rejected" in r.getMessage()]
    return record.args[2], record.args[4]


# recent_login_required -------------------------------------------------------------


def test_anonymous_user_goes_to_the_login_page(tenant):
    response = Client().get("/recent/")
    assert response.status_code == 302
    assert response["Location"] == "/auth0/login/?next=/recent/"


def test_recent_login_runs_the_view(tenant):
    client = logged_in(tenant)
    assert client.get("/recent/").content == b"recent:ada"
    assert client.post("/recent-cbv/").content == b"recent-cbv-post"


def test_old_login_steps_up_through_auth0_and_comes_back(tenant, clock):
    client = logged_in(tenant)
    before = user_id(client)
    clock.now += 1000
    authorize = start_step_up(client, "/recent/")
    assert query_of(authorize)["max_age"] == "300"
    logins = tenant.count("/u/login", "POST")
    # The tenant's own session is as old: it asks for the password again.
    callback = tenant.login(authorize, ADA.email, ADA.password)
    assert tenant.count("/u/login", "POST") == logins + 1
    response = client.get(callback_path(callback))
    assert response["Location"] == "/recent/"
    assert user_id(client) == before
    assert client.session[SESSION_KEY]["auth_time"] == int(clock.now)
    assert client.get("/recent/").content == b"recent:ada"
    assert UserSocialAuth.objects.count() == 1


def test_auth_time_in_the_future_never_counts_as_a_recent_login(tenant, clock, caplog):
    """An ID token claiming the user authenticates an hour from now would
    satisfy recent_login_required for that hour: it is refused at the callback."""
    tenant.misbehave.id_token_claims = {"auth_time": int(clock.now) + 3600}
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = complete_login(client, tenant, ADA.email, ADA.password)
    assert rejected(caplog, response) == ("response_not_yet_valid", "auth_time")
    assert user_id(client) is None
    clock.now += 1000
    assert client.get("/recent/").status_code == 302


def test_old_login_and_a_post_gets_403_not_a_redirect(tenant, clock):
    client = logged_in(tenant)
    clock.now += 1000
    response = client.post("/recent/", {"field": "kept"})
    assert response.status_code == 403
    assert client.post("/recent-cbv/").status_code == 403
    assert STEP_UP_KEY not in client.session
    assert user_id(client) is not None


def test_step_up_returning_another_user_is_refused_not_switched(tenant, clock, caplog):
    client = logged_in(tenant)
    ada = user_id(client)
    clock.now += 1000
    authorize = start_step_up(client, "/recent/")
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        callback = tenant.login(authorize, GRACE.email, GRACE.password)
        response = client.get(callback_path(callback))
    assert rejected(caplog, response) == ("user_mismatch", "sub")
    assert user_id(client) == ada  # still Ada, still logged in
    assert not UserSocialAuth.objects.filter(uid=GRACE.sub).exists()
    assert get_user_model().objects.count() == 1
    assert client.get("/recent/").status_code == 302  # still not stepped up


def test_step_up_with_an_old_auth_time_is_refused(tenant, clock, caplog):
    client = logged_in(tenant)
    ada = user_id(client)
    clock.now += 1000
    authorize = start_step_up(client, "/recent/")
    tenant.misbehave.id_token_claims = {"auth_time": int(clock.now) - 900}
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        callback = tenant.login(authorize, ADA.email, ADA.password)
        response = client.get(callback_path(callback))
    assert rejected(caplog, response) == ("response_expired", "auth_time")
    assert user_id(client) == ada
    assert client.get("/recent/").status_code == 302


def test_session_not_opened_by_auth0_gets_403(tenant):
    user = get_user_model().objects.create_user("local")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/recent/").status_code == 403
    assert client.get("/mfa/").status_code == 403


def test_mixin_uses_its_own_max_age(tenant, clock):
    client = logged_in(tenant)
    clock.now += 200  # older than RecentView's 60 s (+ leeway), younger than 300 s
    assert client.get("/recent/").status_code == 200
    response = client.get("/recent-cbv/")
    assert response["Location"] == "/auth0/login/?next=/recent-cbv/"
    assert client.session[STEP_UP_KEY]["max_age"] == 60


def test_recent_login_required_refuses_a_bad_max_age():
    with pytest.raises(ValueError, match="max_age"):
        recent_login_required(max_age=-1)


def test_max_age_zero_also_sends_prompt_login():
    assert step_up_params({"sub": "s", "max_age": 0, "mfa": False}) == {
        "max_age": "0",
        "prompt": "login",
    }


# mfa_required ------------------------------------------------------------------------


def test_mfa_step_up_then_the_view_runs(tenant):
    client = logged_in(tenant)
    assert client.session[SESSION_KEY]["mfa"] is False
    authorize = start_step_up(client, "/mfa/")
    assert query_of(authorize)["acr_values"] == MFA_ACR
    callback = tenant.login_with_mfa(authorize, ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/mfa/"
    record = client.session[SESSION_KEY]
    assert record["mfa"] is True and record["amr"] == ["mfa"]
    assert record["acr"] == MFA_ACR
    assert client.get("/mfa/").content == b"mfa:ada"
    assert client.get("/mfa-cbv/").content == b"mfa-cbv"


def test_mfa_step_up_over_the_tenants_single_sign_on(tenant):
    client = logged_in(tenant)
    authorize = start_step_up(client, "/mfa/")
    logins = tenant.count("/u/login", "POST")
    # The tenant session is live: only the second factor is asked for.
    callback = tenant.login_with_mfa(authorize, ADA.email, ADA.password)
    assert tenant.count("/u/login", "POST") == logins
    assert tenant.count("/u/mfa", "POST") >= 1
    assert client.get(callback_path(callback))["Location"] == "/mfa/"


def test_mfa_not_enforced_by_the_tenant_is_refused(tenant, caplog):
    tenant.mfa.action_deployed = False  # no Action: Auth0 ignores acr_values
    client = logged_in(tenant)
    ada = user_id(client)
    authorize = start_step_up(client, "/mfa/")
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        callback = tenant.login(authorize, ADA.email, ADA.password)
        response = client.get(callback_path(callback))
    assert rejected(caplog, response) == ("missing_claim", "amr")
    assert user_id(client) == ada
    assert client.get("/mfa/").status_code == 302


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"amr": ["pwd"]}, ("invalid_claim", "amr")),
        ({"amr": "mfa"}, ("invalid_claim", "amr")),
        ({"acr": "urn:example:weak"}, ("invalid_claim", "acr")),
    ],
)
def test_mfa_step_up_with_bad_amr_or_acr_is_refused(tenant, caplog, claims, expected):
    client = logged_in(tenant)
    authorize = start_step_up(client, "/mfa/")
    tenant.misbehave.id_token_claims = claims
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        callback = tenant.login_with_mfa(authorize, ADA.email, ADA.password)
        response = client.get(callback_path(callback))
    assert rejected(caplog, response) == expected
    assert client.session[SESSION_KEY]["mfa"] is False
    assert client.get("/mfa/").status_code == 302


def test_mfa_request_forged_by_the_user_proves_nothing(tenant):
    # acr_values can never come from a request: only the token's amr counts.
    client = logged_in(tenant)
    page = client.get("/auth0/login/?acr_values=" + MFA_ACR)
    assert "acr_values" not in page.content.decode()
    assert client.get("/mfa/").status_code == 302


def test_mfa_stays_proven_after_a_later_plain_step_up(tenant, clock):
    client = logged_in(tenant)
    callback = tenant.login_with_mfa(
        start_step_up(client, "/mfa/"), ADA.email, ADA.password
    )
    client.get(callback_path(callback))
    clock.now += 1000
    callback = tenant.login(start_step_up(client, "/recent/"), ADA.email, ADA.password)
    assert client.get(callback_path(callback))["Location"] == "/recent/"
    assert client.session[SESSION_KEY]["mfa"] is True
    assert client.get("/mfa/").status_code == 200


def test_emulator_refuses_a_wrong_mfa_code(tenant):
    from social_auth0.testing import LoginError

    client = logged_in(tenant)
    with pytest.raises(LoginError, match="MFA code refused"):
        tenant.login_with_mfa(
            start_step_up(client, "/mfa/"), ADA.email, ADA.password, code="000000"
        )


def test_mfa_with_max_age_asks_for_both(tenant, clock):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from social_auth0.decorators import mfa_required

    client = logged_in(tenant)
    callback = tenant.login_with_mfa(
        start_step_up(client, "/mfa/"), ADA.email, ADA.password
    )
    client.get(callback_path(callback))
    clock.now += 1000  # MFA proven, but long ago

    @mfa_required(max_age=600)
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/sensitive/")
    request.session = client.session
    request.user = get_user_model().objects.get()
    response = view(request)
    assert response.status_code == 302
    assert request.session[STEP_UP_KEY] == {
        "sub": ADA.sub,
        "iss": tenant.issuer,
        "max_age": 600,
        "mfa": True,
    }
    clock.now -= 1000
    request.session.pop(STEP_UP_KEY)
    assert view(request).content == b"ok"
