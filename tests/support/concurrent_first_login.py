"""Worker for flows/test_concurrency.py: N simultaneous first logins of one new user.

Run in its own process, because it needs Django configured for PostgreSQL (a
real database with concurrent writers, unlike SQLite). Prints a JSON summary.

    python tests/support/concurrent_first_login.py PORT THREADS PIPELINE
"""

from __future__ import annotations

import json
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


def configure(port: str) -> None:
    from django.conf import settings

    from tests.support.postgres_server import database

    settings.DATABASES = {"default": database(port)}
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main(port: str, threads: int, pipeline: str) -> None:
    configure(port)
    import requests
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    import tests.support.concurrent_first_login as this  # the module pipelines import
    from social_auth0.pipeline import PIPELINE
    from social_auth0.testing import Auth0Tenant, TenantUser, browser

    steps = list(PIPELINE if pipeline == "social_auth0" else DEFAULT_AUTH_PIPELINE)
    create_step = next(i for i, step in enumerate(steps) if "create_user" in step)
    steps.insert(create_step, "tests.support.concurrent_first_login.wait_for_all")
    settings.SOCIAL_AUTH_PIPELINE = tuple(steps)
    this.BARRIER = threading.Barrier(threads)
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    UserSocialAuth.objects.all().delete()  # a first login, every run
    get_user_model().objects.all().delete()
    email = "new.user@example.com"
    results: list[dict[str, object]] = []

    with Auth0Tenant(
        client_id="test-client-id",
        client_secret="test-client-secret",
        callback_urls=["http://testserver/complete/auth0/"],
        users=[TenantUser(email, "pw")],
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
                "results": results,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
