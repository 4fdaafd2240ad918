"""Delivering OIDC Back-Channel Logout tokens, to loopback addresses only."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import requests

TIMEOUT = 5  # seconds; Auth0 does not wait long for a back-channel endpoint either


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the emulator talks to nothing else)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post_logout_token(url: str, logout_token: str) -> requests.Response:
    """POST ``logout_token`` form-encoded to ``url``, as Auth0 does (section 2.5)."""
    if not is_loopback(url):
        raise ValueError(f"back-channel logout goes to loopback URLs only, not {url!r}")
    return requests.post(
        url,
        data={"logout_token": logout_token},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
