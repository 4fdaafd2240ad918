"""What the checks share: the Auth0 backends AUTHENTICATION_BACKENDS lists,
and settings resolved as the backend's ``self.setting()`` resolves them, under
the name of the backend being checked (a subclass named ``auth0-eu`` reads
``SOCIAL_AUTH_AUTH0_EU_<NAME>``): ``SOCIAL_AUTH_<BACKEND>_<NAME>``, then
``SOCIAL_AUTH_<NAME>``, then ``<NAME>`` (``resolve_setting``). Defaults, bounds
and validators are ``conf``'s, the same the backend enforces at run time.
``per_backend`` runs a check once per Auth0 backend listed. ``api_only``
tells a site that only protects its API (no Auth0 login) from one that logs in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeGuard

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .. import conf
from ..backend import Auth0OAuth2

BACKEND_PATH = "social_auth0.backend.Auth0OAuth2"


DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"


PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", DUMMY_CACHE)


UNSET = object()


# The backend whose settings are being checked (per_backend sets it).
_checked: ContextVar[str | None] = ContextVar("social_auth0_checked", default=None)


Check = Callable[..., list[checks.CheckMessage]]


def backend_names() -> list[str]:
    """Names of the Auth0 backends AUTHENTICATION_BACKENDS lists (``auth0`` if none)."""
    names = [cls.name for _, cls in listed_backends() if issubclass(cls, Auth0OAuth2)]
    return list(dict.fromkeys(names)) or [Auth0OAuth2.name]


def checked_backend() -> str:
    """The name of the backend whose settings are checked now."""
    return _checked.get() or backend_names()[0]


def per_backend(check: Check) -> Check:
    """``check``, run for each Auth0 backend listed; a message once."""

    @functools.wraps(check)
    def run(**kwargs: Any) -> list[checks.CheckMessage]:
        messages: list[checks.CheckMessage] = []
        for name in backend_names():
            token = _checked.set(name)
            try:
                found = check(**kwargs)
            finally:
                _checked.reset(token)
            messages.extend(message for message in found if message not in messages)
        return messages

    return run


def accepted(validate: Callable[[Any], object], value: object) -> bool:
    """Whether ``validate`` (one of conf's) accepts ``value``."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def resolve_setting(name: str, default: Any = None) -> tuple[Any, str]:
    """Return (value, the Django setting name it came from or should be set as)."""
    return conf.django_setting(name, default, checked_backend())


def shared_cache_setting() -> tuple[Any, str]:
    """(alias, name) of ``SHARED_CACHE``, else of the deprecated ``JWKS_CACHE``."""
    alias, name = resolve_setting("SHARED_CACHE")
    if alias is None:
        old, old_name = resolve_setting("JWKS_CACHE")
        if old is not None:
            return old, old_name
    return (conf.SHARED_CACHE if alias is None else alias), name


def listed_backends() -> list[tuple[str, type]]:
    found = []
    for path in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django reports unimportable backends itself.
        if isinstance(backend, type):
            found.append((path, backend))
    return found


# The views that start or complete an Auth0 login (social_django's, ours),
# by dotted name: a decorated view keeps its wrapped function's name.
LOGIN_VIEWS = frozenset(
    {
        "social_django.views.auth",
        "social_django.views.complete",
        "social_auth0.views.login",
        "social_auth0.views.begin",
    }
)


def routed_views() -> Iterator[Any]:
    """Every view the root URLconf routes (nothing if it cannot be loaded:
    Django's own URL checks report that)."""
    from django.urls import get_resolver

    try:
        patterns = get_resolver().url_patterns
    except Exception:  # noqa: BLE001
        return iter(())
    return _callbacks(patterns)


def _callbacks(patterns: Any) -> Iterator[Any]:
    for pattern in patterns:
        nested = getattr(pattern, "url_patterns", None)
        if nested is not None:
            yield from _callbacks(nested)
        else:
            yield pattern.callback


def _is_login_view(callback: Any) -> bool:
    name = f"{getattr(callback, '__module__', '')}.{getattr(callback, '__name__', '')}"
    return name in LOGIN_VIEWS


def api_only() -> bool:
    """Whether the site only protects its API, with no Auth0 login: it sets
    ``API_AUDIENCE``, lists no backend named for Auth0 (ours, a subclass,
    social-core's) and routes no login view. Checks of what only a login
    needs (client secret, backend, error page, logout middleware) stay quiet
    then; a site that logs in lists the backend or routes a login, and keeps
    them all."""
    audience, _ = resolve_setting("API_AUDIENCE")
    if audience is None or any(
        issubclass(cls, Auth0OAuth2) or getattr(cls, "name", None) == Auth0OAuth2.name
        for _, cls in listed_backends()
    ):
        return False
    return not any(_is_login_view(view) for view in routed_views())


def middleware_index(class_path: str) -> int | None:
    """Where ``class_path`` or a subclass of it is in MIDDLEWARE, if anywhere
    (as contrib.auth's ``_subclass_index``)."""
    cls = import_string(class_path)
    for index, path in enumerate(getattr(settings, "MIDDLEWARE", None) or []):
        try:
            candidate = import_string(path)
        except ImportError:
            continue  # Django reports an unimportable middleware itself.
        if isinstance(candidate, type) and issubclass(candidate, cls):
            return index
    return None


def is_seconds(value: object) -> TypeGuard[int]:
    """A valid whole number of seconds (anything else is E010's to report)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
