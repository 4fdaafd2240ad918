"""Shared fixtures: real RSA keys, the emulated tenant, throw-away servers.

Plain helpers and constants live in ``tests/support/`` and are imported from
there (``tests.support.tokens``, ``tests.support.tenants``); this file holds
only fixtures and hooks.

The tenant: ``tenant`` is one emulated tenant per test module, built by
``make_tenant`` from the module's ``tenant_users`` and ``tenant_options``
fixtures (override either in a module to shape it); ``use_tenant`` points
Django's settings at it for one test (``pytestmark =
pytest.mark.usefixtures("use_tenant")``, or override it in the module to add
settings of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches

from social_auth0.jwt import keys as jwks
from tests.support.postgres_server import running_postgres
from tests.support.redis_server import running_redis
from tests.support.tenants import ADA, make_tenant, point_django_at
from tests.support.tokens import Signer

pytest_plugins = ["social_auth0.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer("key-1")


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    return Signer("key-2")


@pytest.fixture(autouse=True)
def _fresh_key_caches():
    """Every test starts with no parsed keys and empty caches."""
    jwks.forget_keys()
    for cache in caches.all():
        cache.clear()
    yield
    jwks.forget_keys()


@pytest.fixture(scope="module")
def tenant_users() -> list[Any]:
    """The users of the module's ``tenant`` (override in a module): Ada."""
    return [ADA]


@pytest.fixture(scope="module")
def tenant_options() -> dict[str, Any]:
    """``make_tenant`` options of the module's ``tenant`` (override in a module)."""
    return {}


@pytest.fixture(scope="module")
def tenant(tenant_users, tenant_options):
    """One emulated tenant per module, with one application for the test client."""
    with make_tenant(*tenant_users, **tenant_options) as tenant:
        yield tenant


@pytest.fixture
def use_tenant(tenant, settings):
    """Django's settings at the module's tenant; a well-behaved tenant, a new
    browser, no request log."""
    point_django_at(tenant, settings)
    return tenant


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[int]:
    """A throw-away PostgreSQL server on loopback (Debian's packages); its port."""
    with running_postgres() as port:
        yield port


@pytest.fixture(scope="session")
def redis_server() -> Iterator[int]:
    """A throw-away redis-server (no persistence) for the session; its port."""
    with running_redis() as port:
        yield port
