"""The JWKS cache: shared document, per-process keys, rate-limited refetch."""

from __future__ import annotations

import threading

import pytest
import responses
from django.core.cache import cache
from django.test import override_settings
from social_core.exceptions import (
    AuthConfigurationError,
    AuthProviderError,
    AuthResponseError,
)
from social_django.utils import load_strategy

from social_auth0 import clock
from social_auth0.backend import Auth0OAuth2
from social_auth0.jwt import keys as jwks
from tests.support.tokens import Signer

JWKS_URL = "https://tenant.eu.auth0.com/.well-known/jwks.json"


@pytest.fixture
def backend():
    return Auth0OAuth2(load_strategy(), redirect_uri="/complete/auth0/")


@pytest.fixture
def tenant_jwks(signer):
    """Serve a JWKS over `responses`; tests may change ``document['keys']``."""
    document = {"keys": [signer.jwk]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.GET,
            JWKS_URL,
            callback=lambda request: (200, {}, __import__("json").dumps(document)),
        )
        yield document, mock


def fetches(mock) -> int:
    return sum(1 for call in mock.calls if call.request.url == JWKS_URL)


def keys_for(backend, kid):
    return list(backend.tenant_keys().lookup(kid))


def test_fetches_once_then_serves_from_process_memory(backend, tenant_jwks, signer):
    _document, mock = tenant_jwks
    for _ in range(5):
        assert [k.to_dict()["n"] for k in keys_for(backend, "key-1")] == [
            signer.jwk["n"]
        ]
    assert fetches(mock) == 1


def test_another_process_uses_the_shared_cache(backend, tenant_jwks):
    _document, mock = tenant_jwks
    keys_for(backend, "key-1")
    jwks.forget_keys()  # what a fresh worker process sees
    assert keys_for(backend, "key-1")
    assert fetches(mock) == 1


def test_unknown_kid_refetches_once_and_finds_rotated_key(
    backend, tenant_jwks, other_signer
):
    document, mock = tenant_jwks
    keys_for(backend, "key-1")
    document["keys"].append(other_signer.jwk)  # Auth0 rotates
    assert keys_for(backend, "key-2")
    assert fetches(mock) == 2


def test_flood_of_unknown_kids_refetches_at_most_once_per_interval(
    backend, tenant_jwks
):
    _document, mock = tenant_jwks
    keys_for(backend, "key-1")
    for number in range(50):
        assert keys_for(backend, f"forged-{number}") == []
    assert fetches(mock) == 2


def test_refetch_allowed_again_after_the_interval(backend, tenant_jwks):
    _document, mock = tenant_jwks
    keys_for(backend, "key-1")
    keys_for(backend, "forged-1")
    cache.delete(backend.tenant_keys().stamp_key)  # the interval has passed
    keys_for(backend, "forged-2")
    assert fetches(mock) == 3


def test_token_without_kid_refetches_only_when_no_key_verifies(
    backend, tenant_jwks, signer
):
    _document, mock = tenant_jwks
    lookup = backend.tenant_keys().lookup(None)
    assert next(lookup).to_dict()["n"] == signer.jwk["n"]
    assert fetches(mock) == 1
    assert list(lookup)  # the caller asked for more: one refetch
    assert fetches(mock) == 2


def test_expired_keys_are_fetched_again(backend, tenant_jwks, monkeypatch):
    _document, mock = tenant_jwks
    keys_for(backend, "key-1")
    later = clock.current_time() + Auth0OAuth2.JWKS_CACHE_TTL + 1
    monkeypatch.setattr(clock, "current_time", lambda: later)
    cache.clear()  # the shared entry expired too
    keys_for(backend, "key-1")
    assert fetches(mock) == 2


@override_settings(SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=5)
def test_cache_ttl_is_configurable(backend):
    assert backend.tenant_keys().ttl == 5


@responses.activate
def test_down_jwks_endpoint_is_a_provider_error_and_is_not_hammered(backend):
    responses.get(JWKS_URL, status=503)
    with pytest.raises(AuthProviderError) as info:
        keys_for(backend, "key-1")
    assert info.value.code == "unavailable"
    assert info.value.stage == "token_validation"
    with pytest.raises(AuthProviderError):
        keys_for(backend, "key-1")
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b'{"no": "keys"}', b'{"keys": "nope"}', b"[]"],
)
@responses.activate
def test_garbage_jwks_is_a_response_error_and_is_not_cached(backend, body):
    responses.get(JWKS_URL, body=body)
    with pytest.raises(AuthResponseError) as info:
        keys_for(backend, "key-1")
    assert info.value.code == "malformed_response"
    assert cache.get(backend.tenant_keys().document_key) is None


@responses.activate
def test_skips_keys_that_are_not_rs256_signing_keys(backend, signer):
    unusable = [
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        {**signer.jwk, "kid": "enc", "use": "enc"},
        {**signer.jwk, "kid": "rs512", "alg": "RS512"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        "not a key",
    ]
    responses.get(JWKS_URL, json={"keys": [*unusable, signer.jwk]})
    keyset = backend.tenant_keys().current()
    assert list(keyset.by_kid) == ["key-1"]


@responses.activate
def test_jwks_without_any_usable_key_is_refused(backend):
    responses.get(JWKS_URL, json={"keys": [{"kty": "EC", "kid": "ec"}]})
    with pytest.raises(AuthResponseError) as info:
        keys_for(backend, "ec")
    assert info.value.code == "malformed_response"


def test_first_fetch_is_single_flight(backend, signer):
    """A process that finds another one fetching waits for its result."""
    keys = backend.tenant_keys()
    cache.add(keys.stamp_key, "fetching")  # another process holds the stamp

    def publish():
        cache.set(
            keys.document_key,
            {"jwks": {"keys": [signer.jwk]}, "fetched_at": clock.current_time()},
        )

    timer = threading.Timer(0.2, publish)
    timer.start()
    with responses.RequestsMock() as mock:  # any HTTP request would fail the test
        assert keys_for(backend, "key-1")
        assert len(mock.calls) == 0
    timer.join()


def test_concurrent_first_logins_fetch_once(backend, tenant_jwks):
    _document, mock = tenant_jwks
    results = []

    def login():
        results.append(bool(keys_for(backend, "key-1")))

    threads = [threading.Thread(target=login) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8
    assert fetches(mock) == 1


@override_settings(SOCIAL_AUTH_AUTH0_SHARED_CACHE="missing")
def test_unknown_cache_alias_is_a_configuration_error(backend):
    with pytest.raises(AuthConfigurationError) as info:
        backend.tenant_keys()
    assert info.value.parameter == "SHARED_CACHE"


def test_key_set_keeps_keys_without_kid_for_tokens_without_kid():
    unnamed = Signer(None)
    keyset = jwks.parse_jwks(None, {"keys": [unnamed.jwk]}, 0.0)
    assert keyset.by_kid == {}
    assert len(keyset.all_keys()) == 1


def test_uses_a_refetch_another_process_made(backend, signer, other_signer):
    """After a rotation, the process that did not refetch finds the new key."""
    keys = backend.tenant_keys()
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, json={"keys": [signer.jwk]})
        assert keys_for(backend, "key-1")
    # Another process refetched (and still holds the stamp).
    cache.set(
        keys.document_key,
        {
            "jwks": {"keys": [signer.jwk, other_signer.jwk]},
            "fetched_at": clock.current_time(),
        },
    )
    cache.set(keys.stamp_key, "fetching")
    with responses.RequestsMock() as mock:  # no HTTP request allowed
        assert keys_for(backend, "key-2")


def test_stale_keys_serve_while_the_tenant_is_down(backend, signer, monkeypatch):
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, json={"keys": [signer.jwk]})
        keys_for(backend, "key-1")
    later = clock.current_time() + Auth0OAuth2.JWKS_CACHE_TTL + 1
    monkeypatch.setattr(clock, "current_time", lambda: later)
    cache.clear()
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, status=503)
        assert keys_for(backend, "key-1")  # expired, but better than no login
        assert len(mock.calls) == 1
