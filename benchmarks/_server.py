"""Serve a 7digital-like API on a free loopback port, for the benchmarks.

The handler is the sandbox's ``Sandbox().handle`` when ``py7D.sandbox`` is
importable, else a stand-in that answers every path with a small recorded
``artist/details`` reply (so the benchmarks run before the sandbox lands).
The server runs in a *subprocess* so that the client's CPU time
(``time.process_time()`` in the benchmark process) excludes the server's.

``--latency`` adds a delay before each reply: the reliability work will give
the sandbox a latency option; until then the benchmark wraps the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import httpx

SMALL_REPLY = b"""<?xml version="1.0" encoding="utf-8"?>
<response xmlns:xsd="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status="ok" version="1.2" \
xsi:noNamespaceSchemaLocation="http://api.7digital.com/1.2/static/7digitalAPI.xsd">
  <artist id="460">
    <name>Van Morrison</name>
    <sortName>Van Morrison</sortName>
    <slug>van-morrison</slug>
    <image>http://artwork-cdn.7static.com/static/img/artistimages/00/000/004/0000000460_150.jpg</image>
    <bio>
      <text/>
    </bio>
  </artist>
</response>
"""

KEY, SECRET = "bench-key", "bench-secret"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def stand_in(request: httpx.Request) -> httpx.Response:
    """Every path gets the small ``artist/details`` reply, with 7digital's headers."""
    return httpx.Response(
        200,
        content=SMALL_REPLY,
        headers={
            "content-type": "text/xml; charset=utf-8",
            "cache-control": "private, max-age=60",
            "x-ratelimit-limit": "4000",
            "x-ratelimit-current": "1",
            "x-ratelimit-reset": "3600",
        },
    )


def paged(request: httpx.Request) -> httpx.Response:
    """A light ``release/byDate`` of ``BENCH_TOTAL`` releases, each page made on demand.

    Nearly free to serve, so a paging benchmark times the client's walk, not the rendering.
    """
    return paged_reply(request, int(os.environ.get("BENCH_TOTAL", "100000")))


def paged_reply(request: httpx.Request, total: int) -> httpx.Response:
    """The page ``request`` asks for of a ``release/byDate`` with ``total`` releases."""
    page = int(request.url.params.get("page", "1"))
    size = int(request.url.params.get("pageSize", "10"))
    first = (page - 1) * size
    items = "".join(
        f'<release id="{i}"><title>Release {i}</title><type>Album</type>'
        f'<artist id="{i % 3000}"><name>Artist</name></artist></release>'
        for i in range(first + 1, min(first + size, total) + 1)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><response status="ok" version="1.2">'
        f"<releases><page>{page}</page><pageSize>{size}</pageSize>"
        f"<totalItems>{total}</totalItems>{items}</releases></response>"
    )
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/xml"})


def handler(kind: str) -> tuple[Callable[[httpx.Request], httpx.Response], str, str]:
    """The handler to serve, and the consumer key/secret it accepts.

    The sandbox's quota is ``BENCH_RATE_LIMIT`` calls per ``BENCH_RATE_WINDOW`` seconds
    when those are set, else practically none.
    """
    if kind == "sandbox":
        from py7D import sandbox

        # The sandbox enforces 7digital's 4000-a-day quota; a benchmark makes more.
        box = sandbox.Sandbox(
            rate_limit=int(os.environ.get("BENCH_RATE_LIMIT", str(10**9))),
            rate_window=float(os.environ.get("BENCH_RATE_WINDOW", "86400")),
        )
        return box.handle, sandbox.DEFAULT_CONSUMER_KEY, sandbox.DEFAULT_CONSUMER_SECRET
    if kind == "paged":
        return paged, KEY, SECRET
    if kind == "locker":
        return locker_page, KEY, SECRET
    return stand_in, KEY, SECRET


def locker_page(request: httpx.Request) -> httpx.Response:
    """Every path gets the ~700 KB ``user/locker`` page of ``bench_xml``."""
    global _LOCKER
    if _LOCKER is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bench_xml import locker_page as make_page

        _LOCKER = make_page()[0]
    return httpx.Response(200, content=_LOCKER, headers={"content-type": "text/xml; charset=utf-8"})


_LOCKER: bytes | None = None


def asgi_app(handle: Callable[[httpx.Request], httpx.Response], latency: float) -> Any:
    """A minimal ASGI app over ``handle(httpx.Request) -> httpx.Response``.

    Not ``py7D.sandbox``'s own app (which also calls ``handle`` inline, behind its
    fault middleware): this one splits the latency as a network round trip.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        url = f"{scope['scheme']}://{host}{scope['path']}"
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode()
        request = httpx.Request(scope["method"], url, headers=scope["headers"], content=body)
        # Network latency is a round trip: half of it before the request reaches the
        # handler, half before the reply leaves. (All of it before the handler would
        # queue every reply of a burst behind the handler at once, which no network does.)
        if latency:
            await asyncio.sleep(latency / 2)
        response = handle(request)
        if latency:
            await asyncio.sleep(latency / 2)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(name.lower(), value) for name, value in response.headers.raw],
            }
        )
        await send({"type": "http.response.body", "body": response.content})

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sandbox_available() -> bool:
    try:
        import py7D.sandbox  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def serve(
    *,
    latency: float = 0.0,
    certfile: str | None = None,
    keyfile: str | None = None,
    kind: str | None = None,
    workers: int = 1,
    app: str = "inline",
    environ: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run the server in a subprocess; yield its base URL (``http://127.0.0.1:N/1.2``).

    ``environ`` adds ``BENCH_*`` settings (see :func:`handler`)."""
    kind = kind or ("sandbox" if sandbox_available() else "stand-in")
    port = free_port()
    cmd = [sys.executable, __file__, "--port", str(port), "--latency", str(latency)]
    cmd += ["--kind", kind, "--workers", str(workers)]
    if certfile and keyfile:
        cmd += ["--certfile", certfile, "--keyfile", keyfile]
    env = dict(os.environ)
    env["BENCH_APP"] = app
    env.update(environ or {})
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"benchmark server exited: {err}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("benchmark server did not start")
            time.sleep(0.05)
        scheme = "https" if certfile else "http"
        yield f"{scheme}://127.0.0.1:{port}/1.2"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def credentials(kind: str | None = None) -> tuple[str, str]:
    kind = kind or ("sandbox" if sandbox_available() else "stand-in")
    _, key, secret = handler(kind)
    return key, secret


def app_from_env() -> Any:
    """The app for one uvicorn worker process, configured by ``BENCH_*`` variables.

    ``BENCH_APP=sandbox`` serves exactly what ``py7D.sandbox.running()`` serves: the
    sandbox's own ASGI app, with its ``latency`` fault on every request when
    ``BENCH_LATENCY`` is set. Otherwise :func:`asgi_app` calls the handler inline.
    """
    kind = os.environ.get("BENCH_KIND", "stand-in")
    latency = float(os.environ.get("BENCH_LATENCY", "0"))
    handle, _, _ = handler(kind)
    if os.environ.get("BENCH_APP") == "gzip":  # compressing as py7D.sandbox.running() does
        from py7D.sandbox import _server

        return _server._compressing(asgi_app(handle, latency))
    if os.environ.get("BENCH_APP") == "sandbox" and kind == "sandbox":
        from py7D import sandbox
        from py7D.sandbox import _faults, _server

        box = getattr(handle, "__self__", None)
        assert isinstance(box, sandbox.Sandbox)
        plan = sandbox.Faults(rate=1.0, kinds=("latency",), latency=latency) if latency else None
        return _faults.with_faults(_server.asgi_app(box), plan)
    return asgi_app(handle, latency)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--kind", default="stand-in")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    os.environ["BENCH_KIND"] = args.kind
    os.environ["BENCH_LATENCY"] = str(args.latency)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # uvicorn picks httptools and uvloop when installed (the ``bench`` extra): the server's
    # CPU per call is part of every wall-time row, ours and the baselines' alike.
    uvicorn.run(
        "_server:app_from_env",
        factory=True,
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        backlog=2048,
        timeout_keep_alive=60,
    )


if __name__ == "__main__":
    main()
