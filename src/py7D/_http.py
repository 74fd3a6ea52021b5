"""How py7D's clients reach the network: the httpx clients they send through, and reply bodies.

py7D writes no HTTP itself. :class:`py7D.Client` sends through an
``httpx.Client`` (``httpx.HTTPTransport``). :class:`py7D.AsyncClient` sends
every call that may change state through an ``httpx.AsyncClient`` over
``httpx.AsyncHTTPTransport``, which never sends a request twice; reads may go
through ``httpx-aiohttp``'s ``AiohttpTransport``, which keeps many calls in
flight cheaply but may resend a request on a reused connection, so it never
carries a call that changes state.

A reply body is read here, as a stream, so the size cap counts decoded bytes
and the call's deadline holds while the body arrives.
"""

from __future__ import annotations

import functools
import http.cookiejar
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._limits import BodyReader
    from ._request import PreparedCall

__all__ = [
    "ACCEPT_ENCODING",
    "aread_body",
    "client_options",
    "may_resend",
    "new_async_client",
    "new_client",
    "new_read_client",
    "read_body",
    "refused_by_strict_parser",
    "safe_to_resend",
]

#: The compressions py7D offers. Their decoders run on slices of the raw body
#: (:data:`ENCODED_SLICE`), so one decoded chunk stays small even for a
#: decompression bomb and the size cap is checked between chunks. Brotli and
#: zstd are not offered: a small slice of either can expand far more than gzip's
#: ~1,000 times, so one decoded chunk would not stay small.
ACCEPT_ENCODING = "gzip, deflate"

#: Raw bytes of a compressed body decoded at a time: gzip expands at most about
#: 1,030 times, so one decoded chunk stays under ~4 MB.
ENCODED_SLICE = 4096

#: Connections a client's pool may hold open (``map`` with a few hundred in flight).
MAX_CONNECTIONS = 256
#: Idle connections kept, so bulk runs reuse connections instead of reconnecting.
MAX_KEEPALIVE = 100

_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE)


def tls_verify(verify: bool | str | ssl.SSLContext) -> bool | ssl.SSLContext:
    """``verify`` as httpx takes it: a CA file or directory becomes an ``ssl.SSLContext``."""
    if isinstance(verify, str):
        if Path(verify).is_dir():
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return verify


class _EmptyJar(http.cookiejar.CookieJar):
    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        """Keep no cookie."""


class _NoCookies(httpx.Cookies):
    """Cookies that stay empty: a reply's ``Set-Cookie`` is not even parsed."""

    def __init__(self) -> None:
        super().__init__(_EmptyJar())

    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep no cookie from a reply."""


_NO_COOKIES = _NoCookies()  # shared: it never holds anything


class _Cookieless:
    """What py7D's own httpx clients add to httpx's: they keep and send no cookies.

    7digital's API sets none, and one client acting for several users must
    not carry one user's cookie into another's call. It also spares every
    reply httpx's cookie parsing (about a tenth of a small call's CPU).
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise TypeError("py7D's own httpx clients keep no cookies; pass http_client=")


class _Client(_Cookieless, httpx.Client):
    pass


class _AsyncClient(_Cookieless, httpx.AsyncClient):
    pass


def client_options(
    timeout: httpx.Timeout,
    headers: httpx.Headers,
    hooks: Mapping[str, Sequence[Any]],
    verify: bool | str | ssl.SSLContext,
) -> dict[str, Any]:
    """What the ``httpx.Client``/``AsyncClient`` py7D makes for itself are built with."""
    return {
        "timeout": timeout,
        "headers": headers,
        "event_hooks": {name: list(fs) for name, fs in hooks.items()},
        "verify": tls_verify(verify),
        "trust_env": True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, as httpx users expect
        "limits": _LIMITS,
    }


def new_client(
    options: Mapping[str, Any], transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """The ``httpx.Client`` a :class:`py7D.Client` sends through, unless given one."""
    return _Client(**options, transport=transport)


def new_async_client(
    options: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` an :class:`py7D.AsyncClient` sends through, unless given one."""
    return _AsyncClient(**options, transport=transport)


def new_read_client(options: Mapping[str, Any]) -> httpx.AsyncClient | None:
    """An ``httpx.AsyncClient`` over ``AiohttpTransport`` for reads, or None without httpx-aiohttp.

    Proxies from the environment get an ``AiohttpTransport`` of their own,
    as ``httpx-aiohttp``'s client arranges.
    """
    read_client = _read_client_class()
    return None if read_client is None else read_client(**options)


@functools.cache
def _read_client_class() -> type[httpx.AsyncClient] | None:
    """httpx-aiohttp's client, keeping no cookies (made on first use: aiohttp loads slowly)."""
    try:
        from httpx_aiohttp import HttpxAiohttpClient
    except ImportError:  # pragma: no cover - a dependency; absent only on odd platforms
        return None

    class ReadClient(_Cookieless, HttpxAiohttpClient):
        pass

    return ReadClient


def may_resend(sender: object) -> bool:
    """Whether ``sender`` (a transport or client) is built on aiohttp, which may resend a request.

    aiohttp sends a request again when a reused connection fails, even after
    the server received it; a call that changes state must not go through it.
    """
    candidates = [sender, getattr(sender, "_transport", None)]
    return any(
        cls.__module__.split(".", 1)[0] in ("aiohttp", "httpx_aiohttp")
        for candidate in candidates
        if candidate is not None
        for cls in type(candidate).__mro__
    )


def refused_by_strict_parser(exc: BaseException) -> bool:
    """Whether ``exc`` is aiohttp's HTTP parser refusing a reply the server did send.

    aiohttp parses replies more strictly than httpx (h11): it refuses, for one,
    a repeated ``Content-Length`` with equal values, which httpx reads.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__
        if module.startswith("aiohttp.") and any(
            cls.__name__ == "HttpProcessingError" for cls in type(current).__mro__
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def safe_to_resend(call: PreparedCall) -> bool:
    """Whether ``call`` may go through a transport that can resend it: a read of the table,
    under asyncio (aiohttp runs on nothing else)."""
    endpoint = call.endpoint
    if endpoint is None or endpoint.changes_state or call.request.method not in ("GET", "HEAD"):
        return False
    import asyncio  # here: only asynchronous clients ask, and a synchronous one never loads it

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio
        return False
    return True


def _is_read(response: httpx.Response) -> bool:
    if not response.is_stream_consumed:  # the usual case: skip raising ResponseNotRead
        return False
    try:
        response.content  # noqa: B018 - raises when the body is still to be read
    except httpx.ResponseNotRead:
        return False
    return True


class _Slices(httpx.SyncByteStream):
    def __init__(self, raw: Iterator[bytes]) -> None:
        self._raw = raw

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._raw:
            for start in range(0, len(chunk), ENCODED_SLICE):
                yield chunk[start : start + ENCODED_SLICE]


class _AsyncSlices(httpx.AsyncByteStream):
    def __init__(self, raw: AsyncIterator[bytes]) -> None:
        self._raw = raw

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._raw:
            for start in range(0, len(chunk), ENCODED_SLICE):
                yield chunk[start : start + ENCODED_SLICE]


class _Watched(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response's own stream, each chunk shown to a :class:`BodyReader` as it arrives."""

    def __init__(self, stream: Any, reader: BodyReader) -> None:
        self._stream = stream
        self._reader = reader

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self._reader.count(chunk)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            self._reader.count(chunk)
            yield chunk

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        await self._stream.aclose()


def read_body(response: httpx.Response, reader: BodyReader) -> httpx.Response:
    """Read a streamed ``response``'s body, held by ``reader`` to its size cap and deadline.

    A plain body is read by httpx (``Response.read``), each chunk shown to
    ``reader`` on the way. A compressed one is handed to httpx's decoders a
    small slice at a time (through a response of its own), so no decoded
    chunk is huge and the cap counts decoded bytes.
    """
    if _is_read(response):  # an in-process transport's reply
        reader.count(response.content)
    elif not reader.encoded:
        response.stream = _Watched(response.stream, reader)
        response.read()
    else:
        sliced = httpx.Response(
            response.status_code, headers=response.headers, stream=_Slices(response.iter_raw())
        )
        for chunk in sliced.iter_bytes():
            reader.feed(chunk)
        response.close()
        _settle(response)
        return reader.finish()
    response.close()
    _settle(response)
    return response


async def aread_body(response: httpx.Response, reader: BodyReader) -> httpx.Response:
    """:func:`read_body` for an async response."""
    if _is_read(response):
        reader.count(response.content)
    elif not reader.encoded:
        response.stream = _Watched(response.stream, reader)
        await response.aread()
    else:
        sliced = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_AsyncSlices(response.aiter_raw()),
        )
        async for chunk in sliced.aiter_bytes():
            reader.feed(chunk)
        await response.aclose()
        _settle(response)
        return reader.finish()
    await response.aclose()
    _settle(response)
    return response


def _settle(response: httpx.Response) -> None:
    """Let go of a read and closed response's network stream.

    httpx's client ties each response and its stream to one another, so the
    pair (with the body) waits for the cycle collector; a long paged walk
    would hold dozens of pages at a time.
    """
    response.stream = httpx.ByteStream(response.content if _is_read(response) else b"")
