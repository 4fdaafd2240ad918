"""Every ID-token rule of social_auth0.jwt.claims, each with a test that fails
when the rule is removed. Real RSA keys, real signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from social_core.exceptions import AuthResponseError

from social_auth0.jwt.claims import BACKCHANNEL_LOGOUT_EVENT
from social_auth0.jwt.compact import MAX_NESTING
from social_auth0.jwt.verify import (
    verify_access_token,
    verify_id_token,
    verify_logout_token,
)
from social_auth0.testing.keys import b64url
from tests.support.tokens import CLIENT_ID, ISSUER, Signer, raw_token
from tests.support.tokens import id_token_claims as claims_issued_now

# Every token here is verified at NOW, fixed when the module is imported; a
# test may run minutes later in a full suite, so the claims' times are pinned
# to NOW too (with "issued at test time" a test run more than LEEWAY after
# import saw a token issued in the future).
NOW = time.time()


def id_token_claims(**overrides):
    """Claims of a valid ID token issued at NOW; ``name=None`` removes ``name``."""
    pinned = {"iat": int(NOW), "exp": int(NOW) + 36000, "auth_time": int(NOW)}
    return claims_issued_now(**{**pinned, **overrides})


def verify(token, signers, **kwargs):
    """Verify ``token`` against the keys of ``signers``, like the backend does."""
    by_kid = {s.kid: s.key for s in signers}

    def lookup(kid):
        if kid is None:
            return [s.key for s in signers]
        return [by_kid[kid]] if kid in by_kid else []

    options = {
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "nonce": "the-nonce",
        "leeway": 60,
        "now": NOW,
    }
    options.update(kwargs)
    return verify_id_token(None, token, lookup, **options)


def rejected(token, signers, **kwargs) -> AuthResponseError:
    with pytest.raises(AuthResponseError) as info:
        verify(token, signers, **kwargs)
    return info.value


def test_accepts_valid_token(signer):
    claims = verify(signer.sign(id_token_claims()), [signer])
    assert claims["sub"] == "auth0|65f0c0ffee0000000000abcd"
    assert claims["email"] == "ada@example.com"


# Algorithm and signature ---------------------------------------------------


def test_rejects_alg_none(signer):
    token = raw_token(
        {"alg": "none", "kid": "key-1"}, json.dumps(id_token_claims()).encode(), None
    )
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("invalid_signature", "alg")


def test_rejects_hs256_signed_with_the_public_key(signer):
    # The classic confusion attack: HMAC "signed" with the RSA public key.
    header = {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
    signing_input = (
        f"{b64url(json.dumps(header).encode())}."
        f"{b64url(json.dumps(id_token_claims()).encode())}"
    )
    mac = hmac.new(
        signer.public_pem.encode(), signing_input.encode(), hashlib.sha256
    ).digest()
    error = rejected(f"{signing_input}.{b64url(mac)}", [signer])
    assert (error.code, error.claim) == ("invalid_signature", "alg")


@pytest.mark.parametrize("alg", ["HS384", "PS256", "RS512", "ES256", None])
def test_rejects_other_algorithms(signer, alg):
    header = {"kid": "key-1"} if alg is None else {"alg": alg, "kid": "key-1"}
    token = raw_token(header, json.dumps(id_token_claims()).encode(), signer)
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("invalid_signature", "alg")


def test_rejects_token_signed_by_another_key(signer, other_signer):
    forged = Signer("key-1")  # same kid, different key
    error = rejected(forged.sign(id_token_claims()), [signer, other_signer])
    assert error.code == "invalid_signature"


def test_rejects_tampered_payload(signer):
    header, _payload, signature = signer.sign(id_token_claims()).split(".")
    payload = b64url(json.dumps(id_token_claims(sub="auth0|admin")).encode())
    error = rejected(f"{header}.{payload}.{signature}", [signer])
    assert error.code == "invalid_signature"


def test_rejects_unknown_kid(signer):
    error = rejected(signer.sign(id_token_claims(), {"kid": "nope"}), [signer])
    assert error.code == "invalid_signature"


def test_token_without_kid_is_tried_against_every_signing_key(other_signer):
    no_kid = Signer(None)
    token = no_kid.sign(id_token_claims())
    assert "kid" not in json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert verify(token, [other_signer, no_kid])["sub"]


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c.d", "!!!.???.***", None, 42, b"x.y.z"]
)
def test_rejects_malformed_token(signer, token):
    assert rejected(token, [signer]).code == "malformed_response"


@pytest.mark.parametrize("payload", [[1, 2], "a string", 7, None])
def test_rejects_payload_that_is_not_an_object(signer, payload):
    assert rejected(signer.sign(payload), [signer]).code == "malformed_response"


def test_rejects_segments_that_are_not_base64url(signer):
    # RFC 7515 section 2: base64url without "+" or "/" (the API's rule too).
    for n in range(100):  # a signature with a "-" or "_" to turn into "+", "/"
        header, payload, signature = signer.sign(id_token_claims(jti=n)).split(".")
        raw = base64.urlsafe_b64decode(signature + "==")
        standard = base64.b64encode(raw).decode().rstrip("=")
        if standard != signature:
            break
    assert rejected(f"{header}.{payload}.{standard}", [signer]).code == (
        "malformed_response"
    )


def test_rejects_a_payload_that_is_not_utf8(signer):
    body = json.dumps(id_token_claims()).encode("utf-16")
    token = raw_token({"alg": "RS256", "kid": "key-1"}, body, signer)
    assert rejected(token, [signer]).code == "malformed_response"


def test_rejects_non_string_kid(signer):
    token = raw_token(
        {"alg": "RS256", "kid": 5}, json.dumps(id_token_claims()).encode(), signer
    )
    assert rejected(token, [signer]).code == "malformed_response"


# Required claims ----------------------------------------------------------


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "iat"])
def test_rejects_token_without_required_claim(signer, claim):
    error = rejected(signer.sign(id_token_claims(**{claim: None})), [signer])
    assert (error.code, error.claim) == ("missing_claim", claim)


def test_rejects_null_required_claim(signer):
    claims = id_token_claims()
    claims["exp"] = None
    error = rejected(signer.sign(claims), [signer])
    assert (error.code, error.claim) == ("missing_claim", "exp")


# iss ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "iss",
    [
        "https://tenant.eu.auth0.com",  # no trailing slash: not Auth0's issuer
        "https://evil.example/",
        "https://tenant.eu.auth0.com.evil.example/",
        "http://tenant.eu.auth0.com/",
    ],
)
def test_rejects_wrong_issuer(signer, iss):
    error = rejected(signer.sign(id_token_claims(iss=iss)), [signer])
    assert (error.code, error.claim) == ("invalid_claim", "iss")


# aud and azp ----------------------------------------------------------------


def test_rejects_token_for_another_audience(signer):
    error = rejected(signer.sign(id_token_claims(aud="another-client")), [signer])
    assert (error.code, error.claim) == ("invalid_claim", "aud")


@pytest.mark.parametrize("aud", [[], 42, [CLIENT_ID, 42], {"a": CLIENT_ID}, True])
def test_rejects_malformed_audience(signer, aud):
    error = rejected(signer.sign(id_token_claims(aud=aud)), [signer])
    assert (error.code, error.claim) == ("invalid_claim", "aud")


def test_rejects_several_audiences_without_azp(signer):
    token = signer.sign(id_token_claims(aud=[CLIENT_ID, "https://api.example/"]))
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("missing_claim", "azp")


def test_accepts_several_audiences_with_our_azp(signer):
    token = signer.sign(
        id_token_claims(aud=[CLIENT_ID, "https://api.example/"], azp=CLIENT_ID)
    )
    assert verify(token, [signer])["azp"] == CLIENT_ID


def test_accepts_single_audience_list_without_azp(signer):
    assert verify(signer.sign(id_token_claims(aud=[CLIENT_ID])), [signer])


@pytest.mark.parametrize("aud", [CLIENT_ID, [CLIENT_ID, "other"]])
def test_rejects_azp_of_another_client(signer, aud):
    token = signer.sign(id_token_claims(aud=aud, azp="another-client"))
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("invalid_claim", "azp")


# Times ----------------------------------------------------------------------


def test_rejects_expired_token(signer):
    token = signer.sign(id_token_claims(exp=int(NOW) - 61))
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("response_expired", "exp")


def test_accepts_token_expired_within_leeway(signer):
    assert verify(signer.sign(id_token_claims(exp=int(NOW) - 30)), [signer])


def test_leeway_is_configurable(signer):
    token = signer.sign(id_token_claims(exp=int(NOW) - 30))
    error = rejected(token, [signer], leeway=0)
    assert error.code == "response_expired"


def test_rejects_token_issued_in_the_future(signer):
    token = signer.sign(id_token_claims(iat=int(NOW) + 600))
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("response_not_yet_valid", "iat")


def test_rejects_token_not_valid_yet(signer):
    token = signer.sign(id_token_claims(nbf=int(NOW) + 600))
    error = rejected(token, [signer])
    assert (error.code, error.claim) == ("response_not_yet_valid", "nbf")


def test_accepts_nbf_within_leeway(signer):
    assert verify(signer.sign(id_token_claims(nbf=int(NOW) + 30)), [signer])


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", ["9999999999", True, [1], {"t": 1}])
def test_rejects_non_numeric_times(signer, claim, value):
    error = rejected(signer.sign(id_token_claims(**{claim: value})), [signer])
    assert (error.code, error.claim) == ("invalid_claim", claim)


# sub ------------------------------------------------------------------------


@pytest.mark.parametrize("sub", ["", "   ", 42, ["auth0|x"], False])
def test_rejects_empty_or_non_string_sub(signer, sub):
    error = rejected(signer.sign(id_token_claims(sub=sub)), [signer])
    assert (error.code, error.claim) == ("invalid_claim", "sub")


# nonce ----------------------------------------------------------------------


def test_rejects_token_without_nonce(signer):
    error = rejected(signer.sign(id_token_claims(nonce=None)), [signer])
    assert (error.code, error.claim) == ("missing_claim", "nonce")


@pytest.mark.parametrize("nonce", ["another-nonce", "the-nonc", 7, ["the-nonce"]])
def test_rejects_wrong_nonce(signer, nonce):
    error = rejected(signer.sign(id_token_claims(nonce=nonce)), [signer])
    assert (error.code, error.claim) == ("nonce_mismatch", "nonce")


def test_rejects_any_nonce_when_none_was_sent(signer):
    error = rejected(signer.sign(id_token_claims()), [signer], nonce=None)
    assert (error.code, error.claim) == ("nonce_mismatch", "nonce")


# max_age / auth_time ------------------------------------------------------------


def test_max_age_requires_auth_time(signer):
    token = signer.sign(id_token_claims(auth_time=None))
    error = rejected(token, [signer], max_age=300)
    assert (error.code, error.claim) == ("missing_claim", "auth_time")


def test_without_max_age_auth_time_is_optional(signer):
    assert verify(signer.sign(id_token_claims(auth_time=None)), [signer])


def test_max_age_rejects_old_authentication(signer):
    token = signer.sign(id_token_claims(auth_time=int(NOW) - 300 - 61))
    error = rejected(token, [signer], max_age=300)
    assert (error.code, error.claim) == ("response_expired", "auth_time")


def test_max_age_accepts_recent_authentication(signer):
    token = signer.sign(id_token_claims(auth_time=int(NOW) - 300))
    assert verify(token, [signer], max_age=300)


@pytest.mark.parametrize("max_age", [None, 300])
def test_rejects_auth_time_in_the_future_beyond_leeway(signer, max_age):
    token = signer.sign(id_token_claims(auth_time=int(NOW) + 61))
    error = rejected(token, [signer], max_age=max_age)
    assert (error.code, error.claim) == ("response_not_yet_valid", "auth_time")


def test_accepts_auth_time_in_the_future_within_leeway(signer):
    assert verify(signer.sign(id_token_claims(auth_time=int(NOW) + 59)), [signer])


def test_max_age_rejects_non_numeric_auth_time(signer):
    token = signer.sign(id_token_claims(auth_time="recently"))
    error = rejected(token, [signer], max_age=300)
    assert (error.code, error.claim) == ("invalid_claim", "auth_time")


def test_errors_carry_the_token_validation_stage_and_a_generic_message(signer):
    error = rejected(signer.sign(id_token_claims(aud="x")), [signer])
    assert error.stage == "token_validation"
    assert "aud" in error.detail
    assert str(error) == "An authentication response field could not be verified."


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_rejects_non_finite_times(signer, claim, value):
    error = rejected(signer.sign(id_token_claims(**{claim: value})), [signer])
    assert (error.code, error.claim) == ("invalid_claim", claim)


# Size bounds and parse failures -------------------------------------------------


def test_accepts_a_token_with_auth0s_largest_payload(signer):
    # Auth0 allows 100 KB of payload (custom claims included).
    claims = id_token_claims(**{"https://example.com/blob": ""})
    size = len(json.dumps(claims))
    claims["https://example.com/blob"] = "x" * (100 * 1024 - size)
    assert len(json.dumps(claims)) == 100 * 1024
    assert verify(signer.sign(claims), [signer])["sub"]


def test_rejects_a_token_over_the_id_token_bound_before_verifying_it(signer):
    # The bound is 100 KB of payload plus room for the largest header allowed.
    claims = id_token_claims(**{"https://example.com/blob": "x" * 106_000})
    lookups = []
    token = signer.sign(claims)
    with pytest.raises(AuthResponseError) as info:
        verify_id_token(
            None,
            token,
            lambda kid: lookups.append(kid) or [signer.key],
            issuer=ISSUER,
            client_id=CLIENT_ID,
            nonce="the-nonce",
            leeway=60,
            now=NOW,
        )
    assert info.value.code == "malformed_response"
    assert "larger than allowed" in info.value.detail
    assert lookups == []  # refused before any key was looked up


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "kid": "key-1", "x": "y" * 1600},  # over 2048 characters
        {"alg": "RS256", "kid": "key-1", "x5c": ["A" * 3000]},
    ],
)
def test_rejects_a_header_over_its_limit(signer, header):
    error = rejected(signer.sign(id_token_claims(), headers=header), [signer])
    assert error.code == "malformed_response"


def test_rejects_a_signature_over_its_limit(signer):
    header, payload, _ = signer.sign(id_token_claims()).split(".")
    error = rejected(f"{header}.{payload}.{'A' * 1367}", [signer])
    assert error.code == "malformed_response"


@pytest.mark.parametrize(
    "header",
    [
        b"[" * 1500 + b"]" * 1500,  # within the size bound, past the recursion limit
        b'{"a":' * 400 + b"1" + b"}" * 400,
        b"[" * 200_000,
    ],
    ids=["list 1500 deep", "object 400 deep", "200 KB of ["],
)
def test_rejects_a_header_nested_too_deeply(signer, header):
    payload = b64url(json.dumps(id_token_claims()).encode())
    error = rejected(f"{b64url(header)}.{payload}.sig", [signer])
    assert error.code == "malformed_response"


def test_rejects_a_signed_payload_nested_too_deeply(signer):
    body = json.dumps(id_token_claims()).encode()[:-1]
    body += b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    token = raw_token({"alg": "RS256", "kid": "key-1"}, body, signer)
    error = rejected(token, [signer])
    assert error.code == "malformed_response"


def test_nesting_is_bounded_the_same_on_every_python(signer):
    # json.loads parses 40 levels on any Python: the bound, not a RecursionError,
    # refuses it (later Pythons parse thousands of levels without one).
    def token(depth):
        claims = id_token_claims(x=None)
        body = json.dumps(claims).encode()[:-1]
        body += b', "x": ' + b"[" * depth + b"]" * depth + b"}"
        return raw_token({"alg": "RS256", "kid": "key-1"}, body, signer)

    assert verify(token(MAX_NESTING - 1), [signer])["x"]
    assert rejected(token(MAX_NESTING + 8), [signer]).code == "malformed_response"


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "auth_time"])
@pytest.mark.parametrize(
    "value", [10**400, -(10**400), 253_402_300_800, -1, 1e308], ids=str
)
def test_rejects_times_outside_0_to_the_year_9999(signer, claim, value):
    body = json.dumps(id_token_claims(**{claim: value})).encode()
    token = raw_token({"alg": "RS256", "kid": "key-1"}, body, signer)
    error = rejected(token, [signer], max_age=3600)
    assert (error.code, error.claim) == ("invalid_claim", claim)


def test_accepts_an_exp_in_the_year_9999(signer):
    assert verify(signer.sign(id_token_claims(exp=253_402_300_799)), [signer])


def test_logout_tokens_have_a_smaller_bound(signer):
    from social_auth0.jwt.verify import verify_logout_token

    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(NOW),
        "exp": int(NOW) + 120,
        "jti": "j",
        "sid": "s",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }

    def check(token):
        return verify_logout_token(
            None,
            token,
            lambda kid: [signer.key],
            issuer=ISSUER,
            client_id=CLIENT_ID,
            leeway=60,
            now=NOW,
        )

    assert check(signer.sign({**claims, "pad": "x" * 5000}))["sid"] == "s"
    with pytest.raises(AuthResponseError) as info:
        check(signer.sign({**claims, "pad": "x" * 7000}))
    assert info.value.code == "malformed_response"


# Access tokens (ROLES_TOKEN = "access_token") ---------------------------------------

API = "https://api.example.com/"


def access_claims(**overrides):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": "auth0|65f0c0ffee0000000000abcd",
        "aud": [API, f"{ISSUER}userinfo"],
        "azp": CLIENT_ID,
        "iat": now,
        "exp": now + 600,
        "scope": "openid read:reports",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def verify_access(token, signer):
    return verify_access_token(
        None,
        token,
        lambda kid: [signer.key] if kid == signer.kid else [],
        issuer=ISSUER,
        client_id=CLIENT_ID,
        audience=API,
        leeway=60,
    )


def test_accepts_valid_access_token(signer):
    assert verify_access(signer.sign(access_claims()), signer)["scope"]


@pytest.mark.parametrize(
    ("overrides", "code", "claim"),
    [
        ({"iss": "https://evil.example/"}, "invalid_claim", "iss"),
        ({"aud": CLIENT_ID}, "invalid_claim", "aud"),
        ({"azp": "another-client"}, "invalid_claim", "azp"),
        ({"exp": int(time.time()) - 3600}, "response_expired", "exp"),
        ({"iat": int(time.time()) + 3600}, "response_not_yet_valid", "iat"),
        ({"sub": ""}, "invalid_claim", "sub"),
        ({"sub": None}, "missing_claim", "sub"),
        ({"azp": None}, "missing_claim", "azp"),
        # An ID token passed off as an access token carries a nonce.
        ({"nonce": "n"}, "invalid_claim", "nonce"),
    ],
)
def test_access_token_rules(signer, overrides, code, claim):
    with pytest.raises(AuthResponseError) as info:
        verify_access(signer.sign(access_claims(**overrides)), signer)
    assert (info.value.code, info.value.claim) == (code, claim)


def test_access_token_alg_is_pinned(signer):
    token = raw_token({"alg": "none", "kid": signer.kid}, b"{}", None)
    with pytest.raises(AuthResponseError) as info:
        verify_access(token, signer)
    assert (info.value.code, info.value.claim) == ("invalid_signature", "alg")


# Logout tokens (OIDC Back-Channel Logout 1.0, section 2.6) --------------------------


def logout_claims(**overrides):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": "a-unique-id",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": "tenant-session-id",
        "sub": "auth0|65f0c0ffee0000000000abcd",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def verify_logout(token, signer):
    return verify_logout_token(
        None,
        token,
        lambda kid: [signer.key] if kid == signer.kid else [],
        issuer=ISSUER,
        client_id=CLIENT_ID,
        leeway=60,
    )


@pytest.mark.parametrize("overrides", [{}, {"sid": None}, {"sub": None}])
def test_accepts_valid_logout_token(signer, overrides):
    assert verify_logout(signer.sign(logout_claims(**overrides)), signer)["jti"]


@pytest.mark.parametrize(
    ("overrides", "code", "claim"),
    [
        ({"iss": "https://evil.example/"}, "invalid_claim", "iss"),
        ({"aud": "another-client"}, "invalid_claim", "aud"),
        ({"exp": int(time.time()) - 3600}, "response_expired", "exp"),
        ({"jti": None}, "missing_claim", "jti"),
        ({"jti": ""}, "invalid_claim", "jti"),
        ({"jti": 7}, "invalid_claim", "jti"),
        ({"events": None}, "missing_claim", "events"),
        ({"events": {"other": {}}}, "invalid_claim", "events"),
        ({"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "invalid_claim", "events"),
        ({"sid": None, "sub": None}, "missing_claim", "sid"),
        ({"sid": " "}, "invalid_claim", "sid"),
        ({"sub": 12}, "invalid_claim", "sub"),
        # An ID token passed off as a logout token carries a nonce.
        ({"nonce": "n"}, "invalid_claim", "nonce"),
    ],
)
def test_logout_token_rules(signer, overrides, code, claim):
    with pytest.raises(AuthResponseError) as info:
        verify_logout(signer.sign(logout_claims(**overrides)), signer)
    assert (info.value.code, info.value.claim) == (code, claim)
