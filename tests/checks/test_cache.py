"""social_auth0.W050: a Redis shared cache needs client timeouts."""

from __future__ import annotations

import pytest

from social_auth0.checks.cache import check_shared_cache_timeouts

REDIS = "django.core.cache.backends.redis.RedisCache"


def ids(messages) -> list[str]:
    return [m.id for m in messages]


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
