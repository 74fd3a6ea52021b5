"""``gather``/``map`` on both clients: input order, the concurrency bound, error handling."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

import py7D
from client_support import API, KEY, SECRET, artist_reply

pytestmark = pytest.mark.usefixtures("_isolated_env")


class InFlight:
    """Counts the calls being served at once (the most seen is ``peak``)."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self.total = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.current += 1
            self.total += 1
            self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        with self.lock:
            self.current -= 1


def async_client(counter: InFlight, pause: float = 0.005) -> py7D.AsyncClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        counter.enter()
        try:
            # Ids ending in 7 answer last: out-of-order completion must not reorder results.
            slow = request.url.params.get("artistId", "").endswith("7")
            await asyncio.sleep(pause * (3 if slow else 1))
            return artist_reply(request)
        finally:
            counter.leave()

    return py7D.AsyncClient(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
    )


def sync_client(counter: InFlight, pause: float = 0.005) -> py7D.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        counter.enter()
        try:
            slow = request.url.params.get("artistId", "").endswith("7")
            time.sleep(pause * (3 if slow else 1))
            return artist_reply(request)
        finally:
            counter.leave()

    return py7D.Client(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
    )


@pytest.mark.parametrize("concurrency", [1, 4, 16])
async def test_async_map_keeps_order_and_the_bound(concurrency: int) -> None:
    counter = InFlight()
    ids = list(range(1, 81))
    async with async_client(counter) as client:
        results = await client.map(
            "artist", "details", "artistId", ids, concurrency=concurrency, imageSize=50
        )

    assert [r.data["@id"] for r in results] == [str(i) for i in ids]
    assert counter.total == len(ids)
    assert counter.peak == concurrency  # reached, never exceeded


@pytest.mark.parametrize("concurrency", [1, 4])
def test_sync_map_keeps_order_and_the_bound(concurrency: int) -> None:
    counter = InFlight()
    ids = list(range(1, 41))
    with sync_client(counter) as client:
        results = client.map("artist", "details", "artistId", ids, concurrency=concurrency)

    assert [r.data["@id"] for r in results] == [str(i) for i in ids]
    assert counter.peak <= concurrency
    assert counter.total == len(ids)


async def test_async_gather_takes_a_lazy_generator() -> None:
    counter = InFlight()
    made: list[int] = []

    async with async_client(counter) as client:

        def calls():
            for i in range(1, 31):
                made.append(i)
                yield client.request("artist", "details", artistId=i)

        results = await client.gather(calls(), concurrency=5)

    assert [r.data["@id"] for r in results] == [str(i) for i in range(1, 31)]
    assert counter.peak <= 5


async def test_async_errors_can_be_returned_in_place() -> None:
    async with async_client(InFlight()) as client:
        results = await client.map(
            "artist", "details", "artistId", [1, 0, 2], concurrency=2, return_exceptions=True
        )

    assert isinstance(results[1], py7D.ResourceNotFoundError)
    assert [r.data["@id"] for r in (results[0], results[2])] == ["1", "2"]


async def test_async_first_error_is_raised_and_stops_the_run() -> None:
    counter = InFlight()
    ids = [1, 0, *range(2, 200)]
    async with async_client(counter) as client:
        with pytest.raises(py7D.ResourceNotFoundError):
            await client.map("artist", "details", "artistId", ids, concurrency=2)

    assert counter.total < len(ids)
    assert counter.current == 0


def test_sync_errors_can_be_returned_in_place_or_raised() -> None:
    with sync_client(InFlight()) as client:
        results = client.map(
            "artist", "details", "artistId", [1, 0, 2], concurrency=2, return_exceptions=True
        )
        assert isinstance(results[1], py7D.ResourceNotFoundError)
        assert results[2].data["@id"] == "2"
        with pytest.raises(py7D.ResourceNotFoundError):
            client.map("artist", "details", "artistId", [1, 0, 2], concurrency=2)


def test_sync_gather_runs_callables_in_order() -> None:
    with sync_client(InFlight()) as client:
        results = client.gather(
            [lambda i=i: client.request("artist", "details", artistId=i) for i in (3, 1, 2)],
            concurrency=3,
        )

    assert [r.data["@id"] for r in results] == ["3", "1", "2"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
async def test_a_bad_concurrency_is_refused(bad: object) -> None:
    async with async_client(InFlight()) as client:
        with pytest.raises(ValueError, match="concurrency"):
            await client.map("artist", "details", "artistId", [1], concurrency=bad)  # type: ignore[arg-type]


def test_the_varying_parameter_cannot_also_be_common() -> None:
    with sync_client(InFlight()) as client, pytest.raises(py7D.ValidationError):
        client.map("artist", "details", "artistId", [1], artistId=2)


async def test_empty_input_gives_an_empty_list() -> None:
    async with async_client(InFlight()) as client:
        assert await client.map("artist", "details", "artistId", []) == []
    with sync_client(InFlight()) as client:
        assert client.map("artist", "details", "artistId", []) == []


def broken_ids():
    yield 1
    yield 2
    raise RuntimeError("the id source failed")


def test_sync_an_iterable_that_fails_is_raised_even_with_return_exceptions() -> None:
    with sync_client(InFlight()) as client, pytest.raises(RuntimeError, match="id source"):
        client.map("artist", "details", "artistId", broken_ids(), return_exceptions=True)


async def test_async_an_iterable_that_fails_is_raised_even_with_return_exceptions() -> None:
    async with async_client(InFlight()) as client:
        with pytest.raises(RuntimeError, match="id source"):
            await client.map("artist", "details", "artistId", broken_ids(), return_exceptions=True)


async def test_cancelling_the_caller_cancels_every_call_in_flight() -> None:
    counter = InFlight()
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        counter.enter()
        try:
            # The first reply comes at once: a fresh client sends one call alone until a
            # reply tells it the key's quota (x-ratelimit-*); the rest then hang.
            if counter.total > 1:
                started.set()
                await asyncio.sleep(30)
            return artist_reply(request)
        finally:
            counter.leave()

    async with py7D.AsyncClient(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
    ) as client:
        run = asyncio.ensure_future(
            client.map("artist", "details", "artistId", range(1, 100), concurrency=8)
        )
        await started.wait()
        await asyncio.sleep(0.01)
        assert counter.current == 8
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    assert counter.current == 0  # no call left running behind the caller's back
    assert counter.total == 1 + 8  # the first call, then eight that were cancelled


def trio_client(counter: InFlight) -> py7D.AsyncClient:
    import anyio

    async def handler(request: httpx.Request) -> httpx.Response:
        counter.enter()
        try:
            slow = request.url.params.get("artistId", "").endswith("7")
            await anyio.sleep(0.005 * (3 if slow else 1))
            return artist_reply(request)
        finally:
            counter.leave()

    return py7D.AsyncClient(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
    )


def test_under_trio_map_keeps_order_the_bound_and_stops_at_the_first_error() -> None:
    trio = pytest.importorskip("trio")
    counter = InFlight()

    async def main() -> tuple[list[object], list[object]]:
        async with trio_client(counter) as client:
            ok = await client.map("artist", "details", "artistId", range(1, 41), concurrency=4)
            mixed = await client.map(
                "artist", "details", "artistId", [1, 0, 2], concurrency=2, return_exceptions=True
            )
            with pytest.raises(py7D.ResourceNotFoundError):
                await client.map("artist", "details", "artistId", [1, 0, *range(2, 200)])
            with pytest.raises(RuntimeError, match="id source"):
                await client.map("artist", "details", "artistId", broken_ids())
        return ok, mixed

    ok, mixed = trio.run(main)
    assert [r.data["@id"] for r in ok] == [str(i) for i in range(1, 41)]  # type: ignore[attr-defined]
    assert isinstance(mixed[1], py7D.ResourceNotFoundError)
    assert counter.peak == 10  # the default concurrency, reached by the third run
    assert counter.total < 40 + 3 + 201 + 2
    assert counter.current == 0
