"""Checks of redirects: social-core's redirect sanitizing, the hosts the
login and logout redirects may lead to, and URL settings naming a URL pattern
that does not reverse."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
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


# URL settings Django and social-core pass to resolve_url(): a value with no
# "/" and no "." is a URL pattern name, and one that does not reverse raises
# NoReverseMatch on the first request that needs it (a 500).
URL_SETTINGS = (
    "LOGIN_URL",
    "LOGIN_REDIRECT_URL",
    "LOGOUT_REDIRECT_URL",
    "LOGIN_ERROR_URL",
    "NEW_USER_REDIRECT_URL",
    "NEW_ASSOCIATION_REDIRECT_URL",
    "DISCONNECT_REDIRECT_URL",
    "INACTIVE_USER_URL",
)
# Namespaces of our URLconfs, and the line that installs each.
_INCLUDES = {
    "social_auth0": 'path("auth0/", include("social_auth0.urls"))',
    "social": 'path("", include("social_auth0.social_urls", namespace="social"))',
}


def check_url_names(**kwargs: Any) -> list[checks.CheckMessage]:
    """Every URL setting that names a URL pattern names one that reverses."""
    errors: list[checks.CheckMessage] = []
    seen: set[str] = set()
    for base in URL_SETTINGS:
        for name in _names_of(base):
            value = getattr(settings, name)
            if name in seen or not _fails_to_reverse(value):
                continue
            seen.add(name)
            shown = "a lazy URL" if isinstance(value, Promise) else repr(value)
            errors.append(
                checks.Error(
                    f"{name} = {shown} names a URL pattern that does not "
                    "reverse: every request redirected there fails with "
                    "NoReverseMatch (a 500).",
                    hint=_url_name_hint(value),
                    id="social_auth0.E035",
                )
            )
    return errors


def _fails_to_reverse(value: object) -> bool:
    """A pattern name that does not reverse; a lazy value (``reverse_lazy``)
    is evaluated as resolve_url() would."""
    if isinstance(value, Promise):
        try:
            str(value)
        except NoReverseMatch:
            return True
        return False
    return isinstance(value, str) and _names_a_pattern(value) and not _reverses(value)


def _names_a_pattern(value: object) -> bool:
    """What resolve_url() reverses and does not fall back on: a string with
    no "/" and no "."."""
    return isinstance(value, str) and bool(value) and not {"/", "."} & set(value)


def _reverses(value: str) -> bool:
    try:
        reverse(value)
    except NoReverseMatch:
        return False
    return True


def _url_name_hint(value: object) -> str:
    from django.urls import get_resolver

    named = isinstance(value, str) and ":" in value
    namespace = str(value).partition(":")[0] if named else ""
    if namespace in _INCLUDES and namespace not in get_resolver().namespace_dict:
        return f"Add {_INCLUDES[namespace]} to the ROOT_URLCONF's urlpatterns."
    return (
        "Name a URL pattern of the ROOT_URLCONF that takes no arguments "
        "(namespace:name), or give a path."
    )


CHECKS = (check_redirects, check_url_names)
