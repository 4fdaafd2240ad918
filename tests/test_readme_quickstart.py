"""README.rst's Quickstart, taken out of README.rst as it stands and followed in
a fresh ``django-admin startproject``: its settings and urls.py pasted in, the
emulator started and its commands run in the order shown (``migrate``,
``check``, ``runserver``, on free ports), and a whole login and logout (ours
and the admin's) driven over real HTTP, ending on the page that shows who is
logged in, the log-out button and a failed login's message."""

from __future__ import annotations

import os
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

from .support.docs import doc_block, files_of, shell_lines

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
    settings = tmp_path / "mysite" / "settings.py"
    (pasted,) = files_of(doc_block("README.rst", "quickstart-settings")).values()
    settings.write_text(settings.read_text() + "\n" + pasted)
    (urls,) = files_of(doc_block("README.rst", "quickstart-urls")).values()
    (tmp_path / "mysite" / "urls.py").write_text(urls)
    return tmp_path


def ported(commands: list[str], site_port: int, tenant_port: int) -> list[str]:
    return [
        c.replace("8000", str(site_port)).replace("8001", str(tenant_port))
        for c in commands
    ]


def test_check_names_each_missing_variable(project):
    unset = run(python("python manage.py check"), project, project_env())
    assert unset.returncode == 1, unset.stderr
    for check_id in ("E001", "E004", "E005"):
        assert f"social_auth0.{check_id}" in unset.stderr


def test_the_quickstart_works_in_a_fresh_project(project):
    site_port, tenant_port = free_port(), free_port()
    (emulator,) = ported(
        shell_lines(doc_block("README.rst", "quickstart-emulator")),
        site_port, tenant_port,
    )  # fmt: skip
    export, *manage = ported(
        shell_lines(doc_block("README.rst", "quickstart-run")), site_port, tenant_port
    )
    assert manage == [
        "python manage.py migrate",
        "python manage.py check",
        "python manage.py runserver",
    ]
    # The export line's assignments are the site's environment from then on.
    _ENV.clear()
    _ENV.update(a.split("=", 1) for a in shlex.split(export)[1:])
    tenant = subprocess.Popen(
        python(emulator), cwd=project, env=project_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    site = None
    try:
        tenant_url = f"http://127.0.0.1:{tenant_port}"
        wait_for(f"{tenant_url}/.well-known/jwks.json", tenant)
        for command in manage[:-1]:  # in the order shown
            result = run(python(command), project, project_env())
            assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout
        with sqlite3.connect(project / "db.sqlite3") as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master")}
        assert {"social_auth_usersocialauth", "social_auth0_auth0session"} <= tables
        site = subprocess.Popen(
            [*python(manage[-1]), f"127.0.0.1:{site_port}", "--noreload"],
            cwd=project, env=project_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        site_url = f"http://127.0.0.1:{site_port}"
        wait_for(f"{site_url}/auth0/login/", site)
        journey(project, requests.Session(), site_url, tenant_url)
    finally:
        for process in (site, tenant):
            if process:
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
    home = web.get(f"{site}/", timeout=10)
    assert home.status_code == 200
    assert "Logged in as" in home.text and EMAIL in home.text
    assert Form(home.text).action == "/auth0/logout/"  # the log-out button


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


def failed_login(web: requests.Session, site: str) -> None:
    """A callback whose state is not this browser's (a forged one): refused,
    and its message shown on the page the Quickstart ends on."""
    web.get(f"{site}/auth0/login/", timeout=10)
    refused = web.get(
        f"{site}/complete/auth0/?code=forged&state=forged",
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert refused.status_code == 302 and refused.headers["Location"] == "/"
    home = web.get(f"{site}/", timeout=10)
    assert 'id="social-auth0-messages"' in home.text, home.text[:500]
    assert "Not logged in." in home.text


def journey(project: Path, web: requests.Session, site: str, tenant: str) -> None:
    failed_login(web, site)
    log_in(project, web, site, tenant)
    log_out(project, web, site, tenant, "/auth0/logout/")
    log_in(project, web, site, tenant)  # the tenant session ended: a login page
    log_out(project, web, site, tenant, "/admin/logout/")
