"""py7D's default sync transport: an ``httpx.BaseTransport`` over ``http.client``.

Why not ``httpx.HTTPTransport``? Profiling a small 7digital reply over
loopback showed httpcore + h11 spending roughly twice the CPU of the standard
library's C-accelerated ``http.client`` on the same keep-alive exchange (h11's
event machinery, per-request tracing contexts, pool bookkeeping). A 7digital
client only ever sends small HTTP/1.1 requests to one or two hosts, so a
plain keep-alive pool over ``http.client`` covers everything it needs.

It is still an ``httpx`` transport: requests and responses are
``httpx.Request``/``httpx.Response``, errors are ``httpx`` exceptions (so
:func:`py7D._exceptions.map_transport_errors` and user code see the same
types), the ``timeout`` request extension is honoured, and anyone who needs
proxies, HTTP/2 or custom TLS settings passes ``transport=httpx.HTTPTransport(...)``
to :class:`py7D.Client` instead.

TLS certificates are verified by default (``verify=True`` uses httpx's own
default context, i.e. the certifi bundle); ``verify`` also takes an
``ssl.SSLContext``.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["Py7DTransport"]

#: Replies up to this size (with a Content-Length) are read at once and the
#: connection goes back to the pool before the response is handed out.
EAGER_READ_LIMIT = 1024 * 1024
_CHUNK = 64 * 1024
_Key = tuple[str, str, int]


def ssl_context(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext:
    """The TLS context for ``verify``: a context as is, a CA file or directory, or on/off.

    ``True`` is httpx's default context (its CA bundle, hostname checks on),
    so certificates are judged exactly as ``httpx.HTTPTransport`` would.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


def _is_readable(sock: socket.socket | None) -> bool:
    """True when an idle pooled socket has data or EOF waiting: the server closed it."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def wire_headers(request: httpx.Request, body: bytes) -> list[tuple[bytes, bytes]]:
    """The request's headers as sent: a streamed (chunked) body goes out with its length.

    Both transports gather the body before sending, so ``Transfer-Encoding:
    chunked`` (what httpx sets for a generator body) becomes ``Content-Length``.
    """
    raw = request.headers.raw
    if not any(name.lower() == b"transfer-encoding" for name, _ in raw):
        return raw
    kept = [(n, v) for n, v in raw if n.lower() not in (b"transfer-encoding", b"content-length")]
    return [*kept, (b"Content-Length", str(len(body)).encode("ascii"))]


def read_response(
    status: int,
    headers: list[tuple[bytes, bytes]],
    content: bytes,
    extensions: dict[str, Any],
) -> httpx.Response:
    """An ``httpx.Response`` for a body already read whole (shared with async).

    Marked as read, as ``Response.read()`` would leave it, so reading it again
    costs nothing: otherwise httpx runs the bytes through its decoder and
    chunker stack, a tenth of the client's CPU on a small reply. A body with a
    ``Content-Encoding`` is left to httpx, which decodes it when read.
    """
    response = httpx.Response(
        status, headers=headers, stream=httpx.ByteStream(content), extensions=extensions
    )
    if not any(name.lower() == b"content-encoding" for name, _ in headers):
        response._content = content  # what Response.read() stores
    return response


class _Connection:
    """One pooled ``http.client`` connection and when it was last used."""

    __slots__ = ("conn", "idle_since", "key")

    def __init__(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        self.key = key
        self.conn = conn
        self.idle_since = 0.0


class _ResponseStream(httpx.SyncByteStream):
    """Streams a large or chunked reply; returns the connection to the pool once fully read."""

    def __init__(
        self, transport: Py7DTransport, pooled: _Connection, response: http.client.HTTPResponse
    ) -> None:
        self._transport = transport
        self._pooled = pooled
        self._response = response
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        with _map_errors(self._pooled, read=True):
            while True:
                chunk = self._response.read1(_CHUNK)
                if not chunk:
                    self._done = True
                    return
                yield chunk

    def close(self) -> None:
        reusable = self._done and not self._response.will_close
        self._response.close()
        self._transport._release(self._pooled, reusable)


class _map_errors:  # noqa: N801 - used like a function, as httpx's map_exceptions is
    """Turn ``http.client``/socket/ssl errors into the matching ``httpx`` exceptions."""

    def __init__(self, pooled: _Connection, *, read: bool) -> None:
        self._pooled = pooled
        self._read = read

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, httpx.TransportError):
            return
        mapped: httpx.TransportError | None = None
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError since 3.10
            mapped = (httpx.ReadTimeout if self._read else httpx.WriteTimeout)(str(exc))
        elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
            mapped = httpx.ConnectError(str(exc))
        elif isinstance(exc, http.client.RemoteDisconnected | ConnectionError):
            mapped = (httpx.RemoteProtocolError if self._read else httpx.WriteError)(str(exc))
        elif isinstance(exc, http.client.HTTPException):
            mapped = httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}")
        elif isinstance(exc, OSError):
            mapped = (httpx.ReadError if self._read else httpx.WriteError)(str(exc))
        if mapped is not None:
            self._pooled.conn.close()
            raise mapped from exc


class Py7DTransport(httpx.BaseTransport):
    """A lean keep-alive HTTP/1.1 transport on the standard library's ``http.client``.

    Parameters
    ----------
    verify:
        ``True`` (default) verifies TLS certificates against httpx's default
        trust store; an ``ssl.SSLContext`` is used as given, a path names a CA
        bundle (file) or directory. ``False`` turns verification off (only for
        local testing).
    max_keepalive_connections:
        Idle connections kept per host (more may be open while busy).
    keepalive_expiry:
        Seconds an idle connection is kept before it is closed.

    Thread-safe: the pool is guarded by a lock, so one :class:`py7D.Client`
    can serve :meth:`py7D.Client.map` across threads.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = (
            verify if isinstance(verify, ssl.SSLContext) else None
        )
        self._max_idle = max_keepalive_connections
        self._expiry = keepalive_expiry
        self._idle: dict[_Key, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._closed = False
        #: Connections opened so far (tests use it to check keep-alive reuse).
        self.connections_opened = 0

    # ------------------------------------------------------------------ pool

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context https connections use (built on first use)."""
        if self._ssl_context is None:
            self._ssl_context = ssl_context(self._verify)
        return self._ssl_context

    def _acquire(self, key: _Key) -> _Connection:
        now = time.monotonic()
        with self._lock:
            if self._closed:
                raise RuntimeError("the transport is closed")
            idle = self._idle.get(key)
            while idle:
                pooled = idle.pop()
                if now - pooled.idle_since < self._expiry and not _is_readable(pooled.conn.sock):
                    return pooled
                pooled.conn.close()
        return self._new(key)

    def _new(self, key: _Key) -> _Connection:
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(host, port)
        with self._lock:
            self.connections_opened += 1
        return _Connection(key, conn)

    def _release(self, pooled: _Connection, reusable: bool) -> None:
        if reusable and pooled.conn.sock is not None:
            pooled.idle_since = time.monotonic()
            with self._lock:
                idle = self._idle.setdefault(pooled.key, [])
                if not self._closed and len(idle) < self._max_idle:
                    idle.append(pooled)
                    return
        pooled.conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for pooled in idle:
                pooled.conn.close()

    # ------------------------------------------------------------------ requests

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        body = request.read()  # a streamed body is gathered first: requests here are small
        timeouts = request.extensions.get("timeout") or {}
        # Never sent again here, even when a kept connection turns out dead: on
        # 7digital a GET can be a purchase. The client's RetryPolicy, which knows
        # the endpoint table, retries the reads.
        pooled = self._acquire(key)
        return self._exchange(pooled, request, body, timeouts)

    def _exchange(
        self,
        pooled: _Connection,
        request: httpx.Request,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        conn = pooled.conn
        if conn.sock is None:
            conn.timeout = timeouts.get("connect")
            try:
                conn.connect()
            except TimeoutError as exc:
                conn.close()
                raise httpx.ConnectTimeout(str(exc)) from exc
            except OSError as exc:  # refused, unreachable, DNS, TLS handshake/verification
                conn.close()
                raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        sock = conn.sock
        assert sock is not None
        with _map_errors(pooled, read=False):
            sock.settimeout(timeouts.get("write"))
            conn.putrequest(
                request.method,
                request.url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in wire_headers(request, body):
                conn.putheader(name, value)
            conn.endheaders(body or None)
        with _map_errors(pooled, read=True):
            sock.settimeout(timeouts.get("read"))
            raw = conn.getresponse()
            # http.client decoded the header lines as latin-1: encoding them back is exact.
            # raw_items(): the values as parsed; items() would run each through the
            # compat32 policy's fetch step, which only matters for surrogates (latin-1
            # text has none).
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw.msg.raw_items()]
            version = "HTTP/1.1" if raw.version == 11 else "HTTP/1.0"
            extensions = {"http_version": version.encode("ascii")}
            if request.method == "HEAD" or (
                raw.length is not None and raw.length <= EAGER_READ_LIMIT
            ):
                content = raw.read()
                reusable = not raw.will_close
                raw.close()
                self._release(pooled, reusable)
                return read_response(raw.status, headers, content, extensions)
        return httpx.Response(
            raw.status,
            headers=headers,
            stream=_ResponseStream(self, pooled, raw),
            extensions=extensions,
        )
