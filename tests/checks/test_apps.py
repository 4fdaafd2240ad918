"""apps.py: every system check is registered by ``ready()``, and only there.

The first test does not import any check module: it runs Django's check
framework, as ``manage.py check`` does, with one bad setting per registered
check function, and looks for that function's id. A check left out of
``CHECKS`` or a module left out of ``checks.ALL`` is then never run, and
its case fails.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.test import modify_settings, override_settings

import social_auth0
from social_auth0 import checks as check_package

REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379",
}


# Each registered check function: a setting that makes it report, and its id.
CASES = [
    ("checks.tenant.check_domain", {"SOCIAL_AUTH_AUTH0_DOMAIN": None}, "E001"),
    ("checks.tenant.check_credentials", {"SOCIAL_AUTH_AUTH0_KEY": ""}, "E004"),
    ("checks.tenant.check_pkce", {"SOCIAL_AUTH_AUTH0_USE_PKCE": False}, "E006"),
    ("checks.tenant.check_numbers", {"SOCIAL_AUTH_AUTH0_LEEWAY": -1}, "E010"),
    (
        "checks.cache.check_shared_cache",
        {"SOCIAL_AUTH_AUTH0_SHARED_CACHE": "x"},
        "E011",
    ),
    (
        "checks.cache.check_deprecated_names",
        {"SOCIAL_AUTH_AUTH0_JWKS_CACHE": "default"},
        "W008",
    ),
    ("checks.installation.check_backends", {"AUTHENTICATION_BACKENDS": []}, "E007"),
    ("checks.installation.check_installed_apps", "no social_django", "E009"),
    (
        "checks.installation.check_error_handling",
        {"SOCIAL_AUTH_RAISE_EXCEPTIONS": True},
        "W003",
    ),
    ("checks.logout.check_logout", {"SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT": "v3"}, "E012"),
    (
        "checks.tenant.check_tls_verification",
        {"SOCIAL_AUTH_AUTH0_VERIFY_SSL": False},
        "E030",
    ),
    ("checks.tenant.check_security_ranges", {"SOCIAL_AUTH_AUTH0_LEEWAY": 301}, "W030"),
    (
        "checks.redirects.check_redirects",
        {"SOCIAL_AUTH_SANITIZE_REDIRECTS": False},
        "W033",
    ),
    (
        "checks.redirects.check_url_names",
        {"LOGIN_REDIRECT_URL": "social_auth0:no-such-page"},
        "E035",
    ),
    (
        "checks.pipeline.check_pipeline_settings",
        {"SOCIAL_AUTH_AUTH0_ROLES_TOKEN": "refresh_token"},
        "E014",
    ),
    (
        "checks.pipeline.check_pipeline_setup",
        {"SOCIAL_AUTH_AUTH0_ROLES_CLAIM": " "},
        "E020",
    ),
    (
        "checks.cache.check_shared_cache_timeouts",
        {"CACHES": {"default": REDIS}},
        "W050",
    ),
    (
        "checks.api.check_api_audience",
        {"SOCIAL_AUTH_AUTH0_API_AUDIENCE": []},
        "E061",
    ),
    (
        "checks.api.check_api_options",
        {"SOCIAL_AUTH_AUTH0_API_LINKED_USER": "yes"},
        "E064",
    ),
    (
        "checks.login.check_request_params",
        {"SOCIAL_AUTH_AUTH0_REQUEST_PARAMS": "screen_hint"},
        "E081",
    ),
    (
        "checks.login.check_organizations",
        {
            "SOCIAL_AUTH_AUTH0_ORGANIZATION": "org_abc",
            "SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS": ["org_abc"],
        },
        "E084",
    ),
    (
        "checks.login.check_organization_groups",
        {"SOCIAL_AUTH_AUTH0_ORGANIZATION_GROUPS": ["Acme"]},
        "E086",
    ),
    ("checks.switching.check_seed_settings", {"AUTH0_CLIENT_ID": "abc"}, "W091"),
    (
        "checks.switching.check_seed_context_processor",
        {
            "TEMPLATES": [
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True,
                    "OPTIONS": {
                        "context_processors": ["django_auth0.context_processors.auth0"]
                    },
                }
            ]
        },
        "W093",
    ),
    ("checks.switching.check_scope", {"SOCIAL_AUTH_AUTH0_SCOPE": ["openid"]}, "W094"),
    ("checks.switching.check_login_url", {"LOGIN_URL": "/login/auth0/"}, "W090"),
    (
        "checks.access.check_token_keys",
        {"SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS": ["not a key"]},
        "E070",
    ),
    (
        "checks.access.check_stored_tokens",
        {"SOCIAL_AUTH_AUTH0_STORE_TOKENS": True},
        "W070",
    ),
    (
        "checks.access.check_refresh_lock",
        {
            "SOCIAL_AUTH_AUTH0_STORE_TOKENS": True,
            "SOCIAL_AUTH_AUTH0_REFRESH_LOCK_CACHE": "nope",
        },
        "E071",
    ),
    (
        "checks.access.check_apis",
        {"SOCIAL_AUTH_AUTH0_APIS": ["https://billing.example.com/"]},
        "E078",
    ),
    (
        "checks.resource_metadata.check_resource_metadata",
        {"SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA": "yes"},
        "E120",
    ),
    (
        "checks.resource_metadata.check_scopes_supported",
        {"SOCIAL_AUTH_AUTH0_API_SCOPES_SUPPORTED": "read"},
        "E122",
    ),
    (
        "checks.client_auth.check_client_authentication",
        {"SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION": "client_secret_basic"},
        "E140",
    ),
    (
        "checks.client_auth.check_assertion_key",
        {"SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION": "private_key_jwt"},
        "E141",
    ),
    (
        "checks.client_auth.check_pushed_authorization_requests",
        {"SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS": "yes"},
        "E144",
    ),
    (
        "checks.domains.check_custom_domains",
        {"SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS": "login.acme.com"},
        "E130",
    ),
    (
        "checks.domains.check_domain_resolver",
        {"SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER": "nowhere.domain_for"},
        "E132",
    ),
    (
        "checks.dpop.check_dpop_key",
        {"SOCIAL_AUTH_AUTH0_DPOP": True},
        "E150",
    ),
    (
        "checks.dpop.check_old_keys",
        {"SOCIAL_AUTH_AUTH0_DPOP_OLD_KEYS": ["not a key"]},
        "E153",
    ),
    # checks.api.check_drf_installed: test_resource_checks runs it the
    # same way, in a process without rest_framework; conf.check_app_installed
    # (E090) needs the app missing: test_migration_checks runs real processes;
    # switching.check_organization_logins (W095) is a database check:
    # test_switching runs it through "manage.py check --database".
]
DATABASE_CHECK = "checks.switching.check_organization_logins"
# Registered when the backend is imported, not in ready(): without the app
# installed, ready() never runs, and this check is the one that says so.
AT_IMPORT = "conf.check_app_installed"


@pytest.mark.parametrize(
    ("check", "bad_settings", "check_id"), CASES, ids=[case[0] for case in CASES]
)
def test_every_check_runs_in_manage_py_check(check, bad_settings, check_id):
    if bad_settings == "no social_django":
        changed = modify_settings(INSTALLED_APPS={"remove": ["social_django"]})
    else:
        changed = override_settings(**bad_settings)
    with changed:
        reported = [m.id for m in checks.run_checks(tags=["social_auth0"])]
    assert f"social_auth0.{check_id}" in reported, check


def test_the_cases_above_cover_every_registered_check():
    named = {check for check, _, _ in CASES}
    registered = {
        f"{check.__module__.removeprefix('social_auth0.')}.{check.__name__}"
        for check in checks.registry.registry.get_checks()
        if check.__module__.startswith("social_auth0.")
    }
    assert registered - named == {
        "checks.api.check_drf_installed",
        AT_IMPORT,
        DATABASE_CHECK,
    }
    assert named <= registered


def check_module_names() -> set[str]:
    """Every module of system checks in ``social_auth0/checks/`` (not the doctor)."""
    return {
        f"checks.{info.name}"
        for info in pkgutil.iter_modules(check_package.__path__)
        if info.name not in ("doctor", "lookup")
    }


def test_every_check_module_is_in_all():
    listed = {
        check
        for name in check_module_names()
        for check in importlib.import_module(f"social_auth0.{name}").CHECKS
    }
    # ALL holds each wrapped to run once per Auth0 backend (lookup.per_backend);
    # DEPLOY likewise, the checks registered with deploy=True; DATABASE the
    # ones registered with Django's "database" tag.
    every = (*check_package.ALL, *check_package.DEPLOY, *check_package.DATABASE)
    assert {inspect.unwrap(check) for check in every} == listed
    assert len(every) == len(listed)


@pytest.mark.parametrize("name", sorted(check_module_names()))
def test_every_check_function_of_a_module_is_in_its_checks(name):
    module = importlib.import_module(f"social_auth0.{name}")
    defined = {
        function
        for attribute, function in inspect.getmembers(module, inspect.isfunction)
        if attribute.startswith("check_") and function.__module__ == module.__name__
    }
    assert set(module.CHECKS) == defined
    registered = map(
        inspect.unwrap,
        checks.registry.registry.get_checks(include_deployment_checks=True),
    )
    assert set(module.CHECKS) <= set(registered)


QUIET_PROCESS = """
import importlib, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
from django.conf import settings
from social_auth0.apps import SocialAuth0Config

class Quiet(SocialAuth0Config):
    def ready(self):  # registers nothing
        pass

settings.INSTALLED_APPS = [
    "__main__.Quiet" if app == "social_auth0" else app
    for app in settings.INSTALLED_APPS
]
import django
django.setup()
from django.core.checks.registry import registry
for name in sys.argv[1:]:
    importlib.import_module("social_auth0." + name)
print(sorted(
    check.__module__ + "." + check.__name__
    for check in registry.registered_checks
    if check.__module__.startswith("social_auth0")
))
"""


def test_importing_a_check_module_registers_nothing():
    """Only ready() registers: a module imported by something else (a test,
    doctor, a management command) adds no check of its own."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", QUIET_PROCESS, *sorted(check_module_names())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    # The one exception: importing the backend registers E090's check.
    assert result.stdout.strip() == repr([f"social_auth0.{AT_IMPORT}"]), result.stderr


def table_of_ids() -> dict[str, set[str]]:
    """``checks/__init__.py``'s table: module file -> the ids its rows give."""
    rows: dict[str, set[str]] = {}
    current: set[str] = set()
    table = (check_package.__doc__ or "").split("=\n")[2]  # the rows, no header
    for line in table.splitlines():
        ids = re.findall(r"[EW]\d{3}(?:-[EW]\d{3})?", line.split("``")[0])
        module = re.search(r"``([a-z_.]+\.py|social_auth0\.conf)``", line)
        if module:  # a row starts; lines without a module continue it
            name = module.group(1).removeprefix("social_auth0.")
            current = rows.setdefault(name.removesuffix(".py"), set())
        current.update(i for spec in ids for i in expand(spec))
    return rows


def expand(spec: str) -> list[str]:
    """``E001-E003`` -> E001, E002, E003."""
    first, _, last = spec.partition("-")
    last = last or first
    return [f"{first[0]}{n:03d}" for n in range(int(first[1:]), int(last[1:]) + 1)]


def raised_ids(module: str) -> set[str]:
    """The check ids a module's source raises (``id="social_auth0.E001"``)."""
    path = Path(social_auth0.__file__).parent / f"{module.replace('.', '/')}.py"
    if module != "conf":
        path = Path(check_package.__file__).parent / f"{module}.py"
    return set(re.findall(r'id=f?"social_auth0\.([EW]\d{3})"', path.read_text()))


def test_the_id_table_names_the_module_of_every_check_id():
    table = table_of_ids()
    modules = {name.removeprefix("checks.") for name in check_module_names()}
    assert set(table) == modules | {"conf"}
    for module, listed in table.items():
        raised = raised_ids(module)
        assert raised, module
        assert raised <= listed, (module, sorted(raised - listed))
