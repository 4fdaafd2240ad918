"""social_auth0.E100, W100, E101: deployment checks, run by ``check --deploy``
only: the emulator's http:// domain in production, a callback URL built with
http behind an https proxy, a per-process shared cache in production."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import Client

from social_auth0.checks.deploy import (
    check_callback_scheme,
    check_emulator_domain,
    check_shared_cache_in_production,
)
from tests.support.check_settings import API_ONLY, LOCMEM, configured, ids

ROOT = Path(__file__).resolve().parents[2]
DUMMY = "django.core.cache.backends.dummy.DummyCache"
REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}
PROXY_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
OURS = re.compile(r"social_auth0\.[EW]\d{3}")


# -- E100: the emulator's domain with DEBUG off ---------------------------------


@pytest.mark.parametrize(
    "domain", ["http://127.0.0.1:8001", "http://localhost:8001/", "http://[::1]:8001"]
)
def test_an_http_domain_in_production_is_reported(settings, domain):
    settings.DEBUG = False
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain
    messages = check_emulator_domain()
    assert ids(messages) == ["social_auth0.E100"]
    assert "SOCIAL_AUTH_AUTH0_DOMAIN" in messages[0].msg
    assert "emulator" in messages[0].msg


@pytest.mark.parametrize(
    "debug, domain",
    [
        (True, "http://127.0.0.1:8001"),  # development: the emulator is fine
        (False, "tenant.eu.auth0.com"),
        (False, "https://tenant.eu.auth0.com/"),
        (False, "http://tenant.eu.auth0.com"),  # not loopback: E003's
        (False, None),  # E001's
    ],
)
def test_https_or_development_is_not_reported(settings, debug, domain):
    settings.DEBUG = debug
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain
    assert check_emulator_domain() == []


# -- W100: https cookies, http callback -------------------------------------------


def test_an_api_only_site_builds_no_callback_url(settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = None
    assert ids(check_callback_scheme()) == ["social_auth0.W100"]
    with configured(**API_ONLY):
        assert check_callback_scheme() == []


@pytest.mark.parametrize(
    "secure",
    [
        {"SESSION_COOKIE_SECURE": True},
        {"CSRF_COOKIE_SECURE": True},
        {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True},
    ],
)
def test_secure_cookies_without_a_proxy_header_are_reported(settings, secure):
    for name, value in secure.items():
        setattr(settings, name, value)
    settings.SECURE_PROXY_SSL_HEADER = None
    messages = check_callback_scheme()
    assert ids(messages) == ["social_auth0.W100"]
    assert all(name in messages[0].msg for name in secure)
    assert "SECURE_PROXY_SSL_HEADER" in messages[0].msg
    assert "SOCIAL_AUTH_AUTH0_REDIRECT_IS_HTTPS" in messages[0].msg


@pytest.mark.parametrize(
    "fix",
    [
        {"SECURE_PROXY_SSL_HEADER": PROXY_HEADER},
        {"SOCIAL_AUTH_REDIRECT_IS_HTTPS": True},
        {"SOCIAL_AUTH_AUTH0_REDIRECT_IS_HTTPS": True},
        {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False},
    ],
)
def test_a_proxy_header_or_https_redirects_are_not_reported(settings, fix):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = None
    for name, value in fix.items():
        setattr(settings, name, value)
    assert check_callback_scheme() == []


SECURITY = "django.middleware.security.SecurityMiddleware"


def test_https_redirects_by_django_are_not_reported(settings):
    """SECURE_SSL_REDIRECT (with SecurityMiddleware): Django answers every
    request it sees as http with a redirect, so a site that works sees https,
    the callback URL included (gunicorn or uvicorn behind nginx set the scheme
    from X-Forwarded-Proto themselves, with no SECURE_PROXY_SSL_HEADER)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SECURE_SSL_REDIRECT = True
    settings.MIDDLEWARE = [SECURITY, *settings.MIDDLEWARE]
    assert check_callback_scheme() == []
    # Without the middleware the setting redirects nothing: still reported.
    settings.MIDDLEWARE = settings.MIDDLEWARE[1:]
    assert ids(check_callback_scheme()) == ["social_auth0.W100"]


@pytest.mark.django_db
def test_with_https_redirects_the_callback_is_https_or_never_built(settings):
    """What the exemption rests on: with SECURE_SSL_REDIRECT a login Django
    sees as http is redirected before a callback URL is built; one it sees
    as https (the server set the scheme) sends an https callback URL."""
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SECURE_SSL_REDIRECT = True
    settings.MIDDLEWARE = [SECURITY, *settings.MIDDLEWARE]
    plain = Client().post("/login/auth0/", headers={"Host": "testserver"})
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/auth0/"
    authorize = Client().post("/login/auth0/", secure=True)
    query = parse_qs(urlsplit(authorize["Location"]).query)
    assert query["redirect_uri"][0].startswith("https://testserver/")


def redirect_uri(client: Client) -> str:
    # As a proxy forwards it: the Host the browser asked for, the scheme in a header.
    headers = {"Host": "testserver", "X-Forwarded-Proto": "https"}
    authorize = client.post("/login/auth0/", headers=headers)
    return parse_qs(urlsplit(authorize["Location"]).query)["redirect_uri"][0]


@pytest.mark.django_db
def test_what_w100_warns_of_happens_behind_a_proxy(settings):
    """A request the proxy marks https: without SECURE_PROXY_SSL_HEADER the
    callback URL sent to Auth0 is http (what W100 warns of); with it, https."""
    settings.SECURE_PROXY_SSL_HEADER = None
    assert redirect_uri(Client()).startswith("http://testserver/")
    settings.SECURE_PROXY_SSL_HEADER = PROXY_HEADER
    assert redirect_uri(Client()).startswith("https://testserver/")


# -- E101: a per-process shared cache with DEBUG off -------------------------------


@pytest.mark.parametrize("backend", [LOCMEM, DUMMY])
def test_a_per_process_shared_cache_in_production_is_reported(settings, backend):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": backend}}
    messages = check_shared_cache_in_production()
    assert ids(messages) == ["social_auth0.E101"]
    assert "SOCIAL_AUTH_AUTH0_SHARED_CACHE" in messages[0].msg


def test_the_shared_cache_alias_is_the_one_checked(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": REDIS, "local": {"BACKEND": LOCMEM}}
    assert check_shared_cache_in_production() == []
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "local"
    messages = check_shared_cache_in_production()
    assert ids(messages) == ["social_auth0.E101"]
    assert "'local'" in messages[0].msg


@pytest.mark.parametrize(
    "debug, caches",
    [
        (True, {"default": {"BACKEND": LOCMEM}}),  # development
        (False, {"default": REDIS}),
        (
            False,
            {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}},
        ),
        (False, {"other": REDIS}),  # no 'default': E011's
    ],
)
def test_a_shared_cache_or_development_is_not_reported(settings, debug, caches):
    settings.DEBUG = debug
    settings.CACHES = caches
    assert check_shared_cache_in_production() == []


# -- registered for check --deploy only -----------------------------------------


def test_they_run_under_check_deploy_only(settings):
    settings.DEBUG = False
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "http://127.0.0.1:8001"
    settings.SESSION_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.CACHES = {"default": {"BACKEND": LOCMEM}}
    wanted = {"social_auth0.E100", "social_auth0.W100", "social_auth0.E101"}
    plain = {m.id for m in checks.run_checks(tags=["social_auth0"])}
    assert not plain & wanted
    deploy = checks.run_checks(tags=["social_auth0"], include_deployment_checks=True)
    assert wanted <= {m.id for m in deploy}
    out = StringIO()
    with pytest.raises(Exception, match="SystemCheckError|E100") as error:
        call_command("check", "--deploy", "--tag", "social_auth0", stdout=out)
    assert "social_auth0.E100" in str(error.value)


def check_deploy(env: dict[str, str]) -> tuple[int, set[str]]:
    """``manage.py check --deploy`` of the example project: exit code, our ids."""
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AUTH0_", "DJANGO_", "SOCIAL_AUTH_"))
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "example_project" / "manage.py"),
            "check",
            "--deploy",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "DJANGO_DEBUG": "0", **env},
    )
    return result.returncode, set(OURS.findall(result.stdout + result.stderr))


def test_the_example_project_with_debug_off(tmp_path):
    """On the emulator, check --deploy stops at E100; on a real tenant it
    reports nothing of ours (its cache is shared, its cookies not secure)."""
    env = {"EXAMPLE_CACHE": str(tmp_path / "cache")}
    status, found = check_deploy(env)
    assert (status, found) == (1, {"social_auth0.E100"})
    real = {
        "AUTH0_DOMAIN": "tenant.eu.auth0.com",
        "AUTH0_CLIENT_ID": "a" * 32,
        "AUTH0_CLIENT_SECRET": "s" * 64,
        "AUTH0_AUDIENCE": "https://api.example.com/",
    }
    status, found = check_deploy({**env, **real})
    assert (status, found) == (0, set())
