"""``aget_access_token`` for ``async def`` views: the same stored tokens, lock
and exchange as ``get_access_token``, with nothing blocking on the event loop,
and one refresh for concurrent callers, sync and async together."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import AsyncClient, RequestFactory

from social_auth0.access import (
    ReauthenticationRequired,
    aget_access_token,
)
from social_auth0.backend import backend_for
from social_auth0.user_tokens import refresh
from tests.support.asgi import blocking_calls_on_the_loop, run_async
from tests.support.tenants import ADA
from tests.user_tokens.test_access import (
    API,
    later,
    login,
    refreshes,
    request_of,
    stored,
    verify,
)
from tests.user_tokens.test_access import tenant as tenant  # noqa: F401, PLC0414
from tests.user_tokens.test_access import use_tenant as use_tenant  # noqa: F401, PLC0414

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.async_urls"),
]


def concurrently(request, count: int) -> list[str]:
    async def run():
        return await asyncio.gather(*(aget_access_token(request) for _ in range(count)))

    return run_async(run)


def test_an_async_view_gets_the_stored_token(tenant):
    client = login(tenant)
    browser = AsyncClient()
    browser.cookies = client.cookies

    with blocking_calls_on_the_loop() as blocking:
        response = run_async(browser.get, "/async/access-token/")

    assert response.status_code == 200
    assert response.content.decode() == stored(request_of(client)).access_token
    assert refreshes(tenant) == 0
    assert blocking == []


def test_an_anonymous_async_view_is_asked_to_log_in(tenant):
    response = run_async(AsyncClient().get, "/async/access-token/")
    assert response.status_code == 401
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(ReauthenticationRequired):
        run_async(aget_access_token, request)


def test_concurrent_async_callers_share_one_refresh(tenant, monkeypatch):
    request = request_of(login(tenant))
    old = stored(request)
    later(monkeypatch, 240 - 59)

    with blocking_calls_on_the_loop() as blocking:
        tokens = concurrently(request, 10)

    assert refreshes(tenant) == 1
    assert set(tokens) == {stored(request).access_token}
    assert verify(tenant, tokens[0])["sub"] == ADA.sub
    assert tenant.state.refresh_token_state(old.refresh_token) == "spent"
    assert blocking == []


def test_waiting_for_another_holder_never_blocks_the_event_loop(
    tenant, monkeypatch, settings
):
    settings.SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT = 1
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    # Another process holds the lock (and dies holding it).
    lock = refresh.RefreshLock(backend_for(None), request.user.pk, refresh.Target(API))
    assert cache.add(lock.key, "dead-holder", 1)

    with blocking_calls_on_the_loop() as blocking:
        tokens = concurrently(request, 3)

    assert len(set(tokens)) == 1
    assert refreshes(tenant) == 1
    assert blocking == []  # no time.sleep, no cache call on the loop


# Sync and async callers together, across processes on PostgreSQL and Redis:
# test_sync_and_async_callers_in_two_processes_cause_one_refresh in
# tests/flows/test_refresh_race.py.
