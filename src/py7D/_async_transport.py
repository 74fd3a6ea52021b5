"""py7D's default async transport: an ``httpx.AsyncBaseTransport`` on an asyncio protocol.

Why not ``httpx.AsyncHTTPTransport``? With many requests in flight, httpcore's
connection pool re-scans every connection for every queued request on every
state change (``_assign_requests_to_connections``), so its CPU per request
grows with the concurrency: profiling 500 calls at 50 in flight measured
about 5 ms of client CPU per call, most of it in ``is_idle``/``has_expired``
checks. Bulk work (``AsyncClient.map``) is exactly that case. This transport
keeps one idle list per host, and each connection is an ``asyncio.Protocol``
that feeds the reply's bytes to an ``h11.Connection`` as they arrive and wakes
the caller once, when h11 reports the end of the reply (no stream-reader
coroutine per read). Its cost per call does not depend on how many calls are
in flight. HTTP/1.1 itself (serialising requests, parsing and framing
replies, deciding keep-alive) is entirely h11's; this module only pools
connections.

Under an event loop other than asyncio (trio), it hands every request to an
``httpx.AsyncHTTPTransport``, so the client still works there. TLS is verified
by default, as in :class:`py7D.Py7DTransport`. Replies are read whole before
they are returned (7digital replies are small); a reply without a length is
read to the end of the connection (h11 decides). h11's protocol errors become
``httpx.RemoteProtocolError``/``httpx.LocalProtocolError``.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Awaitable
from typing import Literal, TypeVar, cast

import h11
import httpx

from ._limits import MAX_BODY_EXTENSION
from ._transport import (
    _HEAD_LIMIT,
    LlhttpReply,
    _Headers,
    _Key,
    choose_parser,
    read_response,
    request_bytes,
    ssl_context,
    wire_headers,
)

__all__ = ["Py7DAsyncTransport"]

T = TypeVar("T")


class _ClosedUnansweredError(Exception):
    """The connection closed before a byte of the reply arrived."""


async def _within(awaitable: Awaitable[T], seconds: float | None) -> T:
    if seconds is None:
        return await awaitable
    if sys.version_info >= (3, 11):  # no extra task, unlike wait_for on 3.10
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)


async def _reply_within(waiter: asyncio.Future[T], seconds: float | None) -> T:
    """``await waiter``, failing it with ``TimeoutError`` after ``seconds``: one timer on
    the future itself, no timeout context (or, on 3.10, extra task) per request."""
    if seconds is None:
        return await waiter
    timer = asyncio.get_running_loop().call_later(seconds, _expire, waiter)
    try:
        return await waiter
    finally:
        timer.cancel()


def _expire(waiter: asyncio.Future[T]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


_Reply = tuple[int, list[tuple[bytes, bytes]], bytes, dict[str, bytes], bool]
# status, headers, body, extensions, reusable


class _Connection(asyncio.Protocol):
    """One keep-alive connection, fed the reply's bytes as they arrive.

    ``send`` writes a request (serialised by h11) and returns a future that
    completes with the whole reply (or an exception) from inside
    ``data_received``. The subclasses differ only in the library that parses
    replies: :class:`_H11Connection` (h11, pure Python) and
    :class:`_HttptoolsConnection` (httptools, llhttp in C). Either way all
    HTTP/1.1 framing (status line, headers, lengths, chunks, interim replies,
    bodies delimited by closing, keep-alive) is the library's.
    """

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.idle_since = 0.0
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[_Reply] | None = None
        self._received_any = False
        self._stray = False  # bytes arrived with no request waiting: unusable
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit: int | None = None

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._stray = True
            return
        self._received_any = True
        self._feed(data, waiter)

    def eof_received(self) -> bool:
        self._finish_at_eof()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish_at_eof()

    # -- use
    def usable(self, now: float, expiry: float) -> bool:
        return not self.closed and not self._stray and now - self.idle_since < expiry

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def send(
        self,
        method: bytes,
        target: bytes,
        headers: _Headers,
        body: bytes,
        limit: int | None = None,
    ) -> asyncio.Future[_Reply]:
        """Write a request; the future gets its reply. A body past ``limit`` bytes is cut
        there (the reply then carries the first ``limit`` + a chunk, and the connection is
        dropped), so the caller's size cap holds without the whole body in memory."""
        assert self.transport is not None
        payload = self._serialise(method, target, headers, body)
        self._waiter = asyncio.get_running_loop().create_future()
        self._received_any = False
        self._chunks = []
        self._size = 0
        self._limit = limit
        self.transport.write(payload)
        return self._waiter

    def _over_limit(self, chunk: bytes) -> bool:
        """Count ``chunk`` into the body; True once the body is past the limit."""
        self._size += len(chunk)
        return self._limit is not None and self._size > self._limit

    def _finish_at_eof(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if not self._received_any:
            waiter.set_exception(_ClosedUnansweredError())
            return
        self._eof(waiter)
        if not waiter.done():
            waiter.set_exception(httpx.RemoteProtocolError("server closed the connection early"))

    # -- the parser's part
    def _serialise(self, method: bytes, target: bytes, headers: _Headers, body: bytes) -> bytes:
        raise NotImplementedError

    def _feed(self, data: bytes, waiter: asyncio.Future[_Reply]) -> None:
        raise NotImplementedError

    def _eof(self, waiter: asyncio.Future[_Reply]) -> None:
        """The server closed: complete ``waiter`` if the reply is whole (read to the end)."""
        raise NotImplementedError


class _H11Connection(_Connection):
    """Replies parsed by the connection's ``h11.Connection``, which also wrote the request."""

    def __init__(self, key: _Key) -> None:
        super().__init__(key)
        self._h11 = h11.Connection(our_role=h11.CLIENT, max_incomplete_event_size=_HEAD_LIMIT)
        self._response: h11.Response | None = None

    def _serialise(self, method: bytes, target: bytes, headers: _Headers, body: bytes) -> bytes:
        self._response = None
        return request_bytes(self._h11, method, target, headers, body)

    def _feed(self, data: bytes, waiter: asyncio.Future[_Reply]) -> None:
        self._h11.receive_data(data)  # h11 reports broken replies from next_event()
        self._advance(waiter)

    def _eof(self, waiter: asyncio.Future[_Reply]) -> None:
        self._h11.receive_data(b"")
        self._advance(waiter)

    def _advance(self, waiter: asyncio.Future[_Reply]) -> None:
        """Drain h11's events; complete ``waiter`` at the end of the reply."""
        conn = self._h11
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return
                if isinstance(event, h11.Data):
                    self._chunks.append(event.data)
                    if self._over_limit(event.data):
                        self._stray = True  # the rest of the body is not read: drop it
                        break
                elif isinstance(event, h11.Response):
                    self._response = event
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    return  # the caller reports the early close
                # h11.InformationalResponse (1xx): skipped, the real reply follows
        except h11.RemoteProtocolError as exc:
            waiter.set_exception(httpx.RemoteProtocolError(str(exc)))
            return
        response = self._response
        assert response is not None
        reusable = conn.our_state is h11.DONE and conn.their_state is h11.DONE and not self._stray
        if reusable:
            conn.start_next_cycle()
            data, closed = conn.trailing_data
            reusable = not data and not closed
        extensions = {
            "http_version": b"HTTP/" + response.http_version,
            "reason_phrase": response.reason,
        }
        body = b"".join(self._chunks)
        self._chunks = []
        waiter.set_result(
            (response.status_code, response.headers.raw_items(), body, extensions, reusable)
        )


class _HttptoolsConnection(_Connection, LlhttpReply):
    """Replies parsed by httptools (:class:`py7D._transport.LlhttpReply` follows them);
    requests serialised by h11."""

    def __init__(self, key: _Key) -> None:
        super().__init__(key)
        self._no_reply_yet()

    def _serialise(self, method: bytes, target: bytes, headers: _Headers, body: bytes) -> bytes:
        payload = request_bytes(h11.Connection(our_role=h11.CLIENT), method, target, headers, body)
        self._expect(method)
        return payload

    def _feed(self, data: bytes, waiter: asyncio.Future[_Reply]) -> None:
        problem = self._parse(data)
        if problem is not None:
            self._stray = True  # whatever the parser saw, this connection is done
            if not waiter.done():
                waiter.set_exception(httpx.RemoteProtocolError(problem))

    def _eof(self, waiter: asyncio.Future[_Reply]) -> None:
        if self._headers_done and self._until_close:
            self._expecting = False
            self._reply_done(reusable=False)

    def _body_chunk(self, body: bytes) -> None:
        self._chunks.append(body)
        if self._over_limit(body):
            self._stray = True  # the rest of the body is not read: drop it
            self._expecting = False
            self._reply_done(reusable=False)

    def _reply_done(self, *, reusable: bool) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        body = b"".join(self._chunks)
        self._chunks = []
        status = self._parser.get_status_code()
        waiter.set_result((status, self._headers, body, self._reply_extensions(), reusable))


_PARSERS: dict[str, type[_Connection]] = {
    "h11": _H11Connection,
    "httptools": _HttptoolsConnection,
}


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
    http_parser:
        What parses replies: ``"httptools"`` (C, the default where it is
        installed, as it is with py7D on CPython), ``"h11"`` (pure Python,
        the fallback), or ``"auto"`` to choose. Requests are always
        serialised by h11.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        max_keepalive_connections: int = 100,
        keepalive_expiry: float = 5.0,
        http_parser: Literal["auto", "h11", "httptools"] = "auto",
    ) -> None:
        #: The library that parses replies: ``"h11"`` or ``"httptools"``.
        self.http_parser = choose_parser(http_parser, "h11")
        self._connection_class = _PARSERS[self.http_parser]
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
        stream = request.stream
        # A body given whole (every py7D request) is taken as it is; only a streamed
        # body is read here.
        body = b"".join(stream) if isinstance(stream, httpx.ByteStream) else await request.aread()
        headers = wire_headers(request, body)
        # Never sent again here, even when a kept connection turns out dead: on
        # 7digital a GET can be a purchase. The client's RetryPolicy, which knows
        # the endpoint table, retries the reads.
        connection = self._take_idle(key) or await self._connect(key, timeouts.get("connect"))
        return await self._exchange(connection, request, headers, body, timeouts)

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
                loop.create_connection(
                    lambda: self._connection_class(key), host, port, ssl=context
                ),
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
        headers: _Headers,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        try:
            try:
                waiter = connection.send(
                    request.method.encode("ascii"),
                    request.url.raw_path,
                    headers,
                    body,
                    request.extensions.get(MAX_BODY_EXTENSION),
                )
                status, reply_headers, content, extensions, keep = await _reply_within(
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
        return read_response(status, reply_headers, content, extensions)

    async def aclose(self) -> None:
        pools, self._idle = self._idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()
        if self._fallback is not None:
            await self._fallback.aclose()
