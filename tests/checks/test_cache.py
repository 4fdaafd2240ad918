"""social_auth0.W050: a Redis shared cache needs client timeouts."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from social_django.utils import load_backend, load_strategy

from social_auth0.checks import cache
from social_auth0.checks.cache import check_shared_cache_timeouts
from tests.support.check_settings import API_ONLY, LOCMEM, configured, ids

REDIS = "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, ["social_auth0.W050"]),
        ({"socket_connect_timeout": 1}, ["social_auth0.W050"]),
        ({"socket_connect_timeout": 1, "socket_timeout": 1}, []),
    ],
)
def test_redis_without_timeouts_is_reported(settings, options, expected):
    settings.CACHES = {
        "default": {"BACKEND": REDIS, "LOCATION": "redis://x", "OPTIONS": options}
    }
    messages = check_shared_cache_timeouts()
    assert ids(messages) == expected
    if messages:
        assert "socket_timeout" in messages[0].msg
        assert "SOCIAL_AUTH_AUTH0_SHARED_CACHE" in messages[0].msg


def test_the_shared_cache_alias_is_the_one_checked(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": REDIS, "LOCATION": "redis://x"},
    }
    assert ids(check_shared_cache_timeouts()) == []
    settings.SOCIAL_AUTH_AUTH0_SHARED_CACHE = "shared"
    assert ids(check_shared_cache_timeouts()) == ["social_auth0.W050"]


def test_other_backends_are_not_concerned(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert check_shared_cache_timeouts() == []


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


def test_an_api_only_site_is_told_of_the_keys_only():
    """It has no back-channel logout token to recognise: the hint says what
    the API loses."""
    with configured(**API_ONLY):
        assert cache.check_shared_cache() == [
            checks.Warning(
                "The shared cache 'default' (LocMemCache) is local to each process.",
                hint="Every worker process will fetch the tenant's keys itself. "
                "Point SOCIAL_AUTH_AUTH0_SHARED_CACHE at a shared cache (Redis, "
                "Memcached, database).",
                id="social_auth0.W004",
            )
        ]


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
