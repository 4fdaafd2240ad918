"""Deployment checks (``manage.py check --deploy``): production settings that
break logins behind a proxy or on several workers, or point at the emulator.

``apps.py`` registers ``CHECKS`` with ``deploy=True``: like Django's own
``security.W0xx`` checks they run only under ``check --deploy``, where
``DEBUG = False`` stands for production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .. import conf
from .lookup import (
    PROCESS_LOCAL_CACHES,
    api_only,
    middleware_index,
    resolve_setting,
    shared_cache_setting,
)

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"


def check_emulator_domain(**kwargs: Any) -> list[checks.CheckMessage]:
    """An ``http://`` (loopback: the emulator) DOMAIN with DEBUG off."""
    domain, name = resolve_setting("DOMAIN")
    if settings.DEBUG or not _is_http(domain):
        return []
    return [
        checks.Error(
            f"{name} is {domain!r}, an http:// loopback tenant (the local "
            "emulator), while DEBUG is False.",
            hint="In production set it to your Auth0 tenant's domain, e.g. "
            "'tenant.eu.auth0.com' (https): the emulator signs tokens for "
            "anyone who can reach it.",
            id="social_auth0.E100",
        )
    ]


def _is_http(domain: object) -> bool:
    try:
        return conf.normalize_domain(domain).startswith("http://")
    except ValueError:
        return False  # social_auth0.E001-E003 report it


def check_callback_scheme(**kwargs: Any) -> list[checks.CheckMessage]:
    """Secure cookies (so https) but a callback URL that would be built with http."""
    secure = [
        name
        for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
        if getattr(settings, name, False)
    ]
    redirect_is_https, redirect_name = resolve_setting("REDIRECT_IS_HTTPS", False)
    if not secure or settings.SECURE_PROXY_SSL_HEADER or redirect_is_https:
        return []
    if api_only():  # no login: no callback URL to build
        return []
    if _redirects_to_https():
        return []
    return [
        checks.Warning(
            f"{' and '.join(secure)} {'is' if len(secure) == 1 else 'are'} on, so "
            "the site is served over https, but neither SECURE_PROXY_SSL_HEADER "
            f"nor {redirect_name} is set: behind a TLS-terminating proxy the "
            "callback URL (redirect_uri) is built with http://, and Auth0 refuses "
            "it as not an Allowed Callback URL.",
            hint="Behind a proxy set SECURE_PROXY_SSL_HEADER = "
            "('HTTP_X_FORWARDED_PROTO', 'https') (the proxy must set that header) "
            f"or {redirect_name} = True. If Django already sees https (it "
            "terminates TLS, or the server sets the scheme), set "
            "SECURE_SSL_REDIRECT = True, which also clears this warning.",
            id="social_auth0.W100",
        )
    ]


def _redirects_to_https() -> bool:
    """SECURE_SSL_REDIRECT with SecurityMiddleware: a request Django sees as
    http is only ever redirected, so a working site already sees https (TLS at
    Django, or a server such as gunicorn or uvicorn that sets the scheme from
    the proxy's header), and the callback URL is built with https."""
    return bool(settings.SECURE_SSL_REDIRECT) and (
        middleware_index(SECURITY_MIDDLEWARE) is not None
    )


def check_shared_cache_in_production(**kwargs: Any) -> list[checks.CheckMessage]:
    """A local-memory or dummy SHARED_CACHE with DEBUG off."""
    alias, name = shared_cache_setting()
    config = getattr(settings, "CACHES", {}).get(alias)
    if settings.DEBUG or not isinstance(config, dict):
        return []  # an alias naming no cache is social_auth0.E011's
    backend = config.get("BACKEND", LOCMEM)
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        checks.Error(
            f"The shared cache {alias!r} ({name}) is "
            f"{backend.rsplit('.', 1)[-1]} while DEBUG is False.",
            hint="With several worker processes each fetches the tenant's keys "
            "and limits refetches alone, a replayed back-channel logout token is "
            "recognised only by the process that saw it (never, with DummyCache), "
            "and a back-channel logout reaches the other processes only when they "
            "next ask the database. Point it at a cache every process shares: "
            "Redis (with socket timeouts), Memcached or the database cache.",
            id="social_auth0.E101",
        )
    ]


# Registered by apps.py with deploy=True.
CHECKS = (
    check_emulator_domain,
    check_callback_scheme,
    check_shared_cache_in_production,
)
