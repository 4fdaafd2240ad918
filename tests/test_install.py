"""README.rst's Install: the command shown, run from the directory holding a
checkout named ``social_auth0``, installs a working package (templates and
migrations included). The test adds ``--no-deps --target`` so nothing is
installed into this environment; the build is pip's own (isolated, as a
user's)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support.docs import ROOT, doc_block, shell_lines


def checkout_copy(into: Path) -> None:
    """The files of the checkout (tracked and new), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)


@pytest.mark.skipif(
    shutil.which("git") is None,
    reason="git is not installed: the checkout's files are listed with git ls-files",
)
def test_the_install_command_installs_from_a_checkout(tmp_path):
    checkout_copy(tmp_path / "social_auth0")
    (command,) = shell_lines(doc_block("README.rst", "install"))
    python, *args = shlex.split(command)
    assert python == "python"
    target = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, *args, "--no-deps", "--target", str(target), "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    installed = target / "social_auth0"
    assert (installed / "templates" / "social_auth0" / "home.html").is_file()
    assert (installed / "migrations" / "0001_initial.py").is_file()
    assert not (target / "tests").exists()
