"""Our backend listed in AUTHENTICATION_BACKENDS without ``"social_auth0"`` in
INSTALLED_APPS: an error at startup or at first use, never a site-wide
``NoReverseMatch`` with ``manage.py check`` silent.

``check_app_installed`` is the one check registered at import (by
``backend.py`` importing this module) rather than in ``AppConfig.ready()``:
without the app installed, ``ready()`` never runs. This module imports nothing
of social_auth0.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

APP = "social_auth0"
BACKEND_PATH = "social_auth0.backend.Auth0OAuth2"
NOT_INSTALLED = (
    f"{BACKEND_PATH} is used but {APP!r} is not in INSTALLED_APPS: its URLs, "
    "templates, models and system checks are missing."
)
INSTALL_HINT = f"Add {APP!r} to INSTALLED_APPS (after 'social_django') and run migrate."


def require_app_installed() -> None:
    """Raise ``ImproperlyConfigured`` naming INSTALLED_APPS once apps are
    loaded and social_auth0 is not among them (before that, the check does)."""
    if apps.ready and not apps.is_installed(APP):
        raise ImproperlyConfigured(f"{NOT_INSTALLED} {INSTALL_HINT}")


def check_app_installed(**kwargs: Any) -> list[checks.CheckMessage]:
    """The app is installed (this check exists as soon as the backend is imported)."""
    if apps.is_installed(APP):
        return []
    return [checks.Error(NOT_INSTALLED, hint=INSTALL_HINT, id="social_auth0.E090")]


checks.register(check_app_installed, APP)
