"""The emulator's APIs: access tokens for an audience and the client_credentials
grant, over real HTTP, shaped and refused as Auth0 does."""

from __future__ import annotations

import pytest
import requests
from jose import jwt

from social_auth0.testing import Application, Auth0Tenant, TenantUser
from social_auth0.testing.apis import Api

API = "https://api.example.com/"
ADA = TenantUser("ada@example.com", permissions=["read:reports"])


@pytest.fixture(scope="module")
def tenant():
    with Auth0Tenant(users=[ADA], apis=[API]) as tenant:
        tenant.add_application(Application("m2m", "m2m-secret"))
        tenant.authorize_client("m2m", API, ["read:reports", "write:reports"])
        yield tenant


def decode(tenant, token):
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        tenant.jwks,
        algorithms=["RS256"],
        audience=API,
        issuer=tenant.issuer,
        options={"verify_at_hash": False},
    )
    return header, claims


def client_credentials(tenant, **form):
    data = {"grant_type": "client_credentials", "client_id": "m2m"}
    data["client_secret"] = "m2m-secret"  # noqa: S105
    data.update(form)
    return requests.post(f"{tenant.base_url}/oauth/token", data=data, timeout=10)


def test_client_credentials_issues_an_m2m_token(tenant):
    answer = client_credentials(tenant, audience=API, scope="read:reports")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read:reports"
    header, claims = decode(tenant, body["access_token"])
    assert header["typ"] == "JWT"
    assert claims["sub"] == "m2m@clients"
    assert claims["azp"] == "m2m"
    assert claims["gty"] == "client-credentials"
    assert claims["aud"] == API
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_client_credentials_without_scope_gets_every_granted_scope(tenant):
    answer = client_credentials(tenant, audience=API)
    assert answer.json()["scope"] == "read:reports write:reports"


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        ({}, 403, "access_denied", "No audience parameter was provided"),
        ({"audience": "https://nope/"}, 403, "access_denied", "Service not found"),
        ({"audience": API, "scope": "delete:all"}, 403, "access_denied", "delete:all"),
        (
            {"audience": API, "client_secret": "wrong"},
            401,
            "access_denied",
            "Unauthorized",
        ),
    ],
)
def test_client_credentials_refusals(tenant, form, status, error, description):
    answer = client_credentials(tenant, **form)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert description in answer.json()["error_description"]


def test_client_without_a_grant_is_refused(tenant):
    tenant.add_application(Application("ungranted", "s3cret"))
    answer = client_credentials(
        tenant,
        client_id="ungranted",
        client_secret="s3cret",
        audience=API,  # noqa: S106
    )
    assert answer.status_code == 403
    assert "not authorized" in answer.json()["error_description"]


def test_access_token_for_a_user(tenant):
    token = tenant.access_token_for(ADA, scopes=["read:reports"], openid=True)
    _, claims = decode(tenant, token)
    assert claims["sub"] == ADA.sub
    assert claims["aud"] == [API, f"{tenant.issuer}userinfo"]
    assert claims["scope"] == "openid read:reports"
    assert "permissions" not in claims
    assert tenant.bearer_headers(ADA)["Authorization"].startswith("Bearer ey")


def test_rbac_and_rfc9068_shapes(tenant):
    tenant.add_api(Api("https://rbac/", add_permissions=True, profile="rfc9068"))
    token = tenant.access_token_for(ADA, audience="https://rbac/", scopes=["a", "b"])
    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header["typ"] == "at+jwt"
    assert claims["permissions"] == ["a", "b"]
    assert claims["client_id"] == tenant._default_client_id()
    assert "azp" not in claims and claims["jti"]


def test_access_token_needs_an_api_or_audience():
    with Auth0Tenant(users=[ADA]) as bare, pytest.raises(ValueError, match="add_api"):
        bare.access_token_for(ADA)
