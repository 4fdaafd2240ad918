"""System checks: each misconfiguration gives exactly its message, naming the
setting; a good configuration gives none."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

from social_auth0 import checks as auth0_checks

OUR_BACKEND = "social_auth0.backend.Auth0OAuth2"
CORE_BACKEND = "social_core.backends.auth0.Auth0OAuth2"
# Checks only read the configuration: the location is never created.
SHARED_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "jwks_cache",
    }
}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


# DOMAIN ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com/",
        "login.example.com",
        "http://localhost:8001",
        "http://127.0.0.1:9",
        "http://[::1]:8000",
    ],
)
def test_accepts_domain(domain):
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert auth0_checks.check_domain() == []


def test_missing_domain():
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN=""):
        assert auth0_checks.check_domain() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_DOMAIN is not set.",
                hint="Set it to your tenant's domain, e.g. 'tenant.eu.auth0.com' "
                "(or a custom domain).",
                id="social_auth0.E001",
            )
        ]


@pytest.mark.parametrize(
    "domain",
    [
        "https://tenant.eu.auth0.com/login",
        "https://user:pw@tenant.eu.auth0.com",
        "ftp://tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com:99999999",
        42,
    ],
)
def test_malformed_domain(domain):
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert ids(auth0_checks.check_domain()) == ["social_auth0.E002"]


def test_rejects_http_domain_that_is_not_loopback():
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="http://tenant.eu.auth0.com"):
        assert auth0_checks.check_domain() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_DOMAIN 'http://tenant.eu.auth0.com' must use https "
                "(http is for loopback hosts only).",
                hint="Use https, or http only for a local emulator on "
                "localhost/127.0.0.1/[::1].",
                id="social_auth0.E003",
            )
        ]


def test_setting_found_under_social_core_fallback_name_is_named_as_found(settings):
    del settings.SOCIAL_AUTH_AUTH0_DOMAIN
    settings.SOCIAL_AUTH_DOMAIN = "tenant.eu.auth0.com/x"
    (error,) = auth0_checks.check_domain()
    assert error.msg.startswith("SOCIAL_AUTH_DOMAIN ")


def test_resolves_setting_names_like_the_backend(settings):
    del settings.SOCIAL_AUTH_AUTH0_KEY
    settings.SOCIAL_AUTH_KEY = "generic"
    assert auth0_checks.resolve_setting("KEY") == ("generic", "SOCIAL_AUTH_KEY")
    del settings.SOCIAL_AUTH_KEY
    assert auth0_checks.resolve_setting("KEY") == (None, "SOCIAL_AUTH_AUTH0_KEY")


# KEY / SECRET -----------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", " padded ", 123])
@pytest.mark.parametrize(
    ("setting", "label", "check_id"),
    [
        ("SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004"),
        ("SOCIAL_AUTH_AUTH0_SECRET", "client secret", "social_auth0.E005"),
    ],
)
def test_missing_or_malformed_credentials(setting, label, check_id, value):
    with override_settings(**{setting: value}):
        assert auth0_checks.check_credentials() == [
            checks.Error(
                f"{setting} (the application's {label}) is missing or malformed.",
                hint=f"Copy the {label} from your Auth0 application's settings "
                "page, without surrounding spaces.",
                id=check_id,
            )
        ]


def test_credentials_ok():
    assert auth0_checks.check_credentials() == []


# PKCE -----------------------------------------------------------------------------


def test_pkce_switched_off():
    with override_settings(SOCIAL_AUTH_AUTH0_USE_PKCE=False):
        assert auth0_checks.check_pkce() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_USE_PKCE switches PKCE off.",
                hint="Remove SOCIAL_AUTH_AUTH0_USE_PKCE: social_auth0 always uses "
                "PKCE (S256).",
                id="social_auth0.E006",
            )
        ]


def test_pkce_plain():
    with override_settings(SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD="plain"):
        assert auth0_checks.check_pkce() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD is 'plain'; only "
                "'S256' is allowed.",
                hint="Remove SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD ('plain' "
                "sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]


def test_pkce_default_ok():
    assert auth0_checks.check_pkce() == []


# Numbers and caches ------------------------------------------------------------


@pytest.mark.parametrize(
    "setting", ["LEEWAY", "MAX_AGE", "JWKS_CACHE_TTL", "JWKS_REFETCH_INTERVAL"]
)
@pytest.mark.parametrize("value", ["60", -1, 1.5, True])
def test_non_integer_seconds(setting, value):
    with override_settings(**{f"SOCIAL_AUTH_AUTH0_{setting}": value}):
        assert auth0_checks.check_numbers() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_{setting} must be a non-negative integer "
                f"(seconds), not {value!r}.",
                id="social_auth0.E010",
            )
        ]


def test_unknown_jwks_cache_alias():
    with override_settings(SOCIAL_AUTH_AUTH0_JWKS_CACHE="keys"):
        assert auth0_checks.check_jwks_cache() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_JWKS_CACHE is 'keys', which is not in CACHES.",
                hint="Name a cache alias from CACHES (default: 'default').",
                id="social_auth0.E011",
            )
        ]


def test_process_local_jwks_cache_warns():
    assert ids(auth0_checks.check_jwks_cache()) == ["social_auth0.W004"]


def test_shared_jwks_cache_is_quiet():
    with override_settings(CACHES=SHARED_CACHE):
        assert auth0_checks.check_jwks_cache() == []


# Backends and apps ----------------------------------------------------------------


def test_backend_missing():
    with override_settings(
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]
    ):
        assert auth0_checks.check_backends() == [
            checks.Error(
                f"{OUR_BACKEND!r} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add {OUR_BACKEND!r} to AUTHENTICATION_BACKENDS.",
                id="social_auth0.E007",
            )
        ]


@pytest.mark.parametrize("backends", [[CORE_BACKEND, OUR_BACKEND], [CORE_BACKEND]])
def test_builtin_auth0_backend_listed(backends):
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        assert auth0_checks.check_backends() == [
            checks.Error(
                f"AUTHENTICATION_BACKENDS lists {CORE_BACKEND}, also named 'auth0'; "
                "one shadows the other.",
                hint=f"Replace it with {OUR_BACKEND!r}; existing users keep their "
                "accounts.",
                id="social_auth0.E008",
            )
        ]


def test_backends_ok():
    assert auth0_checks.check_backends() == []


def test_social_django_not_installed(monkeypatch):
    from django.apps import apps

    monkeypatch.setattr(apps, "is_installed", lambda name: name != "social_django")
    assert auth0_checks.check_installed_apps() == [
        checks.Error(
            "'social_django' is not in INSTALLED_APPS.",
            hint="Add 'social_django' to INSTALLED_APPS and run migrate.",
            id="social_auth0.E009",
        )
    ]


# Error handling -------------------------------------------------------------------


def test_exception_middleware_missing(settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if "SocialAuthExceptionMiddleware" not in m
    ]
    assert ids(auth0_checks.check_error_handling()) == ["social_auth0.W001"]


def test_login_error_url_missing(settings):
    del settings.SOCIAL_AUTH_LOGIN_ERROR_URL
    assert auth0_checks.check_error_handling() == [
        checks.Warning(
            "SOCIAL_AUTH_AUTH0_LOGIN_ERROR_URL is not set.",
            hint="Set SOCIAL_AUTH_LOGIN_ERROR_URL to a page that shows the login "
            "error message.",
            id="social_auth0.W002",
        )
    ]


def test_raise_exceptions_on(settings):
    settings.SOCIAL_AUTH_RAISE_EXCEPTIONS = True
    assert ids(auth0_checks.check_error_handling()) == ["social_auth0.W003"]


def test_raise_exceptions_defaults_to_debug(settings):
    del settings.SOCIAL_AUTH_RAISE_EXCEPTIONS
    settings.DEBUG = True
    assert ids(auth0_checks.check_error_handling()) == ["social_auth0.W003"]


# Logout ------------------------------------------------------------------------------


def test_unknown_logout_endpoint(settings):
    settings.SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT = "v3"
    assert auth0_checks.check_logout() == [
        checks.Error(
            "SOCIAL_AUTH_AUTH0_LOGOUT_ENDPOINT is 'v3'.",
            hint="Use 'oidc' (OIDC RP-initiated logout, the default) or 'v2' "
            "(Auth0's /v2/logout).",
            id="social_auth0.E012",
        )
    ]


def test_backchannel_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Backchannel" not in m]
    assert ids(auth0_checks.check_logout()) == ["social_auth0.W005"]


def test_process_local_session_store(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    assert ids(auth0_checks.check_logout()) == ["social_auth0.W006"]


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_session_engines_reachable_from_any_process(settings, engine):
    settings.SESSION_ENGINE = engine
    assert auth0_checks.check_logout() == []


def test_test_settings_pass_the_check_command_apart_from_locmem(capsys):
    call_command("check")
    output = capsys.readouterr()
    assert "social_auth0.W004" in output.err + output.out
    assert "social_auth0.E0" not in output.err + output.out


@override_settings(CACHES=SHARED_CACHE)
def test_check_command_is_clean_with_a_shared_cache(capsys):
    call_command("check", "--fail-level", "WARNING")
