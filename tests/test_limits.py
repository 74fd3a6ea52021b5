"""The client-side throttle (token bucket) and sharing one client between threads and tasks."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

import py7D
from py7D import Throttle
from retry_support import FakeClock, Script, make_async_client, make_client, ok


def test_bucket_spaces_calls_evenly(clock: FakeClock) -> None:
    bucket = Throttle(4, clock=clock)  # 4 per second, burst 1
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.5, 0.75, 1.0]  # each caller queues behind the previous


def test_bucket_refills_with_time(clock: FakeClock) -> None:
    bucket = Throttle(2, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst
    assert bucket.reserve() == 0.5
    clock.sleep(10)  # refills, but never beyond the burst
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == 0.5


def test_bucket_rejects_nonsense() -> None:
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="rate"):
            Throttle(bad)
    with pytest.raises(ValueError, match="burst"):
        Throttle(1, burst=0)
    with pytest.raises(ValueError, match="rate_limit"):
        Throttle.coerce("10")  # type: ignore[arg-type]
    assert Throttle.coerce(None) is None
    assert Throttle.coerce(5).rate == 5.0  # type: ignore[union-attr]


def test_bucket_is_thread_safe(clock: FakeClock) -> None:
    """Many threads reserving at one instant get each slot exactly once."""
    bucket = Throttle(100, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(50):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w * 100) for w in waits) == list(range(400))


def test_client_stays_under_the_rate() -> None:
    script = Script(ok)
    with make_client(script, rate_limit=50) as client:
        start = time.monotonic()
        for _ in range(11):
            client.request("status")
        elapsed = time.monotonic() - start
    assert elapsed >= 10 / 50 * 0.95  # 11 calls, 10 gaps of 20 ms
    assert client.throttle is not None
    assert repr(client.throttle) == "Throttle(rate=50, burst=1)"


def test_retries_take_tokens_too() -> None:
    script = Script(httpx.Response(503), ok)
    bucket = Throttle(1000)
    with make_client(script, rate_limit=bucket, retries=py7D.RetryPolicy(backoff_base=0)) as c:
        c.request("status")
    assert script.count == 2
    assert bucket._tokens < 0.1  # both attempts spent a token


async def test_async_client_concurrent_calls_share_the_throttle() -> None:
    script = Script(ok)
    async with make_async_client(script, rate_limit=100) as client:
        start = time.monotonic()
        await asyncio.gather(*(client.request("status") for _ in range(21)))
        elapsed = time.monotonic() - start
    assert script.count == 21
    assert elapsed >= 20 / 100 * 0.95


def test_one_client_many_threads_with_the_sandbox(
    sandbox_client: tuple[py7D.Client, object],
) -> None:
    """What threads share: the httpx pool, the throttle, the retry policy (immutable)."""
    client, _ = sandbox_client
    client.throttle = Throttle(2000, burst=50)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            for i in range(25):
                r = client.request("artist", "details", artistId=1 + (n * 25 + i) % 7)
                with lock:
                    results.append(r.data["name"])
        except BaseException as exc:  # pragma: no cover - reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 200
    assert "Pink Floyd" in results
