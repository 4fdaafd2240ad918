"""The example project (README's first command) passes ``manage.py check`` with
no warning at all: what we ship as the way to set up must not draw our checks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from .support.docs import doc_block

ROOT = Path(__file__).resolve().parent.parent


def test_the_example_project_draws_no_system_check_message(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AUTH0_", "DJANGO_SETTINGS_MODULE"))
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "example_project" / "manage.py"),
            "check",
            "--fail-level",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Run under the example project's settings: the Quickstart's urls.py and
# settings.py blocks, executed, against the example project's.
FOLLOWS_THE_QUICKSTART = """
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, get_resolver

def routes(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLPattern):
            yield route, f"{p.callback.__module__}.{p.callback.__qualname__}"
        else:
            yield from routes(p.url_patterns, route)

urls = {}
quickstart = {"BASE_DIR": settings.BASE_DIR, "INSTALLED_APPS": [], "MIDDLEWARE": []}
exec(sys.argv[1], urls)
exec(sys.argv[2], quickstart)
mine = set(routes(get_resolver().url_patterns))
missing = [r for r in routes(urls["urlpatterns"]) if r not in mine and r[0] != ""]
unlike = [
    name for name in ("INSTALLED_APPS", "MIDDLEWARE")
    if not set(quickstart[name]) <= set(getattr(settings, name))
] + [
    name
    for name in ("AUTHENTICATION_BACKENDS", "LOGIN_URL", "SOCIAL_AUTH_RAISE_EXCEPTIONS")
    if quickstart[name] != getattr(settings, name)
]
if quickstart["CACHES"]["default"]["BACKEND"] != settings.CACHES["default"]["BACKEND"]:
    unlike.append("CACHES")
page = Client(HTTP_HOST="127.0.0.1").get("/login/auth0/")
print(json.dumps({"missing": missing, "unlike": unlike, "get_login": page.status_code}))
"""


def test_the_example_project_follows_the_quickstart(tmp_path):
    """Every URL of the Quickstart's urls.py (but its home page: the example has
    its own) is routed to the same view, its settings lines are there, and a GET
    of the old /login/auth0/ link shows the login page."""
    import json

    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AUTH0_", "DJANGO_SETTINGS_MODULE"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "example_project"), str(ROOT)])
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            FOLLOWS_THE_QUICKSTART,
            doc_block("README.rst", "quickstart-urls"),
            doc_block("README.rst", "quickstart-settings"),
        ],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found == {"missing": [], "unlike": [], "get_login": 200}


def test_a_taken_emulator_port_is_named_with_the_variable_that_moves_it(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AUTH0_", "DJANGO_SETTINGS_MODULE"))
    }
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env["AUTH0_EMULATOR_PORT"] = str(port)
        env["EXAMPLE_DATABASE"] = str(tmp_path / "db.sqlite3")
        result = subprocess.run(  # noqa: S603
            [
                sys.executable, str(ROOT / "example_project" / "manage.py"),
                "runserver", "127.0.0.1:0", "--noreload", "--skip-checks",
            ],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "set AUTH0_EMULATOR_PORT to a free port" in result.stderr
    assert "Traceback" not in result.stderr
