"""py7D's default sync transport: an ``httpx.BaseTransport`` over a keep-alive socket pool.

Why not ``httpx.HTTPTransport``? Profiling a small 7digital reply over
loopback showed httpcore + h11 spending roughly twice the CPU of a bare
``http.client`` loop on the same keep-alive exchange (h11's event machinery,
per-request tracing contexts, pool bookkeeping), and ``http.client`` itself
spends most of a small call in the ``email`` package's header parser. A
7digital client only ever sends small HTTP/1.1 requests to one or two hosts,
so this transport keeps a plain pool of sockets, has h11 write each request
and httptools (llhttp, in C) parse each reply. Where httptools is not
installed (it is a dependency on CPython), the pool holds ``http.client``
connections instead (``http_parser="http.client"`` asks for them).

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
from typing import Any, Literal

import h11
import httpx

__all__ = ["Py7DTransport"]

#: Replies up to this size (with a Content-Length) are read at once and the
#: connection goes back to the pool before the response is handed out.
EAGER_READ_LIMIT = 1024 * 1024
_CHUNK = 64 * 1024
_HEAD_LIMIT = 64 * 1024  # status line + headers
_Key = tuple[str, str, int]
_Headers = list[tuple[bytes, bytes]]


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

    @property
    def sock(self) -> socket.socket | None:
        return self.conn.sock

    def close(self) -> None:
        self.conn.close()


class LlhttpReply:
    """Follows one reply at a time through httptools' callbacks (shared by both transports).

    httptools (llhttp, in C) frames the reply: lengths, chunks, interim replies,
    keep-alive. It is told nothing about the request, so a reply to HEAD is ended
    here at its headers (the parser would wait for the announced body) and the next
    request gets a fresh parser. A body with neither length nor chunking ends when
    the server closes, which httptools leaves to its caller (``_until_close``).
    Bytes that begin a reply when none is due only mark the connection ``_stray``.

    A subclass calls :meth:`_expect` before it sends a request, feeds the reply's
    bytes with :meth:`_parse`, and is told the reply is whole by ``_reply_done``.
    """

    _parser: Any
    _expecting: bool
    _head_request: bool
    _stray: bool
    _status: bytes
    _headers: _Headers
    _chunks: list[bytes]
    _head_bytes: int
    _headers_done: bool
    _until_close: bool

    def _no_reply_yet(self) -> None:
        """The state of a fresh connection: no parser yet, no reply due."""
        self._parser = None
        self._head_request = False
        self._expecting = False
        self._head_bytes = 0
        self._begin_reply()

    def _expect(self, method: bytes) -> None:
        """A request is about to go out: be ready for its reply."""
        if self._parser is None or self._head_request:
            self._parser = _httptools().HttpResponseParser(self)  # after HEAD: a fresh one
        self._head_request = method == b"HEAD"
        self._expecting = True
        self._head_bytes = 0
        self._begin_reply()

    def _begin_reply(self) -> None:
        self._status = b""
        self._headers = []
        self._chunks = []
        self._headers_done = False
        self._until_close = False

    def _parse(self, data: bytes) -> str | None:
        """Feed ``data`` to the parser; what is wrong with the reply, or None."""
        if not self._headers_done:
            self._head_bytes += len(data)
        httptools = _httptools()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            return "the server switched protocols"
        except httptools.HttpParserError as exc:
            return f"malformed reply: {exc}"
        if not self._headers_done and self._head_bytes > _HEAD_LIMIT:
            return f"reply headers longer than {_HEAD_LIMIT} bytes"
        return None

    def _reply_extensions(self) -> dict[str, Any]:
        return {
            "http_version": b"HTTP/" + self._parser.get_http_version().encode("ascii"),
            "reason_phrase": self._status,
        }

    def _reply_done(self, *, reusable: bool) -> None:
        raise NotImplementedError

    def _body_chunk(self, body: bytes) -> None:
        self._chunks.append(body)

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        if not self._expecting:  # bytes beyond the whole reply: the stream is out of step
            self._stray = True
            return
        self._begin_reply()

    def on_status(self, status: bytes) -> None:
        if self._expecting:
            self._status += status

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._expecting:
            self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if not self._expecting:
            return
        self._headers_done = True
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim reply: the real one follows
        if self._head_request:
            self._expecting = False
            self._reply_done(reusable=self._parser.should_keep_alive())
            return
        names = {name.lower() for name, _ in self._headers}
        framed = b"content-length" in names or b"transfer-encoding" in names
        self._until_close = not framed and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        if self._expecting:
            self._body_chunk(body)

    def on_message_complete(self) -> None:
        if not self._expecting:
            return
        if 100 <= self._parser.get_status_code() < 200:
            self._begin_reply()  # the interim reply is over; the real one follows
            return
        self._expecting = False
        self._reply_done(reusable=self._parser.should_keep_alive() and not self._until_close)


class _LlhttpConnection(LlhttpReply):
    """One pooled socket whose requests h11 writes and whose replies httptools parses.

    httptools parses a reply for a fraction of the CPU that ``http.client``
    spends in the ``email`` header parser, which is most of a small call's
    cost. h11 serialises each request (a fresh ``h11.Connection`` per request,
    as the parser, not h11, follows the replies); :class:`LlhttpReply` follows
    the replies.
    """

    _done: bool
    _keep: bool

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.host = key[1]
        self.idle_since = 0.0
        self.sock: socket.socket | None = None
        self._stray = False
        self._done = False
        self._keep = False
        self._no_reply_yet()

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def connect(self, timeout: float | None, context: ssl.SSLContext | None) -> None:
        sock = socket.create_connection((self.host, self.key[2]), timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    # -- one exchange
    def send(self, method: bytes, target: bytes, headers: _Headers, body: bytes) -> None:
        sock = self.sock
        assert sock is not None
        payload = request_bytes(h11.Connection(our_role=h11.CLIENT), method, target, headers, body)
        self._expect(method)
        self._done = False
        self._keep = False
        sock.sendall(payload)

    def read_head(self) -> tuple[int, _Headers, dict[str, Any]]:
        """Read until the reply's headers are in: (status, headers, extensions)."""
        while not self._headers_done or self._interim():
            if not self._receive():
                break
        if not self._headers_done:
            if self._head_bytes == 0:
                raise httpx.RemoteProtocolError("the server closed the connection without replying")
            raise httpx.RemoteProtocolError("server closed the connection early")
        return self._parser.get_status_code(), self._headers, self._reply_extensions()

    def read_body(self) -> bytes:
        """The rest of the body (callers use it for bodies of a known, bounded length)."""
        while not self._done:
            self._read_more()
        body = b"".join(self._chunks)
        self._chunks = []
        return body

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives (for large and chunked replies)."""
        while True:
            if self._chunks:
                chunk = b"".join(self._chunks)
                self._chunks = []
                yield chunk
            if self._done:
                return
            self._read_more()

    def _read_more(self) -> None:
        """Read more of the body; the server closing ends a body delimited by closing."""
        if not self._receive():
            if not self._until_close:
                raise httpx.RemoteProtocolError("server closed the connection early")
            self._reply_done(reusable=False)

    @property
    def reusable(self) -> bool:
        """The reply is complete and the connection may carry the next request."""
        return self._done and self._keep and not self._stray

    def known_length(self) -> int | None:
        for name, value in self._headers:
            if name.lower() == b"content-length" and value.strip().isdigit():
                return int(value)
        return None

    def _receive(self) -> bool:
        """Read and parse what the socket has; False at the end of the connection."""
        sock = self.sock
        assert sock is not None
        data = sock.recv(_CHUNK)
        if not data:
            return False
        problem = self._parse(data)
        if problem is not None:
            if not self._done:
                raise httpx.RemoteProtocolError(problem)
            self._stray = True  # garbage after a whole reply: do not reuse
        return True

    def _interim(self) -> bool:
        return self._headers_done and 100 <= self._parser.get_status_code() < 200

    def _reply_done(self, *, reusable: bool) -> None:
        self._done = True
        self._expecting = False
        self._keep = reusable


def request_bytes(
    conn: h11.Connection, method: bytes, target: bytes, headers: _Headers, body: bytes
) -> bytes:
    """The request as h11 serialises it on ``conn`` (shared by both transports)."""
    try:
        parts = [conn.send(h11.Request(method=method, target=target, headers=headers))]
        if body:
            parts.append(conn.send(h11.Data(data=body)))
        parts.append(conn.send(h11.EndOfMessage()))
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc)) from exc
    return b"".join(part for part in parts if part)


def _httptools() -> Any:
    import httptools

    return httptools


def httptools_installed() -> bool:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


def choose_parser(asked: str, fallback: str) -> str:
    """The reply parser a transport uses (shared by both transports).

    ``"auto"`` is httptools where it is installed, else ``fallback``; anything but
    those two is refused, and httptools is imported now rather than on the first
    request.
    """
    if asked == "auto":
        asked = "httptools" if httptools_installed() else fallback
    if asked not in ("httptools", fallback):
        raise ValueError(f"http_parser must be 'auto', 'httptools' or {fallback!r}, not {asked!r}")
    if asked == "httptools":
        _httptools()
    return asked


_Pooled = _Connection | _LlhttpConnection


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


class _LlhttpStream(httpx.SyncByteStream):
    """Streams a large or chunked reply parsed by httptools; releases the connection after."""

    def __init__(self, transport: Py7DTransport, pooled: _LlhttpConnection) -> None:
        self._transport = transport
        self._pooled = pooled

    def __iter__(self) -> Iterator[bytes]:
        with _map_errors(self._pooled, read=True):
            yield from self._pooled.chunks()

    def close(self) -> None:
        pooled = self._pooled
        self._transport._release(pooled, pooled.reusable)


class _map_errors:  # noqa: N801 - used like a function, as httpx's map_exceptions is
    """Turn ``http.client``/socket/ssl errors into the matching ``httpx`` exceptions."""

    def __init__(self, pooled: _Pooled, *, read: bool) -> None:
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
            self._pooled.close()
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

    http_parser:
        What parses replies: ``"httptools"`` (the default where it is
        installed, as it is with py7D on CPython) or ``"http.client"`` (the
        fallback); ``"auto"`` chooses.

    Thread-safe: the pool is guarded by a lock, so one :class:`py7D.Client`
    can serve :meth:`py7D.Client.map` across threads.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 5.0,
        http_parser: Literal["auto", "httptools", "http.client"] = "auto",
    ) -> None:
        #: What parses replies: ``"httptools"`` or ``"http.client"``.
        self.http_parser = choose_parser(http_parser, "http.client")
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = (
            verify if isinstance(verify, ssl.SSLContext) else None
        )
        self._max_idle = max_keepalive_connections
        self._expiry = keepalive_expiry
        self._idle: dict[_Key, list[_Pooled]] = {}
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

    def _acquire(self, key: _Key) -> _Pooled:
        now = time.monotonic()
        with self._lock:
            if self._closed:
                raise RuntimeError("the transport is closed")
            idle = self._idle.get(key)
            while idle:
                pooled = idle.pop()
                if now - pooled.idle_since < self._expiry and not _is_readable(pooled.sock):
                    return pooled
                pooled.close()
        return self._new(key)

    def _new(self, key: _Key) -> _Pooled:
        scheme, host, port = key
        pooled: _Pooled
        if self.http_parser == "httptools":
            pooled = _LlhttpConnection(key)
        elif scheme == "https":
            pooled = _Connection(
                key, http.client.HTTPSConnection(host, port, context=self.ssl_context)
            )
        else:
            pooled = _Connection(key, http.client.HTTPConnection(host, port))
        with self._lock:
            self.connections_opened += 1
        return pooled

    def _release(self, pooled: _Pooled, reusable: bool) -> None:
        if reusable and pooled.sock is not None:
            pooled.idle_since = time.monotonic()
            with self._lock:
                idle = self._idle.setdefault(pooled.key, [])
                if not self._closed and len(idle) < self._max_idle:
                    idle.append(pooled)
                    return
        pooled.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for pooled in idle:
                pooled.close()

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
        if isinstance(pooled, _LlhttpConnection):
            return self._exchange_llhttp(pooled, request, body, timeouts)
        return self._exchange(pooled, request, body, timeouts)

    def _exchange_llhttp(
        self,
        pooled: _LlhttpConnection,
        request: httpx.Request,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        if pooled.sock is None:
            try:
                pooled.connect(
                    timeouts.get("connect"),
                    self.ssl_context if pooled.key[0] == "https" else None,
                )
            except TimeoutError as exc:
                raise httpx.ConnectTimeout(str(exc)) from exc
            except OSError as exc:  # refused, unreachable, DNS, TLS handshake/verification
                raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        sock = pooled.sock
        assert sock is not None
        try:
            with _map_errors(pooled, read=False):
                sock.settimeout(timeouts.get("write"))
                pooled.send(
                    request.method.encode("ascii"),
                    request.url.raw_path,
                    wire_headers(request, body),
                    body,
                )
            with _map_errors(pooled, read=True):
                sock.settimeout(timeouts.get("read"))
                status, headers, extensions = pooled.read_head()
                length = pooled.known_length()
                if request.method == "HEAD" or (length is not None and length <= EAGER_READ_LIMIT):
                    content = pooled.read_body()
                    self._release(pooled, pooled.reusable)
                    return read_response(status, headers, content, extensions)
        except BaseException:  # errors and interruptions: the connection's state is unknown
            pooled.close()
            raise
        return httpx.Response(
            status, headers=headers, stream=_LlhttpStream(self, pooled), extensions=extensions
        )

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
