"""Bulk benchmarks: concurrent paging, pacing against a rate-limit window, paging memory.

Run from the repository root: ``PYTHONPATH=src python benchmarks/bench_bulk.py`` (or
``python benchmarks/run.py`` for every target). Servers run in a subprocess on loopback.

1. 2,000 items in pages of 50 at 50 ms latency: ``items()`` at its default concurrency
   against the sequential walk (``concurrency=1``, what ``items()`` did before), same items
   in the same order; goal >= 5x faster.
2. ``Client.map`` of 2,000 reads against the served sandbox limited to R calls per
   one-second window: ours (paced by the ``x-ratelimit-*`` headers) against the same map
   without pacing (``pace="off"``, retrying 429s after ``Retry-After`` as py7D's retry
   policy does); goal >= 95 % of R and not one 429 reply. The sandbox's windows start on
   whole seconds, so the rate counts from the start of the window the run began in (a run
   that starts mid-window gets that window's calls in less than a second).
3. Memory while walking 100,000 items concurrently (8 pages at once): the traced peak over
   all of them against the peak over the first 10,000 (bounded library caches fill first);
   goal <= 1.5x (flat).
"""

from __future__ import annotations

import threading
import time

import httpx

import py7D

try:
    from . import _server
    from ._common import Row, print_table, walk_memory
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _server  # type: ignore[no-redef]
    from _common import Row, print_table, walk_memory  # type: ignore[no-redef]

PAGING_GOAL = 5.0
PACE_GOAL = 0.95
RATE = 250  # calls per one-second window in target 2
CALLS = 2_000


class Notes:
    def __init__(self) -> None:
        self.references: list[tuple[str, str]] = []


# --------------------------------------------------------------------------- target 1


def concurrent_paging(notes: Notes) -> Row:
    key, secret = _server.credentials("paged")
    environ = {"BENCH_TOTAL": "100000"}
    with (
        _server.serve(latency=0.05, kind="paged", environ=environ) as url,
        py7D.Client(key, secret, base_url=url, environ={}) as client,
    ):

        def walk(concurrency: int | None) -> tuple[float, list[str]]:
            started = time.perf_counter()
            ids = [
                item["@id"]
                for item in client.items(
                    "release", "byDate", pageSize=50, limit=CALLS, concurrency=concurrency
                )
            ]
            return time.perf_counter() - started, ids

        walk(None)  # connections up, imports and caches warm
        sequential, expected = min(walk(1) for _ in range(2))
        ours, got = min(walk(None) for _ in range(3))
    same = got == expected and len(got) == CALLS
    notes.references.append(
        (
            "bulk 1 items",
            f"{len(got):,} items, same order as the sequential walk: {'yes' if same else 'NO'}",
        )
    )
    ratio = sequential / ours
    return Row(
        target=f"bulk 1. items(): {CALLS:,} items, pages of 50, 50 ms latency",
        baseline_name="sequential walk",
        baseline=sequential,
        value=ours,
        unit="s",
        goal=f">= {PAGING_GOAL:g}x faster, same items",
        passed=same and ratio >= PAGING_GOAL,
    )


# --------------------------------------------------------------------------- target 2


class Statuses:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.lock = threading.Lock()

    def __call__(self, response: httpx.Response) -> None:
        with self.lock:
            self.counts[response.status_code] = self.counts.get(response.status_code, 0) + 1


def _map_run(url: str, key: str, secret: str, pace: str) -> tuple[float, float, Statuses, int]:
    """Seconds taken, calls per second of window time, replies by status, calls failed."""
    statuses = Statuses()
    with py7D.Client(
        key,
        secret,
        base_url=url,
        environ={},
        pace=pace,  # type: ignore[arg-type]
        event_hooks={"response": [statuses]},
    ) as client:
        started, wall = time.perf_counter(), time.time()
        results = client.map(
            "artist", "details", "artistId", [2] * CALLS, concurrency=8, return_exceptions=True
        )
        elapsed = time.perf_counter() - started
    failed = sum(isinstance(r, Exception) for r in results)
    windows = elapsed + (wall - int(wall))  # from the start of the first window used
    return elapsed, CALLS / windows, statuses, failed


def paced_map(notes: Notes) -> Row:
    key, secret = _server.credentials("sandbox")
    # Its own window (a fresh key count) for each run: one server per run.
    environ = {"BENCH_RATE_LIMIT": str(RATE), "BENCH_RATE_WINDOW": "1"}
    with _server.serve(kind="sandbox", app="sandbox", environ=environ) as url:
        base_time, base_rate, base_statuses, base_failed = _map_run(url, key, secret, "off")
    with _server.serve(kind="sandbox", app="sandbox", environ=environ) as url:
        ours, rate, statuses, failed = _map_run(url, key, secret, "bulk")
    too_many = statuses.counts.get(429, 0)
    notes.references.append(
        (
            "bulk 2 pacing",
            f"ours {rate:.0f} calls/s = {rate / RATE:.0%} of R={RATE}/s, {too_many} replies 429, "
            f"{failed} failed; without pacing {base_rate:.0f} calls/s, "
            f"{base_statuses.counts.get(429, 0)} replies 429, {base_failed} failed",
        )
    )
    return Row(
        target=f"bulk 2. map(): {CALLS:,} reads, window of R={RATE} calls/s",
        baseline_name='pace="off"',
        baseline=base_time,
        value=ours,
        unit="s",
        goal=f">= {PACE_GOAL:.0%} of R, 0 replies 429",
        passed=rate >= PACE_GOAL * RATE and too_many == 0 and failed == 0,
    )


# --------------------------------------------------------------------------- target 3


def _paged_transport() -> httpx.MockTransport:
    return httpx.MockTransport(_server.paged)


def paging_memory(notes: Notes) -> Row:
    total = 100_000
    url = "http://bench.invalid/1.2"
    with py7D.Client(
        "bench-key", "bench-secret", base_url=url, environ={}, transport=_paged_transport()
    ) as client:
        items = client.items("release", "byDate", pageSize=50, concurrency=8)
        count, first, peak = walk_memory(items)
    assert count == total, count
    notes.references.append(("bulk 3 memory", f"{count:,} items walked, 8 pages at once"))
    return Row(
        target=f"bulk 3. items(): peak memory over {total:,} items, 8 pages at once",
        baseline_name="peak over the first 10,000",
        baseline=float(first),
        value=float(peak),
        unit="B",
        goal="ours <= 1.5x baseline (flat)",
        passed=peak <= 1.5 * first,
    )


# --------------------------------------------------------------------------- all


def run_report() -> tuple[list[Row], Notes]:
    import os

    os.environ.setdefault("BENCH_TOTAL", "100000")
    notes = Notes()
    rows = [concurrent_paging(notes), paced_map(notes), paging_memory(notes)]
    return rows, notes


def run() -> list[Row]:
    return run_report()[0]


if __name__ == "__main__":
    table, found = run_report()
    print_table(table)
    for name, text in found.references:
        print(f"  {name}  {text}")
