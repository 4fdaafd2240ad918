"""The README's "Testing your API" examples, verbatim: what users copy must work.

The site under test is tests/api_urls.py, with the API_AUDIENCE a user's
settings would have."""

import pytest

pytestmark = pytest.mark.urls("tests.api_urls")


@pytest.fixture(autouse=True)
def api_audience(settings):  # in a user's project: settings.py
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"


def test_reports_need_read_reports(auth0_tenant, client):
    headers = auth0_tenant.bearer_headers("ada@example.com", scopes=["read:reports"])
    assert client.get("/api/reports/", headers=headers).status_code == 200
    headers = auth0_tenant.bearer_headers("ada@example.com", scopes=["write:reports"])
    assert client.get("/api/reports/", headers=headers).status_code == 403


def test_a_service_calls_the_api(auth0_tenant, client):
    token = auth0_tenant.machine_token(scopes=["read:reports"])  # sub: <client>@clients
    response = client.get("/api/reports/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
