"""The opt-in HTTP cache: hits, expiry by a fake clock, no-store, signed calls never cached."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

import py7D
from client_support import API, KEY, SECRET, artist_reply
from py7D import FileCache, MemoryCache
from py7D._cache import freshness_lifetime

pytestmark = pytest.mark.usefixtures("_isolated_env")

TOKEN = py7D.Token("user-token", "user-secret")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    """A MockTransport handler answering with the given cache headers; counts requests."""

    def __init__(self, **headers: str) -> None:
        self.headers = {k.replace("_", "-"): v for k, v in headers.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return artist_reply(request, self.headers)


def make_client(handler: Counter, cache: object) -> py7D.Client:
    return py7D.Client(
        KEY,
        SECRET,
        base_url=API,
        environ={},
        transport=httpx.MockTransport(handler),
        cache=cache,  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_no_cache_by_default() -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, None) as client:
        client.request("artist", "details", artistId=1)
        again = client.request("artist", "details", artistId=1)

    assert len(handler.requests) == 2
    assert again.from_cache is False


def test_a_second_identical_call_is_a_hit(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, MemoryCache(clock=clock)) as client:
        first = client.request("artist", "details", artistId=1)
        second = client.request("artist", "details", artistId=1)
        other = client.request("artist", "details", artistId=2)

    assert len(handler.requests) == 2
    assert (first.from_cache, second.from_cache, other.from_cache) == (False, True, False)
    assert second["response"] == first["response"]
    assert second["response"] is not first["response"]  # parsed anew: mutations do not leak
    assert second.headers["age"] == "0"
    assert "from cache" in repr(second)


def test_cache_true_means_a_memory_cache() -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, True) as client:
        assert isinstance(client.cache, MemoryCache)
        client.request("artist", "details", artistId=1)
        assert client.request("artist", "details", artistId=1).from_cache


def test_entries_expire_after_max_age(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, MemoryCache(clock=clock)) as client:
        client.request("artist", "details", artistId=1)
        clock.now += 59
        assert client.request("artist", "details", artistId=1).headers["age"] == "59"
        clock.now += 1
        refreshed = client.request("artist", "details", artistId=1)

    assert refreshed.from_cache is False
    assert len(handler.requests) == 2


def test_the_age_header_shortens_the_lifetime(clock: Clock) -> None:
    handler = Counter(cache_control="max-age=60", age="50")
    with make_client(handler, MemoryCache(clock=clock)) as client:
        client.request("artist", "details", artistId=1)
        clock.now += 9
        assert client.request("artist", "details", artistId=1).from_cache
        clock.now += 1
        assert not client.request("artist", "details", artistId=1).from_cache


def test_expires_counts_from_date(clock: Clock) -> None:
    handler = Counter(
        date=formatdate(clock.now, usegmt=True), expires=formatdate(clock.now + 30, usegmt=True)
    )
    with make_client(handler, MemoryCache(clock=clock)) as client:
        client.request("artist", "details", artistId=1)
        clock.now += 29
        assert client.request("artist", "details", artistId=1).from_cache is True
        clock.now += 1
        assert client.request("artist", "details", artistId=1).from_cache is False


def test_a_date_in_the_past_counts_as_age(clock: Clock) -> None:
    handler = Counter(cache_control="max-age=60", date=formatdate(clock.now - 55, usegmt=True))
    with make_client(handler, MemoryCache(clock=clock)) as client:
        client.request("artist", "details", artistId=1)
        clock.now += 4
        assert client.request("artist", "details", artistId=1).from_cache is True
        clock.now += 1
        assert client.request("artist", "details", artistId=1).from_cache is False


@pytest.mark.parametrize(
    ("headers", "lifetime"),
    [
        ({"cache-control": "private, max-age=60"}, 60.0),
        ({"cache-control": "no-store, max-age=60"}, None),
        ({"cache-control": "no-cache"}, None),
        ({"cache-control": "max-age=oops"}, 0.0),
        ({"cache-control": "max-age=10", "expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, 10.0),
        (
            {"date": "Thu, 01 Jan 2026 00:00:00 GMT", "expires": "Thu, 01 Jan 2026 00:02:00 GMT"},
            120.0,
        ),
        ({"date": "Thu, 01 Jan 2026 00:00:00 GMT", "expires": "0"}, 0.0),
        ({"vary": "*", "cache-control": "max-age=60"}, None),
        ({}, None),
    ],
)
def test_freshness_lifetime(headers: dict[str, str], lifetime: float | None) -> None:
    assert freshness_lifetime(list(headers.items())) == lifetime


@pytest.mark.parametrize("cache_control", ["no-store", "no-cache", "private, max-age=0"])
def test_replies_that_forbid_caching_are_not_kept(clock: Clock, cache_control: str) -> None:
    handler = Counter(cache_control=cache_control)
    cache = MemoryCache(clock=clock)
    with make_client(handler, cache) as client:
        client.request("artist", "details", artistId=1)
        assert client.request("artist", "details", artistId=1).from_cache is False

    assert len(cache) == 0


def test_replies_without_a_lifetime_are_not_kept(clock: Clock) -> None:
    handler = Counter()
    cache = MemoryCache(clock=clock)
    with make_client(handler, cache) as client:
        client.request("artist", "details", artistId=1)

    assert len(cache) == 0


def test_signed_calls_are_never_cached(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    cache = MemoryCache(clock=clock)
    with make_client(handler, cache) as client:
        for _ in range(2):
            client.oauth_2legged_request("artist", "details", artistId=1)
            client.oauth_3legged_request("user", "locker", TOKEN)
            client.request("artist", "match/byId", sevenDigitalIds=1)  # 2-legged by the table

    assert len(handler.requests) == 6
    assert len(cache) == 0


def test_error_replies_are_not_cached(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    cache = MemoryCache(clock=clock)
    with make_client(handler, cache) as client:
        for _ in range(2):
            with pytest.raises(py7D.ResourceNotFoundError):
                client.request("artist", "details", artistId=0)

    assert len(handler.requests) == 2
    assert len(cache) == 0


def test_state_changing_calls_pass_and_invalidate_their_resource(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, MemoryCache(clock=clock)) as client:
        client.request("basket", None, basketId="b1")
        client.request("artist", "details", artistId=1)
        client.request("basket", "addItem", basketId="b1", releaseId=1)
        client.request("basket", "addItem", basketId="b1", releaseId=1)
        basket = client.request("basket", None, basketId="b1")
        artist = client.request("artist", "details", artistId=1)

    assert basket.from_cache is False  # dropped by addItem
    assert artist.from_cache is True  # another resource: kept
    assert len(handler.requests) == 5


def test_the_memory_cache_evicts_the_least_recently_used(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    cache = MemoryCache(max_entries=2, clock=clock)
    with make_client(handler, cache) as client:
        for artist in (1, 2, 1, 3):
            client.request("artist", "details", artistId=artist)
        assert client.request("artist", "details", artistId=1).from_cache
        assert not client.request("artist", "details", artistId=2).from_cache

    assert len(cache) == 2


def test_a_file_cache_survives_a_new_client(tmp_path: Path, clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    with make_client(handler, FileCache(tmp_path / "cache", clock=clock)) as client:
        first = client.request("artist", "details", artistId=7)

    with make_client(handler, FileCache(tmp_path / "cache", clock=clock)) as client:
        clock.now += 30
        again = client.request("artist", "details", artistId=7)

    assert again.from_cache is True
    assert again["response"] == first["response"]
    assert again.headers["age"] == "30"
    assert len(handler.requests) == 1


def test_a_file_cache_ignores_damaged_entries(tmp_path: Path, clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    cache = FileCache(tmp_path, clock=clock)
    with make_client(handler, cache) as client:
        client.request("artist", "details", artistId=7)
        for file in tmp_path.glob("*/*.entry"):
            file.write_bytes(b"not json\n")
        assert client.request("artist", "details", artistId=7).from_cache is False
        cache.clear()
        assert list(tmp_path.glob("*/*.entry")) == []


def test_a_bad_cache_option_is_refused() -> None:
    with pytest.raises(py7D.ConfigurationError, match="cache"):
        make_client(Counter(), "yes")


async def test_the_async_client_uses_the_same_cache(clock: Clock) -> None:
    handler = Counter(cache_control="private, max-age=60")
    async with py7D.AsyncClient(
        KEY,
        SECRET,
        base_url=API,
        environ={},
        transport=httpx.MockTransport(handler),
        cache=MemoryCache(clock=clock),
    ) as client:
        await client.request("artist", "details", artistId=1)
        second = await client.request("artist", "details", artistId=1)

    assert second.from_cache is True
    assert len(handler.requests) == 1
