"""Custom domains: one tenant served under several host names, each with its
own issuer (discovery, JWKS URL, ``iss``) and the same signing keys.

The server reads the ``Host`` of each request and serves it as that domain
(``serving``); a test names the domain its helper-made tokens come from with
``Auth0Tenant.on_domain``. Loopback offers two names for one listening
address: ``127.0.0.1`` (the default) and ``localhost``, which Chromium and
``requests`` both resolve to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_serving: ContextVar[str | None] = ContextVar("auth0_tenant_domain", default=None)


def served() -> str | None:
    """The base URL of the domain the current request (or ``on_domain``) is
    served as, or None: the tenant's first domain."""
    return _serving.get()


@contextmanager
def serving(base_url: str | None) -> Iterator[None]:
    """Serve (or mint tokens) as the domain ``base_url`` inside the block."""
    token = _serving.set(base_url)
    try:
        yield
    finally:
        _serving.reset(token)


def base_url_of(host_header: str | None, known: list[str]) -> str | None:
    """The known base URL a request's ``Host`` names, else None."""
    if not host_header:
        return None
    url = f"http://{host_header.strip().lower()}"
    return url if url in known else None
