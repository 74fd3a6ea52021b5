"""Shared helpers for py7D's benchmarks: a result row, a timer and a table printer.

Each benchmark module exposes ``run() -> list[Row]`` and prints :func:`print_table` when run as
a script. A row compares our value with a baseline's and records whether the goal was met.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["PROCESSES", "Row", "best_of", "in_fresh_processes", "print_table", "ratio"]

#: CPU rows are measured in this many fresh interpreters, one after another, and each figure is
#: the median over them. On a shared VM a whole process can run 10-20 % slow (where its memory
#: and its server landed); the median keeps one such process from deciding a row.
PROCESSES = 3


def ratio(baseline: float, value: float) -> float:
    """How many times better ``value`` is than ``baseline`` when lower is better (times, bytes)."""
    if value <= 0:
        return float("inf")
    return baseline / value


@dataclass
class Row:
    """One measured target: ours (``value``) against a named baseline, in the same ``unit``."""

    target: str
    baseline_name: str
    baseline: float
    value: float
    unit: str
    goal: str
    passed: bool

    @property
    def ratio(self) -> float:
        """Baseline divided by ours: above 1 means we are faster/smaller."""
        return ratio(self.baseline, self.value)


def best_of(
    func: Callable[[], object],
    *,
    repeat: int = 5,
    number: int = 1,
    clock: Callable[[], float] = time.process_time,
    collect: bool = True,
) -> float:
    """Best (lowest) seconds per call of ``func`` over ``repeat`` rounds of ``number`` calls.

    The minimum is the least noisy estimate on a shared machine. CPU time (the default clock)
    ignores time spent waiting for other processes; pass ``time.perf_counter`` for wall time.
    A garbage collection before each round keeps earlier rounds' garbage out of the next.
    """
    best = float("inf")
    for _ in range(repeat):
        if collect:
            gc.collect()
        started = clock()
        for _ in range(number):
            func()
        best = min(best, (clock() - started) / number)
    return best


def walk_memory(items: Iterator[object], first_items: int = 10_000) -> tuple[int, int, int]:
    """Walk ``items`` to the end under tracemalloc: ``(count, peak over the first
    first_items after the first, peak over the whole walk)``, in bytes. A flat walk
    has the two peaks about equal."""
    count = 1
    next(items)
    gc.collect()
    tracemalloc.start()
    for _ in range(first_items):
        next(items)
    count += first_items
    _, first = tracemalloc.get_traced_memory()
    for _ in items:
        count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, first, peak


def _format(value: float, unit: str) -> str:
    if unit == "s":
        for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3f} {name}"
        return f"{value / 1e-9:.0f} ns"
    return f"{value:.4g} {unit}"


def print_table(rows: Iterable[Row]) -> None:
    """Print an aligned table: target, baseline, ours, ratio, goal, PASS/FAIL."""
    header = ("target", "baseline", "ours", "ratio", "goal", "result")
    lines = [
        (
            row.target,
            f"{row.baseline_name} {_format(row.baseline, row.unit)}",
            _format(row.value, row.unit),
            f"{row.ratio:.2f}x",
            row.goal,
            "PASS" if row.passed else "FAIL",
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    for cells in [header, tuple("-" * width for width in widths), *lines]:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))


def in_fresh_processes(script: str, argument: str, count: int = PROCESSES) -> dict[str, float]:
    """Run ``python script argument`` ``count`` times; the median of each figure it reports.

    The script prints one JSON object of named figures as its last line of output.
    """
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs: list[dict[str, float]] = []
    for _ in range(count):
        out = subprocess.run(
            [sys.executable, script, argument], env=env, capture_output=True, text=True, check=True
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}
