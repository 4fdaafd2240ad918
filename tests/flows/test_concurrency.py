"""Concurrent first logins of one new user against a real PostgreSQL (not
SQLite's single writer), in the two interleavings that break social-core's
steps. The server is the ``postgres`` fixture (conftest.py); each scenario runs
in a worker process configured for it, its logins in threads.

* tests/support/concurrent_first_login.py: whole logins through the emulator, held
  inside the pipeline just before users are created, so every one of them
  inserts the same username; or held in ``social_user`` until one of them
  has committed, so the others' legacy-row lookup finds its row; or let loose
  together (twenty, on PostgreSQL and Redis: the stampede, here in threads;
  test_stampede.py runs it on twenty gunicorn worker processes); or, the user
  having a row another integration wrote, held just before migrating it;
* tests/support/pg_race_worker.py: one login creates and commits first, then the
  others, having picked usernames of their own, insert their users and clash
  on the association (where social-core's steps leave orphan users).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SUPPORT = Path(__file__).parents[1] / "support"
SAME_USERNAME = SUPPORT / "concurrent_first_login.py"
ORPHAN_USER = SUPPORT / "pg_race_worker.py"


def run_worker(
    worker: Path, port: int, threads: int, pipeline: str, *hold: str
) -> dict:
    """Run a race worker; its JSON summary (the last line it prints)."""
    done = subprocess.run(
        [sys.executable, str(worker), str(port), str(threads), pipeline, *hold],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_simultaneous_first_logins_end_with_one_user_all_logged_in(postgres):
    summary = run_worker(SAME_USERNAME, postgres, 16, "social_auth0")
    assert (summary["users"], summary["associations"]) == (1, 1), summary
    results = summary["results"]
    assert len(results) == 16
    assert all(r.get("location") == "/done/" for r in results), results
    assert len({r["user"] for r in results}) == 1


def assert_all_logged_in_as_one_user(summary: dict, threads: int) -> None:
    assert summary["rejections"] == [], summary["rejections"]
    assert (summary["users"], summary["associations"]) == (1, 1), summary
    results = summary["results"]
    assert len(results) == threads
    assert all(r.get("location") == "/done/" for r in results), results
    assert len({r["user"] for r in results}) == 1


def test_first_logins_finding_the_first_ones_row_in_the_legacy_lookup(
    postgres, redis_server
):
    """The PIPELINE's social_user looks for legacy rows (social-core's and the
    backend's get_legacy_social_auth) after finding none under the current
    key: a row another login committed in between is that login's, not a
    legacy row; every login continues as its user (it was a 409
    identifier_migration_conflict)."""
    summary = run_worker(
        SAME_USERNAME, postgres, 8, "social_auth0", "legacy", str(redis_server)
    )
    assert_all_logged_in_as_one_user(summary, 8)


def test_a_stampede_of_twenty_first_logins_lets_all_in(postgres, redis_server):
    """Twenty callbacks at once, free to interleave, on PostgreSQL and Redis."""
    summary = run_worker(
        SAME_USERNAME, postgres, 20, "social_auth0", "callback", str(redis_server)
    )
    assert_all_logged_in_as_one_user(summary, 20)


def test_logins_migrating_the_same_legacy_row_all_continue_as_its_user(
    postgres, redis_server
):
    """A row another integration wrote (id_key "id", uid the sub): logins that
    all found it meet before migrating it to "user_id"; one migrates it, the
    others find it changed under them (social_django's migrate_social_auth
    refuses it) and continue as its user (it was identifier_migration_conflict)."""
    summary = run_worker(
        SAME_USERNAME, postgres, 4, "social_auth0", "migrate", str(redis_server)
    )
    assert summary["rejections"] == [], summary["rejections"]
    assert (summary["users"], summary["id_keys"]) == (1, ["user_id"]), summary
    results = summary["results"]
    assert all(r.get("location") == "/done/" for r in results), results
    assert [r["user"] for r in results] == [str(summary["legacy_user"])] * 4


def test_losers_roll_back_their_user_and_continue_as_the_winner(postgres):
    summary = run_worker(ORPHAN_USER, postgres, 12, "social_auth0")
    assert (summary["users"], summary["associations"]) == (1, 1), summary
    assert summary["results"] == [{"user": summary["associated_user"]}] * 12


def test_social_cores_steps_orphan_users_in_the_same_interleaving(postgres):
    """The control: without it, the test above could pass by never racing."""
    summary = run_worker(ORPHAN_USER, postgres, 12, "social_core")
    assert summary["associations"] == 1, summary
    assert summary["users"] == 12  # every loser left an orphan user
    errors = [r["error"] for r in summary["results"] if "error" in r]
    assert errors == ["AuthAssociationError: identity_in_use"] * 11
