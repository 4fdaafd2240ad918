"""Async helpers: a live ASGI server (uvicorn, in a thread of the test
process, on loopback), a count of thread hops (``sync_to_async`` calls) and a
count of blocking calls made on an event loop."""

from __future__ import annotations

import asyncio
import pkgutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from asgiref.sync import SyncToAsync, async_to_sync

from tests.support.ports import free_port


@contextmanager
def asgi_server() -> Iterator[str]:
    """Django's ASGI application under uvicorn; yields its base URL."""
    import uvicorn
    from django.core.asgi import get_asgi_application

    port = free_port()
    config = uvicorn.Config(
        get_asgi_application(),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        loop="asyncio",
        log_level="warning",
        backlog=512,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def thread_hops() -> Iterator[list[str]]:
    """Every ``sync_to_async`` call made meanwhile, in any thread, by the name
    of the function sent to a worker thread."""
    hops: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        func = self.func
        hops.append(getattr(func, "__qualname__", type(func).__qualname__))
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", counted):
        yield hops


def on_event_loop() -> bool:
    """Whether the calling thread is running an event loop right now."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Blocking calls: the shared cache (ours and Django's local-memory cache),
# every HTTP request to the tenant, the database, and sleeping.
BLOCKING = (
    "social_auth0.cache.SharedCache._call",
    "django.core.cache.backends.locmem.LocMemCache.get",
    "django.core.cache.backends.locmem.LocMemCache.add",
    "django.core.cache.backends.locmem.LocMemCache.set",
    "django.core.cache.backends.locmem.LocMemCache.delete",
    "social_auth0.backend.Auth0OAuth2.request",
    "django.db.backends.utils.CursorWrapper.execute",
    "time.sleep",
)


@contextmanager
def blocking_calls_on_the_loop() -> Iterator[list[str]]:
    """The ``BLOCKING`` calls made meanwhile by a thread running an event loop."""
    seen: list[str] = []
    with ExitStack() as stack:
        for target in BLOCKING:
            stack.enter_context(mock.patch(target, _watched(target, seen)))
        yield seen


def _watched(target: str, seen: list[str]) -> Any:
    original = pkgutil.resolve_name(target)

    def watched(*args: Any, **kwargs: Any) -> Any:
        if on_event_loop():
            seen.append(target)
        return original(*args, **kwargs)

    return watched


def run_async(func: Any, *args: Any, **kwargs: Any) -> Any:
    """``async_to_sync(func)(*args, **kwargs)``, also while an event loop runs
    in this thread (Playwright's sync API keeps one running for the rest of
    the session once tests/e2e started it): then from a thread of its own."""
    if not on_event_loop():
        return async_to_sync(func)(*args, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(func), *args, **kwargs).result()
