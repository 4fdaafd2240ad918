"""Twenty simultaneous first logins of one new user, each on its own gunicorn
worker process, on PostgreSQL and Redis, with ``social_auth0.pipeline.PIPELINE``
(issue 17, item 7, as it was found).

Each browser (a thread here, with its own cookies) opens the site's login page,
posts its form, logs in at the emulated tenant and follows the callback, all
over loopback HTTP. The workers (tests/support/stampede_site.py) hold each
callback in social-core's legacy-row lookup until all twenty are there, let
the last one create the user, then release the others into the lookup, where
its row now is. All twenty end logged in as one user with one association.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from social_auth0.testing import Auth0Tenant, TenantUser, browser
from tests.support.ports import free_port

pytest.importorskip("gunicorn")
redis = pytest.importorskip("redis")
psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parents[2]
LOGINS = 20
EMAIL, PASSWORD = "new.user@example.com", "pw"
DATABASE = "stampede"


def fresh_database(port: int) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="test", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")


def rows(port: int) -> tuple[int, int]:
    """(users, associations) in the workers' database."""
    with psycopg.connect(
        host="127.0.0.1", port=port, user="test", dbname=DATABASE
    ) as db:
        users = db.execute("SELECT count(*) FROM auth_user").fetchone()
        socials = db.execute(
            "SELECT count(*) FROM social_auth_usersocialauth"
        ).fetchone()
    assert users is not None and socials is not None
    return users[0], socials[0]


class Site:
    """gunicorn serving tests/support/stampede_site.py; its URL and log."""

    def __init__(
        self, url: str, process: subprocess.Popen, log: Path, run: str
    ) -> None:
        self.url, self.process, self.log = url, process, log
        self.run = run  # the prefix of the run's Redis keys

    def wait_until_up(self) -> None:
        for _ in range(400):
            if self.process.poll() is not None:
                raise AssertionError(self.log.read_text()[-3000:])
            try:
                requests.get(f"{self.url}/login-error/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"gunicorn never answered: {self.log.read_text()[-3000:]}")

    def rejections(self) -> list[str]:
        return re.findall(r"Auth0 login rejected: .*", self.log.read_text())


@pytest.fixture
def site_port() -> int:
    return free_port()


@pytest.fixture
def tenant(site_port) -> Iterator[Auth0Tenant]:
    with Auth0Tenant(
        callback_urls=[f"http://127.0.0.1:{site_port}/complete/auth0/"],
        users=[TenantUser(EMAIL, PASSWORD)],
    ) as tenant:
        yield tenant


@pytest.fixture
def site(postgres, redis_server, tenant, site_port, tmp_path) -> Iterator[Site]:
    fresh_database(postgres)
    url = f"http://127.0.0.1:{site_port}"
    run = uuid.uuid4().hex
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.support.stampede_settings",
        "STAMPEDE_PG_PORT": str(postgres),
        "STAMPEDE_DB": DATABASE,
        "STAMPEDE_REDIS_PORT": str(redis_server),
        "STAMPEDE_TENANT": tenant.domain,
        "STAMPEDE_RUN": run,
        "STAMPEDE_LOGINS": str(LOGINS),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--preload",
                "--workers", str(LOGINS), "--bind", f"127.0.0.1:{site_port}",
                "--timeout", "60", "--graceful-timeout", "5",
                "tests.support.stampede_site:application",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    site = Site(url, process, log, run)
    try:
        site.wait_until_up()
        yield site
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown
        process.wait(timeout=30)


def log_in(site: Site, tenant: Auth0Tenant) -> dict[str, object]:
    """A whole first login in a browser of its own; where it ended, as whom."""
    web = requests.Session()
    page = web.get(f"{site.url}/auth0/login/", timeout=30)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    action = re.search(r'<form[^>]* action="([^"]+)"', page.text)
    assert action is not None, page.text[:300]
    start = web.post(
        urljoin(site.url, action.group(1)), data=form, allow_redirects=False, timeout=30
    )
    assert start.status_code == 302, start.text[:300]
    callback = browser.login(
        web, tenant.base_url, start.headers["Location"], EMAIL, PASSWORD
    )
    done = web.get(callback, allow_redirects=False, timeout=60)
    who = web.get(f"{site.url}/done/", timeout=30).text
    return {
        "status": done.status_code,
        "location": done.headers.get("Location"),
        "who": who,
    }


def test_twenty_first_logins_on_twenty_workers_all_get_in(
    site, tenant, postgres, redis_server
):
    with ThreadPoolExecutor(LOGINS) as browsers:
        results = list(browsers.map(lambda _: log_in(site, tenant), range(LOGINS)))

    rejected = site.rejections()
    assert rejected == [], f"{len(rejected)} of {LOGINS} rejected: {rejected[0]}"
    assert all(r["location"] == "/done/" for r in results), results
    assert {r["who"] for r in results} == {"done:new.user"}
    assert rows(postgres) == (1, 1)
    keys = redis.Redis(port=redis_server, db=1)
    assert keys.scard(f"{site.run}:workers") == LOGINS  # one process each
