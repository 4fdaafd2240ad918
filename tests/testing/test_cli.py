"""``python -m social_auth0.testing --host``: beyond loopback it warns loudly,
and the domain it prints is one a browser (and social_auth0) can use."""

from __future__ import annotations

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
