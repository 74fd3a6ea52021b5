"""Concurrent ``pages()``/``items()`` on both clients: order, the bound, early stop, errors,
a changing ``totalItems``, and the sans-I/O :class:`PagePlan` behind them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import py7D
from client_support import API, KEY, SECRET
from py7D._endpoints import find_endpoint
from py7D._paging import PagePlan, PageWalk
from py7D._reply import parse_response

pytestmark = pytest.mark.usefixtures("_isolated_env")

ERROR_PAGE = (
    '<?xml version="1.0" encoding="utf-8"?><response status="error" version="1.2">'
    '<error code="1001"><errorMessage>Page {page} refused</errorMessage></error></response>'
)


class PagedServer:
    """An in-test ``release/byDate``: ``total(page)`` items, pages of ``pageSize``.

    Records every page asked for and how many were being served at once.
    """

    def __init__(
        self,
        total: int | Callable[[int], int] = 230,
        *,
        pause: float = 0.0,
        fail: frozenset[int] = frozenset(),
    ) -> None:
        self.total = total if callable(total) else (lambda page, n=total: n)
        self.pause = pause
        self.fail = fail
        self.asked: list[int] = []
        self.current = 0
        self.peak = 0
        self.lock = threading.Lock()

    def reply(self, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("pageSize", "10"))
        if page in self.fail:
            body = ERROR_PAGE.format(page=page)
            return httpx.Response(400, content=body.encode(), headers={"content-type": "text/xml"})
        total = self.total(page)
        first = (page - 1) * size
        items = "".join(
            f'<release id="{i}"><title>Release {i}</title></release>'
            for i in range(first + 1, min(first + size, total) + 1)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><response status="ok" version="1.2">'
            f"<releases><page>{page}</page><pageSize>{size}</pageSize>"
            f"<totalItems>{total}</totalItems>{items}</releases></response>"
        )
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/xml"})

    def enter(self, request: httpx.Request) -> None:
        with self.lock:
            self.asked.append(int(request.url.params.get("page", "1")))
            self.current += 1
            self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        with self.lock:
            self.current -= 1

    def sync_client(self) -> py7D.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            self.enter(request)
            try:
                time.sleep(self.pause)
                return self.reply(request)
            finally:
                self.leave()

        return py7D.Client(
            KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
        )

    def async_client(self) -> py7D.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            self.enter(request)
            try:
                await asyncio.sleep(self.pause)
                return self.reply(request)
            finally:
                self.leave()

        return py7D.AsyncClient(
            KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler)
        )


BY_DATE: dict[str, Any] = {"fromDate": "20200101", "toDate": "20201231", "pageSize": 20}


def ids(items: list[Any]) -> list[int]:
    return [int(item["@id"]) for item in items]


# --------------------------------------------------------------------------- order and bound


@pytest.mark.parametrize("concurrency", [1, 3, 8, None])
def test_sync_items_in_order_at_any_concurrency(concurrency: int | None) -> None:
    server = PagedServer(230, pause=0.002)
    with server.sync_client() as client:
        items = list(client.items("release", "byDate", concurrency=concurrency, **BY_DATE))
    assert ids(items) == list(range(1, 231))
    assert sorted(server.asked) == list(range(1, 13))  # 12 pages, each asked once
    assert server.peak <= (concurrency or 8)


@pytest.mark.parametrize("concurrency", [1, 3, 8, None])
async def test_async_items_in_order_at_any_concurrency(concurrency: int | None) -> None:
    server = PagedServer(230, pause=0.002)
    async with server.async_client() as client:
        items = [
            i async for i in client.items("release", "byDate", concurrency=concurrency, **BY_DATE)
        ]
    assert ids(items) == list(range(1, 231))
    assert sorted(server.asked) == list(range(1, 13))
    assert server.peak <= (concurrency or 8)


def test_sync_pages_run_concurrently_after_the_first() -> None:
    server = PagedServer(200, pause=0.03)
    with server.sync_client() as client:
        pages = list(client.pages("release", "byDate", concurrency=4, **BY_DATE))
    assert [p.page_info.page for p in pages if p.page_info] == list(range(1, 11))
    assert server.asked[0] == 1  # the first page alone tells how many follow
    assert 2 <= server.peak <= 4


async def test_async_pages_run_concurrently_after_the_first() -> None:
    server = PagedServer(200, pause=0.03)
    async with server.async_client() as client:
        pages = [p async for p in client.pages("release", "byDate", concurrency=4, **BY_DATE)]
    assert [p.page_info.page for p in pages if p.page_info] == list(range(1, 11))
    assert server.asked[0] == 1
    assert 2 <= server.peak <= 4


def test_resource_methods_forward_concurrency() -> None:
    server = PagedServer(60)
    with server.sync_client() as client:
        items = list(
            client.release.by_date_items(
                from_date="20200101", to_date="20201231", page_size=20, concurrency=1
            )
        )
    assert ids(items) == list(range(1, 61))
    assert server.asked == [1, 2, 3]
    assert server.peak == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_bad_concurrency_is_refused_before_sending(bad: Any) -> None:
    server = PagedServer(60)
    with server.sync_client() as client, pytest.raises(py7D.ValidationError, match="concurrency"):
        list(client.items("release", "byDate", concurrency=bad, **BY_DATE))
    assert server.asked == []


# --------------------------------------------------------------------------- early stop


@pytest.mark.parametrize("concurrency", [1, 4])
def test_limit_asks_only_for_the_pages_it_needs(concurrency: int) -> None:
    server = PagedServer(1000)
    with server.sync_client() as client:
        items = list(
            client.items("release", "byDate", limit=45, concurrency=concurrency, **BY_DATE)
        )
    assert ids(items) == list(range(1, 46))
    assert sorted(server.asked) == [1, 2, 3]


def test_leaving_the_loop_fetches_at_most_concurrency_pages_more() -> None:
    server = PagedServer(1000, pause=0.01)
    with server.sync_client() as client:
        walk = client.items("release", "byDate", concurrency=4, **BY_DATE)
        first = next(walk)
        walk.close()  # what leaving a for loop does
        time.sleep(0.05)  # pages already started end on their own
    assert first["@id"] == "1"
    assert len(server.asked) <= 1 + 4


async def test_async_limit_and_leaving_early() -> None:
    server = PagedServer(1000, pause=0.01)
    async with server.async_client() as client:
        items = [i async for i in client.items("release", "byDate", limit=45, **BY_DATE)]
        assert sorted(server.asked) == [1, 2, 3]
        server.asked.clear()
        walk = client.items("release", "byDate", concurrency=4, **BY_DATE)
        async for _ in walk:
            break
        await walk.aclose()
    assert ids(items) == list(range(1, 46))
    assert len(server.asked) <= 1 + 4


# --------------------------------------------------------------------------- errors mid-walk


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_error_comes_after_the_pages_before_it_with_its_page(concurrency: int) -> None:
    server = PagedServer(200, fail=frozenset({3, 5}))
    seen: list[Any] = []
    with server.sync_client() as client, pytest.raises(py7D.InvalidParameterError) as info:
        seen.extend(client.items("release", "byDate", concurrency=concurrency, **BY_DATE))
    assert ids(seen) == list(range(1, 41))  # pages 1 and 2, then page 3's error
    assert info.value.page == 3
    assert "page 3" in str(info.value)


async def test_async_error_comes_in_order_with_its_page() -> None:
    server = PagedServer(200, fail=frozenset({3, 5}))
    seen: list[Any] = []

    async def walk(client: py7D.AsyncClient) -> None:
        async for item in client.items("release", "byDate", concurrency=4, **BY_DATE):
            seen.append(item)

    async with server.async_client() as client:
        with pytest.raises(py7D.InvalidParameterError) as info:
            await walk(client)
    assert ids(seen) == list(range(1, 41))
    assert info.value.page == 3


# --------------------------------------------------------------------------- changing totalItems


def _shrinks(page: int) -> int:
    return 230 if page == 1 else 70  # the list shrank after the first page


def _grows(page: int) -> int:
    return 50 if page == 1 else 90


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_shrinking_total_ends_the_walk_early(concurrency: int) -> None:
    server = PagedServer(_shrinks)
    with server.sync_client() as client:
        items = list(client.items("release", "byDate", concurrency=concurrency, **BY_DATE))
    # 70 items now: pages 2-4 hold items 21-70; nothing past the new end is yielded.
    assert ids(items) == list(range(1, 71))


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_growing_total_walks_on(concurrency: int) -> None:
    server = PagedServer(_grows)
    with server.sync_client() as client:
        items = list(client.items("release", "byDate", concurrency=concurrency, **BY_DATE))
    assert ids(items) == list(range(1, 91))
    assert sorted(server.asked) == [1, 2, 3, 4, 5]


async def test_async_shrinking_and_growing_totals() -> None:
    for total, expected in ((_shrinks, 70), (_grows, 90)):
        server = PagedServer(total)
        async with server.async_client() as client:
            items = [i async for i in client.items("release", "byDate", **BY_DATE)]
        assert ids(items) == list(range(1, expected + 1))


# --------------------------------------------------------------------------- the plan, sans-I/O


def _walk(limit: int | None = None, **params: Any) -> PageWalk:
    endpoint = find_endpoint("release/byDate")
    assert endpoint is not None
    return PageWalk.start(endpoint, {"pageSize": 10, **params}, limit=limit)


def _page(number: int, total: int, size: int = 10) -> py7D.Result:
    first = (number - 1) * size
    items = "".join(f'<release id="{i}"/>' for i in range(first + 1, min(first + size, total) + 1))
    body = (
        '<response status="ok" version="1.2"><releases>'
        f"<page>{number}</page><pageSize>{size}</pageSize><totalItems>{total}</totalItems>"
        f"{items}</releases></response>"
    )
    return parse_response(httpx.Response(200, content=body.encode()))


def test_plan_sends_the_first_page_alone_then_fills_the_window() -> None:
    plan = PagePlan(_walk(), concurrency=3)
    assert [page for page, _ in plan.launch()] == [1]
    assert plan.launch() == []  # nothing more until the first reply tells the total
    plan.land(1, _page(1, 95))
    assert len(list(plan.ready())) == 1
    launched = plan.launch()
    assert [page for page, _ in launched] == [2, 3, 4]
    assert launched[0][1]["page"] == 2
    assert launched[0][1]["pageSize"] == 10


def test_plan_holds_at_most_concurrency_pages_and_hands_them_on_in_order() -> None:
    plan = PagePlan(_walk(), concurrency=3)
    plan.launch()
    plan.land(1, _page(1, 95))
    list(plan.ready())
    plan.launch()  # 2, 3, 4
    plan.land(4, _page(4, 95))
    plan.land(3, _page(3, 95))
    assert list(plan.ready()) == []  # page 2 has not landed: 3 and 4 wait
    assert plan.launch() == []  # three pages out: the window is full
    plan.land(2, _page(2, 95))
    assert [r.page_info.page for r, _ in plan.ready() if r.page_info] == [2, 3, 4]
    assert [page for page, _ in plan.launch()] == [5, 6, 7]


def test_plan_launches_nothing_past_the_limit_or_the_last_page() -> None:
    plan = PagePlan(_walk(limit=25), concurrency=8)
    plan.launch()
    plan.land(1, _page(1, 1000))
    list(plan.ready())
    assert [page for page, _ in plan.launch()] == [2, 3]  # 25 items: pages 1-3

    plan = PagePlan(_walk(), concurrency=8)
    plan.launch()
    plan.land(1, _page(1, 32))
    list(plan.ready())
    assert [page for page, _ in plan.launch()] == [2, 3, 4]


def test_plan_abandons_pages_past_a_shrunken_end() -> None:
    plan = PagePlan(_walk(), concurrency=4)
    plan.launch()
    plan.land(1, _page(1, 100))
    list(plan.ready())
    plan.launch()  # 2..5
    plan.land(2, _page(2, 15))  # the list shrank to 15 items: page 2 is the last
    assert [len(items) for _, items in plan.ready()] == [5]
    assert plan.finished
    assert plan.abandoned() == [3, 4, 5]


def test_plan_raises_a_pages_error_in_turn_with_its_number() -> None:
    plan = PagePlan(_walk(), concurrency=4)
    plan.launch()
    plan.land(1, _page(1, 100))
    list(plan.ready())
    plan.launch()
    plan.land(3, py7D.TransportError("connection reset"))
    plan.land(2, _page(2, 100))
    ready = plan.ready()
    assert next(ready)[0].page_info.page == 2  # type: ignore[union-attr]
    with pytest.raises(py7D.TransportError) as info:
        next(ready)
    assert info.value.page == 3
    assert plan.finished
