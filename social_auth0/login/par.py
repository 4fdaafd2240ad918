"""Pushed authorization requests (RFC 9126): the login's parameters go to the
tenant over the back channel, the browser carries only a reference.

With ``PUSHED_AUTHORIZATION_REQUESTS`` the start of a login POSTs every
``/authorize`` parameter the backend built (state, nonce, PKCE challenge,
scope, audience, organization, the allow-listed request parameters) to
``/oauth/par`` with the client's authentication, and redirects the browser to
``/authorize?client_id=…&request_uri=…`` and nothing else: nobody on the front
channel can read or change the request, and Auth0 trusts it because the client
authenticated it. A refused push or an unreachable tenant raises social-core's
structured error at stage ``begin`` (the backend logs it once; social_django's
middleware turns it into a redirect with a message).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from social_core.exceptions import AuthResponseError

from .. import outbound
from ..errors import social_backend as base
from ..outbound import TenantClient

if TYPE_CHECKING:
    pass

PAR_PATH = "/oauth/par"
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# Auth0's request_uri is the prefix and a short random reference; anything
# long or with other characters is not one and never goes into a URL.
MAX_REQUEST_URI_LENGTH = 512
_REQUEST_URI = re.compile(
    rf"{re.escape(REQUEST_URI_PREFIX)}[A-Za-z0-9._~:-]{{1,{MAX_REQUEST_URI_LENGTH}}}"
)
# Auth0 answers 30 s; RFC 9126 says "short". More than this is not a push.
MAX_EXPIRES_IN = 600


class ParBackend(TenantClient, Protocol):
    """What a push uses of ``Auth0OAuth2``."""

    def domain_in_use(self) -> str: ...

    def authorization_url(self) -> str: ...

    def client_id(self) -> str: ...


def par_url(backend: ParBackend) -> str:
    """``{domain in use}/oauth/par``: the domain the login is pinned to, whose
    ``/authorize`` takes the ``request_uri``."""
    return f"{backend.domain_in_use()}{PAR_PATH}"


def pushed_authorize_url(backend: ParBackend, authorize_url: str) -> str:
    """Push the parameters of ``authorize_url``; the URL naming the pushed request."""
    params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
    params.pop("client_id", None)  # client_authentication names the client
    request_uri = push(backend, params)
    query = urlencode({"client_id": backend.client_id(), "request_uri": request_uri})
    return f"{backend.authorization_url()}?{query}"


def push(backend: ParBackend, params: dict[str, str]) -> str:
    """POST ``params`` to ``/oauth/par``, authenticated; the ``request_uri``."""
    response = backend.request(
        par_url(backend),
        method="POST",
        data={**params, **backend.client_authentication()},
        stage="begin",
    )
    answer = outbound.parse_json(base(backend), response, "begin")
    return request_uri_of(backend, answer)


def request_uri_of(backend: ParBackend, answer: object) -> str:
    """The answer's ``request_uri``, bounded, and its ``expires_in`` sane."""
    if not isinstance(answer, dict):
        raise _malformed(backend, "the answer is not a JSON object", None)
    request_uri = answer.get("request_uri")
    if not isinstance(request_uri, str) or not _REQUEST_URI.fullmatch(request_uri):
        raise _malformed(
            backend,
            f"'request_uri' is not {REQUEST_URI_PREFIX}… of at most "
            f"{MAX_REQUEST_URI_LENGTH} URL-safe characters",
            "request_uri",
        )
    lifetime = answer.get("expires_in")
    if (
        isinstance(lifetime, bool)
        or not isinstance(lifetime, int)
        or not 0 < lifetime <= MAX_EXPIRES_IN
    ):
        raise _malformed(
            backend,
            f"'expires_in' is not an integer from 1 to {MAX_EXPIRES_IN}",
            "expires_in",
        )
    return request_uri


def _malformed(
    backend: ParBackend, detail: str, claim: str | None
) -> AuthResponseError:
    return AuthResponseError(
        base(backend),
        f"pushed authorization request: {detail}",
        code="malformed_response",
        claim=claim,
        stage="begin",
    )
