"""The parts of ``jwt/dpop.py`` a request does not show alone: thumbprints,
URL normalisation, nonces and key parsing (the rules themselves are tested
over HTTP in tests/test_resource_dpop.py)."""

from __future__ import annotations

import pytest

from social_auth0.jwt.dpop import (
    NONCE_LIFETIME,
    Nonces,
    ProofRejected,
    checked_header,
    normalize_url,
    read_proof,
    thumbprint,
)
from social_auth0.testing import DpopKey
from social_auth0.testing.keys import b64url

# RFC 7638 section 3.1: the example key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxu"
    "hDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6C"
    "f0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
    "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44"
    "-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_thumbprint_is_rfc7638s():
    assert thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    "url, normal",
    [
        ("https://API.example.com:443/a/b", "https://api.example.com/a/b"),
        ("http://h:80", "http://h/"),
        ("http://h:8080/%7euser/%2f", "http://h:8080/~user/%2F"),
        ("https://h/a/./b/../c", "https://h/a/c"),
        ("https://h/a?q=1#f", "https://h/a"),
        ("HTTPS://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_urls_are_normalised_per_rfc3986(url, normal):
    assert normalize_url(url) == normal


@pytest.mark.parametrize(
    "url", ["ftp://h/", "/relative", "https://user:pw@h/", "https://h:99999/", "x"]
)
def test_unusable_urls_normalise_to_none(url):
    assert normalize_url(url) is None


def test_nonces_rotate_per_slice_and_accept_the_previous_one():
    nonces = Nonces("secret")
    now = 10 * NONCE_LIFETIME + 1
    current = nonces.current(now)
    assert nonces.valid(current, now)
    assert nonces.valid(current, now + NONCE_LIFETIME)
    assert not nonces.valid(current, now + 2 * NONCE_LIFETIME)
    assert nonces.current(now + NONCE_LIFETIME) != current
    assert not Nonces("other secret").valid(current, now)
    assert not nonces.valid(None, now)
    assert not nonces.valid(current + "x" * 64, now)


def test_ec_point_off_the_curve_is_refused():
    jwk = dict(DpopKey().public_jwk)
    jwk["y"] = b64url(bytes(31) + b"\x01")
    with pytest.raises(ValueError, match="curve|point"):
        checked_header({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})


def test_key_type_must_match_the_alg():
    rsa_jwk = DpopKey("RS256").public_jwk
    with pytest.raises(ProofRejected, match="not an EC"):
        checked_header({"typ": "dpop+jwt", "alg": "ES256", "jwk": rsa_jwk})


def test_ecdsa_signature_in_der_instead_of_raw_is_refused():
    """JWS ES256 signatures are r || s (RFC 7518 section 3.4), never DER."""
    key = DpopKey()
    proof = key.proof("GET", "https://h/")
    head, _, signature = proof.rpartition(".")
    with pytest.raises(ProofRejected, match="signature"):
        read_proof(f"{head}.{signature}AA")
