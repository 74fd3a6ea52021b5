"""Hostile or broken replies: each raises py7D's typed error; none hangs, crashes or half-parses."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import py7D
from py7D import RetryPolicy
from retry_support import OK_BODY, FakeClock, Script, make_async_client, make_client

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<response status="ok" version="1.2"><lolz>&lol9;</lolz></response>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<response status="ok" version="1.2"><artist><name>&xxe;</name></artist></response>"""

HOSTILE: dict[str, tuple[int, dict[str, str], bytes]] = {
    "html error page (200)": (
        200,
        {"content-type": "text/html"},
        b"<!DOCTYPE html><html><body><h1>Oops</h1><p>Something broke</body></html>",
    ),
    "html 502 from a proxy": (
        502,
        {"content-type": "text/html"},
        b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    ),
    "empty body": (200, {"content-type": "text/xml"}, b""),
    "whitespace body": (200, {"content-type": "text/xml"}, b"  \r\n\t "),
    "truncated envelope": (200, {"content-type": "text/xml"}, OK_BODY[: len(OK_BODY) // 2]),
    "truncated in the prolog": (200, {"content-type": "text/xml"}, b"<?xml versi"),
    "json (wrong content type)": (
        200,
        {"content-type": "application/json"},
        b'{"response": {"status": "ok"}}',
    ),
    "plain text (wrong content type)": (200, {"content-type": "text/plain"}, b"All good!"),
    "doctype with entity expansion": (200, {"content-type": "text/xml"}, BILLION_LAUGHS),
    "external entity": (200, {"content-type": "text/xml"}, XXE),
    "invalid utf-8": (
        200,
        {"content-type": "text/xml; charset=utf-8"},
        b'<response status="ok" version="1.2"><artist><name>\xff\xfe\xc3(</name></artist>'
        b"</response>",
    ),
    "nul bytes": (200, {"content-type": "text/xml"}, b'<response status="ok">\x00\x00</response>'),
    "envelope without status": (
        200,
        {"content-type": "text/xml"},
        b'<response version="1.2"><artist id="1"><name>x</name></artist></response>',
    ),
    "envelope with an unknown status": (
        200,
        {"content-type": "text/xml"},
        b'<response status="unrecognised" version="1.2"/>',
    ),
    "another root element": (
        200,
        {"content-type": "text/xml"},
        b"<status>Unrecognised URL</status>",
    ),
    "two root elements": (
        200,
        {"content-type": "text/xml"},
        b'<response status="ok"/><response status="ok"/>',
    ),
    "binary noise": (200, {"content-type": "text/xml"}, bytes(range(256)) * 4),
    "ok envelope on HTTP 500": (500, {"content-type": "text/xml"}, OK_BODY),
}


def run(client_kind: str, handler: Any, **options: Any) -> py7D.Result:
    options.setdefault("retries", None)
    if client_kind == "sync":
        with make_client(handler, **options) as client:
            return client.request("status")

    async def go() -> py7D.Result:
        async with make_async_client(handler, **options) as client:
            return await client.request("status")

    return asyncio.run(go())


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_reply_raises_response_parse_error(kind: str, case: str) -> None:
    code, headers, body = HOSTILE[case]
    script = Script(httpx.Response(code, headers=headers, content=body))
    start = time.monotonic()
    with pytest.raises(py7D.ResponseParseError) as info:
        run(kind, script)
    assert time.monotonic() - start < 2.0  # nothing expands or hangs
    error = info.value
    assert error.status_code == code
    text = str(error) + repr(error)
    assert "root:x:0:0" not in text  # the external entity was never resolved
    assert len(error.excerpt) <= 121


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_reply_with_retries_still_ends_in_the_typed_error(
    kind: str, case: str, policy: RetryPolicy
) -> None:
    code, headers, body = HOSTILE[case]
    script = Script(httpx.Response(code, headers=headers, content=body))
    with pytest.raises(py7D.ResponseParseError) as info:
        run(kind, script, retries=policy)
    assert info.value.attempts == script.count
    assert script.count in (1, 4)  # broken 2xx replies to reads are retried, the rest not


def test_wrong_content_type_is_named() -> None:
    code, headers, body = HOSTILE["json (wrong content type)"]
    with pytest.raises(py7D.ResponseParseError, match="content-type application/json"):
        run("sync", Script(httpx.Response(code, headers=headers, content=body)))


# ---------------------------------------------------------------------- size cap while streaming


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that never ends; counts how many chunks were pulled (sync and async)."""

    def __init__(self, chunk: bytes = b"<a>" + b"x" * 65533) -> None:
        self.chunk = chunk
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.pulled += 1
            yield self.chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.pulled += 1
            yield self.chunk


def streaming(body: Any, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(200, headers=headers, content=body, request=request)
        return httpx.Response(200, headers=headers, stream=body, request=request)

    return handler


def test_endless_body_is_cut_at_the_cap_sync() -> None:
    body = Endless()
    with pytest.raises(py7D.ResponseParseError, match="larger than max_response_bytes=1000000"):
        run("sync", streaming(body), max_response_bytes=1_000_000)
    assert body.pulled <= 1_000_000 // 65536 + 2  # never read much past the cap


async def test_endless_body_is_cut_at_the_cap_async() -> None:
    body = Endless()
    async with make_async_client(streaming(body), max_response_bytes=1_000_000) as client:
        with pytest.raises(py7D.ResponseParseError, match="larger than max_response_bytes"):
            await client.request("status")
    assert body.pulled <= 1_000_000 // 65536 + 2


def test_announced_oversize_body_is_refused_before_reading(kind: str) -> None:
    body = Endless()
    handler = streaming(body, **{"content-length": str(10**12)})
    with pytest.raises(py7D.ResponseParseError, match="larger than max_response_bytes"):
        run(kind, handler, max_response_bytes=1_000_000)
    assert body.pulled == 0


def test_decompression_bomb_is_cut_at_the_cap(kind: str) -> None:
    bomb = gzip.compress(b'<response status="ok"><a>' + b"0" * 20_000_000)
    assert len(bomb) < 100_000
    handler = streaming(bomb, **{"content-encoding": "gzip", "content-type": "text/xml"})
    with pytest.raises(py7D.ResponseParseError, match="larger than max_response_bytes=2000000"):
        run(kind, handler, max_response_bytes=2_000_000)


def test_body_under_the_cap_is_read(kind: str) -> None:
    compressed = gzip.compress(OK_BODY)
    handler = streaming(compressed, **{"content-encoding": "gzip", "content-type": "text/xml"})
    assert run(kind, handler, max_response_bytes=len(OK_BODY)).root == "serviceStatus"
    with pytest.raises(py7D.ResponseParseError):
        run(kind, handler, max_response_bytes=len(OK_BODY) - 1)


# ---------------------------------------------------------------------- slow drip, cut connections


class Drip(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent one byte at a time, ``delay`` apart, forever (sync and async)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def __iter__(self) -> Iterator[bytes]:
        yield b'<response status="ok">'
        while True:
            time.sleep(self.delay)
            yield b" "

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'<response status="ok">'
        while True:
            await asyncio.sleep(self.delay)
            yield b" "


def test_slow_drip_cannot_outlive_the_deadline(kind: str) -> None:
    """httpx's read timeout bounds each gap; the call's deadline bounds the whole body."""
    policy = RetryPolicy(deadline=0.5, max_attempts=1)
    start = time.monotonic()
    with pytest.raises(py7D.RequestTimeoutError, match="deadline"):
        run(kind, streaming(Drip(0.02)), retries=policy, timeout=5.0)
    assert time.monotonic() - start < 1.5


class CutOff(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Half an envelope, then the connection drops."""

    def __iter__(self) -> Iterator[bytes]:
        yield OK_BODY[:50]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield OK_BODY[:50]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_connection_dropped_mid_body(kind: str, clock: FakeClock, policy: RetryPolicy) -> None:
    with pytest.raises(py7D.TransportError) as info:
        run(kind, streaming(CutOff()))
    assert info.value.may_have_acted is None or info.value.may_have_acted
    # a read: retried, and the budget's last error is raised
    with pytest.raises(py7D.TransportError) as info:
        run(kind, streaming(CutOff()), retries=policy)
    assert info.value.attempts == 4


def test_corrupt_compressed_body(kind: str) -> None:
    handler = streaming(b"this is not gzip", **{"content-encoding": "gzip"})
    with pytest.raises(py7D.ResponseParseError, match="could not be decoded"):
        run(kind, handler)
