"""The shared cache is a dependency that may fail: with Django's cache on a
real Redis that is stopped mid-test, logins, the back-channel endpoint and page
requests keep working, revocation falls back to the database, and each
degraded path warns once per interval."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from social_auth0 import cache as shared_cache
from social_auth0 import clock
from social_auth0.cache import UNAVAILABLE, SharedCache
from social_auth0.models import Auth0Session
from social_auth0.sessions import SESSION_KEY
from tests.support.ports import free_port
from tests.support.tenants import ADA, BACKCHANNEL, complete_login
from tests.support.tokens import Signer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

JWKS_PATH = "/.well-known/jwks.json"
SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


class RedisServer:
    """A throw-away redis-server on a free loopback port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="social-auth0-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis(settings):
    """Django's cache on a real Redis; the test stops (and restarts) it."""
    if shutil.which("redis-server") is None:
        message = "redis-server not found: apt-get install -y redis-server"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("redis")
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tenant_options(live_server):
    return {"backchannel_logout_urls": [f"{live_server.url}{BACKCHANNEL}"]}


def login(tenant) -> Client:
    client = Client()
    response = complete_login(client, tenant, ADA.email, ADA.password)
    assert response.status_code == 302
    assert response["Location"] == "/done/", response["Location"]
    return client


def logged_in(client: Client) -> bool:
    response = client.get("/done/")
    assert response.status_code == 200
    return response.content != b"done:"


def warnings_about(caplog, purpose: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f"failed for {purpose}" in r.getMessage()
    ]


# Logins ----------------------------------------------------------------------


def test_login_without_warm_keys_while_redis_is_down(tenant, redis, caplog):
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        first, second = login(tenant), login(tenant)
    assert logged_in(first) and logged_in(second)
    assert tenant.count(JWKS_PATH) == 1  # the process's own fetch, then reused
    assert len(warnings_about(caplog, "the tenant's JWKS")) == 1


def test_login_after_the_keys_ttl_expired_while_redis_is_down(
    tenant, redis, monkeypatch
):
    login(tenant)  # keys in Redis and in this process
    assert tenant.count(JWKS_PATH) == 1
    redis.stop()
    later = time.time() + 601  # past JWKS_CACHE_TTL
    monkeypatch.setattr(clock, "current_time", lambda: later)
    client = login(tenant)
    assert logged_in(client)
    assert tenant.count(JWKS_PATH) == 2


def test_unknown_kids_are_rate_limited_per_process_while_redis_is_down(tenant, redis):
    redis.stop()
    forged = Signer("not-a-tenant-kid")

    def post_forged() -> int:
        claims = {"iss": tenant.issuer, "aud": "test-client-id", "sub": "x"}
        return Client().post(BACKCHANNEL, {"logout_token": forged.sign(claims)})

    assert post_forged().status_code == 400
    fetches = tenant.count(JWKS_PATH)  # the first fetch and one refetch
    for _ in range(5):
        assert post_forged().status_code == 400
    assert tenant.count(JWKS_PATH) == fetches <= 2


# The back-channel endpoint and page requests --------------------------------------


def test_backchannel_logout_while_redis_is_down(tenant, redis, settings, caplog):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client = login(tenant)
    assert logged_in(client)
    redis.stop()
    token = tenant.logout_token(sid=client.session[SESSION_KEY]["sid"])
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        first = Client().post(BACKCHANNEL, {"logout_token": token})
        replay = Client().post(BACKCHANNEL, {"logout_token": token})
    assert first.status_code == 200
    assert replay.status_code == 400  # this process still remembers the jti
    assert not logged_in(client)  # the database says revoked
    assert len(warnings_about(caplog, "logout-token jti")) == 1


def test_pages_and_revocation_while_redis_is_down(tenant, redis, settings, caplog):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client, other = login(tenant), login(tenant)
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="social_auth0"):
        for _ in range(10):
            assert logged_in(client)
        # Revoked where the cache cannot hear of it: the database answers.
        Auth0Session.objects.filter(
            login_id=client.session[SESSION_KEY]["login_id"]
        ).update(revoked_at="2026-01-01T00:00:00Z")
        assert not logged_in(client)
        assert logged_in(other)
    assert len(warnings_about(caplog, "Auth0 session state")) == 1


def test_a_revocation_survives_redis_restarting_empty(tenant, redis, settings):
    settings.SESSION_ENGINE = SIGNED_COOKIES
    client = login(tenant)
    name = django_settings.SESSION_COOKIE_NAME
    stolen = Client()
    stolen.cookies[name] = client.cookies[name].value
    assert logged_in(client)  # "active" in Redis
    answer = tenant.send_backchannel_logout(
        f"{tenant_live_url(tenant)}{BACKCHANNEL}",
        sid=client.session[SESSION_KEY]["sid"],
    )
    assert answer.status_code == 200
    redis.stop()
    redis.start()  # back, and empty: the database answers
    assert not logged_in(stolen)


def tenant_live_url(tenant) -> str:
    [url] = next(iter(tenant.applications.values())).backchannel_logout_urls
    return url.removesuffix(BACKCHANNEL)


# The mechanism -------------------------------------------------------------------


def test_one_warning_per_interval_and_a_line_when_back(redis, caplog, monkeypatch):

    cache = SharedCache("default", "a test", consequence="x")
    assert cache.set("k", 1, 60) is True or cache.get("k") == 1
    redis.stop()
    clock = [time.monotonic()]
    monkeypatch.setattr(shared_cache.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.INFO, logger="social_auth0"):
        results = [cache.get("k") for _ in range(50)]
        assert len(warnings_about(caplog, "a test")) == 1
        clock[0] += shared_cache.WARN_INTERVAL
        cache.get("k")
        assert len(warnings_about(caplog, "a test")) == 2
        redis.start()
        assert cache.get("k") is None  # answers again (empty after the restart)
    assert results == [UNAVAILABLE] * 50
    assert "answers again" in caplog.text


def test_a_fallback_stands_in_while_redis_is_down(redis):

    cache = SharedCache(
        "default",
        "a test",
        consequence="x",
        fallback=shared_cache.PROCESS_LOCAL,
    )
    redis.stop()
    assert cache.add("stamp", 1, 60) is True
    assert cache.add("stamp", 1, 60) is False  # still one per interval, per process
    assert cache.get("stamp") == 1


# Every worker: processes sharing PostgreSQL and Redis -----------------------------


class Worker:
    """A worker process (tests/support/session_worker.py) driven over stdin/stdout."""

    def __init__(self, pg_port: int, redis_url: str) -> None:
        script = Path(__file__).parent / "support" / "session_worker.py"
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(pg_port), redis_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, **command) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the worker died"
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def flush(redis: RedisServer) -> None:
    with socket.create_connection(("127.0.0.1", redis.port), 2) as s:
        s.sendall(b"FLUSHALL\r\n")
        assert s.recv(16).startswith(b"+OK")


def test_a_revocation_reaches_every_worker_at_its_next_request(postgres, redis):
    workers = [Worker(postgres, redis.url)]
    try:
        login = workers[0].call(op="login")  # once it has migrated...
        workers += [Worker(postgres, redis.url) for _ in range(2)]  # ...the others
        first, second, third = workers
        cookie = login["cookie"]
        assert first.call(op="get", cookie=cookie)["logged_in"]  # asks the database
        for worker in workers:  # then every worker's check is one Redis read
            answer = worker.call(op="get", cookie=cookie)
            assert answer == {"status": 200, "logged_in": True, "queries": 0}
        assert third.call(op="revoke", sid=login["sid"]) == {"ended": 1}
        for worker in workers:
            assert not worker.call(op="get", cookie=cookie)["logged_in"]
        flush(redis)  # the "revoked" entries are gone: the database answers
        for worker in workers:
            answer = worker.call(op="get", cookie=cookie)
            assert answer["status"] == 200 and not answer["logged_in"]
    finally:
        for worker in workers:
            worker.close()


def test_a_shared_cache_uses_the_calling_threads_client(monkeypatch):
    """Django gives each thread its own cache client (some, like pylibmc's,
    are not thread-safe): a SharedCache kept for the process (the tenant's
    keys) must not use the client of the thread that built it."""
    import threading

    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    used = []
    real_get = LocMemCache.get

    def spy(self, key, default=None, version=None):
        used.append((self, caches["default"]))
        return real_get(self, key, default, version)

    monkeypatch.setattr(LocMemCache, "get", spy)
    cache = SharedCache("default", "a test", consequence="x")
    cache.get("k")
    thread = threading.Thread(target=cache.get, args=("k",))
    thread.start()
    thread.join()
    assert len(used) == 2
    assert all(client is own for client, own in used)
    assert used[0][0] is not used[1][0]


def test_a_shared_cache_naming_no_cache_is_a_configuration_error():
    """Not "the cache is down" (a warning, then the database on every request):
    the alias is wrong, and Django's error says which."""
    from django.core.cache import InvalidCacheBackendError

    with pytest.raises(InvalidCacheBackendError):
        SharedCache("nope", "a test", consequence="x").get("k")


def test_the_alias_without_a_request_is_read_once_until_a_setting_changes(
    monkeypatch, settings
):
    """The back-channel middleware asks on every request: a per-site strategy
    (asked afresh each time) must not be built for it every time."""
    from social_auth0 import conf

    reads = []
    real = conf.setting
    monkeypatch.setattr(
        conf, "setting", lambda *a, **k: reads.append(a) or real(*a, **k)
    )
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "default"  # clears the memo
    assert [conf.shared_cache_alias() for _ in range(3)] == ["default"] * 3
    assert len(reads) == 1
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "other"
    assert conf.shared_cache_alias() == "other"
