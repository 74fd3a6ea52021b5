"""Downloading 200 MB from the served sandbox: throughput, peak memory, resume.

    python benchmarks/bench_download.py

The sandbox runs in its own process (``python -m py7D.sandbox``), so client and
server do not share an interpreter. Alice buys three Pink Floyd albums in one
basket; the purchase's zip (about 204 MB of MP3 320) is the file downloaded.

Rows:

* throughput: ``client.download_purchase`` (temporary name, SHA-256 and
  Repr-Digest check, fsync, rename) against what a user would otherwise
  write, a plain ``httpx`` stream copied to a file; best of five interleaved
  rounds each; goal: at least 90 % of the plain copy's MB/s;
* client CPU: this process's CPU time per MB (the hashing thread's included;
  the server is another process), median of the same rounds; information, no goal;
* peak memory: the high-water mark of resident memory of a fresh process that
  downloads the file, against one that reads the reply whole
  (``httpx.get(url).content``); goal: under 50 MB;
* resume: a download stopped at 50 % and resumed; the bytes the resumed call
  takes off the wire (counted by the transport) against a restart; goal: the
  first half is not fetched again (at most 50 % + 1 MiB).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
sys.path.insert(0, HERE)
sys.path.insert(0, SRC)

import httpx  # noqa: E402
from _common import Row, print_table  # noqa: E402

import py7D  # noqa: E402

ALBUMS = (100004, 100005, 100006)  # Dark Side of the Moon, Wish You Were Here, Animals
FORMAT = 17  # MP3 320
ROUNDS = 5
MEMORY_GOAL_MB = 50.0


class Server:
    """``python -m py7D.sandbox`` on a free port, in its own process."""

    def __enter__(self) -> Server:
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "py7D.sandbox", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        self.url = first.rsplit(" ", 1)[-1].strip()  # "py7D sandbox serving on URL"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def login(url: str) -> tuple[py7D.Client, py7D.Token]:
    client = py7D.Client("sandbox-key", "sandbox-secret", base_url=url)
    request_token = py7D.get_request_token(client)
    py7D.authorise_request_token(client, request_token, "alice@example.com", "alice-password")
    return client, py7D.exchange_access_token(client, request_token)


def buy(client: py7D.Client, token: py7D.Token) -> str:
    """One purchase of the three albums; its id."""
    basket = client.request("basket", "create").data["@id"]
    for release in ALBUMS:
        client.request("basket", "addItem", basketId=basket, releaseId=release)
    purchase = client.request("user", "purchase/basket", access_token=token, basketId=basket)
    return str(purchase.data["@id"])


def signed_url(client: py7D.Client, token: py7D.Token, purchase: str) -> str:
    origin = client.settings.api_url.rsplit("/1.2", 1)[0]
    return client.sign_url(
        f"{origin}/media/user/download/purchase",
        token=token,
        purchaseId=purchase,
        formatId=FORMAT,
    )


def plain_copy(url: str, path: Path) -> int:
    """What a user would otherwise write: stream the reply into a file."""
    size = 0
    with httpx.Client() as http, http.stream("GET", url) as reply, path.open("wb") as out:
        for chunk in reply.iter_bytes():
            out.write(chunk)
            size += len(chunk)
    return size


class Counting(httpx.BaseTransport):
    """An httpx transport that counts the body bytes it receives (bytes on the wire)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        counter = self

        class Stream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for chunk in response.stream:  # type: ignore[union-attr]
                    counter.received += len(chunk)
                    yield chunk

            def close(self) -> None:
                response.close()

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=Stream(),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


def throughput(
    client: py7D.Client, token: py7D.Token, purchase: str, folder: Path
) -> tuple[Row, Row]:
    size = 0
    plain: list[float] = []
    ours: list[float] = []
    cpu: dict[str, list[float]] = {"plain": [], "ours": []}  # this process's CPU s per MB
    for _ in range(ROUNDS):
        target = folder / "plain.zip"
        started, cpu_started = time.perf_counter(), time.process_time()
        size = plain_copy(signed_url(client, token, purchase), target)
        plain.append(size / (time.perf_counter() - started) / 1e6)  # MB/s
        cpu["plain"].append((time.process_time() - cpu_started) / (size / 1e6))
        target.unlink()
        target = folder / "ours.zip"
        started, cpu_started = time.perf_counter(), time.process_time()
        result = client.download_purchase(purchase, FORMAT, target, access_token=token)
        ours.append(result.size / (time.perf_counter() - started) / 1e6)
        cpu["ours"].append((time.process_time() - cpu_started) / (result.size / 1e6))
        assert result.size == size
        assert result.verified_by == "sha256"
        target.unlink()
    best_plain, best_ours = max(plain), max(ours)
    cpu_plain, cpu_ours = (statistics.median(cpu[k]) * 1e3 for k in ("plain", "ours"))
    return Row(
        target=f"download {size / 1e6:.0f} MB (served sandbox): time",
        baseline_name=f"httpx stream-to-file ({best_plain:.0f} MB/s)",
        baseline=size / 1e6 / best_plain,
        value=size / 1e6 / best_ours,
        unit="s",
        goal=">= 0.90x (MB/s)",
        passed=best_ours >= 0.9 * best_plain,
    ), Row(
        target="   the same, client CPU per MB (median; ours hashes SHA-256)",
        baseline_name="httpx stream-to-file",
        baseline=cpu_plain,
        value=cpu_ours,
        unit="ms",
        goal="(information)",
        passed=True,
    )


def peak_memory(url: str, token: py7D.Token, purchase: str, folder: Path) -> Row:
    figures = {}
    for mode in ("whole", "ours"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "memory",
                json.dumps([mode, url, token.key, token.secret, purchase, str(folder)]),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": SRC},
        ).stdout
        figures[mode] = json.loads(out.strip().splitlines()[-1])["peak_mb"]
    return Row(
        target="peak memory of a fresh process (RSS)",
        baseline_name="httpx .content",
        baseline=figures["whole"],
        value=figures["ours"],
        unit="MB",
        goal=f"< {MEMORY_GOAL_MB:.0f} MB",
        passed=figures["ours"] < MEMORY_GOAL_MB,
    )


def memory_child(arguments: str) -> None:
    mode, url, key, secret, purchase, folder = json.loads(arguments)
    token = py7D.Token(key, secret)
    client = py7D.Client("sandbox-key", "sandbox-secret", base_url=url)
    target = Path(folder) / f"memory-{mode}.zip"
    if mode == "whole":
        body = httpx.get(signed_url(client, token, purchase), timeout=60).content
        target.write_bytes(body)
    else:
        client.download_purchase(purchase, FORMAT, target, access_token=token)
    target.unlink()
    print(json.dumps({"peak_mb": _own_peak_kb() / 1024}))


def _own_peak_kb() -> int:
    """This process's own high-water mark of resident memory, in KiB.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` is no good here: Linux carries the parent's
    peak over ``fork`` + ``exec`` into it, so a child of a large benchmark process
    would report the parent's memory. ``VmHWM`` belongs to the new address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


def resume(url: str, token: py7D.Token, purchase: str, folder: Path) -> Row:
    wire = Counting()
    client = py7D.Client(
        "sandbox-key", "sandbox-secret", base_url=url, http_client=httpx.Client(transport=wire)
    )
    target = folder / "resumed.zip"

    def stop_half_way(p: py7D.DownloadProgress) -> None:
        if p.total and p.done >= p.total // 2:
            raise KeyboardInterrupt

    with contextlib.suppress(KeyboardInterrupt):
        client.download_purchase(
            purchase, FORMAT, target, access_token=token, progress=stop_half_way
        )
    first = wire.received
    wire.received = 0
    result = client.download_purchase(purchase, FORMAT, target, access_token=token)
    again = wire.received
    target.unlink()
    client.close()
    size = result.size
    return Row(
        target=f"resume at 50 %: MB fetched again (first run took {first / 1e6:.0f} MB)",
        baseline_name="restart",
        baseline=size / 1e6,
        value=again / 1e6,
        unit="MB",
        goal="<= 50 % + 1 MiB",
        passed=again <= size - size // 2 + (1 << 20) and result.resumed_from >= size // 2,
    )


def run() -> list[Row]:
    """The three download rows, against one served sandbox."""
    with Server() as server, tempfile.TemporaryDirectory(prefix="py7d-bench-") as tmp:
        folder = Path(tmp)
        client, token = login(server.url)
        with client:
            purchase = buy(client, token)
            # Warm up: the server computes the zip's CRCs and digest on first use.
            client.download_purchase(purchase, FORMAT, folder / "warm.zip", access_token=token)
            (folder / "warm.zip").unlink()
            rows = list(throughput(client, token, purchase, folder))
        rows.append(peak_memory(server.url, token, purchase, folder))
        rows.append(resume(server.url, token, purchase, folder))
    return rows


def _main(argv: list[str]) -> Any:
    if len(argv) == 2 and argv[0] == "memory":
        memory_child(argv[1])
        return 0
    rows = run()
    print_table(rows)
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
