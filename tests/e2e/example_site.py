"""The example project as the browser tests see it, and the ids it is set up
with (conftest.py starts it; the tests import these)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CLIENT_ID = "e2e-client-id"
ORGANIZATION_ID = "org_e2eacme0000001"  # the example trusts it (AUTH0_ALLOWED_...)
LOG_TAIL_LINES = 40


@dataclass
class ExampleSite:
    """The example project as the tests see it."""

    url: str
    database: Path
    log: Path

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
