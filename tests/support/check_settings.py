"""What the system-check tests share: settings changed for one test, a setting
removed outright, and the ids of a list of messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.signals import setting_changed
from django.test import override_settings

OUR_BACKEND = "social_auth0.backend.Auth0OAuth2"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
ABSENT = object()
# A site that only protects its API: an audience, no Auth0 backend, no login
# view routed (tests.support.api_urls routes API views only).
API_ONLY = {
    "SOCIAL_AUTH_AUTH0_API_AUDIENCE": "https://api.example.com/",
    "AUTHENTICATION_BACKENDS": [MODEL_BACKEND],
    "ROOT_URLCONF": "tests.support.api_urls",
}


@contextmanager
def configured(**values: object) -> Iterator[None]:
    """``override_settings``, where a value of ABSENT removes the setting."""
    with override_settings(**{k: v for k, v in values.items() if v is not ABSENT}):
        for name, value in values.items():
            if value is ABSENT and hasattr(settings, name):
                delattr(settings, name)
                # Deleting sends no signal: tell the backend's settings memo.
                setting_changed.send(
                    sender=type(settings._wrapped),
                    setting=name,
                    value=None,
                    enter=True,
                )
        yield


def ids(messages: list[object]) -> list[str]:
    """The ids of check messages, in order."""
    return [message.id for message in messages]  # type: ignore[attr-defined]


def without(names: list[str], unwanted: str) -> list[str]:
    """``names`` without those containing ``unwanted``."""
    return [name for name in names if unwanted not in name]
