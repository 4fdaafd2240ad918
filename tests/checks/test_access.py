"""System checks of stored tokens and their refresh (E070-E079, W070-W079),
compared as whole messages."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.test import override_settings

from social_auth0.checks import access as access_checks

REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379",
}
SHARED = {"default": REDIS_CACHE}
STORING = {
    "SOCIAL_AUTH_AUTH0_STORE_TOKENS": True,
    "SOCIAL_AUTH_AUTH0_SCOPE": ["offline_access"],
    "CACHES": SHARED,
}

E070 = checks.Error(
    "SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS must be a non-empty list of Fernet keys.",
    hint="Generate one with cryptography.fernet.Fernet.generate_key(); the first "
    "key encrypts, every key decrypts. Or leave it unset to derive the key from "
    "SECRET_KEY (and SECRET_KEY_FALLBACKS).",
    id="social_auth0.E070",
)


def test_good_configuration_is_silent():
    with override_settings(**STORING):
        assert access_checks.check_stored_tokens() == []
        assert access_checks.check_refresh_lock() == []
    with override_settings(
        SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS=[Fernet.generate_key()]
    ):
        assert access_checks.check_token_keys() == []


@pytest.mark.parametrize("keys", [[], "a-key", ["not-a-fernet-key"], [b"x" * 44]])
def test_bad_encryption_keys(keys):
    with override_settings(SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS=keys):
        assert access_checks.check_token_keys() == [E070]


def test_store_tokens_without_offline_access():
    with override_settings(**{**STORING, "SOCIAL_AUTH_AUTH0_SCOPE": ["read:reports"]}):
        assert access_checks.check_stored_tokens() == [
            checks.Warning(
                "STORE_TOKENS is on but SOCIAL_AUTH_AUTH0_SCOPE does not ask for "
                "'offline_access'.",
                hint="Without a refresh token, get_access_token() raises "
                "ReauthenticationRequired as soon as the access token expires. Add "
                "'offline_access' and allow offline access on the API at Auth0.",
                id="social_auth0.W070",
            )
        ]


def test_refresh_lock_in_a_process_local_cache():
    with override_settings(**{**STORING, "CACHES": {"default": {}}}):
        assert access_checks.check_refresh_lock() == [
            checks.Warning(
                "The refresh lock cache 'default' (LocMemCache) is not shared "
                "between processes.",
                hint="Two processes refreshing one user's token at once send the "
                "same refresh token twice; with rotation, Auth0 then revokes the "
                "user's tokens. Point SOCIAL_AUTH_AUTH0_SHARED_CACHE at a shared cache "
                "(Redis, Memcached, database).",
                id="social_auth0.W071",
            )
        ]


def test_refresh_lock_cache_not_configured():
    with override_settings(**STORING, SOCIAL_AUTH_AUTH0_REFRESH_LOCK_CACHE="locks"):
        assert access_checks.check_refresh_lock() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_REFRESH_LOCK_CACHE is 'locks', which is not in "
                "CACHES.",
                hint="The refresh lock needs a cache alias from CACHES.",
                id="social_auth0.E071",
            )
        ]


@pytest.mark.parametrize("timeout", [0, "15", True])
def test_refresh_lock_timeout_not_a_positive_integer(timeout):
    with override_settings(**STORING, SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT=timeout):
        assert access_checks.check_refresh_lock() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT must be an integer >= 1 "
                "(seconds).",
                id="social_auth0.E072",
            )
        ]


def test_refresh_lock_shorter_than_a_request():
    with override_settings(
        **STORING,
        SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT=10,
        SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT=10,
    ):
        assert access_checks.check_refresh_lock() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_REFRESH_LOCK_TIMEOUT (10s) is not longer than "
                "REQUESTS_TIMEOUT (10s).",
                hint="A slow refresh would outlive its lock and a second caller "
                "would send the same refresh token again.",
                id="social_auth0.W072",
            )
        ]


def test_checks_are_registered():
    registered = {check.__name__ for check in checks.registry.registry.get_checks()}
    assert {
        "check_token_keys",
        "check_stored_tokens",
        "check_refresh_lock",
    } <= registered


# -- APIS -----------------------------------------------------------------------

BILLING = "https://billing.example.com/"
APIS_HINT = (
    'e.g. {"https://billing.example.com/": ["read:invoices"]}: each API '
    "identifier (its audience) and the scopes this site may ask tokens for with "
    "get_access_token(audience=..., scope=...)."
)


def test_good_apis_are_silent():
    with override_settings(
        SOCIAL_AUTH_AUTH0_AUDIENCE="https://api.example.com/",
        SOCIAL_AUTH_AUTH0_APIS={BILLING: ["read:invoices"], "https://x.example/": []},
    ):
        assert access_checks.check_apis() == []
    assert access_checks.check_apis() == []  # unset


@pytest.mark.parametrize(
    ("apis", "problem"),
    [
        ([BILLING], "must be a dict: API identifier -> list of scopes"),
        ({"": ["read"]}, "has an empty API identifier: ''"),
        ({3: ["read"]}, "has an empty API identifier: 3"),
        ({f" {BILLING}": []}, f"has an API identifier with spaces: ' {BILLING}'"),
        (
            {BILLING: "read:invoices"},
            f"['{BILLING}'] must be a list of scope names (strings without spaces)",
        ),
        (
            {BILLING: ["read:invoices write:invoices"]},
            f"['{BILLING}'] must be a list of scope names (strings without spaces)",
        ),
    ],
)
def test_malformed_apis(apis, problem):
    with override_settings(SOCIAL_AUTH_AUTH0_APIS=apis):
        assert access_checks.check_apis() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_APIS {problem}.",
                hint=APIS_HINT,
                id="social_auth0.E078",
            )
        ]


def test_apis_repeating_the_login_audience():
    with override_settings(
        SOCIAL_AUTH_AUTH0_AUDIENCE=BILLING,
        SOCIAL_AUTH_AUTH0_APIS={BILLING: ["read:invoices"]},
    ):
        assert access_checks.check_apis() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_APIS lists SOCIAL_AUTH_AUTH0_AUDIENCE "
                f"({BILLING!r}).",
                hint="The login's own API needs no entry: get_access_token() "
                "serves it without an audience. Remove it from the dict.",
                id="social_auth0.W078",
            )
        ]


def test_apis_with_identifiers_that_are_not_urls():
    with override_settings(SOCIAL_AUTH_AUTH0_APIS={"billing": [], BILLING: []}):
        assert access_checks.check_apis() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_APIS has API identifiers that are not URLs: "
                "billing.",
                hint="Auth0's API identifiers (Applications > APIs > Identifier) "
                "are usually URLs, and are compared character for character: "
                "check for a typo.",
                id="social_auth0.W079",
            )
        ]
