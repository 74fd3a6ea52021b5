"""Helpers for the reliability tests: scripted transports, a fake clock, quick retry policies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

import py7D
from py7D import RetryPolicy

KEY, SECRET = "rel-key", "rel-secret-value-0123"
BASE = "https://api.example.test/1.2"

OK_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<response status="ok" version="1.2"><serviceStatus>'
    b"<serverTime>2024-01-01T00:00:00Z</serverTime></serviceStatus></response>"
)


def error_body(code: int, message: str) -> bytes:
    return (
        f'<response status="error" version="1.2"><error code="{code}">'
        f"<errorMessage>{message}</errorMessage></error></response>"
    ).encode()


def ok(request: httpx.Request | None = None) -> httpx.Response:
    return httpx.Response(200, content=OK_BODY, headers={"content-type": "text/xml"})


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(clock: FakeClock) -> RetryPolicy:
    """Four attempts, backoff 1, 2, 4 s (dice fixed at 1), on the fake clock: no real sleeping."""
    return RetryPolicy(
        max_attempts=4,
        backoff_base=1.0,
        backoff_cap=8.0,
        deadline=60.0,
        random=lambda: 1.0,
        sleep=clock.sleep,
        async_sleep=clock.async_sleep,
        clock=clock,
    )


class Script:
    """A transport handler that plays a list of replies (or exceptions) in order.

    Items are ``httpx.Response``, an ``Exception`` class/instance to raise, or a
    callable ``request -> Response``. The last item repeats. ``requests``
    records what was sent.
    """

    def __init__(self, *items: object) -> None:
        self.items = list(items)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # A snapshot: py7D re-sends (and re-signs) the same Request object on a retry.
        self.requests.append(
            httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.read(),
                extensions=dict(request.extensions),
            )
        )
        item = self.items[min(len(self.requests) - 1, len(self.items) - 1)]
        if isinstance(item, type) and issubclass(item, httpx.TransportError):
            raise item("injected", request=request)
        if isinstance(item, BaseException):
            raise item
        if callable(item) and not isinstance(item, httpx.Response):
            return item(request)  # type: ignore[no-any-return]
        assert isinstance(item, httpx.Response)
        return httpx.Response(
            item.status_code, headers=item.headers, content=item.content, request=request
        )

    @property
    def count(self) -> int:
        return len(self.requests)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> py7D.Client:
    return py7D.Client(
        KEY,
        SECRET,
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        **options,  # type: ignore[arg-type]
    )


def make_async_client(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> py7D.AsyncClient:
    return py7D.AsyncClient(
        KEY,
        SECRET,
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def sandbox_client() -> Iterator[tuple[py7D.Client, object]]:
    """A Client over a fresh in-process sandbox."""
    from py7D.sandbox import Sandbox

    sandbox = Sandbox()
    with py7D.Client(
        "sandbox-key", "sandbox-secret", base_url=sandbox.base_url, transport=sandbox.transport()
    ) as client:
        yield client, sandbox
