"""System checks for DPoP as a client (ids E150-E159): ``DPOP``,
``DPOP_KEY`` and ``DPOP_OLD_KEYS``."""

from __future__ import annotations

from typing import Any

from django.core import checks

from ..jwt import proof
from .lookup import resolve_setting

KEY_HINT = (
    "Generate one with: openssl genpkey -algorithm EC -pkeyopt "
    "ec_paramgen_curve:P-256 (ES256; an RSA key of 2048 bits or more, a P-384 "
    "or an Ed25519 key work too), and keep it out of the repository."
)


def check_dpop_key(**kwargs: Any) -> list[checks.CheckMessage]:
    """With ``DPOP`` on, ``DPOP_KEY`` is a usable private key (E150, E151)."""
    enabled, enabled_name = resolve_setting("DPOP", False)
    if not isinstance(enabled, bool):
        return [
            checks.Error(
                f"{enabled_name} must be True or False.", id="social_auth0.E152"
            )
        ]
    if not enabled:
        return []
    key, name = resolve_setting("DPOP_KEY", None)
    if not key:
        return [
            checks.Error(
                f"{enabled_name} is on but {name} is not set.",
                hint=KEY_HINT,
                id="social_auth0.E150",
            )
        ]
    return _refused(key, name, "social_auth0.E151")


def check_old_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """``DPOP_OLD_KEYS``, when set, is a list of usable private keys (E153)."""
    old, name = resolve_setting("DPOP_OLD_KEYS", None)
    if old is None:
        return []
    if not isinstance(old, list | tuple):
        return [
            checks.Error(
                f"{name} must be a list of PEM private keys.", id="social_auth0.E153"
            )
        ]
    messages: list[checks.CheckMessage] = []
    for index, key in enumerate(old):
        messages.extend(_refused(key, f"{name}[{index}]", "social_auth0.E153"))
    return messages


def _refused(key: object, name: str, check_id: str) -> list[checks.CheckMessage]:
    try:
        proof.load_key(key)
    except ValueError as error:
        return [checks.Error(f"{name} {error}.", hint=KEY_HINT, id=check_id)]
    return []


CHECKS = (check_dpop_key, check_old_keys)
