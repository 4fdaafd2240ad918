"""The tenant's request log, with secrets redacted before they are stored."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .wire import Request

REDACTED = "[redacted]"
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "client_assertion",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "id_token_hint",
        "logout_token",
        "password",
        "refresh_token",
        "token",  # /oauth/revoke's refresh token
    }
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie"})


@dataclass(frozen=True)
class RequestRecord:
    """One request the tenant answered; secret values are replaced by ``[redacted]``."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: int


def redact(values: Mapping[str, str], secret_names: frozenset[str]) -> dict[str, str]:
    """A copy of ``values`` with the secret ones (names case-insensitive) hidden."""
    return {
        name: REDACTED if name.lower() in secret_names else value
        for name, value in values.items()
    }


@dataclass
class RequestLog:
    """Thread-safe list of :class:`RequestRecord`, filled by the server threads."""

    _records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Request, status: int) -> None:
        """Store ``request`` with its response status, redacted."""
        entry = RequestRecord(
            method=request.method,
            path=request.path,
            query=redact(request.query, SECRET_PARAMS),
            form=redact(request.form, SECRET_PARAMS),
            headers=redact(request.headers, SECRET_HEADERS),
            status=status,
        )
        with self._lock:
            self._records.append(entry)

    def all(self) -> list[RequestRecord]:
        """A snapshot of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
