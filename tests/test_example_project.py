"""The example project (README's first command) passes ``manage.py check`` with
no warning at all: what we ship as the way to set up must not draw our checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_example_project_draws_no_system_check_message(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AUTH0_", "DJANGO_SETTINGS_MODULE"))
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "example_project" / "manage.py"),
            "check",
            "--fail-level",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
