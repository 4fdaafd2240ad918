"""Every request to the tenant, and how its answers are read.

All HTTP goes through social-core's ``BaseAuth.request`` (the user's
``REQUESTS_TIMEOUT``, ``PROXIES``, ``VERIFY_SSL``, ``USER_AGENT`` and its error
mapping apply); ``Auth0OAuth2.request`` hands it to :func:`send`, so the token
endpoint, the JWKS, discovery, ``/userinfo``, ``/oauth/revoke`` and the
doctor's calls are all guarded here, and none can forget to be:

- **No redirects.** requests follows a 307/308 with the same method and body,
  so a token endpoint answering 307 would have the client secret (or a refresh
  token) re-sent wherever it points. The tenant never redirects an API call:
  a 3xx is an error, and nothing is sent to its ``Location``.
- **A total deadline.** ``REQUESTS_TIMEOUT`` bounds each socket read; a tenant
  trickling one byte at a time never trips it. The body is read here, in a
  response hook (before requests reads it), against a deadline of
  ``DEADLINE_FACTOR`` times the per-read timeout from the request's start.
- **A size bound.** At most ``MAX_RESPONSE_BYTES`` (decoded) are read.

:func:`parse_json` and :func:`check_token_response` turn what was read into
data or a social-core structured error (never a ``RecursionError`` from a body
nested thousands deep, nor an ``OverflowError`` from ``expires_in = 10**400``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

from requests.auth import AuthBase, HTTPBasicAuth
from social_core.exceptions import AuthProviderError, AuthResponseError

if TYPE_CHECKING:
    from requests import PreparedRequest, Response
    from social_core.backends.base import BaseAuth
    from social_core.exceptions import ErrorStage, SocialAuthBaseException

# Auth0's answers are small (a JWKS with a few keys, a token response with an
# ID token of at most ~100 KiB): 1 MiB leaves room and bounds the memory.
MAX_RESPONSE_BYTES = 1 << 20
# The whole answer (connect, headers, body) must arrive within this many
# per-read timeouts (REQUESTS_TIMEOUT, default 5 s).
DEADLINE_FACTOR = 2
READ_CHUNK = 16_384
# Ten years: beyond any access-token lifetime Auth0 issues (at most 30 days),
# and far inside what a float timestamp and a datetime can hold.
MAX_EXPIRES_IN = 10 * 366 * 86_400
PARSING_ERRORS = (ValueError, RecursionError, OverflowError, MemoryError)
_STRING_FIELDS = ("access_token", "id_token", "refresh_token", "token_type", "scope")


class TenantClient(Protocol):
    """What a call to the tenant authenticated as the application uses of
    ``Auth0OAuth2``: its client authentication (``client_authentication``:
    a secret or a signed assertion) and its guarded ``request``."""

    def client_authentication(self) -> dict[str, str]: ...

    def request(
        self,
        url: str,
        *,
        method: Literal["GET", "POST", "DELETE"] = ...,
        data: dict[Any, Any] | None = ...,
        stage: ErrorStage = ...,
    ) -> Response: ...


class _Stopped(Exception):  # noqa: N818 (control flow out of requests' hook)
    """Raised in the response hook; :func:`send` turns it into a social-core error."""

    def __init__(self, response: Response, reason: str = "", *details: object) -> None:
        super().__init__(reason)
        self.response, self.reason, self.details = response, reason, details


class _Guard(AuthBase):
    """Applies the caller's auth and reads the first response, bounded.

    Raising in a response hook is the only way to stop requests from following
    a redirect from within social-core's ``request``.
    """

    def __init__(self, auth: Any, deadline: float, first_answer: bool) -> None:
        self.auth = HTTPBasicAuth(*auth) if isinstance(auth, tuple) else auth
        self.deadline, self.first_answer = deadline, first_answer

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.register_hook("response", self._read)  # type: ignore[no-untyped-call]
        return self.auth(request) if self.auth is not None else request

    def _read(self, response: Response, **kwargs: Any) -> None:
        try:
            response._content = read_bounded(response, self.deadline)
        finally:
            response.close()
        response._content_consumed = True  # type: ignore[attr-defined]
        if self.first_answer:
            raise _Stopped(response)
        if 300 <= response.status_code < 400:
            raise _Stopped(
                response,
                "http_error",
                f"answered {response.status_code} (a redirect): not followed",
            )


def read_bounded(response: Response, deadline: float) -> bytes:
    """The body, read in pieces until the end, the size bound or the deadline."""
    body = bytearray()
    while True:
        if time.monotonic() > deadline:
            raise _Stopped(
                response, "timeout", f"the answer was not complete in time "
                f"({len(body)} bytes read)",
            )  # fmt: skip
        chunk = response.raw.read1(READ_CHUNK, decode_content=True)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise _Stopped(
                response, "malformed_response",
                f"the answer is larger than {MAX_RESPONSE_BYTES} bytes",
            )  # fmt: skip


def per_read_timeout(backend: BaseAuth[Any], timeout: Any) -> float:
    """The per-read timeout social-core will use (as it computes it)."""
    value = (
        timeout
        or backend.setting("REQUESTS_TIMEOUT")
        or backend.setting("URLOPEN_TIMEOUT")
        or 5.0
    )
    if isinstance(value, tuple):  # requests' (connect, read)
        return float(sum(value))
    return float(value)


def send(
    request: Callable[..., Response],
    backend: BaseAuth[Any],
    url: str,
    *,
    first_answer: bool = False,
    **kwargs: Any,
) -> Response:
    """Call social-core's ``request`` (bound as ``request``), guarded.

    ``first_answer``: return the first response whatever its status, without
    following it (the doctor reading ``/authorize``'s redirect or error page).
    """
    stage: ErrorStage = kwargs.get("stage", "user_info")
    started = time.monotonic()
    deadline = started + DEADLINE_FACTOR * per_read_timeout(
        backend, kwargs.get("timeout")
    )
    kwargs["auth"] = _Guard(kwargs.get("auth"), deadline, first_answer)
    try:
        return request(url, **kwargs)
    except _Stopped as stopped:
        if not stopped.reason:
            return stopped.response
        raise _error(backend, stopped, stage) from None


def _error(
    backend: BaseAuth[Any], stopped: _Stopped, stage: ErrorStage
) -> SocialAuthBaseException:
    if stopped.reason == "malformed_response":
        return AuthResponseError(
            backend, *stopped.details, code="malformed_response", stage=stage
        )
    return AuthProviderError(
        backend,
        *stopped.details,
        code=stopped.reason,
        stage=stage,
        status_code=stopped.response.status_code if stopped.reason == "http_error"
        else None,
    )  # fmt: skip


def parse_json(backend: BaseAuth[Any], response: Response, stage: ErrorStage) -> Any:
    """The JSON body; any body that does not parse is ``malformed_response``."""
    try:
        return response.json()
    except PARSING_ERRORS as error:
        raise AuthResponseError(
            backend,
            f"response could not be parsed ({type(error).__name__})",
            code="malformed_response",
            stage=stage,
        ) from None


def check_token_response(
    backend: BaseAuth[Any], data: object, stage: ErrorStage
) -> dict[str, Any]:
    """A token-endpoint answer: a JSON object whose fields have Auth0's types."""
    if not isinstance(data, dict):
        raise AuthResponseError(
            backend, "token response is not a JSON object",
            code="malformed_response", stage=stage,
        )  # fmt: skip
    for name in _STRING_FIELDS:
        if name in data and not isinstance(data[name], str):
            raise _bad_field(backend, name, "is not a string", stage)
    lifetime = data.get("expires_in")
    if lifetime is not None and (
        isinstance(lifetime, bool)
        or not isinstance(lifetime, int)
        or not 0 <= lifetime <= MAX_EXPIRES_IN
    ):
        raise _bad_field(
            backend, "expires_in", f"is not an integer from 0 to {MAX_EXPIRES_IN}",
            stage,
        )  # fmt: skip
    return data


def _bad_field(
    backend: BaseAuth[Any], name: str, problem: str, stage: ErrorStage
) -> AuthResponseError:
    return AuthResponseError(
        backend,
        f"token response {name!r} {problem}",
        code="malformed_response",
        claim=name,
        stage=stage,
    )
