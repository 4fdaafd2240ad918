"""Plain request/response values, so endpoints are functions without sockets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    """An HTTP request as the endpoints see it; repeated parameters keep the first."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (form wins), as Auth0 accepts both."""
        return {**self.query, **self.form}

    def header(self, name: str) -> str:
        """A header's value, case-insensitive, or ``""``."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return ""


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
    """Form fields; Auth0's token endpoint also takes a flat JSON object."""
    media_type = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if media_type == FORM_TYPE:
        return _first_values(parse_qsl(text, keep_blank_values=True))
    if media_type == "application/json":
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        if isinstance(data, dict):
            return {
                str(k): v if isinstance(v, str) else json.dumps(v)
                for k, v in data.items()
            }
    return {}


def parse_request(
    method: str, target: str, headers: Mapping[str, str], body: bytes
) -> Request:
    """Build a :class:`Request` from the raw parts ``http.server`` hands us."""
    url = urlsplit(target)
    form = _body_params(headers.get("Content-Type", ""), body)
    cookies: dict[str, str] = {}
    try:
        cookies = {
            k: m.value for k, m in SimpleCookie(headers.get("Cookie", "")).items()
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
