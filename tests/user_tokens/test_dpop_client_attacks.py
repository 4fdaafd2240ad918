"""``AccessTokenAuth`` against hostile APIs, the attacker's way: real keys,
tokens from the tenant emulator, APIs that are real HTTP servers on loopback
(``tests.support.hostile``) answering what an attacker would."""

from __future__ import annotations

import pytest
import requests

from social_auth0.access import AccessTokenAuth
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


def test_a_redirect_to_another_host_carries_no_token_and_no_proof(tenant):  # noqa: F811
    """The API redirects elsewhere; requests follows (and drops Authorization
    for another host). The other host gets neither the token nor a proof,
    and its use_dpop_nonce answer gets it no freshly signed proof either."""
    seen: list[dict[str, str]] = []

    def elsewhere(handler):
        seen.append({k.lower(): v for k, v in handler.headers.items()})
        handler.reply(401, b"{}", NONCE_CHALLENGE)

    request = request_of(login(tenant))
    with HostileServer(elsewhere) as other:
        target = other.url.replace("127.0.0.1", "localhost") + "/collect"

        def api(handler):
            handler.reply(307, b"", [("Location", target)])

        with HostileServer(api) as redirecting:
            response = requests.get(
                f"{redirecting.url}/items", auth=AccessTokenAuth(request), timeout=5
            )

    assert response.status_code == 401
    assert len(seen) == 1
    assert "authorization" not in seen[0]
    assert "dpop" not in seen[0]
