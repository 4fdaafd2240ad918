"""Hostile logout tokens POSTed to the real /auth0/backchannel-logout/ (over
HTTP, to the live server) the way an attacker would: each one is the
structured 400 with ``no-store``, ends nothing, and logs one WARNING without a
traceback: never a 500 and never an ERROR record."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import requests
from django.test import Client

from social_auth0.models import Auth0Session
from social_auth0.sessions import SESSION_KEY
from social_auth0.testing import Auth0Tenant
from social_auth0.testing.keys import b64url
from tests.support.tenants import ADA, BACKCHANNEL, complete_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("use_tenant"),
]

# The documented bounds (README, tokens.py), in characters.
MAX_HEADER_LENGTH = 2048
MAX_LOGOUT_TOKEN_LENGTH = 8192


@pytest.fixture(scope="module")
def tenant_options(live_server):
    return {"backchannel_logout_urls": [f"{live_server.url}{BACKCHANNEL}"]}


def signed(tenant: Auth0Tenant, header: bytes, payload: bytes) -> str:
    """A compact JWS of raw ``header`` and ``payload`` bytes, really signed with
    the tenant's current key: what only a compromised tenant could send, and
    the worst a parser can meet after the signature checks out."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    signature = tenant.keys.get().sign(signing_input.encode(), "RS256")
    return f"{signing_input}.{b64url(signature)}"


def good_header(tenant: Auth0Tenant) -> bytes:
    return json.dumps(
        {"alg": "RS256", "typ": "JWT", "kid": tenant.signing_kid}
    ).encode()


def good_claims(tenant: Auth0Tenant, sid: str) -> dict:
    payload = tenant.logout_token(sid=sid).split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def hostile_tokens(tenant: Auth0Tenant, sid: str) -> dict[str, str]:
    claims = good_claims(tenant, sid)
    payload = json.dumps(claims).encode()
    nested = b"[" * 5000 + b"]" * 5000
    deep_object = b'{"a":' * 1000 + b"1" + b"}" * 1000
    return {
        # The report: a 200 KB JWS header of nested "[" (RecursionError in jose).
        "header of 200 KB of nested [": (
            f"{b64url(b'[' * 200_000)}.{b64url(payload)}.{b64url(b'x' * 256)}"
        ),
        # Deep nesting within the size bounds still recurses: caught, not sized.
        "header nested 1500 deep": f"{b64url(b'[' * 1500)}.{b64url(payload)}.sig",
        "header object nested 1000 deep": (
            f"{b64url(deep_object)}.{b64url(payload)}.sig"
        ),
        "alg a deeply nested list": signed(
            tenant, b'{"alg":' + b"[" * 700 + b"]" * 700 + b"}", payload
        ),
        "signed payload nested 5000 deep": signed(
            tenant, good_header(tenant), payload[:-1] + b',"x":' + nested + b"}"
        ),
        "signed exp of 10**400": tenant.logout_token(sid=sid, exp=10**400),
        "signed iat of -10**400": tenant.logout_token(sid=sid, iat=-(10**400)),
        "signed exp of 1e308": tenant.logout_token(sid=sid, exp=1e308),
        "signed iss a deeply nested list": signed(
            tenant,
            good_header(tenant),
            json.dumps({**claims, "iss": None})
            .encode()
            .replace(b'"iss": null', b'"iss": ' + b"[" * 900 + b"]" * 900),
        ),
        "signed token over the logout size": tenant.logout_token(
            sid=sid, padding="x" * MAX_LOGOUT_TOKEN_LENGTH
        ),
        "header over its size": (
            f"{b64url(b' ' * MAX_HEADER_LENGTH + good_header(tenant))}"
            f".{b64url(payload)}.sig"
        ),
        "signature of 1 MB": f"{b64url(good_header(tenant))}.{b64url(payload)}."
        + "A" * 1_000_000,
        "two dots and nothing else": "..",
        "non-ASCII": "é.é.é",
        "NUL bytes": "\x00.\x00.\x00",
    }


CASES = [
    "header of 200 KB of nested [",
    "header nested 1500 deep",
    "header object nested 1000 deep",
    "alg a deeply nested list",
    "signed payload nested 5000 deep",
    "signed exp of 10**400",
    "signed iat of -10**400",
    "signed exp of 1e308",
    "signed iss a deeply nested list",
    "signed token over the logout size",
    "header over its size",
    "signature of 1 MB",
    "two dots and nothing else",
    "non-ASCII",
    "NUL bytes",
]


def login(tenant: Auth0Tenant) -> Client:
    client = Client()
    assert complete_login(client, tenant, ADA.email, ADA.password).status_code == 302
    return client


def assert_refused_quietly(response: requests.Response, caplog) -> None:
    assert response.status_code == 400, response.text[:300]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "invalid logout token",
    }
    assert not Auth0Session.objects.filter(revoked_at__isnull=False).exists()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.exc_info] == []
    rejections = [r for r in caplog.records if "logout rejected" in r.getMessage()]
    assert len(rejections) == 1
    assert rejections[0].levelno == logging.WARNING


@pytest.mark.parametrize("case", CASES)
def test_hostile_logout_token_is_a_quiet_400(tenant, live_server, case, caplog):
    client = login(tenant)
    token = hostile_tokens(tenant, client.session[SESSION_KEY]["sid"])[case]
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = requests.post(
            f"{live_server.url}{BACKCHANNEL}", data={"logout_token": token}, timeout=30
        )
    assert_refused_quietly(response, caplog)
    assert client.get("/done/").content != b"done:"  # still logged in


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): Django logs ERROR itself.
        (b"logout_token=" + b"A" * 3_000_000, "application/x-www-form-urlencoded"),
        # Over DATA_UPLOAD_MAX_NUMBER_FIELDS (1000).
        (
            b"&".join(b"f%d=1" % i for i in range(1500)),
            "application/x-www-form-urlencoded",
        ),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"--x\r\nbroken", "multipart/form-data"),
    ],
    ids=["body over 2.5 MB", "1500 fields", "broken multipart", "no boundary"],
)
def test_unreadable_body_is_a_quiet_400(live_server, body, content_type, caplog):
    with caplog.at_level(logging.DEBUG):
        response = requests.post(
            f"{live_server.url}{BACKCHANNEL}",
            data=body,
            headers={"Content-Type": content_type},
            timeout=30,
        )
    assert_refused_quietly(response, caplog)


def test_a_good_token_still_ends_the_session(tenant, live_server):
    client = login(tenant)
    answer = tenant.send_backchannel_logout(
        f"{live_server.url}{BACKCHANNEL}", sid=client.session[SESSION_KEY]["sid"]
    )
    assert answer.status_code == 200
    assert client.get("/done/").content == b"done:"
