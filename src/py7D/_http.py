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

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._core import PreparedCall

__all__ = [
    "ACCEPT_ENCODING",
    "adecoded_chunks",
    "decoded_chunks",
    "may_resend",
    "new_async_client",
    "new_client",
    "new_read_client",
    "safe_to_resend",
]

#: The compressions py7D offers. Their decoders run on slices of the raw body
#: (:data:`ENCODED_SLICE`), so one decoded chunk stays small even for a
#: decompression bomb and the size cap is checked between chunks.
ACCEPT_ENCODING = "gzip, deflate"

#: Raw bytes of a compressed body decoded at a time: gzip expands at most about
#: 1,030 times, so one decoded chunk stays under ~4 MB.
ENCODED_SLICE = 4096

#: Connections a client's pool may hold open: above any concurrency ``map`` is used with.
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


def _options(
    timeout: httpx.Timeout,
    headers: httpx.Headers,
    hooks: Mapping[str, Sequence[Any]],
    verify: bool | str | ssl.SSLContext,
) -> dict[str, Any]:
    return {
        "timeout": timeout,
        "headers": headers,
        "event_hooks": {name: list(fs) for name, fs in hooks.items()},
        "verify": tls_verify(verify),
        "trust_env": True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, as httpx users expect
        "limits": _LIMITS,
    }


def new_client(
    timeout: httpx.Timeout,
    headers: httpx.Headers,
    hooks: Mapping[str, Sequence[Any]],
    verify: bool | str | ssl.SSLContext,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The ``httpx.Client`` a :class:`py7D.Client` sends through (over ``transport`` if given)."""
    return httpx.Client(**_options(timeout, headers, hooks, verify), transport=transport)


def new_async_client(
    timeout: httpx.Timeout,
    headers: httpx.Headers,
    hooks: Mapping[str, Sequence[Any]],
    verify: bool | str | ssl.SSLContext,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` (by default over ``httpx.AsyncHTTPTransport``)."""
    return httpx.AsyncClient(**_options(timeout, headers, hooks, verify), transport=transport)


def new_read_client(
    timeout: httpx.Timeout,
    headers: httpx.Headers,
    hooks: Mapping[str, Sequence[Any]],
    verify: bool | str | ssl.SSLContext,
) -> httpx.AsyncClient | None:
    """An ``httpx.AsyncClient`` over ``AiohttpTransport`` for reads, or None without httpx-aiohttp.

    Proxies from the environment get an ``AiohttpTransport`` of their own,
    as ``httpx-aiohttp``'s client arranges.
    """
    try:
        from httpx_aiohttp import HttpxAiohttpClient
    except ImportError:  # pragma: no cover - a dependency; absent only on odd platforms
        return None
    client: httpx.AsyncClient = HttpxAiohttpClient(**_options(timeout, headers, hooks, verify))
    return client


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


def safe_to_resend(call: PreparedCall) -> bool:
    """Whether ``call`` may go through a transport that can resend it: a read of the table,
    under asyncio (aiohttp runs on nothing else)."""
    endpoint = call.endpoint
    if endpoint is None or endpoint.changes_state or call.request.method not in ("GET", "HEAD"):
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio
        return False
    return True


def _is_encoded(response: httpx.Response) -> bool:
    encoding = response.headers.get("content-encoding")
    return encoding is not None and encoding.strip().lower() not in ("", "identity")


def _is_read(response: httpx.Response) -> bool:
    try:
        response.content  # noqa: B018 - raises when the body is still to be read
    except httpx.ResponseNotRead:
        return False
    return True


async def _one(chunk: bytes) -> AsyncIterator[bytes]:
    yield chunk


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


def decoded_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body of a streamed ``response``, decoded, in chunks of bounded size.

    A compressed body is handed to httpx's decoders a small slice at a time
    (through a response of its own), so no single chunk is huge. A reply
    already read (an in-process transport's) is one chunk.
    """
    if _is_read(response):
        return iter((response.content,))
    if not _is_encoded(response):
        return response.iter_raw()
    sliced = httpx.Response(
        response.status_code, headers=response.headers, stream=_Slices(response.iter_raw())
    )
    return sliced.iter_bytes()


def adecoded_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """:func:`decoded_chunks` for an async response."""
    if _is_read(response):
        return _one(response.content)
    if not _is_encoded(response):
        return response.aiter_raw()
    sliced = httpx.Response(
        response.status_code, headers=response.headers, stream=_AsyncSlices(response.aiter_raw())
    )
    return sliced.aiter_bytes()
