"""System checks of private_key_jwt and PAR (E140-E144); E005 lets a site
signing assertions go without a secret."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core import checks

from social_auth0.checks.client_auth import (
    check_assertion_key,
    check_client_authentication,
    check_pushed_authorization_requests,
)
from social_auth0.checks.tenant import check_credentials
from social_auth0.testing import ClientKey
from tests.support.docs import doc_block
from tests.support.tokens import private_pem

KEY = ClientKey()


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def all_client_auth(settings) -> list[str]:
    return ids(
        [
            *check_client_authentication(),
            *check_assertion_key(),
            *check_pushed_authorization_requests(),
        ]
    )


def test_a_secret_alone_or_a_key_alone_gives_nothing(settings):
    assert all_client_auth(settings) == []
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_ALG = "PS256"
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KID = "key-1"
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = True
    assert all_client_auth(settings) == []
    assert ids(check_credentials()) == []  # no E005 without a secret


def test_a_key_file_is_read(settings, tmp_path):
    path = tmp_path / "client.pem"
    path.write_text(KEY.private_pem)
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = str(path)
    assert all_client_auth(settings) == []


def test_both_a_secret_and_a_key_must_say_which_wins(settings):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
    (error,) = check_client_authentication()
    assert error.id == "social_auth0.E140"
    assert "SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION" in error.msg
    assert "both SECRET and CLIENT_ASSERTION_KEY" in error.msg
    for method in ("private_key_jwt", "client_secret_post"):
        settings.SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION = method
        assert check_client_authentication() == []


def test_an_unknown_method_is_refused(settings):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION = "client_secret_basic"
    assert ids(check_client_authentication()) == ["social_auth0.E140"]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "is not set"),
        ("/nonexistent/client.pem", "readable file"),
        (KEY.public_pem, "public key"),
        (
            private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505
            "1024-bit",
        ),
        (private_pem(ec.generate_private_key(ec.SECP256R1())), "not an RSA key"),
        ("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", "PEM"),
    ],
    ids=["missing", "unreadable", "public", "short", "ec", "garbage"],
)
def test_an_unusable_key_is_refused(settings, key, reason):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_AUTHENTICATION = "private_key_jwt"
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = key
    (error,) = check_assertion_key()
    assert error.id == "social_auth0.E141"
    assert error.msg.startswith("SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY ")
    assert reason in error.msg
    assert "PRIVATE KEY" not in error.msg  # the key is never quoted


def test_an_encrypted_key_is_refused(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    ).decode()
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = encrypted
    (error,) = check_assertion_key()
    assert error.id == "social_auth0.E141" and "encrypted" in error.msg


def test_an_unknown_algorithm_and_a_bad_kid_are_refused(settings):
    settings.SOCIAL_AUTH_AUTH0_SECRET = None
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_ALG = "HS256"
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KID = "a\nb"
    assert ids(check_assertion_key()) == ["social_auth0.E142", "social_auth0.E143"]


def test_par_must_be_a_boolean(settings):
    settings.SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = "yes"
    assert ids(check_pushed_authorization_requests()) == ["social_auth0.E144"]


def test_the_checks_are_registered(settings):
    settings.SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY = KEY.private_pem
    found = {message.id for message in checks.run_checks(tags=["social_auth0"])}
    assert "social_auth0.E140" in found


def settings_of(page: str, name: str) -> dict:
    namespace: dict = {}
    exec(doc_block(page, name), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if k.startswith("SOCIAL_AUTH_AUTH0_")}


def test_the_documented_settings_pass_the_checks(settings, tmp_path):
    documented = settings_of("docs/enterprise.rst", "private-key-jwt-settings")
    assert "SOCIAL_AUTH_AUTH0_SECRET" not in documented
    key_file = tmp_path / "auth0-client.pem"  # where the page keeps the key
    key_file.write_text(KEY.private_pem)
    documented["SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY"] = str(key_file)
    for name, value in {
        **documented,
        **settings_of("docs/enterprise.rst", "par-settings"),
        "SOCIAL_AUTH_AUTH0_SECRET": None,
    }.items():
        setattr(settings, name, value)
    assert all_client_auth(settings) == []
    assert ids(check_credentials()) == []

    # Switching: both set, and the documented choice settles it.
    settings.SOCIAL_AUTH_AUTH0_SECRET = "the-old-secret"
    assert ids(check_client_authentication()) == ["social_auth0.E140"]
    for name, value in settings_of(
        "docs/enterprise.rst", "client-authentication-choice"
    ).items():
        setattr(settings, name, value)
    assert all_client_auth(settings) == []
