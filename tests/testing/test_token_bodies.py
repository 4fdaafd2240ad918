"""``POST /oauth/token`` reads JSON bodies as Auth0 does (any header case),
form bodies, and refuses malformed or oversized ones with ``invalid_request``;
docs/testing.rst's constructor example runs as written."""

from __future__ import annotations

import contextlib
import io
import json
import socket

import pytest
import requests

from social_auth0.testing import Auth0Tenant
from social_auth0.testing.wire import MAX_BODY
from tests.support.docs import doc_block

API = "https://api.example.com/"
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "test-client-id",
    "client_secret": "test-client-secret",
    "audience": API,
}
TIMEOUT = 10


@pytest.fixture
def tenant():
    with Auth0Tenant(apis=[API]) as tenant:
        tenant.authorize_client("test-client-id", API, ["read:reports"])
        yield tenant


def post(tenant: Auth0Tenant, body: bytes, **headers: str) -> requests.Response:
    return requests.post(
        f"{tenant.base_url}/oauth/token", data=body, headers=headers, timeout=TIMEOUT
    )


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"],
)
@pytest.mark.parametrize("header_name", ["Content-Type", "content-type"])
def test_json_credentials_get_a_token(tenant, header_name, content_type):
    body = json.dumps(CREDENTIALS).encode()
    answer = post(tenant, body, **{header_name: content_type})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "read:reports"
    assert answer.json()["token_type"] == "Bearer"


def test_form_credentials_get_a_token(tenant):
    answer = requests.post(
        f"{tenant.base_url}/oauth/token", data=CREDENTIALS, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_in"] == 86400


def test_wrong_json_credentials_are_still_unauthorized(tenant):
    body = json.dumps({**CREDENTIALS, "client_secret": "wrong"}).encode()
    answer = post(tenant, body, **{"content-type": "application/json"})
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "access_denied",
        "error_description": "Unauthorized",
    }


@pytest.mark.parametrize(
    "body, description",
    [
        (b'{"grant_type": "client_credentials",', "The request body is not valid JSON"),
        (b"[1, 2]", "The request body must be a JSON object"),
        (b'"client_credentials"', "The request body must be a JSON object"),
        # Nested past Python's recursion limit, under MAX_BODY: json.loads
        # raises RecursionError, which must not kill the request unanswered.
        (b"[" * 30000 + b"]" * 30000, "The request body is not valid JSON"),
        (b'{"a":' * 9000 + b"1" + b"}" * 9000, "The request body is not valid JSON"),
        # Deeper than any token request, yet parsed by every Python: refused
        # the same on 3.11 as on 3.13+ (which parse any depth).
        (b'{"a":' * 17 + b"1" + b"}" * 17, "The request body is not valid JSON"),
    ],
)
def test_malformed_json_is_an_invalid_request(tenant, body, description):
    answer = post(tenant, body, **{"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": description,
    }
    assert tenant.count("/oauth/token") == 1  # logged like any other request


def test_an_oversized_body_is_refused_unread(tenant):
    body = json.dumps({**CREDENTIALS, "padding": "x" * MAX_BODY}).encode()
    answer = post(tenant, body, **{"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "invalid_request"
    # A body of exactly the limit is read.
    body = json.dumps(CREDENTIALS).encode()
    body += b" " * (MAX_BODY - len(body))
    assert post(tenant, body, **{"Content-Type": "application/json"}).ok


def test_a_bad_content_length_is_an_invalid_request(tenant):
    host, port = tenant.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
        )
        answer = sock.makefile("rb").read().decode()
    assert answer.startswith("HTTP/1.0 400 ")
    assert '"error": "invalid_request"' in answer


def test_the_constructor_example_runs_as_written():
    block = doc_block("docs/testing.rst", "testing-constructor-example")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, {})  # noqa: S102
    assert printed.getvalue() == "read:reports 600\n"
    # and the comment on that line says what it prints
    assert 'print(answer["scope"], answer["expires_in"])   # read:reports 600' in block


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"grant_type": "client_credentials"}', 1),
        ("[[1], [[2]]]", 3),
        ('{"a": "[[[{{{"}', 1),  # brackets in a string do not nest
        ('{"a": "x\\"", "b": [1]}', 2),  # an escaped quote ends no string
        ('{"a": "x\\\\", "b": [1]}', 2),  # an escaped backslash does not escape
    ],
)
def test_json_depth_skips_strings(text, depth):
    from social_auth0.testing.wire import _json_depth

    assert _json_depth(text) == depth
