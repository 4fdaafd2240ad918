"""jwt/proof.py: the proofs the site signs as a client pass the checks the
site's own API runs (jwt/dpop.py), for every key type it accepts."""

from __future__ import annotations

import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from social_auth0.jwt import dpop, proof
from tests.support.tokens import private_pem

KEYS = {
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("alg", list(KEYS))
def test_a_proof_passes_the_apis_checks(alg):
    key = proof.load_key(private_pem(KEYS[alg]()))
    token = "an-access-token"

    signed = key.proof(
        "get", "https://api.example.com/r?q=1#f", access_token=token, nonce="n"
    )

    found, claims = dpop.read_proof(signed)
    assert (key.alg, found.jkt) == (alg, key.jkt)
    dpop.check_request(claims, method="GET", url="https://api.example.com/r")
    dpop.check_iat(claims, now=time.time(), leeway=0)
    dpop.check_token_hash(claims, token)
    assert claims["nonce"] == "n"


def test_each_proof_has_its_own_jti():
    key = proof.load_key(private_pem(KEYS["ES256"]()))
    jtis = {
        dpop.read_proof(key.proof("POST", "https://t/"))[1]["jti"] for _ in range(3)
    }
    assert len(jtis) == 3


def test_the_remembered_nonces_are_bounded(monkeypatch):
    monkeypatch.setattr(proof, "MAX_NONCE_ORIGINS", 2)
    proof.forget_nonces()
    for host in ("a", "b", "c"):
        answer = requests.Response()
        answer.headers["DPoP-Nonce"] = f"nonce-{host}"
        proof.remember_nonce(f"https://{host}.example/x", answer)
    assert proof.nonce_for("https://a.example/") is None
    assert proof.nonce_for("https://C.example/y") == "nonce-c"
    proof.forget_nonces()


def test_htu_carries_no_credentials_and_is_normalised():
    """A URL with credentials in it (``requests`` keeps them in the prepared
    URL when an auth is given): the password never goes into a signed proof
    a server may log, and ``htu`` is the form servers compare (RFC 9449
    section 4.3: RFC 3986 6.2.2 and 6.2.3), the default port dropped."""
    key = proof.load_key(private_pem(KEYS["ES256"]()))
    prepared = requests.Request(
        "GET", "https://user:s3cret@API.Example.com:443/Path?q=1#f"
    ).prepare()

    claims = dpop.read_proof(key.proof("GET", str(prepared.url)))[1]

    assert claims["htu"] == "https://api.example.com/Path"
    assert proof.strip_url("http://[::1]:8000/x") == "http://[::1]:8000/x"
    assert proof.origin("HTTPS://u:p@Api.Example.com:443/y") == proof.origin(
        "https://api.example.com/z"
    )
