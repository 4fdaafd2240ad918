"""Checks for sites moving over: each seed system's setting is recognised and
named with what to use instead (whole ``checks.Warning`` objects compared), and
our backend without ``"social_auth0"`` in INSTALLED_APPS is an error at startup
or at first use, in a real ``manage.py`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from social_auth0 import conf as installed
from social_auth0.checks import switching as migration_checks

ROOT = Path(__file__).resolve().parents[2]


def warning(msg: str, hint: str, id: str) -> checks.Warning:
    return checks.Warning(msg, hint=hint, id=id)


# Seed systems' settings (W091, W092, W093) ---------------------------------------


@pytest.mark.parametrize(
    ("old", "value", "system", "new", "shown"),
    [
        (
            "AUTH0_CLIENT_ID",
            "abc123",
            migration_checks.BOTH,
            "SOCIAL_AUTH_AUTH0_KEY",
            "'abc123'",
        ),
        (
            "AUTH0_DOMAIN",
            "t.eu.auth0.com",
            migration_checks.BOTH,
            "SOCIAL_AUTH_AUTH0_DOMAIN",
            "'t.eu.auth0.com'",
        ),
        (
            "AUTH0_AUDIENCE",
            "https://api",
            "django-auth0-authbackend",
            "SOCIAL_AUTH_AUTH0_AUDIENCE",
            "'https://api'",
        ),
        (
            "AUTH0_SUCCESS_URL",
            "/dashboard",
            "django-auth0",
            "LOGIN_REDIRECT_URL",
            "'/dashboard'",
        ),
        (
            "AUTH0_CLIENT_SECRET",
            "s3cret",
            "django-auth0-authbackend",
            "SOCIAL_AUTH_AUTH0_SECRET",
            "AUTH0_CLIENT_SECRET (its value is not shown)",
        ),
        (
            "AUTH0_SECRET",
            "s3cret",
            "django-auth0",
            "SOCIAL_AUTH_AUTH0_SECRET",
            "AUTH0_SECRET (its value is not shown)",
        ),
    ],
)
def test_each_seed_setting_names_ours_with_the_value(old, value, system, new, shown):
    with override_settings(**{old: value}):
        assert migration_checks.check_seed_settings() == [
            warning(
                f"{old} is a setting of {system}; social_auth0 does not read it.",
                f"Set {new} = {shown} and remove {old}.",
                "social_auth0.W091",
            )
        ]
    assert "s3cret" not in str(migration_checks.check_seed_settings())


def test_authbackend_role_settings_map_to_roles_and_the_claim():
    with override_settings(AUTH0_STAFF_GROUP="staff", AUTH0_SUPERUSER_GROUP="admins"):
        found = migration_checks.check_seed_settings()
    claim_hint = (
        " Roles are read from SOCIAL_AUTH_AUTH0_ROLES_CLAIM, which has no default: "
        "set it too (django-auth0-authbackend read 'groups')."
    )
    system = "django-auth0-authbackend; social_auth0 does not read it."
    assert found == [
        warning(
            f"AUTH0_STAFF_GROUP is a setting of {system}",
            "Set SOCIAL_AUTH_AUTH0_STAFF_ROLES = ['staff'] and remove "
            f"AUTH0_STAFF_GROUP.{claim_hint}",
            "social_auth0.W091",
        ),
        warning(
            f"AUTH0_SUPERUSER_GROUP is a setting of {system}",
            "Set SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES = ['admins'] and remove "
            "AUTH0_SUPERUSER_GROUP. Django's admin also needs is_staff: list the "
            f"role in SOCIAL_AUTH_AUTH0_STAFF_ROLES too.{claim_hint}",
            "social_auth0.W091",
        ),
    ]


def test_field_mapping_and_groups_field():
    mapping = {"first_name": "given_name", "last_name": "family_name"}
    with override_settings(
        AUTH0_USER_FIELD_MAPPING=mapping, AUTH0_GROUPS_FIELD="groups"
    ):
        hints = [m.hint for m in migration_checks.check_seed_settings()]
    assert hints[0].startswith(f"Set SOCIAL_AUTH_AUTH0_CLAIM_FIELDS = {mapping!r} and")
    assert hints[1].startswith("Set SOCIAL_AUTH_AUTH0_ROLES_CLAIM = 'groups' and")


def test_a_setting_carried_over_is_not_reported():
    with override_settings(
        AUTH0_CLIENT_ID="abc",
        SOCIAL_AUTH_AUTH0_KEY="abc",
        AUTH0_CLIENT_SECRET="s",
        SOCIAL_AUTH_AUTH0_SECRET="s",
        AUTH0_STAFF_GROUP="staff",
        SOCIAL_AUTH_AUTH0_STAFF_ROLES=["staff"],
    ):
        assert migration_checks.check_seed_settings() == []


def test_a_carried_over_setting_with_another_value_is_reported():
    with override_settings(AUTH0_CLIENT_ID="new", SOCIAL_AUTH_AUTH0_KEY="old"):
        assert [m.id for m in migration_checks.check_seed_settings()] == [
            "social_auth0.W091"
        ]


@pytest.mark.parametrize(
    ("old", "system"),
    [
        ("AUTH0_CALLBACK_URI", "django-auth0-authbackend"),
        ("AUTH0_CALLBACK_URL", "django-auth0"),
    ],
)
@pytest.mark.parametrize("slash", [True, False])
def test_callback_settings_say_what_to_register(old, system, slash):
    path = "/complete/auth0/" if slash else "/complete/auth0"
    with override_settings(**{old: "auth0_callback"}, SOCIAL_AUTH_TRAILING_SLASH=slash):
        assert migration_checks.check_seed_settings() == [
            warning(
                f"{old} is a setting of {system}; social_auth0 does not read it.",
                f"Remove {old}: the callback is social_django's {path!r} on this "
                f"site; register https://<your site>{path} under Allowed Callback "
                "URLs.",
                "social_auth0.W092",
            )
        ]


def test_django_auth0_context_processor():
    engine = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"context_processors": ["django_auth0.context_processors.auth0"]},
    }
    with override_settings(TEMPLATES=[engine]):
        assert [m.id for m in migration_checks.check_seed_context_processor()] == [
            "social_auth0.W093"
        ]
    assert migration_checks.check_seed_context_processor() == []


# The quickstarts' SCOPE (W094) and LOGIN_URL (W090) ---------------------------------


def test_quickstart_scope_without_email():
    with override_settings(SOCIAL_AUTH_AUTH0_SCOPE=["openid", "profile"]):
        assert migration_checks.check_scope() == [
            warning(
                "SOCIAL_AUTH_AUTH0_SCOPE = ['openid', 'profile'] lacks 'email'.",
                "Set SOCIAL_AUTH_AUTH0_SCOPE = [] (extra scopes only) or remove it: "
                "'openid profile email' is always requested.",
                "social_auth0.W094",
            )
        ]


def test_scope_without_email_and_without_the_default_scope():
    with override_settings(
        SOCIAL_AUTH_AUTH0_SCOPE=["openid", "offline_access"],
        SOCIAL_AUTH_AUTH0_IGNORE_DEFAULT_SCOPE=True,
    ):
        assert migration_checks.check_scope()[0].hint == (
            "Set SOCIAL_AUTH_AUTH0_SCOPE = ['openid', 'profile', 'email', "
            "'offline_access']: without 'email' no address reaches the user, and "
            "accounts are never linked by verified email."
        )


@pytest.mark.parametrize(
    "scope", [["email", "offline_access"], ["offline_access", "read:reports"]]
)
def test_scope_with_email_or_extra_scopes_only_is_fine(scope):
    # Extra scopes only is the documented use: openid profile email are sent too.
    with override_settings(SOCIAL_AUTH_AUTH0_SCOPE=scope):
        assert migration_checks.check_scope() == []


@pytest.mark.parametrize("login_url", ["/login/auth0", "/login/auth0/"])
def test_old_login_url_to_the_post_only_view(login_url):
    with override_settings(LOGIN_URL=login_url):
        assert migration_checks.check_login_url() == [
            warning(
                f"LOGIN_URL = {login_url!r} leads to social_django's login view, "
                "which answers a GET with 405 (social-auth-app-django 8 made it "
                "POST-only).",
                "Set LOGIN_URL = 'social_auth0:login', or in urls.py include "
                "'social_auth0.social_urls' instead of 'social_django.urls' (same "
                "URLs; /login/auth0 then answers a GET with the login page too).",
                "social_auth0.W090",
            )
        ]


@pytest.mark.parametrize(
    "login_url", ["social_auth0:login", "/auth0/login/", "/elsewhere/"]
)
def test_login_url_to_a_page_is_fine(login_url):
    with override_settings(LOGIN_URL=login_url):
        assert migration_checks.check_login_url() == []


@pytest.mark.urls("tests.support.social_urls_conf")
def test_old_login_url_is_fine_with_social_urls():
    with override_settings(LOGIN_URL="/login/auth0"):
        assert migration_checks.check_login_url() == []


def test_installed_app_gives_no_e090():
    assert installed.check_app_installed() == []


# Organizations after social-core's backend (W095) -------------------------------------

W095 = checks.Warning(
    "Associations of provider 'auth0' written by social-core's auth0 backend "
    "exist, and neither SOCIAL_AUTH_AUTH0_ORGANIZATION nor "
    "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS is set: a login through an Auth0 "
    "Organization (a token carrying org_id), which social-core's backend let in, "
    "is refused.",
    hint="If users log in through Organizations, set "
    "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS to their ids or names (or '*' for "
    "any), or SOCIAL_AUTH_AUTH0_ORGANIZATION for one.",
    id="social_auth0.W095",
)


def social_core_row(extra_data: dict[str, object]) -> None:
    """An association as social-core's auth0 backend leaves it."""
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    user = get_user_model().objects.create(username="ada")
    UserSocialAuth.objects.create(
        user=user, provider="auth0", uid="auth0|ada", extra_data=extra_data
    )


SOCIAL_CORE_EXTRA_DATA = {
    "auth_time": 1700000000,
    "picture": "https://example.com/ada.png",
    "access_token": "plaintext-access-token",
    "token_type": "Bearer",
}


def database_check(**settings: object) -> list[checks.CheckMessage]:
    """``manage.py check --database default``: the registered checks, with the DB."""
    with override_settings(**settings):
        found = checks.run_checks(databases=["default"])
    return [message for message in found if message.id == "social_auth0.W095"]


@pytest.mark.django_db
def test_social_core_rows_without_organizations_warn_at_check_database():
    social_core_row(SOCIAL_CORE_EXTRA_DATA)
    assert database_check() == [W095]
    # Without the database (plain "manage.py check") it looks at no row.
    assert migration_checks.check_organization_logins() == []
    # Nor is it run: it carries Django's "database" tag only (Django 6.1 hands
    # every alias to every check run, so the check cannot tell by itself).
    assert "social_auth0.W095" not in {m.id for m in checks.run_checks()}
    assert "social_auth0.W095" not in {
        m.id for m in checks.run_checks(tags=["social_auth0"])
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setting",
    [
        {"SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS": ["org_abc"]},
        {"SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS": "*"},
        {"SOCIAL_AUTH_AUTH0_ORGANIZATION": "org_abc"},
    ],
)
def test_social_core_rows_with_an_organization_setting_are_fine(setting):
    social_core_row(SOCIAL_CORE_EXTRA_DATA)
    assert database_check(**setting) == []


@pytest.mark.django_db
def test_our_own_rows_do_not_warn():
    social_core_row({"picture": "https://example.com/ada.png", "org_id": None})
    assert database_check() == []


# Backend listed, app not installed (E090), in real processes ------------------------

SETTINGS = """
SECRET_KEY = "not-installed-test"
DEBUG = True
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "social_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "site_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
AUTHENTICATION_BACKENDS = ["social_auth0.backend.Auth0OAuth2"]
SOCIAL_AUTH_AUTH0_DOMAIN = "tenant.eu.auth0.com"
SOCIAL_AUTH_AUTH0_KEY = "id"
SOCIAL_AUTH_AUTH0_SECRET = "secret"
"""
NAMING = "'social_auth0' is not in INSTALLED_APPS"


def run_site(tmp_path, settings_extra: str, urls: str, code: str):
    (tmp_path / "site_settings.py").write_text(SETTINGS + settings_extra)
    (tmp_path / "site_urls.py").write_text(textwrap.dedent(urls))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "site_settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


CHECK = """
import django, sys
from django.core.management import call_command
django.setup()
call_command("check")
"""
FIRST_LOGIN = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
Client().post("/login/auth0/")
"""
SOCIAL_ONLY = """
from django.urls import include, path
urlpatterns = [path("", include("social_django.urls", namespace="social"))]
"""


def test_check_reports_e090_when_settings_import_the_pipeline(tmp_path):
    result = run_site(
        tmp_path,
        "from social_auth0.pipeline import PIPELINE\nSOCIAL_AUTH_PIPELINE = PIPELINE\n",
        SOCIAL_ONLY,
        CHECK,
    )
    assert result.returncode != 0
    assert "social_auth0.E090" in result.stderr
    assert NAMING in result.stderr


def test_check_fails_naming_installed_apps_when_urls_include_ours(tmp_path):
    urls = (
        SOCIAL_ONLY
        + 'urlpatterns.append(path("auth0/", include("social_auth0.urls")))\n'
    )
    result = run_site(tmp_path, "", urls, CHECK)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert NAMING in result.stderr


def test_first_login_fails_naming_installed_apps(tmp_path):
    result = run_site(tmp_path, "", SOCIAL_ONLY, FIRST_LOGIN)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert NAMING in result.stderr
