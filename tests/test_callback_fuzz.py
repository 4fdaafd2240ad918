"""Hypothesis feeds mutated ID tokens and random callback parameters through
/complete/auth0/: whatever arrives, never a 500 and never a login."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from social_auth0.testing import TenantUser

from .conftest import make_tenant, point_django_at

pytestmark = pytest.mark.django_db(transaction=True)

ADA = TenantUser(email="ada@example.com", password="correct horse")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    # too_slow times input generation: on a loaded machine it fails the test
    # for the machine's sake (tests assert counts, never durations).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def tenant():
    with make_tenant(ADA) as tenant:
        yield tenant


@pytest.fixture(autouse=True)
def use_tenant(tenant, settings):
    point_django_at(tenant, settings)


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
