"""Django Ninja authentication for APIs protected by Auth0 access tokens.

::

    api = NinjaAPI(auth=Auth0Bearer())
    add_error_handler(api)  # RFC 6750 answers, WWW-Authenticate included

    @api.get("/reports", auth=Auth0Bearer(scopes=["read:reports"]))
    def reports(request):
        request.auth.sub

Needs the ``ninja`` extra (``pip install 'social-auth0[ninja]'``).
Verification is ``social_auth0.resource``'s: the same settings, keys, scopes
and RFC 6750 errors as ``token_required``, bodies included.

Ninja turns whatever an auth class raises into a response through the API's
exception handlers; its stock handler for ``HttpError`` answers ``{"detail":
...}`` with no headers. ``add_error_handler(api)`` registers the handler that
answers as the plain views do. Without it, an ``Auth0BearerError`` (an
``HttpError``) still gets its status (401, 403, 400, 503) in Ninja's shape,
never a 500: a challenge-less answer rather than a broken one.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, cast

try:
    from ninja.errors import HttpError
    from ninja.security.http import HttpAuthBase
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "social_auth0.contrib.ninja needs Django Ninja: "
        "pip install 'social-auth0[ninja]'"
    ) from error

from django.http import HttpRequest, HttpResponse

from ..resource import BearerError
from ..resource import _aprotect as aprotect
from ..resource import _error_response as bearer_error_response
from ..resource import _protect as protect

if TYPE_CHECKING:
    from ninja import NinjaAPI


class Auth0BearerError(HttpError):
    """An RFC 6750 refusal raised by ``Auth0Bearer``; ``.error`` is the answer."""

    def __init__(self, error: BearerError) -> None:
        super().__init__(error.status, error.description)
        self.error = error


def bearer_error_handler(request: HttpRequest, exc: Auth0BearerError) -> HttpResponse:
    """The plain views' answer to ``exc``: status, ``WWW-Authenticate``, JSON."""
    return bearer_error_response(exc.error, request)


def add_error_handler(api: NinjaAPI) -> None:
    """Make ``api`` answer ``Auth0Bearer``'s refusals as RFC 6750 says."""
    # Ninja types handlers as taking the exception or its class; it passes
    # the raised instance.
    api.add_exception_handler(Auth0BearerError, cast("Any", bearer_error_handler))


def _verify(request: HttpRequest, scopes: tuple[str, ...]) -> Any:
    """The caller of a valid token granting ``scopes``, or ``Auth0BearerError``."""
    try:
        protect(request, scopes)
    except BearerError as error:
        raise Auth0BearerError(error) from None
    return request.user


async def _averify(request: HttpRequest, scopes: tuple[str, ...]) -> Any:
    """``_verify`` for an async operation: resource.py's async-native path
    (warm keys on the event loop, only blocking I/O in a worker thread)."""
    try:
        await aprotect(request, scopes)
    except BearerError as error:
        raise Auth0BearerError(error) from None
    return request.user


class Auth0Bearer(HttpAuthBase):
    """``Authorization: Bearer <Auth0 access token>`` for a Ninja API,
    router or operation.

    ``request.auth`` (and ``request.user``) is the caller: an
    ``Auth0Principal``, or the linked Django user with ``API_LINKED_USER``;
    ``request.auth0_claims`` the verified claims. Every refusal, no token
    included, is an ``Auth0BearerError``: put this class last in a list of
    auth classes, since Ninja tries none after a raise.
    """

    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __init__(self, scopes: Iterable[str] = ()) -> None:
        super().__init__()
        self.scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
        # Ninja awaits what an "async" auth class returns on an async
        # operation and takes a non-coroutine result as it is on a sync one:
        # __call__ answers each its own way (no thread hop for sync).
        self.is_async = True

    def __call__(self, request: HttpRequest) -> Any | Awaitable[Any]:
        """The caller (sync operation) or an awaitable of it (async operation)."""
        if _called_from_coroutine(self):
            return _averify(request, self.scopes)
        return _verify(request, self.scopes)


def _called_from_coroutine(auth: Auth0Bearer) -> bool:
    """Whether ``auth``'s caller is a coroutine (Ninja's async operations call
    auth classes from ``async def _run_authentication``, its sync ones from a
    plain function), past the ``__call__`` of a subclass calling ``super()``.
    Asked of the caller, not of the thread: a sync operation may run where
    an event loop is running (a sync test client beside Playwright's sync
    API, say), and must not get a coroutine Ninja would then fail to run
    there."""
    caller = sys._getframe(2)  # 0: here, 1: __call__, 2: its caller
    while caller.f_code.co_name == "__call__" and caller.f_locals.get("self") is auth:
        if caller.f_back is None:
            break
        caller = caller.f_back
    return bool(caller.f_code.co_flags & inspect.CO_COROUTINE)


__all__ = ["Auth0Bearer", "Auth0BearerError", "add_error_handler"]
