"""Checks of redirects: social-core's redirect sanitizing, and the hosts the
login and logout redirects may lead to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from social_core.utils import setting_name

from .lookup import checked_backend, resolve_setting


def check_redirects(**kwargs: Any) -> list[checks.CheckMessage]:
    """Redirects after login stay sanitized, to this site's own hosts."""
    warnings: list[checks.CheckMessage] = []
    sanitize, sanitize_name = resolve_setting("SANITIZE_REDIRECTS", True)
    if not sanitize:
        warnings.append(
            checks.Warning(
                f"{sanitize_name} is off: a login link can send the user "
                "anywhere after login (an open redirect).",
                hint=f"Remove {sanitize_name}; list other hosts of your own in "
                "SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS instead.",
                id="social_auth0.W033",
            )
        )
    for name in _names_of("ALLOWED_REDIRECT_HOSTS"):
        foreign = _hosts_outside_allowed_hosts(getattr(settings, name))
        if foreign:
            warnings.append(
                checks.Warning(
                    f"{name} names {', '.join(map(repr, foreign))}, not in "
                    "ALLOWED_HOSTS: logins can redirect to a site this project "
                    "does not serve.",
                    hint="List only hosts that ALLOWED_HOSTS also matches (hosts "
                    "of this site), or add them to ALLOWED_HOSTS if they are.",
                    id="social_auth0.W034",
                )
            )
    return warnings


def _names_of(name: str) -> list[str]:
    """Every form of ``name`` that is set (social_django reads more than one)."""
    names = dict.fromkeys(
        (setting_name(checked_backend(), name), setting_name(name), name)
    )
    return [candidate for candidate in names if hasattr(settings, candidate)]


def _hosts_outside_allowed_hosts(hosts: object) -> list[str]:
    from django.http.request import split_domain_port, validate_host

    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, list | tuple | set | frozenset):
        return []
    if isinstance(hosts, set | frozenset):
        hosts = sorted(hosts, key=str)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:  # what Django allows then
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return [
        str(host)
        for host in hosts
        if not isinstance(host, str)
        or not validate_host(split_domain_port(host)[0] or host, allowed)
    ]


CHECKS = (check_redirects,)
