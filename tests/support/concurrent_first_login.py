"""Worker for flows/test_concurrency.py: N simultaneous first logins of one new user.

Run in its own process, because it needs Django configured for PostgreSQL (a
real database with concurrent writers, unlike SQLite). Prints a JSON summary.

    python tests/support/concurrent_first_login.py PORT THREADS PIPELINE
        [HOLD [REDIS_PORT]]     (one command line)

HOLD says where the logins meet:

* ``create`` (default): all of them just before users are created, having
  found no user and no association: every one inserts the same username;
* ``legacy``: all of them inside ``social_user``, having found no association
  under the current key; one goes on and commits its user and association,
  and only then do the others look for legacy rows (where the winner's row is);
* ``callback``: all of them as their callback's pipeline starts, then a free
  race (the stampede: which interleaving happens is up to the scheduler);
* ``migrate``: not a first login: the user has a row another integration wrote
  (``id_key`` ``"id"``, ``uid`` the ``sub``); all of them found it and meet
  just before migrating it to ``user_id``: one migrates it, the others find
  it changed under them.

With REDIS_PORT the cache (and so the sessions and the shared cache) is Redis.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

# Set by main(): every login waits here, inside the pipeline, until all of them
# have found no user and no association: the worst interleaving, every run.
BARRIER: threading.Barrier | None = None


def wait_for_all(*args: object, **kwargs: object) -> None:
    """Pipeline step: hold each login just before users are created."""
    if BARRIER is not None:
        try:
            BARRIER.wait(timeout=20)
        except threading.BrokenBarrierError:
            pass


# HOLD = "legacy": the login elected to go first, and when it has committed.
WINNER = threading.local()
WINNER_DONE = threading.Event()


def first_committed(*args: object, **kwargs: object) -> None:
    """Pipeline step after the association is created: release the others."""
    if getattr(WINNER, "elected", False):
        WINNER_DONE.set()


def hold_legacy_lookup() -> None:
    """Wrap social-core's legacy lookup (``social_user`` calls it when no row
    holds the uid under the current key): the logins meet there, one is
    elected and goes on; the others look only once its rows are committed."""
    from social_core.pipeline import social_auth

    lookup = social_auth._legacy_social_auth

    def held(*args: object, **kwargs: object) -> object:
        assert BARRIER is not None
        WINNER.elected = BARRIER.wait(timeout=20) == 0
        if not WINNER.elected and not WINNER_DONE.wait(timeout=20):
            raise TimeoutError("the first login never committed")
        return lookup(*args, **kwargs)

    social_auth._legacy_social_auth = held


def hold_migration() -> None:
    """Wrap social_django's ``migrate_social_auth``: the logins, each having
    found the legacy row, meet there before any of them migrates it."""
    from social_django.models import UserSocialAuth

    migrate = UserSocialAuth.migrate_social_auth.__func__  # type: ignore[attr-defined]

    def held(cls: type, *args: object, **kwargs: object) -> object:
        assert BARRIER is not None
        BARRIER.wait(timeout=20)
        return migrate(cls, *args, **kwargs)

    UserSocialAuth.migrate_social_auth = classmethod(held)  # type: ignore[assignment]


LEGACY_ID_KEY = "id"  # social-core's default ID_KEY, as 2017's quickstart stored


def legacy_row(sub: str) -> int:
    """The user another integration created, its row keyed ``"id"``; its pk."""
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    user = get_user_model().objects.create_user("legacy-user")
    UserSocialAuth.objects.create(
        user=user, provider="auth0", uid=sub, id_key=LEGACY_ID_KEY
    )
    return int(user.pk)


def configure(port: str, redis_port: str | None = None) -> None:
    from django.conf import settings

    from tests.support.postgres_server import database

    settings.DATABASES = {"default": database(port)}
    if redis_port:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{redis_port}/0",
            }
        }
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Rejections(logging.Handler):
    """Collects the rejected logins' log lines (errors.log_rejection)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def pipeline_for(pipeline: str, hold: str) -> tuple[str, ...]:
    """The pipeline (ours or social-core's default) with the hold's steps."""
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    from social_auth0.pipeline import PIPELINE

    me = "tests.support.concurrent_first_login"
    steps = list(PIPELINE if pipeline == "social_auth0" else DEFAULT_AUTH_PIPELINE)
    if hold == "create":
        create_step = next(i for i, step in enumerate(steps) if "create_user" in step)
        steps.insert(create_step, f"{me}.wait_for_all")
    elif hold == "callback":
        steps.insert(0, f"{me}.wait_for_all")
    elif hold == "legacy":
        created = next(
            i
            for i, step in enumerate(steps)
            if step.endswith(("associate_user", "create_user_and_association"))
        )
        steps.insert(created + 1, f"{me}.first_committed")
    return tuple(steps)


def main(
    port: str, threads: int, pipeline: str, hold: str, redis_port: str | None
) -> None:
    configure(port, redis_port)
    import requests
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    import tests.support.concurrent_first_login as this  # the module pipelines import
    from social_auth0.testing import Auth0Tenant, TenantUser, browser

    settings.SOCIAL_AUTH_PIPELINE = pipeline_for(pipeline, hold)
    this.BARRIER = threading.Barrier(threads)
    if hold == "legacy":
        this.hold_legacy_lookup()
    elif hold == "migrate":
        this.hold_migration()
    rejections = Rejections()
    logging.getLogger("social_auth0.backend").addHandler(rejections)
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    UserSocialAuth.objects.all().delete()  # a first login, every run
    get_user_model().objects.all().delete()
    email = "new.user@example.com"
    user = TenantUser(email, "pw")
    legacy_user = legacy_row(str(user.sub)) if hold == "migrate" else None
    results: list[dict[str, object]] = []

    with Auth0Tenant(
        client_id="test-client-id",
        client_secret="test-client-secret",
        callback_urls=["http://testserver/complete/auth0/"],
        users=[user],
    ) as tenant:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain

        def first_login() -> None:
            client = Client()
            try:
                authorize = client.post("/login/auth0/")["Location"]
                callback = browser.login(
                    requests.Session(), tenant.base_url, authorize, email, "pw"
                )
                path, _, query = callback.removeprefix("http://testserver").partition(
                    "?"
                )
                response = client.get(f"{path}?{query}")
                results.append(
                    {
                        "status": response.status_code,
                        "location": response.get("Location"),
                        "user": client.session.get("_auth_user_id"),
                    }
                )
            except Exception as error:  # reported, never hidden
                results.append({"error": repr(error)})
            finally:
                connection.close()

        workers = [threading.Thread(target=first_login) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    sys.stdout.write(
        json.dumps(
            {
                "users": get_user_model().objects.count(),
                "associations": UserSocialAuth.objects.count(),
                "id_keys": sorted(
                    UserSocialAuth.objects.values_list("id_key", flat=True)
                ),
                "legacy_user": legacy_user,
                "results": results,
                "rejections": rejections.lines,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    port, threads, pipeline, *rest = sys.argv[1:]
    hold = rest[0] if rest else "create"
    main(port, int(threads), pipeline, hold, rest[1] if len(rest) > 1 else None)
