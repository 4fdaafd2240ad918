"""Django system checks of the backend's settings and the installation around it.

Misconfiguration is caught at startup, naming the setting. Settings are
resolved as the backend's ``self.setting()`` resolves them, under the name of
the backend AUTHENTICATION_BACKENDS lists (a subclass named ``auth0-eu`` reads
``SOCIAL_AUTH_AUTH0_EU_<NAME>``): ``SOCIAL_AUTH_<BACKEND>_<NAME>``, then
``SOCIAL_AUTH_<NAME>``, then ``<NAME>`` (``resolve_setting``, which the other
check modules use too). Defaults, bounds and validators are ``conf``'s, the
same the backend enforces at run time.

Nothing here registers itself: ``apps.py`` registers ``checks.ALL``, each
check run once per Auth0 backend listed (``per_backend``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeGuard

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from social_core.utils import setting_name

from .. import conf
from ..backend import Auth0OAuth2

BACKEND_PATH = "social_auth0.backend.Auth0OAuth2"
EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"
BACKCHANNEL_MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", DUMMY_CACHE)
_UNSET = object()
# The backend whose settings are being checked (per_backend sets it).
_checked: ContextVar[str | None] = ContextVar("social_auth0_checked", default=None)
Check = Callable[..., list[checks.CheckMessage]]


def backend_names() -> list[str]:
    """Names of the Auth0 backends AUTHENTICATION_BACKENDS lists (``auth0`` if none)."""
    names = [cls.name for _, cls in _listed_backends() if issubclass(cls, Auth0OAuth2)]
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


def _accepted(validate: Callable[[Any], object], value: object) -> bool:
    """Whether ``validate`` (one of conf's) accepts ``value``."""
    try:
        validate(value)
    except ValueError:
        return False
    return True


def resolve_setting(name: str, default: Any = None) -> tuple[Any, str]:
    """Return (value, the Django setting name it came from or should be set as)."""
    return conf.django_setting(name, default, checked_backend())


BARE_HOST_HINT = (
    "Give the bare host, e.g. 'tenant.eu.auth0.com' or 'https://tenant.eu.auth0.com/'."
)


def check_domain(**kwargs: Any) -> list[checks.CheckMessage]:
    """DOMAIN is set, is a bare host, and is https unless on loopback."""
    value, name = resolve_setting("DOMAIN")
    if value is None or (isinstance(value, str) and not value.strip()):
        return [
            checks.Error(
                f"{name} is not set.",
                hint="Set it to your tenant's domain, e.g. 'tenant.eu.auth0.com' "
                "(or a custom domain).",
                id="social_auth0.E001",
            )
        ]
    if not isinstance(value, str):
        return [
            checks.Error(
                f"{name} must be a string, not {value!r}.",
                hint=BARE_HOST_HINT,
                id="social_auth0.E002",
            )
        ]
    return _check_domain_value(value, name)


def _check_domain_value(value: str, name: str) -> list[checks.CheckMessage]:
    try:
        conf.normalize_domain(value)
    except ValueError as error:
        if _only_fault_is_http(value):
            hint = "Use https, or http only for a local emulator on "
            hint += "localhost/127.0.0.1/[::1]."
            return [checks.Error(f"{name} {error}.", hint=hint, id="social_auth0.E003")]
        return [
            checks.Error(
                f"{name} {error}.", hint=BARE_HOST_HINT, id="social_auth0.E002"
            )
        ]
    return []


def _only_fault_is_http(domain: str) -> bool:
    """An ``http://`` domain that would be fine as ``https://`` (E003, not E002)."""
    value = domain.strip()
    if value[:7].lower() != "http://":
        return False
    try:
        conf.normalize_domain(f"https://{value[7:]}")
    except ValueError:
        return False
    return True


def check_credentials(**kwargs: Any) -> list[checks.CheckMessage]:
    """KEY (client id) and SECRET (client secret) are non-empty strings."""
    errors: list[checks.CheckMessage] = []
    for setting, label, check_id in (
        ("KEY", "client id", "social_auth0.E004"),
        ("SECRET", "client secret", "social_auth0.E005"),
    ):
        value, name = resolve_setting(setting)
        if not _accepted(conf.credential, value):
            errors.append(
                checks.Error(
                    f"{name} (the application's {label}) is missing or malformed.",
                    hint=f"Copy the {label} from your Auth0 application's settings "
                    "page, without surrounding spaces.",
                    id=check_id,
                )
            )
    return errors


def check_pkce(**kwargs: Any) -> list[checks.CheckMessage]:
    """PKCE stays on, with S256."""
    allowed = Auth0OAuth2.PKCE_DEFAULT_CODE_CHALLENGE_METHOD
    use_pkce, use_name = resolve_setting("USE_PKCE", Auth0OAuth2.DEFAULT_USE_PKCE)
    method, method_name = resolve_setting("PKCE_CODE_CHALLENGE_METHOD", allowed)
    if not use_pkce:
        return [
            checks.Error(
                f"{use_name} switches PKCE off.",
                hint=f"Remove {use_name}: social_auth0 always uses PKCE ({allowed}).",
                id="social_auth0.E006",
            )
        ]
    if method != allowed:
        return [
            checks.Error(
                f"{method_name} is {method!r}; only {allowed!r} is allowed.",
                hint=f"Remove {method_name} ('plain' sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]
    return []


def check_numbers(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, MAX_AGE, JWKS_CACHE_TTL, JWKS_REFETCH_INTERVAL are whole seconds."""
    errors: list[checks.CheckMessage] = []
    for setting, minimum in conf.SECONDS_MINIMUMS.items():
        value, name = resolve_setting(setting)
        if value is not None and not _accepted(
            functools.partial(conf.seconds, setting), value
        ):
            kind = "a non-negative" if minimum == 0 else "a positive"
            errors.append(
                checks.Error(
                    f"{name} must be {kind} integer (seconds), not {value!r}.",
                    id="social_auth0.E010",
                )
            )
    return errors


def shared_cache_setting() -> tuple[Any, str]:
    """(alias, name) of ``SHARED_CACHE``, else of the deprecated ``JWKS_CACHE``."""
    alias, name = resolve_setting("SHARED_CACHE")
    if alias is None:
        old, old_name = resolve_setting("JWKS_CACHE")
        if old is not None:
            return old, old_name
    return (conf.SHARED_CACHE if alias is None else alias), name


def check_shared_cache(**kwargs: Any) -> list[checks.CheckMessage]:
    """SHARED_CACHE names a configured cache, preferably a shared one."""
    alias, name = shared_cache_setting()
    caches = getattr(settings, "CACHES", {"default": {}})
    if not isinstance(alias, str) or alias not in caches:
        return [
            checks.Error(
                f"{name} is {alias!r}, which is not in CACHES.",
                hint="Name a cache alias from CACHES (default: 'default').",
                id="social_auth0.E011",
            )
        ]
    backend = caches[alias].get(
        "BACKEND", "django.core.cache.backends.locmem.LocMemCache"
    )
    return _check_shared_cache_is_shared(alias, name, backend)


def check_deprecated_names(**kwargs: Any) -> list[checks.CheckMessage]:
    """``JWKS_CACHE`` is the former name of ``SHARED_CACHE``."""
    old, old_name = resolve_setting("JWKS_CACHE", _UNSET)
    if old is _UNSET:
        return []
    new_name = old_name.removesuffix("JWKS_CACHE") + "SHARED_CACHE"
    return [
        checks.Warning(
            f"{old_name} is deprecated; rename it {new_name}.",
            hint="It names the cache shared by the JWKS, used logout tokens, "
            "each login's state and the refresh lock; the old name is read "
            "only while SHARED_CACHE is unset.",
            id="social_auth0.W008",
        )
    ]


def _check_shared_cache_is_shared(
    alias: str, name: str, backend: str
) -> list[checks.CheckMessage]:
    if backend == DUMMY_CACHE:
        return [
            checks.Warning(
                f"The shared cache {alias!r} (DummyCache) keeps nothing.",
                hint="Nothing limits refetches of the tenant's keys (every "
                "token with an unknown key id fetches them), and a replayed "
                f"back-channel logout token is never recognised. Point {name} "
                "at a shared cache (Redis, Memcached, database).",
                id="social_auth0.W004",
            )
        ]
    if backend in PROCESS_LOCAL_CACHES:
        return [
            checks.Warning(
                f"The shared cache {alias!r} ({backend.rsplit('.', 1)[-1]}) is "
                "local to each process.",
                hint="Every worker process will fetch the tenant's keys itself, "
                "and a replayed back-channel logout token is only recognised by "
                f"the process that saw it first. Point {name} at a shared cache "
                "(Redis, Memcached, database).",
                id="social_auth0.W004",
            )
        ]
    return []


def _listed_backends() -> list[tuple[str, type]]:
    found = []
    for path in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django reports unimportable backends itself.
        if isinstance(backend, type):
            found.append((path, backend))
    return found


def check_backends(**kwargs: Any) -> list[checks.CheckMessage]:
    """Our backend (or a subclass, whatever its name) is listed, and no other
    backend has its name."""
    backends = _listed_backends()
    ours = {cls.name for _, cls in backends if issubclass(cls, Auth0OAuth2)}
    # social-core keeps one backend per name: one shadows the other. Without
    # ours, social-core's own "auth0" is what a site switching over still lists.
    for name in sorted(ours or {Auth0OAuth2.name}):
        others = [
            path
            for path, cls in backends
            if not issubclass(cls, Auth0OAuth2) and getattr(cls, "name", None) == name
        ]
        if others:
            return [_shadowed_backend_error(others, name)]
    if not ours:
        return [
            checks.Error(
                f"{BACKEND_PATH!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {BACKEND_PATH!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]
    return []


def _shadowed_backend_error(paths: list[str], name: str) -> checks.Error:
    return checks.Error(
        f"AUTHENTICATION_BACKENDS lists {', '.join(map(repr, paths))}, also named "
        f"{name!r}; one shadows the other.",
        hint=f"Replace it with {BACKEND_PATH!r}; existing users keep their accounts.",
        id="social_auth0.E008",
    )


def check_installed_apps(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """social_django provides storage and the /login/ and /complete/ routes."""
    from django.apps import apps

    if not apps.is_installed("social_django"):
        return [
            checks.Error(
                "'social_django' is not in INSTALLED_APPS.",
                hint="Add 'social_django' to INSTALLED_APPS and run migrate.",
                id="social_auth0.E009",
            )
        ]
    return []


def check_error_handling(**kwargs: Any) -> list[checks.CheckMessage]:
    """A rejected login should be a redirect with a message, never a 500."""
    warnings: list[checks.CheckMessage] = []
    if _middleware_index(EXCEPTION_MIDDLEWARE) is None:
        warnings.append(
            checks.Warning(
                f"{EXCEPTION_MIDDLEWARE!r} is not in MIDDLEWARE.",
                hint="Without it a rejected login is a server error; add it after "
                "MessageMiddleware.",
                id="social_auth0.W001",
            )
        )
    value, name = resolve_setting("LOGIN_ERROR_URL")
    if not value:
        warnings.append(
            checks.Warning(
                f"{name} is not set.",
                hint=f"Set {name} to a page that shows the login error message.",
                id="social_auth0.W002",
            )
        )
    raise_exceptions, raise_name = resolve_setting("RAISE_EXCEPTIONS", settings.DEBUG)
    if raise_exceptions:
        warnings.append(
            checks.Warning(
                f"{raise_name} is on (it defaults to DEBUG): rejected logins raise "
                "instead of redirecting with a message.",
                hint=f"Set {raise_name} = False.",
                id="social_auth0.W003",
            )
        )
    return warnings


def _middleware_index(class_path: str) -> int | None:
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


# LOGOUT_ENDPOINT values, in the words the E012 hint uses.
LOGOUT_ENDPOINT_LABELS = {
    "oidc": "OIDC RP-initiated logout",
    "v2": "Auth0's /v2/logout",
}


def check_logout(**kwargs: Any) -> list[checks.CheckMessage]:
    """LOGOUT_ENDPOINT is known; back-channel logout can reach every session."""
    messages = [*_check_logout_endpoint(), *_check_backchannel_middleware()]
    if _session_store_is_process_local():
        messages.append(
            checks.Warning(
                "SESSION_ENGINE keeps sessions in a per-process cache.",
                hint="Back-channel logout runs in one worker process and cannot "
                "delete sessions held by the others. Use the db, cached_db or "
                "file engine, or a shared SESSION_CACHE_ALIAS.",
                id="social_auth0.W006",
            )
        )
    return messages


def _check_logout_endpoint() -> list[checks.CheckMessage]:
    endpoint, name = resolve_setting("LOGOUT_ENDPOINT", conf.LOGOUT_ENDPOINT)
    if _accepted(conf.logout_endpoint, endpoint):
        return []
    uses = [
        f"{value!r} ({LOGOUT_ENDPOINT_LABELS[value]}"
        + (", the default)" if value == conf.LOGOUT_ENDPOINT else ")")
        for value in conf.LOGOUT_ENDPOINTS
    ]
    return [
        checks.Error(
            f"{name} is {endpoint!r}.",
            hint=f"Use {' or '.join(uses)}.",
            id="social_auth0.E012",
        )
    ]


def _check_backchannel_middleware() -> list[checks.CheckMessage]:
    index = _middleware_index(BACKCHANNEL_MIDDLEWARE)
    if index is None:
        return [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} is not in MIDDLEWARE.",
                hint="Without it, sessions that Auth0 ends by back-channel logout "
                "survive when they cannot be deleted server-side (signed cookies, "
                "or a session key changed since login). Add it after "
                "AuthenticationMiddleware.",
                id="social_auth0.W005",
            )
        ]
    return _check_backchannel_middleware_order(index)


def _check_backchannel_middleware_order(index: int) -> list[checks.CheckMessage]:
    sessions = _middleware_index(SESSION_MIDDLEWARE)
    if sessions is None or sessions > index:
        return [
            checks.Error(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {SESSION_MIDDLEWARE!r} before it "
                "in MIDDLEWARE.",
                hint="Without request.session it cannot end a session: every "
                "request would fail with ImproperlyConfigured. Put it after "
                "SessionMiddleware and AuthenticationMiddleware.",
                id="social_auth0.E016",
            )
        ]
    authentication = _middleware_index(AUTHENTICATION_MIDDLEWARE)
    if authentication is None or authentication > index:
        return [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {AUTHENTICATION_MIDDLEWARE!r} "
                "before it in MIDDLEWARE.",
                hint="It then logs out sessions before request.user is set, so "
                "user_logged_out receivers are not told who logged out. Move it "
                "after AuthenticationMiddleware.",
                id="social_auth0.W007",
            )
        ]
    return []


def _session_store_is_process_local() -> bool:
    # cached_db is fine: its database copy is authoritative.
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.cache":
        return False
    alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    return backend in PROCESS_LOCAL_CACHES


def check_tls_verification(**kwargs: Any) -> list[checks.CheckMessage]:
    """VERIFY_SSL stays on, unless the tenant is a loopback emulator over http."""
    value, name = resolve_setting("VERIFY_SSL", True)
    # None lets requests use its default (verify); a path names a CA bundle.
    if value is None or value:
        return []
    domain, _ = resolve_setting("DOMAIN")
    if _is_loopback_http(domain):
        return []  # no TLS to verify, and nobody between us and loopback
    return [
        checks.Error(
            f"{name} = {value!r} switches off TLS certificate verification.",
            hint="Anyone on the network path could then serve their own tokens "
            f"and keys. Remove {name}, or set it to the path of a CA bundle "
            "that signs the tenant's certificate.",
            id="social_auth0.E030",
        )
    ]


def _is_loopback_http(domain: object) -> bool:
    try:
        base = conf.normalize_domain(domain)
    except ValueError:
        return False  # check_domain reports it
    return base.startswith("http://")  # http is allowed on loopback only


def check_security_ranges(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, JWKS_CACHE_TTL and MAX_AGE within the range that keeps them useful."""
    leeway, leeway_name = resolve_setting("LEEWAY", conf.LEEWAY)
    return [
        *_check_leeway_range(leeway, leeway_name),
        *_check_jwks_cache_ttl_range(),
        *_check_authentication_window(leeway, leeway_name),
    ]


def _check_leeway_range(leeway: object, name: str) -> list[checks.CheckMessage]:
    most = conf.SECONDS_MAXIMUMS["LEEWAY"]
    if not _is_seconds(leeway) or leeway <= most:
        return []
    return [
        checks.Warning(
            f"{name} is {leeway} seconds: expired tokens stay accepted that long.",
            hint=f"Keep it between {conf.SECONDS_MINIMUMS['LEEWAY']} and "
            f"{most} seconds (default {conf.LEEWAY}); fix the server's "
            "clock instead (NTP).",
            id="social_auth0.W030",
        )
    ]


def _check_jwks_cache_ttl_range() -> list[checks.CheckMessage]:
    ttl, name = resolve_setting("JWKS_CACHE_TTL", conf.JWKS_CACHE_TTL)
    most = conf.SECONDS_MAXIMUMS["JWKS_CACHE_TTL"]
    if not _is_seconds(ttl) or ttl <= most:
        return []
    return [
        checks.Warning(
            f"{name} is {ttl} seconds: a signing key removed from the tenant "
            "keeps verifying tokens that long.",
            hint=f"Keep it between {conf.SECONDS_MINIMUMS['JWKS_CACHE_TTL']} "
            f"and {most} seconds (a day; default {conf.JWKS_CACHE_TTL}).",
            id="social_auth0.W031",
        )
    ]


def _check_authentication_window(
    leeway: object, leeway_name: str
) -> list[checks.CheckMessage]:
    max_age, name = resolve_setting("MAX_AGE", conf.MAX_AGE)
    window = conf.MIN_AUTHENTICATION_WINDOW
    if not (_is_seconds(max_age) and _is_seconds(leeway)):
        return []
    if max_age + leeway >= window:
        return []
    return [
        checks.Warning(
            f"{name} is {max_age} seconds with {leeway_name} {leeway}: a user who "
            "has just signed in is rejected, since the redirect back and the code "
            "exchange take longer.",
            hint=f"Make {name} + {leeway_name} at least {window} seconds "
            "(MAX_AGE = 0 forces a fresh sign-in only with the default LEEWAY).",
            id="social_auth0.W032",
        )
    ]


def _is_seconds(value: object) -> TypeGuard[int]:
    """A valid whole number of seconds (anything else is E010's to report)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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


# Registered by apps.py, in this order.
CHECKS = (
    check_domain,
    check_credentials,
    check_pkce,
    check_numbers,
    check_shared_cache,
    check_deprecated_names,
    check_backends,
    check_installed_apps,
    check_error_handling,
    check_logout,
    check_tls_verification,
    check_security_ranges,
    check_redirects,
)
