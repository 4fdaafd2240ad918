"""README.rst's Quickstart, taken out of README.rst as it stands and followed in
a fresh ``django-admin startproject``: its settings and urls.py pasted in, its
commands run (``check`` names missing values, then is clean; ``migrate``), the
emulator and ``runserver`` started as it says (on free ports), and a whole
login and logout (ours and the admin's) driven over real HTTP."""

from __future__ import annotations

import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from social_auth0.testing import browser

from .test_readme_examples import files_of, python_blocks, section

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "ada@example.com", "correct horse"  # the emulator's demo login


class Form(HTMLParser):
    """The action and hidden inputs of the first form of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes.get("value") or ""


def literal_commands(text: str) -> list[str]:
    """Shell commands of the section's ``::`` blocks (``\\`` lines joined)."""
    blocks = re.findall(r"::\n\n((?:    .*\n|\n)+)", text)
    commands = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", "", block)
        commands += [line.strip() for line in joined.splitlines() if line.strip()]
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def python(command: str) -> list[str]:
    """A README command line as argv, with this interpreter for ``python``."""
    args = shlex.split(command)
    return [sys.executable if args[0] == "python" else args[0], *args[1:]]


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(process.stderr.read() if process.stderr else "")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


def logged_in_sessions(project: Path) -> int:
    """Sessions an Auth0 login opened and no logout ended (social_auth0's records)."""
    with sqlite3.connect(project / "db.sqlite3") as db:
        (count,) = db.execute(
            "select count(*) from social_auth0_auth0session"
        ).fetchone()
        (users,) = db.execute(
            "select count(*) from social_auth_usersocialauth"
        ).fetchone()
    assert users == 1  # the same identity every time
    return count


_ENV: dict[str, str] = {}


def project_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **_ENV, **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py sets mysite's
    return env


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh startproject with the Quickstart's blocks pasted in."""
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)],
        check=True,
        timeout=60,
    )
    files = {}
    for block in python_blocks(section("Quickstart")):
        files.update(files_of(block))
    assert files.keys() == {"settings.py", "urls.py"}
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + files["settings.py"])
    (tmp_path / "mysite" / "urls.py").write_text(files["urls.py"])
    return tmp_path


def test_the_quickstart_works_in_a_fresh_project(project):
    commands = literal_commands(section("Quickstart"))
    site_port, tenant_port = free_port(), free_port()
    commands = [
        c.replace("8000", str(site_port)).replace("8001", str(tenant_port))
        for c in commands
    ]
    manage = [c for c in commands if c.startswith("python manage.py")]
    assert manage == ["python manage.py migrate", "python manage.py check"]
    emulator = next(c for c in commands if "social_auth0.testing" in c)
    server = next(c for c in commands if c.endswith("manage.py runserver"))

    # Without the variables, check names each missing setting (no crash).
    unset = run(python("python manage.py check"), project, project_env())
    assert unset.returncode == 1, unset.stderr
    for check_id in ("E001", "E004", "E005"):
        assert f"social_auth0.{check_id}" in unset.stderr

    # The README's env assignments before runserver are the site's settings.
    *assignments, _, _, _ = shlex.split(server)
    _ENV.clear()
    _ENV.update(a.split("=", 1) for a in assignments)
    for command in manage:
        result = run(python(command), project, project_env())
        assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    with sqlite3.connect(project / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"social_auth_usersocialauth", "social_auth0_auth0session"} <= tables

    tenant = subprocess.Popen(
        python(emulator), cwd=project, env=project_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    site = subprocess.Popen(
        [*python("python manage.py runserver"), f"127.0.0.1:{site_port}", "--noreload"],
        cwd=project, env=project_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        tenant_url = f"http://127.0.0.1:{tenant_port}"
        site_url = f"http://127.0.0.1:{site_port}"
        wait_for(f"{tenant_url}/.well-known/jwks.json", tenant)
        wait_for(f"{site_url}/auth0/login/", site)
        journey(project, requests.Session(), site_url, tenant_url)
    finally:
        for process in (site, tenant):
            process.terminate()
            process.wait(timeout=10)


def log_in(project: Path, web: requests.Session, site: str, tenant: str) -> None:
    page = web.get(f"{site}/auth0/login/", timeout=10)
    form = Form(page.text)
    start = web.post(
        urljoin(site, form.action), data=form.hidden, allow_redirects=False, timeout=10
    )
    assert start.status_code == 302, start.text[:300]
    callback = browser.login(web, tenant, start.headers["Location"], EMAIL, PASSWORD)
    assert callback.startswith(f"{site}/complete/auth0/?")
    done = web.get(callback, allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text[:500]
    assert done.headers["Location"] == "/"
    assert logged_in_sessions(project) == 1


def log_out(project, web: requests.Session, site: str, tenant: str, path: str):
    token = web.cookies["csrftoken"]
    left = web.post(
        f"{site}{path}",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{site}/"},
        allow_redirects=False,
        timeout=10,
    )
    assert left.status_code == 302, left.text[:300]
    assert left.headers["Location"].startswith(f"{tenant}/oidc/logout?")
    back = web.get(left.headers["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == f"{site}/"  # the Allowed Logout URL
    assert logged_in_sessions(project) == 0


def journey(project: Path, web: requests.Session, site: str, tenant: str) -> None:
    log_in(project, web, site, tenant)
    log_out(project, web, site, tenant, "/auth0/logout/")
    log_in(project, web, site, tenant)  # the tenant session ended: a login page
    log_out(project, web, site, tenant, "/admin/logout/")
