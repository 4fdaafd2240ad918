"""Shared bits of the benchmarks: Django setup, keys, tokens, interleaved timing.

Machines here are shared and noisy: every figure is printed next to a
baseline measured in the same run, with runs interleaved (A B A B ...) and
the median of the repeats reported.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(settings_module: str = "tests.settings") -> None:
    """Configure Django with the test settings (or another module)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def interleaved(
    candidates: dict[str, Callable[[], object]], *, repeats: int, number: int
) -> dict[str, float]:
    """Median seconds per call of each candidate, runs interleaved A B A B."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, func in candidates.items():
            start = time.perf_counter()
            for _ in range(number):
                func()
            samples[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def interleaved_on_loop(
    candidates: dict[str, Callable[[], object] | Callable[[], Awaitable[object]]],
    *,
    repeats: int,
    number: int,
) -> dict[str, float]:
    """``interleaved`` for async candidates beside sync ones, on one event
    loop made once: each sample is one ``run_until_complete`` of a coroutine
    that awaits (or, for a plain function, calls) the candidate ``number``
    times, so every candidate pays the same loop overhead, once per sample.
    Each candidate first runs once on that loop (warm; it must not raise)."""

    async def batch(func: Callable[[], object], count: int) -> None:
        if inspect.iscoroutinefunction(func):
            for _ in range(count):
                await func()
        else:
            for _ in range(count):
                func()

    samples: dict[str, list[float]] = {name: [] for name in candidates}
    loop = asyncio.new_event_loop()
    try:
        for func in candidates.values():
            loop.run_until_complete(batch(func, 1))
        for _ in range(repeats):
            for name, func in candidates.items():
                start = time.perf_counter()
                loop.run_until_complete(batch(func, number))
                samples[name].append((time.perf_counter() - start) / number)
    finally:
        loop.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def print_table(title: str, medians: dict[str, float], unit: str = "us") -> None:
    """Print medians in microseconds or milliseconds."""
    scale = 1e6 if unit == "us" else 1e3
    print(title)
    for name, seconds in medians.items():
        print(f"  {name:<40} {seconds * scale:10.1f} {unit}")
