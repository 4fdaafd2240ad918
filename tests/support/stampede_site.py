"""The site flows/test_stampede.py serves with gunicorn: N sync workers, one
process each, on one PostgreSQL database and one Redis.

    STAMPEDE_*=... DJANGO_SETTINGS_MODULE=tests.support.stampede_settings \\
        gunicorn --preload -w N tests.support.stampede_site:application

With ``--preload`` the master migrates the database once and closes its
connection before forking the workers. Every worker holds its login where
social-core's ``social_user`` looks for legacy rows, having found no row
under the current key (no user): the logins meet there across processes
(Redis: a counter and a list to block on). The last to arrive goes on and
commits its user and association; only then are the others released into the
legacy lookup, where the first one's row now is (the interleaving that
answered ``identifier_migration_conflict``). A sync worker serves one request
at a time, so N logins held at once are N processes; each records its pid.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connections
from social_core.pipeline import social_auth

LOGINS = int(os.environ["STAMPEDE_LOGINS"])
RUN = os.environ["STAMPEDE_RUN"]  # the prefix of this run's Redis keys
HOLD_TIMEOUT = 30  # seconds a login waits for the others, then fails loudly
_login = threading.local()  # this worker's login: held once, elected or not


def barrier() -> redis.Redis:
    return redis.Redis(port=int(os.environ["STAMPEDE_REDIS_PORT"]), db=1)


def hold_legacy_lookup() -> None:
    """Wrap social-core's legacy lookup: each worker's first call meets the
    other workers' there; the last to arrive goes first."""
    lookup = social_auth._legacy_social_auth

    def held(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_login, "held", False):
            _login.held = True
            meet()
        return lookup(*args, **kwargs)

    social_auth._legacy_social_auth = held


def meet() -> None:
    """Arrive; the last to arrive is elected and goes on, the others block
    until it has committed."""
    keys = barrier()
    keys.sadd(f"{RUN}:workers", os.getpid())
    _login.elected = keys.incr(f"{RUN}:arrived") == LOGINS
    if not _login.elected and keys.blpop([f"{RUN}:committed"], HOLD_TIMEOUT) is None:
        raise TimeoutError("the first login never committed")


def first_committed(*args: Any, **kwargs: Any) -> None:
    """Pipeline step after the user and association are created: the elected
    login releases the others."""
    if getattr(_login, "elected", False):
        barrier().rpush(f"{RUN}:committed", *["go"] * (LOGINS - 1))


application = get_wsgi_application()
call_command("migrate", verbosity=0)
connections.close_all()  # the workers are forked: none shares a connection
hold_legacy_lookup()
