"""Keeping within the API key's quota (``x-ratelimit-*``): the sans-I/O :class:`Quota`, and both
clients against the sandbox's rate-limit windows (in-process and served), waiting and raising."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

import py7D
from py7D._quota import POLL_SECONDS, Quota, in_bulk
from py7D._result import RateLimit
from py7D.sandbox import Sandbox, running

pytestmark = pytest.mark.usefixtures("_isolated_env")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate(limit: int, current: int, reset: float) -> RateLimit:
    return RateLimit(limit, current, reset)


# --------------------------------------------------------------------------- Quota, sans-I/O


def test_quota_lets_the_first_call_go_and_waits_for_its_reply() -> None:
    quota = Quota(clock=Clock())
    assert quota.reserve() == 0.0
    assert quota.reserve() == POLL_SECONDS  # the limit is not known until a reply comes
    quota.observe(rate(10, 1, 30.5), reserved=True)
    assert quota.remaining == 9
    assert quota.reserve() == 0.0


def test_quota_waits_for_the_reset_once_the_window_is_spent() -> None:
    clock = Clock()
    quota = Quota(clock=clock)
    quota.observe(rate(3, 1, 2.5), reserved=False)  # one call used elsewhere
    assert [quota.reserve(), quota.reserve()] == [0.0, 0.0]
    wait = quota.reserve()
    assert 2.5 <= wait < 2.6  # no slot left: wait for the reset
    assert quota.remaining == 0
    quota.observe(rate(3, 2, 2.5), reserved=True)
    quota.observe(rate(3, 3, 2.5), reserved=True)
    clock.now += wait
    assert quota.reserve() == 0.0  # a new window
    assert quota.remaining == 2  # it holds this call only


def test_quota_raises_before_sending_when_the_reset_is_too_far() -> None:
    clock = Clock()
    quota = Quota(max_wait=5, clock=clock)
    quota.observe(rate(4000, 4000, 18953), reserved=False)
    with pytest.raises(py7D.RateLimitedError) as info:
        quota.reserve()
    assert info.value.retry_after is not None
    assert 18953 <= info.value.retry_after <= 18955
    assert "quota_wait=5" in str(info.value)
    assert "not sent" in str(info.value)
    assert Quota(max_wait=None, clock=clock).max_wait is None  # None: wait however long


def test_quota_reads_the_servers_count_upwards_only() -> None:
    quota = Quota(clock=Clock())
    quota.observe(rate(100, 0, 10.0), reserved=False)
    assert [quota.reserve() for _ in range(5)] == [0.0] * 5
    quota.observe(rate(100, 3, 10.0), reserved=True)  # an early reply: 5 were sent
    assert quota.used == 5
    quota.observe(rate(100, 42, 10.0), reserved=True)  # another program used the key too
    assert quota.used == 42


def test_calls_in_flight_at_the_roll_over_count_until_their_replies_place_them() -> None:
    clock = Clock()
    quota = Quota(clock=clock)
    quota.observe(rate(4, 0, 1.0), reserved=False)
    assert [quota.reserve() for _ in range(3)] == [0.0] * 3
    clock.now += 1.02  # the window ended with the three calls still in flight
    assert quota.reserve() == 0.0
    assert quota.used == 4  # the three may land in the new window too
    assert quota.reserve() == POLL_SECONDS  # full, and its end not known yet
    # Sent before the old window's end, counted 1 ms before it, answered 20 ms after it.
    quota.observe(rate(4, 3, 0.001), reserved=True, sent_at=1000.9)
    assert quota.used == 3
    quota.observe(rate(4, 1, 0.999), reserved=True, sent_at=1000.95)  # landed in the new one
    assert quota.used == 3
    assert quota.reserve() == 0.0
    assert 0.99 < quota.reserve() < 1.01  # full until the new window resets


def test_a_late_reply_of_the_old_window_is_not_taken_for_the_new_one() -> None:
    clock = Clock()
    quota = Quota(clock=clock)
    quota.observe(rate(3, 0, 1.0), reserved=False)
    assert [quota.reserve(), quota.reserve()] == [0.0, 0.0]
    clock.now += 1.3  # the old window ended; its replies come only now, 300 ms late
    assert quota.reserve() == 0.0
    assert quota.used == 3  # this call, and the two in flight (they may land in it)
    quota.observe(rate(3, 2, 0.001), reserved=True, sent_at=1000.1)
    # It says 1 ms was left when it was counted: taken at face value (now + 1 ms) it
    # would end the new window at once, and a burst would follow into a full window.
    assert quota.reset_in is None
    assert quota.used == 2  # it landed in the old window: its slot is free again
    quota.observe(rate(3, 1, 0.7), reserved=True, sent_at=1001.29)
    assert 0.69 < quota.reset_in < 0.71  # type: ignore[operator]
    assert quota.used == 2


def test_a_server_without_rate_limit_headers_is_not_paced() -> None:
    quota = Quota(clock=Clock())
    quota.reserve()
    quota.observe(None, reserved=True)
    assert [quota.reserve() for _ in range(50)] == [0.0] * 50
    assert quota.remaining is None


def test_bad_settings_are_configuration_errors() -> None:
    with pytest.raises(py7D.ConfigurationError, match="pace"):
        py7D.Client("k", "s", environ={}, pace="sometimes")  # type: ignore[arg-type]
    with pytest.raises(py7D.ConfigurationError, match="quota_wait"):
        py7D.Client("k", "s", environ={}, quota_wait=-1)


# --------------------------------------------------------------------------- clients


class Replies:
    """Response hook: counts replies and the 429s among them."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def sync(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses.append(response.status_code)

    async def async_(self, response: httpx.Response) -> None:
        self.sync(response)


def _box(limit: int, window: float) -> Sandbox:
    return Sandbox(rate_limit=limit, rate_window=window, artists=50)


def _client(
    box: Sandbox, replies: Replies, url: str | None = None, **options: object
) -> py7D.Client:
    transport = None if url else box.transport()
    return py7D.Client(
        box.consumer_key,
        box.consumer_secret,
        base_url=url or box.base_url,
        environ={},
        transport=transport,
        retries=None,
        event_hooks={"response": [replies.sync]},
        **options,  # type: ignore[arg-type]
    )


def _async_client(box: Sandbox, replies: Replies, **options: object) -> py7D.AsyncClient:
    return py7D.AsyncClient(
        box.consumer_key,
        box.consumer_secret,
        base_url=box.base_url,
        environ={},
        transport=box.transport(),
        retries=None,
        event_hooks={"response": [replies.async_]},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    box = _box(5, 0.4)
    with running(box) as url:
        yield box, url


def test_served_map_waits_for_each_window_and_gets_no_429(served: tuple[Sandbox, str]) -> None:
    box, url = served
    replies = Replies()
    with _client(box, replies, url) as client:
        started = time.monotonic()
        results = client.map("artist", "details", "artistId", [2] * 12, concurrency=4)
        elapsed = time.monotonic() - started
    assert len(results) == 12
    assert all(r.status_code == 200 for r in results)
    assert replies.statuses == [200] * 12  # paced: not one 429 came back
    assert elapsed > 0.4  # 12 calls at 5 a window span at least three windows
    assert client.quota.limit == 5


def test_map_raises_before_sending_when_the_reset_is_beyond_quota_wait() -> None:
    box = _box(3, 60)
    replies = Replies()
    with (
        _client(box, replies, quota_wait=1) as client,
        pytest.raises(py7D.RateLimitedError) as info,
    ):
        client.map("artist", "details", "artistId", [2] * 5, concurrency=2)
    assert info.value.retry_after is not None
    assert 1 < info.value.retry_after <= 61
    assert replies.statuses == [200, 200, 200]  # the quota's three, then nothing sent


def test_concurrent_paging_waits_for_the_window() -> None:
    with _client(Sandbox(artists=50), Replies()) as unlimited:  # the same catalogue, no quota
        expected = list(unlimited.items("artist", "releases", artistId=2, pageSize=1))
    box = _box(4, 0.3)
    replies = Replies()
    with _client(box, replies) as client:
        items = list(client.items("artist", "releases", artistId=2, pageSize=1, concurrency=4))
    assert items == expected
    assert len(items) > 4
    assert 429 not in replies.statuses


def test_single_calls_are_paced_only_with_pace_always() -> None:
    for pace, error_status in (("bulk", 429), ("always", None)):
        box = _box(2, 60)
        replies = Replies()
        with _client(box, replies, pace=pace, quota_wait=0) as client:
            client.request("artist", "details", artistId=2)
            client.request("artist", "details", artistId=2)
            with pytest.raises(py7D.RateLimitedError) as info:
                client.request("artist", "details", artistId=2)
        assert info.value.status_code == error_status  # the server's 429, or not sent at all
        assert len(replies.statuses) == (3 if pace == "bulk" else 2)


def test_pace_off_sends_regardless() -> None:
    box = _box(2, 60)
    replies = Replies()
    with _client(box, replies, pace="off") as client:
        results = client.map("artist", "details", "artistId", [2] * 4, return_exceptions=True)
    assert replies.statuses == [200, 200, 429, 429]
    assert all(isinstance(r, py7D.RateLimitedError) for r in results[2:])


def test_gather_marks_its_calls_as_bulk_work() -> None:
    box = _box(10, 60)
    with _client(box, Replies()) as client:
        seen = client.gather([in_bulk, in_bulk])
    assert seen == [True, True]
    assert not in_bulk()


async def test_async_map_waits_for_the_window_and_gets_no_429() -> None:
    box = _box(4, 0.3)
    replies = Replies()
    async with _async_client(box, replies) as client:
        started = time.monotonic()
        results = await client.map("artist", "details", "artistId", [2] * 10, concurrency=4)
        elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in results)
    assert replies.statuses == [200] * 10
    assert elapsed > 0.3  # three windows at least


async def test_async_map_raises_when_the_reset_is_beyond_quota_wait() -> None:
    box = _box(3, 60)
    replies = Replies()
    async with _async_client(box, replies, quota_wait=0.5) as client:
        with pytest.raises(py7D.RateLimitedError) as info:
            await client.map("artist", "details", "artistId", [2] * 6, concurrency=3)
        assert info.value.retry_after is not None
        assert info.value.retry_after > 0.5
        assert client.quota.remaining == 0
    assert replies.statuses == [200, 200, 200]


async def test_async_paging_and_gather_are_paced() -> None:
    box = _box(3, 0.3)
    replies = Replies()
    async with _async_client(box, replies) as client:
        items = [i async for i in client.items("artist", "releases", artistId=2, pageSize=1)]
        results = await client.gather(
            client.request("artist", "details", artistId=2) for _ in range(4)
        )
    assert len(items) >= 4
    assert len(results) == 4
    assert 429 not in replies.statuses


def test_sandbox_reports_short_windows_to_the_millisecond() -> None:
    box = _box(5, 0.5)
    with httpx.Client(transport=box.transport()) as http:
        reply = http.get(
            f"{box.base_url}/artist/details",
            params={"artistId": 2, "oauth_consumer_key": box.consumer_key},
        )
    limits = RateLimit.from_headers(reply.headers)
    assert limits is not None
    assert limits.limit == 5
    assert limits.current == 1
    assert limits.reset is not None
    assert 0 < limits.reset <= 0.5
    assert "." in reply.headers["x-ratelimit-reset"]
