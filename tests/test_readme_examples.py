"""The "Testing your Auth0 login without Auth0" examples of the docs
(docs/testing.rst), taken out of the page as they stand and run as a user's own
test suite would run them (a fresh pytest process): what users copy must work,
and cannot drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .support.docs import doc_block, files_of

ROOT = Path(__file__).resolve().parent.parent


def test_the_testing_examples_pass_as_a_users_suite(tmp_path):
    files = {
        **files_of(doc_block("docs/testing.rst", "testing-conftest")),
        **files_of(doc_block("docs/testing.rst", "testing-own-tenant")),
    }
    assert {"conftest.py", "test_login.py", "test_own_tenant.py"} <= files.keys()
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
