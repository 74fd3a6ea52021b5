"""Client benchmarks: CPU per call, a big page end to end, async concurrency, bytes on the wire,
import time, paging memory, TLS keep-alive.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict

import py7D

try:
    from . import _server
    from ._common import PROCESSES, Row, in_fresh_processes, print_table, walk_memory
except ImportError:  # run as a script: benchmarks/ is sys.path[0]
    import _server  # type: ignore[no-redef]
    from _common import (  # type: ignore[no-redef]
        PROCESSES,
        Row,
        in_fresh_processes,
        print_table,
        walk_memory,
    )

CPU_GOAL = 1.0
LOCKER_GOAL = 2.5
TLS_GOAL = 5.0
ASYNC_GOAL = 0.85
ASYNC_NEAR = 0.05  # row 3: within 5 % of the bare AiohttpTransport client
WIRE_GOAL = 0.15
ASYNC_ROUNDS = 5  # row 3 keeps the best of this many interleaved runs
#: Rows 1 and 3 compare two clients within a few per cent: the median of this many fresh
#: interpreters (a whole process can run 10-20 % slow, and not always both clients alike:
#: row 1's ratio ranged 0.75-1.03 over ten processes in a row on this VM, median 0.92).
CPU_PROCESSES = 7
ASYNC_PROCESSES = 5
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
        hx = httpx.Client()
        session = requests.Session()

        def ours() -> object:
            return client.request("artist", "details", artistId=1)

        variants: dict[str, Callable[[], object]] = {
            "httpx.Client": lambda: xmltodict.parse(hx.get(full).content),
            "py7D.Client": ours,
            "raw http.client": raw,
            "requests.Session": lambda: xmltodict.parse(session.get(full).content),
        }
        best = _interleaved_cpu(variants, calls=150, rounds=15)
        for closeable in (client, hx, session):
            closeable.close()
        conn.close()
    return best


def cpu_per_call(report: Report) -> None:
    """Client CPU per sequential small call (parse included) against httpx + xmltodict by hand.

    Measured in :data:`PROCESSES` fresh interpreters (each with its own server); every
    figure is the median of theirs.
    """
    best = in_fresh_processes(__file__, "--cpu-figures", count=CPU_PROCESSES)
    baseline = best["httpx.Client"]
    report.rows.append(
        Row(
            target="1. CPU per sequential call (small reply, parsed)",
            baseline_name="httpx.Client.get+xmltodict",
            baseline=baseline,
            value=best["py7D.Client"],
            unit="s",
            goal=f"ours <= {CPU_GOAL}x baseline",
            passed=best["py7D.Client"] <= CPU_GOAL * baseline,
        )
    )
    for name, value in best.items():
        if name not in ("httpx.Client", "py7D.Client"):
            report.references.append(
                (f"CPU/call {name}", f"{value * 1e6:.0f} µs = {value / baseline:.2f}x httpx")
            )
    report.notes.append(
        f"1: measured in {CPU_PROCESSES} fresh interpreters, 3 in {ASYNC_PROCESSES}, 2 and 4 "
        f"in {PROCESSES}, one after another (each with its own server); each is the best of "
        "interleaved rounds, and the table shows the median of the interpreters (a whole "
        "process can run 10-20 % slow on this VM)."
    )


# --------------------------------------------------------------------------- targets 2 and 4


class _CountingTransport(httpx.BaseTransport):
    """``httpx.HTTPTransport``, counting the body bytes that arrive (before decoding)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


class _CountingStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, owner: _CountingTransport) -> None:
        self.stream, self.owner = stream, owner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.stream:
            self.owner.received += len(chunk)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def locker_figures() -> dict[str, float]:
    """The ~700 KB locker page from a compressing server: seconds per call, ours and
    httpx + xmltodict by hand (the same dict), and the bytes each call received."""
    key, secret = _server.credentials("locker")
    token = ("token", "token-secret")
    with _server.serve(kind="locker", app="gzip") as base:
        full = f"{base}/user/locker?pageSize=50"
        hx = httpx.Client()
        counting = _CountingTransport()
        client = py7D.Client(key, secret, base_url=base, environ={}, transport=counting)
        plain = xmltodict.parse(hx.get(full).content)
        ours = client.request("user", "locker", access_token=token, pageSize=50)
        if ours["response"] != plain["response"]:
            raise AssertionError("py7D's locker page differs from httpx + xmltodict's")
        counting.received = 0
        client.request("user", "locker", access_token=token, pageSize=50)
        wire = counting.received
        xml = len(hx.get(full, headers={"Accept-Encoding": "identity"}).content)
        body = hx.get(full).content
        best = dict.fromkeys(("httpx", "ours", "fetch", "expat floor"), float("inf"))
        for _ in range(7):  # interleaved
            for name, fn in (
                ("httpx", lambda: xmltodict.parse(hx.get(full).content)),
                ("ours", lambda: client.request("user", "locker", access_token=token, pageSize=50)),
                ("fetch", lambda: hx.get(full).content),
                ("expat floor", lambda: _expat_floor(body)),
            ):
                gc.collect()
                started = time.perf_counter()
                for _ in range(3):
                    fn()
                best[name] = min(best[name], (time.perf_counter() - started) / 3)
        hx.close()
        client.close()
    return {**best, "wire": float(wire), "xml": float(xml)}


def _expat_floor(body: bytes) -> None:
    """Expat over ``body`` calling Python handlers that do nothing: what any parser built
    on expat's callbacks (xmltodict's and py7D's) pays before doing any work."""
    from xml.parsers import expat

    def nothing(*_: object) -> None:
        return None

    parser = expat.ParserCreate(None, None, intern=None)
    parser.buffer_text = True
    parser.StartElementHandler = parser.EndElementHandler = nothing
    parser.CharacterDataHandler = nothing
    parser.Parse(body, True)


def locker_page(report: Report) -> None:
    """Row 2 end to end and row 4: a big page fetched and parsed, and what it weighs on the wire."""
    figures = in_fresh_processes(__file__, "--locker-figures")
    report.rows.append(
        Row(
            target=f"2. locker page ({figures['xml'] / 1000:.0f} KB) fetched + parsed (wall)",
            baseline_name="httpx.Client.get+xmltodict",
            baseline=figures["httpx"],
            value=figures["ours"],
            unit="s",
            goal=f">= {LOCKER_GOAL}x faster, same dict",
            passed=figures["httpx"] / figures["ours"] >= LOCKER_GOAL,
        )
    )
    fetch, floor = figures["fetch"], figures["expat floor"]
    report.references.append(
        (
            "locker page: the fetch alone",
            f"{fetch * 1000:.1f} ms (request, server gzip, transfer, gunzip: both sides pay it)",
        )
    )
    report.references.append(
        (
            "locker page: expat, handlers doing nothing",
            f"{floor * 1000:.1f} ms; fetch + that = best end-to-end ratio for any parser on "
            f"expat's callbacks: {figures['httpx'] / (fetch + floor):.2f}x",
        )
    )
    report.rows.append(
        Row(
            target="4. bytes on the wire for that page, server compressing",
            baseline_name="the XML",
            baseline=figures["xml"],
            value=figures["wire"],
            unit="B",
            goal=f"ours <= {WIRE_GOAL:.0%} of the XML",
            passed=figures["wire"] <= WIRE_GOAL * figures["xml"],
        )
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
            target=f"6. {calls} sequential calls over TLS (wall)",
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
        "6: both trust httplib2's default CA bundle plus the test CA; the seed's way loads "
        "it for every new Http(), py7D once per client"
    )


# --------------------------------------------------------------------------- target 3


ASYNC_CALLS, ASYNC_LATENCY = 500, 0.050
ASYNC_CONCURRENCY = (50, 200)


def async_figures() -> dict[str, float]:
    """Row 3's wall times in this process: py7D and a bare AiohttpTransport client."""
    from httpx_aiohttp import AiohttpTransport

    key, secret = _server.credentials()
    calls, latency = ASYNC_CALLS, ASYNC_LATENCY
    ids = [1 + i % 2000 for i in range(calls)]

    cpu: dict[str, float] = {}

    async def ours(base: str, concurrency: int) -> float:
        async with py7D.AsyncClient(key, secret, base_url=base, environ={}) as client:
            # A client in use: its pool already holds its connections (as the bare one's).
            await client.map(
                "artist", "details", "artistId", ids[:concurrency], concurrency=concurrency
            )
            started, cpu_started = time.perf_counter(), time.process_time()
            results = await client.map(
                "artist", "details", "artistId", ids, concurrency=concurrency
            )
            elapsed = time.perf_counter() - started
            cpu["ours"] = min(cpu.get("ours", 1e9), time.process_time() - cpu_started)
        assert len(results) == calls
        return elapsed

    async def bare(base: str, concurrency: int) -> float:
        """What a user would write: httpx over AiohttpTransport, xmltodict, a semaphore."""
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=100)
        async with httpx.AsyncClient(transport=AiohttpTransport(limits=limits)) as hx:
            gate = asyncio.Semaphore(concurrency)

            async def one(artist: int) -> Any:
                async with gate:
                    query = f"oauth_consumer_key={key}&country=GB&artistId={artist}"
                    reply = await hx.get(f"{base}/artist/details?{query}")
                    return xmltodict.parse(reply.content)

            await asyncio.gather(*(one(i) for i in ids[:concurrency]))
            started, cpu_started = time.perf_counter(), time.process_time()
            results = await asyncio.gather(*(one(i) for i in ids))
            elapsed = time.perf_counter() - started
            cpu["bare"] = min(cpu.get("bare", 1e9), time.process_time() - cpu_started)
        assert len(results) == calls
        return elapsed

    figures: dict[str, float] = {}
    with _server.serve(latency=latency, app="sandbox") as base:
        for concurrency in ASYNC_CONCURRENCY:
            best = {"ours": float("inf"), "bare": float("inf")}
            # Interleaved, best of a few each: the minimum is the steadiest figure for a
            # wall-time row on a shared VM (one descheduled vCPU can cost a run 10 %).
            for _ in range(ASYNC_ROUNDS):
                best["ours"] = min(best["ours"], asyncio.run(ours(base, concurrency)))
                best["bare"] = min(best["bare"], asyncio.run(bare(base, concurrency)))
            figures[f"ours {concurrency}"] = best["ours"]
            figures[f"bare {concurrency}"] = best["bare"]
            figures[f"cpu ours {concurrency}"] = cpu.pop("ours") / calls
            figures[f"cpu bare {concurrency}"] = cpu.pop("bare") / calls
    return figures


def async_concurrency(report: Report) -> None:
    """500 calls, 50 ms server latency, 50 and 200 in flight: against the ideal and against a
    bare ``AiohttpTransport`` client in the same run.

    Measured in :data:`PROCESSES` fresh interpreters (each with its own server);
    each figure is the median of theirs, each of those the best of ASYNC_ROUNDS runs.
    """
    calls, latency = ASYNC_CALLS, ASYNC_LATENCY
    figures = in_fresh_processes(__file__, "--async-figures", count=ASYNC_PROCESSES)
    for concurrency in ASYNC_CONCURRENCY:
        ideal = calls / concurrency * latency
        ours, bare = figures[f"ours {concurrency}"], figures[f"bare {concurrency}"]
        report.rows.append(
            Row(
                target=f"3. AsyncClient.map {calls} calls, {latency * 1000:.0f} ms latency, "
                f"{concurrency} in flight",
                baseline_name="ideal",
                baseline=ideal,
                value=ours,
                unit="s",
                goal=f"ratio >= {ASYNC_GOAL:.2f} (of ideal)",
                passed=ideal / ours >= ASYNC_GOAL,
            )
        )
        report.rows.append(
            Row(
                target=f"3. the same, against a bare AiohttpTransport client ({concurrency})",
                baseline_name="httpx+AiohttpTransport+xmltodict",
                baseline=bare,
                value=ours,
                unit="s",
                goal=f"ours <= {1 + ASYNC_NEAR:.2f}x baseline",
                passed=ours <= (1 + ASYNC_NEAR) * bare,
            )
        )
    for concurrency in ASYNC_CONCURRENCY:
        ours_cpu = figures[f"cpu ours {concurrency}"]
        bare_cpu = figures[f"cpu bare {concurrency}"]
        report.references.append(
            (
                f"async client CPU per call, {concurrency} in flight",
                f"py7D {ours_cpu * 1e6:.0f} µs, bare aiohttp client {bare_cpu * 1e6:.0f} µs",
            )
        )
        # One event loop runs on one core: its wall time is at least its CPU time.
        cheaper = min(ours_cpu, bare_cpu)
        floor = calls * cheaper
        ideal = calls / concurrency * latency
        report.references.append(
            (
                f"async, {concurrency} in flight: one event loop's CPU",
                f"{calls} calls x {cheaper * 1e6:.0f} µs = {floor * 1000:.0f} ms "
                f"against the ideal {ideal * 1000:.0f} ms: no single-loop client can reach more "
                f"than {min(ideal / floor, 1.0):.2f} of ideal here",
            )
        )
    report.notes.append(
        "3: the sandbox as py7D.sandbox.running() serves it, with its `latency` fault on every "
        "request (each reply made on arrival and held back 50 ms). Clients are warm (their "
        "connections open). py7D's reads go through httpx-aiohttp's AiohttpTransport."
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


def items_memory(report: Report) -> None:
    """Iterating 100,000 items keeps memory flat: peak over all of them against the first 10,000.

    One walk: the first page is fetched before tracing starts (imports, regex and
    parser caches are one-time costs), then the traced peak of the next 10,000 items is
    the baseline and the peak over all 100,000 is ours. A walk that kept its items (or
    pages) would grow with the count; one page at a time stays where it started. (The
    first 200 pages also fill bounded caches of the libraries, e.g. the standard
    library's 128-URL ``urlsplit`` cache that httpx's cookie handling goes through.)
    """
    if not hasattr(py7D.Client, "items"):
        report.notes.append("5: n/a: items() not yet available (row skipped)")
        return
    total = 100_000
    key, secret = "bench-key", "bench-secret"
    transport = httpx.MockTransport(lambda request: _server.paged_reply(request, total))
    url = "http://bench.invalid/1.2"
    with py7D.Client(key, secret, base_url=url, environ={}, transport=transport) as client:
        count, first, peak = walk_memory(client.items("release", "byDate", pageSize=50))
    assert count == total, count
    report.rows.append(
        Row(
            target=f"5. items(): peak memory over {total:,} items (50 a page)",
            baseline_name="peak over the first 10,000",
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
    for bench in (
        cpu_per_call,
        locker_page,
        async_concurrency,
        import_time,
        items_memory,
        tls_keepalive,
    ):
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
    elif sys.argv[1:] == ["--async-figures"]:  # and for row 3
        print(json.dumps(async_figures()))
    elif sys.argv[1:] == ["--locker-figures"]:  # and for rows 2 and 4
        print(json.dumps(locker_figures()))
    else:
        print_report(run_report())
