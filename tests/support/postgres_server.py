"""A throw-away PostgreSQL server on loopback (Debian's packages).

The ``postgres`` fixture (conftest.py) runs one for the session."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .ports import free_port


def database(port: str, name: str | None = None) -> dict[str, object]:
    """Django's DATABASES entry for the throw-away server on ``port``."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name or os.environ.get("PGDATABASE", "postgres"),
        "USER": "test",
        "HOST": "127.0.0.1",
        "PORT": port,
    }


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@contextmanager
def running_postgres() -> Iterator[int]:
    """Start PostgreSQL (no fsync) in a temporary directory; its port. Skips
    (fails under CI=true) without the server or psycopg."""
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
