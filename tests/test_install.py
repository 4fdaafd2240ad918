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

from .support.docs import ROOT, doc_block, shell_lines

# What a checkout holds that a fresh clone does not (a copy without .git).
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache"
)


def checkout_copy(into: Path) -> None:
    """The files of the checkout (tracked and new), as a fresh clone has them;
    a copy of the tree where it is not a git checkout (the CI's chroots)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        shutil.copytree(ROOT, into, ignore=NOT_IN_A_CLONE)
        return
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)


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
