"""A web worker process for test_cache.py: PostgreSQL and Redis shared
with the other workers, signed-cookie sessions. Reads one JSON command per
line on stdin and answers one JSON line:

* ``{"op": "login"}``: records an Auth0 login as ``user_logged_in`` would and
  answers its signed session cookie and sid;
* ``{"op": "get", "cookie": ...}``: a request to a page with that cookie:
  logged in or not, and the database queries it made;
* ``{"op": "revoke", "sid": ...}``: what a back-channel logout token does.

    python tests/support/session_worker.py PGPORT REDIS_URL
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

ISSUER = "https://tenant.eu.auth0.com/"


def login() -> dict[str, Any]:
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth import SESSION_KEY as USER_KEY
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from social_auth0.models import Auth0Session
    from social_auth0.sessions import SESSION_KEY

    user = get_user_model().objects.create_user(f"worker-{secrets.token_hex(4)}")
    login_id, sid = secrets.token_urlsafe(32), secrets.token_urlsafe(8)
    Auth0Session.objects.create(
        login_id=login_id, issuer=ISSUER, sid=sid, sub="auth0|w", user=user
    )
    session = SessionStore()
    session[USER_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "social_auth0.backend.Auth0OAuth2"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_KEY] = {"sid": sid, "sub": "auth0|w", "login_id": login_id}
    session.save()
    return {"cookie": session.session_key, "sid": sid}


def get(cookie: str) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/plain/")
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    logged_out = session is not None and session.value != cookie
    return {
        "status": response.status_code,
        "logged_in": not logged_out,
        "queries": len(queries),
    }


def revoke(sid: str) -> dict[str, Any]:
    from social_auth0.sessions import end_sessions

    return {"ended": end_sessions(issuer=ISSUER, sid=sid, sub=None)}


def main(pg_port: str, redis_url: str) -> None:
    from django.conf import settings

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    from tests.support.concurrent_first_login import configure

    configure(pg_port)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "login":
            answer = login()
        elif command["op"] == "get":
            answer = get(command["cookie"])
        else:
            answer = revoke(command["sid"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
