"""Median time to verify one Auth0 ID token with a warm key cache.

Compares social_auth0 with (a) the floor: one bare ``cryptography`` RSA-SHA256
verify plus the base64/JSON decode of the same token, and (b) social-core 7's
built-in ``Auth0OAuth2`` verifying the same token. Targets: <= 0.5x
social-core's time and <= 1.3x the floor (the tenant is resolved once, in
conf: the backend reads no setting per call). Also shown: the verification
path ID, logout and access tokens share (``tokens.verify_id_token`` with the
backend's key lookup, its arguments prepared once): target <= 1.3x the floor.

    python bench/verify.py [--repeats 15] [--number 300]
"""

from __future__ import annotations

import argparse
import base64
import json
import time

from _common import interleaved, print_table, setup_django

setup_django()

import responses  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from social_core.backends.auth0 import Auth0OAuth2 as CoreAuth0  # noqa: E402
from social_django.utils import load_strategy  # noqa: E402

from social_auth0.backend import Auth0OAuth2  # noqa: E402
from social_auth0.jwt import verify as tokens  # noqa: E402
from tests.support.tokens import CLIENT_ID, ISSUER, Signer, id_token_claims  # noqa: E402

JWKS_URL = f"{ISSUER}.well-known/jwks.json"


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def floor_verifier(signer: Signer, token: str):
    public_key = signer.private_key.public_key()

    def verify() -> dict:
        signing_input, _, signature = token.rpartition(".")
        public_key.verify(
            b64decode(signature),
            signing_input.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        return json.loads(b64decode(signing_input.split(".", 1)[1]))

    return verify


def ours_verifier(token: str, nonce: str):
    backend = Auth0OAuth2(load_strategy(), redirect_uri="/complete/auth0/")

    def verify() -> dict:
        # What validate_state() leaves behind for the callback being verified.
        backend._oauth2_transaction = {"oidc_nonce": nonce}
        return backend.verify_id_token(token)

    return verify


def shared_path_verifier(token: str, nonce: str):
    backend = Auth0OAuth2(load_strategy(), redirect_uri="/complete/auth0/")
    keys = backend.tenant_keys()
    options = {
        "issuer": backend.id_token_issuer(),
        "client_id": backend.client_id(),
        "nonce": nonce,
        "leeway": backend.leeway(),
    }
    return lambda: tokens.verify_id_token(backend, token, keys.lookup, **options)


def core_verifier(token: str):
    backend = CoreAuth0(load_strategy(), redirect_uri="/complete/auth0/")
    return lambda: backend.get_user_details({"id_token": token})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--number", type=int, default=300)
    args = parser.parse_args()

    signer = Signer("bench-key")
    nonce = "n" * 43
    token = signer.sign(id_token_claims(nonce=nonce, iat=int(time.time())))
    candidates = {
        "floor (cryptography verify + JSON)": floor_verifier(signer, token),
        "social_auth0 Auth0OAuth2": ours_verifier(token, nonce),
        "social_auth0 tokens.verify_id_token": shared_path_verifier(token, nonce),
        "social-core 7 Auth0OAuth2": core_verifier(token),
    }
    with responses.RequestsMock() as mock:
        mock.get(JWKS_URL, json={"keys": [signer.jwk]})
        for verify in candidates.values():  # warm the key caches, check they agree
            result = verify()
            assert id_token_claims()["sub"] in (
                result.get("sub"),
                result.get("user_id"),
            )
        fetches = len(mock.calls)
        medians = interleaved(candidates, repeats=args.repeats, number=args.number)
        assert len(mock.calls) == fetches, "a warm verification fetched keys"

    floor = medians["floor (cryptography verify + JSON)"]
    ours = medians["social_auth0 Auth0OAuth2"]
    core = medians["social-core 7 Auth0OAuth2"]
    print_table(
        f"ID-token verification, warm keys, median of {args.repeats} x "
        f"{args.number} (client {CLIENT_ID}):",
        medians,
    )
    print(f"  ours / social-core: {ours / core:.2f}x   (target <= 0.50x)")
    print(f"  ours / floor:       {ours / floor:.2f}x   (target <= 1.30x)")
    shared = medians["social_auth0 tokens.verify_id_token"]
    print(f"  shared path / floor: {shared / floor:.2f}x   (target <= 1.30x)")


if __name__ == "__main__":
    main()
