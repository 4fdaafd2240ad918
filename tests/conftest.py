"""Shared fixtures: real RSA keys and real signed tokens."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from jose import jwk

from social_auth0.jwt import keys as jwks
from social_auth0.testing.keys import SigningKey, b64url

pytest_plugins = ["social_auth0.testing.pytest_plugin"]

ISSUER = "https://tenant.eu.auth0.com/"
CLIENT_ID = "test-client-id"


class Signer:
    """A tenant signing key (the emulator's ``SigningKey``) that signs test
    tokens as given, and its public JWK (``kid=None``: a JWK without kid)."""

    def __init__(self, kid: str | None) -> None:
        self.kid = kid
        self.signing_key = SigningKey.generate("test-tenant")
        self.private_key = self.signing_key.private_key
        self.public_pem = self.signing_key.public_pem()
        self.jwk: dict[str, Any] = {
            name: value
            for name, value in self.signing_key.public_jwk().items()
            if name in ("kty", "use", "alg", "n", "e")
        }
        if kid is not None:
            self.jwk["kid"] = kid
        self.key = jwk.construct(self.jwk, algorithm="RS256")

    def sign(self, claims: Any, headers: dict[str, Any] | None = None) -> str:
        header = {"alg": "RS256", "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        header.update(headers or {})
        return raw_token(header, json.dumps(claims).encode(), self)


def raw_token(header: dict[str, Any], payload: bytes, signer: Signer | None) -> str:
    """Assemble a compact JWS by hand (for payloads jose would not encode)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    if signer is None:
        return f"{signing_input}."
    signature = signer.signing_key.sign(signing_input.encode(), "RS256")
    return f"{signing_input}.{b64url(signature)}"


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer("key-1")


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return Signer("key-2")


def id_token_claims(**overrides: Any) -> dict[str, Any]:
    """Claims of a valid Auth0 ID token; ``name=None`` removes ``name``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "auth0|65f0c0ffee0000000000abcd",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 36000,
        "auth_time": now,
        "nonce": "the-nonce",
        "sid": "tenant-session-id",
        "email": "ada@example.com",
        "email_verified": True,
        "name": "ada@example.com",
        "nickname": "ada",
        "picture": "https://s.gravatar.com/avatar/ada.png",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


@pytest.fixture(autouse=True)
def _fresh_key_caches():
    """Every test starts with no parsed keys and empty caches."""
    jwks.forget_keys()
    for cache in caches.all():
        cache.clear()
    yield
    jwks.forget_keys()


def begin_login(client, **data) -> str:
    """POST /login/auth0/ like the login form; return the authorize URL."""
    response = client.post("/login/auth0/", data)
    assert response.status_code == 302, response
    return response["Location"]


def complete_login(client, tenant, email: str, password: str | None = None, **data):
    """A whole login through the tenant's page in a fresh tenant session;
    returns the response to the callback."""
    tenant.browser.cookies.clear()  # a browser of its own: no single sign-on
    callback = tenant.login(begin_login(client, **data), email, password)
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    return client.get(f"{path}?{query}")


def make_tenant(*users, **options):
    """An emulated tenant with one application registered for the test client."""
    from social_auth0.testing import Auth0Tenant

    defaults = {
        "client_id": CLIENT_ID,
        "client_secret": "test-client-secret",
        "callback_urls": ["http://testserver/complete/auth0/"],
        "logout_urls": ["http://testserver/"],
        "users": list(users),
    }
    return Auth0Tenant(**{**defaults, **options})


BACKCHANNEL = "/auth0/backchannel-logout/"


@pytest.fixture(scope="module")
def backchannel_tenant(live_server):
    """A tenant with Ada (``ada@example.com`` / ``correct horse``) that sends its
    back-channel logouts to the live server."""
    from social_auth0.testing import TenantUser

    ada = TenantUser(email="ada@example.com", password="correct horse")
    with make_tenant(
        ada, backchannel_logout_urls=[f"{live_server.url}{BACKCHANNEL}"]
    ) as tenant:
        yield tenant


def point_django_at(tenant, settings) -> None:
    """Settings at ``tenant``; a well-behaved tenant, a new browser, no log."""
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    tenant.misbehave.reset()
    tenant.browser.cookies.clear()
    tenant.clear_requests()


E2E_TESTS = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a server from Debian, by what they use: a run on a
    machine without Chromium or PostgreSQL deselects them with
    ``-m "not e2e and not postgres"`` (under CI=true a missing server fails)."""
    for item in items:
        if "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        if E2E_TESTS in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server on loopback (Debian's packages); its port."""
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
