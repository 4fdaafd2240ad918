"""Delete the back-channel logout records of sessions that have ended.

A normal logout deletes its record; sessions that simply expire leave theirs.
Run it after Django's ``clearsessions``, e.g. daily from cron.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from social_auth0.models import Auth0Session


class Command(BaseCommand):
    help = "Delete Auth0Session records whose Django session has ended."

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
        # Signed-cookie sessions have no server-side key: a record outlives its
        # cookie once SESSION_COOKIE_AGE has passed since the login (unless
        # every request re-saves, and so re-dates, the cookie).
        if not settings.SESSION_SAVE_EVERY_REQUEST:
            cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
            expired, _ = Auth0Session.objects.filter(
                session_key="", created_at__lt=cutoff
            ).delete()
            deleted += expired
        self.stdout.write(f"Deleted {deleted} ended Auth0 session record(s).")
