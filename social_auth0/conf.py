"""The settings home: every ``SOCIAL_AUTH_AUTH0_*`` default and validator, the
one lookup (through the request's strategy), and its memo.

A setting is read as social-core reads it (``SOCIAL_AUTH_<BACKEND>_<NAME>``,
then ``SOCIAL_AUTH_<NAME>``, then ``<NAME>``) through the strategy of the
request at hand, so a per-site ``SOCIAL_AUTH_STRATEGY`` answers on every path.
social_django's stock strategy reads ``django.conf.settings``, which changes
only with a ``setting_changed`` signal: its answers are memoized per
(strategy class, backend name, setting) until then. A strategy that overrides
``setting()`` or ``get_setting()`` may answer per request: it is asked every
time, or one site would get another's tenant.

Validators raise ``ValueError`` with the words that follow the setting's name
(``"must be an integer >= 1"``); the backend turns them into
``AuthConfigurationError`` and the system checks into check messages, so both
enforce one rule.

``check_app_installed`` (E090) is registered at import (by ``backend.py``
importing this module) rather than in ``AppConfig.ready()``: without the app
installed, ``ready()`` never runs. This module imports nothing of social_auth0.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.http import HttpRequest
    from social_core.strategy import BaseStrategy

T = TypeVar("T")

APP = "social_auth0"
BACKEND_PATH = "social_auth0.backend.Auth0OAuth2"
BACKEND_NAME = "auth0"  # Auth0OAuth2.name; a subclass may rename it
NOT_INSTALLED = (
    f"{BACKEND_PATH} is used but {APP!r} is not in INSTALLED_APPS: its URLs, "
    "templates, models and system checks are missing."
)
INSTALL_HINT = f"Add {APP!r} to INSTALLED_APPS (after 'social_django') and run migrate."

# Defaults -----------------------------------------------------------------------

LEEWAY = 60  # seconds; Auth0's clocks and ours drift
MAX_AGE: int | None = None  # seconds since sign-in at Auth0; None: no limit
# The shared cache: the JWKS, used logout-token jti, each login's state and
# the refresh lock. JWKS_CACHE is its former name, still honoured (W008).
SHARED_CACHE = "default"
DEPRECATED_SHARED_CACHE = "JWKS_CACHE"
JWKS_CACHE_TTL = 600  # a key removed from the JWKS stops working within this
JWKS_REFETCH_INTERVAL = 10  # at most one refetch per interval, deployment-wide
# Whole-seconds settings: the least value each accepts (0 would switch off
# the JWKS cache and its refetch rate limit), and the most that keeps it
# useful (beyond it a setting still works but weakens what a token proves:
# a leeway past Auth0's NTP-synchronised clocks; a removed key kept a day).
SECONDS_MINIMUMS: dict[str, int] = {
    "LEEWAY": 0,
    "MAX_AGE": 0,
    "JWKS_CACHE_TTL": 1,
    "JWKS_REFETCH_INTERVAL": 1,
}
SECONDS_MAXIMUMS: dict[str, int] = {"LEEWAY": 300, "JWKS_CACHE_TTL": 86400}
SECONDS_DEFAULTS: dict[str, int | None] = {
    "LEEWAY": LEEWAY,
    "MAX_AGE": MAX_AGE,
    "JWKS_CACHE_TTL": JWKS_CACHE_TTL,
    "JWKS_REFETCH_INTERVAL": JWKS_REFETCH_INTERVAL,
}
# MAX_AGE + LEEWAY must cover the time from signing in at Auth0 to our
# verification of the ID token: the redirect back, the code exchange, drift.
MIN_AUTHENTICATION_WINDOW = 30  # seconds
LOGOUT_ENDPOINT = "oidc"  # RP-initiated logout; "v2" for Auth0's /v2/logout
LOGOUT_ENDPOINTS = ("oidc", "v2")
ROLES_TOKEN = "id_token"  # noqa: S105 (where ROLES_CLAIM is read; a name)
ROLES_TOKENS = ("id_token", "access_token")
# The API applies the site's organization rules (ORGANIZATION,
# ALLOWED_ORGANIZATIONS, ORGANIZATION_REQUIRED) to access tokens' org_id.
API_ORGANIZATION_RULES = True
# DPoP (RFC 9449) at the site's API: "allowed" takes DPoP-bound tokens with
# a proof and bearer tokens; "required" only the former; "disabled" only the
# latter. API_DPOP_NONCE demands a server nonce in every proof.
API_DPOP = "allowed"
API_DPOP_MODES = ("allowed", "required", "disabled")
API_DPOP_NONCE = False
# RFC 9728 protected resource metadata, and its URL in every 401's challenge.
API_RESOURCE_METADATA = False
# Loopback hosts may be served over plain http (a local tenant emulator);
# anything else carries credentials and must be https.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# Validators ---------------------------------------------------------------------


def normalize_domain(domain: object) -> str:
    """Return the tenant's base URL (``https://host[:port]``, no trailing slash).

    Accepts ``tenant.eu.auth0.com``, ``https://tenant.eu.auth0.com`` and either
    with a trailing slash; ``http://`` only for loopback hosts. Raises
    ``ValueError`` saying what is wrong.
    """
    if not isinstance(domain, str) or not domain.strip():
        raise ValueError("is not set (expected e.g. 'tenant.eu.auth0.com')")
    return _normalize_domain(domain)


@functools.lru_cache(maxsize=32)
def _normalize_domain(domain: str) -> str:
    """The memoized body of ``normalize_domain`` (a non-empty string)."""
    value = domain.strip()
    if "://" not in value:
        value = f"https://{value}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError as error:
        raise ValueError(f"{domain!r} is not a host name") from error
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"{domain!r} must use https")
    if (
        not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"{domain!r} must be a bare host name, without a path")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{domain!r} must not carry credentials")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{domain!r} must use https (http is for loopback hosts only)")
    # One tenant, one issuer (Auth0's iss: a lower-case host, no default port),
    # however DOMAIN spells it: identities are matched on the issuer.
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


_DEFAULT_PORTS = {"https": 443, "http": 80}


def custom_domains(value: object) -> tuple[str, ...]:
    """``CUSTOM_DOMAINS``: the tenant's other domains as base URLs (None: none);
    each as ``DOMAIN`` is written, none twice."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError("must be a list of host names (e.g. ['login.acme.com'])")
    urls: list[str] = []
    for item in value:
        url = normalize_domain(item)
        if url in urls:
            raise ValueError(f"names {item!r} twice")
        urls.append(url)
    return tuple(urls)


def domain_resolver(value: object) -> Callable[[Any], object] | None:
    """``DOMAIN_RESOLVER``: the function a dotted path names (None: unset)."""
    if value is None or value == "":
        return None
    if callable(value):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a dotted path to a function of the request")
    try:
        found = _import_resolver(value)
    except ImportError as error:
        raise ValueError(f"{value!r} cannot be imported ({error})") from None
    if not callable(found):
        raise ValueError(f"{value!r} is not a function")
    return found


@functools.lru_cache(maxsize=8)
def _import_resolver(path: str) -> object:
    """The object ``path`` names (imported once per path)."""
    return import_string(path)


def seconds(name: str, value: object) -> int:
    """A whole number of seconds, at least ``SECONDS_MINIMUMS[name]``."""
    minimum = SECONDS_MINIMUMS[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"must be an integer >= {minimum}")
    return value


def credential(value: object) -> str:
    """A client id or secret: a non-empty string without surrounding spaces."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is not set")
    if value != value.strip():
        raise ValueError("has surrounding spaces")
    return value


# How the application authenticates at the tenant (CLIENT_AUTHENTICATION).
CLIENT_AUTHENTICATION_METHODS = ("client_secret_post", "private_key_jwt")
PUSHED_AUTHORIZATION_REQUESTS = False


def client_authentication(method: object, *, secret: object, key: object) -> str:
    """Which client authentication the settings choose: ``CLIENT_AUTHENTICATION``
    when set, else the one of ``SECRET`` and ``CLIENT_ASSERTION_KEY`` that is
    set; both set without saying which wins is refused (ValueError)."""
    if method not in (None, ""):
        if method not in CLIENT_AUTHENTICATION_METHODS:
            raise ValueError(
                "must be " + " or ".join(map(repr, CLIENT_AUTHENTICATION_METHODS))
            )
        return str(method)
    if secret and key:
        raise ValueError(
            "is not set while both SECRET and CLIENT_ASSERTION_KEY are: set it to "
            "'private_key_jwt' or 'client_secret_post' (or remove one of them)"
        )
    return "private_key_jwt" if key else "client_secret_post"


def logout_endpoint(value: object) -> str:
    """``"oidc"`` or ``"v2"``."""
    if value not in LOGOUT_ENDPOINTS:
        raise ValueError("must be " + " or ".join(map(repr, LOGOUT_ENDPOINTS)))
    return str(value)


def dpop_mode(value: object) -> str:
    """``API_DPOP``: ``"allowed"``, ``"required"`` or ``"disabled"`` (None: default)."""
    if value is None:
        return API_DPOP
    if value not in API_DPOP_MODES:
        raise ValueError("must be " + ", ".join(map(repr, API_DPOP_MODES)))
    return str(value)


def flag(value: object) -> bool:
    """``True`` or ``False`` (a truthy string is a typo, not a yes)."""
    if not isinstance(value, bool):
        raise ValueError("must be True or False")
    return value


def resource_identifier(value: object) -> str:
    """An RFC 9728 resource identifier (section 1.2): an https URL (http for a
    loopback host) without a fragment."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not an https URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{value!r} must use https (http is for loopback hosts only)")
    if parts.fragment or "#" in str(value):
        raise ValueError(f"{value!r} must not have a fragment")
    return str(value)


def scope_list(value: object) -> list[str]:
    """A list of scope names: non-empty strings without spaces."""
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) and item and " " not in item for item in value
    ):
        raise ValueError("must be a list of scope names (strings without spaces)")
    return list(value)


def api_scopes(value: object) -> dict[str, frozenset[str]]:
    """``APIS``: API identifier -> the scopes a site may ask tokens for
    (``get_access_token(request, audience=..., scope=...)``); None: none."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("must be a dict: API identifier -> list of scopes")
    apis: dict[str, frozenset[str]] = {}
    for audience, scopes in value.items():
        if not isinstance(audience, str) or not audience.strip():
            raise ValueError(f"has an empty API identifier: {audience!r}")
        if audience != audience.strip():
            raise ValueError(f"has an API identifier with spaces: {audience!r}")
        try:
            apis[audience] = frozenset(scope_list(scopes))
        except ValueError as error:
            raise ValueError(f"[{audience!r}] {error}") from None
    return apis


def shared_cache(read: Callable[[str, Any], Any]) -> str:
    """``SHARED_CACHE`` as ``read`` finds it, else the deprecated ``JWKS_CACHE``."""
    alias = read("SHARED_CACHE", None)
    if alias is None:
        alias = read("JWKS_CACHE", None)
    return SHARED_CACHE if alias is None else alias


# The tenant --------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """What a request's tenant is, resolved once and passed down (validated)."""

    base_url: str  # https://host[:port], from DOMAIN
    client_id: str  # KEY
    leeway: int  # LEEWAY
    shared_cache: str  # SHARED_CACHE (or the deprecated JWKS_CACHE)
    issuer: str = field(init=False)  # {base}/: Auth0's issuer ends with a slash

    def __post_init__(self) -> None:
        """Derive the issuer from the base URL."""
        object.__setattr__(self, "issuer", f"{self.base_url}/")


# The lookup -----------------------------------------------------------------------

# (strategy class, backend name, setting) -> resolved value. social-core's
# lookup builds three names and takes up to three failed getattr()s per read.
_memo: dict[tuple[type, str, str], Any] = {}
# (strategy class, backend name, what) -> a value derived from settings.
_resolved: dict[tuple[type, str, object], Any] = {}
_stock: dict[type, bool] = {}  # strategy class -> uses the stock lookup
_no_request_alias: list[str] = []  # shared_cache_alias() without a request
_MISSING = object()
_NOT_MEMOIZED = object()
_UNSET = object()


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    """Drop every memoized answer: a setting changed."""
    _memo.clear()
    _resolved.clear()
    _no_request_alias.clear()
    _default_issuers.clear()


def reads_django_settings(strategy_class: type) -> bool:
    """Whether ``strategy_class`` resolves settings exactly as DjangoStrategy."""
    safe = _stock.get(strategy_class)
    if safe is None:
        from social_django.strategy import DjangoStrategy

        safe = _stock[strategy_class] = (
            issubclass(strategy_class, DjangoStrategy)
            and strategy_class.setting is DjangoStrategy.setting
            and strategy_class.get_setting is DjangoStrategy.get_setting
        )
    return safe


class _Named:
    """What ``strategy.setting(..., backend=)`` needs of a backend: its name."""

    def __init__(self, name: str) -> None:
        self.name = name


def lookup(strategy: BaseStrategy[Any], backend: Any, name: str, default: Any) -> Any:
    """``name`` as ``strategy`` resolves it for ``backend``; memoized if stock."""
    # *_URL names are never memoized: the URLconf resolves them.
    key = (type(strategy), backend.name, name)
    value = _memo.get(key, _NOT_MEMOIZED)  # only the stock strategy's are kept
    if value is _NOT_MEMOIZED:
        if name.endswith("_URL") or not reads_django_settings(key[0]):
            return strategy.setting(name, default, backend=backend)
        value = _memo[key] = strategy.setting(name, _MISSING, backend=backend)
    return default if value is _MISSING else value


def resolved(
    strategy_class: type, backend_name: str, what: object, build: Callable[[], T]
) -> T:
    """``build()``, kept per (class, backend, ``what``) for a stock strategy."""
    key = (strategy_class, backend_name, what)
    value = _resolved.get(key, _NOT_MEMOIZED)  # only the stock strategy's are kept
    if value is _NOT_MEMOIZED:
        if not reads_django_settings(strategy_class):
            return build()
        value = _resolved[key] = build()
    return value  # type: ignore[no-any-return]


def strategy_class() -> type:
    """The class ``SOCIAL_AUTH_STRATEGY`` names, without building one."""
    utils = sys.modules.get("social_django.utils") or import_module(
        "social_django.utils"
    )
    return _strategy_class(utils.STRATEGY)


def strategy_for(request: HttpRequest | None) -> BaseStrategy[Any]:
    """social_django's strategy for ``request`` (``SOCIAL_AUTH_STRATEGY``)."""
    # A bare request without a session (a signal's, a test's) still tells a
    # per-site strategy its host.
    from social_django.utils import load_strategy

    if request is None or hasattr(request, "session"):
        return load_strategy(request)  # type: ignore[no-any-return,no-untyped-call]
    strategy = load_strategy(None)  # type: ignore[no-untyped-call]
    strategy.request = request
    return strategy  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=8)
def _strategy_class(path: str) -> type:
    """The class ``SOCIAL_AUTH_STRATEGY`` names (imported once per path)."""
    return import_string(path)  # type: ignore[no-any-return]


def setting(
    name: str,
    default: Any = None,
    *,
    request: HttpRequest | None = None,
    backend_name: str = BACKEND_NAME,
) -> Any:
    """``SOCIAL_AUTH_<BACKEND>_<name>`` through ``request``'s strategy, no backend."""
    value = _memo.get((strategy_class(), backend_name, name), _NOT_MEMOIZED)
    if value is not _NOT_MEMOIZED:  # only the stock strategy's are kept
        return default if value is _MISSING else value
    return lookup(strategy_for(request), _Named(backend_name), name, default)


def django_setting(
    name: str, default: Any = None, backend_name: str = BACKEND_NAME
) -> tuple[Any, str]:
    """(value, the setting's name where found or to set), as the checks read it."""
    from django.conf import settings
    from social_core.utils import setting_name

    preferred = setting_name(backend_name, name)
    for candidate in (preferred, setting_name(name), name):
        value = getattr(settings, candidate, _UNSET)
        if value is not _UNSET:
            return value, candidate
    return default, preferred


# Identities -------------------------------------------------------------------------

_default_issuers: dict[str, str | None] = {}  # backend name -> settings.py's issuer
UID_LENGTH = 255  # social_django's default uid length, and Auth0Token.sub's


def default_issuer(backend_name: str = BACKEND_NAME) -> str | None:
    """The issuer of the tenant ``settings.py`` names (its ``DOMAIN``, read as
    social-core reads it, whatever the strategy), or None without one."""
    if backend_name not in _default_issuers:
        domain, _ = django_setting("DOMAIN", backend_name=backend_name)
        try:
            _default_issuers[backend_name] = f"{normalize_domain(domain)}/"
        except ValueError:
            _default_issuers[backend_name] = None
    return _default_issuers[backend_name]


def identity_uid(issuer: str, sub: str, backend_name: str = BACKEND_NAME) -> str:
    """The ``uid`` standing for the identity (``issuer``, ``sub``).

    A ``sub`` is unique only within its tenant. The tenant ``settings.py``
    names keeps the bare ``sub`` (what social-core's backend and every row
    written before stored); any other tenant's identities (a per-site
    strategy's) are qualified with their issuer, ``https://host/`` + ``sub``,
    so another tenant's user with the same ``sub`` is another identity.
    """
    if not issuer:
        raise ValueError("an identity needs its issuer")
    if issuer == default_issuer(backend_name):
        return sub
    uid = f"{issuer}{sub}"
    if len(uid) <= _uid_length():
        return uid
    # A sub may have 255 characters (OIDC Core 5.1): qualified, it would not
    # fit the row. A digest stands for it (no Auth0 sub lacks its "|").
    return f"{issuer}sha256:{hashlib.sha256(sub.encode()).hexdigest()}"


def _uid_length() -> int:
    """The longest uid every row holding one takes: ``UserSocialAuth.uid``
    (``SOCIAL_AUTH_UID_LENGTH``) and ``Auth0Token.sub`` (255)."""
    from django.conf import settings

    return min(UID_LENGTH, int(getattr(settings, "SOCIAL_AUTH_UID_LENGTH", UID_LENGTH)))


def identity_issuer(uid: str, backend_name: str = BACKEND_NAME) -> str | None:
    """The issuer of the identity stored as ``uid`` (``identity_uid``'s
    inverse): a bare ``sub`` is the tenant ``settings.py`` names (None without
    one). A ``sub`` never starts with a URL (``connection|id``)."""
    scheme, separator, rest = uid.partition("://")
    if separator and scheme in ("http", "https") and "/" in rest:
        return f"{scheme}://{rest.partition('/')[0]}/"
    return default_issuer(backend_name)


def shared_cache_alias(request: HttpRequest | None = None) -> str:
    """The shared cache's alias for ``request``, without a backend at hand;
    without a request, kept until a setting changes (nothing can differ)."""
    if request is not None:
        return shared_cache(functools.partial(setting, request=request))
    if not _no_request_alias:
        _no_request_alias.append(shared_cache(setting))
    return _no_request_alias[0]


# The app is installed (E090) ----------------------------------------------------


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
