"""The site's API with several custom domains, the attacker's way: one user
holding tokens of two of the tenant's domains is still one caller."""

from __future__ import annotations

import pytest
import requests

from tests.support.tenants import ADA

pytestmark = [pytest.mark.urls("tests.support.api_urls")]

API = "https://api.example.com/"
THROTTLED = "/drf/throttled/"


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(scope="module")
def second(tenant) -> str:
    return tenant.add_custom_domain("localhost")


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings, second):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = [second]
    return use_tenant


def call(live_server, path, token):
    return requests.get(
        f"{live_server.url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_tokens_of_two_domains_are_one_caller(live_server, tenant, second):
    """The domains are one tenant (its identities are the tenant's issuer and
    ``sub``): a user switching to another custom domain's token gets no
    second rate-limit bucket, and caches keyed on ``pk`` see one caller."""
    tokens = []
    for domain in (tenant.domain, second):
        with tenant.on_domain(domain):
            tokens.append(tenant.access_token_for(ADA))
    first, other = tokens

    pks = {call(live_server, "/api/whoami/", token).json()["pk"] for token in tokens}
    codes = [call(live_server, THROTTLED, first).status_code for _ in range(3)]
    codes.append(call(live_server, THROTTLED, other).status_code)

    assert len(pks) == 1
    assert codes == [200, 200, 200, 429]
