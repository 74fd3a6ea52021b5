"""py7D's default async transport: an ``httpx.AsyncBaseTransport`` on an asyncio protocol.

Why not ``httpx.AsyncHTTPTransport``? With many requests in flight, httpcore's
connection pool re-scans every connection for every queued request on every
state change (``_assign_requests_to_connections``), so its CPU per request
grows with the concurrency: profiling 500 calls at 50 in flight measured
about 5 ms of client CPU per call, most of it in ``is_idle``/``has_expired``
checks. Bulk work (``AsyncClient.map``) is exactly that case. This transport
keeps one idle list per host, and each connection is an ``asyncio.Protocol``
that parses the reply as bytes arrive and wakes the caller once, when the
reply is complete (no stream-reader coroutine per read). Its cost per call
does not depend on how many calls are in flight.

Under an event loop other than asyncio (trio), it hands every request to an
``httpx.AsyncHTTPTransport``, so the client still works there. TLS is verified
by default, as in :class:`py7D.Py7DTransport`. Replies are read whole before
they are returned (7digital replies are small); a reply without a length is
read to the end of the connection.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import sys
import time
from collections.abc import Awaitable
from typing import TypeVar, cast

import httpx

from ._transport import parse_header_lines, read_response, ssl_context, wire_headers

__all__ = ["Py7DAsyncTransport"]

T = TypeVar("T")
_Key = tuple[str, str, int]
_HEAD_LIMIT = 64 * 1024  # status line + headers


class _ClosedUnansweredError(Exception):
    """The connection closed before a byte of the reply arrived."""


async def _within(awaitable: Awaitable[T], seconds: float | None) -> T:
    if seconds is None:
        return await awaitable
    if sys.version_info >= (3, 11):  # no extra task, unlike wait_for on 3.10
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)


_Reply = tuple[
    int, list[tuple[bytes, bytes]], bytes, bytes, bool
]  # status, headers, body, ver, keep


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses each reply as its bytes arrive.

    ``send`` writes a request and returns a future that completes with the
    whole reply (or an exception) from inside ``data_received``.
    """

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.idle_since = 0.0
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[_Reply] | None = None
        self._method = "GET"
        self._received_any = False
        self._head: tuple[int, list[tuple[bytes, bytes]], bytes, bool, int, str] | None = None
        self._chunks: list[bytes] = []
        self._cursor = 0
        self._length = 0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._received_any = True
        if self._waiter is not None and not self._waiter.done():
            self._advance()

    def eof_received(self) -> bool:
        self._finish_at_eof()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish_at_eof()

    # -- use
    def usable(self, now: float, expiry: float) -> bool:
        return not self.closed and not self._buffer and now - self.idle_since < expiry

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def send(self, payload: bytes, method: str) -> asyncio.Future[_Reply]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._method = method
        self._received_any = False
        self._head = None
        self._chunks = []
        self._cursor = 0
        self.transport.write(payload)
        return self._waiter

    # -- parsing
    def _finish_at_eof(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        head = self._head
        if head is not None and head[5] == "eof":  # a reply delimited by closing
            status, headers, version, _, start, _ = head
            waiter.set_result((status, headers, bytes(self._buffer[start:]), version, False))
            return
        if not self._received_any:
            waiter.set_exception(_ClosedUnansweredError())
        else:
            waiter.set_exception(httpx.RemoteProtocolError("server closed the connection early"))

    def _advance(self) -> None:
        waiter = self._waiter
        assert waiter is not None
        try:
            reply = self._parse()
        except (ValueError, http.client.HTTPException) as exc:
            waiter.set_exception(httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}"))
            return
        if reply is not None:
            waiter.set_result(reply)

    def _parse(self) -> _Reply | None:
        buffer = self._buffer
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > _HEAD_LIMIT:
                    raise ValueError("reply headers larger than 64 KiB")
                return None
            lines = bytes(buffer[:end]).split(b"\r\n")
            version, _, rest = lines[0].partition(b" ")
            status_text = rest[:3]
            if not version.startswith(b"HTTP/1.") or not status_text.isdigit():
                raise ValueError(f"bad status line {lines[0][:100]!r}")
            status = int(status_text)
            if 100 <= status < 200:  # interim reply: drop it and wait for the real one
                del buffer[: end + 4]
                return self._parse()
            headers = parse_header_lines(lines[1:])
            fields = {name.lower(): value for name, value in headers}
            connection = fields.get(b"connection", b"").lower()
            keep = b"close" not in connection and (
                version != b"HTTP/1.0" or b"keep-alive" in connection
            )
            start = end + 4
            if self._method == "HEAD" or status in (204, 304):
                framing, length = "length", 0
            elif b"chunked" in fields.get(b"transfer-encoding", b"").lower():
                framing, length = "chunked", 0
            elif b"content-length" in fields:
                framing, length = "length", int(fields[b"content-length"])
                if length < 0:
                    raise ValueError("negative Content-Length")
            else:
                framing, length = "eof", 0
            self._head = (status, headers, version, keep, start, framing)
            self._cursor = start
            self._length = length
        status, headers, version, keep, start, framing = self._head
        if framing == "length":
            stop = start + self._length
            if len(buffer) < stop:
                return None
            body = bytes(buffer[start:stop])
            del buffer[:stop]
            return status, headers, body, version, keep
        if framing == "chunked":
            return self._parse_chunks(status, headers, version, keep)
        return None  # "eof": completed by _finish_at_eof

    def _parse_chunks(
        self, status: int, headers: list[tuple[bytes, bytes]], version: bytes, keep: bool
    ) -> _Reply | None:
        buffer = self._buffer
        while True:
            line_end = buffer.find(b"\r\n", self._cursor)
            if line_end < 0:
                return None
            size = int(bytes(buffer[self._cursor : line_end]).split(b";", 1)[0].strip(), 16)
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return None
                del buffer[: trailer_end + 4]
                return status, headers, b"".join(self._chunks), version, keep
            data_start = line_end + 2
            data_end = data_start + size
            if len(buffer) < data_end + 2:
                return None
            if buffer[data_end : data_end + 2] != b"\r\n":
                raise ValueError("chunk without its CRLF")
            self._chunks.append(bytes(buffer[data_start:data_end]))
            self._cursor = data_end + 2


class Py7DAsyncTransport(httpx.AsyncBaseTransport):
    """A keep-alive HTTP/1.1 transport on asyncio, with no limit on connections.

    Parameters
    ----------
    verify:
        ``True`` (default) verifies TLS certificates against httpx's default
        trust store; an ``ssl.SSLContext`` is used as given, a path names a CA
        bundle; ``False`` turns verification off (local testing only).
    max_keepalive_connections:
        Idle connections kept per host. The number open at once is bounded by
        the caller (``AsyncClient.map(concurrency=...)``), not here.
    keepalive_expiry:
        Seconds an idle connection is kept.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        max_keepalive_connections: int = 100,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = (
            verify if isinstance(verify, ssl.SSLContext) else None
        )
        self._max_idle = max_keepalive_connections
        self._expiry = keepalive_expiry
        self._idle: dict[_Key, list[_Connection]] = {}
        self._fallback: httpx.AsyncHTTPTransport | None = None
        #: Connections opened so far (tests use it to check keep-alive reuse).
        self.connections_opened = 0

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context https connections use (built on first use)."""
        if self._ssl_context is None:
            self._ssl_context = ssl_context(self._verify)
        return self._ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # trio or another loop: httpcore speaks to it
            if self._fallback is None:
                self._fallback = httpx.AsyncHTTPTransport(verify=self._verify)
            return await self._fallback.handle_async_request(request)
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        timeouts = request.extensions.get("timeout") or {}
        body = await request.aread()
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
        head += [name + b": " + value + b"\r\n" for name, value in wire_headers(request, body)]
        head.append(b"\r\n")
        payload = b"".join(head) + body
        # Never sent again here, even when a kept connection turns out dead: on
        # 7digital a GET can be a purchase. The client's RetryPolicy, which knows
        # the endpoint table, retries the reads.
        connection = self._take_idle(key) or await self._connect(key, timeouts.get("connect"))
        return await self._exchange(connection, request, payload, timeouts)

    def _take_idle(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.usable(now, self._expiry):
                return connection
            connection.close()
        return None

    def _put_idle(self, connection: _Connection) -> None:
        idle = self._idle.setdefault(connection.key, [])
        if len(idle) < self._max_idle and not connection.closed:
            connection.idle_since = time.monotonic()
            idle.append(connection)
        else:
            connection.close()

    async def _connect(self, key: _Key, timeout: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        context = self.ssl_context if scheme == "https" else None
        try:
            _, connection = await _within(
                loop.create_connection(lambda: _Connection(key), host, port, ssl=context),
                timeout,
            )
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake/verification
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        self.connections_opened += 1
        return connection

    async def _exchange(
        self,
        connection: _Connection,
        request: httpx.Request,
        payload: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        try:
            try:
                waiter = connection.send(payload, request.method)
                status, headers, content, version, keep = await _within(
                    waiter, timeouts.get("read")
                )
            except _ClosedUnansweredError:
                raise httpx.RemoteProtocolError(
                    "the server closed the connection without replying"
                ) from None
            except (TimeoutError, asyncio.TimeoutError) as exc:
                raise httpx.ReadTimeout("waiting for the reply timed out") from exc
            except OSError as exc:
                raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:  # errors and cancellation: the connection's state is unknown
            connection.close()
            raise
        if keep:
            self._put_idle(connection)
        else:
            connection.close()
        return read_response(status, headers, content, {"http_version": version})

    async def aclose(self) -> None:
        pools, self._idle = self._idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()
        if self._fallback is not None:
            await self._fallback.aclose()
