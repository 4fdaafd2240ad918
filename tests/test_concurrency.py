"""Concurrent first logins of one new user against a real PostgreSQL.

A session fixture starts a throw-away PostgreSQL server (Debian's packages) on
loopback; the logins run in a worker process configured for it
(tests/concurrent_first_login.py), in threads released at the same moment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).with_name("concurrent_first_login.py")
THREADS = 16


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
