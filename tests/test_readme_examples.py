"""The "Testing your Auth0 login without Auth0" examples of the docs
(docs/testing.rst), taken out of the page as they stand and run as a user's own
test suite would run them (a fresh pytest process): what users copy must work,
and cannot drift."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
TESTING_PAGE = ROOT / "docs" / "testing.rst"
SECTION = "Testing your Auth0 login without Auth0"
# "# conftest.py" on a line of its own starts the next file of a block.
FILE_HEADER = re.compile(r"^# (\w+\.py)$", re.MULTILINE)


def section(title: str, underline: str = "=", path: Path = README) -> str:
    """The text of the section ``title`` of ``path`` (an .rst file; README.rst
    unless given), up to the next heading."""
    text = path.read_text()
    start = text.index(f"{title}\n{underline * len(title)}\n")
    body = start + 2 * len(title) + 2
    following = re.search(r"\n\S[^\n]*\n([=~-])\1+\n", text[body:])
    return text[start : body + following.start() if following else len(text)]


def python_blocks(text: str) -> list[str]:
    """The ``.. code-block:: python`` blocks of ``text``, dedented."""
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return [re.sub(r"^    ", "", block, flags=re.MULTILINE) for block in blocks]


def files_of(block: str) -> dict[str, str]:
    """A block split into the files its ``# name.py`` headers name."""
    parts = FILE_HEADER.split(block)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_the_testing_examples_pass_as_a_users_suite(tmp_path):
    files: dict[str, str] = {}
    for block in python_blocks(section(SECTION, path=TESTING_PAGE)):
        files.update(files_of(block))
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
