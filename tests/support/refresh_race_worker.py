"""Worker for flows/test_refresh_race.py: one "host" of a deployment on PostgreSQL
and Redis, whose threads all ask for one user's expiring access token at once.

    python tests/support/refresh_race_worker.py setup PG_PORT REDIS_PORT DOMAIN
        migrate, log the user in through the emulator (tokens stored), make the
        stored access token expire; prints {"user": pk}
    python tests/support/refresh_race_worker.py race PG REDIS DOMAIN USER THREADS on|off
        [mixed]
        prints "ready", waits for "go" on stdin, then THREADS threads call
        get_access_token() together ("off": without the refresh lock, the
        control); "mixed": half of the callers are coroutines calling
        aget_access_token() together on one event loop instead; "apis": the
        callers ask for tokens for three APIs (the login's and two others,
        Auth0's multi-resource refresh tokens: one refresh-token family);
        prints a JSON summary on its last line

Tokens never leave the process: each thread verifies the token it got (RS256,
iss, aud, exp against the tenant's keys) and reports a digest of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

API = "https://api.example.com/"
# The APIs of the "apis" race: the login's, and two got with its refresh token.
OTHER_APIS = {
    "https://billing.example.com/": ["read:invoices"],
    "https://shipping.example.com/": ["read:parcels"],
}
AUDIENCES = [API, *OTHER_APIS]
EMAIL, PASSWORD = "ada@example.com", "correct horse"
WAIT = 30  # seconds; a hung worker fails the run instead of hanging it


def configure(pg_port: str, redis_port: str, domain: str) -> None:
    from django.conf import settings

    from tests.support.postgres_server import database

    settings.DATABASES = {"default": database(pg_port)}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_port}/0",
        }
    }
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    settings.SOCIAL_AUTH_AUTH0_APIS = OTHER_APIS
    import django

    django.setup()


def setup(domain: str) -> dict[str, Any]:
    import requests
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from social_auth0.models import Auth0Token
    from social_auth0.testing import browser

    call_command("migrate", verbosity=0)
    get_user_model().objects.all().delete()
    cache.clear()
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    callback = browser.login(requests.Session(), domain, authorize, EMAIL, PASSWORD)
    response = client.get("/complete/auth0/?" + callback.partition("?")[2])
    assert response["Location"] == "/done/", response
    # Every caller of the race finds the access token expiring.
    from django.utils import timezone

    Auth0Token.objects.update(expires_at=timezone.now())
    return {"user": int(client.session["_auth_user_id"])}


def one_caller(
    user_id: int, barrier: threading.Barrier, audience: str = API
) -> dict[str, Any]:
    from django.db import close_old_connections, connection

    from social_auth0.access import get_access_token

    close_old_connections()
    try:
        request = request_for(user_id)
        barrier.wait(timeout=WAIT)
        asked = None if audience == API else audience
        return verified(get_access_token(request, audience=asked), audience)
    except Exception as error:  # reported, never hidden
        return failure(error)
    finally:
        connection.close()


def async_callers(
    user_id: int, count: int, barrier: threading.Barrier
) -> list[dict[str, Any]]:
    """``count`` coroutines on one event loop calling aget_access_token together."""
    import asyncio

    from django.db import close_old_connections, connection

    from social_auth0.access import aget_access_token

    async def one(request: Any) -> dict[str, Any]:
        try:
            return verified(await aget_access_token(request))
        except Exception as error:  # reported, never hidden
            return failure(error)

    async def together(request: Any) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(request) for _ in range(count))))

    close_old_connections()
    try:
        request = request_for(user_id)
        barrier.wait(timeout=WAIT)
        return asyncio.run(together(request))
    finally:
        connection.close()


def request_for(user_id: int) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/reports/")
    request.user = get_user_model().objects.get(pk=user_id)
    return request


def verified(token: str, audience: str = API) -> dict[str, Any]:
    """The token's sub, audience and digest, once verified against the
    tenant's keys."""
    from social_auth0.backend import backend_for
    from social_auth0.jwt.verify import verify_access_token

    backend = backend_for(None)
    claims = verify_access_token(
        backend,
        token,
        backend.tenant_keys().lookup,
        issuer=backend.id_token_issuer(),
        client_id=backend.client_id(),
        audience=audience,
        leeway=0,
    )
    digest = hashlib.sha256(token.encode()).hexdigest()
    return {"sub": claims["sub"], "audience": audience, "token": digest}


def failure(error: Exception) -> dict[str, Any]:
    return {"error": f"{type(error).__name__}: {getattr(error, 'code', error)}"}


def race(user_id: int, threads: int, lock: bool, variant: str) -> dict[str, Any]:
    from social_auth0.user_tokens import refresh

    refresh.SINGLE_FLIGHT = lock
    coroutines = threads // 2 if variant == "mixed" else 0
    sync_threads = threads - coroutines
    audiences = AUDIENCES if variant == "apis" else [API]
    barrier = threading.Barrier(sync_threads + (1 if coroutines else 0))
    results: list[dict[str, Any]] = []
    workers = [
        threading.Thread(
            target=lambda audience=audience: results.append(
                one_caller(user_id, barrier, audience)
            )
        )
        for audience in (audiences * threads)[:sync_threads]
    ]
    if coroutines:
        workers.append(
            threading.Thread(
                target=lambda: results.extend(
                    async_callers(user_id, coroutines, barrier)
                )
            )
        )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go'")
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"results": results}


def main(argv: list[str]) -> None:
    mode, pg_port, redis_port, domain, *rest = argv
    configure(pg_port, redis_port, domain)
    if mode == "setup":
        summary = setup(domain)
    else:
        user_id, threads, lock, *variant = rest
        summary = race(int(user_id), int(threads), lock == "on", "".join(variant))
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
