"""docs/api.rst's and docs/access.rst's settings and views, run as they stand:
the views become an app of a site (a package on sys.path) that is called with
the emulator's real tokens, and the settings draw no system check message."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from django.core import checks
from django.test import override_settings

from social_auth0.checks.api import check_api_options

from .support.docs import doc_block, files_of

API_PAGE = files_of(doc_block("docs/api.rst", "api-protect"))


def block_settings(text: str) -> dict[str, object]:
    values: dict[str, object] = {}
    exec(compile(text, "settings.py", "exec"), values)  # noqa: S102
    return {k: v for k, v in values.items() if k.isupper()}


@pytest.fixture
def api_site(settings, tmp_path) -> Iterator[None]:
    """The page's settings.py applied, its views.py and urls.py an app."""
    package = tmp_path / "reportsapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("views.py", "urls.py"):
        (package / name).write_text(API_PAGE[name])
    for name, value in block_settings(API_PAGE["settings.py"]).items():
        setattr(settings, name, value)
    settings.ROOT_URLCONF = "reportsapp.urls"
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("reportsapp")]:
        del sys.modules[name]


@pytest.mark.parametrize("url", ["/api/reports/", "/api/drf/reports/"])
def test_the_api_pages_views_answer_as_it_says(api_site, auth0_tenant, client, url):
    sub = auth0_tenant.users["ada@example.com"].sub
    granted = auth0_tenant.bearer_headers("ada@example.com", scopes=["read:reports"])
    answer = client.get(url, headers=granted)
    assert (answer.status_code, answer.json()) == (200, {"caller": sub})
    other = auth0_tenant.bearer_headers("ada@example.com", scopes=["write:reports"])
    refused = client.get(url, headers=other)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused["WWW-Authenticate"]
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == (
        'Bearer realm="api", DPoP realm="api", algs="ES256 ES384 RS256 PS256 EdDSA"'
    )


def test_the_error_bodies_are_the_ones_the_page_names(api_site, auth0_tenant, client):
    """Plain views: ``error`` and ``error_description``; without a token only
    ``error_description`` (RFC 6750 section 3.1)."""
    other = auth0_tenant.bearer_headers("ada@example.com", scopes=["write:reports"])
    refused = client.get("/api/reports/", headers=other).json()
    assert refused.keys() == {"error", "error_description"}
    assert refused["error"] == "insufficient_scope"
    assert client.get("/api/reports/").json().keys() == {"error_description"}


def test_the_access_pages_settings_draw_no_check_message():
    values = block_settings(doc_block("docs/access.rst", "access-settings"))
    with override_settings(**values):
        assert checks.run_checks(tags=["social_auth0"]) == []


def test_the_dpop_settings_draw_no_check_message_and_require_dpop(
    api_site, auth0_tenant, client
):
    """docs/api.rst's DPoP settings: a bearer token is refused, a DPoP-bound
    token with a proof and the server's nonce is let in."""
    values = block_settings(doc_block("docs/api.rst", "api-dpop-settings"))
    with override_settings(**values):
        assert check_api_options() == []
        url = "http://testserver/api/reports/"
        bearer = auth0_tenant.bearer_headers("ada@example.com", scopes=["read:reports"])
        assert client.get("/api/reports/", headers=bearer).status_code == 401
        headers = auth0_tenant.dpop_headers(
            "GET", url, "ada@example.com", scopes=["read:reports"]
        )
        first = client.get("/api/reports/", headers=headers)
        assert first.json()["error"] == "use_dpop_nonce"
        token = headers["Authorization"].removeprefix("DPoP ")
        proof = auth0_tenant.dpop_key.headers(
            "GET", url, token, nonce=first["DPoP-Nonce"]
        )
        assert client.get("/api/reports/", headers=proof).status_code == 200
