"""The refresh race, for real: 20 callers of one user across 2 processes, on
PostgreSQL (the ``postgres`` fixture) with Redis as the shared cache, all
finding the access token expiring at once, against the emulator with refresh
token rotation and Auth0's default reuse interval of 0.

With the lock: one refresh request, no ``invalid_grant``, everyone gets the
same valid token. Without it (the control): Auth0's reuse detection revokes
the token family, which is what logs users out everywhere.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from social_auth0.testing import TenantUser
from tests.support.tenants import make_tenant

WORKER = Path(__file__).parents[1] / "support" / "refresh_race_worker.py"
PROCESSES, THREADS = 2, 10
TIMEOUT = 120


@pytest.fixture
def tenant():
    with make_tenant(TenantUser("ada@example.com", "correct horse")) as tenant:
        tenant.applications["test-client-id"].access_token_lifetime = 300
        yield tenant


def run(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def race(tenant, postgres, redis_port: int, lock: str, *variant: str) -> list[dict]:
    """Set up a logged-in user, then start the processes and release them at once."""
    ports = (str(postgres), str(redis_port), tenant.domain)
    user = run("setup", *ports)["user"]
    tenant.clear_requests()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "race",
                *ports,
                str(user),
                str(THREADS),
                lock,
                *variant,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:  # every process configured and waiting
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=TIMEOUT)
        assert worker.returncode == 0, err[-3000:]
        results.extend(json.loads(out.strip().splitlines()[-1])["results"])
    return results


def refresh_answers(tenant) -> list[int]:
    return [
        r.status
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]


def test_twenty_callers_in_two_processes_cause_one_refresh(
    tenant,
    postgres,
    redis_server,
):
    results = race(tenant, postgres, redis_server, "on")

    answers = refresh_answers(tenant)
    print(f"with the lock: {len(answers)} refresh request, answers {answers}")  # noqa: T201
    assert answers == [200]  # exactly one refresh, no invalid_grant
    assert len(results) == PROCESSES * THREADS
    assert all("error" not in r for r in results), results
    assert {r["sub"] for r in results} == {tenant.user("ada@example.com").sub}
    assert len({r["token"] for r in results}) == 1  # everyone got its result
    assert tenant.state.reuse_detections == 0
    assert tenant.state.revoked_families() == set()


def test_sync_and_async_callers_in_two_processes_cause_one_refresh(
    tenant,
    postgres,
    redis_server,
):
    """Half of each process's callers are coroutines on one event loop
    (aget_access_token, for async views), half are threads: one refresh."""
    results = race(tenant, postgres, redis_server, "on", "mixed")
    assert refresh_answers(tenant) == [200]
    assert len(results) == PROCESSES * THREADS
    assert all("error" not in r for r in results), results
    assert len({r["token"] for r in results}) == 1
    assert tenant.state.reuse_detections == 0
    assert tenant.state.revoked_families() == set()


def test_without_the_lock_auth0_revokes_the_family(
    tenant,
    postgres,
    redis_server,
):
    """The control: the test above would pass trivially if callers never raced."""
    results = race(tenant, postgres, redis_server, "off")

    answers = refresh_answers(tenant)
    errors = [r["error"] for r in results if "error" in r]
    print(  # noqa: T201  (the counts, shown with -s)
        f"without the lock: {len(answers)} refresh requests, "
        f"{answers.count(403)} invalid_grant, {len(errors)} callers refused"
    )
    assert len(answers) > 1
    assert answers.count(403) >= 1
    assert tenant.state.reuse_detections >= 1
    assert len(tenant.state.revoked_families()) == 1  # the user's whole family
    assert errors and set(errors) == {
        "ReauthenticationRequired: reauthentication_required"
    }


# -- many APIs: one refresh-token family -------------------------------------------

API = "https://api.example.com/"
OTHER_APIS = {
    "https://billing.example.com/": ["read:invoices"],
    "https://shipping.example.com/": ["read:parcels"],
}


@pytest.fixture
def apis_tenant(tenant):
    """The login's API and two more, each with a refresh-token policy."""
    tenant.add_api(API)
    for audience, scopes in OTHER_APIS.items():
        tenant.add_api(audience, scopes)
        tenant.add_refresh_token_policy("test-client-id", audience, scopes)
    return tenant


def by_audience(tenant) -> dict[str, list[int]]:
    answers: dict[str, list[int]] = {}
    for r in tenant.requests:
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token":
            answers.setdefault(r.form.get("audience", API), []).append(r.status)
    return answers


def test_twenty_callers_for_three_apis_spend_the_refresh_token_once_each(
    apis_tenant, postgres, redis_server
):
    """With rotation, every exchange (whichever API) spends the one refresh
    token: the lock is the family's, so each is sent once, never twice."""
    tenant = apis_tenant
    results = race(tenant, postgres, redis_server, "on", "apis")

    answers = by_audience(tenant)
    print(f"three APIs with the family lock: answers {answers}")  # noqa: T201
    assert answers == {API: [200], **{audience: [200] for audience in OTHER_APIS}}
    assert len(results) == PROCESSES * THREADS
    assert all("error" not in r for r in results), results
    assert {r["audience"] for r in results} == {API, *OTHER_APIS}
    for audience in (API, *OTHER_APIS):  # every caller of an API got its result
        assert len({r["token"] for r in results if r["audience"] == audience}) == 1
    assert tenant.state.reuse_detections == 0
    assert tenant.state.revoked_families() == set()


def test_without_the_lock_three_apis_make_auth0_revoke_the_family(
    apis_tenant, postgres, redis_server
):
    """The control of the test above."""
    tenant = apis_tenant
    results = race(tenant, postgres, redis_server, "off", "apis")

    answers = [
        status for statuses in by_audience(tenant).values() for status in statuses
    ]
    errors = [r["error"] for r in results if "error" in r]
    print(  # noqa: T201
        f"three APIs without the lock: {len(answers)} refresh requests, "
        f"{answers.count(403)} invalid_grant, {len(errors)} callers refused"
    )
    assert answers.count(403) >= 1
    assert tenant.state.reuse_detections >= 1
    assert len(tenant.state.revoked_families()) == 1
    assert errors
