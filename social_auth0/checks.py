"""Django system checks: misconfiguration is caught at startup, naming the setting.

Settings are resolved as the backend's ``self.setting()`` resolves them:
``SOCIAL_AUTH_AUTH0_<NAME>``, then ``SOCIAL_AUTH_<NAME>``, then ``<NAME>``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string
from social_core.utils import setting_name

from .backend import Auth0OAuth2, normalize_domain

BACKEND_PATH = "social_auth0.backend.Auth0OAuth2"
EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"
DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", DUMMY_CACHE)
_UNSET = object()


def resolve_setting(name: str, default: Any = None) -> tuple[Any, str]:
    """Return (value, the Django setting name it came from or should be set as)."""
    preferred = setting_name(Auth0OAuth2.name, name)
    for candidate in (preferred, setting_name(name), name):
        value = getattr(settings, candidate, _UNSET)
        if value is not _UNSET:
            return value, candidate
    return default, preferred


@checks.register("social_auth0")
def check_domain(**kwargs: Any) -> list[checks.CheckMessage]:
    """DOMAIN is set, is a bare host, and is https unless on loopback."""
    value, name = resolve_setting("DOMAIN")
    bare_host_hint = (
        "Give the bare host, e.g. 'tenant.eu.auth0.com' or "
        "'https://tenant.eu.auth0.com/'."
    )
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
                hint=bare_host_hint,
                id="social_auth0.E002",
            )
        ]
    try:
        normalize_domain(value)
    except ValueError as error:
        insecure = _only_fault_is_http(value)
        return [
            checks.Error(
                f"{name} {error}.",
                hint="Use https, or http only for a local emulator on "
                "localhost/127.0.0.1/[::1]."
                if insecure
                else bare_host_hint,
                id="social_auth0.E003" if insecure else "social_auth0.E002",
            )
        ]
    return []


def _only_fault_is_http(domain: str) -> bool:
    """An ``http://`` domain that would be fine as ``https://`` (E003, not E002)."""
    value = domain.strip()
    if value[:7].lower() != "http://":
        return False
    try:
        normalize_domain(f"https://{value[7:]}")
    except ValueError:
        return False
    return True


@checks.register("social_auth0")
def check_credentials(**kwargs: Any) -> list[checks.CheckMessage]:
    """KEY (client id) and SECRET (client secret) are non-empty strings."""
    errors: list[checks.CheckMessage] = []
    for setting, label, check_id in (
        ("KEY", "client id", "social_auth0.E004"),
        ("SECRET", "client secret", "social_auth0.E005"),
    ):
        value, name = resolve_setting(setting)
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            errors.append(
                checks.Error(
                    f"{name} (the application's {label}) is missing or malformed.",
                    hint=f"Copy the {label} from your Auth0 application's settings "
                    "page, without surrounding spaces.",
                    id=check_id,
                )
            )
    return errors


@checks.register("social_auth0")
def check_pkce(**kwargs: Any) -> list[checks.CheckMessage]:
    """PKCE stays on, with S256."""
    use_pkce, use_name = resolve_setting("USE_PKCE", True)
    method, method_name = resolve_setting("PKCE_CODE_CHALLENGE_METHOD", "S256")
    if not use_pkce:
        return [
            checks.Error(
                f"{use_name} switches PKCE off.",
                hint=f"Remove {use_name}: social_auth0 always uses PKCE (S256).",
                id="social_auth0.E006",
            )
        ]
    if method != "S256":
        return [
            checks.Error(
                f"{method_name} is {method!r}; only 'S256' is allowed.",
                hint=f"Remove {method_name} ('plain' sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]
    return []


@checks.register("social_auth0")
def check_numbers(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, MAX_AGE, JWKS_CACHE_TTL, JWKS_REFETCH_INTERVAL are whole seconds."""
    errors: list[checks.CheckMessage] = []
    # 0 would switch off the JWKS cache and its refetch rate limit.
    for setting, minimum in (
        ("LEEWAY", 0),
        ("MAX_AGE", 0),
        ("JWKS_CACHE_TTL", 1),
        ("JWKS_REFETCH_INTERVAL", 1),
    ):
        value, name = resolve_setting(setting)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            kind = "a non-negative" if minimum == 0 else "a positive"
            errors.append(
                checks.Error(
                    f"{name} must be {kind} integer (seconds), not {value!r}.",
                    id="social_auth0.E010",
                )
            )
    return errors


@checks.register("social_auth0")
def check_jwks_cache(**kwargs: Any) -> list[checks.CheckMessage]:
    """JWKS_CACHE names a configured cache, preferably a shared one."""
    alias, name = resolve_setting("JWKS_CACHE", Auth0OAuth2.JWKS_CACHE)
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
    if backend == DUMMY_CACHE:
        return [
            checks.Warning(
                f"The JWKS cache {alias!r} (DummyCache) keeps nothing.",
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
                f"The JWKS cache {alias!r} ({backend.rsplit('.', 1)[-1]}) is "
                "local to each process.",
                hint="Every worker process will fetch the tenant's keys itself, "
                "and a replayed back-channel logout token is only recognised by "
                f"the process that saw it first. Point {name} at a shared cache "
                "(Redis, Memcached, database).",
                id="social_auth0.W004",
            )
        ]
    return []


def _auth0_backends() -> list[tuple[str, type]]:
    found = []
    for path in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django reports unimportable backends itself.
        if getattr(backend, "name", None) == Auth0OAuth2.name:
            found.append((path, backend))
    return found


@checks.register("social_auth0")
def check_backends(**kwargs: Any) -> list[checks.CheckMessage]:
    """Our backend is listed, and no other backend is named ``auth0``."""
    backends = _auth0_backends()
    ours = [path for path, cls in backends if issubclass(cls, Auth0OAuth2)]
    others = [path for path, cls in backends if not issubclass(cls, Auth0OAuth2)]
    if others:
        return [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {', '.join(others)}, also named "
                "'auth0'; one shadows the other.",
                hint=f"Replace it with {BACKEND_PATH!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]
    if not ours:
        return [
            checks.Error(
                f"{BACKEND_PATH!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {BACKEND_PATH!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]
    return []


@checks.register("social_auth0")
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


@checks.register("social_auth0")
def check_error_handling(**kwargs: Any) -> list[checks.CheckMessage]:
    """A rejected login should be a redirect with a message, never a 500."""
    warnings: list[checks.CheckMessage] = []
    middleware = getattr(settings, "MIDDLEWARE", None) or []
    if not any(_is_exception_middleware(path) for path in middleware):
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
                hint="Set SOCIAL_AUTH_LOGIN_ERROR_URL to a page that shows the "
                "login error message.",
                id="social_auth0.W002",
            )
        )
    raise_exceptions, raise_name = resolve_setting("RAISE_EXCEPTIONS", settings.DEBUG)
    if raise_exceptions:
        warnings.append(
            checks.Warning(
                f"{raise_name} is on (it defaults to DEBUG): rejected logins raise "
                "instead of redirecting with a message.",
                hint="Set SOCIAL_AUTH_RAISE_EXCEPTIONS = False.",
                id="social_auth0.W003",
            )
        )
    return warnings


def _is_exception_middleware(path: str) -> bool:
    if path == EXCEPTION_MIDDLEWARE:
        return True
    try:
        cls = import_string(path)
        base = import_string(EXCEPTION_MIDDLEWARE)
    except ImportError:
        return False
    return isinstance(cls, type) and issubclass(cls, base)


BACKCHANNEL_MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"


@checks.register("social_auth0")
def check_logout(**kwargs: Any) -> list[checks.CheckMessage]:
    """LOGOUT_ENDPOINT is known; back-channel logout can reach every session."""
    messages: list[checks.CheckMessage] = []
    endpoint, endpoint_name = resolve_setting("LOGOUT_ENDPOINT", "oidc")
    if endpoint not in ("oidc", "v2"):
        messages.append(
            checks.Error(
                f"{endpoint_name} is {endpoint!r}.",
                hint="Use 'oidc' (OIDC RP-initiated logout, the default) or 'v2' "
                "(Auth0's /v2/logout).",
                id="social_auth0.E012",
            )
        )
    middleware = getattr(settings, "MIDDLEWARE", None) or []
    if BACKCHANNEL_MIDDLEWARE not in middleware:
        messages.append(
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} is not in MIDDLEWARE.",
                hint="Without it, sessions that Auth0 ends by back-channel logout "
                "survive when they cannot be deleted server-side (signed cookies, "
                "or a session key changed since login). Add it after "
                "AuthenticationMiddleware.",
                id="social_auth0.W005",
            )
        )
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


def _session_store_is_process_local() -> bool:
    # cached_db is fine: its database copy is authoritative.
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.cache":
        return False
    alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    return backend in PROCESS_LOCAL_CACHES


@checks.register("social_auth0")
def check_pipeline_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """CLAIM_FIELDS name real user fields; role settings are well formed."""
    return [*_check_claim_fields(), *_check_roles()]


def _check_claim_fields() -> list[checks.CheckMessage]:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import FieldDoesNotExist

    mapping, name = resolve_setting("CLAIM_FIELDS")
    if mapping is None:
        return []
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()
    ):
        return [
            checks.Error(
                f"{name} must map user model field names to claim names.",
                hint='e.g. {"first_name": "given_name", '
                '"department": "https://example.com/department"}',
                id="social_auth0.E013",
            )
        ]
    model = get_user_model()
    errors: list[checks.CheckMessage] = []
    for field_name in mapping:
        try:
            model._meta.get_field(field_name)
        except FieldDoesNotExist:
            errors.append(
                checks.Error(
                    f"{name} maps to {field_name!r}, which "
                    f"{model._meta.label} does not have.",
                    hint="Use a field of your user model (AUTH_USER_MODEL).",
                    id="social_auth0.E013",
                )
            )
    return errors


def _check_roles() -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    roles_token, token_name = resolve_setting("ROLES_TOKEN", "id_token")
    audience, _ = resolve_setting("AUDIENCE")
    if roles_token not in ("id_token", "access_token"):
        errors.append(
            checks.Error(
                f"{token_name} is {roles_token!r}.",
                hint="Use 'id_token' (default) or 'access_token'.",
                id="social_auth0.E014",
            )
        )
    elif roles_token == "access_token" and not audience:  # noqa: S105 (a name)
        errors.append(
            checks.Error(
                f"{token_name} is 'access_token' but SOCIAL_AUTH_AUTH0_AUDIENCE is "
                "not set.",
                hint="Auth0 issues a JWT access token (with roles or permissions) "
                "only for an API audience: set SOCIAL_AUTH_AUTH0_AUDIENCE.",
                id="social_auth0.E014",
            )
        )
    for setting in ("STAFF_ROLES", "SUPERUSER_ROLES"):
        value, name = resolve_setting(setting)
        if value is not None and not _is_names(value):
            errors.append(
                checks.Error(
                    f"{name} must be a list of role names.",
                    id="social_auth0.E015",
                )
            )
    groups, groups_name = resolve_setting("GROUPS")
    if groups not in (None, "mirror") and not (
        isinstance(groups, dict)
        and all(isinstance(k, str) and _is_names(v) for k, v in groups.items())
    ):
        errors.append(
            checks.Error(
                f"{groups_name} must map role names to group names, or be 'mirror'.",
                hint='e.g. {"editor": ["Editors"], "admin": ["Editors", "Admins"]}',
                id="social_auth0.E015",
            )
        )
    return errors


def _is_names(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list | tuple | set | frozenset) and all(
        isinstance(item, str) and item for item in value
    )


@checks.register("social_auth0")
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
        base = normalize_domain(domain)
    except ValueError:
        return False  # check_domain reports it
    return base.startswith("http://")  # normalize_domain allows http on loopback only


# Beyond these, a setting still works but weakens what a token proves.
MAX_LEEWAY = 300  # seconds: Auth0's clocks are NTP-synchronised
MAX_JWKS_CACHE_TTL = 86400  # seconds: a key Auth0 revoked keeps working this long
# MAX_AGE + LEEWAY must cover the time from signing in at Auth0 to our
# verification of the ID token: the redirect back, the code exchange, clock drift.
MIN_AUTHENTICATION_WINDOW = 30  # seconds


@checks.register("social_auth0")
def check_security_ranges(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, JWKS_CACHE_TTL and MAX_AGE within the range that keeps them useful."""
    leeway, leeway_name = resolve_setting("LEEWAY", Auth0OAuth2.LEEWAY)
    ttl, ttl_name = resolve_setting("JWKS_CACHE_TTL", Auth0OAuth2.JWKS_CACHE_TTL)
    max_age, max_age_name = resolve_setting("MAX_AGE")
    warnings: list[checks.CheckMessage] = []
    if _is_seconds(leeway) and leeway > MAX_LEEWAY:
        warnings.append(
            checks.Warning(
                f"{leeway_name} is {leeway} seconds: expired tokens stay "
                "accepted that long.",
                hint=f"Keep it between 0 and {MAX_LEEWAY} seconds (default "
                f"{Auth0OAuth2.LEEWAY}); fix the server's clock instead (NTP).",
                id="social_auth0.W030",
            )
        )
    if _is_seconds(ttl) and ttl > MAX_JWKS_CACHE_TTL:
        warnings.append(
            checks.Warning(
                f"{ttl_name} is {ttl} seconds: a signing key removed from the "
                "tenant keeps verifying tokens that long.",
                hint=f"Keep it between 1 and {MAX_JWKS_CACHE_TTL} seconds (a day; "
                f"default {Auth0OAuth2.JWKS_CACHE_TTL}).",
                id="social_auth0.W031",
            )
        )
    if _is_seconds(max_age) and _is_seconds(leeway):
        if max_age + leeway < MIN_AUTHENTICATION_WINDOW:
            warnings.append(
                checks.Warning(
                    f"{max_age_name} is {max_age} seconds with {leeway_name} "
                    f"{leeway}: a user who has just signed in is rejected, since "
                    "the redirect back and the code exchange take longer.",
                    hint=f"Make {max_age_name} + {leeway_name} at least "
                    f"{MIN_AUTHENTICATION_WINDOW} seconds (MAX_AGE = 0 forces a "
                    "fresh sign-in only with the default LEEWAY).",
                    id="social_auth0.W032",
                )
            )
    return warnings


def _is_seconds(value: object) -> bool:
    """A valid whole number of seconds (anything else is E010's to report)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@checks.register("social_auth0")
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
        (setting_name(Auth0OAuth2.name, name), setting_name(name), name)
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
