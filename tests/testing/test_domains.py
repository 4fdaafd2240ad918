"""The emulator's custom domains and session transfer tokens, over loopback."""

from __future__ import annotations

import requests
from jose import jwt

from social_auth0.testing import Auth0Tenant, TenantUser

ADA = TenantUser(email="ada@example.com", password="pw")
CALLBACK = "http://testserver/complete/auth0/"
TIMEOUT = 10


def claims_of(token: str) -> dict:
    return jwt.get_unverified_claims(token)


def test_each_domain_has_its_own_issuer_and_the_same_keys():
    with Auth0Tenant(callback_urls=[CALLBACK], users=[ADA]) as tenant:
        second = tenant.add_custom_domain("localhost")
        assert second == tenant.domain.replace("127.0.0.1", "localhost")
        for base in (tenant.domain, second):
            found = requests.get(
                f"{base}/.well-known/openid-configuration", timeout=TIMEOUT
            ).json()
            assert found["issuer"] == f"{base}/"
            assert found["jwks_uri"] == f"{base}/.well-known/jwks.json"
            assert found["authorization_endpoint"] == f"{base}/authorize"
            keys = requests.get(found["jwks_uri"], timeout=TIMEOUT).json()
            assert keys == tenant.jwks
        assert tenant.issuer == f"{tenant.domain}/"  # outside a request: the first


def test_a_login_at_a_domain_is_issued_by_it():
    with Auth0Tenant(callback_urls=[CALLBACK], users=[ADA]) as tenant:
        second = tenant.add_custom_domain("localhost")
        with tenant.on_domain(second):
            url = tenant.authorize_url(scope="openid", nonce="n")
            callback = tenant.login(url, ADA.email, ADA.password)
        code = dict(p.split("=") for p in callback.split("?")[1].split("&"))["code"]
        # The code is exchanged at the first domain: the token is still the
        # second's, whose /authorize issued the code.
        answer = requests.post(
            f"{tenant.domain}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": "test-client-id",
                "client_secret": "test-client-secret",
            },
            timeout=TIMEOUT,
        ).json()
        assert claims_of(answer["id_token"])["iss"] == f"{second}/"
        assert claims_of(answer["access_token"])["iss"] == f"{second}/"


def test_helper_tokens_follow_on_domain():
    with Auth0Tenant(users=[ADA], apis=["https://api.example.com/"]) as tenant:
        second = tenant.add_custom_domain("localhost")
        with tenant.on_domain(second):
            assert claims_of(tenant.access_token_for(ADA))["iss"] == f"{second}/"
            assert claims_of(tenant.logout_token(sid="s"))["iss"] == f"{second}/"
        assert claims_of(tenant.access_token_for(ADA))["iss"] == tenant.issuer


def test_session_transfer_token_logs_in_once_as_its_user():
    with Auth0Tenant(callback_urls=[CALLBACK], users=[ADA]) as tenant:
        token = tenant.session_transfer_token(ADA.email)
        url = tenant.authorize_url(session_transfer_token=token, state="s")
        first = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
        assert first.headers["Location"].startswith(f"{CALLBACK}?code=")
        assert "auth0_tenant_session=" in first.headers["Set-Cookie"]
        assert list(tenant.sessions.values()) == [ADA.email]
        again = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
        assert again.headers["Location"].startswith("/u/login?")


def test_unknown_session_transfer_token_shows_the_login_page():
    with Auth0Tenant(callback_urls=[CALLBACK], users=[ADA]) as tenant:
        url = tenant.authorize_url(session_transfer_token="forged-token-value")
        answer = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
        assert answer.headers["Location"].startswith("/u/login?")
        assert tenant.sessions == {}
