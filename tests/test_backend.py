"""Auth0OAuth2 without a tenant: URLs, parameters, settings, details."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory, override_settings
from social_core.exceptions import (
    AuthCanceled,
    AuthConfigurationError,
    AuthProviderError,
    AuthResponseError,
)
from social_django.utils import load_strategy

from social_auth0 import conf
from social_auth0.backend import Auth0OAuth2
from social_auth0.conf import normalize_domain


def make_backend(path="/login/auth0/", data=None):
    request = RequestFactory().post(path, data or {})
    from django.contrib.sessions.backends.cache import SessionStore

    request.session = SessionStore()
    return Auth0OAuth2(load_strategy(request), redirect_uri="/complete/auth0/")


@pytest.mark.parametrize(
    ("domain", "base"),
    [
        ("tenant.eu.auth0.com", "https://tenant.eu.auth0.com"),
        ("tenant.eu.auth0.com/", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com/", "https://tenant.eu.auth0.com"),
        ("  login.example.com  ", "https://login.example.com"),
        ("http://localhost:8001", "http://localhost:8001"),
        ("http://127.0.0.1:8001/", "http://127.0.0.1:8001"),
        ("http://[::1]:8001", "http://[::1]:8001"),
        # One tenant, one issuer, however DOMAIN spells it (Auth0's iss is
        # lower case, without the default port).
        ("Tenant.EU.auth0.com", "https://tenant.eu.auth0.com"),
        ("HTTPS://tenant.eu.auth0.com:443/", "https://tenant.eu.auth0.com"),
        ("http://LOCALHOST:80", "http://localhost"),
    ],
)
def test_normalizes_domain(domain, base):
    assert normalize_domain(domain) == base


def test_a_tenant_spelled_otherwise_in_settings_keeps_its_bare_uids(settings):
    """settings.py's DOMAIN and a site's strategy name one tenant in two
    spellings: its identities keep the bare sub (their rows) everywhere."""
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "https://Tenant.EU.auth0.com:443/"
    issuer = f"{normalize_domain('tenant.eu.auth0.com')}/"
    assert conf.identity_uid(issuer, "auth0|abc") == "auth0|abc"


@pytest.mark.parametrize(
    "domain",
    [
        None,
        "",
        "http://tenant.eu.auth0.com",
        "http://192.168.1.10:8001",
        "ftp://tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com/path",
        "https://tenant.eu.auth0.com/?x=1",
        "https://user:pass@tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com:notaport",
        "https://",
        42,
    ],
)
def test_refuses_malformed_domain(domain):
    with pytest.raises(ValueError):
        normalize_domain(domain)


@pytest.mark.parametrize(
    "issuer, sub, uid",
    [
        ("https://a.eu.auth0.com/", "auth0|abc", "auth0|abc"),  # settings.py's
        ("https://b.eu.auth0.com/", "auth0|abc", "https://b.eu.auth0.com/auth0|abc"),
        ("http://127.0.0.1:8000/", "samlp|x|y", "http://127.0.0.1:8000/samlp|x|y"),
    ],
)
def test_an_identity_uid_is_the_sub_qualified_off_the_settings_tenant(
    settings, issuer, sub, uid
):
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "a.eu.auth0.com"
    assert conf.identity_uid(issuer, sub) == uid
    assert conf.identity_issuer(uid) == issuer


def test_without_a_settings_tenant_every_identity_uid_is_qualified(settings):
    del settings.SOCIAL_AUTH_AUTH0_DOMAIN
    settings.SOCIAL_AUTH_AUTH0_KEY = "changed"  # a change: the memo is dropped
    uid = conf.identity_uid("https://a.eu.auth0.com/", "auth0|abc")
    assert uid == "https://a.eu.auth0.com/auth0|abc"
    assert conf.identity_issuer("auth0|abc") is None
    with pytest.raises(ValueError, match="issuer"):
        conf.identity_uid("", "auth0|abc")


def test_urls_derive_from_domain():
    backend = make_backend()
    assert backend.authorization_url() == "https://tenant.eu.auth0.com/authorize"
    assert backend.access_token_url() == "https://tenant.eu.auth0.com/oauth/token"
    assert backend.jwks_url() == "https://tenant.eu.auth0.com/.well-known/jwks.json"
    assert backend.id_token_issuer() == "https://tenant.eu.auth0.com/"


@override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="http://tenant.eu.auth0.com")
def test_bad_domain_at_runtime_is_a_configuration_error_naming_domain():
    with pytest.raises(AuthConfigurationError) as info:
        make_backend().authorization_url()
    assert info.value.parameter == "DOMAIN"
    assert "SOCIAL_AUTH_AUTH0_DOMAIN" in info.value.detail


def test_domain_is_read_at_call_time():
    backend = make_backend()
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="other.us.auth0.com"):
        assert backend.id_token_issuer() == "https://other.us.auth0.com/"


def test_the_tenant_is_resolved_once_until_a_setting_changes():
    first, second = make_backend(), make_backend()
    assert first.tenant() is second.tenant()
    assert first.tenant().issuer == "https://tenant.eu.auth0.com/"
    assert first.tenant().client_id == first.setting("KEY")
    # The keys are built once too, fetching through a backend without a request.
    assert first.tenant_keys() is second.tenant_keys()
    assert first.tenant_keys().backend.strategy.request is None
    with override_settings(SOCIAL_AUTH_AUTH0_DOMAIN="other.us.auth0.com"):
        moved = make_backend().tenant()
        assert moved.issuer == "https://other.us.auth0.com/"
        assert first.tenant() is moved
        assert first.tenant_keys().url.startswith("https://other.us.auth0.com/")
    assert first.tenant().issuer == "https://tenant.eu.auth0.com/"


@override_settings(SOCIAL_AUTH_AUTH0_KEY=" padded ")
def test_the_client_id_is_refused_as_the_system_check_refuses_it():
    with pytest.raises(AuthConfigurationError) as info:
        make_backend().tenant()
    assert info.value.parameter == "KEY"
    assert "SOCIAL_AUTH_AUTH0_KEY (the client id) has surrounding spaces" in str(
        info.value.detail
    )


def auth_query(backend):
    return {k: v[0] for k, v in parse_qs(urlsplit(backend.auth_url()).query).items()}


@pytest.mark.django_db
def test_authorize_request_parameters():
    backend = make_backend()
    query = auth_query(backend)
    assert query["response_type"] == "code"
    assert query["client_id"] == "test-client-id"
    assert query["redirect_uri"] == "http://testserver/complete/auth0/"
    assert query["scope"] == "openid profile email"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["nonce"]) >= 32
    assert "redirect_state" not in query
    assert "audience" not in query and "max_age" not in query


@pytest.mark.django_db
def test_nonce_is_kept_in_the_state_transaction():
    backend = make_backend()
    query = auth_query(backend)
    transaction = backend.strategy.session_get(backend.transaction_key(query["state"]))
    assert transaction["oidc_nonce"] == query["nonce"]
    assert transaction["code_verifier"]


@pytest.mark.django_db
@pytest.mark.parametrize("length", [None, 43, 64, 128])
def test_the_pkce_verifier_has_the_configured_length(settings, length):
    if length is not None:
        settings.SOCIAL_AUTH_AUTH0_PKCE_CODE_VERIFIER_LENGTH = length
    backend = make_backend()
    query = auth_query(backend)
    transaction = backend.strategy.session_get(backend.transaction_key(query["state"]))
    verifier = transaction["code_verifier"]
    assert len(verifier) == (length or 43)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", verifier)  # RFC 7636's unreserved
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert query["code_challenge"] == challenge.decode().rstrip("=")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query["state"])


@pytest.mark.django_db
def test_every_login_gets_a_fresh_nonce_and_state():
    backend = make_backend()
    first, second = auth_query(backend), auth_query(backend)
    assert first["nonce"] != second["nonce"]
    assert first["state"] != second["state"]


@override_settings(
    SOCIAL_AUTH_AUTH0_SCOPE=["offline_access", "openid", "read:reports"],
    SOCIAL_AUTH_AUTH0_AUDIENCE="https://api.example.com/",
    SOCIAL_AUTH_AUTH0_MAX_AGE=600,
    SOCIAL_AUTH_AUTH0_AUTH_EXTRA_ARGUMENTS={"ui_locales": "fr"},
)
@pytest.mark.django_db
def test_scope_audience_max_age_and_extra_arguments():
    query = auth_query(make_backend())
    assert query["scope"] == "openid offline_access read:reports profile email"
    assert query["audience"] == "https://api.example.com/"
    assert query["max_age"] == "600"
    assert query["ui_locales"] == "fr"


@override_settings(SOCIAL_AUTH_AUTH0_IGNORE_DEFAULT_SCOPE=True)
@pytest.mark.django_db
def test_openid_scope_is_always_requested():
    assert auth_query(make_backend())["scope"] == "openid"


@pytest.mark.parametrize(
    ("settings", "parameter"),
    [
        ({"SOCIAL_AUTH_AUTH0_USE_PKCE": False}, "USE_PKCE"),
        (
            {"SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD": "plain"},
            "PKCE_CODE_CHALLENGE_METHOD",
        ),
        ({"SOCIAL_AUTH_AUTH0_MAX_AGE": "ten minutes"}, "MAX_AGE"),
    ],
)
@pytest.mark.django_db
def test_refuses_to_start_a_login_with_bad_settings(settings, parameter):
    with override_settings(**settings), pytest.raises(AuthConfigurationError) as info:
        make_backend().auth_url()
    assert info.value.parameter == parameter


def test_access_denied_at_the_callback_is_a_cancellation():
    error = make_backend().get_provider_error(
        {"error": "access_denied", "error_description": "User cancelled"}
    )
    assert isinstance(error, AuthCanceled)


def test_access_denied_from_the_token_endpoint_names_the_secret():
    # Auth0 answers a wrong client secret with 401 access_denied "Unauthorized".
    error = make_backend().get_provider_error(
        {"error": "access_denied", "error_description": "Unauthorized"},
        stage="token_exchange",
        status_code=401,
    )
    assert isinstance(error, AuthConfigurationError)
    assert error.parameter == "SECRET"
    assert "SOCIAL_AUTH_AUTH0_SECRET" in error.detail


def test_other_token_endpoint_errors_keep_social_core_classification():
    error = make_backend().get_provider_error(
        {"error": "server_error"}, stage="token_exchange", status_code=500
    )
    assert isinstance(error, AuthProviderError)
    assert error.code == "unavailable"


DATABASE_USER = {
    "sub": "auth0|65f0c0ffee0000000000abcd",
    "email": "ada@example.com",
    "email_verified": False,
    "name": "ada@example.com",
    "nickname": "ada.l",
    "picture": "https://s.gravatar.com/avatar/ada.png",
}
SOCIAL_USER = {
    "sub": "google-oauth2|104000000000000000001",
    "email": "grace@example.com",
    "email_verified": True,
    "name": "Grace Hopper",
    "given_name": "Grace",
    "family_name": "Hopper",
    "nickname": "grace",
}


def test_details_of_a_database_user_do_not_turn_the_email_into_a_name():
    details = make_backend().get_user_details(DATABASE_USER)
    assert details == {
        "user_id": "auth0|65f0c0ffee0000000000abcd",
        "username": "ada.l",
        "email": None,  # unverified: withheld (the claim could be anyone's)
        "email_verified": False,
        "fullname": None,
        "first_name": None,
        "last_name": None,
        "picture": "https://s.gravatar.com/avatar/ada.png",
    }


def social_core_token_response(signer) -> dict[str, object]:
    """The shape of social-core's own auth0 test (tests/backends/test_auth0.py):
    the token endpoint's answer, its ID token really signed."""
    id_token = signer.sign(
        {
            "nickname": "foobar",
            "email": "foobar@auth0.com",
            "name": "John Doe",
            "picture": "http://example.com/image.png",
            "sub": "123456",
            "iss": "https://foobar.auth0.com/",
            "aud": "a-key",
        }
    )
    return {
        "access_token": "foobar",
        "token_type": "bearer",
        "expires_in": 86400,
        "id_token": id_token,
    }


def test_details_of_an_unverified_token_response_are_a_structured_error(signer):
    """Never the unverified ID token's claims, never a bare KeyError."""
    with pytest.raises(AuthResponseError) as raised:
        make_backend().get_user_details(social_core_token_response(signer))
    assert (raised.value.code, raised.value.claim) == ("missing_claim", "sub")
    assert "user_data" in raised.value.detail


def test_details_of_a_social_user_use_given_and_family_name():
    details = make_backend().get_user_details(SOCIAL_USER)
    assert details["first_name"] == "Grace"
    assert details["last_name"] == "Hopper"
    assert details["fullname"] == "Grace Hopper"
    assert details["email_verified"] is True


@pytest.mark.parametrize(
    ("claims", "username"),
    [
        ({"sub": "auth0|abc", "nickname": "  "}, "auth0_abc"),
        ({"sub": "auth0|abc", "email": "bob@example.com"}, "bob"),
        ({"sub": "sms|+15550000"}, "sms_+15550000"),
    ],
)
def test_username_falls_back_to_email_then_sub(claims, username):
    assert make_backend().get_user_details(claims)["username"] == username


def test_email_verified_must_be_true_not_truthy():
    claims = {**DATABASE_USER, "email_verified": "true"}
    assert make_backend().get_user_details(claims)["email_verified"] is False


def test_names_are_never_split_from_name_by_default():
    assert make_backend().setting("FIRSTLAST_FROM_FULL", True) is False
    with override_settings(SOCIAL_AUTH_AUTH0_FIRSTLAST_FROM_FULL=True):
        assert make_backend().setting("FIRSTLAST_FROM_FULL", True) is True


RESPONSE = {
    **SOCIAL_USER,
    "access_token": "at-secret",
    "refresh_token": "rt-secret",
    "token_type": "Bearer",
    "expires_in": 86400,
    "id_token": "a.b.c",
}


def test_extra_data_keeps_no_tokens_by_default():
    backend = make_backend()
    details = backend.get_user_details(RESPONSE)
    data = backend.extra_data(None, RESPONSE["sub"], RESPONSE, details, {})
    assert data["picture"] is None
    assert data["email_verified"] is True
    assert not {"access_token", "refresh_token", "id_token"} & set(data)


@override_settings(SOCIAL_AUTH_AUTH0_STORE_TOKENS=True)
def test_extra_data_keeps_no_plaintext_tokens_even_when_storing_them():
    """STORE_TOKENS stores them encrypted in Auth0Token
    (tests/user_tokens/test_access.py)."""
    backend = make_backend()
    details = backend.get_user_details(RESPONSE)
    data = backend.extra_data(None, RESPONSE["sub"], RESPONSE, details, {})
    assert not {"access_token", "refresh_token", "id_token"} & set(data)


class StoredAssociation:
    """What ``load_extra_data`` hands ``extra_data`` as ``social``."""

    def __init__(self, extra_data):
        self.extra_data = extra_data


def stored_after_a_login(backend, **changes):
    details = backend.get_user_details(RESPONSE)
    data = backend.extra_data(None, RESPONSE["sub"], RESPONSE, details, {})
    return {**data, "auth0_verified_email": "grace@example.com", **changes}


def extra_data_of_next_login(backend, stored):
    details = backend.get_user_details(RESPONSE)
    social = StoredAssociation(stored)
    return backend.extra_data(
        None, RESPONSE["sub"], RESPONSE, details, {"social": social}
    )


def test_extra_data_is_empty_when_the_association_holds_it_already():
    # Empty: social-core's set_extra_data() then saves nothing.
    backend = make_backend()
    assert extra_data_of_next_login(backend, stored_after_a_login(backend)) == {}


def test_extra_data_refreshes_an_auth_time_older_than_its_resolution():
    backend = make_backend()
    stored = stored_after_a_login(backend)
    stored["auth_time"] -= Auth0OAuth2.AUTH_TIME_RESOLUTION
    data = extra_data_of_next_login(backend, stored)
    assert data["auth_time"] >= stored["auth_time"] + Auth0OAuth2.AUTH_TIME_RESOLUTION


@pytest.mark.parametrize(
    "stored",
    [
        {"picture": "https://old.example/a.png"},
        {"email_verified": False},
        {"auth_time": "yesterday"},
        {"auth_time": None},
    ],
    ids=["picture changed", "email_verified changed", "odd auth_time", "no auth_time"],
)
def test_extra_data_is_written_when_something_changed(stored):
    backend = make_backend()
    data = extra_data_of_next_login(backend, stored_after_a_login(backend, **stored))
    assert data["picture"] is None and data["email_verified"] is True
    assert isinstance(data["auth_time"], int)


class StaffTenantAuth0(Auth0OAuth2):
    """A second Auth0 backend, for another tenant."""

    name = "auth0staff"


def test_settings_of_two_auth0_backends_do_not_mix(settings):
    settings.SOCIAL_AUTH_AUTH0STAFF_DOMAIN = "staff.us.auth0.com"
    assert make_backend().id_token_issuer() == "https://tenant.eu.auth0.com/"
    staff = StaffTenantAuth0(load_strategy(), redirect_uri="/complete/auth0staff/")
    assert staff.id_token_issuer() == "https://staff.us.auth0.com/"


def test_logged_rejection_cannot_forge_log_lines(caplog):
    from social_core.exceptions import AuthCanceled

    from social_auth0.backend import log_rejection

    with caplog.at_level("WARNING", logger="social_auth0"):
        log_rejection(AuthCanceled(None, "x\nCRITICAL forged line " + "y" * 1000))
    (record,) = caplog.records
    assert "\n" not in record.getMessage()
    assert len(record.getMessage()) < 500


@override_settings(SOCIAL_AUTH_AUTH0_GET_ALL_EXTRA_DATA=True)
def test_get_all_extra_data_still_keeps_no_tokens():
    backend = make_backend()
    details = backend.get_user_details(RESPONSE)
    data = backend.extra_data(None, RESPONSE["sub"], RESPONSE, details, {})
    assert data["given_name"] == "Grace"
    assert not {"access_token", "refresh_token", "id_token"} & set(data)


HOSTS = {"site-a.test": "a.eu.auth0.com", "site-b.test": "b.eu.auth0.com"}


class PerHostBackend(Auth0OAuth2):
    """A site's subclass answering DOMAIN per request, with the stock strategy."""

    def setting(self, name, default=None):
        request = self.strategy.request
        if name == "DOMAIN" and request is not None:
            return HOSTS[request.get_host()]
        return super().setting(name, default)


def backend_at(host: str) -> PerHostBackend:
    from django.contrib.sessions.backends.cache import SessionStore

    request = RequestFactory().get("/", HTTP_HOST=host)
    request.session = SessionStore()
    return PerHostBackend(load_strategy(request))


@override_settings(ALLOWED_HOSTS=list(HOSTS))
def test_a_subclass_answering_per_request_gets_its_own_tenant_each_time():
    """Nothing derived from its settings is kept for the process: site B never
    verifies with site A's issuer, client or keys."""
    first, second = backend_at("site-a.test"), backend_at("site-b.test")
    assert first.tenant().issuer == "https://a.eu.auth0.com/"
    assert second.tenant().issuer == "https://b.eu.auth0.com/"
    assert second.tenant_keys().url == "https://b.eu.auth0.com/.well-known/jwks.json"
    assert not second.keeps_resolved_settings()


def test_the_stock_backend_keeps_its_tenant_for_the_process():
    first, second = make_backend(), make_backend()
    assert first.keeps_resolved_settings()
    assert first.tenant() is second.tenant()


@pytest.mark.parametrize(
    "method", ["setting", "id_token_issuer", "_resolve_tenant", "tenant_keys"]
)
def test_a_subclass_overriding_what_answers_from_settings_keeps_nothing(method):
    inherited = getattr(Auth0OAuth2, method)

    def override(self, *args, **kwargs):  # a site's own (here: the same answer)
        return inherited(self, *args, **kwargs)

    subclass = type("Custom", (Auth0OAuth2,), {method: override})
    assert make_backend().keeps_resolved_settings()
    assert not subclass(make_backend().strategy).keeps_resolved_settings()
