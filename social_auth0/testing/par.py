"""``POST /oauth/par`` (RFC 9126) and the ``request_uri`` ``/authorize`` takes.

A pushed request is kept ``PAR_LIFETIME`` seconds and used once, as Auth0
keeps it; an application with ``require_pushed_authorization_requests`` gets
an error page at ``/authorize`` without one. ``tenant.pushed_authorization_requests
= False`` plays a tenant without the feature (no endpoint, none advertised).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .clientauth import ClientAuthRefused, authenticate, client_refusal
from .pages import message_page
from .wire import Request, Response, html_response, json_response, oauth_error

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
PAR_LIFETIME = 30  # seconds (Auth0's)
MAX_PAR_BODY = 10 * 1024  # bytes of parameters (Auth0's limit)
# What authenticates the client: not a parameter of the authorization request.
CLIENT_AUTH_FIELDS = frozenset(
    {"client_id", "client_secret", "client_assertion", "client_assertion_type"}
)


class PushedRequests:
    """Pushed authorization requests by ``request_uri``, single use."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, dict[str, str], float]] = {}

    def push(self, client_id: str, params: dict[str, str]) -> str:
        """Keep ``params`` for ``client_id``; the ``request_uri`` naming them."""
        request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(24)
        with self._lock:
            expires = self._clock() + PAR_LIFETIME
            self._pending[request_uri] = (client_id, dict(params), expires)
        return request_uri

    def take(self, request_uri: str, client_id: str) -> dict[str, str] | None:
        """The parameters behind ``request_uri``, once, while live, for its client."""
        with self._lock:
            found = self._pending.pop(request_uri, None)
        if found is None or found[0] != client_id or found[2] < self._clock():
            return None
        return found[1]


def pushed_authorization_request(tenant: Auth0Tenant, request: Request) -> Response:
    """Keep an authorization request pushed by an authenticated client."""
    if not tenant.pushed_authorization_requests:
        return oauth_error(404, "not_found", "Not found: POST /oauth/par")
    if tenant.misbehave.par_status is not None:
        status = tenant.misbehave.par_status
        error = "invalid_client" if status == 401 else "invalid_request"
        return oauth_error(status, error, "The pushed request was refused")
    try:
        app = authenticate(tenant, request)
    except ClientAuthRefused as refusal:
        return client_refusal(refusal)
    params = {k: v for k, v in request.form.items() if k not in CLIENT_AUTH_FIELDS}
    problem = _problem(params, app.callback_urls)
    if problem is not None:
        return oauth_error(400, "invalid_request", problem)
    request_uri = tenant.pushed_requests.push(app.client_id, params)
    return json_response({"request_uri": request_uri, "expires_in": PAR_LIFETIME}, 201)


def _problem(params: dict[str, str], callback_urls: list[str]) -> str | None:
    if sum(len(k) + len(v) + 2 for k, v in params.items()) > MAX_PAR_BODY:
        return "The request is larger than 10 KB"
    if "request_uri" in params:
        return "request_uri must not be pushed"
    if params.get("redirect_uri") not in callback_urls:
        return "The redirect_uri is not an allowed callback URL"
    if params.get("response_type") != "code":
        return "Unsupported response type"
    return None


def authorize_params(
    tenant: Auth0Tenant, query: dict[str, str]
) -> tuple[dict[str, str], Response | None]:
    """What ``/authorize`` works with: the pushed request a ``request_uri``
    names (used up), else the query; or the error page refusing it."""
    client_id = query.get("client_id", "")
    app = tenant.applications.get(client_id)
    request_uri = query.get("request_uri")
    if request_uri is None:
        if app is not None and app.require_pushed_authorization_requests:
            return query, _page(
                "Pushed authorization request required",
                "This application accepts only pushed authorization requests.",
            )
        return query, None
    pushed = tenant.pushed_requests.take(request_uri, client_id)
    if pushed is None:
        return query, _page(
            "Invalid request_uri",
            "The request_uri is unknown, used or expired. Start again from the app.",
        )
    return {**pushed, "client_id": client_id}, None


def _page(title: str, description: str) -> Response:
    return html_response(message_page(title, description), 400)
