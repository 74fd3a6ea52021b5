"""Paging: the sans-I/O walk, and pages()/items() on both clients and the resource methods."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import py7D
from py7D._endpoints import find_endpoint
from py7D._paging import PageWalk, items_at

pytestmark = pytest.mark.usefixtures("_fresh_warnings")

# --------------------------------------------------------------------------- a fake paged API


class FakeSearch:
    """``artist/search`` over ``total`` artists; ``total_after`` changes the count mid-walk."""

    def __init__(
        self,
        total: int,
        *,
        total_after: Callable[[int], int] | None = None,
        echo_page_size: Callable[[int], int] | None = None,
        empty_from_page: int | None = None,
    ) -> None:
        self.total = total
        self.total_after = total_after
        self.echo_page_size = echo_page_size
        self.empty_from_page = empty_from_page
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("pageSize", "10"))
        total = self.total_after(page) if self.total_after else self.total
        start = (page - 1) * size
        count = max(0, min(size, total - start))
        if self.empty_from_page is not None and page >= self.empty_from_page:
            count = 0
        items = "".join(
            f'<searchResult><type>artist</type><artist id="{n}"><name>A{n}</name></artist>'
            "</searchResult>"
            for n in range(start + 1, start + count + 1)
        )
        echoed = self.echo_page_size(size) if self.echo_page_size else size
        body = (
            '<response status="ok" version="1.2"><searchResults>'
            f"<page>{page}</page><pageSize>{echoed}</pageSize><totalItems>{total}</totalItems>"
            f"{items}</searchResults></response>"
        )
        return httpx.Response(200, text=body)

    @property
    def pages_asked(self) -> list[int]:
        return [int(r.url.params["page"]) for r in self.requests]

    @property
    def sizes_asked(self) -> list[str | None]:
        return [r.url.params.get("pageSize") for r in self.requests]


def ids(items: list[Any]) -> list[int]:
    return [int(item["artist"]["@id"]) for item in items]


def client_for(fake: Callable[[httpx.Request], httpx.Response]) -> py7D.Client:
    return py7D.Client("key", "secret", transport=httpx.MockTransport(fake), environ={})


def aclient_for(fake: Callable[[httpx.Request], httpx.Response]) -> py7D.AsyncClient:
    return py7D.AsyncClient("key", "secret", transport=httpx.MockTransport(fake), environ={})


# Both clients behave alike: run every scenario through a sync and an async collector, each
# walking one page after another (concurrency=1) and at the default concurrency.

DEFAULT_CONCURRENCY = 8


def collect_sync(fake: FakeSearch, **kwargs: Any) -> tuple[list[Any], int]:
    with client_for(fake) as client:
        items = list(client.items("artist", "search", q="x", **kwargs))
        pages = list(client.pages("artist", "search", q="x", **kwargs))
    return items, len(pages)


async def collect_async(fake: FakeSearch, **kwargs: Any) -> tuple[list[Any], int]:
    async with aclient_for(fake) as client:
        items = [item async for item in client.items("artist", "search", q="x", **kwargs)]
        pages = [page async for page in client.pages("artist", "search", q="x", **kwargs)]
    return items, len(pages)


class Collector:
    """Collects items and pages of a walk; ``sequential`` walks with concurrency=1."""

    def __init__(self, is_async: bool, sequential: bool) -> None:
        self.is_async = is_async
        self.sequential = sequential

    def __call__(self, fake: FakeSearch, **kwargs: Any) -> tuple[list[Any], int]:
        import asyncio

        if self.sequential:
            kwargs["concurrency"] = 1
        if self.is_async:
            return asyncio.run(collect_async(fake, **kwargs))
        return collect_sync(fake, **kwargs)

    def check_asked(self, fake: FakeSearch, needed: list[int], *, known: bool = True) -> None:
        """The pages each of the two walks asked for: exactly ``needed``, in order, one
        after another; at most ``concurrency`` pages past them concurrently (none past
        them when the first page's ``totalItems`` was right: ``known``)."""
        if self.sequential:
            assert fake.pages_asked == needed * 2
        elif known:
            assert sorted(fake.pages_asked) == sorted(needed * 2)
        else:
            assert set(needed) <= set(fake.pages_asked)
            assert len(fake.pages_asked) <= 2 * (len(needed) + DEFAULT_CONCURRENCY)


@pytest.fixture(
    params=[(False, True), (True, True), (False, False), (True, False)],
    ids=["sync", "async", "sync-concurrent", "async-concurrent"],
)
def collect(request: pytest.FixtureRequest) -> Collector:
    return Collector(*request.param)


# --------------------------------------------------------------------------- scenarios


def test_last_page_partial(collect: Collector) -> None:
    fake = FakeSearch(90)
    items, pages = collect(fake, pageSize=36)
    assert ids(items) == list(range(1, 91))
    assert pages == 3
    collect.check_asked(fake, [1, 2, 3])  # items, then pages: never a 4th page


def test_exact_multiple_stops_without_an_extra_request(collect: Collector) -> None:
    fake = FakeSearch(100)
    items, pages = collect(fake, pageSize=50)
    assert len(items) == 100
    assert pages == 2
    collect.check_asked(fake, [1, 2])


def test_default_page_size_is_the_endpoint_maximum(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(120)
    items, _ = collect(fake)
    assert len(items) == 120
    assert set(fake.sizes_asked) == {"50"}


def test_empty_result(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(0)
    items, pages = collect(fake)
    assert items == []
    assert pages == 1


def test_empty_page_stops_even_if_total_says_more(collect: Collector) -> None:
    fake = FakeSearch(100, empty_from_page=2)
    items, pages = collect(fake, pageSize=20)
    assert len(items) == 20
    assert pages == 2  # page 2 came back empty: stop there
    collect.check_asked(fake, [1, 2], known=False)


def test_total_shrinking_mid_way_stops_at_the_new_end(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(0, total_after=lambda page: 100 if page == 1 else 45)
    items, pages = collect(fake, pageSize=20)
    assert ids(items) == list(range(1, 46))
    assert pages == 3


def test_total_growing_mid_way_goes_on(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(0, total_after=lambda page: 30 if page == 1 else 70)
    items, pages = collect(fake, pageSize=20)
    assert ids(items) == list(range(1, 71))
    assert pages == 4


def test_total_dropping_below_what_was_read_stops(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(0, total_after=lambda page: 100 if page == 1 else 10)
    items, pages = collect(fake, pageSize=20)
    assert len(items) == 20
    assert pages == 2  # page 2 is empty under the new total


@pytest.mark.parametrize(("limit", "pages_needed"), [(1, 1), (20, 1), (21, 2), (45, 3)])
def test_limit(collect: Callable[..., Any], limit: int, pages_needed: int) -> None:
    fake = FakeSearch(90)
    items, pages = collect(fake, pageSize=20, limit=limit)
    assert ids(items) == list(range(1, limit + 1))
    assert pages == pages_needed


def test_limit_zero_sends_nothing(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(90)
    items, pages = collect(fake, limit=0)
    assert (items, pages, fake.requests) == ([], 0, [])


def test_small_limit_asks_for_small_pages(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(90)
    items, _ = collect(fake, limit=3)
    assert len(items) == 3
    assert set(fake.sizes_asked) == {"3"}


def test_start_page_is_honoured(collect: Callable[..., Any]) -> None:
    fake = FakeSearch(90)
    items, _ = collect(fake, pageSize=36, page=2)
    assert ids(items) == list(range(37, 91))


def test_zero_page_size_echo_falls_back_to_the_request(collect: Callable[..., Any]) -> None:
    # artist/similar with no results was recorded with pageSize 0
    fake = FakeSearch(25, echo_page_size=lambda size: 0)
    items, _ = collect(fake, pageSize=10)
    assert len(items) == 25


def test_lazy_one_page_at_a_time() -> None:
    fake = FakeSearch(500)
    with client_for(fake) as client:
        iterator = client.items("artist", "search", q="x", pageSize=10, concurrency=1)
        assert fake.requests == []  # nothing before the first next()
        first = [next(iterator) for _ in range(10)]
        assert len(fake.requests) == 1
        next(iterator)
        assert len(fake.requests) == 2
    assert ids(first) == list(range(1, 11))


async def test_async_lazy_one_page_at_a_time() -> None:
    fake = FakeSearch(500)
    async with aclient_for(fake) as client:
        iterator = client.items("artist", "search", q="x", pageSize=10, concurrency=1)
        assert fake.requests == []
        for _ in range(11):
            await iterator.__anext__()
        assert len(fake.requests) == 2


def test_lazy_concurrently_the_first_page_alone_then_a_window() -> None:
    fake = FakeSearch(500)
    with client_for(fake) as client:
        iterator = client.items("artist", "search", q="x", pageSize=10)
        assert fake.requests == []
        first = [next(iterator) for _ in range(10)]
        assert len(fake.requests) == 1  # totalItems is not known before the first reply
        next(iterator)
        assert 2 <= len(fake.requests) <= 1 + DEFAULT_CONCURRENCY
        iterator.close()
    assert ids(first) == list(range(1, 11))


def test_items_are_yielded_one_by_one_for_a_single_item_page(
    collect: Callable[..., Any],
) -> None:
    fake = FakeSearch(1)  # xmltodict gives a dict, not a list, for one searchResult
    items, _ = collect(fake)
    assert ids(items) == [1]


def test_options_reach_every_page() -> None:
    fake = FakeSearch(30)
    with client_for(fake) as client:
        pages = list(client.pages("artist", "search", q="x", pageSize=10, normalize=True))
    assert all(isinstance(page.data["searchResult"], list) for page in pages)
    assert all(r.url.params["q"] == "x" for r in fake.requests)


def test_pages_of_a_non_paged_or_unknown_endpoint_is_refused() -> None:
    with client_for(FakeSearch(1)) as client:
        with pytest.raises(py7D.ValidationError, match="does not page"):
            list(client.pages("artist", "details", artistId=1))
        with pytest.raises(py7D.ValidationError, match="not in the endpoint table"):
            list(client.items("playlists"))


@pytest.mark.parametrize("limit", [-1, 1.5, "3", True])
def test_bad_limit(limit: Any) -> None:
    with client_for(FakeSearch(1)) as client, pytest.raises(py7D.ValidationError, match="limit"):
        list(client.items("artist", "search", q="x", limit=limit))


# --------------------------------------------------------------------------- locker shape


def locker_handler(total: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["pageSize"])
        start = (page - 1) * size
        releases = "".join(
            f'<lockerRelease><release id="{n}"><title>R{n}</title></release>'
            f'<lockerTracks><lockerTrack><track id="{n}0"/></lockerTrack></lockerTracks>'
            "</lockerRelease>"
            for n in range(start + 1, min(start + size, total) + 1)
        )
        return httpx.Response(
            200,
            text=(
                '<response status="ok" version="1.2"><locker><lockerReleases>'
                f"<page>{page}</page><pageSize>{size}</pageSize><totalItems>{total}</totalItems>"
                f"{releases}</lockerReleases></locker></response>"
            ),
        )

    return handler


def test_locker_items_live_below_locker_releases() -> None:
    token = py7D.Token("t", "s")
    with client_for(locker_handler(7)) as client:
        items = list(client.user.locker_items(access_token=token, page_size=3))
        pages = list(client.items("user", "locker", access_token=token, pageSize=3, limit=4))
    assert [item["release"]["@id"] for item in items] == [str(n) for n in range(1, 8)]
    assert len(pages) == 4


# --------------------------------------------------------------------------- sans-I/O


def test_page_walk_arithmetic_without_io() -> None:
    endpoint = find_endpoint("artist/search")
    assert endpoint is not None
    walk = PageWalk.start(endpoint, {"q": "x", "PAGESIZE": 36})
    assert walk.next_params() == {"q": "x", "page": 1, "pageSize": 36}
    fake = FakeSearch(90)
    seen = 0
    while (params := walk.next_params()) is not None:
        request = httpx.Request("GET", "https://x/1.2/artist/search", params=params)
        response = fake(request)
        response.request = request
        result = py7D._reply.parse_response(response, endpoint=endpoint)
        seen += len(walk.feed(result))
    assert seen == 90
    assert walk.total_items == 90
    assert walk.page == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, []),
        ({}, []),
        ({"a": None}, []),
        ({"a": {"b": {"x": 1}}}, [{"x": 1}]),
        ({"a": {"b": [{"x": 1}, {"x": 2}]}}, [{"x": 1}, {"x": 2}]),
        ({"a": "text"}, []),
    ],
)
def test_items_at(data: Any, expected: list[Any]) -> None:
    assert items_at(data, "a.b") == expected


def test_page_size_maximum_comes_from_the_table() -> None:
    for ep in py7D.ENDPOINTS:
        if ep.paged and ep.path != "translations":
            assert ep.page_size_max == 50, ep.path
    translations = find_endpoint("translations")
    assert translations is not None
    assert translations.page_size_max is None
    walk = PageWalk.start(translations, {}, limit=7)
    assert walk.next_params() == {"page": 1}  # size left to the API: its maximum is unknown


# --------------------------------------------------------------------------- against the sandbox


def test_sandbox_search_to_the_end_on_both_shapes(client: py7D.Client) -> None:
    total = client.artist.search(q="pink", page_size=1).page_info
    assert total is not None
    plain = list(client.artist.search_items(q="pink", page_size=7))
    normalized = list(client.artist.search_items(q="pink", page_size=7, normalize=True))
    assert len(plain) == len(normalized) == total.total_items
    pages = list(client.artist.search_pages(q="pink", page_size=7))
    assert len(pages) == math.ceil(total.total_items / 7)


async def test_sandbox_async_items(aclient: py7D.AsyncClient) -> None:
    tags = [tag async for tag in aclient.tag.get_items(page_size=7)]
    first = await aclient.tag.get(page_size=50)
    info = first.page_info
    assert info is not None
    assert len(tags) == info.total_items
    limited = [t async for t in aclient.items("tag", None, limit=5)]
    assert [t["@id"] for t in limited] == [t["@id"] for t in tags[:5]]


# --------------------------------------------------------------------------- property


class _Shared:
    def __init__(self) -> None:
        self.fake = FakeSearch(0)
        self.client = client_for(lambda request: self.fake(request))


_SHARED = _Shared()


@settings(max_examples=100, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=120),
    size=st.integers(min_value=1, max_value=50),
    limit=st.none() | st.integers(min_value=0, max_value=150),
)
def test_walk_yields_each_item_once_with_the_fewest_requests(
    total: int, size: int, limit: int | None
) -> None:
    fake = FakeSearch(total)
    _SHARED.fake = fake  # one client for all examples: building one costs ~50 ms
    items = list(_SHARED.client.items("artist", "search", q="x", pageSize=size, limit=limit))
    wanted = total if limit is None else min(total, limit)
    assert ids(items) == list(range(1, wanted + 1))
    expected_requests = 0 if limit == 0 else max(1, math.ceil(wanted / size))
    assert len(fake.requests) == expected_requests
