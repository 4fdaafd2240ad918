"""System checks, one module per subject, and the live tenant doctor.

``apps.py`` registers ``ALL``, ``DEPLOY`` and ``DATABASE``; importing a module
registers nothing (as ``django.contrib.auth``). A check id names the module
that raises it:

==================  ==========================================================
ids                 module
==================  ==========================================================
E001-E006, E010,    ``tenant.py``: domain, credentials, PKCE, whole-seconds
E030, W030-W032     settings and their security ranges, TLS verification
E007-E009,          ``installation.py``: AUTHENTICATION_BACKENDS,
W001-W003           INSTALLED_APPS, social_django's error handling
E012, E016,         ``logout.py``: the logout endpoint, the back-channel
W005-W007           middleware and its session store
W033-W034, E035     ``redirects.py``: redirect sanitizing, allowed hosts,
                    URL settings that name a URL pattern
E011, W004, W008,   ``cache.py``: the shared cache (shared, its deprecated
W050                name, Redis timeouts)
E013-E029, E040,    ``pipeline.py``: claim fields, roles, groups, linking steps
W020-W029, W040
E060-E069,          ``api.py``: the site's API (audiences, options, DRF)
W060-W069
E070-E079,          ``access.py``: stored tokens, their keys, the refresh lock
W070-W079
E080-E089,          ``login.py``: login parameters, organizations
W080-W089
E090                ``social_auth0.conf``: the app is installed (registered at
                    import: the backend can be imported before ``ready()``)
W090-W095           ``switching.py``: settings of the integration a site
                    switched from (W095: its organization logins)
E100-E109,          ``deploy.py``: production settings, registered with
W100-W109           ``deploy=True`` (``check --deploy``; ``DEPLOY``)
E120-E129,          ``resource_metadata.py``: the API's RFC 9728 metadata
W120-W129
E130-E139           ``domains.py``: the tenant's custom domains and their
                    resolver
E140-E149           ``client_auth.py``: private_key_jwt (the key, its
                    algorithm, secret or key), pushed authorization requests
E150-E159           ``dpop.py``: DPoP as a client (``DPOP``, its keys)
==================  ==========================================================

``lookup.py`` holds what the checks share (the listed backends, settings
resolved under each one's name, ``per_backend``). ``doctor.py`` is not a
system check: ``manage.py auth0check`` runs it against the live tenant.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.checks import CheckMessage

from . import (
    access,
    api,
    cache,
    client_auth,
    deploy,
    domains,
    dpop,
    installation,
    login,
    logout,
    pipeline,
    redirects,
    resource_metadata,
    switching,
    tenant,
)
from .lookup import per_backend

# Registered by apps.py, in this order; each runs once per Auth0 backend
# listed (a subclass named "auth0-eu" has its SOCIAL_AUTH_AUTH0_EU_* checked).
ALL: tuple[Callable[..., list[CheckMessage]], ...] = tuple(
    map(
        per_backend,
        (
            *tenant.CHECKS,
            *installation.CHECKS,
            *logout.CHECKS,
            *redirects.CHECKS,
            *pipeline.CHECKS,
            *cache.CHECKS,
            *api.CHECKS,
            *login.CHECKS,
            *(c for c in switching.CHECKS if c not in switching.DATABASE_CHECKS),
            *access.CHECKS,
            *resource_metadata.CHECKS,
            *domains.CHECKS,
            *client_auth.CHECKS,
            *dpop.CHECKS,
        ),
    )
)

# Registered by apps.py with deploy=True: they run under ``check --deploy``.
DEPLOY: tuple[Callable[..., list[CheckMessage]], ...] = tuple(
    map(per_backend, deploy.CHECKS)
)

# Registered by apps.py with Django's "database" tag only: run by ``migrate``
# and ``check --database ALIAS``, never by a plain ``check``.
DATABASE: tuple[Callable[..., list[CheckMessage]], ...] = tuple(
    map(per_backend, switching.DATABASE_CHECKS)
)

__all__ = ["ALL", "DATABASE", "DEPLOY"]
