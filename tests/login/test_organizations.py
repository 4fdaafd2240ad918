"""Auth0 Organizations through whole logins over loopback: the organization
sent to /authorize, its checks at the callback (each with its own code and
claim), invitation links, the session's organization and organization groups."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from social_django.models import UserSocialAuth

from social_auth0.login.organizations import organization_groups, same_organization
from social_auth0.login.record import SESSION_KEY
from social_auth0.organizations import Organization, current_organization
from social_auth0.testing import REMOVE, TenantUser
from tests.support.tenants import ADA, begin_login

pytestmark = pytest.mark.django_db(transaction=True)

EVE = TenantUser(email="eve@example.com", password="apple")
ACME_ID = "org_acme0000000001"
GLOBEX_ID = "org_globex00000002"


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA, EVE]


@pytest.fixture(scope="module")
def tenant(tenant):
    tenant.add_organization("acme", org_id=ACME_ID, members=[ADA.email])
    tenant.add_organization("globex", org_id=GLOBEX_ID, members=[EVE.email])
    return tenant


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, tenant):
    tenant.organizations.usage.clear()


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def login(client, tenant, user=ADA, **data):
    tenant.browser.cookies.clear()
    callback = tenant.login(begin_login(client, **data), user.email, user.password)
    return client.get(callback_path(callback))


def assert_logged_in(response, client) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/done/", response["Location"]
    assert "_auth_user_id" in client.session


def rejection(response, client, caplog) -> tuple[str, str, str | None]:
    """The login ended on the error page, nobody in, one log line: its
    (exception class, code, claim or parameter)."""
    assert response.status_code == 302
    assert response["Location"].startswith("/login-error/")
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()
    assert not UserSocialAuth.objects.exists()
    records = [r for r in caplog.records if r.name == "social_auth0.backend"]
    rejected = [r for r in records if "rejected" in r.getMessage()]
    assert len(rejected) == 1, [r.getMessage() for r in records]
    args = rejected[0].args
    return args[1], args[2], args[4] or args[5]


def rejected_login(tenant, caplog, user=ADA, **data):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = login(client, tenant, user, **data)
    return rejection(response, client, caplog)


# ORGANIZATION: one organization on every login -----------------------------------


def test_organization_id_is_sent_and_checked(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = ACME_ID
    client = Client()
    assert query_of(begin_login(client))["organization"] == ACME_ID
    response = login(client, tenant)
    assert_logged_in(response, client)
    assert client.session[SESSION_KEY]["org_id"] == ACME_ID
    social = UserSocialAuth.objects.get()
    assert social.extra_data["org_id"] == ACME_ID
    assert social.extra_data["org_name"] == "acme"


@pytest.mark.parametrize("configured", ["acme", "ACME", "Acme"])
def test_organization_name_matches_case_insensitively(tenant, settings, configured):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = configured
    client = Client()
    assert_logged_in(login(client, tenant), client)


def test_organization_name_is_compared_after_nfc_normalisation(tenant, settings):
    # "é" composed (NFC) in the token, decomposed (NFD) in the setting.
    tenant.add_organization(
        "caf\u00e9", org_id="org_cafe000000000003", members=[ADA.email]
    )
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = "cafe\u0301"
    client = Client()
    assert_logged_in(login(client, tenant), client)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"org_id": GLOBEX_ID}, ("AuthResponseError", "invalid_claim", "org_id")),
        ({"org_id": REMOVE}, ("AuthResponseError", "missing_claim", "org_id")),
        ({"org_id": 42}, ("AuthResponseError", "invalid_claim", "org_id")),
        ({"org_id": "acme"}, ("AuthResponseError", "invalid_claim", "org_id")),
    ],
)
def test_rejects_token_for_another_organization_by_id(
    tenant, settings, caplog, claims, expected
):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = ACME_ID
    tenant.misbehave.id_token_claims = claims
    assert rejected_login(tenant, caplog) == expected


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"org_name": "globex"}, ("AuthResponseError", "invalid_claim", "org_name")),
        ({"org_name": REMOVE}, ("AuthResponseError", "missing_claim", "org_name")),
        ({"org_name": ""}, ("AuthResponseError", "invalid_claim", "org_name")),
        ({"org_name": ["acme"]}, ("AuthResponseError", "invalid_claim", "org_name")),
    ],
)
def test_rejects_token_for_another_organization_by_name(
    tenant, settings, caplog, claims, expected
):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = "acme"
    tenant.misbehave.id_token_claims = claims
    assert rejected_login(tenant, caplog) == expected


def test_request_for_another_organization_is_refused_before_the_redirect(
    tenant, settings, caplog
):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = ACME_ID
    client = Client()
    tenant.clear_requests()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/login/auth0/", {"organization": GLOBEX_ID})
    assert response["Location"].startswith("/login-error/")
    assert rejection(response, client, caplog) == (
        "AuthInputError",
        "invalid_parameter",
        "organization",
    )


def test_non_member_comes_back_denied(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION = GLOBEX_ID  # Ada is not a member
    assert rejected_login(tenant, caplog)[0] == "AuthCanceled"


# No organization configured -----------------------------------------------------------


def test_login_without_organization_still_works(tenant):
    client = Client()
    assert "organization" not in query_of(begin_login(client))
    assert_logged_in(login(client, tenant), client)
    assert UserSocialAuth.objects.get().extra_data["org_id"] is None


def test_rejects_unrequested_organization_when_none_is_trusted(tenant, caplog):
    tenant.misbehave.id_token_claims = {"org_id": ACME_ID, "org_name": "acme"}
    assert rejected_login(tenant, caplog) == (
        "AuthResponseError",
        "invalid_claim",
        "org_id",
    )


@pytest.mark.parametrize("allowed", ["*", [ACME_ID], ["acme"], ["ACME", GLOBEX_ID]])
def test_unrequested_organization_accepted_when_trusted(tenant, settings, allowed):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = allowed
    tenant.misbehave.id_token_claims = {"org_id": ACME_ID, "org_name": "acme"}
    client = Client()
    assert_logged_in(login(client, tenant), client)


def test_rejects_unrequested_organization_not_in_allowed_list(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = [GLOBEX_ID, "initech"]
    tenant.misbehave.id_token_claims = {"org_id": ACME_ID, "org_name": "acme"}
    assert rejected_login(tenant, caplog) == (
        "AuthResponseError",
        "invalid_claim",
        "org_id",
    )


def test_organization_required_refuses_a_login_without_one(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_REQUIRED = True
    assert rejected_login(tenant, caplog) == (
        "AuthResponseError",
        "missing_claim",
        "org_id",
    )


# An organization chosen per request (a picker, an invitation link) --------------------


def test_requested_organization_in_allowed_list_is_sent_and_checked(
    tenant, settings, caplog
):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = [ACME_ID, GLOBEX_ID]
    client = Client()
    assert query_of(begin_login(client, organization=GLOBEX_ID))["organization"] == (
        GLOBEX_ID
    )
    response = login(client, tenant, EVE, organization=GLOBEX_ID)
    assert_logged_in(response, client)


def test_rejects_token_for_another_allowed_organization_than_requested(
    tenant, settings, caplog
):
    # The token must be for the organization this login asked for, even if
    # another one is in the allowed list.
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = [ACME_ID, GLOBEX_ID]
    tenant.misbehave.id_token_claims = {"org_id": ACME_ID}
    assert rejected_login(tenant, caplog, EVE, organization=GLOBEX_ID) == (
        "AuthResponseError",
        "invalid_claim",
        "org_id",
    )


@pytest.mark.parametrize(
    ("allowed", "requested"),
    [
        (None, ACME_ID),
        ([GLOBEX_ID], ACME_ID),
        (["globex"], "acme"),
        ([ACME_ID], "acme"),
    ],
)
def test_requested_organization_not_allowed_is_refused_before_the_redirect(
    tenant, settings, caplog, allowed, requested
):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = allowed
    client = Client()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post("/login/auth0/", {"organization": requested})
    assert rejection(response, client, caplog) == (
        "AuthInputError",
        "invalid_parameter",
        "organization",
    )


def test_organization_not_forwarded_when_not_in_request_params(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = ["screen_hint"]
    params = query_of(begin_login(Client(), organization=ACME_ID, invitation="x"))
    assert "organization" not in params and "invitation" not in params


# Invitations --------------------------------------------------------------------------


def invitation_login_page(client, tenant, email):
    link = tenant.invitation_link("acme", email, "http://testserver/auth0/login/")
    response = client.get(link.removeprefix("http://testserver"))
    assert response.status_code == 200
    return query_of(link), response


def form_fields(response) -> dict[str, str]:
    import re

    return dict(
        re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
            response.content.decode(),
        )
    )


def test_invitation_link_signs_up_the_invitee_into_the_organization(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = [ACME_ID]
    client = Client()
    link, page = invitation_login_page(client, tenant, "new@example.com")
    fields = form_fields(page)
    assert fields["invitation"] == link["invitation"]
    assert fields["organization"] == ACME_ID
    assert "organization_name" not in fields  # shown by Auth0, never forwarded
    authorize = client.post(
        "/login/auth0/",
        {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"},
    )["Location"]
    assert query_of(authorize)["invitation"] == link["invitation"]
    assert query_of(authorize)["organization"] == ACME_ID
    # The invitee has no account yet: the tenant shows its sign-up page.
    tenant.browser.cookies.clear()
    page = tenant.browser.get(authorize, timeout=5)
    assert "Sign up" in page.text and "new@example.com" in page.text
    callback = tenant.browser.post(
        page.url,
        data={
            "state": query_of(page.url)["state"],
            "email": "new@example.com",
            "password": "pw",
        },
        allow_redirects=False,
        timeout=5,
    ).headers["Location"]
    response = client.get(callback_path(callback))
    assert_logged_in(response, client)
    request = RequestFactory().get("/")
    request.session = client.session
    assert current_organization(request) == Organization(ACME_ID, "acme")
    assert "new@example.com" in tenant.organizations.find(ACME_ID).members


def test_invitation_is_refused_before_the_redirect_when_not_allowed(tenant, caplog):
    client = Client()
    link, page = invitation_login_page(client, tenant, "other@example.com")
    fields = form_fields(page)
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        response = client.post(
            "/login/auth0/", {k: v for k, v in fields.items() if k != "csrf"}
        )
    assert rejection(response, client, caplog)[1:] == (
        "invalid_parameter",
        "organization",
    )


def test_invitation_without_organization_is_dropped(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        params = query_of(begin_login(Client(), invitation="abc"))
    assert "invitation" not in params
    assert "'invitation' dropped" in caplog.text


# The organization of the session ------------------------------------------------------


def test_current_organization_is_none_without_an_organization_login(tenant):
    client = Client()
    assert_logged_in(login(client, tenant), client)
    request = RequestFactory().get("/")
    request.session = client.session
    assert current_organization(request) is None


def test_a_later_login_without_organization_replaces_the_session_record(
    tenant, settings
):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    client = Client()
    assert_logged_in(login(client, tenant, organization=ACME_ID), client)
    assert client.session[SESSION_KEY]["org_id"] == ACME_ID
    client.logout()
    assert_logged_in(login(client, tenant), client)
    assert client.session[SESSION_KEY]["org_id"] is None
    assert UserSocialAuth.objects.get().extra_data["org_id"] is None


# Organization -> groups ---------------------------------------------------------------


def test_organization_groups_follow_the_login_organization(tenant, settings):
    from social_auth0.pipeline import PIPELINE

    settings.SOCIAL_AUTH_PIPELINE = (
        *PIPELINE,
        "social_auth0.pipeline.sync_organization_groups",
    )
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = "*"
    settings.SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS = {
        ACME_ID: ["Acme staff"],
        "globex": "Globex staff",
    }
    settings.SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True
    tenant.organizations.add_member("globex", ADA.email)
    client = Client()
    assert_logged_in(login(client, tenant, organization=ACME_ID), client)
    user = get_user_model().objects.get()
    user.groups.add(Group.objects.create(name="Manual"))
    assert set(user.groups.values_list("name", flat=True)) == {"Acme staff", "Manual"}
    client.logout()
    assert_logged_in(login(client, tenant, organization="globex"), client)
    assert set(user.groups.values_list("name", flat=True)) == {
        "Globex staff",
        "Manual",
    }
    client.logout()
    assert_logged_in(login(client, tenant), client)  # no organization: none managed
    assert set(user.groups.values_list("name", flat=True)) == {"Manual"}


# Pure rules ---------------------------------------------------------------------------


def test_same_organization_never_equates_an_id_with_a_name():
    assert same_organization("org_abc", "org_abc")
    assert not same_organization("org_abc", "abc")
    assert same_organization("Acme", "acme")


def test_malformed_settings_trust_nothing_and_never_raise(tenant, settings, caplog):
    settings.SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = 3  # E083 at startup
    settings.SOCIAL_AUTH_AUTH0_REQUEST_PARAMS = 7  # E081 at startup
    tenant.misbehave.id_token_claims = {"org_id": ACME_ID}
    assert rejected_login(tenant, caplog)[1:] == ("invalid_claim", "org_id")


def test_organization_groups_managed_set_is_every_configured_group():
    setting = {"org_a": ["A"], "b": "B"}
    assert organization_groups(setting, "org_a", None) == ({"A"}, {"A", "B"})
    assert organization_groups(setting, "org_x", "B") == ({"B"}, {"A", "B"})
    assert organization_groups(setting, None, None) == (set(), {"A", "B"})
    assert organization_groups({"org_a": 3, "b": "B"}, "org_a", None) == (
        set(),
        {"B"},
    )
