"""System checks for the tenant's custom domains (``CUSTOM_DOMAINS``,
``DOMAIN_RESOLVER``; ids social_auth0.E130-E139). ``apps.py`` registers
``CHECKS``."""

from __future__ import annotations

from typing import Any

from django.core import checks

from .. import conf
from .lookup import resolve_setting


def check_custom_domains(**kwargs: Any) -> list[checks.CheckMessage]:
    """CUSTOM_DOMAINS is a list of bare host names, none twice, not DOMAIN."""
    value, name = resolve_setting("CUSTOM_DOMAINS")
    try:
        urls = conf.custom_domains(value)
    except ValueError as error:
        duplicate = str(error).startswith("names ")
        return [
            checks.Error(
                f"{name} {error}.",
                hint="List each of the tenant's custom domains once, as "
                "DOMAIN is written, e.g. ['login.acme.com'].",
                id="social_auth0.E131" if duplicate else "social_auth0.E130",
            )
        ]
    domain, domain_name = resolve_setting("DOMAIN")
    try:
        primary = conf.normalize_domain(domain)
    except ValueError:
        return []  # E001-E003 say what is wrong with DOMAIN
    if primary not in urls:
        return []
    return [
        checks.Error(
            f"{name} names {domain_name} ({domain!r}) again.",
            hint=f"{domain_name} is the tenant's first domain already: list "
            "only the others.",
            id="social_auth0.E131",
        )
    ]


def check_domain_resolver(**kwargs: Any) -> list[checks.CheckMessage]:
    """DOMAIN_RESOLVER, when set, is an importable function."""
    value, name = resolve_setting("DOMAIN_RESOLVER")
    try:
        conf.domain_resolver(value)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}.",
                hint="Name a function taking the request and returning DOMAIN "
                "or one of CUSTOM_DOMAINS, e.g. 'myapp.auth.domain_for'.",
                id="social_auth0.E132",
            )
        ]
    return []


CHECKS = (check_custom_domains, check_domain_resolver)
