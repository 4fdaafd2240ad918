"""System checks for stored tokens and their refresh (ids E070-E079, W070-W079)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks

from .. import conf
from ..user_tokens.refresh import REFRESH_LOCK_TIMEOUT
from ..user_tokens.store import KEYS_SETTING
from .lookup import PROCESS_LOCAL_CACHES, resolve_setting, shared_cache_setting


def check_token_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """TOKEN_ENCRYPTION_KEYS, when set, is a list of Fernet keys."""
    keys = getattr(settings, KEYS_SETTING, None)
    if keys is None:
        return []
    if not isinstance(keys, list | tuple) or not keys or not all(map(_is_key, keys)):
        return [
            checks.Error(
                f"{KEYS_SETTING} must be a non-empty list of Fernet keys.",
                hint="Generate one with cryptography.fernet.Fernet.generate_key(); "
                "the first key encrypts, every key decrypts. Or leave it unset to "
                "derive the key from SECRET_KEY (and SECRET_KEY_FALLBACKS).",
                id="social_auth0.E070",
            )
        ]
    return []


def _is_key(value: object) -> bool:
    try:
        Fernet(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def check_stored_tokens(**kwargs: Any) -> list[checks.CheckMessage]:
    """STORE_TOKENS asks for ``offline_access``, or tokens cannot be refreshed."""
    store, _ = resolve_setting("STORE_TOKENS", False)
    if not store:
        return []
    scope, scope_name = resolve_setting("SCOPE", [])
    if isinstance(scope, list | tuple) and "offline_access" in scope:
        return []
    return [
        checks.Warning(
            f"STORE_TOKENS is on but {scope_name} does not ask for 'offline_access'.",
            hint="Without a refresh token, get_access_token() raises "
            "ReauthenticationRequired as soon as the access token expires. Add "
            "'offline_access' and allow offline access on the API at Auth0.",
            id="social_auth0.W070",
        )
    ]


def check_refresh_lock(**kwargs: Any) -> list[checks.CheckMessage]:
    """The refresh lock lives in a configured, shared cache, and outlasts a request."""
    store, _ = resolve_setting("STORE_TOKENS", False)
    if not store:
        return []
    alias, name = resolve_setting("REFRESH_LOCK_CACHE", None)
    if alias is None:
        alias, name = shared_cache_setting()
    configured = getattr(settings, "CACHES", {"default": {}})
    if not isinstance(alias, str) or alias not in configured:
        return [
            checks.Error(
                f"{name} is {alias!r}, which is not in CACHES.",
                hint="The refresh lock needs a cache alias from CACHES.",
                id="social_auth0.E071",
            )
        ]
    messages: list[checks.CheckMessage] = []
    backend = configured[alias].get("BACKEND", PROCESS_LOCAL_CACHES[0])
    if backend in PROCESS_LOCAL_CACHES:
        messages.append(
            checks.Warning(
                f"The refresh lock cache {alias!r} ({backend.rsplit('.', 1)[-1]}) "
                "is not shared between processes.",
                hint="Two processes refreshing one user's token at once send the "
                "same refresh token twice; with rotation, Auth0 then revokes the "
                f"user's tokens. Point {name} at a shared cache (Redis, "
                "Memcached, database).",
                id="social_auth0.W071",
            )
        )
    messages.extend(_check_lock_timeout())
    return messages


def _check_lock_timeout() -> list[checks.CheckMessage]:
    timeout, name = resolve_setting("REFRESH_LOCK_TIMEOUT", REFRESH_LOCK_TIMEOUT)
    request_timeout, _ = resolve_setting("REQUESTS_TIMEOUT", None)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        return [
            checks.Error(
                f"{name} must be an integer >= 1 (seconds).",
                id="social_auth0.E072",
            )
        ]
    if isinstance(request_timeout, int | float) and timeout <= request_timeout:
        return [
            checks.Warning(
                f"{name} ({timeout}s) is not longer than REQUESTS_TIMEOUT "
                f"({request_timeout}s).",
                hint="A slow refresh would outlive its lock and a second caller "
                "would send the same refresh token again.",
                id="social_auth0.W072",
            )
        ]
    return []


def check_apis(**kwargs: Any) -> list[checks.CheckMessage]:
    """APIS maps API identifiers to lists of scopes; the login's own API is
    not among them; identifiers look like Auth0's (URLs)."""
    value, name = resolve_setting("APIS", None)
    try:
        apis = conf.api_scopes(value)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}.",
                hint='e.g. {"https://billing.example.com/": ["read:invoices"]}: '
                "each API identifier (its audience) and the scopes this site "
                "may ask tokens for with get_access_token(audience=..., scope=...).",
                id="social_auth0.E078",
            )
        ]
    audience, audience_name = resolve_setting("AUDIENCE", None)
    messages: list[checks.CheckMessage] = []
    if audience and audience in apis:
        messages.append(
            checks.Warning(
                f"{name} lists {audience_name} ({audience!r}).",
                hint="The login's own API needs no entry: get_access_token() "
                "serves it without an audience. Remove it from the dict.",
                id="social_auth0.W078",
            )
        )
    messages.extend(_non_url_apis(name, apis))
    return messages


def _non_url_apis(name: str, apis: dict[str, Any]) -> list[checks.CheckMessage]:
    odd = [api for api in apis if "://" not in api]
    if not odd:
        return []
    return [
        checks.Warning(
            f"{name} has API identifiers that are not URLs: {', '.join(odd)}.",
            hint="Auth0's API identifiers (Applications > APIs > Identifier) are "
            "usually URLs, and are compared character for character: check "
            "for a typo.",
            id="social_auth0.W079",
        )
    ]


CHECKS = (
    check_token_keys,
    check_stored_tokens,
    check_refresh_lock,
    check_apis,
)
