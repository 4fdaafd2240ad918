"""A hostile tenant: a real HTTP server on loopback whose answers a test scripts.

``HostileServer(answer)`` serves every request with ``answer(handler)`` and
records what arrived (method, path, body). Answers for the attacks the tests
make: a redirect elsewhere, a body trickled one byte at a time, a fixed body,
and a proxy to the emulator that rewrites one path's answer.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Answer = Callable[["_Handler"], None]
HOP_HEADERS = ("content-length", "transfer-encoding", "connection")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.owner.received.append(Received(self.command, self.path, body))
        self.server.owner.answer(self)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def reply(
        self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send_response(status)
        headers = headers or [("Content-Type", "application/json")]
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """Serves on 127.0.0.1 in a daemon thread; use as a context manager."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or (lambda handler: handler.reply(404, b"{}"))
        self.received: list[Received] = []
        self.bytes_sent = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> HostileServer:
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # Answers ------------------------------------------------------------------

    def redirect_to(self, url: str, status: int = 307) -> Answer:
        """Answer every request with a redirect to ``url``."""
        return lambda handler: handler.reply(status, b"", [("Location", url)])

    def trickle(self, body: bytes, interval: float = 0.3) -> Answer:
        """Send the headers, then ``body`` one byte every ``interval`` seconds,
        until done or the client hangs up; counts the bytes sent."""

        def answer(handler: _Handler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.flush()
            for byte in body:
                time.sleep(interval)
                try:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                except OSError:
                    return
                self.bytes_sent += 1

        return answer

    def proxy(
        self, upstream: str, rewrite: dict[str, Callable[[bytes], bytes]]
    ) -> Answer:
        """Forward to ``upstream``; the answer of a path in ``rewrite`` is
        replaced by ``rewrite[path](answer_body)``."""
        host = urlsplit(upstream).netloc

        def answer(handler: _Handler) -> None:
            sent = self.received[-1]
            connection = http.client.HTTPConnection(host, timeout=10)
            headers = {
                name: value
                for name, value in handler.headers.items()
                if name.lower() not in ("host", "content-length", "connection")
            }
            connection.request(sent.method, sent.path, sent.body, headers)
            response = connection.getresponse()
            body = response.read()
            path = urlsplit(sent.path).path
            if path in rewrite and response.status == 200:
                body = rewrite[path](body)
            passed = [
                (name, value)
                for name, value in response.getheaders()
                if name.lower()
                not in ("content-length", "transfer-encoding", "connection")
            ]
            handler.reply(response.status, body, passed)
            connection.close()

        return answer
