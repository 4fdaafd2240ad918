"""Protected async views under ASGI: requests per second, interleaved in one
run, as ratios.

N concurrent keep-alive connections send GETs with a valid access token to
a trivial view protected by ``token_required(scopes=[...])``:

1. ``async def`` view, async-native (this package): warm keys verified on
   the event loop, no thread hop;
2. the same ``async def`` view with the verification wrapped in
   ``sync_to_async`` (the design before: one thread hop per request);

   both served by one uvicorn process (``--workers 1``, asyncio loop);
3. the same view as a plain ``def`` under WSGI: one gunicorn process, gthread
   workers with as many threads as connections.

The servers run with no middleware (an API's lean stack) unless
``--site-middleware``: under ASGI each of Django's ``MiddlewareMixin``
middlewares (sessions, CSRF, auth, messages...) runs its hooks through
``sync_to_async``, about a dozen thread hops per request, which then dwarf
the one this package removes.

Then, without a server, the cost of the protection alone: each view called
directly on one event loop (a request from Django's ``RequestFactory``),
interleaved, microseconds per call.

The keys come from the tenant emulator over loopback; the run asserts one
JWKS fetch per server process and one for the direct calls. (No database
query and no thread hop per request are asserted by
tests/test_resource_async.py.)

    python bench/async_api.py [--repeats 9] [--requests 400] [--concurrency 4,32]

For each concurrency, each sample sends ``--requests`` requests through every
candidate in turn (A B C A B C ...); the median of the samples is reported.
The machine is shared: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, interleaved, print_table, setup_django

setup_django()

from asgiref.sync import sync_to_async  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

from social_auth0 import resource  # noqa: E402
from social_auth0.resource import token_required  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

API = "https://api.example.com/"
SCOPE = "read:reports"
DOMAIN_ENV = "BENCH_AUTH0_DOMAIN"
MIDDLEWARE_ENV = "BENCH_SITE_MIDDLEWARE"
HERE = Path(__file__).resolve().parent


def hopped_token_required(*, scopes: list[str]) -> Callable[..., Any]:
    """``token_required`` on an async view as it was: the synchronous
    verification in ``sync_to_async``, a thread hop per request."""
    required = tuple(scopes)
    protect = sync_to_async(resource._protect)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        async def wrapper(request: HttpRequest) -> Any:
            try:
                await protect(request, required)
            except resource.BearerError as error:
                return resource._error_response(error, request)
            return await func(request)

        return wrapper

    return decorate


def answer(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"sub": request.auth0_claims["sub"]})
    # CommonMiddleware's job; without middleware, else uvicorn sends chunks.
    response["Content-Length"] = str(len(response.content))
    return response


@token_required(scopes=[SCOPE])
async def native(request: HttpRequest) -> JsonResponse:
    return answer(request)


@hopped_token_required(scopes=[SCOPE])
async def hopped(request: HttpRequest) -> JsonResponse:
    return answer(request)


@token_required(scopes=[SCOPE])
def plain(request: HttpRequest) -> JsonResponse:
    return answer(request)


urlpatterns = [
    path("native/", native),
    path("hopped/", hopped),
    path("sync/", plain),
]

if os.environ.get(DOMAIN_ENV):  # a server process: the views at the emulator
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = os.environ[DOMAIN_ENV]
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["*"]
    if not os.environ.get(MIDDLEWARE_ENV):
        settings.MIDDLEWARE = []
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    asgi_app = get_asgi_application()
    wsgi_app = get_wsgi_application()


# -- the servers ------------------------------------------------------------------


def start_server(
    kind: str, port: int, domain: str, args: argparse.Namespace
) -> subprocess.Popen:
    env = {**os.environ, DOMAIN_ENV: domain, "PYTHONPATH": f"{HERE}:{ROOT}"}
    if args.site_middleware:
        env[MIDDLEWARE_ENV] = "1"
    threads = max(args.concurrency)
    bind = f"127.0.0.1:{port}"
    if kind == "asgi":
        command = ["-m", "uvicorn", "async_api:asgi_app", "--port", str(port)]
        command += ["--workers", "1", "--loop", "asyncio", "--no-access-log"]
        command += ["--log-level", "warning", "--lifespan", "off"]
    else:
        command = ["-m", "gunicorn", "async_api:wsgi_app", "--bind", bind]
        command += ["--workers", "1", "--worker-class", "gthread"]
        command += ["--threads", str(threads), "--log-level", "warning"]
    return subprocess.Popen([sys.executable, *command], cwd=HERE, env=env)  # noqa: S603


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            asyncio.run(asyncio.open_connection("127.0.0.1", port))
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no server on port {port}")


# -- the client: keep-alive connections, raw HTTP/1.1 ------------------------------


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes):
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"connection":
            close = value.strip().lower() == b"close"
    await reader.readexactly(length)
    assert status == 200, status
    return close


async def _connection(port: int, raw: bytes, count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(count):
        if await _one(reader, writer, raw):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


def requests_per_second(
    port: int, url: str, token: str, total: int, concurrency: int
) -> float:
    raw = (
        f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()
    share = total // concurrency

    async def run() -> None:
        await asyncio.gather(
            *(_connection(port, raw, share) for _ in range(concurrency))
        )

    start = time.perf_counter()
    asyncio.run(run())
    return share * concurrency / (time.perf_counter() - start)


def main() -> None:
    from social_auth0.testing import Auth0Tenant, TenantUser

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--concurrency",
        type=lambda value: [int(n) for n in value.split(",")],
        default=[4, 32],
        help="concurrent connections, one figure each (comma-separated)",
    )
    parser.add_argument(
        "--site-middleware",
        action="store_true",
        help="keep the test site's MIDDLEWARE (sessions, CSRF, auth, messages...)",
    )
    args = parser.parse_args()
    user = TenantUser("ada@example.com")
    with Auth0Tenant(users=[user], apis=[API]) as tenant:
        token = tenant.access_token_for(user, scopes=[SCOPE])
        asgi_port, wsgi_port = free_port(), free_port()
        servers = [
            start_server("asgi", asgi_port, tenant.domain, args),
            start_server("wsgi", wsgi_port, tenant.domain, args),
        ]
        try:
            wait_until_up(asgi_port)
            wait_until_up(wsgi_port)
            candidates = {
                "async view, async-native (uvicorn)": (asgi_port, "/native/"),
                "async view, sync_to_async (uvicorn)": (asgi_port, "/hopped/"),
                "sync view (gunicorn gthread, WSGI)": (wsgi_port, "/sync/"),
            }
            for port, url in candidates.values():  # warm: keys, threads
                requests_per_second(port, url, token, 64, 32)
            results = [
                (concurrency, measure(candidates, token, concurrency, args))
                for concurrency in args.concurrency
            ]
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
        direct = direct_calls(tenant, token, args)
        fetches = tenant.count("/.well-known/jwks.json")
    assert fetches == 3, f"{fetches} JWKS fetches for 2 servers and this process"
    stack = "the test site's MIDDLEWARE" if args.site_middleware else "no middleware"
    print(
        f"{args.requests} requests per sample, median of {args.repeats} "
        f"interleaved samples, {stack}, 1 JWKS fetch per server process"
    )
    for concurrency, medians in results:
        report(concurrency, medians)
    print_table("Direct calls on one event loop, no server", direct)
    native, hopped = direct.values()
    print(f"  sync_to_async / async-native: {hopped / native:.2f}x the time")


def direct_calls(tenant: Any, token: str, args: argparse.Namespace) -> dict[str, float]:
    """Seconds per call of each async view, called directly on one loop."""
    from django.test import RequestFactory

    settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    loop = asyncio.new_event_loop()

    def call(view: Callable[..., Any]) -> Callable[[], object]:
        def run() -> object:
            response = loop.run_until_complete(view(request))
            assert response.status_code == 200, response.content
            return response

        return run

    candidates = {"async-native": call(native), "sync_to_async": call(hopped)}
    for func in candidates.values():
        func()  # the keys
    try:
        return interleaved(candidates, repeats=args.repeats, number=200)
    finally:
        loop.close()


def measure(
    candidates: dict[str, tuple[int, str]],
    token: str,
    concurrency: int,
    args: argparse.Namespace,
) -> dict[str, float]:
    """Median requests per second of each candidate, samples interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(args.repeats):
        for name, (port, url) in candidates.items():
            samples[name].append(
                requests_per_second(port, url, token, args.requests, concurrency)
            )
    return {name: statistics.median(values) for name, values in samples.items()}


def report(concurrency: int, medians: dict[str, float]) -> None:
    print(f"{concurrency} concurrent connections")
    for name, value in medians.items():
        print(f"  {name:<40} {value:10.0f} requests/s")
    native, hopped, wsgi = medians.values()
    print(f"  async-native / sync_to_async:  {native / hopped:.2f}x")
    print(f"  async-native / sync view WSGI: {native / wsgi:.2f}x")


if __name__ == "__main__":
    main()
