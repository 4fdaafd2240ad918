"""System checks for how the application authenticates at the tenant:
``private_key_jwt`` and pushed authorization requests (ids
``social_auth0.E140``-``E149``).

The runtime reads the same settings through the same validators
(``conf.client_authentication``, ``jwt.assertion``), so what passes here is
what a login, a refresh and a revocation will send.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from .. import conf
from ..jwt import assertion
from .lookup import api_only, resolve_setting

KEY_HINT = (
    "Set it to the private key (PEM text, or the path of a PEM file) whose public "
    "key is registered in the Auth0 dashboard > Applications > your application "
    "> Credentials > Private Key JWT: RSA, at least 2048 bits, unencrypted."
)


def check_client_authentication(**kwargs: Any) -> list[checks.CheckMessage]:
    """CLIENT_AUTHENTICATION names a method, and says which wins when both a
    secret and a key are set (E140)."""
    method, name = resolve_setting("CLIENT_AUTHENTICATION")
    secret, _ = resolve_setting("SECRET")
    key, _ = resolve_setting("CLIENT_ASSERTION_KEY")
    try:
        conf.client_authentication(method, secret=secret, key=key)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}.",
                hint="'private_key_jwt' signs an assertion with "
                "CLIENT_ASSERTION_KEY and never sends the secret; "
                "'client_secret_post' sends SECRET.",
                id="social_auth0.E140",
            )
        ]
    return []


def check_assertion_key(**kwargs: Any) -> list[checks.CheckMessage]:
    """With private_key_jwt, CLIENT_ASSERTION_KEY holds a usable private key
    (E141); its algorithm (E142) and kid (E143) are valid."""
    method = _method()
    if method != "private_key_jwt":
        return []
    key, name = resolve_setting("CLIENT_ASSERTION_KEY")
    errors = []
    try:
        assertion.load_private_key(key)
    except ValueError as error:
        errors.append(
            checks.Error(f"{name} {error}.", hint=KEY_HINT, id="social_auth0.E141")
        )
    return [*errors, *_algorithm_errors(), *_kid_errors()]


def _method() -> str | None:
    """The method the settings choose (None: they choose none, E140 says so)."""
    if api_only() and resolve_setting("CLIENT_ASSERTION_KEY")[0] is None:
        return None
    try:
        return conf.client_authentication(
            resolve_setting("CLIENT_AUTHENTICATION")[0],
            secret=resolve_setting("SECRET")[0],
            key=resolve_setting("CLIENT_ASSERTION_KEY")[0],
        )
    except ValueError:
        return None


def _algorithm_errors() -> list[checks.CheckMessage]:
    alg, name = resolve_setting("CLIENT_ASSERTION_ALG", assertion.DEFAULT_ALGORITHM)
    try:
        assertion.check_algorithm(alg)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}.",
                hint="Auth0 accepts RS256, RS384 and PS256 for Private Key JWT.",
                id="social_auth0.E142",
            )
        ]
    return []


def _kid_errors() -> list[checks.CheckMessage]:
    kid, name = resolve_setting("CLIENT_ASSERTION_KID")
    try:
        assertion.check_kid(kid)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}.",
                hint="Leave it unset, or set the key id shown in the dashboard.",
                id="social_auth0.E143",
            )
        ]
    return []


def check_pushed_authorization_requests(**kwargs: Any) -> list[checks.CheckMessage]:
    """PUSHED_AUTHORIZATION_REQUESTS is True or False (E144)."""
    value, name = resolve_setting("PUSHED_AUTHORIZATION_REQUESTS")
    if value is None or isinstance(value, bool):
        return []
    return [
        checks.Error(
            f"{name} must be True or False, not {value!r}.",
            hint="True needs Auth0's Highly Regulated Identity features on the "
            "tenant (auth0check says whether it advertises /oauth/par).",
            id="social_auth0.E144",
        )
    ]


CHECKS = (
    check_client_authentication,
    check_assertion_key,
    check_pushed_authorization_requests,
)
