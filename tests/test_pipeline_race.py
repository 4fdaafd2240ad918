"""Concurrent first logins in the interleaving that orphans a user, against a
real PostgreSQL (test_concurrency.py holds every login at the same point, so
they all insert the same username; here the losers insert users of their own
and conflict on the association).

The server comes from test_concurrency's fixture (Debian's PostgreSQL in a temp
dir on a free loopback port, skipped with a reason outside CI if missing).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).with_name("pg_race_worker.py")
THREADS = 12


def first_logins(port: int, pipeline: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(WORKER), str(port), str(THREADS), pipeline],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_losers_roll_back_their_user_and_continue_as_the_winner(postgres):
    summary = first_logins(postgres, "social_auth0")
    assert (summary["users"], summary["associations"]) == (1, 1), summary
    assert summary["results"] == [{"user": summary["associated_user"]}] * THREADS


def test_social_cores_steps_orphan_users_in_the_same_interleaving(postgres):
    """The control: without it, the test above could pass by never racing."""
    summary = first_logins(postgres, "social_core")
    assert summary["associations"] == 1, summary
    assert summary["users"] == THREADS  # every loser left an orphan user
    errors = [r["error"] for r in summary["results"] if "error" in r]
    assert errors == ["AuthAssociationError: identity_in_use"] * (THREADS - 1)
