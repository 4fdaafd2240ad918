"""The emulator's enterprise features over loopback: private_key_jwt
assertions, /oauth/par (single use, 30 s, can be required), discovery, and
MFA demanded at refresh; the docs/testing.rst example runs as written."""

from __future__ import annotations

import contextlib
import io

import requests

from social_auth0.jwt import assertion
from social_auth0.testing import Auth0Tenant, ClientKey, TenantUser
from tests.support.docs import doc_block

CALLBACK = "http://127.0.0.1:8000/complete/auth0/"
API = "https://api.example.com/"
ADA = TenantUser("ada@example.com", "pw")


def test_the_enterprise_example_runs_as_written():
    block = doc_block("docs/testing.rst", "testing-enterprise-example")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, {})  # noqa: S102
    assert printed.getvalue() == "401 client_assertion aud is not the tenant's issuer\n"


def push(tenant: Auth0Tenant, **params: str) -> requests.Response:
    form = {
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s1",
        **params,
    }
    return requests.post(f"{tenant.domain}/oauth/par", data=form, timeout=5)


def authorize(tenant: Auth0Tenant, **query: str) -> requests.Response:
    return tenant.browser.get(
        f"{tenant.domain}/authorize", params=query, allow_redirects=False, timeout=5
    )


def test_par_is_advertised_single_use_and_expires():
    now = [1_800_000_000.0]
    with Auth0Tenant(
        callback_urls=[CALLBACK], users=[ADA], clock=lambda: now[0]
    ) as tenant:
        document = requests.get(
            f"{tenant.domain}/.well-known/openid-configuration", timeout=5
        ).json()
        assert document["pushed_authorization_request_endpoint"] == (
            f"{tenant.domain}/oauth/par"
        )
        answer = push(tenant)
        assert answer.status_code == 201
        assert answer.json()["expires_in"] == 30
        request_uri = answer.json()["request_uri"]
        assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
        first = authorize(tenant, client_id="test-client-id", request_uri=request_uri)
        assert first.status_code == 302 and "/u/login" in first.headers["Location"]
        assert (
            authorize(
                tenant, client_id="test-client-id", request_uri=request_uri
            ).status_code
            == 400
        )  # used

        late = push(tenant).json()["request_uri"]
        now[0] += 31
        assert (
            authorize(tenant, client_id="test-client-id", request_uri=late).status_code
            == 400
        )


def test_par_refuses_a_wrong_client_a_wrong_callback_and_another_clients_uri():
    with Auth0Tenant(callback_urls=[CALLBACK]) as tenant:
        assert push(tenant, client_secret="wrong").status_code == 401
        refused = push(tenant, redirect_uri="https://evil.example/cb")
        assert refused.status_code == 400
        request_uri = push(tenant).json()["request_uri"]
        assert (
            authorize(tenant, client_id="other", request_uri=request_uri).status_code
            == 400
        )


def test_required_par_refuses_a_plain_authorize_request():
    with Auth0Tenant(callback_urls=[CALLBACK]) as tenant:
        plain = {
            "client_id": "test-client-id",
            "redirect_uri": CALLBACK,
            "response_type": "code",
        }
        assert authorize(tenant, **plain).status_code == 302
        tenant.require_pushed_authorization_requests()
        assert authorize(tenant, **plain).status_code == 400


def test_a_tenant_without_par_neither_serves_nor_advertises_it():
    with Auth0Tenant(callback_urls=[CALLBACK]) as tenant:
        tenant.pushed_authorization_requests = False
        document = requests.get(
            f"{tenant.domain}/.well-known/openid-configuration", timeout=5
        ).json()
        assert "pushed_authorization_request_endpoint" not in document
        assert push(tenant).status_code == 404


def test_a_key_registered_as_pem_verifies_ps256_and_rs384():
    key = ClientKey()
    with Auth0Tenant(callback_urls=[CALLBACK]) as tenant:
        tenant.register_client_key(key.public_pem, accept_client_secret=True)
        for alg in ("PS256", "RS384"):
            answer = requests.post(
                f"{tenant.domain}/oauth/revoke",
                data={
                    "token": "x",
                    "client_assertion_type": assertion.ASSERTION_TYPE,
                    "client_assertion": key.assertion(tenant, alg=alg),
                },
                timeout=5,
            )
            assert answer.status_code == 200, answer.text
        # accept_client_secret=True: the secret still works
        secret = requests.post(
            f"{tenant.domain}/oauth/revoke",
            data={
                "token": "x",
                "client_id": "test-client-id",
                "client_secret": "test-client-secret",
            },
            timeout=5,
        )
        assert secret.status_code == 200


def test_both_a_secret_and_an_assertion_are_refused():
    key = ClientKey()
    with Auth0Tenant(callback_urls=[CALLBACK]) as tenant:
        tenant.register_client_key(key, accept_client_secret=True)
        answer = requests.post(
            f"{tenant.domain}/oauth/revoke",
            data={
                "token": "x",
                "client_secret": "test-client-secret",
                "client_assertion_type": assertion.ASSERTION_TYPE,
                "client_assertion": key.assertion(tenant),
            },
            timeout=5,
        )
        assert answer.status_code == 401


def refresh(tenant: Auth0Tenant, token: str) -> requests.Response:
    return requests.post(
        f"{tenant.domain}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": "test-client-id",
            "client_secret": "test-client-secret",
        },
        timeout=5,
    )


def code_for(tenant: Auth0Tenant, *, mfa: bool) -> str:
    url = tenant.authorize_url(
        audience=API,
        scope="openid offline_access",
        **(
            {
                "acr_values": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"
            }
            if mfa
            else {}
        ),
    )
    tenant.browser.cookies.clear()
    login = tenant.login_with_mfa if mfa else tenant.login
    callback = login(url, ADA.email, ADA.password)
    return callback.split("code=")[1].split("&")[0]


def refresh_token_for(tenant: Auth0Tenant, *, mfa: bool) -> str:
    answer = requests.post(
        f"{tenant.domain}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code_for(tenant, mfa=mfa),
            "redirect_uri": CALLBACK,
            "client_id": "test-client-id",
            "client_secret": "test-client-secret",
        },
        timeout=5,
    )
    return answer.json()["refresh_token"]


def test_mfa_at_refresh_until_the_user_logs_in_with_mfa():
    with Auth0Tenant(callback_urls=[CALLBACK], users=[ADA], apis=[API]) as tenant:
        token = refresh_token_for(tenant, mfa=False)
        tenant.require_mfa_at_refresh(API)
        refused = refresh(tenant, token)
        assert refused.status_code == 403
        assert refused.json()["error"] == "mfa_required"
        assert refused.json()["mfa_token"] == tenant.mfa.last_mfa_token
        assert tenant.state.refresh_token_state(token) == "active"  # not spent

        refresh_token_for(tenant, mfa=True)  # a login with MFA
        assert refresh(tenant, token).status_code == 200
