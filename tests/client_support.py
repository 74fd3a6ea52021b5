"""Fixtures for the client, cache and bulk tests.

``LocalServer`` is a stdlib HTTP/1.1 keep-alive server on a free loopback
port (threaded, so slow replies do not block others); it records how many
TCP connections it accepted, which is how keep-alive reuse is checked.
"""

from __future__ import annotations

import http.server
import os
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

KEY, SECRET = "test-key", "test-secret"
API = "https://api.example.com/1.2"

ARTIST_XML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<response status="ok" version="1.2">'
    b'<artist id="%(id)s"><name>Artist %(id)s</name></artist></response>\n'
)
ERROR_XML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<response status="error" version="1.2">'
    b'<error code="2001"><errorMessage>Artist not found</errorMessage></error></response>\n'
)


def artist_reply(request: httpx.Request, headers: dict[str, str] | None = None) -> httpx.Response:
    """A small ok reply naming the requested ``artistId`` (2001 error for id 0)."""
    artist = request.url.params.get("artistId", "1")
    if artist == "0":
        return httpx.Response(200, content=ERROR_XML, headers={"content-type": "text/xml"})
    return httpx.Response(
        200,
        content=ARTIST_XML % {b"id": artist.encode()},
        headers={
            "content-type": "text/xml; charset=utf-8",
            "x-ratelimit-limit": "4000",
            "x-ratelimit-current": "7",
            "x-ratelimit-reset": "60",
            **(headers or {}),
        },
    )


@pytest.fixture
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PY7D_* settings and no proxies from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("PY7D_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@dataclass
class LocalServer:
    """What the server saw, and knobs for how it answers."""

    url: str = ""
    connections: int = 0
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    delay: float = 0.0
    chunked: bool = False
    close_after_reply: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler_class(state: LocalServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with state.lock:
                state.connections += 1

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.requests.append((self.command, self.path, body))
            if state.delay:
                time.sleep(state.delay)
            artist = httpx.URL(self.path).params.get("artistId", "1")
            payload = ARTIST_XML % {b"id": artist.encode()}
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Cache-Control", "private, max-age=60")
            if state.close_after_reply:
                self.send_header("Connection", "close")
                self.close_connection = True
            if state.chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(payload), 40):
                    piece = payload[start : start + 40]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (timeout and cancellation tests) is expected here


def _serve(state: LocalServer, context: ssl.SSLContext | None) -> Iterator[LocalServer]:
    server = _Server(("127.0.0.1", 0), _handler_class(state))
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    state.url = f"{'https' if context else 'http'}://127.0.0.1:{port}/1.2"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    yield from _serve(LocalServer(), None)
