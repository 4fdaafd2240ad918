"""Plain request/response values, so endpoints are functions without sockets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
# The largest body the emulator reads (a token request is well under 8 KiB);
# a larger one is refused unread.
MAX_BODY = 64 * 1024


class MalformedBody(ValueError):
    """A body that says it is JSON and is not a JSON object."""


@dataclass(frozen=True)
class Request:
    """An HTTP request as the endpoints see it; repeated parameters keep the first."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    #: why the body could not be read (then ``form`` is empty), or None
    body_error: str | None = None

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (form wins), as Auth0 accepts both."""
        return {**self.query, **self.form}

    def header(self, name: str) -> str:
        """A header's value, case-insensitive, or ``""``."""
        return _header(self.headers, name)


@dataclass
class Response:
    """What an endpoint answers."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def _body_params(content_type: str, body: bytes) -> dict[str, str]:
    """Form fields; Auth0's token endpoint also takes a flat JSON object.

    Raises :class:`MalformedBody` for a JSON body that is not an object.
    """
    media_type = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if media_type == FORM_TYPE:
        return _first_values(parse_qsl(text, keep_blank_values=True))
    if media_type == JSON_TYPE:
        return _json_params(text)
    return {}


# Auth0's token endpoint takes a flat object; anything nested deeper is
# refused before parsing (Python 3.13+ parses any depth, 3.11 and 3.12 raise
# RecursionError: the answer must not depend on which one runs the emulator).
MAX_JSON_DEPTH = 16


def _json_params(text: str) -> dict[str, str]:
    try:
        if _json_depth(text) > MAX_JSON_DEPTH:
            raise ValueError("nested too deep")
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedBody("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedBody("The request body must be a JSON object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, strings skipped."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            in_string = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, case-insensitive (HTTP/2 clients send lowercase)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def body_refusal(content_length: str) -> Response | None:
    """The answer to a body not to read: over ``MAX_BODY``, or a bad length."""
    try:
        length = int(content_length)
    except ValueError:
        length = -1
    if length < 0:
        return oauth_error(400, "invalid_request", "Invalid Content-Length header")
    if length > MAX_BODY:
        return oauth_error(
            413, "invalid_request", f"The request body is over {MAX_BODY} bytes"
        )
    return None


def parse_request(
    method: str, target: str, headers: Mapping[str, str], body: bytes
) -> Request:
    """Build a :class:`Request` from the raw parts ``http.server`` hands us."""
    url = urlsplit(target)
    form: dict[str, str] = {}
    body_error = None
    try:
        form = _body_params(_header(headers, "Content-Type"), body)
    except MalformedBody as error:
        body_error = str(error)
    cookies: dict[str, str] = {}
    try:
        cookies = {
            k: m.value for k, m in SimpleCookie(_header(headers, "Cookie")).items()
        }
    except CookieError:
        pass  # a browser with odd cookies is simply not logged in
    return Request(
        method=method,
        path=url.path,
        query=_first_values(parse_qsl(url.query, keep_blank_values=True)),
        form=form,
        headers=dict(headers.items()),
        cookies=cookies,
        body_error=body_error,
    )


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON answer; never cached, like Auth0's token responses."""
    return Response(
        status,
        json.dumps(data).encode(),
        "application/json; charset=utf-8",
        [("Cache-Control", "no-store"), ("Pragma", "no-cache")],
    )


def html_response(text: str, status: int = 200) -> Response:
    """An HTML page."""
    return Response(
        status,
        text.encode(),
        "text/html; charset=utf-8",
        [("Cache-Control", "no-store")],
    )


def oauth_error(status: int, error: str, description: str) -> Response:
    """An error in Auth0's shape: ``{"error": ..., "error_description": ...}``."""
    return json_response({"error": error, "error_description": description}, status)


def redirect(url: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """A 302 to ``url``."""
    return Response(302, b"", headers=[("Location", url), *(headers or [])])


def add_query(url: str, params: Mapping[str, str | None]) -> str:
    """``url`` with ``params`` added; ``None`` values left out, spaces as %20."""
    present = {name: value for name, value in params.items() if value is not None}
    if not present:
        return url
    separator = "&" if urlsplit(url).query else "?"
    return url + separator + urlencode(present, quote_via=quote)
