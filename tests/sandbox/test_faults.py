"""Sandbox fault injection: seeded plans, every kind in-process and over the wire, the CLI flags."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

import py7D
from py7D.sandbox import FaultInjector, Faults, Sandbox, running
from py7D.sandbox._faults import (
    KINDS,
    FaultMiddleware,
    add_fault_arguments,
    endpoint_path,
    faults_from_args,
)

KEY, SECRET = "sandbox-key", "sandbox-secret"
ALICE = "alice@example.com"


def only(kind: str, **options: object) -> Faults:
    """Every request gets a fault of this kind."""
    return Faults(rate=1.0, kinds=(kind,), **options)  # type: ignore[arg-type]


def unsigned(path: str, **params: object) -> dict[str, object]:
    return {"oauth_consumer_key": KEY, **params}


# ---------------------------------------------------------------------- the plan


def test_plan_validation() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(rate=1.5)
    with pytest.raises(ValueError, match="unknown fault kinds"):
        Faults(kinds=("500", "explode"))
    with pytest.raises(ValueError, match="unknown fault kinds"):
        Faults(kinds=())
    with pytest.raises(ValueError, match="negative"):
        Faults(latency=-1)
    assert Faults(paths=("/User/Purchase/*",)).paths == ("user/purchase/*",)


def test_endpoint_path() -> None:
    assert endpoint_path("/1.2/artist/search") == "artist/search"
    assert endpoint_path("/prefix/1.2/tag") == "tag"
    assert endpoint_path("/clip/123") == "clip/123"


def decisions(faults: Faults, n: int = 2000) -> list[tuple[str, bool] | None]:
    injector = FaultInjector(faults)
    paths = ["/1.2/artist/search", "/1.2/user/purchase/basket", "/1.2/release/details"]
    out = []
    for i in range(n):
        fault = injector.decide("GET", paths[i % 3])
        out.append(None if fault is None else (fault.kind, fault.after))
    return out


def test_same_seed_same_faults() -> None:
    assert decisions(Faults(seed=42)) == decisions(Faults(seed=42))
    assert decisions(Faults(seed=42)) != decisions(Faults(seed=43))


def test_rate_kinds_and_before_after_split() -> None:
    injector = FaultInjector(Faults(rate=0.1, seed=5))
    for i in range(20_000):
        injector.decide("GET", "/1.2/user/purchase/basket" if i % 2 else "/1.2/artist/search")
    assert 1800 <= injector.total_injected <= 2200
    assert set(injector.injected) == set(KINDS)
    writes = [f for f in injector.log if f.changes_state]
    reads = [f for f in injector.log if not f.changes_state]
    assert not any(f.after for f in reads)  # reads have no "after the action"
    after = [f for f in writes if f.after]
    assert after
    assert {f.kind for f in after} == {"500", "502", "reset", "truncate", "garbage"}
    assert not any(f.kind in ("429", "503") for f in after)  # refusals come before
    assert injector.after_action == len(after)


def test_paths_restrict_faults() -> None:
    injector = FaultInjector(Faults(rate=1.0, paths=("user/purchase/*",)))
    assert injector.decide("GET", "/1.2/artist/search") is None
    fault = injector.decide("GET", "/1.2/user/purchase/basket")
    assert fault is not None
    assert fault.changes_state


def test_paths_do_not_shift_other_requests_faults() -> None:
    """The same dice are drawn for every request, so a filter only removes faults."""
    everywhere = decisions(Faults(seed=9))
    filtered = decisions(Faults(seed=9, paths=("artist/search",)))
    for i, (a, b) in enumerate(zip(everywhere, filtered, strict=True)):
        assert b == (a if i % 3 == 0 else None)


# ---------------------------------------------------------------------- in-process


@pytest.fixture(scope="module")
def catalogue_warm() -> None:
    Sandbox().catalogue  # noqa: B018 - build the shared catalogue once


def raw_get(sandbox: Sandbox, path: str, **params: object) -> httpx.Response:
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        return http.get(path, params=unsigned(path, **params))  # type: ignore[arg-type]


@pytest.mark.usefixtures("catalogue_warm")
class TestInProcess:
    def test_status_faults(self) -> None:
        for kind, code in (("500", 500), ("502", 502), ("503", 503), ("429", 429)):
            sandbox = Sandbox(faults=only(kind, retry_after=2))
            reply = raw_get(sandbox, "status")
            assert reply.status_code == code
            if kind in ("429", "503"):
                assert reply.headers["retry-after"] == "2"
        assert b"<html>" in raw_get(Sandbox(faults=only("502")), "status").content

    def test_reset_raises_like_a_dropped_connection(self) -> None:
        with pytest.raises(httpx.ReadError):
            raw_get(Sandbox(faults=only("reset")), "status")

    def test_truncate_cuts_the_body(self) -> None:
        full = raw_get(Sandbox(), "artist/details", artistId=2).content
        outcomes = Counter()
        for seed in range(12):
            sandbox = Sandbox(faults=only("truncate", seed=seed))
            try:
                reply = raw_get(sandbox, "artist/details", artistId=2)
            except httpx.RemoteProtocolError:
                outcomes["dropped"] += 1
            else:
                assert len(reply.content) < len(full)
                assert full.startswith(reply.content)
                outcomes["cut"] += 1
        assert outcomes["dropped"]
        assert outcomes["cut"]

    def test_garbage_is_not_an_envelope(self) -> None:
        for seed in range(10):
            reply = raw_get(Sandbox(faults=only("garbage", seed=seed)), "status")
            assert reply.status_code == 200
            assert b'<response status="ok" version="1.2">' not in reply.content

    def test_latency_and_drip_deliver_the_reply_late(self) -> None:
        full = raw_get(Sandbox(), "artist/details", artistId=2).content
        start = time.monotonic()
        reply = raw_get(Sandbox(faults=only("latency", latency=0.1)), "status")
        assert reply.status_code == 200
        assert time.monotonic() - start >= 0.1
        start = time.monotonic()
        sandbox = Sandbox(faults=only("drip", drip_chunk=50, drip_delay=0.01))
        assert raw_get(sandbox, "artist/details", artistId=2).content == full
        assert time.monotonic() - start >= 0.01 * (len(full) // 50 - 1)

    async def test_drip_async(self) -> None:
        sandbox = Sandbox(faults=only("drip", drip_chunk=10, drip_delay=0.001))
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url=sandbox.base_url
        ) as http:
            reply = await http.get("status", params=unsigned("status"))
        assert reply.status_code == 200
        assert reply.content.startswith(b"<?xml")

    def test_handle_itself_never_injects(self) -> None:
        sandbox = Sandbox(faults=only("reset"))
        request = httpx.Request("GET", f"{sandbox.base_url}/status", params=unsigned("status"))
        assert sandbox.handle(request).status_code == 200


# ---------------------------------------------------------------------- before / after the action


def purchase(sandbox: Sandbox, release_id: int) -> py7D.Py7DError | None:
    token = sandbox.issue_access_token(ALICE)
    with py7D.Client(
        KEY, SECRET, base_url=sandbox.base_url, transport=sandbox.transport()
    ) as client:
        try:
            client.request("user", "purchase/rrpitem", releaseId=release_id, access_token=token)
        except py7D.Py7DError as exc:
            return exc
    return None


@pytest.mark.usefixtures("catalogue_warm")
@pytest.mark.parametrize("kind", ["500", "502", "reset", "truncate", "garbage"])
def test_faults_after_the_action_leave_it_done(kind: str) -> None:
    sandbox = Sandbox(faults=only(kind, after_share=1.0, paths=("user/purchase/*",)))
    error = purchase(sandbox, 100003)
    assert error is not None
    assert error.attempts == 1  # a purchase is never retried
    assert error.may_have_acted is True
    assert "may have acted" in str(error)
    assert [r.items for r in sandbox.purchases] == [((100003, None),)]  # it did act, once


@pytest.mark.usefixtures("catalogue_warm")
@pytest.mark.parametrize("kind", ["500", "502", "503", "429", "reset", "garbage"])
def test_faults_before_the_action_leave_it_undone(kind: str) -> None:
    sandbox = Sandbox(faults=only(kind, after_share=0.0, paths=("user/purchase/*",)))
    error = purchase(sandbox, 100004)
    assert error is not None
    assert error.attempts == 1
    assert sandbox.purchases == []
    if kind == "429":
        assert isinstance(error, py7D.RateLimitedError)
        assert error.may_have_acted is False  # a refusal: the client can say so


# ---------------------------------------------------------------------- over the wire


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[str, FaultInjector]]:
    """One served sandbox whose fault plan the tests swap (the injector is mutable)."""
    injector = FaultInjector(Faults(rate=0.0))
    with running(Sandbox(), faults=injector) as url:
        yield url, injector


def set_plan(injector: FaultInjector, faults: Faults) -> None:
    fresh = FaultInjector(faults)
    injector.faults = fresh.faults
    injector._rng = fresh._rng


def wire_get(url: str, path: str = "artist/details", **params: object) -> httpx.Response:
    with httpx.Client(timeout=5.0) as http:
        return http.get(f"{url}/{path}", params=unsigned(path, artistId=2, **params))


class TestOverTheWire:
    def test_status_faults(self, wire: tuple[str, FaultInjector]) -> None:
        url, injector = wire
        for kind, code in (("500", 500), ("502", 502), ("503", 503), ("429", 429)):
            set_plan(injector, only(kind, retry_after=1))
            assert wire_get(url).status_code == code

    def test_reset_drops_the_connection(self, wire: tuple[str, FaultInjector]) -> None:
        url, injector = wire
        set_plan(injector, only("reset"))
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            wire_get(url)

    def test_truncate_cuts_the_body(self, wire: tuple[str, FaultInjector]) -> None:
        url, injector = wire
        set_plan(injector, Faults(rate=0.0))
        full = wire_get(url).content
        seen = Counter()
        for seed in range(10):
            set_plan(injector, only("truncate", seed=seed))
            try:
                reply = wire_get(url)
            except httpx.RemoteProtocolError:
                seen["dropped"] += 1
            else:
                assert full.startswith(reply.content)
                assert len(reply.content) < len(full)
                seen["cut"] += 1
        assert seen["dropped"]
        assert seen["cut"]

    def test_garbage_latency_drip(self, wire: tuple[str, FaultInjector]) -> None:
        url, injector = wire
        set_plan(injector, Faults(rate=0.0))
        full = wire_get(url).content
        set_plan(injector, only("garbage", seed=1))
        assert b"<response" not in wire_get(url).content
        set_plan(injector, only("latency", latency=0.15))
        start = time.monotonic()
        assert wire_get(url).content == full
        assert time.monotonic() - start >= 0.15
        set_plan(injector, only("drip", drip_chunk=64, drip_delay=0.01))
        start = time.monotonic()
        assert wire_get(url).content == full
        assert time.monotonic() - start >= 0.01 * (len(full) // 64 - 1)

    def test_py7d_client_rides_out_faults(self, wire: tuple[str, FaultInjector]) -> None:
        url, injector = wire
        set_plan(injector, Faults(rate=0.5, seed=3, latency=0.01, drip_delay=0.0005))
        policy = py7D.RetryPolicy(
            max_attempts=20,
            backoff_base=0.001,
            backoff_cap=0.01,
            statuses=frozenset({429, 500, 502, 503, 504}),
        )

        async def go() -> list[str]:
            async with py7D.AsyncClient(KEY, SECRET, base_url=url, retries=policy) as client:
                results = await asyncio.gather(
                    *(client.request("artist", "details", artistId=2) for _ in range(40))
                )
            return [r.data["name"] for r in results]

        assert asyncio.run(go()) == ["Pink Floyd"] * 40
        assert injector.total_injected > 0


def test_middleware_passes_other_scopes_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    middleware = FaultMiddleware(app, only("reset"))  # type: ignore[arg-type]
    asyncio.run(middleware({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


# ---------------------------------------------------------------------- command line


def test_fault_flags_build_a_plan() -> None:
    parser = argparse.ArgumentParser()
    add_fault_arguments(parser)
    assert faults_from_args(parser.parse_args([])) is None
    args = parser.parse_args(
        [
            "--fault-rate",
            "0.2",
            "--fault-kinds",
            "500,reset, drip",
            "--fault-seed",
            "11",
            "--fault-paths",
            "artist/*,user/locker",
            "--fault-latency",
            "0.3",
            "--fault-retry-after",
            "4",
        ]
    )
    assert faults_from_args(args) == Faults(
        rate=0.2,
        kinds=("500", "reset", "drip"),
        seed=11,
        paths=("artist/*", "user/locker"),
        latency=0.3,
        retry_after=4.0,
    )


def test_py7d_sandbox_serves_faults_from_its_flags() -> None:
    """``python -m py7D.sandbox --fault-*`` end to end (the process is ours; we stop it)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "py7D.sandbox",
            "--port",
            "0",
            "--fault-rate",
            "1",
            "--fault-kinds",
            "503",
            "--fault-retry-after",
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "serving on" in first, first + (process.stderr.read() if process.stderr else "")
        url = first.split("serving on", 1)[1].strip()
        reply = wire_get(url)
        assert reply.status_code == 503
        assert reply.headers["retry-after"] == "7"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_in_process_latency_does_not_block_an_async_client() -> None:
    """Faults on ``Sandbox.transport()``: an AsyncClient's loop runs on during latency."""
    sandbox = Sandbox(faults=Faults(rate=1.0, kinds=("latency",), latency=0.2, seed=3))
    ticks = 0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    async def go() -> list[str]:
        stop = asyncio.Event()
        task = asyncio.create_task(ticker(stop))
        async with py7D.AsyncClient(
            sandbox.consumer_key,
            sandbox.consumer_secret,
            base_url=sandbox.base_url,
            transport=sandbox.transport(),
        ) as client:
            replies = await asyncio.gather(
                *(client.request("artist", "details", artistId=2) for _ in range(2))
            )
        stop.set()
        await task
        return [r.data["name"] for r in replies]

    assert asyncio.run(go()) == ["Pink Floyd", "Pink Floyd"]
    # Both 0.2 s waits overlapped the ticker: a blocking sleep would starve it.
    assert ticks >= 10
    assert sandbox.faults is not None
    assert sandbox.faults.injected["latency"] == 2


def test_in_process_latency_still_delays_a_sync_client() -> None:
    sandbox = Sandbox(faults=Faults(rate=1.0, kinds=("latency",), latency=0.05, seed=3))
    with py7D.Client(
        sandbox.consumer_key,
        sandbox.consumer_secret,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
    ) as client:
        assert client.request("artist", "details", artistId=2).data["name"] == "Pink Floyd"
    assert sandbox.faults is not None
    assert sandbox.faults.injected["latency"] == 1
