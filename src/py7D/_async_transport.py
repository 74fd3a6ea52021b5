"""py7D's default async transport: an ``httpx.AsyncBaseTransport`` on asyncio streams.

Why not ``httpx.AsyncHTTPTransport``? With many requests in flight, httpcore's
connection pool re-scans every connection for every queued request on every
state change (``_assign_requests_to_connections``), so its CPU per request
grows with the concurrency: profiling 500 calls at 50 in flight measured
about 5 ms of client CPU per call, most of it in ``is_idle``/``has_expired``
checks. Bulk work (``AsyncClient.map``) is exactly that case. This transport
keeps one idle list per host and does the HTTP/1.1 exchange with asyncio's
C-accelerated stream reader; its cost per call does not depend on how many
calls are in flight.

Under an event loop other than asyncio (trio), it hands every request to an
``httpx.AsyncHTTPTransport``, so the client still works there. TLS is verified
by default, as in :class:`py7D.Py7DTransport`. Replies are read whole before
they are returned (7digital replies are small); a reply without a length is
read to the end of the connection.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx

from ._transport import parse_header_lines

__all__ = ["Py7DAsyncTransport"]

T = TypeVar("T")
_Key = tuple[str, str, int]
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_HEAD_LIMIT = 64 * 1024  # status line + headers


class _StaleConnectionError(Exception):
    """A reused connection died before the server answered: send again on a new one."""


async def _within(awaitable: Awaitable[T], seconds: float | None) -> T:
    if seconds is None:
        return await awaitable
    if sys.version_info >= (3, 11):  # no extra task, unlike wait_for on 3.10/3.11
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)


class _Connection:
    __slots__ = ("idle_since", "key", "reader", "writer")

    def __init__(self, key: _Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.key = key
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        return (
            now - self.idle_since < expiry
            and not self.writer.is_closing()
            and not self.reader.at_eof()
        )

    def close(self) -> None:
        self.writer.close()


class Py7DAsyncTransport(httpx.AsyncBaseTransport):
    """A keep-alive HTTP/1.1 transport on asyncio streams, with no limit on connections.

    Parameters
    ----------
    verify:
        ``True`` (default) verifies TLS certificates against httpx's default
        trust store; an ``ssl.SSLContext`` is used as given; ``False`` turns
        verification off (local testing only).
    max_keepalive_connections:
        Idle connections kept per host. The number open at once is bounded by
        the caller (``AsyncClient.map(concurrency=...)``), not here.
    keepalive_expiry:
        Seconds an idle connection is kept.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
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

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context(verify=bool(self._verify))
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
        head += [name + b": " + value + b"\r\n" for name, value in request.headers.raw]
        head.append(b"\r\n")
        payload = b"".join(head) + body
        connection = self._take_idle(key)
        if connection is not None:
            try:
                return await self._exchange(connection, request, payload, timeouts, reused=True)
            except _StaleConnectionError:
                pass
        connection = await self._connect(key, timeouts.get("connect"))
        return await self._exchange(connection, request, payload, timeouts, reused=False)

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
        if len(idle) < self._max_idle:
            connection.idle_since = time.monotonic()
            idle.append(connection)
        else:
            connection.close()

    async def _connect(self, key: _Key, timeout: float | None) -> _Connection:
        scheme, host, port = key
        context = self._context() if scheme == "https" else None
        try:
            reader, writer = await _within(
                asyncio.open_connection(host, port, ssl=context, limit=_HEAD_LIMIT), timeout
            )
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake/verification
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        self.connections_opened += 1
        return _Connection(key, reader, writer)

    async def _exchange(
        self,
        connection: _Connection,
        request: httpx.Request,
        payload: bytes,
        timeouts: dict[str, float | None],
        *,
        reused: bool,
    ) -> httpx.Response:
        retryable = reused and request.method in _IDEMPOTENT
        try:
            try:
                connection.writer.write(payload)
                await _within(connection.writer.drain(), timeouts.get("write"))
            except (TimeoutError, asyncio.TimeoutError) as exc:
                raise httpx.WriteTimeout("sending the request timed out") from exc
            except OSError as exc:
                if retryable:
                    raise _StaleConnectionError from exc
                raise httpx.WriteError(f"{type(exc).__name__}: {exc}") from exc
            try:
                response, keep = await _within(
                    self._read_response(connection.reader, request.method, retryable),
                    timeouts.get("read"),
                )
            except (TimeoutError, asyncio.TimeoutError) as exc:
                raise httpx.ReadTimeout("waiting for the reply timed out") from exc
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
            except OSError as exc:
                raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:  # errors and cancellation: the connection's state is unknown
            connection.close()
            raise
        if keep:
            self._put_idle(connection)
        else:
            connection.close()
        return response

    async def _read_response(
        self, reader: asyncio.StreamReader, method: str, retryable: bool
    ) -> tuple[httpx.Response, bool]:
        while True:
            try:
                block = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if retryable and not exc.partial:
                    raise _StaleConnectionError from exc
                raise
            except ConnectionError as exc:
                if retryable:
                    raise _StaleConnectionError from exc
                raise
            lines = block.split(b"\r\n")[:-2]
            version, _, rest = lines[0].partition(b" ")
            status_text, _, _reason = rest.partition(b" ")
            if not version.startswith(b"HTTP/1.") or len(status_text) != 3:
                raise ValueError(f"bad status line {lines[0][:100]!r}")
            status = int(status_text)
            if not 100 <= status < 200:
                break
        headers = parse_header_lines(lines[1:])
        lowered = {name.lower(): value for name, value in headers}
        connection_header = lowered.get(b"connection", b"").lower()
        keep = b"close" not in connection_header and (
            version != b"HTTP/1.0" or b"keep-alive" in connection_header
        )
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif b"chunked" in lowered.get(b"transfer-encoding", b"").lower():
            content = await _read_chunked(reader)
        elif b"content-length" in lowered:
            length = int(lowered[b"content-length"])
            if length < 0:
                raise ValueError("negative Content-Length")
            content = await reader.readexactly(length)
        else:
            content = await reader.read()
            keep = False
        response = httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": version},
        )
        return response, keep

    async def aclose(self) -> None:
        pools, self._idle = self._idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()
        if self._fallback is not None:
            await self._fallback.aclose()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise ValueError("chunk without its CRLF")
        parts.append(chunk[:-2])
