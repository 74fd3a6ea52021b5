"""Serving a :class:`Sandbox` on a real port: a raw ASGI app, uvicorn, and the CLI."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from typing import Any

import httpx

from ._core import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, SEEDED_USERS, Sandbox
from ._faults import (
    FaultInjector,
    FaultsLike,
    add_fault_arguments,
    as_injector,
    faults_from_args,
    with_faults,
)

__all__ = [
    "add_arguments",
    "asgi_app",
    "describe_serve_error",
    "main",
    "running",
    "sandbox_from_args",
    "serve",
    "serve_until_stopped",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_INSTALL_HINT = "the sandbox server needs uvicorn: pip install 'py7D[sandbox]'"
_MAX_BODY = 1 << 20
_FAST_SIZE = 1024


def asgi_app(sandbox: Sandbox) -> ASGIApp:
    """A minimal ASGI app that turns each HTTP request into ``sandbox.handle(httpx.Request)``.

    ``handle`` runs on the event loop itself (it is fast and never sleeps).

    The request URL is rebuilt from the ``Host`` header, so the OAuth base
    string uses the host and port the client addressed.
    """

    # Replies to cached catalogue reads (Sandbox._cached_read), by what the reply depends
    # on: (scheme, method, raw path, query, Host and Authorization header values, server).
    # Each entry holds the consumer key, the status, the reply's header list and its body.
    fast: dict[tuple[object, ...], tuple[str, int, list[tuple[bytes, bytes]], bytes]] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > _MAX_BODY:
                await _send(send, httpx.Response(413, text="Request body too large"))
                return
            if not message.get("more_body"):
                break
        method = scope["method"]
        key: tuple[object, ...] | None = None
        if not body and method in ("GET", "HEAD"):
            key = _fast_key(scope)
            entry = fast.get(key)
            if entry is not None and await _send_cached(sandbox, send, entry, method == "HEAD"):
                return
        try:
            request = _to_httpx(scope, bytes(body))
        except httpx.InvalidURL:
            await _send(send, httpx.Response(400, text="Bad request"))
            return
        # Called inline: handle() is synchronous, never sleeps and takes a fraction of a
        # millisecond; the sandbox's own lock keeps it safe against callers on other
        # threads. A thread hop per call (run_in_executor) made a burst of replies queue
        # behind one another. Faults that wait (latency, drip) await asyncio.sleep in
        # FaultMiddleware, so they never block the loop.
        response = sandbox.handle(request)
        if key is not None and response.status_code == 200:
            cached = sandbox._cached_read(request)
            if cached is not None and cached[1] == response.content:
                if len(fast) >= _FAST_SIZE:
                    del fast[next(iter(fast))]
                fast[key] = (cached[0], 200, _headers(response), cached[1])
        if response.is_stream_consumed:
            await _send(send, response, head=method == "HEAD")
        else:  # a body produced chunk by chunk (downloads): never held whole
            await _send_stream(send, receive, response, head=method == "HEAD")

    return app


def _to_httpx(scope: Scope, body: bytes) -> httpx.Request:
    # httpx takes the raw header pairs as they are (bytes, no decoding per request).
    headers = scope["headers"]
    raw_host = next((v for k, v in headers if k.lower() == b"host"), None)
    if raw_host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    else:
        host = raw_host.decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"")
    url = f"{scope.get('scheme', 'http')}://{host}{raw_path.decode('latin-1')}"
    if query:
        url += "?" + query.decode("latin-1")
    return httpx.Request(scope["method"], _parsed_url(url), headers=headers, content=body)


@functools.lru_cache(maxsize=1024)
def _parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, remembered: parsing validates every character, and clients repeat
    their URLs (an ``httpx.URL`` is immutable, so requests can share one)."""
    return httpx.URL(url)


def _fast_key(scope: Scope) -> tuple[object, ...]:
    """What a cached read's reply depends on, straight from the ASGI scope."""
    hosts: list[bytes] = []
    auth: list[bytes] = []
    for k, v in scope["headers"]:
        name = k.lower()
        if name == b"host":
            hosts.append(v)
        elif name == b"authorization":
            auth.append(v)
    return (
        scope.get("scheme", "http"),
        scope["method"],
        scope.get("raw_path") or scope["path"],
        scope.get("query_string", b""),
        tuple(hosts),
        tuple(auth),
        None if hosts else tuple(scope.get("server") or ()),
    )


async def _send_cached(
    sandbox: Sandbox,
    send: Send,
    entry: tuple[str, int, list[tuple[bytes, bytes]], bytes],
    head: bool,
) -> bool:
    """Answer a cached read from bytes as ``handle`` would (False: its consumer is gone).

    The request still counts against its consumer's rate limit; a refusal goes out as
    ``handle`` words it, and the ``x-ratelimit-*`` values are those of this moment."""
    consumer_key, status, template, content = entry
    consumer = sandbox.state.consumer(consumer_key)
    if consumer is None:
        return False
    limited = sandbox._count(consumer)
    if limited is not None:
        await _send(send, sandbox._finish(limited, consumer), head=head)
        return True
    limit, used, reset = sandbox._rate_values(consumer)
    values = {
        b"x-ratelimit-limit": limit.encode(),
        b"x-ratelimit-current": used.encode(),
        b"x-ratelimit-reset": reset.encode(),
    }
    headers = [(k, values.get(k, v)) for k, v in template]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else content})
    return True


def _headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    content = response.content
    # The raw (already encoded) headers, names lower-cased: no decoding and re-encoding
    # per reply. A repeated name falls back to ``items()``, which joins the values.
    headers = [
        (k.lower(), v)
        for k, v in response.headers.raw
        if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    if len({k for k, _ in headers}) != len(headers):
        headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        ]
    headers.append((b"content-length", str(len(content)).encode()))
    return headers


async def _send(send: Send, response: httpx.Response, *, head: bool = False) -> None:
    headers = _headers(response)
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    # A reply to HEAD announces the length of the body it leaves out.
    await send({"type": "http.response.body", "body": b"" if head else response.content})


async def _send_stream(
    send: Send, receive: Receive, response: httpx.Response, *, head: bool
) -> None:
    """Send a reply whose body is produced chunk by chunk, with the length it declares;
    stop producing as soon as the client hangs up."""
    gone = asyncio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.ensure_future(watch())
    try:
        raw = response.headers.raw
        headers = [(k.lower(), v) for k, v in raw if k.lower() != b"transfer-encoding"]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        if not head:
            async for chunk in response.aiter_raw():
                if gone.is_set():
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0)  # let the loop notice a client that hung up
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()
        await response.aclose()


def _own_faults(sandbox: object) -> FaultInjector | None:
    """The fault plan a :class:`Sandbox` was built with (stand-ins have none)."""
    return sandbox.faults if isinstance(sandbox, Sandbox) else None


def _compressing(app: ASGIApp) -> ASGIApp:
    """``app`` answering with gzip when the client offers it, as 7digital's servers do.

    Under the fault injector, which needs to be outermost: its faults cut, drip
    or delay the compressed bytes (Starlette's middleware; uncompressed without
    Starlette). Locker downloads are never compressed.
    """
    try:
        from starlette.middleware.gzip import GZipMiddleware
    except ImportError:  # pragma: no cover - starlette comes with the sandbox extra
        return app
    compressing: ASGIApp = GZipMiddleware(app, minimum_size=1024, compresslevel=6)

    async def choose(scope: Scope, receive: Receive, send: Send) -> None:
        # Audio and zips do not compress, and a range of a gzipped body is not a range
        # of the file: downloads go out as they are, with their length.
        path = str(scope.get("path", "")).lower()
        target = app if path.startswith("/media/user/download") else compressing
        await target(scope, receive, send)

    return choose


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(_INSTALL_HINT) from exc
    return uvicorn


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/1.2"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    sandbox: Sandbox | None = None,
    log_level: str = "warning",
    faults: FaultsLike = None,
) -> None:
    """Serve ``sandbox`` (a new one by default) in the foreground until interrupted.

    ``faults`` (default: the sandbox's own) makes it misbehave on purpose.
    """
    uvicorn = _uvicorn()
    sock = _bind(host, port)
    sandbox = sandbox or Sandbox()
    app = with_faults(_compressing(asgi_app(sandbox)), as_injector(faults) or _own_faults(sandbox))
    config = uvicorn.Config(app, log_level=log_level, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


@contextlib.contextmanager
def running(
    sandbox: Sandbox | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    faults: FaultsLike = None,
) -> Iterator[str]:
    """Run ``sandbox`` on a real port in a background thread; yield its base URL.

    ``port=0`` picks a free port. The server stops (and the port is closed)
    when the ``with`` block ends. ``faults`` (default: the sandbox's own)
    makes it misbehave on purpose.
    """
    uvicorn = _uvicorn()
    sock = _bind(host, port)
    sandbox = sandbox or Sandbox()
    app = with_faults(_compressing(asgi_app(sandbox)), as_injector(faults) or _own_faults(sandbox))
    config = uvicorn.Config(app, log_level=log_level, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="py7D-sandbox"
    )
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the sandbox server failed to start")
            thread.join(0.01)
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0 picks a free one), got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``py7d sandbox`` / ``python -m py7D.sandbox``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=_port, default=8000, help="port (0 picks a free one)")
    parser.add_argument("--consumer-key", default=DEFAULT_CONSUMER_KEY, help="API key to accept")
    parser.add_argument("--consumer-secret", default=DEFAULT_CONSUMER_SECRET, help="its secret")
    parser.add_argument(
        "--user-management",
        action="store_true",
        help="the key is a partner key that manages users: user/create, and user calls "
        "signed 2-legged with userId=",
    )
    parser.add_argument("--seed", type=int, default=7, help="catalogue seed")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL:PASSWORD",
        help="add an account (repeatable)",
    )
    parser.add_argument(
        "--access-token-ttl",
        type=float,
        default=None,
        metavar="S",
        help="access tokens expire after S seconds (default: only when revoked)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=4000,
        metavar="N",
        help="calls each API key may make per window (default 4000)",
    )
    parser.add_argument(
        "--rate-window",
        type=float,
        default=86400.0,
        metavar="S",
        help="length of the rate-limit window in seconds (default 86400, a day)",
    )
    parser.add_argument(
        "--empty-locker",
        action="store_true",
        help="start alice with an empty locker (default: three purchases to download)",
    )
    add_fault_arguments(parser)


def sandbox_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Sandbox:
    """The :class:`Sandbox` the parsed options describe (``parser.error`` on bad values)."""
    if args.rate_limit < 1 or not args.rate_window > 0:
        parser.error("--rate-limit wants at least 1 call and --rate-window a positive number")
    if args.access_token_ttl is not None and args.access_token_ttl <= 0:
        parser.error("--access-token-ttl wants a positive number of seconds")
    users: list[tuple[str, str]] = []
    for spec in args.user:
        email, sep, password = spec.partition(":")
        if not sep or not email or not password:
            parser.error(f"--user wants EMAIL:PASSWORD, got {spec!r}")
        users.append((email, password))
    return Sandbox(
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        user_management=args.user_management,
        seed=args.seed,
        users=users,
        access_token_ttl=args.access_token_ttl,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        faults=faults_from_args(args),
        seeded_locker=not args.empty_locker,
    )


def serve_until_stopped(sandbox: Sandbox, args: argparse.Namespace) -> None:
    """Serve on ``--host``/``--port`` until Ctrl-C or SIGTERM, announcing URL and accounts.

    Raises :class:`RuntimeError` when uvicorn is missing and :class:`OSError` when
    the address cannot be bound (see :func:`describe_serve_error`).
    """
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with running(sandbox, args.host, args.port) as url:
            partner = " (manages users: userId= calls)" if args.user_management else ""
            lines = [
                f"py7D sandbox serving on {url}",
                f"consumer key: {args.consumer_key}{partner}",
                f"consumer secret: {args.consumer_secret}",
                "users:",
                *(
                    f"  {email} / {password} (user id {uid})"
                    for email, password, uid in SEEDED_USERS
                ),
                *(f"  {spec.partition(':')[0]} / {spec.partition(':')[2]}" for spec in args.user),
                "point py7D at it with:",
                f"  export PY7D_API_URL={url} PY7D_CONSUMER_KEY={args.consumer_key} "
                f"PY7D_CONSUMER_SECRET={args.consumer_secret}",
                "stop with Ctrl-C",
            ]
            print("\n".join(lines), flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("py7D sandbox stopped", flush=True)


def describe_serve_error(exc: OSError | RuntimeError, host: str, port: int) -> tuple[int, str]:
    """The exit status and message (what happened, what to do) for a failure to serve."""
    from .._cli.base import ExitCode

    if isinstance(exc, RuntimeError):
        return ExitCode.CONFIG, str(exc)
    if exc.errno == errno.EADDRINUSE:
        return ExitCode.NETWORK, (
            f"port {port} on {host} is already in use (another sandbox or server?); "
            "pick another with --port N, or --port 0 for a free one"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ExitCode.NETWORK, (
            f"not allowed to listen on port {port} of {host} ({exc.strerror}); "
            "ports below 1024 need privileges: pick one above, or --port 0"
        )
    return ExitCode.NETWORK, f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m py7D.sandbox``: serve a sandbox until Ctrl-C or SIGTERM (exit status 0).

    The exit statuses are those of ``py7d`` (2: bad option, 4: port in use, 5: uvicorn
    missing).
    """
    parser = argparse.ArgumentParser(
        prog="python -m py7D.sandbox", description="Run a local stand-in for 7digital's API 1.2."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    sandbox = sandbox_from_args(args, parser)
    try:
        serve_until_stopped(sandbox, args)
    except (OSError, RuntimeError) as exc:
        code, message = describe_serve_error(exc, args.host, args.port)
        print(f"py7D sandbox: {message}", file=sys.stderr, flush=True)
        return code
    return 0
