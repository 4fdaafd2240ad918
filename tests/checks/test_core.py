"""System checks: each misconfiguration gives exactly its message, naming the
setting as it was found; a good configuration gives none.

Messages are compared as whole ``checks.Error``/``checks.Warning`` objects
(msg, hint, id), as Django's tests/auth_tests/test_checks.py does.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.core.signals import setting_changed
from django.test import modify_settings, override_settings
from social_core.backends.auth0 import Auth0OAuth2 as CoreAuth0OAuth2
from social_core.exceptions import AuthConfigurationError
from social_django.middleware import SocialAuthExceptionMiddleware
from social_django.utils import load_backend, load_strategy

from social_auth0.backend import Auth0OAuth2
from social_auth0.checks import cache, installation, logout, lookup, redirects, tenant
from social_auth0.middleware import BackchannelLogoutMiddleware

OUR_BACKEND = "social_auth0.backend.Auth0OAuth2"
CORE_BACKEND = "social_core.backends.auth0.Auth0OAuth2"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
EXCEPTION_MIDDLEWARE = "social_django.middleware.SocialAuthExceptionMiddleware"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
# Checks only read the configuration: these locations are never created.
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "jwks_cache",
}
FILE_CACHE = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": "/nonexistent/jwks-cache",
}
REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379",
}

ABSENT = object()
NOT_BARE = "must be a bare host name, without a path"

DOMAIN_HINT_SET = (
    "Set it to your tenant's domain, e.g. 'tenant.eu.auth0.com' (or a custom domain)."
)
DOMAIN_HINT_BARE = (
    "Give the bare host, e.g. 'tenant.eu.auth0.com' or 'https://tenant.eu.auth0.com/'."
)
DOMAIN_HINT_HTTPS = (
    "Use https, or http only for a local emulator on localhost/127.0.0.1/[::1]."
)


@contextmanager
def configured(**values):
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


class SiteAuth0(Auth0OAuth2):
    """A site's own subclass of our backend."""


class RenamedAuth0(Auth0OAuth2):
    """A subclass under a name of its own (e.g. a second tenant)."""

    name = "auth0-eu"


class CoreAuth0EU(CoreAuth0OAuth2):
    """social-core's backend under the renamed subclass's name."""

    name = "auth0-eu"


class SiteBackchannelMiddleware(BackchannelLogoutMiddleware):
    """A site's own subclass of the back-channel logout middleware."""


class SiteSessionMiddleware(SessionMiddleware):
    """A site's own subclass of Django's session middleware."""


class SiteExceptionMiddleware(SocialAuthExceptionMiddleware):
    """A site's own subclass of social_django's exception middleware."""


def credentials_error(name: str, label: str, check_id: str) -> checks.Error:
    return checks.Error(
        f"{name} (the application's {label}) is missing or malformed.",
        hint=f"Copy the {label} from your Auth0 application's settings "
        "page, without surrounding spaces.",
        id=check_id,
    )


def locmem_warning(
    alias: str = "default", name: str = "SOCIAL_AUTH_AUTH0_SHARED_CACHE"
):
    return checks.Warning(
        f"The shared cache {alias!r} (LocMemCache) is local to each process.",
        hint="Every worker process will fetch the tenant's keys itself, and a "
        "replayed back-channel logout token is only recognised by the process "
        f"that saw it first. Point {name} at a shared cache (Redis, Memcached, "
        "database).",
        id="social_auth0.W004",
    )


MIDDLEWARE_WARNING = checks.Warning(
    f"{EXCEPTION_MIDDLEWARE!r} is not in MIDDLEWARE.",
    hint="Without it a rejected login is a server error; add it after "
    "MessageMiddleware.",
    id="social_auth0.W001",
)


def raise_exceptions_warning(name: str) -> checks.Warning:
    return checks.Warning(
        f"{name} is on (it defaults to DEBUG): rejected logins raise instead of "
        "redirecting with a message.",
        hint=f"Set {name} = False.",
        id="social_auth0.W003",
    )


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def without(names: list[str], unwanted: str) -> list[str]:
    return [name for name in names if unwanted not in name]


# DOMAIN (E001, E002, E003) ----------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "tenant.eu.auth0.com",
        "tenant.eu.auth0.com/",
        "https://tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com/",
        "login.example.com",
        "https://login.example.com:8443",
        "http://localhost:8001",
        "http://127.0.0.1:9",
        "http://[::1]:8000",
        " tenant.eu.auth0.com ",
    ],
)
def test_accepts_domain(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("domain", [ABSENT, None, "", "   "])
def test_rejects_missing_domain(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_DOMAIN is not set.",
                hint=DOMAIN_HINT_SET,
                id="social_auth0.E001",
            )
        ]


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("https://tenant.eu.auth0.com/login", NOT_BARE),
        ("tenant.eu.auth0.com/authorize", NOT_BARE),
        ("tenant.eu.auth0.com?x=1", NOT_BARE),
        ("https://user:pw@tenant.eu.auth0.com", "must not carry credentials"),
        ("ftp://tenant.eu.auth0.com", "must use https"),
        ("https://tenant.eu.auth0.com:99999999", "is not a host name"),
        ("tenant.eu.auth0.com:https", "is not a host name"),
        # http on loopback is allowed; these fail for another reason (E002).
        ("http://localhost:8001/callback", NOT_BARE),
        ("http://user:pw@localhost:8001", "must not carry credentials"),
    ],
)
def test_rejects_domain_that_is_not_a_bare_host(domain, problem):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN {domain!r} {problem}.",
                hint=DOMAIN_HINT_BARE,
                id="social_auth0.E002",
            )
        ]


@pytest.mark.parametrize("domain", [42, ["tenant.eu.auth0.com"]])
def test_rejects_domain_that_is_not_a_string(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN must be a string, not {domain!r}.",
                hint=DOMAIN_HINT_BARE,
                id="social_auth0.E002",
            )
        ]


@pytest.mark.parametrize(
    "domain",
    [
        "http://tenant.eu.auth0.com",
        "http://tenant.eu.auth0.com/",
        "HTTP://tenant.eu.auth0.com",
        "http://localhost.evil.example:8001",
        "http://10.0.0.1:8001",
    ],
)
def test_rejects_http_domain_that_is_not_loopback(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN {domain!r} must use https (http is for "
                "loopback hosts only).",
                hint=DOMAIN_HINT_HTTPS,
                id="social_auth0.E003",
            )
        ]


# Setting names: SOCIAL_AUTH_AUTH0_<NAME>, then SOCIAL_AUTH_<NAME>, then <NAME> ------


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_DOMAIN", "DOMAIN"])
def test_finds_domain_under_a_fallback_name(name):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=ABSENT, **{name: "tenant.eu.auth0.com"}):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_DOMAIN", "DOMAIN"])
def test_names_the_fallback_setting_a_bad_domain_came_from(name):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=ABSENT, **{name: "http://tenant.com"}):
        assert tenant.check_domain() == [
            checks.Error(
                f"{name} 'http://tenant.com' must use https (http is for loopback "
                "hosts only).",
                hint=DOMAIN_HINT_HTTPS,
                id="social_auth0.E003",
            )
        ]


def test_backend_specific_name_wins_over_the_fallbacks():
    with configured(SOCIAL_AUTH_DOMAIN="http://bad.example", DOMAIN="ftp://bad"):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_KEY", "KEY"])
def test_names_the_fallback_setting_a_bad_client_id_came_from(name):
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT, **{name: " padded"}):
        assert tenant.check_credentials() == [
            credentials_error(name, "client id", "social_auth0.E004")
        ]


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"SOCIAL_AUTH_AUTH0_DOMAIN": "a.example"}, "SOCIAL_AUTH_AUTH0_DOMAIN"),
        ({"SOCIAL_AUTH_DOMAIN": "b.example"}, "SOCIAL_AUTH_DOMAIN"),
        ({"DOMAIN": "c.example"}, "DOMAIN"),
        (
            {"SOCIAL_AUTH_DOMAIN": "b.example", "DOMAIN": "c.example"},
            "SOCIAL_AUTH_DOMAIN",
        ),
    ],
)
def test_resolves_setting_names_like_the_backend(present, expected):
    with configured(**{"SOCIAL_AUTH_AUTH0_DOMAIN": ABSENT, **present}):
        value, name = lookup.resolve_setting("DOMAIN")
        backend = load_backend(load_strategy(), "auth0", None)
        assert (value, name) == (present[expected], expected)
        assert backend.setting("DOMAIN") == value


def test_names_the_backend_specific_setting_when_nothing_is_set():
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT):
        assert lookup.resolve_setting("KEY") == (None, "SOCIAL_AUTH_AUTH0_KEY")


# KEY / SECRET (E004, E005) ----------------------------------------------------------


@pytest.mark.parametrize(
    "value", [ABSENT, None, "", "   ", " padded ", "padded\n", 123]
)
@pytest.mark.parametrize(
    ("setting", "label", "check_id"),
    [
        ("SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004"),
        ("SOCIAL_AUTH_AUTH0_SECRET", "client secret", "social_auth0.E005"),
    ],
)
def test_rejects_missing_empty_or_padded_credentials(setting, label, check_id, value):
    with configured(**{setting: value}):
        assert tenant.check_credentials() == [
            credentials_error(setting, label, check_id)
        ]


def test_reports_both_credentials_when_both_are_missing():
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT, SOCIAL_AUTH_AUTH0_SECRET=""):
        assert tenant.check_credentials() == [
            credentials_error(
                "SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004"
            ),
            credentials_error(
                "SOCIAL_AUTH_AUTH0_SECRET", "client secret", "social_auth0.E005"
            ),
        ]


def test_accepts_credentials():
    assert tenant.check_credentials() == []


# PKCE (E006) ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_AUTH0_USE_PKCE", "SOCIAL_AUTH_USE_PKCE"])
def test_rejects_pkce_switched_off(name):
    with configured(**{name: False}):
        assert tenant.check_pkce() == [
            checks.Error(
                f"{name} switches PKCE off.",
                hint=f"Remove {name}: social_auth0 always uses PKCE (S256).",
                id="social_auth0.E006",
            )
        ]


def test_rejects_plain_pkce():
    name = "SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD"
    with configured(**{name: "plain"}):
        assert tenant.check_pkce() == [
            checks.Error(
                f"{name} is 'plain'; only 'S256' is allowed.",
                hint=f"Remove {name} ('plain' sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]


def test_accepts_pkce_left_alone_or_set_to_s256():
    assert tenant.check_pkce() == []
    with configured(
        SOCIAL_AUTH_AUTH0_USE_PKCE=True,
        SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD="S256",
    ):
        assert tenant.check_pkce() == []


# Seconds (E010) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting", ["LEEWAY", "MAX_AGE", "JWKS_CACHE_TTL", "JWKS_REFETCH_INTERVAL"]
)
@pytest.mark.parametrize("value", ["60", -1, 1.5, True, [60]])
def test_rejects_seconds_that_are_not_a_non_negative_integer(setting, value):
    kind = "a positive" if setting.startswith("JWKS") else "a non-negative"
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": value}):
        assert tenant.check_numbers() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_{setting} must be {kind} integer "
                f"(seconds), not {value!r}.",
                id="social_auth0.E010",
            )
        ]


def test_names_the_fallback_setting_bad_seconds_came_from():
    with configured(LEEWAY="1m"):
        assert tenant.check_numbers() == [
            checks.Error(
                "LEEWAY must be a non-negative integer (seconds), not '1m'.",
                id="social_auth0.E010",
            )
        ]


def test_accepts_whole_seconds():
    assert tenant.check_numbers() == []
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=0,
        SOCIAL_AUTH_AUTH0_MAX_AGE=3600,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=600,
        SOCIAL_AUTH_AUTH0_JWKS_REFETCH_INTERVAL=10,
    ):
        assert tenant.check_numbers() == []


# The checks and the backend read one declaration of each rule ------------------------


def backend_refuses(read) -> bool:
    """Whether the backend, reading the current settings, refuses them."""
    backend = load_backend(load_strategy(), "auth0", None)
    try:
        read(backend)
    except AuthConfigurationError:
        return True
    return False


SECONDS_READERS = {
    "LEEWAY": lambda backend: backend.leeway(),
    "MAX_AGE": lambda backend: backend.max_age(),
    "JWKS_CACHE_TTL": lambda backend: backend.tenant_keys(),
    "JWKS_REFETCH_INTERVAL": lambda backend: backend.tenant_keys(),
}


@pytest.mark.parametrize("setting", sorted(Auth0OAuth2.SECONDS_MINIMUMS))
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_e010_and_the_backend_agree_on_the_least_seconds(setting, offset):
    assert set(SECONDS_READERS) == set(Auth0OAuth2.SECONDS_MINIMUMS)
    value = Auth0OAuth2.SECONDS_MINIMUMS[setting] + offset
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": value}):
        reported = "social_auth0.E010" in ids(tenant.check_numbers())
        assert reported == backend_refuses(SECONDS_READERS[setting]) == (offset < 0)


@pytest.mark.parametrize("endpoint", [*Auth0OAuth2.LOGOUT_ENDPOINTS, "v3", None])
def test_e012_and_the_backend_agree_on_logout_endpoints(endpoint):
    with configured(SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT=endpoint):
        reported = "social_auth0.E012" in ids(logout.check_logout())
        refused = backend_refuses(lambda backend: backend.logout_url("/"))
        assert reported == refused == (endpoint not in Auth0OAuth2.LOGOUT_ENDPOINTS)


@pytest.mark.parametrize("method", ["S256", "s256", "plain", None])
def test_e006_and_the_backend_agree_on_pkce_methods(method):
    with configured(SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD=method):
        reported = "social_auth0.E006" in ids(tenant.check_pkce())
        assert reported == backend_refuses(lambda backend: backend.check_pkce())
        assert reported == (method != "S256")


# The shared cache (E011, W004, W008) -----------------------------------------------


def test_rejects_jwks_cache_alias_not_in_caches():
    with configured(SOCIAL_AUTH_AUTH0_SHARED_CACHE="keys"):
        assert cache.check_shared_cache() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_SHARED_CACHE is 'keys', which is not in CACHES.",
                hint="Name a cache alias from CACHES (default: 'default').",
                id="social_auth0.E011",
            )
        ]


def test_warns_about_a_process_local_jwks_cache():
    # The test settings' CACHES: one LocMemCache.
    assert cache.check_shared_cache() == [locmem_warning()]


def test_warns_about_a_process_local_jwks_cache_named_by_alias():
    caches = {"default": DATABASE_CACHE, "keys": {"BACKEND": LOCMEM}}
    with configured(CACHES=caches, SOCIAL_AUTH_JWKS_CACHE="keys"):
        assert cache.check_shared_cache() == [
            locmem_warning("keys", "SOCIAL_AUTH_JWKS_CACHE")
        ]


def test_warns_about_a_jwks_cache_that_keeps_nothing():
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with configured(CACHES=dummy):
        assert cache.check_shared_cache() == [
            checks.Warning(
                "The shared cache 'default' (DummyCache) keeps nothing.",
                hint="Nothing limits refetches of the tenant's keys (every token "
                "with an unknown key id fetches them), and a replayed back-channel "
                "logout token is never recognised. Point "
                "SOCIAL_AUTH_AUTH0_SHARED_CACHE at a shared cache (Redis, "
                "Memcached, database).",
                id="social_auth0.W004",
            )
        ]


@pytest.mark.parametrize("shared", [DATABASE_CACHE, FILE_CACHE, REDIS_CACHE])
def test_accepts_a_shared_jwks_cache(shared):
    with configured(CACHES={"default": shared}):
        assert cache.check_shared_cache() == []


def test_accepts_a_shared_jwks_cache_beside_a_local_default():
    caches = {"default": {"BACKEND": LOCMEM}, "shared": DATABASE_CACHE}
    with configured(CACHES=caches, SOCIAL_AUTH_AUTH0_SHARED_CACHE="shared"):
        assert cache.check_shared_cache() == []


def test_the_former_name_jwks_cache_is_honoured_with_a_warning():
    caches = {"default": {"BACKEND": LOCMEM}, "shared": DATABASE_CACHE}
    with configured(CACHES=caches, SOCIAL_AUTH_AUTH0_JWKS_CACHE="shared"):
        assert cache.check_shared_cache() == []
        assert load_backend(load_strategy(), "auth0", None).shared_cache() == "shared"
        assert cache.check_deprecated_names() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_JWKS_CACHE is deprecated; rename it "
                "SOCIAL_AUTH_AUTH0_SHARED_CACHE.",
                hint="It names the cache shared by the JWKS, used logout tokens, "
                "each login's state and the refresh lock; the old name is read "
                "only while SHARED_CACHE is unset.",
                id="social_auth0.W008",
            )
        ]


def test_shared_cache_wins_over_its_former_name():
    caches = {"default": DATABASE_CACHE, "keys": {"BACKEND": LOCMEM}}
    with configured(
        CACHES=caches,
        SOCIAL_AUTH_AUTH0_SHARED_CACHE="default",
        SOCIAL_AUTH_AUTH0_JWKS_CACHE="keys",
    ):
        assert cache.check_shared_cache() == []
        assert load_backend(load_strategy(), "auth0", None).shared_cache() == "default"
        assert ids(cache.check_deprecated_names()) == ["social_auth0.W008"]


def test_no_warning_without_the_former_name():
    assert cache.check_deprecated_names() == []


# Backends (E007, E008) and apps (E009) ----------------------------------------------


def test_rejects_settings_without_our_backend():
    with configured(AUTHENTICATION_BACKENDS=[MODEL_BACKEND]):
        assert installation.check_backends() == [
            checks.Error(
                f"{OUR_BACKEND!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {OUR_BACKEND!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]


@pytest.mark.parametrize(
    "backends",
    [[CORE_BACKEND, OUR_BACKEND], [OUR_BACKEND, CORE_BACKEND], [CORE_BACKEND]],
)
def test_rejects_social_core_auth0_backend_listed(backends):
    with configured(AUTHENTICATION_BACKENDS=backends):
        assert installation.check_backends() == [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {CORE_BACKEND!r}, also named "
                "'auth0'; one shadows the other.",
                hint=f"Replace it with {OUR_BACKEND!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]


def test_accepts_our_backend_or_a_subclass():
    assert installation.check_backends() == []
    subclass = f"{__name__}.SiteAuth0"
    with configured(AUTHENTICATION_BACKENDS=[subclass, MODEL_BACKEND]):
        assert installation.check_backends() == []


def test_accepts_a_subclass_of_our_backend_under_another_name():
    renamed = f"{__name__}.RenamedAuth0"
    with configured(AUTHENTICATION_BACKENDS=[renamed, MODEL_BACKEND]):
        assert installation.check_backends() == []
    # social-core's backend keeps its own name then: nothing is shadowed.
    with configured(AUTHENTICATION_BACKENDS=[renamed, CORE_BACKEND]):
        assert installation.check_backends() == []


def test_a_renamed_subclass_has_its_own_settings_checked():
    """A backend named ``auth0-eu`` reads SOCIAL_AUTH_AUTH0_EU_*: those are checked."""
    renamed = f"{__name__}.RenamedAuth0"
    with configured(
        AUTHENTICATION_BACKENDS=[renamed, MODEL_BACKEND],
        SOCIAL_AUTH_AUTH0_EU_LEEWAY=-1,
    ):
        errors = checks.run_checks(tags=["social_auth0"])
    by_id = {message.id: message.msg for message in errors}
    assert by_id["social_auth0.E001"] == "SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."
    assert by_id["social_auth0.E004"].startswith("SOCIAL_AUTH_AUTH0_EU_KEY ")
    assert by_id["social_auth0.E010"].startswith("SOCIAL_AUTH_AUTH0_EU_LEEWAY ")


def test_each_listed_auth0_backend_is_checked_once():
    renamed = f"{__name__}.RenamedAuth0"
    with configured(AUTHENTICATION_BACKENDS=[OUR_BACKEND, renamed]):
        domains = [
            message.msg
            for message in checks.run_checks(tags=["social_auth0"])
            if message.id == "social_auth0.E001"
        ]
    # The test settings set SOCIAL_AUTH_AUTH0_DOMAIN; auth0-eu's is missing.
    assert domains == ["SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."]


def test_rejects_another_backend_under_the_name_of_a_renamed_subclass():
    renamed, other = f"{__name__}.RenamedAuth0", f"{__name__}.CoreAuth0EU"
    with configured(AUTHENTICATION_BACKENDS=[renamed, other]):
        assert installation.check_backends() == [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {other!r}, also named 'auth0-eu'; "
                "one shadows the other.",
                hint=f"Replace it with {OUR_BACKEND!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]


def test_ignores_an_unimportable_backend():
    # Django's own checks and login report it; ours must not crash on it.
    with configured(AUTHENTICATION_BACKENDS=["no.such.Backend", OUR_BACKEND]):
        assert installation.check_backends() == []


def test_rejects_settings_without_social_django():
    with modify_settings(INSTALLED_APPS={"remove": ["social_django"]}):
        assert installation.check_installed_apps() == [
            checks.Error(
                "'social_django' is not in INSTALLED_APPS.",
                hint="Add 'social_django' to INSTALLED_APPS and run migrate.",
                id="social_auth0.E009",
            )
        ]
    assert installation.check_installed_apps() == []


# Error handling (W001, W002, W003) --------------------------------------------------


def test_warns_without_exception_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "SocialAuthException")):
        assert installation.check_error_handling() == [MIDDLEWARE_WARNING]


def test_accepts_a_subclass_of_the_exception_middleware():
    middleware = [
        f"{__name__}.SiteExceptionMiddleware" if "SocialAuthException" in path else path
        for path in settings.MIDDLEWARE
    ]
    with configured(MIDDLEWARE=middleware):
        assert installation.check_error_handling() == []


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (ABSENT, "SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL"),
        (None, "SOCIAL_AUTH_LOGIN_ERROR_URL"),
        ("", "SOCIAL_AUTH_LOGIN_ERROR_URL"),
    ],
)
def test_warns_without_login_error_url(value, name):
    with configured(SOCIAL_AUTH_LOGIN_ERROR_URL=value):
        assert installation.check_error_handling() == [
            checks.Warning(
                f"{name} is not set.",
                hint=f"Set {name} to a page that shows the login error message.",
                id="social_auth0.W002",
            )
        ]


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL", "SOCIAL_AUTH_LOGIN_ERROR_URL"]
)
def test_accepts_login_error_url_under_either_name(name):
    with configured(**{"SOCIAL_AUTH_LOGIN_ERROR_URL": ABSENT, name: "/oops/"}):
        assert installation.check_error_handling() == []


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_RAISE_EXCEPTIONS", "SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS"]
)
def test_warns_when_raise_exceptions_is_on(name):
    with configured(**{"SOCIAL_AUTH_RAISE_EXCEPTIONS": ABSENT, name: True}):
        assert installation.check_error_handling() == [raise_exceptions_warning(name)]


def test_warns_when_raise_exceptions_is_left_to_debug_and_debug_is_on():
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=ABSENT, DEBUG=True):
        assert installation.check_error_handling() == [
            raise_exceptions_warning("SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS")
        ]


@pytest.mark.parametrize(
    "on", [{"DEBUG": True}, {"SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS": True}]
)
def test_following_the_raise_exceptions_hint_clears_w003(on):
    # social_django reads SOCIAL_AUTH_AUTH0_RAISE_EXCEPTIONS before the
    # global name: a hint naming the global one would leave this on.
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=ABSENT, **on):
        (warning,) = installation.check_error_handling()
        name = re.fullmatch(r"Set (\w+) = False\.", warning.hint)[1]
        with configured(**{name: False}):
            assert installation.check_error_handling() == []


def test_following_the_login_error_url_hint_clears_w002():
    with configured(SOCIAL_AUTH_LOGIN_ERROR_URL=ABSENT):
        (warning,) = installation.check_error_handling()
        name = re.match(r"Set (\w+) to a page", warning.hint)[1]
        assert warning.msg == f"{name} is not set."
        with configured(**{name: "/oops/"}):
            assert installation.check_error_handling() == []


def test_accepts_raise_exceptions_off_even_with_debug_on():
    # social_django's middleware reads the setting first, DEBUG only as default.
    with configured(SOCIAL_AUTH_RAISE_EXCEPTIONS=False, DEBUG=True):
        assert installation.check_error_handling() == []


def test_reports_every_error_handling_problem_at_once():
    with configured(
        MIDDLEWARE=without(settings.MIDDLEWARE, "SocialAuthException"),
        SOCIAL_AUTH_LOGIN_ERROR_URL=ABSENT,
        SOCIAL_AUTH_RAISE_EXCEPTIONS=True,
    ):
        assert ids(installation.check_error_handling()) == [
            "social_auth0.W001",
            "social_auth0.W002",
            "social_auth0.W003",
        ]


# Logout (E012, W005, W006) ----------------------------------------------------------


def test_rejects_unknown_logout_endpoint():
    with configured(SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT="v3"):
        assert logout.check_logout() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT is 'v3'.",
                hint="Use 'oidc' (OIDC RP-initiated logout, the default) or 'v2' "
                "(Auth0's /v2/logout).",
                id="social_auth0.E012",
            )
        ]


def test_warns_without_backchannel_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "Backchannel")):
        assert logout.check_logout() == [
            checks.Warning(
                "'social_auth0.middleware.BackchannelLogoutMiddleware' is not in "
                "MIDDLEWARE.",
                hint="Without it, sessions that Auth0 ends by back-channel logout "
                "survive when they cannot be deleted server-side (signed "
                "cookies, or a session key changed since login). Add it after "
                "AuthenticationMiddleware.",
                id="social_auth0.W005",
            )
        ]


BACKCHANNEL_MIDDLEWARE = "social_auth0.middleware.BackchannelLogoutMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def moved_to_front(path: str) -> list[str]:
    return [path, *(m for m in settings.MIDDLEWARE if m != path)]


def replaced(path: str, by: str) -> list[str]:
    return [by if m == path else m for m in settings.MIDDLEWARE]


SESSIONS_FIRST_ERROR = checks.Error(
    f"{BACKCHANNEL_MIDDLEWARE!r} needs {SESSION_MIDDLEWARE!r} before it in MIDDLEWARE.",
    hint="Without request.session it cannot end a session: every request would "
    "fail with ImproperlyConfigured. Put it after SessionMiddleware and "
    "AuthenticationMiddleware.",
    id="social_auth0.E016",
)


def test_accepts_a_subclass_of_the_backchannel_middleware():
    subclass = f"{__name__}.SiteBackchannelMiddleware"
    with configured(MIDDLEWARE=replaced(BACKCHANNEL_MIDDLEWARE, subclass)):
        assert logout.check_logout() == []


def test_accepts_a_subclass_of_the_session_middleware_before_it():
    subclass = f"{__name__}.SiteSessionMiddleware"
    with configured(MIDDLEWARE=replaced(SESSION_MIDDLEWARE, subclass)):
        assert logout.check_logout() == []


def test_rejects_backchannel_middleware_before_the_session_middleware():
    with configured(MIDDLEWARE=moved_to_front(BACKCHANNEL_MIDDLEWARE)):
        assert logout.check_logout() == [SESSIONS_FIRST_ERROR]


def test_rejects_backchannel_middleware_without_a_session_middleware():
    with configured(MIDDLEWARE=without(settings.MIDDLEWARE, "sessions")):
        assert logout.check_logout() == [SESSIONS_FIRST_ERROR]


@pytest.mark.parametrize(
    "middleware",
    [
        pytest.param(lambda: without(settings.MIDDLEWARE, "auth."), id="missing"),
        pytest.param(
            lambda: [
                SESSION_MIDDLEWARE,
                BACKCHANNEL_MIDDLEWARE,
                *without(settings.MIDDLEWARE, "sessions")[:-1],
            ],
            id="after",
        ),
    ],
)
def test_warns_about_backchannel_middleware_before_authentication(middleware):
    with configured(MIDDLEWARE=middleware()):
        assert logout.check_logout() == [
            checks.Warning(
                f"{BACKCHANNEL_MIDDLEWARE!r} needs {AUTH_MIDDLEWARE!r} before it "
                "in MIDDLEWARE.",
                hint="It then logs out sessions before request.user is set, so "
                "user_logged_out receivers are not told who logged out. Move it "
                "after AuthenticationMiddleware.",
                id="social_auth0.W007",
            )
        ]


def test_warns_about_a_process_local_session_store():
    with configured(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        assert logout.check_logout() == [
            checks.Warning(
                "SESSION_ENGINE keeps sessions in a per-process cache.",
                hint="Back-channel logout runs in one worker process and cannot "
                "delete sessions held by the others. Use the db, cached_db or "
                "file engine, or a shared SESSION_CACHE_ALIAS.",
                id="social_auth0.W006",
            )
        ]


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.file",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_accepts_session_engines_reachable_from_any_process(engine):
    with configured(SESSION_ENGINE=engine):
        assert logout.check_logout() == []


def test_accepts_a_cache_session_store_on_a_shared_cache():
    with configured(
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        CACHES={"default": REDIS_CACHE},
    ):
        assert logout.check_logout() == []


# The whole set, as manage.py check runs it ------------------------------------------
# From Django 6.1 on, ``manage.py check`` hands every database alias to the model
# checks, and JSONField's (social_django's extra_data) asks the database whether
# it supports JSON: the command opens the database, so these tests allow it.


def test_test_settings_give_only_the_locmem_warning():
    assert checks.run_checks(tags=["social_auth0"]) == [locmem_warning()]


@pytest.mark.django_db
def test_check_command_passes_on_the_test_settings_apart_from_w004():
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    report = out.getvalue() + err.getvalue()
    assert re.findall(r"\?: \(([\w.]+)\)", report) == ["social_auth0.W004"]
    assert "System check identified 1 issue (0 silenced)." in report


@pytest.mark.django_db
def test_check_command_fails_on_w004_at_warning_level():
    with pytest.raises(SystemCheckError, match=r"social_auth0\.W004"):
        call_command("check", fail_level="WARNING", stdout=StringIO())


@pytest.mark.django_db
def test_check_command_is_clean_with_a_shared_cache():
    out = StringIO()
    with configured(CACHES={"default": DATABASE_CACHE}):
        call_command("check", fail_level="WARNING", stdout=out, stderr=StringIO())
    assert "System check identified no issues (0 silenced)." in out.getvalue()


def test_unhashable_jwks_cache_alias_is_reported_not_raised(settings):
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = ["default"]
    assert [m.id for m in cache.check_shared_cache()] == ["social_auth0.E011"]


@pytest.mark.parametrize("setting", ["JWKS_CACHE_TTL", "JWKS_REFETCH_INTERVAL"])
def test_rejects_zero_which_would_switch_off_the_jwks_rate_limit(setting):
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": 0}):
        assert [m.id for m in tenant.check_numbers()] == ["social_auth0.E010"]


# TLS verification (E030) ------------------------------------------------------------


def tls_error(name: str, value) -> checks.Error:
    return checks.Error(
        f"{name} = {value!r} switches off TLS certificate verification.",
        hint="Anyone on the network path could then serve their own tokens and "
        f"keys. Remove {name}, or set it to the path of a CA bundle that signs "
        "the tenant's certificate.",
        id="social_auth0.E030",
    )


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_AUTH0_VERIFY_SSL", "SOCIAL_AUTH_VERIFY_SSL", "VERIFY_SSL"]
)
@pytest.mark.parametrize("value", [False, 0, ""])
def test_rejects_tls_verification_switched_off(name, value):
    with configured(**{name: value}):
        assert tenant.check_tls_verification() == [tls_error(name, value)]
        assert "social_auth0.E030" in ids(checks.run_checks(tags=["social_auth0"]))


@pytest.mark.parametrize(
    "domain", ["https://localhost:8443", "login.example.com", "http://evil.example"]
)
def test_rejects_tls_verification_off_for_any_tenant_but_loopback_http(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain, SOCIAL_AUTH_VERIFY_SSL=False):
        assert tenant.check_tls_verification() == [
            tls_error("SOCIAL_AUTH_VERIFY_SSL", False)
        ]


@pytest.mark.parametrize(
    "domain", ["http://127.0.0.1:8001", "http://localhost:9", "http://[::1]:8000"]
)
def test_accepts_tls_verification_off_for_a_loopback_emulator_over_http(domain):
    with configured(
        SOCIAL_AUTH_AUTH0_DOMAIN=domain, SOCIAL_AUTH_AUTH0_VERIFY_SSL=False
    ):
        assert tenant.check_tls_verification() == []


@pytest.mark.parametrize("value", [True, None, "/etc/ssl/certs/ca-certificates.crt"])
def test_accepts_tls_verification_on_or_with_a_ca_bundle(value):
    with configured(SOCIAL_AUTH_VERIFY_SSL=value):
        assert tenant.check_tls_verification() == []


def test_backend_specific_verify_ssl_wins_over_the_global_one():
    with configured(SOCIAL_AUTH_VERIFY_SSL=False, SOCIAL_AUTH_AUTH0_VERIFY_SSL=True):
        assert tenant.check_tls_verification() == []


# Ranges that keep a setting useful (W030-W032) --------------------------------------


def test_warns_about_a_leeway_of_more_than_five_minutes():
    with configured(SOCIAL_AUTH_AUTH0_LEEWAY=301):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_LEEWAY is 301 seconds: expired tokens stay "
                "accepted that long.",
                hint="Keep it between 0 and 300 seconds (default 60); fix the "
                "server's clock instead (NTP).",
                id="social_auth0.W030",
            )
        ]


def test_warns_about_a_jwks_cache_ttl_of_more_than_a_day():
    with configured(SOCIAL_AUTH_JWKS_CACHE_TTL=86401):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                "SOCIAL_AUTH_JWKS_CACHE_TTL is 86401 seconds: a signing key "
                "removed from the tenant keeps verifying tokens that long.",
                hint="Keep it between 1 and 86400 seconds (a day; default 600).",
                id="social_auth0.W031",
            )
        ]


@pytest.mark.parametrize(("max_age", "leeway"), [(0, 0), (29, 0), (0, 20), (10, 19)])
def test_warns_about_a_max_age_no_login_can_meet(max_age, leeway):
    with configured(SOCIAL_AUTH_AUTH0_MAX_AGE=max_age, SOCIAL_AUTH_AUTH0_LEEWAY=leeway):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                f"SOCIAL_AUTH_AUTH0_MAX_AGE is {max_age} seconds with "
                f"SOCIAL_AUTH_AUTH0_LEEWAY {leeway}: a user who has just signed in "
                "is rejected, since the redirect back and the code exchange take "
                "longer.",
                hint="Make SOCIAL_AUTH_AUTH0_MAX_AGE + SOCIAL_AUTH_AUTH0_LEEWAY at "
                "least 30 seconds (MAX_AGE = 0 forces a fresh sign-in only with the "
                "default LEEWAY).",
                id="social_auth0.W032",
            )
        ]


def test_max_age_zero_with_the_default_leeway_is_accepted():
    # max_age=0 is how a site forces a fresh sign-in: the default leeway covers it.
    with configured(SOCIAL_AUTH_AUTH0_MAX_AGE=0):
        assert tenant.check_security_ranges() == []


def test_accepts_settings_at_the_edges_of_their_ranges():
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=300,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=86400,
        SOCIAL_AUTH_AUTH0_MAX_AGE=0,
    ):
        assert tenant.check_security_ranges() == []
    with configured(SOCIAL_AUTH_AUTH0_LEEWAY=0, SOCIAL_AUTH_AUTH0_MAX_AGE=30):
        assert tenant.check_security_ranges() == []


@pytest.mark.parametrize("value", ["600", -5, True, None])
def test_range_checks_leave_malformed_seconds_to_e010(value):
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=value,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=value,
        SOCIAL_AUTH_AUTH0_MAX_AGE=value,
    ):
        assert tenant.check_security_ranges() == []


# Redirects (W033, W034) -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "SOCIAL_AUTH_AUTH0_SANITIZE_REDIRECTS",
        "SOCIAL_AUTH_SANITIZE_REDIRECTS",
        "SANITIZE_REDIRECTS",
    ],
)
def test_warns_when_redirects_are_not_sanitized(name):
    with configured(**{name: False}):
        assert redirects.check_redirects() == [
            checks.Warning(
                f"{name} is off: a login link can send the user anywhere after "
                "login (an open redirect).",
                hint=f"Remove {name}; list other hosts of your own in "
                "SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS instead.",
                id="social_auth0.W033",
            )
        ]


def foreign_hosts_warning(name: str, hosts: str) -> checks.Warning:
    return checks.Warning(
        f"{name} names {hosts}, not in ALLOWED_HOSTS: logins can redirect to a "
        "site this project does not serve.",
        hint="List only hosts that ALLOWED_HOSTS also matches (hosts of this "
        "site), or add them to ALLOWED_HOSTS if they are.",
        id="social_auth0.W034",
    )


@pytest.mark.parametrize(
    "name",
    ["SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS", "SOCIAL_AUTH_AUTH0_ALLOWED_REDIRECT_HOSTS"],
)
def test_warns_about_redirect_hosts_outside_allowed_hosts(name):
    with configured(
        ALLOWED_HOSTS=["testserver", ".example.com"],
        **{name: ["app.example.com", "evil.example", "testserver:8000", "x.test"]},
    ):
        assert redirects.check_redirects() == [
            foreign_hosts_warning(name, "'evil.example', 'x.test'")
        ]


def test_accepts_redirect_hosts_that_allowed_hosts_matches():
    with configured(
        ALLOWED_HOSTS=["testserver", ".example.com"],
        SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["example.com", "a.b.example.com:443"],
        SOCIAL_AUTH_AUTH0_ALLOWED_REDIRECT_HOSTS="testserver",
    ):
        assert redirects.check_redirects() == []
    with configured(ALLOWED_HOSTS=["*"], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["x.test"]):
        assert redirects.check_redirects() == []


def test_redirect_hosts_follow_djangos_debug_default_for_allowed_hosts():
    with configured(
        DEBUG=True, ALLOWED_HOSTS=[], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["localhost"]
    ):
        assert redirects.check_redirects() == []
    with configured(
        DEBUG=False, ALLOWED_HOSTS=[], SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS=["localhost"]
    ):
        assert redirects.check_redirects() == [
            foreign_hosts_warning("SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS", "'localhost'")
        ]
