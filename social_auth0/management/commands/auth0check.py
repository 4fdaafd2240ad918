"""Check the configured Auth0 tenant live, one line per check with its fix.

The checks live in ``social_auth0.checks.doctor``; this command only prints them and
exits non-zero when one fails.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch
from social_core.exceptions import SocialAuthBaseException

from social_auth0.checks.doctor import Doctor, Result, find_site, run_checks


class Command(BaseCommand):
    help = (
        "Check the Auth0 tenant live: discovery and issuer, signing keys, client "
        "credentials, and this site's callback and logout URLs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--site-url",
            help="this site's base URL, e.g. https://your.site "
            "(default: the SOCIAL_AUTH_AUTH0_SITE_URL setting)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        doctor = self.doctor(options["site_url"])
        self.stdout.write(self.heading(doctor))
        results = run_checks(doctor)
        for result in results:
            self.stdout.write(self.line(result))
        failed = sum(result.status == "FAIL" for result in results)
        warned = sum(result.status == "WARN" for result in results)
        if failed:
            raise CommandError(f"{failed} of {len(results)} checks failed.")
        self.stdout.write(
            f"All {len(results)} checks passed"
            + (f", {warned} with a warning." if warned else ".")
        )

    def doctor(self, site_url: str | None) -> Doctor:
        try:
            doctor = Doctor(find_site(site_url))
            doctor.backend.base_url()
            doctor.backend.client_id()
        except SocialAuthBaseException as error:
            raise CommandError(
                f"{error.detail or error}. Run manage.py check for details."
            ) from error
        except ValueError as error:  # social-core's errors are ValueErrors too
            raise CommandError(str(error)) from error
        except NoReverseMatch as error:
            raise CommandError(
                f"social_django's URLs are not included ({error}): add "
                'path("", include("social_django.urls", namespace="social")).'
            ) from error
        return doctor

    def heading(self, doctor: Doctor) -> str:
        backend = doctor.backend
        site = doctor.site
        where = f"{site.url} (from {site.source})" if site else "unknown"
        return (
            f"Auth0 tenant {backend.base_url()}, client {backend.client_id()}; "
            f"this site: {where}"
        )

    def line(self, result: Result) -> str:
        style = {
            "OK": self.style.SUCCESS,
            "WARN": self.style.WARNING,
            "FAIL": self.style.ERROR,
        }[result.status]
        text = f"{style(f'{result.status:<4}')}  {result.check:<11}  {result.summary}"
        if result.fix and result.status != "OK":
            text += f"\n{'':<19}fix: {result.fix}"
        return text
