"""Worker for flows/test_concurrency.py: N first logins of one new user, in threads,
against PostgreSQL, in the interleaving that orphans a user.

Every login finds no association (social_user); then one login creates the user
and its association and commits; only then do the others go on. They pick a
fresh username (get_username sees the winner's), so their user insert succeeds
and their association insert conflicts: with social-core's create_user +
associate_user that leaves an orphan user and an error; with ours, a rollback
and the winner's user.

    python tests/support/pg_race_worker.py PORT THREADS social_auth0|social_core

Prints a JSON summary on its last line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

SUB = "auth0|65f0c0ffee00000000race01"
WAIT = 20  # seconds; a hung login fails the run instead of hanging it

STATE: dict[str, Any] = {}
ROLE = threading.local()


def all_found_nothing(*args: object, **kwargs: object) -> None:
    """Pipeline step after social_user: elect the winner; the others wait."""
    ROLE.winner = STATE["barrier"].wait(timeout=WAIT) == 0
    if not ROLE.winner and not STATE["winner_done"].wait(timeout=WAIT):
        raise TimeoutError("the winning login never committed")


def winner_committed(*args: object, **kwargs: object) -> None:
    """Pipeline step after the association is created: release the others."""
    if getattr(ROLE, "winner", False):
        STATE["winner_done"].set()


def pipeline_for(which: str) -> tuple[str, ...]:
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    from social_auth0.pipeline import PIPELINE

    steps = list(PIPELINE if which == "social_auth0" else DEFAULT_AUTH_PIPELINE)
    me = "tests.support.pg_race_worker"
    steps.insert(
        steps.index("social_core.pipeline.user.get_username"), f"{me}.all_found_nothing"
    )
    created = next(
        i
        for i, s in enumerate(steps)
        if s.endswith("associate_user") or s.endswith("create_user_and_association")
    )
    steps.insert(created + 1, f"{me}.winner_committed")
    return tuple(steps)


def first_login() -> dict[str, Any]:
    """One callback's pipeline, through backend.authenticate like social_django."""
    from django.contrib.sessions.backends.cache import SessionStore
    from django.db import close_old_connections, connection
    from django.test import RequestFactory
    from social_django.utils import load_strategy

    from social_auth0.backend import Auth0OAuth2

    close_old_connections()
    request = RequestFactory().get("/complete/auth0/")
    request.session = SessionStore()
    backend = Auth0OAuth2(load_strategy(request), redirect_uri="/complete/auth0/")
    claims = {
        "sub": SUB,
        "email": "new.user@example.com",
        # Unverified: otherwise associate_by_verified_email would link the
        # losers to the winner's user before they create one of their own.
        "email_verified": False,
        "nickname": "new.user",
        "access_token": "opaque",
    }
    try:
        user = backend.authenticate(
            request, response=claims, backend=backend, strategy=backend.strategy
        )
        return {"user": user.pk}
    except Exception as error:  # reported, never hidden
        return {"error": f"{type(error).__name__}: {getattr(error, 'code', error)}"}
    finally:
        connection.close()


def main(port: str, threads: int, which: str) -> None:
    from tests.support.concurrent_first_login import configure

    configure(port)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    settings.SOCIAL_AUTH_PIPELINE = pipeline_for(which)
    UserSocialAuth.objects.all().delete()
    get_user_model().objects.all().delete()
    # Run as a script this is __main__; the pipeline imports tests.pg_race_worker.
    from tests.support import pg_race_worker as steps

    steps.STATE.update(
        barrier=threading.Barrier(threads), winner_done=threading.Event()
    )
    results: list[dict[str, Any]] = []
    workers = [
        threading.Thread(target=lambda: results.append(first_login()))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    summary = {
        "users": get_user_model().objects.count(),
        "associations": UserSocialAuth.objects.count(),
        "associated_user": UserSocialAuth.objects.values_list(
            "user", flat=True
        ).first(),
        "results": results,
    }
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
