"""docs/mcp.rst run as it stands: its settings and its MCP endpoint become a
site on a live server, and its client starts from a bare 401, finds the
tenant through the metadata alone, gets a client_credentials token from the
emulator and calls the endpoint with it. The API identifier is the live
server's URL (the page's is https://mcp.example.com/mcp, which a test cannot
serve)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
import requests

from social_auth0.checks import resource_metadata
from tests.support.docs import doc_block, files_of

SITE = files_of(doc_block("docs/mcp.rst", "mcp-server"))
CLIENT_ID, CLIENT_SECRET = "mcp-client-id", "mcp-client-secret"


def run_block(text: str) -> dict[str, object]:
    """The names a block defines when run."""
    values: dict[str, object] = {}
    exec(compile(text, "block.py", "exec"), values)  # noqa: S102
    return values


def page_settings() -> dict[str, object]:
    values = run_block(doc_block("docs/mcp.rst", "mcp-settings"))
    return {k: v for k, v in values.items() if k.isupper()}


def page_client() -> dict[str, object]:
    return run_block(doc_block("docs/mcp.rst", "mcp-client"))


@pytest.fixture
def mcp_url(live_server, tenant, use_tenant, settings, tmp_path) -> Iterator[str]:
    from social_auth0.testing import Application

    url = f"{live_server.url}/mcp"
    package = tmp_path / "mcpsite"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in SITE.items():
        (package / name).write_text(text)
    for name, value in page_settings().items():
        setattr(settings, name, value)
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = url
    settings.ROOT_URLCONF = "mcpsite.urls"
    tenant.add_api(url, ["tools:read"])
    tenant.add_application(Application(CLIENT_ID, CLIENT_SECRET))
    tenant.authorize_client(CLIENT_ID, url, ["tools:read"])
    sys.path.insert(0, str(tmp_path))
    yield url
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("mcpsite")]:
        del sys.modules[name]


def test_a_client_finds_the_tenant_from_a_bare_401(mcp_url, tenant):
    resource, discovery = page_client()["discover"](mcp_url)
    assert (resource, discovery["issuer"]) == (mcp_url, tenant.issuer)
    grant = requests.post(
        discovery["token_endpoint"],
        json={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "audience": resource,
        },
        timeout=10,
    ).json()
    answer = requests.post(
        mcp_url,
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        headers={"Authorization": f"Bearer {grant['access_token']}"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {"tools": [{"name": "whoami", "inputSchema": {"type": "object"}}]},
    }


def test_the_metadata_and_challenge_are_the_pages(mcp_url, tenant):
    """The page's document and header, its URLs and issuer the live ones."""
    page_url, page_issuer = "https://mcp.example.com", "https://tenant.eu.auth0.com/"
    live_url = mcp_url.removesuffix("/mcp")
    metadata = json.loads(doc_block("docs/mcp.rst", "mcp-metadata"))
    metadata["resource"] = metadata["resource"].replace(page_url, live_url)
    assert metadata["authorization_servers"] == [page_issuer]
    metadata["authorization_servers"] = [tenant.issuer]
    metadata_url = mcp_url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    assert requests.get(metadata_url, timeout=10).json() == metadata
    header = doc_block("docs/mcp.rst", "mcp-challenge").strip()
    challenge = requests.post(mcp_url, json={}, timeout=10).headers["WWW-Authenticate"]
    assert f"WWW-Authenticate: {challenge}" == header.replace(page_url, live_url)


def test_the_pages_site_draws_no_check_message(mcp_url):
    assert [
        *resource_metadata.check_resource_metadata(),
        *resource_metadata.check_scopes_supported(),
    ] == []
