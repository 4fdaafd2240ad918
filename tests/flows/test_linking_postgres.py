"""Look-alike addresses on PostgreSQL: whole logins through the emulator in a
worker process (tests/support/pg_lookalike_worker.py) configured for the throw-away
server of the ``postgres`` fixture (conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).parents[1] / "support" / "pg_lookalike_worker.py"


def run_worker(port: int) -> dict:
    done = subprocess.run(
        [sys.executable, str(WORKER), str(port)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_verified_look_alike_never_links_to_the_account_it_imitates(postgres):
    results = run_worker(postgres)
    for address in ("bob@gmaıl.com", "ſam@example.com"):
        outcome = results[address]
        # The trap is real on this database: __iexact alone would link.
        assert outcome["iexact_matches"], (address, outcome)
        assert not outcome["linked"], (address, outcome)
        assert outcome["location"] == "/done/"  # an account of its own
        assert outcome["users"] == 2
    # A difference in A-Z case only is the same address: linked.
    assert results["Bob@GMAIL.com"]["linked"], results
    assert results["Bob@GMAIL.com"]["users"] == 1
