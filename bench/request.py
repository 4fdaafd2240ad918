"""Requests per second of a small authenticated view, with
``BackchannelLogoutMiddleware`` and without it, and the queries per request.

Both run through Django's test client against the same logged-in Auth0
session (signed cookies: the engine for which the middleware exists), runs
interleaved A B A B. The view reads the user (one query, the same for both).
Target: 0 extra queries per request, and a ratio close to 1.00x. With
``--redis-url`` the shared cache is Redis (the production setup) instead of
the test settings' local-memory cache.

    python bench/request.py [--repeats 9] [--number 300] [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import secrets

from _common import interleaved, print_table, setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    get_user_model,  # noqa: E402
)
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from social_auth0.models import Auth0Session  # noqa: E402
from social_auth0.sessions import SESSION_KEY  # noqa: E402
from tests.support.tokens import ISSUER  # noqa: E402

MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"
VIEW = "/done/"


def auth0_session_cookie() -> str:
    """A signed-cookie session of a user logged in through Auth0, recorded."""
    user = get_user_model().objects.create_user("ada")
    login_id = secrets.token_urlsafe(32)
    Auth0Session.objects.create(
        login_id=login_id, issuer=ISSUER, sid="sid-1", sub="auth0|ada", user=user
    )
    session = SessionStore()
    session[USER_SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "social_auth0.backend.Auth0OAuth2"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_KEY] = {"sid": "sid-1", "sub": "auth0|ada", "login_id": login_id}
    session.save()
    return str(session.session_key)


def client_with(middleware: list[str], cookie: str) -> Client:
    """A client whose handler loaded ``middleware`` (it keeps that chain)."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    with override_settings(MIDDLEWARE=middleware):
        response = client.get(VIEW)
    assert response.content == b"done:ada", response.content
    return client


def queries_per_request(client: Client, number: int = 50) -> float:
    with CaptureQueriesContext(connection) as queries:
        for _ in range(number):
            client.get(VIEW)
    return len(queries) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--number", type=int, default=300)
    parser.add_argument("--redis-url", help="use Redis as the shared cache")
    args = parser.parse_args()

    caches = settings.CACHES
    if args.redis_url:
        backend = "django.core.cache.backends.redis.RedisCache"
        caches = {"default": {"BACKEND": backend, "LOCATION": args.redis_url}}
    engine = "django.contrib.sessions.backends.signed_cookies"
    with override_settings(SESSION_ENGINE=engine, CACHES=caches):
        call_command("migrate", verbosity=0)
        cookie = auth0_session_cookie()
        without = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
        clients = {
            "with BackchannelLogoutMiddleware": client_with(
                settings.MIDDLEWARE, cookie
            ),
            "without it": client_with(without, cookie),
            "a query per request (before)": client_with(
                [*without, "_before.QueryPerRequest"], cookie
            ),
        }
        queries = {name: queries_per_request(c) for name, c in clients.items()}
        medians = interleaved(
            {name: (lambda c=c: c.get(VIEW)) for name, c in clients.items()},
            repeats=args.repeats,
            number=args.number,
        )
    cache = "Redis" if args.redis_url else "local memory"
    print_table(
        f"One request to {VIEW} (signed-cookie session, {cache} cache), "
        f"median of {args.repeats} x {args.number}:",
        medians,
    )
    for name, seconds in medians.items():
        print(f"  {name:<40} {1 / seconds:10.0f} requests/s")
    with_, without_, before = medians.values()
    print(f"  with / without:   {with_ / without_:.2f}x time   (target close to 1.00x)")
    print(f"  before / without: {before / without_:.2f}x time")
    print("Queries per request (the view itself loads the user: 1):")
    for name, count in queries.items():
        print(f"  {name:<40} {count:10.2f}")
    extra = queries["with BackchannelLogoutMiddleware"] - queries["without it"]
    print(f"  extra queries per request with the middleware: {extra:.2f}   (target 0)")


if __name__ == "__main__":
    main()
