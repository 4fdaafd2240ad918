"""Delete the back-channel logout records that no session can use any more.

A normal logout of a server-side session deletes its record; sessions that
simply expire leave theirs. Run it after Django's ``clearsessions``, e.g.
daily from cron.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from social_auth0.models import Auth0Session
from social_auth0.sessions import retention_cutoff


class Command(BaseCommand):
    help = "Delete Auth0Session records that no session can use any more."

    def handle(self, *args: Any, **options: Any) -> None:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        ended = [
            pk
            for pk, key in Auth0Session.objects.exclude(session_key="")
            .values_list("pk", "session_key")
            .iterator()
            if not store().exists(key)
        ]
        deleted, _ = Auth0Session.objects.filter(pk__in=ended).delete()
        # A signed cookie cannot be deleted, and each re-save re-dates it: a
        # record (active or revoked) stays while a copy could be accepted.
        # Deleting it earlier would not let a copy in (the middleware fails
        # closed), but would log out a session still in use.
        expired, _ = Auth0Session.objects.filter(
            session_key="", seen_at__lt=retention_cutoff()
        ).delete()
        deleted += expired
        self.stdout.write(f"Deleted {deleted} ended Auth0 session record(s).")
