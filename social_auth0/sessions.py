"""Recording the Django sessions Auth0 logins open, and ending them on demand.

The backend leaves the verified ``sid`` and ``sub`` in the session under
``SESSION_KEY``; the ``user_logged_in`` receiver below records them with the
session key. It must be a receiver, not a pipeline step: ``login()`` cycles the
session key after the pipeline has run.
"""

from __future__ import annotations

import logging
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from .backend import PENDING_SESSION_KEY, SESSION_KEY, Auth0OAuth2
from .models import Auth0Session

logger = logging.getLogger(__name__)

__all__ = ["SESSION_KEY", "end_sessions", "is_revoked", "record_login"]

SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


def logged_in_with_auth0(user: Any) -> bool:
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
    """``user_logged_in`` receiver: map the Auth0 session to this Django session."""
    session = getattr(request, "session", None)
    if session is None:
        return
    # The backend leaves the login's sid/sub pending; only a completed login
    # by our backend makes them this session's (a failed second login must
    # not overwrite the record of the user still logged in).
    login = session.pop(PENDING_SESSION_KEY, None)
    if not logged_in_with_auth0(user):
        session.pop(SESSION_KEY, None)
        return
    if not isinstance(login, dict):
        return
    login_id = secrets.token_urlsafe(32)
    Auth0Session.objects.create(
        login_id=login_id,
        sid=login.get("sid") or "",
        sub=login["sub"],
        user=user,
        session_key=server_side_key(session),
    )
    session[SESSION_KEY] = {**login, "login_id": login_id}


def server_side_key(session: SessionBase) -> str:
    """The session key, for engines that keep sessions server-side; else ''."""
    if settings.SESSION_ENGINE == SIGNED_COOKIES:
        return ""  # the "key" is the whole signed cookie: nothing to delete
    if session.session_key is None:
        session.save()
    return session.session_key or ""


def forget_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: this session ended; settle its record.

    A revoked record stays (until ``clearauth0sessions``): deleting it would
    let an old copy of a signed cookie back in. A signed-cookie session that
    logs out normally is revoked rather than deleted, for the same reason.
    """
    session = getattr(request, "session", None)
    login = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(login, dict) or not login.get("login_id"):
        return
    active = Auth0Session.objects.filter(
        login_id=login["login_id"], revoked_at__isnull=True
    )
    if settings.SESSION_ENGINE == SIGNED_COOKIES:
        active.update(revoked_at=timezone.now())
    else:
        active.delete()


def end_sessions(*, sid: str | None, sub: str | None) -> int:
    """Revoke the sessions of an Auth0 session (or of a user) and delete the
    server-side ones. Returns how many Django sessions were ended.

    With a ``sid`` only that tenant session's logins end (and, when ``sub`` is
    given too, only if it matches); with only ``sub``, every login of the user.
    """
    if sid:
        matches = Q(sid=sid) & (Q(sub=sub) if sub else Q())
    elif sub:
        matches = Q(sub=sub)
    else:
        return 0
    rows = list(
        Auth0Session.objects.filter(matches, revoked_at__isnull=True).values_list(
            "pk", "session_key"
        )
    )
    if not rows:
        return 0
    Auth0Session.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        revoked_at=timezone.now()
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for _pk, session_key in rows:
        if session_key:
            store(session_key).delete()
    return len(rows)


def is_revoked(login_id: str) -> bool:
    """True when back-channel logout revoked this login."""
    return Auth0Session.objects.filter(
        login_id=login_id, revoked_at__isnull=False
    ).exists()
