"""Which configured domain's keys a token is checked with: its ``iss``, read
before the signature only to route, and without parsing the payload when its
first claim names a configured issuer (as Auth0's tokens do)."""

from __future__ import annotations

import base64
import json

import pytest

from social_auth0.jwt import compact
from social_auth0.jwt.compact import issuer_prefixes, unverified_issuer

ISSUERS = ["https://a.com/", "https://a.com.b/", "https://login.acme.com/"]
CLAIMS = {"sub": "auth0|ada", "aud": "https://api.example.com/", "exp": 2000000000}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


HEADER = b64(b'{"alg":"RS256","kid":"k"}')


def token(payload: bytes) -> str:
    return f"{HEADER}.{b64(payload)}.{'A' * 342}"


def compact_json(claims: dict) -> bytes:
    return json.dumps(claims, separators=(",", ":")).encode()


@pytest.fixture
def no_parse(monkeypatch):
    """Fails the test if the payload is parsed."""

    def parsed(*args, **kwargs):
        raise AssertionError("the payload was parsed")

    monkeypatch.setattr(compact, "read_segment", parsed)


@pytest.mark.parametrize("issuer", ISSUERS)
def test_a_configured_issuer_first_is_routed_without_parsing(issuer, no_parse):
    """Issuers that begin alike (``a.com`` and ``a.com.b``) are told apart."""
    payload = compact_json({"iss": issuer, **CLAIMS})

    assert unverified_issuer(token(payload), 10_000, issuer_prefixes(ISSUERS)) == issuer


@pytest.mark.parametrize(
    "payload",
    [
        compact_json({"iss": "https://a.com.evil/", **CLAIMS}),  # begins like a.com
        compact_json({"iss": "https://evil.example/", **CLAIMS}),
        compact_json({**CLAIMS, "iss": "https://evil.example/"}),  # iss not first
        json.dumps({"iss": "https://evil.example/", **CLAIMS}).encode(),  # spaces
    ],
)
def test_anything_else_is_parsed_and_its_iss_read(payload):
    routed = unverified_issuer(token(payload), 10_000, issuer_prefixes(ISSUERS))

    assert routed == json.loads(payload)["iss"]


def test_a_configured_issuer_not_first_is_found_by_parsing():
    payload = compact_json({**CLAIMS, "iss": "https://a.com/"})

    assert unverified_issuer(token(payload), 10_000, issuer_prefixes(ISSUERS)) == (
        "https://a.com/"
    )


def test_a_payload_too_short_for_the_prefix_is_parsed():
    with pytest.raises(compact.TokenRejected):
        unverified_issuer(token(b'{"iss":"ht'), 10_000, issuer_prefixes(ISSUERS))
