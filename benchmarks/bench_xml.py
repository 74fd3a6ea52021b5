"""XML parsing: ``py7D._xml.parse`` against ``xmltodict.parse`` on real 7digital replies.

Run from the repository root: ``PYTHONPATH=src python benchmarks/bench_xml.py``.

Three bodies: a large ``user/locker`` page (~700 KB, synthesised by repeating the recorded
``lockerRelease`` elements, which is what a 50-item locker page with full track lists weighs),
a mid-size search page and a small details reply. The recorded replies are read from the shared
directory beside the repository. Both parsers must produce the same dict before anything is timed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import xmltodict

from py7D._xml import parse

try:  # imported as part of a ``benchmarks`` package
    from ._common import (  # type: ignore[import-not-found,unused-ignore]
        Row,
        best_of,
        in_fresh_processes,
        print_table,
    )
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    from _common import Row, best_of, in_fresh_processes, print_table

RECORDED = Path(__file__).resolve().parents[1].parent / "shared" / "api" / "recorded"
LOCKER_SOURCES = [
    "user/locker/4874230/release_1627544.xml",
    "user/locker/4874230/yourmusic_1_1_purchasedate_desc.xml",
    "user/locker/3547/purchase_4.xml",
    "_node-client-tests/locker-single-release-and-track.xml",
]
LOCKER_TARGET_BYTES = 700_000
LARGE_GOAL = 2.5


def _read(relative: str) -> bytes:
    path = RECORDED / relative
    if not path.is_file():
        raise SystemExit(f"bench_xml needs the recorded replies: {path} is missing")
    return path.read_bytes()


def locker_page(target_bytes: int = LOCKER_TARGET_BYTES) -> tuple[bytes, int]:
    """A ``user/locker`` reply of about ``target_bytes``, cycling the recorded releases."""
    releases: list[str] = []
    for source in LOCKER_SOURCES:
        text = _read(source).decode("utf-8")
        releases += re.findall(r"<lockerRelease>.*?</lockerRelease>", text, re.S)
    items: list[str] = []
    size = 0
    while size < target_bytes:
        items.append(releases[len(items) % len(releases)])
        size += len(items[-1])
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" status="ok" version="1.2"'
        ' xsi:noNamespaceSchemaLocation="http://api.7digital.com/1.2/static/7digitalAPI.xsd">\n'
        "  <locker>\n    <lockerReleases>\n"
        f"      <page>1</page>\n      <pageSize>{len(items)}</pageSize>\n"
        f"      <totalItems>{len(items)}</totalItems>\n      "
    )
    tail = "\n    </lockerReleases>\n  </locker>\n</response>\n"
    return (head + "\n      ".join(items) + tail).encode("utf-8"), len(items)


def _measure(data: bytes, number: int, rounds: int) -> tuple[float, float]:
    """Best seconds per parse for xmltodict and for us, rounds interleaved to share conditions."""
    if parse(data) != xmltodict.parse(data):
        raise AssertionError("py7D._xml.parse differs from xmltodict.parse")
    baseline = ours = float("inf")
    for _ in range(rounds):
        baseline = min(baseline, best_of(lambda: xmltodict.parse(data), repeat=1, number=number))
        ours = min(ours, best_of(lambda: parse(data), repeat=1, number=number))
    return baseline, ours


def _bodies() -> list[tuple[str, bytes, int, float | None]]:
    """(target, body, calls per round, goal as a speed-up factor or None for information only)."""
    large, items = locker_page()
    search = _read("release/search/three-pages-of-results-page-1.xml")
    details = _read("release/details/releaseid-2432.xml")
    return [
        (f"parse locker page ({len(large) // 1000} KB, {items} releases)", large, 3, LARGE_GOAL),
        (f"parse search page ({len(search) // 1000} KB)", search, 20, None),
        (f"parse release details ({len(details) / 1000:.1f} KB)", details, 300, None),
    ]


def figures() -> dict[str, float]:
    """Best seconds per parse of each body, both parsers, measured in this process."""
    out: dict[str, float] = {}
    for target, data, number, _ in _bodies():
        out[f"xmltodict {target}"], out[f"ours {target}"] = _measure(data, number, rounds=7)
    return out


def run() -> list[Row]:
    """Time both parsers on the three bodies; the large page must be >= 2.5x faster.

    Measured in fresh interpreters (see ``_common.PROCESSES``); each figure is the median.
    """
    measured = in_fresh_processes(__file__, "--figures")
    rows = []
    for target, _, _, goal in _bodies():
        baseline, ours = measured[f"xmltodict {target}"], measured[f"ours {target}"]
        rows.append(
            Row(
                target=target,
                baseline_name="xmltodict",
                baseline=baseline,
                value=ours,
                unit="s",
                goal=f">= {goal}x faster" if goal else "faster (info)",
                passed=baseline / ours >= (goal or 1.0),
            )
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1:] == ["--figures"]:  # one process's figures, as JSON
        print(json.dumps(figures()))
    else:
        print_table(run())
