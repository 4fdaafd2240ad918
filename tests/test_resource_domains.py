"""The site's API with a tenant of several custom domains: a token of any
configured domain is accepted (its keys fetched from that domain only), any
other issuer is refused without a single request; the RFC 9728 metadata lists
every domain. Plain views, DRF and the async path, over HTTP."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from tests.support.tenants import ADA

pytestmark = [pytest.mark.urls("tests.support.api_urls")]

API = "https://api.example.com/"
ENDPOINTS = pytest.mark.parametrize(
    "path", ["/api/whoami/", "/drf/whoami/", "/api/async-reports/"]
)


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


def jwks_hosts(tenant) -> list[str]:
    return [
        r.headers["Host"] for r in tenant.requests if r.path == "/.well-known/jwks.json"
    ]


@ENDPOINTS
def test_token_of_each_domain_is_accepted(live_server, tenant, second, path):
    for domain in (tenant.domain, second):
        with tenant.on_domain(domain):
            token = tenant.access_token_for(ADA, scopes=["read:reports"])
        response = call(live_server, path, token)
        assert response.status_code == 200, (domain, response.text)
    # Each domain's keys from that domain, once.
    assert sorted(jwks_hosts(tenant)) == sorted(
        [tenant.domain.removeprefix("http://"), second.removeprefix("http://")]
    )


@ENDPOINTS
@pytest.mark.parametrize(
    "issuer",
    [
        "https://evil.example/",
        "http://127.0.0.2:1/",
        "http://localhost:1/",  # a configured host name on another port
        None,
        ["http://localhost/"],
    ],
)
def test_unlisted_issuer_is_refused_without_a_request(
    live_server, tenant, path, issuer
):
    token = tenant.access_token_for(ADA, scopes=["read:reports"], iss=issuer)
    response = call(live_server, path, token)
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert tenant.requests == []  # not even the configured domains' keys


def test_token_of_a_domain_no_longer_configured_is_refused(
    live_server, tenant, second, settings
):
    with tenant.on_domain(second):
        token = tenant.access_token_for(ADA, scopes=["read:reports"])
    assert call(live_server, "/api/whoami/", token).status_code == 200
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = []
    tenant.clear_requests()
    assert call(live_server, "/api/whoami/", token).status_code == 401
    assert tenant.requests == []


def test_linked_user_is_the_same_for_every_domain(
    live_server, tenant, second, settings
):
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    user = get_user_model().objects.create_user("ada")
    UserSocialAuth.objects.create(
        user=user, provider="auth0", uid=tenant.user(ADA.email).sub
    )
    for domain in (tenant.domain, second):
        with tenant.on_domain(domain):
            token = tenant.access_token_for(ADA)
        response = call(live_server, "/api/whoami/", token)
        assert response.status_code == 200, (domain, response.text)


pytestmark.append(pytest.mark.django_db(transaction=True))


@pytest.mark.urls("tests.support.well_known_urls")
def test_resource_metadata_lists_every_domain(client, tenant, second, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/mcp"
    settings.SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA = True
    settings.ALLOWED_HOSTS = ["api.example.com"]
    path = "/.well-known/oauth-protected-resource/mcp"
    body = client.get(path, HTTP_HOST="api.example.com", secure=True).json()
    assert body["authorization_servers"] == [f"{tenant.domain}/", f"{second}/"]


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
    codes = [call(live_server, "/drf/throttled/", first).status_code for _ in range(3)]
    codes.append(call(live_server, "/drf/throttled/", other).status_code)

    assert len(pks) == 1
    assert codes == [200, 200, 200, 429]


@ENDPOINTS
def test_a_second_iss_after_a_configured_one_is_refused(live_server, tenant, path):
    """The first ``iss`` routes the token to that domain's keys unparsed; the
    verified claims (the last ``iss``, as JSON parsers read it) must match."""
    legit = tenant.access_token_for(ADA, scopes=["read:reports"])
    header, payload, _ = legit.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = json.dumps(claims, separators=(",", ":"))[:-1]
    forged += ',"iss":"https://evil.example/"}'
    body = base64.urlsafe_b64encode(forged.encode()).rstrip(b"=").decode()
    signed = f"{header}.{body}".encode()
    signature = tenant.keys.get(None).sign(signed, "RS256")
    token = (
        f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    )

    assert forged.startswith(f'{{"iss":"{tenant.issuer}"')
    assert call(live_server, path, legit).status_code == 200
    response = call(live_server, path, token)
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
