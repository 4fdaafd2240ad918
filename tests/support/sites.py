"""Several sites in one process, each on its own tenant: the usual multi-site
pattern, a per-site ``SOCIAL_AUTH_STRATEGY`` whose settings depend on the
request's host. A test fills ``SITES`` (host -> the settings that differ) and
points social-auth-app-django at ``STRATEGY``; it clears ``SITES`` after."""

from __future__ import annotations

from social_django.strategy import DjangoStrategy

SITES: dict[str, dict[str, object]] = {}


class SiteStrategy(DjangoStrategy):
    """Settings of the request's site first, then Django's."""

    def get_setting(self, name):
        site = SITES.get(self.request.get_host()) if self.request else None
        if site and name in site:
            return site[name]
        return super().get_setting(name)


STRATEGY = f"{SiteStrategy.__module__}.{SiteStrategy.__name__}"
