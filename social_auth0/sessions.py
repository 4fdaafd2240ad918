"""Recording the Django sessions Auth0 logins open, and ending them on demand.

The backend leaves the login's record (login/record.py: ``sid``, ``sub``,
``iss``, what it proved) pending; the ``user_logged_in`` receiver below makes
it the session's and records the session key. It must be a receiver, not a
pipeline step: ``login()`` cycles the session key after the pipeline has run.

Each login's state (active or revoked) is also kept in the shared cache, so
that the middleware's check costs no database query: revocations write
"revoked" there at once; a missing entry (evicted, flushed) or an unreachable
cache sends the check to the database, which is the truth. The check fails
closed: a login id without an active record is logged out.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from . import conf
from .backend import Auth0OAuth2
from .cache import UNAVAILABLE, SharedCache
from .login.record import SESSION_KEY, TOKEN_STAMP, take_pending
from .models import Auth0Session

logger = logging.getLogger(__name__)

__all__ = ["SESSION_KEY", "end_sessions", "login_is_active", "record_login"]

_SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"
ACTIVE, REVOKED = "active", "revoked"
# Seconds a worker trusts the cache's "active" before asking the database
# again. It bounds the one case the cache can still get wrong: a revocation
# whose cache write was lost (the cache was unreachable for a moment, then came
# back with its old entries).
_RECHECK_AFTER = 60
# A revoked login's entry; when it is gone the database says "revoked" again.
_REVOKED_TTL = 24 * 3600
# How stale ``seen_at`` may get before a database check refreshes it.
_SEEN_RESOLUTION = 3600


def _logged_in_with_auth0(user: Any) -> bool:
    """True when ``login()`` was called for our backend (``user.backend``)."""
    path = getattr(user, "backend", None)
    if not path:
        return False
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, Auth0OAuth2)


def record_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """``user_logged_in`` receiver: what the login proved becomes this
    session's record, with the ``Auth0Session`` row back-channel logout finds."""
    session = getattr(request, "session", None)
    if session is None:
        return
    # The backend leaves the login's record pending; only a completed login
    # by our backend makes it this session's (a failed second login must not
    # overwrite the record of the user still logged in).
    pending = take_pending(request)
    if not _logged_in_with_auth0(user):
        session.pop(SESSION_KEY, None)  # another backend's login: nothing proven
        return
    if pending is None:
        return
    login_id = secrets.token_urlsafe(32)
    Auth0Session.objects.create(
        login_id=login_id,
        issuer=pending.get("iss") or "",
        sid=pending.get("sid") or "",
        sub=pending["sub"],
        user=user,
        session_key=_server_side_key(session),
        login_stamp=pending.get(TOKEN_STAMP) or "",
    )
    _login_state().add(state_key(login_id), ACTIVE, _RECHECK_AFTER)
    session[SESSION_KEY] = {**pending, "login_id": login_id}


def _server_side_key(session: SessionBase) -> str:
    """The session key, for engines that keep sessions server-side; else ''."""
    if settings.SESSION_ENGINE == _SIGNED_COOKIES:
        return ""  # the "key" is the whole signed cookie: nothing to delete
    if session.session_key is None:
        session.save()
    return session.session_key or ""


def forget_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: this session ended; settle its record.

    A server-side session is gone with its record. A signed-cookie one is
    revoked rather than deleted: copies of the cookie stay valid (see
    ``retention_cutoff``).
    """
    session = getattr(request, "session", None)
    login = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(login, dict) or not login.get("login_id"):
        return
    active = Auth0Session.objects.filter(
        login_id=login["login_id"], revoked_at__isnull=True
    )
    if settings.SESSION_ENGINE == _SIGNED_COOKIES:
        now = timezone.now()
        active.update(revoked_at=now, seen_at=now)
    else:
        active.delete()
    _mark_revoked([login["login_id"]])


def end_sessions(
    *,
    issuer: str,
    sid: str | None,
    sub: str | None,
    backend_name: str = conf.BACKEND_NAME,
) -> int:
    """Revoke the sessions of an Auth0 session (or of a user) and delete the
    server-side ones. Returns how many Django sessions were ended.

    Only logins of ``issuer`` (the logout token's tenant) end, and, if it is
    the tenant ``settings.py`` names, those recorded before issuers were. With
    a ``sid`` only that tenant session's logins end (and, when ``sub`` is given
    too, only if it matches); with only ``sub``, every login of the user.
    """
    if sid:
        matches = Q(sid=sid) & (Q(sub=sub) if sub else Q())
    elif sub:
        matches = Q(sub=sub)
    else:
        return 0
    matches &= Auth0Session.of_issuer(issuer, backend_name)
    rows = list(
        Auth0Session.objects.filter(matches, revoked_at__isnull=True).values_list(
            "pk", "login_id", "session_key"
        )
    )
    if not rows:
        return 0
    now = timezone.now()
    Auth0Session.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        revoked_at=now, seen_at=now
    )
    _mark_revoked([login_id for _, login_id, _ in rows])
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for _pk, _login_id, session_key in rows:
        if session_key:
            store(session_key).delete()
    return len(rows)


# The login state in the shared cache ------------------------------------------


def _login_state() -> SharedCache:
    """The shared cache holding each login's state; no fallback: when it is
    down the database answers (a per-process copy would miss revocations).

    The deployment's ``SHARED_CACHE`` (conf's lookup and memo): the back-channel
    endpoint that marks a login revoked and the middleware that reads the mark
    must agree, whichever site each request came through."""
    return SharedCache(
        conf.shared_cache_alias(),
        "Auth0 session state",
        consequence="sessions are checked in the database on every request",
    )


def state_key(login_id: str) -> str:
    return f"social_auth0:login:{login_id}"


def _mark_revoked(login_ids: list[str]) -> None:
    """Tell every worker at its next request (after the database says so)."""
    _login_state().set_many(
        {state_key(login_id): REVOKED for login_id in login_ids}, _REVOKED_TTL
    )


def login_is_active(session: SessionBase, login_id: str) -> bool:
    """Whether this login still has an active record: one cache read, and
    the database when the cache has no answer. Fails closed."""
    cache = _login_state()
    key = state_key(login_id)
    state = cache.get(key)
    if state in (ACTIVE, REVOKED):
        return bool(state == ACTIVE)
    active = _active_in_database(session, login_id)
    if state is not UNAVAILABLE:
        # add, not set: a revocation written meanwhile must win.
        cache.add(
            key,
            ACTIVE if active else REVOKED,
            _RECHECK_AFTER if active else _REVOKED_TTL,
        )
    return active


def _active_in_database(session: SessionBase, login_id: str) -> bool:
    """Look the login up; keep its ``seen_at`` (and a cycled session key) fresh."""
    row = (
        Auth0Session.objects.filter(login_id=login_id, revoked_at__isnull=True)
        .values("pk", "seen_at", "session_key")
        .first()
    )
    if row is None:
        return False
    now = timezone.now()
    key = "" if settings.SESSION_ENGINE == _SIGNED_COOKIES else session.session_key
    stale = row["seen_at"] < now - timedelta(seconds=_SEEN_RESOLUTION)
    if stale or (key and key != row["session_key"]):
        Auth0Session.objects.filter(pk=row["pk"], revoked_at__isnull=True).update(
            seen_at=now, session_key=key or row["session_key"]
        )
    return True


def retention_cutoff() -> datetime:
    """Records whose ``seen_at`` is older can have no cookie still accepted.

    A cookie is re-signed (re-dated) only by a request the middleware let
    through, so it is valid until at most ``SESSION_COOKIE_AGE`` after the
    last such request. The middleware trusts the cache for ``RECHECK_AFTER``
    and refreshes ``seen_at`` every ``SEEN_RESOLUTION``: both are slack.
    """
    slack = settings.SESSION_COOKIE_AGE + _RECHECK_AFTER + _SEEN_RESOLUTION
    return timezone.now() - timedelta(seconds=slack)
