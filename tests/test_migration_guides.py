"""docs/migrating.rst, "Moving over from another integration": one test per guide:
a small site shaped like that system (its rows, users, settings, links and
dashboard), switched over as the guide says, and a user who existed before
logging back into the same account against the emulator, where the
quickstarts' ``extra_data['picture']`` keeps working."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from social_django.models import UserSocialAuth

from social_auth0 import views as auth0_views
from social_auth0.checks import switching as migration_checks
from social_auth0.pipeline import PIPELINE
from social_auth0.testing import TenantUser

from .support.docs import doc_block, files_of
from .test_social_urls import reload_urls
from .test_views import TOP_LEVEL, Form

pytestmark = pytest.mark.django_db(transaction=True)

ADA = TenantUser(email="ada@example.com", password="correct horse", roles=["staff"])


@login_required
def dashboard(request):
    """The quickstarts' dashboard: the association's uid and picture."""
    auth0user = request.user.social_auth.get(provider="auth0")
    userdata = {"user_id": auth0user.uid, "picture": auth0user.extra_data["picture"]}
    return HttpResponse(json.dumps(userdata))


# The site after the switch: social_auth0.social_urls for social_django.urls,
# social_auth0.urls, and the quickstarts' /logout routed to our logout.
urlpatterns = [
    path("", include("social_auth0.social_urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
    path("logout", auth0_views.logout),
    path("dashboard", dashboard),
    path("done/", lambda request: HttpResponse("done")),
    path("login-error/", lambda request: HttpResponse("login-error")),
]


@pytest.fixture(scope="module")
def tenant_users():
    return [ADA]


@pytest.fixture(scope="module")
def tenant_options():
    callbacks = [
        "http://testserver/complete/auth0/",
        "http://testserver/complete/auth0",
    ]
    return {"callback_urls": callbacks, "roles_claim": "https://example.com/roles"}


@pytest.fixture(autouse=True)
def site(use_tenant, settings):
    settings.SOCIAL_AUTH_PIPELINE = PIPELINE  # every guide: the recommended pipeline
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def no_trailing_slash() -> Iterator[None]:
    """The quickstarts' ``SOCIAL_AUTH_TRAILING_SLASH = False``, kept."""
    with override_settings(SOCIAL_AUTH_TRAILING_SLASH=False):
        reload_urls()
        yield
    reload_urls()


def sub() -> str:
    return str(ADA.sub)


def log_in_through(client: Client, tenant, link: str, **query: str) -> HttpResponse:
    """Follow ``link`` as a browser would, log in at the tenant, come back."""
    page = client.get(link, query, headers=TOP_LEVEL)
    assert page.status_code == 200, page
    form = Form(page.content)
    authorize = client.post(form.attrs["action"], form.hidden)
    assert authorize.status_code == 302, authorize
    tenant.browser.cookies.clear()
    callback = urlsplit(tenant.login(authorize["Location"], ADA.email, ADA.password))
    return client.get(f"{callback.path}?{callback.query}")


def assert_same_account(client: Client, user) -> None:
    assert client.session["_auth_user_id"] == str(user.pk)
    assert get_user_model().objects.count() == 1
    social = UserSocialAuth.objects.get()
    assert (social.user_id, social.uid, social.id_key) == (user.pk, sub(), "user_id")
    page = json.loads(client.get("/dashboard").content)
    assert page == {"user_id": sub(), "picture": ADA.picture}


def quickstart_row(id_key: str) -> UserSocialAuth:
    """A user and row as the quickstarts' ``Auth0(BaseOAuth2)`` left them."""
    user = get_user_model().objects.create_user("ada", "")
    return UserSocialAuth.objects.create(
        user=user,
        provider="auth0",
        uid=sub(),
        id_key=id_key,
        extra_data={
            "picture": "https://old.example/ada.png",
            "auth_time": 1,
            "access_token": "old-opaque-token",
            "token_type": "Bearer",
        },
    )


def test_guide_2017_quickstart(tenant, settings, no_trailing_slash):
    """Rows backfilled to "user_id"; LOGIN_URL = "/login/auth0" kept."""
    row = quickstart_row("user_id")
    settings.LOGIN_URL = "/login/auth0"
    client = Client()
    to_login = client.get("/dashboard")
    assert to_login["Location"] == "/login/auth0?next=/dashboard"
    response = log_in_through(client, tenant, "/login/auth0", next="/dashboard")
    assert response["Location"] == "/dashboard"
    assert_same_account(client, row.user)


def test_guide_2019_quickstart(tenant, settings, no_trailing_slash):
    """Rows written with id_key "id"; /logout now ends both sessions."""
    row = quickstart_row("id")
    settings.LOGOUT_REDIRECT_URL = "/"
    client = Client()
    log_in_through(client, tenant, "/login/auth0")  # index.html's link
    assert_same_account(client, row.user)
    left = client.post("/logout")
    assert "_auth_user_id" not in client.session
    logout = urlsplit(left["Location"])
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == (
        f"{tenant.domain}/oidc/logout"
    )
    assert parse_qs(logout.query)["post_logout_redirect_uri"] == ["http://testserver/"]


def test_guide_flask_quickstart(tenant, settings):
    """A user imported into Django, with the address Auth0 verified."""
    user = get_user_model().objects.create_user("ada", ADA.email)
    settings.LOGIN_URL = "social_auth0:login"
    client = Client()
    redirect = client.get("/dashboard")  # @requires_auth -> @login_required
    response = log_in_through(client, tenant, redirect["Location"])
    assert response["Location"] == "/dashboard"
    assert_same_account(client, user)


def without_our_settings(settings) -> None:
    """The site before the switch: none of the SOCIAL_AUTH_AUTH0_* settings."""
    for name in ("KEY", "SECRET", "DOMAIN"):
        delattr(settings, f"SOCIAL_AUTH_AUTH0_{name}")


def follow_the_warnings(old: dict[str, object]) -> dict[str, object]:
    """The settings after doing what each W091 says ("Set X = value ...")."""
    with override_settings(**old):
        warnings = migration_checks.check_seed_settings()
    new: dict[str, object] = {}
    for warning in warnings:
        found = re.match(r"Set (\w+) = (.+?) and remove (\w+)\.", warning.hint or "")
        if not found:
            continue
        name, value, removed = found.groups()
        shown_as_name = value == f"{removed} (its value is not shown)"
        new[name] = old[removed] if shown_as_name else ast.literal_eval(value)
    return new


def test_guide_django_auth0(tenant, settings):
    old = {
        "AUTH0_CLIENT_ID": "test-client-id",
        "AUTH0_SECRET": "test-client-secret",
        "AUTH0_DOMAIN": tenant.domain,
        "AUTH0_CALLBACK_URL": "auth0_callback",
        "AUTH0_SUCCESS_URL": "/dashboard",
    }
    without_our_settings(settings)
    with override_settings(**old):
        ids = [m.id for m in migration_checks.check_seed_settings()]
    assert ids == ["social_auth0.W091"] * 4 + ["social_auth0.W092"]
    new = follow_the_warnings(old)
    assert new == {
        "SOCIAL_AUTH_AUTH0_KEY": "test-client-id",
        "SOCIAL_AUTH_AUTH0_SECRET": "test-client-secret",
        "SOCIAL_AUTH_AUTH0_DOMAIN": tenant.domain,
        "LOGIN_REDIRECT_URL": "/dashboard",
    }
    for name, value in new.items():
        setattr(settings, name, value)
    user = get_user_model().objects.create_user("ada", ADA.email)
    client = Client()
    response = log_in_through(client, tenant, "/auth0/login/")
    assert response["Location"] == "/dashboard"
    assert_same_account(client, user)


def test_guide_django_auth0_authbackend(tenant, settings):
    old = {
        "AUTH0_CLIENT_ID": "test-client-id",
        "AUTH0_CLIENT_SECRET": "test-client-secret",
        "AUTH0_DOMAIN": tenant.domain,
        "AUTH0_GROUPS_FIELD": "https://example.com/roles",
        "AUTH0_STAFF_GROUP": "staff",
        "AUTH0_USER_FIELD_MAPPING": {"first_name": "given_name"},
    }
    without_our_settings(settings)
    new = follow_the_warnings(old)
    assert new["SOCIAL_AUTH_AUTH0_KEY"] == "test-client-id"
    assert new["SOCIAL_AUTH_AUTH0_SECRET"] == "test-client-secret"
    assert new["SOCIAL_AUTH_AUTH0_DOMAIN"] == tenant.domain
    assert new["SOCIAL_AUTH_AUTH0_STAFF_ROLES"] == ["staff"]
    assert new["SOCIAL_AUTH_AUTH0_ROLES_CLAIM"] == "https://example.com/roles"
    assert new["SOCIAL_AUTH_AUTH0_CLAIM_FIELDS"] == {"first_name": "given_name"}
    for name, value in new.items():
        setattr(settings, name, value)
    # Their users: username = sub, email copied from Auth0 (verified or not).
    users = get_user_model().objects
    ada = users.create_user(sub(), ADA.email, is_staff=True)
    squatter = users.create_user("auth0|squatter", ADA.email)
    snippet = files_of(doc_block("docs/migrating.rst", "adopt-users-command"))[
        "adopt_auth0_users.py"
    ]
    exec(compile(snippet, "adopt_auth0_users.py", "exec"), {})  # noqa: S102
    assert UserSocialAuth.objects.count() == 2
    client = Client()
    log_in_through(client, tenant, "/auth0/login/")
    assert client.session["_auth_user_id"] == str(ada.pk)
    ada.refresh_from_db()
    assert ada.is_staff  # their AUTH0_STAFF_GROUP, now STAFF_ROLES
    social = UserSocialAuth.objects.get(user=ada)
    assert (social.uid, social.id_key) == (sub(), "user_id")
    assert social.extra_data["picture"] == ADA.picture
    assert UserSocialAuth.objects.get(user=squatter).uid == "auth0|squatter"


def test_guide_social_core_builtin_backend(tenant):
    user = get_user_model().objects.create_user("ada", ADA.email)
    UserSocialAuth.objects.create(
        user=user,
        provider="auth0",
        uid=sub(),
        id_key="user_id",
        extra_data={"picture": "old.png", "access_token": "old", "user_id": sub()},
    )
    client = Client()
    log_in_through(client, tenant, "/login/auth0/")
    assert_same_account(client, user)
