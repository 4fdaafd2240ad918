"""Django settings of the gunicorn workers of flows/test_stampede.py.

tests.settings, on the run's PostgreSQL database and Redis (cache, sessions),
at the run's emulated tenant, with ``social_auth0.pipeline.PIPELINE`` and the
stampede's hold step (tests/support/stampede_site.py); all from ``STAMPEDE_*``
environment variables the test sets. Rejected logins are logged to stderr
(the test reads gunicorn's log when it fails).
"""

from __future__ import annotations

import os

from social_auth0.pipeline import PIPELINE
from tests.settings import *  # noqa: F403
from tests.support.postgres_server import database

DATABASES = {
    "default": database(os.environ["STAMPEDE_PG_PORT"], os.environ["STAMPEDE_DB"])
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{os.environ['STAMPEDE_REDIS_PORT']}/0",
        "KEY_PREFIX": os.environ["STAMPEDE_RUN"],
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SOCIAL_AUTH_AUTH0_DOMAIN = os.environ["STAMPEDE_TENANT"]


def _with_hold(steps: tuple[str, ...]) -> tuple[str, ...]:
    """PIPELINE with ``first_committed`` after the step creating the rows."""
    created = steps.index("social_auth0.pipeline.create_user_and_association") + 1
    hold = "tests.support.stampede_site.first_committed"
    return (*steps[:created], hold, *steps[created:])


SOCIAL_AUTH_PIPELINE = _with_hold(PIPELINE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"social_auth0": {"handlers": ["stderr"], "level": "INFO"}},
}
