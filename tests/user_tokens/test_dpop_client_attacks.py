"""``AccessTokenAuth`` against hostile APIs, the attacker's way: real keys,
tokens from the tenant emulator, APIs that are real HTTP servers on loopback
(``tests.support.hostile``) answering what an attacker would."""

from __future__ import annotations

import io

import pytest
import requests

from social_auth0.access import AccessTokenAuth
from social_auth0.jwt import proof
from tests.support.hostile import HostileServer
from tests.user_tokens.test_access import login, request_of
from tests.user_tokens.test_dpop_client import tenant as tenant  # noqa: F401, PLC0414
from tests.user_tokens.test_dpop_client import (  # noqa: F401
    tenant_options as tenant_options,  # noqa: PLC0414
)
from tests.user_tokens.test_dpop_client import use_tenant as use_tenant  # noqa: F401, PLC0414

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.dpop_client_urls"),
]

NONCE_CHALLENGE = [
    ("WWW-Authenticate", 'DPoP error="use_dpop_nonce"'),
    ("DPoP-Nonce", "attacker-nonce"),
]


def get_items(tenant, api):
    """GET ``/items`` with the logged-in user's ``AccessTokenAuth`` from a
    hostile API answering with ``api``: the response, and the server (its
    ``url`` and ``received`` stay readable once it stopped)."""
    request = request_of(login(tenant))
    with HostileServer(api) as server:
        response = requests.get(
            f"{server.url}/items", auth=AccessTokenAuth(request), timeout=5
        )
    return response, server


def test_a_redirect_to_another_host_carries_no_token_and_no_proof(tenant):  # noqa: F811
    """The API redirects elsewhere; requests follows (and drops Authorization
    for another host). The other host gets neither the token nor a proof,
    and its use_dpop_nonce answer gets it no freshly signed proof either."""
    seen: list[dict[str, str]] = []

    def elsewhere(handler):
        seen.append({k.lower(): v for k, v in handler.headers.items()})
        handler.reply(401, b"{}", NONCE_CHALLENGE)

    with HostileServer(elsewhere) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/collect"

        def api(handler):
            handler.reply(307, b"", [("Location", target)])

        response, _ = get_items(tenant, api)

    assert response.status_code == 401
    assert len(seen) == 1
    assert "authorization" not in seen[0]
    assert "dpop" not in seen[0]


def test_a_hostile_challenge_is_not_parsed_at_length(tenant):  # noqa: F811
    """An API answering 401 with a DPoP-Nonce and a WWW-Authenticate of
    thousands of ``DPoP`` words (a backtracking pattern spends quadratic
    time on it; up to 100 such headers of 64 KB are joined): a challenge
    longer than any real one is no nonce demand, and is not retried."""
    challenge = "DPoP " * 1000 + 'error="use_dpop_nonce"'

    def api(handler):
        headers = [("WWW-Authenticate", challenge), ("DPoP-Nonce", "n")]
        handler.reply(401, b"{}", headers)

    response, hostile = get_items(tenant, api)

    assert response.status_code == 401
    assert len(hostile.received) == 1


def test_a_real_challenge_after_others_is_still_honoured(tenant):  # noqa: F811
    challenge = 'Bearer realm="api", DPoP algs="ES256 RS256", error="use_dpop_nonce"'
    statuses = iter([401, 200])

    def api(handler):
        headers = [("WWW-Authenticate", challenge), ("DPoP-Nonce", "n")]
        handler.reply(next(statuses), b"{}", headers)

    response, nonce_api = get_items(tenant, api)

    assert response.status_code == 200
    assert len(nonce_api.received) == 2


def test_a_redirect_after_the_nonce_retry_carries_no_proof_either(tenant):  # noqa: F811
    """The API demands a nonce, then redirects the retried request elsewhere
    (an open redirect): the other host still gets no token and no proof."""
    seen: list[dict[str, str]] = []

    def elsewhere(handler):
        seen.append({k.lower(): v for k, v in handler.headers.items()})
        handler.reply(404, b"{}")

    with HostileServer(elsewhere) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/collect"
        answers = iter([(401, NONCE_CHALLENGE), (307, [("Location", target)])])

        def api(handler):
            status, headers = next(answers)
            handler.reply(status, b"", headers)

        response, _ = get_items(tenant, api)

    assert response.status_code == 404
    assert len(seen) == 1
    assert "authorization" not in seen[0]
    assert "dpop" not in seen[0]


def test_the_nonce_retry_resends_a_file_body_whole(tenant):  # noqa: F811
    """A request whose body is a file: the API reads it, demands a nonce,
    and gets the retry with the same body (not a file read to its end)."""
    statuses = iter([401, 200])

    def api(handler):
        handler.reply(next(statuses), b"{}", NONCE_CHALLENGE)

    request = request_of(login(tenant))
    with HostileServer(api) as nonce_api:
        response = requests.post(
            f"{nonce_api.url}/upload",
            data=io.BytesIO(b"the payload"),
            auth=AccessTokenAuth(request),
            timeout=5,
        )

    assert response.status_code == 200
    assert [r.body for r in nonce_api.received] == [b"the payload"] * 2


def test_a_body_read_once_is_not_resent_empty(tenant):  # noqa: F811
    """A generator body cannot be sent twice: the nonce demand is the answer
    (the caller retries), never a retry with an empty body and a valid proof."""

    def api(handler):
        handler.reply(401, b"{}", NONCE_CHALLENGE)

    request = request_of(login(tenant))
    with HostileServer(api) as nonce_api:
        response = requests.post(
            f"{nonce_api.url}/upload",
            data=(part for part in (b"the ", b"payload")),
            headers={"Content-Length": "11"},
            auth=AccessTokenAuth(request),
            timeout=5,
        )

    assert response.status_code == 401
    assert [r.body for r in nonce_api.received] == [b"the payload"]


def test_an_api_demanding_nonces_forever_gets_one_retry(tenant):  # noqa: F811
    def api(handler):
        nonce = f"nonce-{len(handler.server.owner.received)}"
        headers = [NONCE_CHALLENGE[0], ("DPoP-Nonce", nonce)]
        handler.reply(401, b"{}", headers)

    response, greedy = get_items(tenant, api)

    assert response.status_code == 401
    assert len(greedy.received) == 2


def test_an_oversized_nonce_is_neither_signed_nor_kept(tenant):  # noqa: F811
    huge = "n" * (proof.MAX_NONCE_LENGTH + 1)

    def api(handler):
        handler.reply(401, b"{}", [NONCE_CHALLENGE[0], ("DPoP-Nonce", huge)])

    _, hostile = get_items(tenant, api)

    assert len(hostile.received) == 1
    assert proof.nonce_for(hostile.url) is None


def test_a_malformed_redirect_is_requests_own_error(tenant):  # noqa: F811
    """A hostile Location (a port out of range): the caller gets the error
    requests raises for it (a ``RequestException`` the site catches), not a
    ValueError from the hook."""

    def api(handler):
        handler.reply(307, b"", [("Location", "http://127.0.0.1:99999999/x")])

    request = request_of(login(tenant))
    with HostileServer(api) as hostile:
        with pytest.raises(requests.RequestException):
            requests.get(
                f"{hostile.url}/items", auth=AccessTokenAuth(request), timeout=5
            )
