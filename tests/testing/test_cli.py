"""``python -m social_auth0.testing --host``: beyond loopback it warns loudly,
and the domain it prints is one a browser (and social_auth0) can use."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests

from social_auth0.conf import normalize_domain

TIMEOUT = 10


def serve(*args: str) -> tuple[str, str, dict]:
    """Start the emulator CLI; return (printed domain, stderr, discovery document)."""
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "social_auth0.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert first_line.startswith("SOCIAL_AUTH_AUTH0_DOMAIN = "), first_line
        domain = first_line.split("=", 1)[1].strip().strip("'")
        document = requests.get(
            f"{domain}/.well-known/openid-configuration", timeout=TIMEOUT
        ).json()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=TIMEOUT)
    return domain, stderr, document


# (The emulator's server is IPv4 only: "::" and "::1" do not bind.)
def test_binding_every_interface_warns_and_prints_a_loopback_domain():
    host = "0.0.0.0"  # noqa: S104
    domain, stderr, document = serve("--host", host)
    assert domain.startswith("http://127.0.0.1:")
    assert normalize_domain(domain) == domain  # social_auth0 accepts it as DOMAIN
    assert document["issuer"] == f"{domain}/"  # and its tokens carry that issuer
    assert document["authorization_endpoint"] == f"{domain}/authorize"
    assert f"WARNING: --host {host} binds every network interface." in stderr
    assert "for loopback development only" in stderr
    assert f"{domain}, is where a browser on this machine reaches it" in stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_loopback_hosts_start_without_a_warning(host):
    domain, stderr, document = serve("--host", host)
    assert "WARNING" not in stderr
    assert document["issuer"] == f"{domain}/"


def test_a_port_in_use_exits_naming_it_without_a_traceback():
    """A second emulator on the Quickstart's port (the first one still
    running): one line naming the port and --port, exit status 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        answer = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "social_auth0.testing", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert answer.stderr == (
        f"Cannot listen on 127.0.0.1:{port} (Address already in use): stop what "
        "is using it (another emulator?) or pick a port with --port, and set "
        "AUTH0_DOMAIN to match.\n"
    )
