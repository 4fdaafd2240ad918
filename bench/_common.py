"""Shared bits of the benchmarks: Django setup, keys, tokens, interleaved timing.

Machines here are shared and noisy: every figure is printed next to a
baseline measured in the same run, with runs interleaved (A B A B ...) and
the median of the repeats reported.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
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


def print_table(title: str, medians: dict[str, float], unit: str = "us") -> None:
    """Print medians in microseconds or milliseconds."""
    scale = 1e6 if unit == "us" else 1e3
    print(title)
    for name, seconds in medians.items():
        print(f"  {name:<40} {seconds * scale:10.1f} {unit}")
