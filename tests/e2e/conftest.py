"""End-to-end fixtures: the tenant emulator (in this process, so tests can steer
it), the example project under ``runserver`` in a subprocess, and Debian's
Chromium driven by Playwright (one browser, a fresh context per test).

A failed test leaves ``test-results/<test>.png`` and ``<test>.html`` behind,
and its report gets the tail of the example server's log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from social_auth0.testing import Auth0Tenant, TenantUser

from .example_site import CLIENT_ID, ORGANIZATION_ID, ExampleSite

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
CLIENT_SECRET = "e2e-client-secret"
ROLES_CLAIM = "https://example.com/roles"  # the example's AUTH0_ROLES_CLAIM
API_AUDIENCE = "https://api.example.local/"
# Playwright cannot download its own browser here. Without the
# background-networking switches Chromium keeps knocking on the closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERS = {
    "admin": TenantUser("admin@example.com", "admin", roles=["admin", "staff"]),
    "editor": TenantUser(
        "editor@example.com", "editor", roles=["editor"], connection="google-oauth2"
    ),
    "reader": TenantUser("reader@example.com", "reader"),
}
SERVER_START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing(message: str) -> None:
    """Skip locally; fail in CI, which must never skip the browser tests."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def users() -> dict[str, TenantUser]:
    return USERS


@pytest.fixture(scope="session")
def site_url() -> str:
    # Chosen before the server starts: the tenant needs its callback URLs.
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def tenant(site_url: str) -> Iterator[Auth0Tenant]:
    with Auth0Tenant(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        callback_urls=[f"{site_url}/complete/auth0/"],
        logout_urls=[f"{site_url}/"],
        backchannel_logout_urls=[f"{site_url}/auth0/backchannel-logout/"],
        users=list(USERS.values()),
        roles_claim=ROLES_CLAIM,
    ) as tenant:
        yield tenant


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if server.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")
                message = f"the example server did not start:\n{text}"
                raise RuntimeError(message) from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def example_site(
    chromium_path: Path,  # no browser, no server to start
    tenant: Auth0Tenant,
    site_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ExampleSite]:
    """The example project under runserver, pointed at the test's tenant."""
    workdir = tmp_path_factory.mktemp("example-site")
    env = {
        **os.environ,
        "AUTH0_DOMAIN": tenant.domain,
        "AUTH0_CLIENT_ID": CLIENT_ID,
        "AUTH0_CLIENT_SECRET": CLIENT_SECRET,
        "AUTH0_AUDIENCE": API_AUDIENCE,  # the reports page calls the example's API
        "AUTH0_ALLOWED_ORGANIZATIONS": ORGANIZATION_ID,
        "EXAMPLE_DATABASE": str(workdir / "db.sqlite3"),
        "EXAMPLE_CACHE": str(workdir / "cache"),
        "DJANGO_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    # pytest-django's settings (tests.settings) are not the example's.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for name in [name for name in env if name.startswith("SOCIAL_AUTH_AUTH0_")]:
        del env[name]  # they would win over AUTH0_* in the example's settings
    manage = [sys.executable, str(ROOT / "example_project" / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120)
    site = ExampleSite(site_url, workdir / "db.sqlite3", workdir / "server.log")
    port = site_url.rpartition(":")[2]
    with site.log.open("wb") as log:
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(f"{site_url}/", server, site.log)
            yield site
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def private_chromium(chromium_path: Path) -> Any:
    """A context manager starting a browser of the test's own, stopped when it
    exits: for a test that also uses the test database, which Django refuses
    to query from a thread where Playwright's sync API runs its event loop
    (the session's ``browser`` keeps one running until the session ends)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright not installed: pip install -e '.[test]'")

    @contextmanager
    def started() -> Iterator[Any]:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium_path), args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()

    return started


@pytest.fixture
def page(browser: Any, example_site: ExampleSite) -> Iterator[Any]:
    """A page in a fresh context (no cookies: neither the site's nor the
    tenant's). Any 5xx answer of the example server fails the test."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    server_errors: list[str] = []

    def on_response(response: Any) -> None:
        if response.url.startswith(example_site.url) and response.status >= 500:
            server_errors.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    yield page
    context.close()
    assert not server_errors, f"the example server answered {server_errors}"


def _artefact_name(item: pytest.Item) -> str:
    return re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])


def _save_artefacts(item: pytest.Item, report: pytest.TestReport) -> None:
    fixtures = getattr(item, "funcargs", {})
    page = fixtures.get("page")
    if page is not None and not page.is_closed():
        RESULTS.mkdir(exist_ok=True)
        base = RESULTS / _artefact_name(item)
        saved = []
        try:
            page.screenshot(path=f"{base}.png", full_page=True)
            saved.append(f"{base}.png")
            Path(f"{base}.html").write_text(page.content())
            saved.append(f"{base}.html")
        except Exception as error:  # never hide the test's own failure
            saved.append(f"(could not save the page: {error})")
        report.sections.append(("e2e artefacts", f"{page.url}\n" + "\n".join(saved)))
    site = fixtures.get("example_site")
    if isinstance(site, ExampleSite):
        report.sections.append(("example server log (tail)", site.log_tail()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failed test, save the page (screenshot and HTML) before teardown
    closes its context."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        _save_artefacts(item, report)
    return report
