"""Fault injection for the sandbox: a misbehaving 7digital, on purpose and repeatably.

A :class:`Faults` plan says how often and which faults to inject; a
:class:`FaultInjector` draws, request by request, whether this one fails and
how, from a seeded random stream (the same sequence of requests gets the same
faults, run after run). The faults are applied in two places:

* in-process (``httpx.MockTransport``): :meth:`FaultInjector.handle` wraps the
  sandbox's ``handle(request) -> response``; a "connection reset" raises
  ``httpx.ReadError`` as the real transport would;
* over the wire: :class:`FaultMiddleware` wraps the sandbox's ASGI app and
  aborts the TCP connection, cuts bodies mid-way or drips them out slowly.

Kinds:

=========  ==================================================================
``500``    HTTP 500 with a 7digital error envelope (code 9001)
``502``    HTTP 502 with an nginx-style HTML page
``503``    HTTP 503, plain text, ``Retry-After`` (always before the action)
``429``    HTTP 429 with ``Retry-After`` and an error envelope (always before)
``reset``  the connection drops without a reply
``truncate`` the reply body stops part-way (connection dropped, or a
           consistent but cut body)
``garbage``  HTTP 200 with a body that is not a 7digital envelope
``latency``  the reply comes ``latency`` seconds late (not an error): the
           sandbox answers on arrival and holds the reply back, as a slow
           network would (so a call that changes state has acted even if the
           client gives up waiting)
``drip``     the reply body arrives in small chunks with pauses (not an error)
=========  ==================================================================

Calls that change state (per py7D's endpoint table; paths outside the table
count as state-changing) get their ``500``/``502``/``reset``/``garbage``
faults either *before* the action (the sandbox did nothing) or *after* it (the
sandbox acted, then the reply was lost or spoiled), so that a client's "the
server may have acted" handling is exercised both ways; ``truncate`` needs the
real reply, so it always strikes after.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import random
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._endpoints import find_endpoint

__all__ = [
    "KINDS",
    "Fault",
    "FaultInjector",
    "FaultMiddleware",
    "Faults",
    "FaultsLike",
    "add_fault_arguments",
    "as_injector",
    "faults_from_args",
    "with_faults",
]

KINDS: tuple[str, ...] = (
    "500",
    "502",
    "503",
    "429",
    "reset",
    "truncate",
    "garbage",
    "latency",
    "drip",
)
# Faults that can strike after a state-changing action was carried out.
AFTER_CAPABLE = frozenset({"500", "502", "reset", "truncate", "garbage"})
# Faults that need the real reply (they spoil or delay it), so the action always runs first.
NEEDS_REPLY = frozenset({"truncate", "drip"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[httpx.Request], httpx.Response]


async def _pause(seconds: float) -> None:
    """``asyncio.sleep``, imported on first use: a synchronous sandbox never loads asyncio."""
    import asyncio

    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Faults:
    """A fault plan: which faults, how often, where, from which seed.

    Parameters
    ----------
    rate:
        Share of requests (0–1) that get a fault.
    kinds:
        The kinds to choose from, uniformly (see the module docstring).
    seed:
        Seed of the random stream; the same seed and the same sequence of
        requests give the same faults.
    paths:
        Endpoint paths (below the version prefix, case-insensitive, ``*``
        wildcards allowed, e.g. ``("artist/search", "user/purchase/*")``)
        that get faults; None: every path.
    latency:
        Seconds added by ``latency`` faults.
    retry_after:
        The ``Retry-After`` header (seconds) of ``429`` and ``503`` faults.
    drip_chunk, drip_delay:
        ``drip`` sends the body ``drip_chunk`` bytes at a time, sleeping
        ``drip_delay`` seconds between chunks.
    after_share:
        For state-changing calls, the share of after-capable faults injected
        after the action was carried out.
    """

    rate: float = 0.1
    kinds: tuple[str, ...] = KINDS
    seed: int = 0
    paths: tuple[str, ...] | None = None
    latency: float = 0.05
    retry_after: float = 0.0
    drip_chunk: int = 64
    drip_delay: float = 0.002
    after_share: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.rate!r}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {unknown!r}; choose from {', '.join(KINDS)}")
        if self.latency < 0 or self.retry_after < 0 or self.drip_delay < 0:
            raise ValueError("latency, retry_after and drip_delay must not be negative")
        if self.drip_chunk < 1:
            raise ValueError("drip_chunk must be at least 1")
        object.__setattr__(self, "kinds", tuple(self.kinds))
        if self.paths is not None:
            object.__setattr__(self, "paths", tuple(p.strip("/").lower() for p in self.paths))

    def applies_to(self, path: str) -> bool:
        """Whether ``path`` (an endpoint path such as ``artist/search``) may get faults."""
        if self.paths is None:
            return True
        key = path.strip("/").lower()
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.paths)


@dataclass(frozen=True)
class Fault:
    """One drawn fault: its ``kind``, whether it strikes ``after`` the action, and its dice."""

    kind: str
    after: bool
    seed: int
    number: int
    path: str
    changes_state: bool

    @property
    def runs_action(self) -> bool:
        """Whether the sandbox carries out the request before the fault strikes."""
        return self.after or self.kind in NEEDS_REPLY


def endpoint_path(url_path: str) -> str:
    """``/1.2/artist/search`` -> ``artist/search`` (any prefix up to a ``/1.2/`` segment)."""
    path = url_path.strip("/")
    marker = "1.2/"
    index = path.find(marker)
    if index == 0 or (index > 0 and path[index - 1] == "/"):
        return path[index + len(marker) :]
    return path


def changes_state(method: str, path: str) -> bool:
    """As py7D's clients judge it: not a read in the endpoint table means state-changing."""
    endpoint = find_endpoint(path, method)
    return endpoint is None or endpoint.changes_state


@dataclass
class FaultInjector:
    """Draws the fault (or none) of each request from a :class:`Faults` plan; thread-safe.

    Keeps counts for reports: ``requests``, ``injected`` (by kind),
    ``after_action`` (faults that struck after a state-changing action) and
    ``log`` (one ``Fault`` per injected fault, in order).
    """

    faults: Faults
    requests: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    after_action: int = 0
    log: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()

    def decide(self, method: str, url_path: str) -> Fault | None:
        """Draw this request's fault. Four numbers are drawn per request, whatever the
        outcome, so one request's path never shifts the faults of the next ones."""
        path = endpoint_path(url_path)
        with self._lock:
            number = self.requests
            self.requests += 1
            draw = self._rng.random
            hit, pick, when, dice = draw(), draw(), draw(), draw()
            if hit >= self.faults.rate or not self.faults.applies_to(path):
                return None
            kinds = self.faults.kinds
            kind = kinds[min(int(pick * len(kinds)), len(kinds) - 1)]
            writes = changes_state(method, path)
            # A truncated reply needs the real one, so it always strikes after the action.
            after = (
                writes
                and kind in AFTER_CAPABLE
                and (kind == "truncate" or when < self.faults.after_share)
            )
            fault = Fault(kind, after, int(dice * 2**31), number, path, writes)
            self.injected[kind] += 1
            self.after_action += after
            self.log.append(fault)
            return fault

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    # ------------------------------------------------------------------ in-process

    def handle(self, request: httpx.Request, handler: Handler) -> httpx.Response:
        """Serve ``request`` through ``handler``, spoiled by this request's fault (if any)."""
        fault = self.decide(request.method, request.url.path)
        if fault is not None and fault.kind == "latency":
            response = handler(request)  # answered on arrival, held back on the way
            time.sleep(self.faults.latency)
            return response
        return self._spoil(request, handler, fault)

    async def handle_async(self, request: httpx.Request, handler: Handler) -> httpx.Response:
        """As :meth:`handle`, but a ``latency`` fault awaits instead of blocking the loop."""
        fault = self.decide(request.method, request.url.path)
        if fault is not None and fault.kind == "latency":
            response = handler(request)
            await _pause(self.faults.latency)
            return response
        return self._spoil(request, handler, fault)

    def _spoil(
        self, request: httpx.Request, handler: Handler, fault: Fault | None
    ) -> httpx.Response:
        """Every fault but latency (the one that waits); ``None`` serves the reply as is."""
        if fault is None:
            return handler(request)
        plan = self.faults
        kind = fault.kind
        reply = handler(request) if fault.runs_action else None
        if kind in ("500", "502", "503", "429"):
            return _status_reply(kind, plan, request)
        if reply is not None and not hasattr(reply, "_content"):
            return _spoil_stream(reply, fault, plan, request)
        if kind == "reset":
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        if kind == "garbage":
            status, headers, body = _garbage(fault.seed)
            return httpx.Response(status, headers=headers, content=body, request=request)
        assert reply is not None
        body = reply.read()
        headers = _plain_headers(reply.headers)
        if kind == "truncate":
            cut = _cut(body, fault.seed)
            if fault.seed % 2:
                # The connection dropped: httpx reports an incomplete body.
                headers["content-length"] = str(len(body))
                stream: Any = _BrokenStream(body[:cut], request)
                return httpx.Response(reply.status_code, headers=headers, stream=stream)
            headers["content-length"] = str(cut)
            return httpx.Response(reply.status_code, headers=headers, content=body[:cut])
        # drip
        stream = _DripStream(body, plan.drip_chunk, plan.drip_delay)
        return httpx.Response(reply.status_code, headers=headers, stream=stream)

    def wrap(self, handler: Handler) -> Handler:
        """``handler`` with this injector's faults, for ``httpx.MockTransport``."""

        def faulty(request: httpx.Request) -> httpx.Response:
            return self.handle(request, handler)

        return faulty


class FaultTransport(httpx.MockTransport):
    """``httpx.MockTransport`` serving ``handler`` with faults, for sync and async clients.

    Sync clients get :meth:`FaultInjector.handle`; async clients get
    :meth:`FaultInjector.handle_async`, so a ``latency`` fault never blocks the
    event loop (drip bodies already pause with ``asyncio.sleep`` there).
    """

    def __init__(self, injector: FaultInjector, handler: Handler) -> None:
        super().__init__(injector.wrap(handler))
        self._injector = injector
        self._target = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return await self._injector.handle_async(request, self._target)


FaultsLike = Faults | FaultInjector | None


def as_injector(faults: FaultsLike) -> FaultInjector | None:
    """A :class:`FaultInjector` for a plan (a new one), an injector (itself) or None."""
    if faults is None or isinstance(faults, FaultInjector):
        return faults
    return FaultInjector(faults)


def with_faults(app: ASGIApp, faults: FaultsLike) -> ASGIApp:
    """``app`` behind a :class:`FaultMiddleware`, or ``app`` itself when ``faults`` is None."""
    injector = as_injector(faults)
    return app if injector is None else FaultMiddleware(app, injector)


# ---------------------------------------------------------------------- replies


def _error_envelope(code: int, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<response status="error" version="1.2"><error code="{code}">'
        f"<errorMessage>{message}</errorMessage></error></response>"
    ).encode()


_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _status_parts(kind: str, plan: Faults) -> tuple[int, dict[str, str], bytes]:
    retry_after = f"{plan.retry_after:g}"
    if kind == "500":
        body = _error_envelope(9001, "Unexpected internal server error (injected fault)")
        return 500, {"content-type": "text/xml; charset=utf-8"}, body
    if kind == "502":
        return 502, {"content-type": "text/html"}, _BAD_GATEWAY
    if kind == "503":
        headers = {"content-type": "text/plain", "retry-after": retry_after}
        return 503, headers, b"Service Unavailable"
    headers = {"content-type": "text/xml; charset=utf-8", "retry-after": retry_after}
    return 429, headers, _error_envelope(7001, "Rate limit exceeded (injected fault)")


def _status_reply(kind: str, plan: Faults, request: httpx.Request) -> httpx.Response:
    status, headers, body = _status_parts(kind, plan)
    return httpx.Response(status, headers=headers, content=body, request=request)


def _garbage(seed: int) -> tuple[int, dict[str, str], bytes]:
    """A 200 reply that is not a 7digital envelope; one of several shapes, by ``seed``."""
    rng = random.Random(seed)
    choice = seed % 5
    xml = {"content-type": "text/xml; charset=utf-8"}
    if choice == 0:
        return 200, xml, rng.randbytes(rng.randint(16, 512))
    if choice == 1:
        html = b"<!doctype html><html><body><h1>Welcome to the hotel Wi-Fi</h1></body></html>"
        return 200, {"content-type": "text/html"}, html
    if choice == 2:
        return 200, {"content-type": "application/json"}, b'{"status": "ok", "oops": true}'
    if choice == 3:
        return (
            200,
            xml,
            b'<?xml version="1.0"?><response status="ok"><a>\xff\xfe\xc3</a></response>',
        )
    return 200, xml, b""


def _cut(body: bytes, seed: int) -> int:
    return _cut_length(len(body), seed)


def _cut_length(size: int, seed: int) -> int:
    """Where a ``truncate`` (or a mid-body ``reset``) cuts a body of ``size`` bytes."""
    if size < 2:
        return 0
    return 1 + random.Random(seed).randrange(size - 1)


def _spoil_stream(
    reply: httpx.Response, fault: Fault, plan: Faults, request: httpx.Request
) -> httpx.Response:
    """A streamed reply (a download) spoiled without reading it whole.

    ``truncate`` and ``reset`` (after the action) drop the connection part-way
    through the body, as a real network does, so clients can test resuming;
    ``drip`` pauses between chunks; the status faults replaced the reply already.
    """
    headers = _plain_headers(reply.headers)
    if "content-length" in reply.headers:
        headers["content-length"] = reply.headers["content-length"]
    stream: Any
    if fault.kind in ("truncate", "reset"):
        declared = int(reply.headers.get("content-length", "0"))
        error = (
            httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            if fault.kind == "reset"
            else httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        )
        stream = _CutStream(reply.stream, _cut_length(declared, fault.seed), error)
    else:
        stream = _PausedStream(reply.stream, plan.drip_delay)
    return httpx.Response(reply.status_code, headers=headers, stream=stream, request=request)


def _plain_headers(headers: httpx.Headers) -> dict[str, str]:
    """The reply headers without framing/encoding headers, which the fault rewrites."""
    skip = {"content-length", "content-encoding", "transfer-encoding"}
    return {k: v for k, v in headers.items() if k.lower() not in skip}


class _DripStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body handed out ``chunk`` bytes at a time with pauses, to sync and async clients."""

    def __init__(self, body: bytes, chunk: int, delay: float) -> None:
        self._body = body
        self._chunk = chunk
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self._body), self._chunk):
            if i:
                time.sleep(self._delay)
            yield self._body[i : i + self._chunk]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self._body), self._chunk):
            if i:
                await _pause(self._delay)
            yield self._body[i : i + self._chunk]


class _BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops part-way with the error httpx raises when the peer hangs up."""

    def __init__(self, part: bytes, request: httpx.Request) -> None:
        self._part = part
        self._request = request

    def _error(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=self._request
        )

    def __iter__(self) -> Iterator[bytes]:
        if self._part:
            yield self._part
        raise self._error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._part:
            yield self._part
        raise self._error()


class _CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The first ``cut`` bytes of a streamed body, then ``error`` (the connection dropped)."""

    def __init__(self, inner: Any, cut: int, error: Exception) -> None:
        self._inner = inner
        self._cut = cut
        self._error = error

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._inner:
            room = self._cut - sent
            if len(chunk) >= room:
                if room:
                    yield chunk[:room]
                raise self._error
            sent += len(chunk)
            yield chunk
        raise self._error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


class _PausedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A streamed body with a pause between its chunks (``drip`` for downloads)."""

    def __init__(self, inner: Any, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for i, chunk in enumerate(self._inner):
            if i:
                time.sleep(self._delay)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i, chunk in enumerate(self._inner):
            if i:
                await _pause(self._delay)
            yield chunk


#: Paths whose replies are streamed (downloads): spoiled on the way, never buffered whole.
STREAMED_PATHS = ("media/user/downloadtrack", "media/user/download/*")


class _CutError(Exception):
    """Raised into a streamed reply's sender once a fault has dropped the connection."""


# ---------------------------------------------------------------------- over the wire


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultInjector` to a served sandbox.

    Put it outermost (directly under the server): a ``reset`` aborts the TCP
    connection through the server's transport (uvicorn), which only the
    outermost app can reach; where that is not possible, the reply is started
    and abandoned, which the server turns into a dropped connection too.
    """

    def __init__(self, app: ASGIApp, injector: FaultInjector | Faults) -> None:
        self.app = app
        self.injector = injector if isinstance(injector, FaultInjector) else FaultInjector(injector)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        fault = self.injector.decide(str(scope.get("method", "GET")), str(scope.get("path", "/")))
        if fault is None:
            await self.app(scope, receive, send)
            return
        plan = self.injector.faults
        kind = fault.kind
        if kind == "latency":
            # Answer now, send late: the sandbox's own work is done as each request
            # arrives, so a burst of delayed replies leaves together rather than
            # queueing behind the handler when their delays end.
            status, raw_headers, body = await _capture(self.app, scope, receive)
            await _pause(plan.latency)
            await send({"type": "http.response.start", "status": status, "headers": raw_headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if (
            kind in ("truncate", "reset", "drip")
            and fault.runs_action
            and any(fnmatch.fnmatchcase(fault.path.lower(), p) for p in STREAMED_PATHS)
        ):
            await self._spoil_stream(scope, receive, send, fault)
            return
        reply = await _capture(self.app, scope, receive) if fault.runs_action else None
        if kind in ("500", "502", "503", "429"):
            await _send_whole(send, *_status_parts(kind, plan))
        elif kind == "garbage":
            await _send_whole(send, *_garbage(fault.seed))
        elif kind == "reset":
            await _abort(send)
        else:
            assert reply is not None
            status, raw_headers, body = reply
            # A compressed reply stays compressed: its bytes are cut or dripped as they are.
            kept = [
                (k, v)
                for k, v in raw_headers
                if k.lower() not in (b"content-length", b"transfer-encoding")
            ]
            if kind == "truncate":
                cut = _cut(body, fault.seed)
                declared = len(body) if fault.seed % 2 else cut
                kept.append((b"content-length", str(declared).encode()))
                await send({"type": "http.response.start", "status": status, "headers": kept})
                await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
                if declared > cut:
                    await _abort(send)  # hang up with the body incomplete
                else:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:  # drip
                kept.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": kept})
                for i in range(0, len(body), plan.drip_chunk):
                    if i:
                        await _pause(plan.drip_delay)
                    chunk = body[i : i + plan.drip_chunk]
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _spoil_stream(self, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
        """A streamed reply (a download) passed through as it is produced, with the
        connection dropped part-way (``truncate``, ``reset``) or pauses (``drip``)."""
        delay = self.injector.faults.drip_delay
        cut: int | None = None
        sent = 0

        async def forward(message: Message) -> None:
            nonlocal cut, sent
            if message["type"] == "http.response.start":
                if fault.kind != "drip":
                    declared = next(
                        (int(v) for k, v in message.get("headers", []) if k == b"content-length"),
                        0,
                    )
                    cut = _cut_length(declared, fault.seed)
                await send(message)
                return
            body = bytes(message.get("body", b""))
            if cut is not None and sent + len(body) >= cut:
                if cut > sent:
                    await send(
                        {
                            "type": "http.response.body",
                            "body": body[: cut - sent],
                            "more_body": True,
                        }
                    )
                await _abort(send)
                raise _CutError
            if fault.kind == "drip" and sent and body:
                await _pause(delay)
            sent += len(body)
            await send(message)

        with contextlib.suppress(_CutError):
            await self.app(scope, receive, forward)


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run ``app`` to completion, keeping its reply instead of sending it."""
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    parts: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            parts.append(bytes(message.get("body", b"")))

    await app(scope, receive, keep)
    return status, headers, b"".join(parts)


async def _send_whole(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _abort(send: Send) -> None:
    """Drop the connection now, whatever has been sent so far.

    uvicorn's ``send`` is a method of the request cycle, which holds the
    asyncio transport; aborting it closes the socket at once. Yielding to the
    loop lets the server see the connection lost, so it neither writes a 500
    nor logs the unfinished reply as an error.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        await _pause(0)
        return
    # Not uvicorn: start a reply that announces a body and never send it;
    # the server must close the connection to end the exchange.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1048576")],
        }
    )


# ---------------------------------------------------------------------- command line


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--fault-*`` options of ``py7d sandbox`` to ``parser``."""
    group = parser.add_argument_group(
        "fault injection", "make the sandbox misbehave on purpose (off unless --fault-rate > 0)"
    )
    group.add_argument(
        "--fault-rate", type=float, default=0.0, metavar="P", help="share of requests (0-1)"
    )
    group.add_argument(
        "--fault-kinds",
        default=",".join(KINDS),
        metavar="K1,K2",
        help=f"comma list of {', '.join(KINDS)} (default: all)",
    )
    group.add_argument("--fault-seed", type=int, default=0, metavar="N", help="random seed")
    group.add_argument(
        "--fault-paths",
        default=None,
        metavar="P1,P2",
        help="endpoint paths to affect, * wildcards allowed (default: all)",
    )
    group.add_argument(
        "--fault-latency", type=float, default=0.05, metavar="S", help="seconds of added latency"
    )
    group.add_argument(
        "--fault-retry-after",
        type=float,
        default=0.0,
        metavar="S",
        help="Retry-After seconds on 429/503",
    )
    group.add_argument(
        "--fault-drip-delay",
        type=float,
        default=0.002,
        metavar="S",
        help="pause between dripped chunks",
    )


def faults_from_args(args: argparse.Namespace) -> Faults | None:
    """The :class:`Faults` the ``--fault-*`` options describe, or None when they are off."""
    rate = float(getattr(args, "fault_rate", 0.0) or 0.0)
    if rate <= 0:
        return None
    kinds = tuple(k.strip() for k in str(args.fault_kinds).split(",") if k.strip())
    paths = (
        tuple(p.strip() for p in str(args.fault_paths).split(",") if p.strip())
        if args.fault_paths
        else None
    )
    return Faults(
        rate=rate,
        kinds=kinds,
        seed=args.fault_seed,
        paths=paths,
        latency=args.fault_latency,
        retry_after=args.fault_retry_after,
        drip_delay=args.fault_drip_delay,
    )
