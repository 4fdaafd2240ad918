"""The one clock: wall-clock seconds, compared across processes and with the
times Auth0 writes into tokens. Call it as ``clock.current_time()`` so that a
test patches this one function (like Django's token generator's ``_now``)."""

from __future__ import annotations

import time

__all__ = ["current_time"]


def current_time() -> float:
    """Return the current time in seconds since the epoch."""
    return time.time()
