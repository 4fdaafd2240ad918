"""Django Ninja's ``Auth0Bearer`` against the plain ``token_required``
decorator, interleaved in one run, as ratios.

1. The authentication alone, per request: ``Auth0Bearer(scopes)(request)``
   against a ``token_required`` view doing nothing, on one prepared request
   (no test client, no routing): sync, and async inside one event loop (both
   verify through ``sync_to_async`` today, a thread hop each). Target: <= 1.10x.
2. Whole requests through Django's test client: the plain decorator and
   Ninja's class on a sync and an async view, and each framework's view with
   no authentication, for scale (Ninja's routing and rendering cost their own).

The keys come from the tenant emulator over loopback; the run asserts no
JWKS fetch and no database query during the timed runs.

    python bench/ninja_api.py [--repeats 31] [--number 50]
"""

from __future__ import annotations

import argparse
import asyncio

from _common import interleaved, print_table, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import NinjaAPI  # noqa: E402

from social_auth0.contrib.ninja import Auth0Bearer, add_error_handler  # noqa: E402
from social_auth0.resource import token_required  # noqa: E402
from social_auth0.testing import Auth0Tenant, TenantUser  # noqa: E402

API = "https://api.example.com/"
SCOPE = "read:reports"


def plain_open(request):
    return JsonResponse({"sub": "anyone"})


async def plain_open_async(request):
    return JsonResponse({"sub": "anyone"})


@token_required(scopes=[SCOPE])
def plain(request):
    return JsonResponse({"sub": request.user.sub})


@token_required(scopes=[SCOPE])
async def plain_async(request):
    return JsonResponse({"sub": request.user.sub})


api = NinjaAPI(urls_namespace="bench-api")
add_error_handler(api)


@api.get("/open")
def ninja_open(request):
    return {"sub": "anyone"}


@api.get("/open-async")
async def ninja_open_async(request):
    return {"sub": "anyone"}


@api.get("/auth", auth=Auth0Bearer(scopes=[SCOPE]))
def ninja(request):
    return {"sub": request.auth.sub}


@api.get("/auth-async", auth=Auth0Bearer(scopes=[SCOPE]))
async def ninja_async(request):
    return {"sub": request.auth.sub}


urlpatterns = [
    path("plain/open", plain_open),
    path("plain/open-async", plain_open_async),
    path("plain/auth", plain),
    path("plain/auth-async", plain_async),
    path("ninja/", api.urls),
]

CANDIDATES = {
    "plain open, sync": "/plain/open",
    "plain token_required, sync": "/plain/auth",
    "Ninja open, sync": "/ninja/open",
    "Ninja Auth0Bearer, sync": "/ninja/auth",
    "plain open, async": "/plain/open-async",
    "plain token_required, async": "/plain/auth-async",
    "Ninja open, async": "/ninja/open-async",
    "Ninja Auth0Bearer, async": "/ninja/auth-async",
}


def request_candidates(token: str):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, response.content

        return call

    return {name: get(url) for name, url in CANDIDATES.items()}


def auth_candidates(token: str, number: int):
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    bearer = Auth0Bearer(scopes=[SCOPE])
    decorated = token_required(scopes=[SCOPE])(lambda request: None)

    async def noop(request):
        return None

    decorated_async = token_required(scopes=[SCOPE])(noop)

    async def many(call) -> None:
        for _ in range(number):
            assert await call(request) is not None or call is decorated_async

    return {
        "token_required, sync": lambda: decorated(request),
        "Auth0Bearer, sync": lambda: bearer(request),
        # number calls per sample, in one loop: divide by number below
        "token_required, async": lambda: asyncio.run(many(decorated_async)),
        "Auth0Bearer, async": lambda: asyncio.run(many(bearer)),
    }


def timed_auth(token: str, repeats: int, number: int) -> dict[str, float]:
    candidates = auth_candidates(token, number)
    sync = {k: v for k, v in candidates.items() if k.endswith("sync")}
    sync = {k: v for k, v in sync.items() if not k.endswith("async")}
    loops = {k: v for k, v in candidates.items() if k.endswith("async")}
    for func in candidates.values():
        func()
    medians = interleaved(sync, repeats=repeats, number=number)
    per_loop = interleaved(loops, repeats=repeats, number=1)
    return {**medians, **{k: v / number for k, v in per_loop.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31)
    parser.add_argument("--number", type=int, default=50)
    args = parser.parse_args()

    user = TenantUser("ada@example.com")
    with Auth0Tenant(users=[user], apis=[API]) as tenant:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
        settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
        settings.ROOT_URLCONF = __name__
        token = tenant.access_token_for(user, scopes=[SCOPE])
        candidates = request_candidates(token)
        for func in candidates.values():
            func()  # warm every cache; each must answer 200
        tenant.clear_requests()
        with CaptureQueriesContext(connection) as queries:
            auth = timed_auth(token, args.repeats, args.number)
            medians = interleaved(candidates, repeats=args.repeats, number=args.number)
        assert tenant.requests == [], "a warm request went to the tenant"
        assert len(queries) == 0, "a request queried the database"

    print_table(
        f"Authentication alone, median of {args.repeats} x {args.number}:", auth
    )
    for kind in ("sync", "async"):
        ours = auth[f"Auth0Bearer, {kind}"] / auth[f"token_required, {kind}"]
        print(
            f"  Auth0Bearer / token_required, {kind}: {ours:.2f}x   (target <= 1.10x)"
        )
    print_table(
        f"Whole requests (test client), median of {args.repeats} x {args.number}:",
        medians,
    )
    for kind in ("sync", "async"):
        whole = (
            medians[f"Ninja Auth0Bearer, {kind}"]
            / medians[f"plain token_required, {kind}"]
        )
        scale = medians[f"Ninja open, {kind}"] / medians[f"plain open, {kind}"]
        print(f"  Ninja / plain, {kind}: {whole:.2f}x with auth, {scale:.2f}x open")
    print("  JWKS fetches during the timed runs: 0; database queries: 0")


if __name__ == "__main__":
    main()
