"""Every performance target of py7D, each against its baseline, measured in one run.

    python benchmarks/run.py

Prints the machine, one table (target, baseline, ours, ratio = baseline/ours, goal,
PASS/FAIL), reference measurements and notes. Takes about two minutes on 2 cores. Exit status
1 when a target fails, so CI can run it if it wants to (the test suite never times anything).
"""

from __future__ import annotations

import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

import bench_bulk  # noqa: E402
import bench_cli  # noqa: E402
import bench_client  # noqa: E402
import bench_download  # noqa: E402
import bench_xml  # noqa: E402
from _common import print_table  # noqa: E402


def machine() -> str:
    """CPU model, cores, OS, Python and the library versions the numbers depend on."""
    from importlib.metadata import version

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; httpx {version('httpx')}, "
        f"xmltodict {version('xmltodict')}"
    )


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> int:
    started = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"load average before: {_load()}  (other jobs on the machine skew wall-time rows)\n")
    report = bench_client.run_report()
    xml_rows = bench_xml.run()
    for row in xml_rows:
        row.target = ("2. XML -> dict, " if "locker" in row.target else "   ") + row.target
    # Targets in the order; the XML rows (information ones indented) under target 2.
    ordered = sorted(
        [*report.rows, *xml_rows],
        key=lambda row: int(row.target.split(".")[0]) if row.target[0].isdigit() else 2,
    )
    ordered += bench_cli.run()
    ordered += bench_download.run()  # locker downloads: throughput, memory, resume
    bulk_rows, bulk_notes = bench_bulk.run_report()  # whole collections: their own numbering
    ordered += bulk_rows
    report.references += bulk_notes.references
    print_table(ordered)
    if report.references:
        print("\nreference (same run):")
        width = max(len(name) for name, _ in report.references)
        for name, text in report.references:
            print(f"  {name.ljust(width)}  {text}")
    for note in report.notes:
        print(f"note {note}")
    print(f"load average after: {_load()}")
    failed = [row.target.strip() for row in ordered if not row.passed]
    print(
        f"\n{len(ordered) - len(failed)} passed, {len(failed)} failed "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
