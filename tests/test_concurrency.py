"""Concurrent first logins of one new user against a real PostgreSQL.

A session fixture starts a throw-away PostgreSQL server (Debian's packages) on
loopback; the logins run in a worker process configured for it
(tests/concurrent_first_login.py), in threads released at the same moment.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("concurrent_first_login.py")
THREADS = 16


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    bindir = postgres_bin()
    if bindir is None:
        message = "PostgreSQL not found: apt-get install -y postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("psycopg")
    # PostgreSQL refuses to run as root: run it as the postgres user then, in
    # a directory it can reach (pytest's own tmp dirs are root-only).
    data = Path(tempfile.mkdtemp(prefix="social-auth0-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=60)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "test", "--auth=trust")
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(data / "log"),
        "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    try:
        yield port
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


def first_logins(port: int, pipeline: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(WORKER), str(port), str(THREADS), pipeline],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_concurrent_first_logins_end_with_one_user_all_logged_in(postgres):
    summary = first_logins(postgres, "social_auth0")
    assert summary["users"] == 1
    assert summary["associations"] == 1
    results = summary["results"]
    assert len(results) == THREADS
    assert all(r.get("location") == "/done/" for r in results), results
    assert len({r["user"] for r in results}) == 1
