"""What a benchmark reports, and the small helpers to time, summarise and print it."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Measurement:
    """One number: ``value`` ``unit`` for ``what`` in ``benchmark`` on ``backend``.

    ``count`` and ``seconds`` say what a rate was computed from (count / seconds)."""

    benchmark: str
    what: str
    backend: str
    value: float
    unit: str
    count: int | None = None
    seconds: float | None = None


def rate(benchmark: str, what: str, backend: str, count: int, seconds: float,
         unit: str = "events/s") -> Measurement:
    """``count`` things done in ``seconds``, as a rate."""
    return Measurement(benchmark, what, backend, count / seconds, unit, count, seconds)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """Run ``action``; return its result and the wall-clock seconds it took."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; numbers right-aligned."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
        return "" if value is None else str(value)

    cells = [[cell(v) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], int | float) for row in rows if row[i] is not None)
               for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def results_table(measurements: Sequence[Measurement]) -> str:
    return markdown_table(
        ["benchmark", "measurement", "backend", "value", "unit", "n", "seconds"],
        [(m.benchmark, m.what, m.backend, m.value, m.unit, m.count, m.seconds)
         for m in measurements])
