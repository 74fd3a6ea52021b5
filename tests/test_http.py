"""The default transports, tried as an HTTP expert would, for Client and AsyncClient.

Scripted loopback servers (raw sockets, so they can misbehave exactly) check:
state-changing calls reach the server once, even when a reused connection
drops after the server acted or the server closed an idle connection; reads
are retried; compression is offered and a gzip bomb is refused early; the
call's deadline holds while a body is dripped; read timeouts are per read;
proxies from the environment (a local CONNECT proxy) and TLS (trustme) work.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import py7D
from client_support import KEY, SECRET
from py7D import RetryPolicy
from py7D.sandbox import Sandbox, running

pytestmark = pytest.mark.usefixtures("_isolated_env")

OK_XML = b'<?xml version="1.0"?><response status="ok" version="1.2"><basket id="b1"/></response>'
TOKEN = ("token", "token-secret")
MODES = ["sync", "async"]

# A read, a state-changing GET (it charges a card on 7digital) and a state-changing POST.
READ = ("artist", "details", {"artistId": 1})
PURCHASE = ("user", "purchase/basket", {"basketId": "b1", "access_token": TOKEN})
VOUCHER = ("basket", "applyVoucher", {"basketId": "b1", "voucherCode": "V1"})
CREATE = ("basket", "create", {})


@dataclass
class Request:
    connection: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    """A raw HTTP/1.1 server; ``answer(request, sock)`` writes a reply and returns
    whether the connection stays open. Idle connections close after ``keepalive``."""

    answer: Callable[[Request, socket.socket], bool]
    keepalive: float = 5.0
    context: ssl.SSLContext | None = None
    arrivals: list[Request] = field(default_factory=list)
    url: str = ""
    _listener: socket.socket | None = None

    def paths(self) -> list[str]:
        return [r.path for r in self.arrivals]

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.url = f"{'https' if self.context else 'http'}://127.0.0.1:{port}/1.2"
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()

    def _accept(self) -> None:
        count = 0
        while True:
            try:
                sock, _ = self._listener.accept()  # type: ignore[union-attr]
            except OSError:
                return
            count += 1
            threading.Thread(target=self._serve, args=(sock, count), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_side=True)
            buffer = b""
            while True:
                sock.settimeout(self.keepalive)
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])
                }
                length = int(headers.get("content-length", 0))
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                path = target.split("?", 1)[0].removeprefix("/1.2/")
                request = Request(number, method, path, headers, body)
                self.arrivals.append(request)
                if not self.answer(request, sock):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()


@contextlib.contextmanager
def scripted(
    answer: Callable[[Request, socket.socket], bool], **options: Any
) -> Iterator[Scripted]:
    server = Scripted(answer, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def reply(sock: socket.socket, body: bytes = OK_XML, headers: tuple[str, ...] = ()) -> bool:
    head = ["HTTP/1.1 200 OK", "Content-Type: text/xml", f"Content-Length: {len(body)}", *headers]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return True


def drop_after_first(path: str) -> Callable[[Request, socket.socket], bool]:
    """Answer everything, except that ``path`` arriving on a reused connection is acted
    on (counted) and then the connection drops without a reply."""
    seen: dict[int, int] = {}

    def answer(request: Request, sock: socket.socket) -> bool:
        seen[request.connection] = seen.get(request.connection, 0) + 1
        if request.path == path and seen[request.connection] > 1:
            return False
        return reply(sock)

    return answer


def run(mode: str, url: str, steps: list[Any], **options: Any) -> list[Any]:
    """Make ``steps`` on one client, in order; each step's result or exception.

    A step is a call ``(resource, action, params)`` or a float: block that long
    (in the async client, the event loop itself is blocked)."""
    options.setdefault("retries", None)
    outcomes: list[Any] = []
    if mode == "sync":
        with py7D.Client(KEY, SECRET, base_url=url, **options) as client:
            for step in steps:
                if isinstance(step, float):
                    time.sleep(step)
                    continue
                resource, action, params = step
                try:
                    outcomes.append(client.request(resource, action, **params))
                except py7D.Py7DError as exc:
                    outcomes.append(exc)
        return outcomes

    async def main() -> None:
        async with py7D.AsyncClient(KEY, SECRET, base_url=url, **options) as client:
            for step in steps:
                if isinstance(step, float):
                    time.sleep(step)  # blocks the event loop: the point of the step
                    continue
                resource, action, params = step
                try:
                    outcomes.append(await client.request(resource, action, **params))
                except py7D.Py7DError as exc:
                    outcomes.append(exc)

    asyncio.run(main())
    return outcomes


# ---------------------------------------------------------------- exactly once


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("call", [PURCHASE, VOUCHER], ids=["purchase-GET", "voucher-POST"])
def test_a_dropped_state_changing_call_reaches_the_server_once(
    mode: str, call: tuple[str, str, dict[str, Any]]
) -> None:
    # The first call (state-changing too, so it shares the connection pool) opens the
    # connection; the second goes out on it, the server acts and hangs up.
    path = f"{call[0]}/{call[1]}"
    with scripted(drop_after_first(path)) as server:
        first, second = run(mode, server.url, [CREATE, call], retries=RetryPolicy())
    assert isinstance(first, py7D.Result)
    assert isinstance(second, py7D.TransportError)
    assert second.may_have_acted is True
    assert server.paths() == ["basket/create", path]  # sent once, never again
    assert [r.connection for r in server.arrivals] == [1, 1]  # on the reused connection


@pytest.mark.parametrize("mode", MODES)
def test_a_state_changing_call_after_a_blocked_loop_or_idle_close_is_delivered_once(
    mode: str,
) -> None:
    # The server closes idle connections after 0.2 s; the client is blocked for 0.8 s.
    with scripted(lambda request, sock: reply(sock), keepalive=0.2) as server:
        outcomes = run(mode, server.url, [CREATE, 0.8, VOUCHER, PURCHASE])
    assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
    assert server.paths() == ["basket/create", "basket/applyVoucher", "user/purchase/basket"]


@pytest.mark.parametrize("mode", MODES)
def test_back_to_back_calls_to_a_server_that_closes_after_each_reply(mode: str) -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        reply(sock, headers=("Connection: close",))
        return False

    with scripted(answer) as server:
        outcomes = run(mode, server.url, [CREATE, VOUCHER, PURCHASE, READ, READ])
    assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
    assert len(server.arrivals) == 5  # each once, each on a connection of its own
    assert len({r.connection for r in server.arrivals}) == 5


@pytest.mark.parametrize("mode", MODES)
def test_a_read_dropped_on_a_reused_connection_is_retried(mode: str) -> None:
    with scripted(drop_after_first("artist/details")) as server:
        outcomes = run(mode, server.url, [READ, READ], retries=RetryPolicy())
    assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
    assert server.paths() == ["artist/details"] * 3  # the dropped one was sent again


def test_reads_go_through_aiohttp_and_state_changing_calls_do_not() -> None:
    from httpx_aiohttp import AiohttpTransport

    carried: list[str] = []

    class Counting(AiohttpTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            carried.append(request.url.path.removeprefix("/1.2/"))
            return await super().handle_async_request(request)

    with scripted(drop_after_first("user/purchase/basket")) as server:
        for options in ({}, {"transport": Counting()}):
            outcomes = run("async", server.url, [READ, CREATE, PURCHASE], **options)
            assert isinstance(outcomes[2], py7D.TransportError)
            assert outcomes[2].may_have_acted is True
    assert carried == ["artist/details"]  # the user's aiohttp transport got the read only
    purchases = [r for r in server.arrivals if r.path == "user/purchase/basket"]
    assert len(purchases) == 2  # once per client: never resent


def test_an_aiohttp_read_dropped_after_sending_is_not_called_never_sent() -> None:
    # httpx-aiohttp reports a dropped connection as ConnectTimeout ("never sent").
    def answer(request: Request, sock: socket.socket) -> bool:
        return len(server.arrivals) == 1 and reply(sock)  # then: act, and hang up

    with scripted(answer) as server:
        outcomes = run("async", server.url, [READ, READ])
    error = outcomes[1]
    assert isinstance(error, py7D.TransportError)
    assert error.may_have_acted is True
    assert "ServerDisconnected" in str(error)
    assert len(server.arrivals) >= 2


# ---------------------------------------------------------------- framing


def raw_reply(head: bytes, body: bytes) -> Callable[[Request, socket.socket], bool]:
    """Answer every request with these exact bytes (a status line and headers, then ``body``)."""

    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(head + body)
        return True

    return answer


CHUNKED_WITH_TRAILER = raw_reply(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n"
    b"Trailer: X-Trailer\r\n\r\n",
    b"%x\r\n%s\r\n0\r\nX-Trailer: sneaky\r\n\r\n" % (len(OK_XML), OK_XML),
)
FOLDED_HEADER = raw_reply(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nX-Folded: a\r\n  b\r\n"
    b"Content-Length: %d\r\n\r\n" % len(OK_XML),
    OK_XML,
)
BARE_LF = raw_reply(
    b"HTTP/1.1 200 OK\nContent-Type: text/xml\nContent-Length: %d\n\n" % len(OK_XML), OK_XML
)
REPEATED_LENGTH = raw_reply(
    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n"
    b"Content-Length: %d\r\n\r\n" % (len(OK_XML), len(OK_XML)),
    OK_XML,
)


@pytest.mark.parametrize("mode", MODES)
def test_chunked_trailers_do_not_become_reply_headers(mode: str) -> None:
    with scripted(CHUNKED_WITH_TRAILER) as server:
        (result,) = run(mode, server.url, [READ])
    assert isinstance(result, py7D.Result), result
    assert result.data == {"@id": "b1"}
    assert "x-trailer" not in result.headers
    assert "x-trailer" not in result["http_headers"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "answer",
    [FOLDED_HEADER, BARE_LF, REPEATED_LENGTH],
    ids=["obs-fold", "bare-LF", "repeated-equal-Content-Length"],
)
def test_replies_httpx_accepts_are_read(
    mode: str, answer: Callable[[Request, socket.socket], bool]
) -> None:
    """Lenient framing as httpx (h11) reads it; for AsyncClient's reads, a reply
    aiohttp's stricter parser refuses is asked for again through httpx."""
    with scripted(answer) as server:
        first, second = run(mode, server.url, [READ, READ])
    for result in (first, second):
        assert isinstance(result, py7D.Result), result
        assert result.data == {"@id": "b1"}
    if answer is FOLDED_HEADER:
        assert " ".join(first.headers["x-folded"].split()) == "a b"
    # One extra request at most: once aiohttp refused a reply, reads go through httpx.
    refused_once = mode == "async" and answer is REPEATED_LENGTH
    assert len(server.arrivals) == (3 if refused_once else 2)


# ---------------------------------------------------------------- cookies


def sets_a_cookie(request: Request, sock: socket.socket) -> bool:
    return reply(sock, headers=("Set-Cookie: session=user-a; Path=/",))


@pytest.mark.parametrize("mode", MODES)
def test_py7d_own_clients_keep_no_cookies(mode: str) -> None:
    """A reply's Set-Cookie is not sent back: not on reads (aiohttp's client, for async)
    nor on calls that change state (httpx's)."""
    with scripted(sets_a_cookie) as server:
        outcomes = run(mode, server.url, [READ, READ, VOUCHER, READ])
    assert all(isinstance(outcome, py7D.Result) for outcome in outcomes), outcomes
    assert len(server.arrivals) == 4
    assert [r.headers.get("cookie") for r in server.arrivals] == [None] * 4


def test_a_users_own_httpx_client_keeps_its_cookies() -> None:
    with (
        scripted(sets_a_cookie) as server,
        httpx.Client() as mine,
        py7D.Client(KEY, SECRET, base_url=server.url, http_client=mine) as client,
    ):
        client.request(*READ[:2], **READ[2])
        client.request(*READ[:2], **READ[2])
    assert [r.headers.get("cookie") for r in server.arrivals] == [None, "session=user-a"]


def test_setting_cookies_on_py7d_own_httpx_client_is_refused() -> None:
    from py7D._http import client_options, new_client

    options = client_options(httpx.Timeout(5.0), httpx.Headers(), {}, True)
    with new_client(options) as http:
        assert len(http.cookies) == 0
        http.cookies = {}  # empty: nothing to refuse
        with pytest.raises(TypeError, match="keep no cookies"):
            http.cookies = {"session": "x"}
        http.cookies.set("session", "x")  # a jar that keeps nothing
        assert len(http.cookies) == 0


# ---------------------------------------------------------------- compression


@pytest.mark.parametrize("mode", MODES)
def test_compression_is_offered_and_decoded(mode: str) -> None:
    xml = OK_XML.replace(b"<basket", b"<!--" + b"x" * 50_000 + b"--><basket")

    def answer(request: Request, sock: socket.socket) -> bool:
        return reply(sock, gzip.compress(xml), ("Content-Encoding: gzip",))

    with scripted(answer) as server:
        (result,) = run(mode, server.url, [READ])
    assert server.arrivals[0].headers["accept-encoding"] == "gzip, deflate"
    assert isinstance(result, py7D.Result)
    assert result.data == {"@id": "b1"}


@pytest.mark.parametrize("mode", MODES)
def test_the_served_sandbox_compresses_when_asked(mode: str) -> None:
    encodings: list[str | None] = []

    def seen(response: httpx.Response) -> None:
        encodings.append(response.headers.get("content-encoding"))

    async def aseen(response: httpx.Response) -> None:
        seen(response)

    hooks = {"response": [seen if mode == "sync" else aseen]}
    with running(Sandbox(consumer_key=KEY, consumer_secret=SECRET)) as url:
        (result,) = run(mode, url, [("artist", "search", {"q": "pink"})], event_hooks=hooks)
    assert isinstance(result, py7D.Result)
    assert result.data["searchResult"]  # decoded and parsed
    assert encodings == ["gzip"]


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """A valid 0.9 MB gzip body that expands to 900 MB of zeros."""
    zeros = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)  # repeatable as is
    crc = 0
    for _ in range(900):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    return header + block * 900 + deflate.flush() + struct.pack("<II", crc, 900 << 20)


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_bomb_is_refused_while_decoding(mode: str, gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 1_000_000

    def answer(request: Request, sock: socket.socket) -> bool:
        with contextlib.suppress(OSError):
            reply(sock, gzip_bomb, ("Content-Encoding: gzip",))
        return False

    with scripted(answer) as server:
        tracemalloc.start()
        try:
            (error,) = run(mode, server.url, [READ])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, py7D.ResponseParseError)
    assert error.reason == "too-large"
    assert peak < 100 * 2**20  # well under the 900 MB the body expands to


# ---------------------------------------------------------------- deadlines and timeouts


def dripping(total: int, piece: int, pause: float) -> Callable[[Request, socket.socket], bool]:
    body = OK_XML[:-11] + b"<!--" + b"x" * (total - len(OK_XML) - 7) + b"--></response>"

    def answer(request: Request, sock: socket.socket) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode())
        for start in range(0, len(body), piece):
            sock.sendall(body[start : start + piece])
            time.sleep(pause)
        return False

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_the_deadline_holds_while_a_body_is_dripped(mode: str) -> None:
    policy = RetryPolicy(max_attempts=1, deadline=1.5)
    with scripted(dripping(200, 1, 0.5)) as server:
        started = time.monotonic()
        (error,) = run(mode, server.url, [READ], retries=policy, timeout=10.0)
        took = time.monotonic() - started
    assert isinstance(error, py7D.RequestTimeoutError)
    assert took < 1.5 + 1.0


@pytest.mark.parametrize("mode", MODES)
def test_read_timeouts_apply_to_each_read_not_the_whole_body(mode: str) -> None:
    # 300 KB arriving steadily over ~1.5 s, with a 1 s read timeout.
    with scripted(dripping(300_000, 20_000, 0.1)) as server:
        (result,) = run(mode, server.url, [READ], timeout=1.0)
    assert isinstance(result, py7D.Result), result


# ---------------------------------------------------------------- TLS and proxies


@pytest.fixture(scope="module")
def ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def tls_server(ca: Any, *names: str) -> Any:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return scripted(lambda request, sock: reply(sock), context=context)


def trusting(ca: Any) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("mode", MODES)
def test_tls_is_verified_including_the_host_name(mode: str, ca: Any) -> None:
    with tls_server(ca, "127.0.0.1") as server:
        ok, _ = run(mode, server.url, [READ, CREATE], verify=trusting(ca))
        (untrusted,) = run(mode, server.url, [READ])  # the default CAs do not know it
    assert isinstance(ok, py7D.Result)
    assert isinstance(untrusted, py7D.TransportError)
    assert untrusted.may_have_acted is False
    with tls_server(ca, "py7d.test") as server:  # a valid certificate for another name
        (mismatch, write) = run(mode, server.url, [READ, CREATE], verify=trusting(ca))
    for error in (mismatch, write):
        assert isinstance(error, py7D.TransportError)
        assert error.may_have_acted is False
    assert server.arrivals == []


@dataclass
class ConnectProxy:
    """A CONNECT proxy on loopback: it records each tunnel's target and relays bytes."""

    tunnels: list[str] = field(default_factory=list)
    url: str = ""

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(4096)
            if not data:
                return
            head += data
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ")
        assert method == "CONNECT"
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a: socket.socket, b: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := a.recv(65536):
                    b.sendall(data)
            with contextlib.suppress(OSError):
                b.shutdown(socket.SHUT_WR)

        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def stop(self) -> None:
        self._listener.close()


@pytest.mark.parametrize("mode", MODES)
def test_proxies_from_the_environment_are_used(
    mode: str, ca: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ConnectProxy()
    proxy.start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with tls_server(ca, "127.0.0.1") as server:
            outcomes = run(mode, server.url, [READ, CREATE], verify=trusting(ca))
            assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
            assert proxy.tunnels
            assert set(proxy.tunnels) == {server.url[8:].split("/")[0]}
            tunnels = len(proxy.tunnels)
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
            outcomes = run(mode, server.url, [READ, CREATE], verify=trusting(ca))
            assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
        assert len(proxy.tunnels) == tunnels  # NO_PROXY: straight to the server
        assert len(server.arrivals) == 4
    finally:
        proxy.stop()


def test_under_trio_everything_goes_through_httpx_over_the_network() -> None:
    trio = pytest.importorskip("trio")
    outcomes: list[Any] = []

    async def main(url: str) -> None:
        async with py7D.AsyncClient(KEY, SECRET, base_url=url, retries=None) as client:
            for resource, action, params in (READ, CREATE, READ):
                outcomes.append(await client.request(resource, action, **params))
            assert client._reads is None  # no aiohttp client was made: it needs asyncio

    with scripted(lambda request, sock: reply(sock)) as server:
        trio.run(main, server.url)
    assert all(isinstance(o, py7D.Result) for o in outcomes), outcomes
    assert {r.connection for r in server.arrivals} == {1}  # one pool, one connection
