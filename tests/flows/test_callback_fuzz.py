"""Hypothesis feeds mutated ID tokens and random callback parameters through
/complete/auth0/: whatever arrives, never a 500 and never a login."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.support.tenants import ADA

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    # too_slow times input generation: on a loaded machine it fails the test
    # for the machine's sake (tests assert counts, never durations).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_nobody_logged_in(client: Client, response) -> None:
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.exists()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decoded(token: str) -> list[bytes | None]:
    segments: list[bytes | None] = []
    for part in token.split("."):
        try:
            segments.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except ValueError:
            segments.append(None)
    return segments


def mutate(token: str, segment: int, position: int, replacement: str) -> str:
    parts = token.split(".")
    chars = list(parts[segment])
    if chars:
        chars[position % len(chars)] = replacement
    parts[segment] = "".join(chars)
    return ".".join(parts)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@FUZZ
@given(
    segment=st.integers(0, 2),
    position=st.integers(0, 2000),
    replacement=st.sampled_from(list("AZaz09-_.=+/ ")),
)
def test_mutated_id_token_never_logs_in(tenant, segment, position, replacement):
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    good = tenant.id_token_for(ADA.email, nonce=nonce)  # valid for this login
    mutated = mutate(good, segment, position, replacement)
    # A change to base64 padding bits decodes to the same token: not a mutation.
    assume(decoded(mutated) != decoded(good))
    tenant.misbehave.id_token = mutated
    callback = tenant.login(authorize, ADA.email)
    response = client.get(urlsplit(callback).path, parse_qs(urlsplit(callback).query))
    assert_nobody_logged_in(client, response)


@FUZZ
@given(
    header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jku"]), json_values),
    payload=st.dictionaries(
        st.sampled_from(["iss", "aud", "sub", "exp", "iat", "nonce", "azp", "nbf"]),
        json_values,
    ),
)
def test_arbitrary_unsigned_tokens_never_log_in(tenant, header, payload):
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    )
    tenant.misbehave.id_token = f"{signing_input}.{b64(b'not a signature')}"
    client = Client()
    callback = tenant.login(client.post("/login/auth0/")["Location"], ADA.email)
    response = client.get(urlsplit(callback).path, parse_qs(urlsplit(callback).query))
    assert_nobody_logged_in(client, response)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["code", "state", "error", "error_description", "redirect_state", "iss"]
        ),
        st.text(max_size=200) | st.lists(st.text(max_size=20), max_size=3),
        max_size=5,
    ),
    keep_state=st.booleans(),
)
def test_random_callback_parameters_never_log_in(tenant, params, keep_state):
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    if keep_state:
        params["state"] = parse_qs(urlsplit(authorize).query)["state"][0]
    response = client.get("/complete/auth0/", params)
    assert_nobody_logged_in(client, response)


# Hostile ID tokens, served by the tenant through its misbehaviour switches: each
# is a structured login error (a redirect with a message, one WARNING naming the
# code), never a 500 and never an ERROR record or a traceback.


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def hostile_id_token(tenant, case: str, nonce: str) -> None:
    """Make the tenant's next token response carry the hostile ID token ``case``."""
    good = tenant.id_token_for(ADA.email, nonce=nonce)
    header, payload, signature = good.split(".")
    switches = tenant.misbehave
    if case == "header of 200 KB of nested [":
        switches.id_token = f"{b64(b'[' * 200_000)}.{payload}.{signature}"
    elif case == "header nested 1500 deep":
        switches.id_token = f"{b64(nested(1500))}.{payload}.{signature}"
    elif case == "signed payload nested 5000 deep":
        claims = decoded(good)[1]
        body = claims[:-1] + b',"x":' + nested(5000) + b"}"
        switches.id_token = sign_raw(tenant, decoded(good)[0], body)
    elif case == "signed payload of 1 MB":
        switches.id_token_claims = {"https://example.com/blob": "x" * 1_000_000}
    elif case == "header over 2 KB":
        switches.id_token_header = {"x": "y" * 2048}
    elif case == "token of 20 MB":
        switches.id_token = f"{header}.{'A' * 20_000_000}.{signature}"
    elif case == "token response of 200 KB of nested [":
        switches.token_body = b"[" * 200_000 + b"]" * 200_000
    elif case.startswith("signed "):  # "signed <claim> of <value>"
        _, claim, _, value = case.split(" ", 3)
        switches.id_token_claims = {claim: eval(value)}  # noqa: S307 (our literals)
    else:
        raise AssertionError(case)


def sign_raw(tenant, header: bytes | None, payload: bytes) -> str:
    assert header is not None
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = tenant.keys.get().sign(signing_input.encode(), "RS256")
    return f"{signing_input}.{b64(signature)}"


HOSTILE_ID_TOKENS = {
    "header of 200 KB of nested [": "malformed_response",
    "header nested 1500 deep": "malformed_response",
    "signed payload nested 5000 deep": "malformed_response",
    "signed payload of 1 MB": "malformed_response",
    "header over 2 KB": "malformed_response",
    "token of 20 MB": "malformed_response",
    "token response of 200 KB of nested [": "malformed_response",
    "signed exp of 10**400": "invalid_claim",
    "signed iat of -(10**400)": "invalid_claim",
    "signed auth_time of 10**400": "invalid_claim",
    "signed exp of 1e308": "invalid_claim",
    "signed nbf of 10**400": "invalid_claim",
}


OVER_RESPONSE_BOUND = ("signed payload of 1 MB", "token of 20 MB")


@pytest.mark.parametrize("case", list(HOSTILE_ID_TOKENS))
def test_hostile_id_token_is_a_structured_login_error(tenant, settings, case, caplog):
    settings.SOCIAL_AUTH_AUTH0_MAX_AGE = 3600  # auth_time is checked too
    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    hostile_id_token(tenant, case, parse_qs(urlsplit(authorize).query)["nonce"][0])
    callback = tenant.login(authorize, ADA.email)
    with caplog.at_level(logging.DEBUG):
        response = client.get(
            urlsplit(callback).path, parse_qs(urlsplit(callback).query)
        )
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith("/login-error/")
    assert_nobody_logged_in(client, response)
    # social_django's exception middleware logs every AuthResponseError (any
    # ID token the tenant got wrong, a bad signature too) as a 502 at ERROR:
    # that one record is expected; a 500 or anything else at ERROR is not.
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    code = HOSTILE_ID_TOKENS[case]
    # A token answer over outbound.MAX_RESPONSE_BYTES is refused as it is read.
    at_exchange = case.startswith("token response") or case in OVER_RESPONSE_BOUND
    stage = "token_exchange" if at_exchange else "token_validation"
    assert [(r.name, r.getMessage()) for r in loud] == [
        (
            "social",
            f"Social authentication failure: code={code} source=provider_response "
            f"stage={stage} status=502",
        )
    ]
    rejections = [r for r in caplog.records if "login rejected" in r.getMessage()]
    assert len(rejections) == 1
    assert rejections[0].levelno == logging.WARNING
    assert f"AuthResponseError {code}" in rejections[0].getMessage()


huge_numbers = (
    st.integers(min_value=10**300, max_value=10**500)
    | st.integers(max_value=-(10**300), min_value=-(10**500))
    | st.floats(min_value=1e300, allow_infinity=False)
    | st.floats(max_value=-1e300, allow_infinity=False)
)


@FUZZ
@given(
    claims=st.dictionaries(
        st.sampled_from(
            ["exp", "iat", "nbf", "auth_time", "aud", "azp", "iss", "nonce", "sub"]
        ),
        json_values | huge_numbers,
        min_size=1,
    )
)
@example(claims={"exp": 10**400})
@example(claims={"auth_time": -(10**400)})
def test_signed_tokens_with_arbitrary_claims_never_fail_loudly(tenant, claims):
    """The tenant signs whatever claims; a login may fail, never with a 500."""
    with override_settings(SOCIAL_AUTH_AUTH0_MAX_AGE=3600):
        client = Client()
        authorize = client.post("/login/auth0/")["Location"]
        tenant.misbehave.id_token_claims = claims
        callback = tenant.login(authorize, ADA.email)
        response = client.get(
            urlsplit(callback).path, parse_qs(urlsplit(callback).query)
        )
    tenant.misbehave.reset()
    tenant.browser.cookies.clear()
    assert response.status_code == 302
    logged_in = "_auth_user_id" in client.session
    assert logged_in == (response["Location"] == "/done/")
