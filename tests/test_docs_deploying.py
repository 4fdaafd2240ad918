"""docs/deploying.rst as written: its production settings pass its
``check --deploy`` with nothing of ours to report, each thing the page warns
of is reported when left out, and behind a proxy those settings send Auth0 an
https callback URL."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings

from tests.support.docs import doc_block

ROOT = Path(__file__).resolve().parent.parent
OURS = re.compile(r"social_auth0\.[EW]\d{3}")
MANAGE_PY = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "production")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""
ENVIRONMENT = {
    "REDIS_URL": "redis://127.0.0.1:6379/0",  # never connected to by the checks
    "AUTH0_DOMAIN": "tenant.eu.auth0.com",
    "AUTH0_CLIENT_ID": "test-client-id",
    "AUTH0_CLIENT_SECRET": "test-client-secret",
}


def settings_block() -> str:
    return doc_block("docs/deploying.rst", "deploying-settings")


def run_check(tmp_path: Path, settings: str, **env: str) -> tuple[int, set[str]]:
    """The page's ``check --deploy`` command, as written, in a project whose
    settings are this repository's test settings plus ``settings``."""
    (tmp_path / "production.py").write_text("from tests.settings import *\n" + settings)
    (tmp_path / "manage.py").write_text(MANAGE_PY)
    command = shlex.split(
        doc_block("docs/deploying.rst", "deploying-check").removeprefix("$ ")
    )
    assert command[:2] == ["python", "manage.py"]
    result = subprocess.run(  # noqa: S603
        [sys.executable, *command[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            **os.environ,
            **ENVIRONMENT,
            **env,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
            "DJANGO_SETTINGS_MODULE": "production",
        },
    )
    return result.returncode, set(OURS.findall(result.stdout + result.stderr))


def test_the_pages_settings_pass_check_deploy(tmp_path):
    assert run_check(tmp_path, settings_block()) == (0, set())


@pytest.mark.parametrize(
    "left_out, expected",
    [
        ('SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")\n', "W100"),
        ('"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},\n', "W050"),
    ],
)
def test_what_the_page_warns_of_is_reported(tmp_path, left_out, expected):
    block = settings_block()
    assert left_out in block
    status, found = run_check(tmp_path, block.replace(left_out, ""))
    assert found == {f"social_auth0.{expected}"}


def test_the_emulator_or_a_local_cache_stop_check_deploy(tmp_path):
    block = settings_block().replace(
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.locmem.LocMemCache",
    )
    status, found = run_check(tmp_path, block, AUTH0_DOMAIN="http://127.0.0.1:8001")
    assert status == 1
    # W004 is the everyday warning of the same local cache.
    assert found == {"social_auth0.E100", "social_auth0.E101", "social_auth0.W004"}


@pytest.mark.django_db
def test_behind_a_proxy_the_callback_url_is_https():
    """The page's proxy settings, a request as the proxy forwards it: Auth0 is
    sent https://www.example.com/complete/auth0/."""
    values: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        exec(settings_block(), {}, values)  # noqa: S102 (the page's code)
    wanted = ("ALLOWED_HOSTS", "SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST")
    wanted += ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example.com"}
    with override_settings(**{name: values[name] for name in wanted}):
        answer = Client().post(
            "/login/auth0/", headers={"Host": "proxy-upstream", **forwarded}
        )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["redirect_uri"] == ["https://www.example.com/complete/auth0/"]
