"""DPoP as a client (jwt/proof.py, user_tokens/binding.py, access.py), over
loopback against the tenant emulator: the login's code exchange and every
refresh send a proof, retry once on ``use_dpop_nonce``, store the token's
binding; ``AccessTokenAuth`` calls a DPoP-protected view of the site."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from social_core.exceptions import AuthConfigurationError, SocialAuthBaseException

from social_auth0.access import (
    AccessTokenAuth,
    BearerAuth,
    ReauthenticationRequired,
    get_access_token,
)
from social_auth0.jwt import compact, proof
from social_auth0.testing import DpopKey
from tests.support.tenants import ADA
from tests.support.tokens import private_pem
from tests.user_tokens.test_access import (
    API,
    later,
    login,
    refreshes,
    request_of,
    store_tokens,
    stored,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.support.dpop_client_urls"),
]


KEY = private_pem(ec.generate_private_key(ec.SECP256R1()))
OTHER_KEY = private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(scope="module")
def tenant(tenant, live_server):
    tenant.applications["test-client-id"].access_token_lifetime = 300
    return tenant


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, tenant, settings):
    store_tokens(tenant, settings)
    settings.SOCIAL_AUTH_AUTH0_DPOP = True
    settings.SOCIAL_AUTH_AUTH0_DPOP_KEY = KEY
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API
    tenant.dpop_nonce = None
    proof.forget_nonces()
    yield
    tenant.dpop_nonce = None


def token_requests(tenant, grant_type: str) -> list:
    return [
        r
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == grant_type
    ]


def proof_claims(record) -> dict:
    (value,) = [v for k, v in record.headers.items() if k.lower() == "dpop"]
    return json.loads(compact.b64url_decode(value.split(".")[1]))


def cnf_of(token: str) -> dict:
    return json.loads(compact.b64url_decode(token.split(".")[1]))["cnf"]


# -- login and refresh ----------------------------------------------------------


def test_login_binds_the_token_to_the_key_and_stores_its_type(tenant):
    request = request_of(login(tenant))

    tokens = stored(request)
    jkt = proof.load_key(KEY).jkt
    assert (tokens.token_type, tokens.dpop_jkt) == ("DPoP", jkt)
    assert cnf_of(tokens.access_token) == {"jkt": jkt}
    (exchange,) = token_requests(tenant, "authorization_code")
    claims = proof_claims(exchange)
    assert claims["htm"] == "POST"
    assert claims["htu"] == f"{tenant.base_url}/oauth/token"
    assert "ath" not in claims and "nonce" not in claims


def test_login_retries_once_when_the_tenant_demands_a_nonce(tenant):
    tenant.dpop_nonce = "nonce-1"
    request = request_of(login(tenant))

    first, second = token_requests(tenant, "authorization_code")
    assert "nonce" not in proof_claims(first)
    assert proof_claims(second)["nonce"] == "nonce-1"
    assert (first.status, second.status) == (400, 200)
    assert stored(request).token_type == "DPoP"


def test_refresh_signs_with_the_bound_key_and_retries_the_nonce_once(
    tenant, monkeypatch
):
    request = request_of(login(tenant))
    tenant.dpop_nonce = "nonce-2"
    later(monkeypatch, 3600)

    token = get_access_token(request)

    sent = token_requests(tenant, "refresh_token")
    assert [r.status for r in sent] == [400, 200]
    assert proof_claims(sent[1])["nonce"] == "nonce-2"
    assert cnf_of(token) == {"jkt": proof.load_key(KEY).jkt}
    assert stored(request).token_type == "DPoP"

    # The nonce is remembered: the next refresh needs one request.
    later(monkeypatch, 7200)
    get_access_token(request)
    assert refreshes(tenant) == 3


def test_a_tenant_demanding_nonce_after_nonce_gets_two_requests_then_an_error(
    tenant, monkeypatch
):
    request = request_of(login(tenant))
    later(monkeypatch, 3600)
    original = proof.ProofAuth.retry

    def retry_with_a_stale_nonce(self):
        again = original(self)
        tenant.dpop_nonce = f"{tenant.dpop_nonce}-rotated"
        return again

    monkeypatch.setattr(proof.ProofAuth, "retry", retry_with_a_stale_nonce)
    tenant.dpop_nonce = "nonce-3"

    with pytest.raises(SocialAuthBaseException) as caught:
        get_access_token(request)

    assert refreshes(tenant) == 2
    assert caught.value.status_code == 400
    assert stored(request).refresh_ciphertext  # nothing was spent: kept


def test_a_bearer_answer_to_a_proof_is_stored_as_bearer_and_logged(
    tenant, settings, caplog
):
    tenant.applications["test-client-id"].require_proof_of_possession = False
    original = tenant.dpop_nonce

    import social_auth0.testing.oauth as emulator

    def ignoring_dpop(tenant_, request):
        return None, None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(emulator, "token_request_binding", ignoring_dpop)
        with caplog.at_level(logging.WARNING, "social_auth0.backend"):
            request = request_of(login(tenant))
    tenant.dpop_nonce = original

    assert stored(request).token_type == "Bearer"
    assert "issued a Bearer token" in caplog.text
    answer = requests.get(
        f"{tenant.base_url}/userinfo", auth=BearerAuth(request), timeout=5
    )
    assert answer.status_code == 200


# -- key rotation ---------------------------------------------------------------


def test_a_rotated_key_keeps_serving_the_tokens_bound_to_it(
    tenant, settings, monkeypatch
):
    request = request_of(login(tenant))
    old_jkt = proof.load_key(KEY).jkt
    settings.SOCIAL_AUTH_AUTH0_DPOP_KEY = OTHER_KEY
    settings.SOCIAL_AUTH_AUTH0_DPOP_OLD_KEYS = [KEY]
    later(monkeypatch, 3600)

    token = get_access_token(request)

    assert cnf_of(token) == {"jkt": old_jkt}
    assert stored(request).dpop_jkt == old_jkt
    # A new login binds to the new key.
    request = request_of(login(tenant))
    assert stored(request).dpop_jkt == proof.load_key(OTHER_KEY).jkt


def test_a_token_whose_key_is_gone_asks_to_log_in_again(tenant, settings, monkeypatch):
    request = request_of(login(tenant))
    settings.SOCIAL_AUTH_AUTH0_DPOP_KEY = OTHER_KEY
    later(monkeypatch, 3600)

    with pytest.raises(ReauthenticationRequired):
        get_access_token(request)
    assert refreshes(tenant) == 0  # never sent with a key Auth0 would refuse


def test_the_emulator_refuses_a_refresh_signed_by_another_key(tenant, monkeypatch):
    request = request_of(login(tenant))
    refresh_token = stored(request).refresh_token
    url = f"{tenant.base_url}/oauth/token"
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
    }
    for headers in ({"DPoP": DpopKey().proof("POST", url)}, {}):
        answer = requests.post(url, data=form, headers=headers, timeout=5)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_dpop_proof"


# -- calling APIs ---------------------------------------------------------------


def test_access_token_auth_calls_a_dpop_api_that_demands_a_nonce(
    tenant, settings, live_server
):
    settings.SOCIAL_AUTH_AUTH0_API_DPOP = "required"
    settings.SOCIAL_AUTH_AUTH0_API_DPOP_NONCE = True
    request = request_of(login(tenant))
    url = f"{live_server.url}/api/whoami/?page=2#top"

    first = requests.get(url, auth=AccessTokenAuth(request), timeout=5)
    second = requests.get(url, auth=AccessTokenAuth(request), timeout=5)

    assert first.status_code == 200, first.text
    assert first.json()["sub"] == ADA.sub
    assert [r.status_code for r in first.history] == [401]
    assert second.status_code == 200 and second.history == []  # nonce kept


def test_access_token_auth_proves_the_request_it_is_sent_with(tenant, live_server):
    request = request_of(login(tenant))
    sent = []

    def keep(response, **kwargs):
        sent.append(response.request)

    url = f"{live_server.url}/api/whoami/?q=1"
    requests.post(
        url, auth=AccessTokenAuth(request), hooks={"response": keep}, timeout=5
    )

    token = stored(request).access_token
    (prepared,) = sent
    assert prepared.headers["Authorization"] == f"DPoP {token}"
    claims = json.loads(compact.b64url_decode(prepared.headers["DPoP"].split(".")[1]))
    assert claims["htm"] == "POST"
    assert claims["htu"] == f"{live_server.url}/api/whoami/"
    assert claims["ath"] == proof.access_token_hash(token)


def test_access_token_auth_sends_a_bearer_token_as_bearer(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_DPOP = False
    request = request_of(login(tenant))
    assert stored(request).token_type == "Bearer"

    answer = requests.get(
        f"{tenant.base_url}/userinfo", auth=AccessTokenAuth(request), timeout=5
    )
    assert answer.status_code == 200


def test_bearer_auth_refuses_a_dpop_bound_token(tenant):
    request = request_of(login(tenant))

    with pytest.raises(AuthConfigurationError) as caught:
        requests.get(f"{tenant.base_url}/userinfo", auth=BearerAuth(request), timeout=5)
    assert "AccessTokenAuth" in caught.value.detail
    assert caught.value.parameter == "DPOP"


# -- /userinfo ------------------------------------------------------------------


def test_userinfo_takes_a_dpop_bound_token_only_with_its_proof(tenant):
    request = request_of(login(tenant))
    token = stored(request).access_token
    url = f"{tenant.base_url}/userinfo"

    with_proof = requests.get(url, auth=AccessTokenAuth(request), timeout=5)
    as_bearer = requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    other_key = requests.get(
        url, headers=DpopKey().headers("GET", url, token), timeout=5
    )
    no_ath = requests.get(
        url,
        headers={
            "Authorization": f"DPoP {token}",
            "DPoP": proof.load_key(KEY).proof("GET", url),
        },
        timeout=5,
    )

    assert with_proof.status_code == 200 and with_proof.json()["sub"] == ADA.sub
    assert 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]
    for refused in (other_key, no_ath):
        assert refused.status_code == 401
        assert 'error="invalid_dpop_proof"' in refused.headers["WWW-Authenticate"]


def test_a_login_with_userinfo_sends_the_bound_token_with_a_proof(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_USERINFO = True
    request = request_of(login(tenant))

    assert stored(request).token_type == "DPoP"
    (call,) = [r for r in tenant.requests if r.path == "/userinfo"]
    assert call.status == 200
    assert proof_claims(call)["ath"] == proof.access_token_hash(
        stored(request).access_token
    )


# -- proof required by the tenant -----------------------------------------------


@pytest.mark.parametrize("where", ["api", "application"])
def test_the_emulator_refuses_a_token_request_without_a_required_proof(
    tenant, settings, where
):
    settings.SOCIAL_AUTH_AUTH0_DPOP = False
    app = tenant.applications["test-client-id"]
    api = tenant.apis[API]
    if where == "api":
        api.dpop_required = True
    else:
        app.require_proof_of_possession = True
    try:
        from django.test import Client

        from tests.support.tenants import complete_login

        response = complete_login(Client(), tenant, ADA.email, ADA.password)
        settings.SOCIAL_AUTH_AUTH0_DPOP = True
        accepted = complete_login(Client(), tenant, ADA.email, ADA.password)
    finally:
        api.dpop_required = app.require_proof_of_possession = False

    assert response["Location"] != "/done/"
    (refused, _) = token_requests(tenant, "authorization_code")
    assert refused.status == 400
    assert accepted["Location"] == "/done/"


# -- the pages' blocks ----------------------------------------------------------


def test_the_pages_key_command_makes_a_key_the_checks_accept(tmp_path):
    import shutil
    import subprocess

    from tests.support.docs import doc_block, shell_lines

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (line,) = shell_lines(doc_block("docs/access.rst", "access-dpop-keygen"))
    subprocess.run(line, shell=True, cwd=tmp_path, check=True)  # noqa: S602
    assert proof.load_key((tmp_path / "dpop-key.pem").read_text()).alg == "ES256"


def test_the_pages_settings_and_view_call_a_dpop_api(
    tenant, settings, live_server, tmp_path, monkeypatch
):
    from django.core import checks
    from django.test import override_settings

    from tests.support.docs import doc_block

    (tmp_path / "key.pem").write_text(KEY)
    monkeypatch.setenv("DPOP_KEY_FILE", str(tmp_path / "key.pem"))
    values: dict = {}
    exec(doc_block("docs/access.rst", "access-dpop-settings"), values)  # noqa: S102
    with override_settings(**{k: v for k, v in values.items() if k.isupper()}):
        found = [m.id for m in checks.run_checks(tags=["social_auth0"])]
        assert not [i for i in found if i.startswith("social_auth0.E15")]
        settings.SOCIAL_AUTH_AUTH0_API_DPOP = "required"
        settings.SOCIAL_AUTH_AUTH0_API_DPOP_NONCE = True
        request = request_of(login(tenant))
        view: dict = {}
        exec(doc_block("docs/access.rst", "access-dpop-view"), view)  # noqa: S102
        view["API"] = f"{live_server.url}/api/whoami/"
        answer = view["reports"](request)
    assert answer.status_code == 200
    assert json.loads(answer.content)["sub"] == ADA.sub


def test_the_testing_pages_dpop_switches(tenant, settings):
    from django.test import Client

    from tests.support.docs import doc_block
    from tests.support.tenants import complete_login

    app = tenant.applications["test-client-id"]
    settings.SOCIAL_AUTH_AUTH0_DPOP = False
    exec(doc_block("docs/testing.rst", "testing-dpop-client"), {"auth0_tenant": tenant})  # noqa: S102
    try:
        refused = complete_login(Client(), tenant, ADA.email, ADA.password)
        settings.SOCIAL_AUTH_AUTH0_DPOP = True
        accepted = complete_login(Client(), tenant, ADA.email, ADA.password)
    finally:
        tenant.apis[API].dpop_required = app.require_proof_of_possession = False
    assert refused["Location"] != "/done/"
    assert accepted["Location"] == "/done/"
    assert [r.status for r in token_requests(tenant, "authorization_code")] == [
        400,
        400,
        200,
    ]


def test_a_refresh_between_the_token_and_its_row_is_read_again(tenant, monkeypatch):
    """Another caller replaced the row between get_access_token and the read
    of its binding: the auth reads once more rather than failing."""
    import dataclasses

    from social_auth0 import access

    request = request_of(login(tenant))
    loads = []
    original = access.token_store.load

    def replaced_once(user_id, audience):
        row = original(user_id, audience)
        loads.append(row)
        return (
            dataclasses.replace(row, access_token="a-newer-one")
            if len(loads) == 1
            else row
        )

    monkeypatch.setattr(access.token_store, "load", replaced_once)
    answer = requests.get(
        f"{tenant.base_url}/userinfo", auth=AccessTokenAuth(request), timeout=5
    )
    assert answer.status_code == 200
    assert len(loads) == 4  # get_access_token's read and the binding's, twice


def test_a_login_with_an_unusable_key_is_refused_before_any_token_request(
    tenant, settings, caplog
):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.support.tenants import complete_login

    settings.SOCIAL_AUTH_AUTH0_DPOP_KEY = "not a key"
    with caplog.at_level(logging.WARNING):
        response = complete_login(Client(), tenant, ADA.email, ADA.password)

    assert response.status_code == 302 and response["Location"] != "/done/"
    assert token_requests(tenant, "authorization_code") == []
    assert not get_user_model().objects.exists()
    assert "DPOP_KEY" in caplog.text
