"""The HTTP server: routes requests to endpoint functions and logs them."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import authorize, discovery, domains, login, logout, mfa, oauth, par
from .wire import Request, Response, body_refusal, oauth_error, parse_request

if TYPE_CHECKING:
    from .tenant import Auth0Tenant

logger = logging.getLogger(__name__)

Endpoint = Callable[["Auth0Tenant", Request], Response]

ROUTES: dict[tuple[str, str], Endpoint] = {
    ("GET", "/.well-known/openid-configuration"): discovery.openid_configuration,
    ("GET", "/.well-known/jwks.json"): discovery.jwks,
    ("GET", "/authorize"): authorize.authorize,
    ("GET", "/u/login"): login.show,
    ("POST", "/u/login"): login.submit,
    ("GET", "/u/login/cancel"): login.cancel,
    ("GET", "/u/mfa"): mfa.show,
    ("POST", "/u/mfa"): mfa.submit,
    ("POST", "/oauth/token"): oauth.token,
    ("POST", "/oauth/revoke"): oauth.revoke,
    ("POST", "/oauth/par"): par.pushed_authorization_request,
    ("GET", "/userinfo"): oauth.userinfo,
    ("POST", "/userinfo"): oauth.userinfo,
    ("GET", "/v2/logout"): logout.v2_logout,
    ("GET", "/oidc/logout"): logout.oidc_logout,
    ("POST", "/oidc/logout"): logout.oidc_logout,
}


class TenantHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its tenant; threads die with the process."""

    daemon_threads = True
    # socketserver's default backlog of 5 refuses connections when a test
    # fires a few dozen requests at once (Auth0 does not).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], tenant: Auth0Tenant) -> None:
        super().__init__(address, TenantRequestHandler)
        self.tenant = tenant

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (a test's timeout); report the rest."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class TenantRequestHandler(BaseHTTPRequestHandler):
    """Parse, dispatch, log, answer. HTTP/1.0: no keep-alive outliving ``stop()``."""

    server: TenantHTTPServer
    server_version = "Auth0TenantEmulator/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Answer a GET."""
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        """Answer a POST."""
        self._dispatch()

    def _dispatch(self) -> None:
        length_text = self.headers.get("Content-Length") or "0"
        refusal = body_refusal(length_text)
        if refusal is not None:
            # The body stays unread, so the connection cannot be reused.
            self.close_connection = True
            self._send(refusal)
            return
        request = parse_request(
            self.command,
            self.path,
            dict(self.headers.items()),
            self.rfile.read(int(length_text)),
        )
        tenant = self.server.tenant
        with domains.serving(domains.base_url_of(self.headers["Host"], tenant.domains)):
            response = self._respond(request)
        # Log before answering, so a test that just got its answer sees the record.
        self.server.tenant.log.record(request, response.status)
        self._send(response)

    def _respond(self, request: Request) -> Response:
        if request.body_error is not None:
            return oauth_error(400, "invalid_request", request.body_error)
        endpoint = ROUTES.get((request.method, request.path))
        if endpoint is None:
            return oauth_error(
                404, "not_found", f"Not found: {request.method} {request.path}"
            )
        try:
            return endpoint(self.server.tenant, request)
        except Exception:  # a bug in the emulator must not hang the client
            logger.exception("Auth0 tenant emulator failed on %s", request.path)
            return oauth_error(500, "server_error", "The tenant emulator failed")

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet: request lines carry codes; ``tenant.requests`` is redacted."""
