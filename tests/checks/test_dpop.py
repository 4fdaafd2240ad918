"""checks/dpop.py: the DPoP key of a site calling APIs as a client."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core import checks
from django.test import override_settings

from tests.support.tokens import private_pem


def ids(**settings) -> list[str]:
    with override_settings(**settings):
        return [m.id for m in checks.run_checks(tags=["social_auth0"])]


P256 = private_pem(ec.generate_private_key(ec.SECP256R1()))
# The weak key the check must refuse.
WEAK = private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505


@pytest.mark.parametrize(
    "key",
    [
        P256,
        private_pem(ec.generate_private_key(ec.SECP384R1())),
        private_pem(ed25519.Ed25519PrivateKey.generate()),
        private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ],
    ids=["P-256", "P-384", "Ed25519", "RSA-2048"],
)
def test_a_usable_key_draws_no_message(key):
    found = ids(SOCIAL_AUTH_AUTH0_DPOP=True, SOCIAL_AUTH_AUTH0_DPOP_KEY=key)
    assert not [i for i in found if i.startswith("social_auth0.E15")]


def test_dpop_without_a_key():
    assert "social_auth0.E150" in ids(SOCIAL_AUTH_AUTH0_DPOP=True)


def test_no_message_while_dpop_is_off():
    assert "social_auth0.E151" not in ids(SOCIAL_AUTH_AUTH0_DPOP_KEY="junk")


@pytest.mark.parametrize(
    "key",
    [
        "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode(),
        WEAK,
        private_pem(ec.generate_private_key(ec.SECP521R1())),
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
        .decode(),
    ],
    ids=["unreadable", "public-only", "RSA-1024", "P-521", "encrypted"],
)
def test_an_unusable_key_is_refused(key):
    found = ids(SOCIAL_AUTH_AUTH0_DPOP=True, SOCIAL_AUTH_AUTH0_DPOP_KEY=key)
    assert "social_auth0.E151" in found


def test_dpop_must_be_a_boolean():
    assert "social_auth0.E152" in ids(SOCIAL_AUTH_AUTH0_DPOP="yes")


def test_old_keys_are_checked_one_by_one():
    assert "social_auth0.E153" in ids(SOCIAL_AUTH_AUTH0_DPOP_OLD_KEYS=[P256, WEAK])
    assert "social_auth0.E153" not in ids(SOCIAL_AUTH_AUTH0_DPOP_OLD_KEYS=[P256])
    assert "social_auth0.E153" in ids(SOCIAL_AUTH_AUTH0_DPOP_OLD_KEYS=P256)
