"""End-to-end fixtures: the tenant emulator, the example project served on
loopback, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from social_auth0.testing import Auth0Tenant, TenantUser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
ROLES_CLAIM = "https://example.com/roles"
# As the probe found: without the background-networking switches Chromium
# keeps knocking on this closed network's doors.
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
    "admin": TenantUser("admin@example.com", "admin", roles=["admin"]),
    "editor": TenantUser(
        "editor@example.com", "editor", roles=["editor"], connection="google-oauth2"
    ),
    "reader": TenantUser("reader@example.com", "reader"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: never skip silently there
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def site_url(site_port: int) -> str:
    return f"http://127.0.0.1:{site_port}"


@pytest.fixture(scope="session")
def tenant(site_url: str) -> Iterator[Auth0Tenant]:
    with Auth0Tenant(
        client_id="e2e-client",
        client_secret="e2e-secret",
        callback_urls=[f"{site_url}/complete/auth0/"],
        logout_urls=[f"{site_url}/"],
        backchannel_logout_urls=[f"{site_url}/auth0/backchannel-logout/"],
        users=list(USERS.values()),
        roles_claim=ROLES_CLAIM,
    ) as tenant:
        yield tenant


@pytest.fixture(scope="session")
def example_site(
    chromium_path: Path, tenant: Auth0Tenant, site_port: int, site_url: str
) -> Iterator[dict[str, str]]:
    """The example project under runserver, pointed at the test's tenant."""
    workdir = Path(tempfile.mkdtemp(prefix="social-auth0-e2e-"))
    env = {
        **os.environ,
        "AUTH0_DOMAIN": tenant.domain,
        "AUTH0_CLIENT_ID": "e2e-client",
        "AUTH0_CLIENT_SECRET": "e2e-secret",
        "EXAMPLE_DATABASE": str(workdir / "db.sqlite3"),
        "EXAMPLE_CACHE": str(workdir / "cache"),
        "DJANGO_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's: not the example's
    manage = [sys.executable, str(ROOT / "example_project" / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120)
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{site_port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{site_url}/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((workdir / "server.log").read_text()) from None
                time.sleep(0.2)
        yield {"url": site_url, "database": env["EXAMPLE_DATABASE"]}
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, example_site, request):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_")
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        (RESULTS / f"{name}.html").write_text(page.content())
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
