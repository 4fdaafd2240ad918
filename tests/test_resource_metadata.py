"""RFC 9728 Protected Resource Metadata: the URL derived from the API
identifier (section 3.1), the document served there (section 2, from the
settings alone), and ``resource_metadata`` in every 401 challenge of a
protected view, plain, DRF or Ninja (section 5.1)."""

from __future__ import annotations

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from social_auth0.contrib.ninja import Auth0Bearer, add_error_handler
from social_auth0.jwt import dpop
from social_auth0.resource_metadata import metadata_url
from tests.support.tenants import ADA

pytestmark = [pytest.mark.urls("tests.support.well_known_urls")]

ROOT = "https://api.example.com/"
MCP = "https://api.example.com/mcp"
ROOT_METADATA = "https://api.example.com/.well-known/oauth-protected-resource"
MCP_METADATA = "https://api.example.com/.well-known/oauth-protected-resource/mcp"


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [ROOT, MCP]}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = [ROOT, MCP]
    settings.SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA = True


@pytest.mark.parametrize(
    ("resource", "url"),
    [
        (ROOT, ROOT_METADATA),
        ("https://api.example.com", ROOT_METADATA),
        (MCP, MCP_METADATA),
        ("https://api.example.com/mcp/", MCP_METADATA + "/"),
        (
            "https://api.example.com:8443/a/b?x=1",
            "https://api.example.com:8443/.well-known/oauth-protected-resource/a/b?x=1",
        ),
    ],
)
def test_metadata_url_inserts_the_well_known_path_after_the_host(resource, url):
    assert metadata_url(resource) == url


# -- the document -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/.well-known/oauth-protected-resource", ROOT),
        ("/.well-known/oauth-protected-resource/mcp", MCP),
    ],
)
def test_metadata_names_the_resource_and_the_tenant(
    client, tenant, path, resource, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.json() == {
        "resource": resource,
        "authorization_servers": [tenant.issuer],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": [
            "ES256",
            "ES384",
            "RS256",
            "PS256",
            "EdDSA",
        ],
        "dpop_bound_access_tokens_required": False,
    }
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("mode", "members"),
    [
        ("required", {"dpop_bound_access_tokens_required": True}),
        ("allowed", {"dpop_bound_access_tokens_required": False}),
        ("disabled", {}),
    ],
)
def test_metadata_says_what_api_dpop_takes(client, settings, mode, members):
    """RFC 9728 section 2: DPoP's algorithms and whether bound tokens are
    required, as API_DPOP says; none of it when DPoP is disabled."""
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = mode
    body = client.get("/.well-known/oauth-protected-resource/mcp").json()
    dpop_members = {k: v for k, v in body.items() if k.startswith("dpop_")}
    algs = {"dpop_signing_alg_values_supported": list(dpop.ALGORITHMS)}
    assert dpop_members == ({**algs, **members} if members else {})


def test_metadata_lists_the_scopes_setting(client, settings):
    settings.SOCIAL_AUTH_AUTH0_API_SCOPES_SUPPORTED = ["read:reports", "write:reports"]
    body = client.get("/.well-known/oauth-protected-resource/mcp").json()
    assert body["scopes_supported"] == ["read:reports", "write:reports"]


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-protected-resource/other",
        "/.well-known/oauth-protected-resource/mcp/",
    ],
)
def test_metadata_of_no_configured_resource_is_404(client, path):
    assert client.get(path).status_code == 404


SHOP_MCP = "https://shop.example.com/mcp"


def test_two_hosts_one_path_each_get_their_own_resource(client, settings):
    """Section 3.3: a client uses the metadata only if its ``resource`` is the
    URL it derived the metadata URL from. Two identifiers on two hosts with
    one path: each host's metadata and each host's 401 name its own."""
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = [MCP, SHOP_MCP]
    settings.ALLOWED_HOSTS = ["api.example.com", "shop.example.com"]
    path = "/.well-known/oauth-protected-resource/mcp"
    for resource, host in [(MCP, "api.example.com"), (SHOP_MCP, "shop.example.com")]:
        assert client.get(path, HTTP_HOST=host).json()["resource"] == resource
        challenge = client.get("/api/reports/", HTTP_HOST=host)["WWW-Authenticate"]
        assert f'resource_metadata="{metadata_url(resource)}"' in challenge


def test_metadata_switched_off_is_404(client, settings):
    settings.SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA = False
    assert client.get("/.well-known/oauth-protected-resource").status_code == 404


def test_metadata_is_read_only(client):
    assert client.post("/.well-known/oauth-protected-resource").status_code == 405


# -- the challenge ------------------------------------------------------------------


def _ninja_client() -> TestClient:
    api = NinjaAPI(urls_namespace="metadata-api")
    add_error_handler(api)

    @api.get("/reports", auth=Auth0Bearer(scopes=["read:reports"]))
    def reports(request):
        return {}

    return TestClient(api)


def _named(metadata: str) -> str:
    """The 401 challenge naming ``metadata``: Bearer's, then DPoP's (the
    default ``API_DPOP = "allowed"`` takes both schemes)."""
    named = f'resource_metadata="{metadata}"'
    return f'Bearer realm="api", {named}, DPoP realm="api", algs="{ALGS}", {named}'


ALGS = " ".join(dpop.ALGORITHMS)


@pytest.mark.parametrize("url", ["/api/reports/", "/drf/reports/"])
def test_a_401_names_the_metadata(client, url):
    assert client.get(url)["WWW-Authenticate"] == _named(ROOT_METADATA)


@pytest.mark.parametrize("url", ["/api/reports/", "/drf/reports/"])
def test_a_401_of_a_bearer_only_api_names_it_once(client, settings, url):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "disabled"
    challenge = client.get(url)["WWW-Authenticate"]
    assert challenge == f'Bearer realm="api", resource_metadata="{ROOT_METADATA}"'


def test_a_401_for_a_bad_token_names_it_too(client):
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}
    challenge = client.get("/api/reports/", headers=forged)["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api", error="invalid_token"')
    assert challenge.endswith(f', resource_metadata="{ROOT_METADATA}"')


def test_a_ninja_401_names_the_metadata():
    response = _ninja_client().get("/reports")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == _named(ROOT_METADATA)


def test_the_challenge_names_the_resource_the_path_is_under(rf):
    from social_auth0.resource_metadata import challenge_url

    assert challenge_url(rf.get("/mcp")) == MCP_METADATA
    assert challenge_url(rf.get("/mcp/tools")) == MCP_METADATA
    assert challenge_url(rf.get("/mcpx")) == ROOT_METADATA
    assert challenge_url(rf.get("/api/reports/")) == ROOT_METADATA


@pytest.mark.parametrize("url", ["/api/reports/", "/drf/reports/"])
def test_a_403_does_not_name_the_metadata(client, tenant, url):
    headers = tenant.bearer_headers(ADA, scopes=["other"], audience=ROOT)
    response = client.get(url, headers=headers)
    assert response.status_code == 403
    assert "resource_metadata" not in response["WWW-Authenticate"]


@pytest.mark.parametrize("url", ["/api/reports/", "/drf/reports/"])
def test_switched_off_the_401_is_unchanged(client, settings, url):
    settings.SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA = False
    assert client.get(url)["WWW-Authenticate"] == (
        f'Bearer realm="api", DPoP realm="api", algs="{ALGS}"'
    )
