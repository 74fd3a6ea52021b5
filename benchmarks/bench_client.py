"""Client benchmarks: CPU per call, TLS keep-alive, async concurrency, import time, paging memory.

Run from the repository root: ``PYTHONPATH=src python benchmarks/bench_client.py`` (or
``python benchmarks/run.py`` for every target). Each target is measured against its baseline
in the same run, on loopback, against the sandbox served by uvicorn in a subprocess (so the
client's ``time.process_time()`` excludes the server's CPU).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict

import py7D

try:
    from . import _server
    from ._common import PROCESSES, Row, in_fresh_processes, print_table
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _server  # type: ignore[no-redef]
    from _common import (  # type: ignore[no-redef]
        PROCESSES,
        Row,
        in_fresh_processes,
        print_table,
    )

CPU_GOAL = 1.6
TLS_GOAL = 5.0
ASYNC_GOAL = 0.90
ASYNC_ROUNDS = 5  # row 4 keeps the best of this many interleaved runs
SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


@dataclass
class Report:
    """Rows that have a goal, plus reference measurements and notes printed below them."""

    rows: list[Row] = field(default_factory=list)
    references: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def _interleaved_cpu(
    variants: dict[str, Callable[[], object]], *, calls: int, rounds: int
) -> dict[str, float]:
    """Best CPU seconds per call of each variant, rounds interleaved so all share conditions.

    The machine is shared (2 cores, other jobs), so each variant keeps its least-disturbed
    round: the minimum is the most repeatable estimate of what the code itself costs.
    """
    for fn in variants.values():  # warm up: connections, caches, lazy imports
        for _ in range(30):
            fn()
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, fn in variants.items():
            gc.collect()
            started = time.process_time()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.process_time() - started) / calls)
    return best


@contextlib.contextmanager
def _tls_files() -> Iterator[tuple[str, str, str]]:
    """A throw-away CA and a 127.0.0.1 certificate (trustme): (ca, cert, key) file paths."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    with tempfile.TemporaryDirectory() as folder:
        ca_file = os.path.join(folder, "ca.pem")
        cert_file = os.path.join(folder, "cert.pem")
        key_file = os.path.join(folder, "key.pem")
        ca.cert_pem.write_to_path(ca_file)
        cert.cert_chain_pems[0].write_to_path(cert_file)
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(cert_file, append=True)
        cert.private_key_pem.write_to_path(key_file)
        yield ca_file, cert_file, key_file


# --------------------------------------------------------------------------- target 1


def cpu_figures() -> dict[str, float]:
    """Best CPU seconds per call of each variant, measured in this process."""
    import httplib2
    import requests

    key, secret = _server.credentials()
    with _server.serve() as base:
        url = httpx.URL(base)
        query = f"oauth_consumer_key={key}&country=GB&artistId=1"
        path = f"{url.path}/artist/details?{query}"
        full = f"{base}/artist/details?{query}"
        conn = http.client.HTTPConnection(url.host, url.port)

        def raw() -> object:
            conn.request("GET", path, headers={"Accept": "application/xml"})
            return xmltodict.parse(conn.getresponse().read())

        client = py7D.Client(key, secret, base_url=base, environ={})
        over_httpx = py7D.Client(key, secret, base_url=base, environ={}, http_client=httpx.Client())
        hx = httpx.Client()
        session = requests.Session()

        def ours() -> object:
            return client.request("artist", "details", artistId=1)

        variants: dict[str, Callable[[], object]] = {
            "raw": raw,
            "py7D.Client": ours,
            "httpx.Client": lambda: xmltodict.parse(hx.get(full).content),
            "requests.Session": lambda: xmltodict.parse(session.get(full).content),
            "httplib2, new connection per call": lambda: xmltodict.parse(
                httplib2.Http().request(full)[1]
            ),
            "py7D.Client over httpx.Client.send": lambda: over_httpx.request(
                "artist", "details", artistId=1
            ),
        }
        best = _interleaved_cpu(variants, calls=150, rounds=15)
        for closeable in (client, over_httpx, hx, session):
            closeable.close()
        conn.close()
    return best


def cpu_per_call(report: Report) -> None:
    """Client CPU per sequential small call (parse included) against raw ``http.client``.

    Measured in :data:`PROCESSES` fresh interpreters (each with its own server); every
    figure is the median of theirs.
    """
    best = in_fresh_processes(__file__, "--cpu-figures")
    report.rows.append(
        Row(
            target="1. CPU per sequential call (small reply, parsed)",
            baseline_name="raw http.client+xmltodict",
            baseline=best["raw"],
            value=best["py7D.Client"],
            unit="s",
            goal=f"ours <= {CPU_GOAL}x baseline",
            passed=best["py7D.Client"] <= CPU_GOAL * best["raw"],
        )
    )
    for name, value in best.items():
        if name != "raw":
            report.references.append(
                (f"CPU/call {name}", f"{value * 1e6:.0f} µs = {value / best['raw']:.2f}x raw")
            )
    report.notes.append(
        f"1, 2, 4: measured in {PROCESSES} fresh interpreters one after another (each with its "
        "own server); each is the best of interleaved rounds, and the table shows the median "
        f"of the {PROCESSES} (a whole process can run 10-20 % slow on this VM)."
    )


# --------------------------------------------------------------------------- target 3


def tls_keepalive(report: Report) -> None:
    """200 sequential calls over TLS: one keep-alive client against a new connection per call.

    The seed made a new ``httplib2.Http()`` per call, and each one loads httplib2's default CA
    bundle to verify the server: that per-call cost is part of "the seed's way". Both sides here
    trust the same file, the default bundle plus the benchmark's own CA; py7D loads it once
    per client. A second figure (reference) trusts only the one-certificate CA file, which
    leaves just the TCP and TLS handshakes as the difference.
    """
    import httplib2

    key, secret = _server.credentials()
    calls = 200
    tls = _tls_files()
    with (
        tls as (ca_file, cert_file, key_file),
        _server.serve(certfile=cert_file, keyfile=key_file) as base,
    ):
        bundle = os.path.join(os.path.dirname(ca_file), "bundle.pem")
        with open(bundle, "wb") as out:
            for source in (httplib2.CA_CERTS, ca_file):
                with open(source, "rb") as fh:
                    out.write(fh.read().rstrip(b"\n") + b"\n")
        full = f"{base}/artist/details?oauth_consumer_key={key}&country=GB&artistId=1"

        def seed_way(trust: str) -> None:
            for _ in range(calls):
                http = httplib2.Http(ca_certs=trust)
                xmltodict.parse(http.request(full)[1])

        def ours(trust: str) -> None:
            context = ssl.create_default_context(cafile=trust)
            with py7D.Client(key, secret, base_url=base, environ={}, verify=context) as c:
                for _ in range(calls):
                    c.request("artist", "details", artistId=1)

        best: dict[tuple[str, str], float] = {}
        seed_way(ca_file)  # warm-up (and proves the certificate is trusted)
        for _ in range(3):  # interleaved, best of three each
            for trust in (bundle, ca_file):
                for name, fn in (("seed", seed_way), ("ours", ours)):
                    started = time.perf_counter()
                    fn(trust)
                    elapsed = time.perf_counter() - started
                    best[name, trust] = min(best.get((name, trust), float("inf")), elapsed)
    baseline, value = best["seed", bundle], best["ours", bundle]
    report.rows.append(
        Row(
            target=f"3. {calls} sequential calls over TLS (wall)",
            baseline_name="httplib2 new conn/call",
            baseline=baseline,
            value=value,
            unit="s",
            goal=f">= {TLS_GOAL:g}x faster",
            passed=baseline / value >= TLS_GOAL,
        )
    )
    narrow_seed, narrow_ours = best["seed", ca_file], best["ours", ca_file]
    report.references.append(
        (
            "TLS, trusting only the test CA",
            f"seed's way {narrow_seed * 1000:.0f} ms, py7D {narrow_ours * 1000:.0f} ms = "
            f"{narrow_seed / narrow_ours:.2f}x (handshakes only)",
        )
    )
    report.notes.append(
        "3: both trust httplib2's default CA bundle plus the test CA; the seed's way loads "
        "it for every new Http(), py7D once per client"
    )


# --------------------------------------------------------------------------- target 4


ASYNC_CALLS, ASYNC_CONCURRENCY, ASYNC_LATENCY = 500, 50, 0.050


def async_figures() -> dict[str, float]:
    """Row 4's wall times in this process: py7D and the bare client, both servers."""
    key, secret = _server.credentials()
    calls, concurrency, latency = ASYNC_CALLS, ASYNC_CONCURRENCY, ASYNC_LATENCY

    async def once(base: str, parser: str = "auto") -> float:
        transport = py7D.Py7DAsyncTransport(http_parser=parser)  # type: ignore[arg-type]
        async with py7D.AsyncClient(
            key, secret, base_url=base, environ={}, transport=transport
        ) as client:
            # A client in use: its pool already holds `concurrency` connections (the bare
            # client below opens its connections before its clock starts too).
            await client.map("artist", "details", "artistId", range(1, 51), concurrency=concurrency)
            ids = [1 + i % 2000 for i in range(calls)]
            started = time.perf_counter()
            results = await client.map(
                "artist", "details", "artistId", ids, concurrency=concurrency
            )
            elapsed = time.perf_counter() - started
        assert len(results) == calls
        return elapsed

    async def floor(base: str) -> float:
        """The same calls from a bare asyncio client (no HTTP library, no parsing)."""
        url = httpx.URL(base)
        path = f"{url.path}/artist/details?oauth_consumer_key={key}&country=GB&artistId=1"
        request = f"GET {path} HTTP/1.1\r\nHost: {url.host}\r\n\r\n".encode()
        streams = [await asyncio.open_connection(url.host, url.port) for _ in range(concurrency)]

        async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for _ in range(calls // concurrency):
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)

        started = time.perf_counter()
        await asyncio.gather(*(worker(r, w) for r, w in streams))
        elapsed = time.perf_counter() - started
        for _, writer in streams:
            writer.close()
        return elapsed

    def measure(app: str, with_h11: bool = False) -> tuple[float, float, float]:
        with _server.serve(latency=latency, app=app) as base:
            best = bare = h11 = float("inf")
            # Interleaved, best of five each: the minimum is the steadiest figure for a
            # wall-time row on a shared VM (one descheduled vCPU can cost a run 10 %).
            for _ in range(ASYNC_ROUNDS):
                best = min(best, asyncio.run(once(base)))
                bare = min(bare, asyncio.run(floor(base)))
                if with_h11:
                    h11 = min(h11, asyncio.run(once(base, "h11")))
        return best, bare, h11

    # The target: the sandbox served as running() serves it, with its own latency fault.
    best, bare, h11 = measure("sandbox", with_h11=True)
    # The same sandbox called inline, latency as a network round trip (see the note).
    inline_best, inline_bare, _ = measure("inline")
    return {
        "ours": best,
        "bare": bare,
        "ours, h11": h11,
        "inline ours": inline_best,
        "inline bare": inline_bare,
    }


def async_concurrency(report: Report) -> None:
    """500 calls, 50 ms server latency, 50 in flight: wall time against the ideal 0.5 s.

    Measured in :data:`PROCESSES` fresh interpreters (each with its own servers);
    each figure is the median of theirs, each of those the best of ASYNC_ROUNDS runs.
    """
    calls, concurrency, latency = ASYNC_CALLS, ASYNC_CONCURRENCY, ASYNC_LATENCY
    ideal = calls / concurrency * latency
    figures = in_fresh_processes(__file__, "--async-figures")
    best, bare = figures["ours"], figures["bare"]
    inline_best, inline_bare = figures["inline ours"], figures["inline bare"]
    report.rows.append(
        Row(
            target=f"4. AsyncClient {calls} calls, {latency * 1000:.0f} ms latency, "
            f"{concurrency} in flight",
            baseline_name="ideal",
            baseline=ideal,
            value=best,
            unit="s",
            goal=f"ratio >= {ASYNC_GOAL:.2f} (of ideal)",
            passed=ideal / best >= ASYNC_GOAL,
        )
    )
    for name, ours, floor_s in (
        ("async, sandbox's latency fault", best, bare),
        ("async, round-trip latency, inline", inline_best, inline_bare),
    ):
        report.references.append(
            (
                name,
                f"py7D {ours * 1000:.0f} ms = {ideal / ours:.2f} of ideal; bare asyncio client "
                f"{floor_s * 1000:.0f} ms = {ideal / floor_s:.2f} (no HTTP library, no parsing)",
            )
        )
    report.references.append(
        (
            "async, replies parsed by h11",
            f"py7D {figures['ours, h11'] * 1000:.0f} ms = {ideal / figures['ours, h11']:.2f} "
            "of ideal (http_parser='h11', where httptools is not installed)",
        )
    )
    report.notes.append(
        "4: the row uses the sandbox's own `latency` fault on every request, served as "
        "py7D.sandbox.running() serves it: each reply is made on arrival and held back 50 ms. "
        "The inline reference calls the sandbox's handler in the event loop, with 25 ms of "
        "latency before it and 25 ms after (a round trip). Clients are warm (50 connections "
        "open); py7D parses replies with httptools unless the line says h11."
    )


# --------------------------------------------------------------------------- target 5


def _subprocess_seconds(code: str, repeat: int) -> float:
    """Best wall seconds that ``code`` reports about itself in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    best = float("inf")
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        best = min(best, float(out.stdout.strip()))
    return best


def _command_seconds(args: list[str], repeat: int) -> float:
    """Best wall seconds of running ``args`` to completion (interpreter start included)."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, env=env)
        best = min(best, time.perf_counter() - started)
    return best


def import_time(report: Report) -> None:
    """``import py7D`` against ``import httpx``, and ``py7d --help``, in fresh interpreters."""
    timed = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"
    repeat = 9
    httpx_s = py7d_s = float("inf")
    for _ in range(repeat):  # interleaved
        httpx_s = min(httpx_s, _subprocess_seconds(timed.format("httpx"), 1))
        py7d_s = min(py7d_s, _subprocess_seconds(timed.format("py7D"), 1))
    report.rows.append(
        Row(
            target="5. import py7D (fresh interpreter)",
            baseline_name="import httpx",
            baseline=httpx_s,
            value=py7d_s,
            unit="s",
            goal="ours <= baseline",
            passed=py7d_s <= httpx_s,
        )
    )
    help_s = _command_seconds([sys.executable, "-m", "py7D", "--help"], repeat)
    bare_httpx = _command_seconds([sys.executable, "-c", "import httpx"], repeat)
    report.rows.append(
        Row(
            target="5. py7d --help (whole process)",
            baseline_name="python -c 'import httpx'",
            baseline=bare_httpx,
            value=help_s,
            unit="s",
            goal="ours <= baseline",
            passed=help_s <= bare_httpx,
        )
    )


# --------------------------------------------------------------------------- target 6


def _paged_handler(total: int, key: str) -> Callable[[httpx.Request], httpx.Response]:
    """An in-process ``release/byDate`` with ``total`` releases, pages made on demand."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("pageSize", "10"))
        first = (page - 1) * size
        items = "".join(
            f'<release id="{i}"><title>Release {i}</title><type>Album</type>'
            f'<artist id="{i % 3000}"><name>Artist</name></artist></release>'
            for i in range(first + 1, min(first + size, total) + 1)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><response status="ok" version="1.2">'
            f"<releases><page>{page}</page><pageSize>{size}</pageSize>"
            f"<totalItems>{total}</totalItems>{items}</releases></response>"
        )
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/xml"})

    return handler


def items_memory(report: Report) -> None:
    """Iterating 100,000 items keeps memory flat: peak over all of them against the first 1,000.

    One walk: the first page is fetched before tracing starts (imports, regex and
    parser caches are one-time costs), then the traced peak of the next 1,000 items is
    the baseline and the peak over all 100,000 is ours. A walk that kept its items (or
    pages) would grow with the count; one page at a time stays where it started.
    """
    if not hasattr(py7D.Client, "items"):
        report.notes.append("6: n/a: items() not yet available (row skipped)")
        return
    total = 100_000
    key, secret = "bench-key", "bench-secret"
    transport = httpx.MockTransport(_paged_handler(total, key))
    url = "http://bench.invalid/1.2"
    with py7D.Client(key, secret, base_url=url, environ={}, transport=transport) as client:
        items: Iterator[Any] = client.items("release", "byDate", pageSize=50)
        count = 1
        next(items)
        gc.collect()
        tracemalloc.start()
        for _ in range(1_000):
            next(items)
        count += 1_000
        _, first = tracemalloc.get_traced_memory()
        for _ in items:
            count += 1
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count == total, count
    report.rows.append(
        Row(
            target=f"6. items(): peak memory over {total:,} items (50 a page)",
            baseline_name="peak over the first 1,000",
            baseline=float(first),
            value=float(peak),
            unit="B",
            goal="ours <= 1.5x baseline (flat)",
            passed=peak <= 1.5 * first,
        )
    )


# --------------------------------------------------------------------------- all


def run_report() -> Report:
    report = Report()
    for bench in (cpu_per_call, tls_keepalive, async_concurrency, import_time, items_memory):
        bench(report)
    if not _server.sandbox_available():
        report.notes.append("server: a stand-in handler (py7D.sandbox not importable)")
    return report


def run() -> list[Row]:
    return run_report().rows


def print_report(report: Report) -> None:
    print_table(report.rows)
    if report.references:
        print("\nreference (same run):")
        width = max(len(name) for name, _ in report.references)
        for name, text in report.references:
            print(f"  {name.ljust(width)}  {text}")
    for note in report.notes:
        print(f"note {note}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--cpu-figures"]:  # one process's figures for row 1, as JSON
        print(json.dumps(cpu_figures()))
    elif sys.argv[1:] == ["--async-figures"]:  # and for row 4
        print(json.dumps(async_figures()))
    else:
        print_report(run_report())
