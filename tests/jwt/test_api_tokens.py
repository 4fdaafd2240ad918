"""tokens.verify_api_access_token: the rules for bearer tokens sent to the
site's API, each failure with its code and claim. Real RSA keys."""

from __future__ import annotations

import base64
import json
import time

import pytest
from social_core.exceptions import AuthResponseError

from social_auth0.jwt import compact
from social_auth0.jwt import verify as tokens
from social_auth0.testing.keys import b64url
from tests.support.tokens import Signer, raw_token

ISSUER = "https://tenant.eu.auth0.com/"
API = "https://api.example.com/"
CLIENT_ID = "test-client-id"


def claims(**overrides):
    now = int(time.time())
    values = {
        "iss": ISSUER,
        "sub": "auth0|abc",
        "aud": [API, f"{ISSUER}userinfo"],
        "iat": now,
        "exp": now + 3600,
        "scope": "openid read:reports",
        "azp": "spa-client",
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def verify(signer, token, **options):
    return tokens.verify_api_access_token(
        None,
        token,
        lambda kid: [signer.key] if kid in (None, signer.kid) else [],
        issuer=ISSUER,
        api_audiences=options.pop("api_audiences", frozenset({API})),
        client_id=CLIENT_ID,
        leeway=60,
        **options,
    )


def rejected(signer, token) -> AuthResponseError:
    with pytest.raises(AuthResponseError) as caught:
        verify(signer, token)
    return caught.value


def test_valid_token(signer):
    assert verify(signer, signer.sign(claims()))["sub"] == "auth0|abc"


def test_rfc9068_token_with_client_id_and_typ(signer):
    token = signer.sign(claims(azp=None, client_id="m2m"), {"typ": "at+jwt"})
    assert verify(signer, token)["client_id"] == "m2m"


def test_any_configured_audience_is_enough(signer):
    token = signer.sign(claims(aud="https://second/"))
    found = verify(signer, token, api_audiences=frozenset({API, "https://second/"}))
    assert found["aud"] == "https://second/"


@pytest.mark.parametrize(
    ("overrides", "code", "claim"),
    [
        ({"iss": "https://tenant.eu.auth0.com"}, "invalid_claim", "iss"),
        ({"aud": "https://other/"}, "invalid_claim", "aud"),
        ({"aud": [API, CLIENT_ID]}, "invalid_claim", "aud"),
        ({"aud": []}, "invalid_claim", "aud"),
        ({"aud": None}, "missing_claim", "aud"),
        ({"exp": None}, "missing_claim", "exp"),
        ({"iat": None}, "missing_claim", "iat"),
        ({"sub": None}, "missing_claim", "sub"),
        ({"sub": " "}, "invalid_claim", "sub"),
        ({"sub": 42}, "invalid_claim", "sub"),
        ({"exp": -61}, "response_expired", "exp"),
        ({"exp": "9999999999"}, "invalid_claim", "exp"),
        ({"exp": float("inf")}, "invalid_claim", "exp"),
        ({"nbf": 120}, "response_not_yet_valid", "nbf"),
        ({"iat": 120}, "response_not_yet_valid", "iat"),
        ({"nonce": "n"}, "invalid_claim", "nonce"),
    ],
)
def test_rejects_bad_claim(signer, overrides, code, claim):
    # Small integer times are offsets from now (collection may be long ago).
    now = int(time.time())
    overrides = {
        name: now + value
        if name in ("exp", "nbf", "iat") and type(value) is int and abs(value) < 1000
        else value
        for name, value in overrides.items()
    }
    error = rejected(signer, signer.sign(claims(**overrides)))
    assert (error.code, error.claim) == (code, claim)


@pytest.mark.parametrize(
    ("header", "code", "claim"),
    [
        ({"alg": "HS256"}, "invalid_signature", "alg"),
        ({"alg": "none"}, "invalid_signature", "alg"),
        ({"alg": "PS256"}, "invalid_signature", "alg"),
        ({"typ": "logout+jwt"}, "invalid_claim", "typ"),
        ({"typ": 1}, "invalid_claim", "typ"),
        ({"kid": 7}, "malformed_response", None),
    ],
)
def test_rejects_bad_header(signer, header, code, claim):
    error = rejected(signer, signer.sign(claims(), header))
    assert (error.code, error.claim) == (code, claim)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "é.b.c",
        "eyJhbGciOiJSUzI1NiJ9.é.c",
        b64url(b"[" * 1000) + ".e30.c",
        b64url(b'{"alg":"RS256","x":"' + b"a" * 2000 + b'"}') + ".e30.c",
    ],
)
def test_rejects_malformed_token(signer, token):
    assert rejected(signer, token).code in ("malformed_response", "invalid_signature")


def test_rejects_non_base64url_characters(signer):
    token = signer.sign(claims())
    header, payload, signature = token.split(".")
    standard = base64.b64encode(base64.urlsafe_b64decode(signature + "==")).decode()
    assert "+" in standard or "/" in standard or "=" in standard
    assert rejected(signer, f"{header}.{payload}.{standard}").code == (
        "malformed_response"
    )
    assert rejected(signer, f"{header}.{payload}.{signature} ").code == (
        "malformed_response"
    )


def test_known_header_does_not_skip_the_signature(signer, other_signer):
    good = signer.sign(claims())
    verify(signer, good)  # its header is now accepted
    forged = raw_token(
        json.loads(base64.urlsafe_b64decode(good.split(".")[0] + "==")),
        json.dumps(claims(sub="auth0|admin")).encode(),
        other_signer,
    )
    assert forged.split(".")[0] == good.split(".")[0]
    assert rejected(signer, forged).code == "invalid_signature"


def test_payload_decoded_only_after_the_signature(signer):
    token = raw_token({"alg": "RS256", "kid": signer.kid}, b"not json", None)
    assert rejected(signer, token + "AAAA").code == "invalid_signature"


def test_signed_non_json_payload(signer):
    token = raw_token({"alg": "RS256", "kid": signer.kid}, b"\xff not json", signer)
    assert rejected(signer, token).code == "malformed_response"


def test_accepted_headers_stay_bounded(signer):
    for index in range(compact.MAX_ACCEPTED_HEADERS * 3):
        signer.sign(claims())
        token = Signer.sign(signer, claims(), {"x": index})
        verify(signer, token)
    assert len(compact._accepted_headers) <= compact.MAX_ACCEPTED_HEADERS
