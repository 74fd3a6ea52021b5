"""The default transport: keep-alive reuse, TLS verified, timeouts and errors mapped, hooks."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import py7D
from py7D import Py7DTransport, _transport

from .conftest import KEY, REPLY_FRAMINGS, SECRET, LocalServer, default_parser, free_port


@pytest.fixture(autouse=True, params=["httptools", "http.client"])
def http_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each reply parser the transport can pick by default."""
    return default_parser(request, monkeypatch)


def make_client(base_url: str, **options: object) -> py7D.Client:
    """No retries unless asked: these tests look at one attempt's errors."""
    options.setdefault("retries", None)
    return py7D.Client(KEY, SECRET, base_url=base_url, environ={}, **options)  # type: ignore[arg-type]


def test_the_default_transport_is_py7d_transport(local_server: LocalServer) -> None:
    with make_client(local_server.url) as client:
        assert isinstance(client._transport, Py7DTransport)


def test_sequential_calls_reuse_one_connection(local_server: LocalServer) -> None:
    with make_client(local_server.url) as client:
        results = [client.request("artist", "details", artistId=i) for i in range(1, 6)]
        transport = client._transport
        assert isinstance(transport, Py7DTransport)
        assert transport.connections_opened == 1

    assert [r.data["@id"] for r in results] == ["1", "2", "3", "4", "5"]
    assert local_server.connections == 1
    assert len(local_server.requests) == 5


def test_a_connection_the_server_closed_is_replaced(local_server: LocalServer) -> None:
    local_server.close_after_reply = True
    with make_client(local_server.url) as client:
        for i in range(3):
            assert client.request("artist", "details", artistId=i + 1).status_code == 200

    assert local_server.connections == 3


def test_chunked_replies_are_read_whole(local_server: LocalServer) -> None:
    local_server.chunked = True
    with make_client(local_server.url) as client:
        first = client.request("artist", "details", artistId=42)
        second = client.request("artist", "details", artistId=43)

    assert first.data["name"] == "Artist 42"
    assert second.data["name"] == "Artist 43"
    assert local_server.connections == 1


def test_post_bodies_are_sent_and_signed(local_server: LocalServer) -> None:
    with make_client(local_server.url) as client:
        client.request("basket", "applyVoucher", basketId="b-1", voucherCode="X Y")

    method, path, body = local_server.requests[-1]
    assert method == "POST"
    assert path.startswith("/1.2/basket/applyVoucher")
    assert b"voucherCode=X+Y" in body


def test_the_client_headers_and_timeout_reach_the_wire(local_server: LocalServer) -> None:
    seen: list[httpx.Request] = []
    with make_client(local_server.url, timeout=7.5, event_hooks={"request": [seen.append]}) as c:
        c.request("artist", "details", artistId=1)

    request = seen[0]
    assert request.headers["user-agent"].startswith(f"py7D/{py7D.__version__}")
    assert "xml" in request.headers["accept"]
    assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


def test_https_is_verified_by_default(tls_server: LocalServer) -> None:
    with make_client(tls_server.url) as client, pytest.raises(py7D.TransportError) as info:
        client.request("artist", "details", artistId=1)

    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value.__cause__)
    assert info.value.may_have_acted is False


def test_https_with_a_trusted_ca_works_and_keeps_alive(
    tls_server: LocalServer, client_context: ssl.SSLContext
) -> None:
    with make_client(tls_server.url, verify=client_context) as client:
        for i in range(3):
            assert client.request("artist", "details", artistId=i + 1).status_code == 200

    assert tls_server.connections == 1


def test_a_read_timeout_becomes_request_timeout_error(local_server: LocalServer) -> None:
    local_server.delay = 1.0
    client = make_client(local_server.url, timeout=0.1)
    with client, pytest.raises(py7D.RequestTimeoutError) as info:
        client.request("artist", "details", artistId=1)

    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.may_have_acted is True
    assert info.value.request is not None
    assert "artist/details" in info.value.request


def test_a_refused_connection_becomes_transport_error() -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}/1.2")
    with client, pytest.raises(py7D.TransportError) as info:
        client.request("artist", "details", artistId=1)

    assert type(info.value) is py7D.TransportError
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.may_have_acted is False


def test_event_hooks_see_the_signed_request_and_the_unread_response(
    local_server: LocalServer,
) -> None:
    calls: list[str] = []

    def on_request(request: httpx.Request) -> None:
        calls.append("request:" + ("signed" if "authorization" in request.headers else "plain"))

    def on_response(response: httpx.Response) -> None:
        calls.append(f"response:{response.status_code}:{response.request.url.path}")

    hooks = {"request": [on_request], "response": [on_response]}
    with make_client(local_server.url, event_hooks=hooks) as client:
        client.request("artist", "details", artistId=1)
        client.oauth_2legged_request("artist", "details", artistId=1)

    assert calls == [
        "request:plain",
        "response:200:/1.2/artist/details",
        "request:signed",
        "response:200:/1.2/artist/details",
    ]


def test_a_response_hook_can_raise(local_server: LocalServer) -> None:
    def refuse(response: httpx.Response) -> None:
        raise RuntimeError("refused by hook")

    client = make_client(local_server.url, event_hooks={"response": [refuse]})
    with client, pytest.raises(RuntimeError, match="refused by hook"):
        client.request("artist", "details", artistId=1)


def test_unknown_event_hook_names_are_refused() -> None:
    with pytest.raises(py7D.ConfigurationError, match="event_hooks"):
        make_client("http://127.0.0.1:1/1.2", event_hooks={"requests": []})


def test_httpx_transports_still_plug_in(local_server: LocalServer) -> None:
    with make_client(local_server.url, transport=httpx.HTTPTransport()) as client:
        assert client.request("artist", "details", artistId=9).data["@id"] == "9"


def test_a_borrowed_httpx_client_gets_the_hooks_it_was_given(local_server: LocalServer) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]})
    with py7D.Client(KEY, SECRET, base_url=local_server.url, environ={}, http_client=http) as c:
        c.request("artist", "details", artistId=1)

    assert seen == ["/1.2/artist/details"]
    assert not http.is_closed
    http.close()


def test_close_marks_the_client_closed(local_server: LocalServer) -> None:
    with make_client(local_server.url) as client:
        client.request("artist", "details", artistId=1)
        assert not client.is_closed

    assert client.is_closed


def test_one_client_serves_many_threads(local_server: LocalServer) -> None:
    errors: list[BaseException] = []
    with make_client(local_server.url) as client:

        def work(offset: int) -> None:
            try:
                for i in range(10):
                    artist = offset * 100 + i
                    got = client.request("artist", "details", artistId=artist).data["@id"]
                    assert got == str(artist)
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len(local_server.requests) == 40
    assert local_server.connections <= 4


def test_environment_proxies_switch_to_a_full_httpx_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    with py7D.Client(KEY, SECRET, environ={}) as client:
        assert isinstance(client._http, httpx.Client)


def test_a_streamed_request_body_is_sent_with_its_length(local_server: LocalServer) -> None:
    transport = Py7DTransport()
    request = httpx.Request("POST", f"{local_server.url}/x", content=iter([b"a=", b"1"]))
    assert request.headers["transfer-encoding"] == "chunked"

    response = transport.handle_request(request)
    response.read()
    transport.close()

    assert response.status_code == 200
    assert local_server.requests[-1][2] == b"a=1"


class ScriptedServer:
    """Answers the n-th request on each connection with ``replies[n]`` verbatim, then hangs up.

    An empty reply means: read the request, answer nothing. ``requests`` counts them all.
    """

    def __init__(self, replies: list[bytes]) -> None:
        self.replies = replies
        self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}/1.2"
        self.url = self.base + "/x"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    for reply in self.replies:
                        data = b""
                        while b"\r\n\r\n" not in data:
                            chunk = conn.recv(65536)
                            if not chunk:
                                break
                            data += chunk
                        if not data:  # the client hung up: on to the next connection
                            break
                        self.requests += 1
                        conn.sendall(reply)

    def close(self) -> None:
        self.sock.close()


class HangUpServer(ScriptedServer):
    """Each connection answers its first request, then reads the next one and hangs up."""

    BODY = b'<response status="ok" version="1.2"/>'
    OK = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)

    def __init__(self) -> None:
        super().__init__([self.OK, b""])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_transport_never_resends_an_unanswered_request(method: str) -> None:
    # On 7digital a GET can be a purchase: resending is the retry policy's call.
    server = HangUpServer()
    transport = Py7DTransport()
    try:
        transport.handle_request(httpx.Request(method, server.url, content=b"a=1")).read()
        with pytest.raises(httpx.RemoteProtocolError):
            transport.handle_request(httpx.Request(method, server.url, content=b"a=1"))
    finally:
        transport.close()
        server.close()

    assert server.requests == 2


def test_the_client_retries_a_read_on_a_new_connection_but_not_a_purchase() -> None:
    server = HangUpServer()
    policy = py7D.RetryPolicy(max_attempts=2, backoff_base=0.0)
    client = py7D.Client(KEY, SECRET, base_url=server.base, environ={}, retries=policy)
    try:
        client.request("artist", "details", artistId=1)
        again = client.request("artist", "details", artistId=1)  # dead, then a new connection
        assert server.requests == 3
        # The second request on the new connection dies unanswered too: a state-changing
        # call is not sent again.
        with pytest.raises(py7D.TransportError) as info:
            client.request("basket", "addItem", basketId="b-1", releaseId=1)
    finally:
        client.close()
        server.close()

    assert again.status_code == 200
    assert server.requests == 4
    assert info.value.may_have_acted is True


def test_a_compressed_reply_is_decoded() -> None:
    import gzip

    from py7D._transport import read_response

    body = b"<response/>"
    plain = read_response(200, [(b"Content-Length", b"11")], body, {})
    packed = gzip.compress(body)
    encoded = read_response(200, [(b"Content-Encoding", b"gzip")], packed, {})

    assert plain.content == body
    assert encoded.read() == body


def test_verify_takes_a_ca_bundle_path(tls_server: LocalServer, ca: Any, tmp_path: Any) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with make_client(tls_server.url, verify=str(bundle)) as client:
        assert client.request("artist", "details", artistId=1).status_code == 200


# --------------------------------------------------------------------------- reply framing

BODY = b"<response/>"


@contextlib.contextmanager
def scripted(replies: list[bytes]) -> Iterator[tuple[str, Py7DTransport]]:
    """A :class:`ScriptedServer`'s URL and a transport, both closed afterwards."""
    server = ScriptedServer(replies)
    transport = Py7DTransport()
    try:
        yield server.url, transport
    finally:
        transport.close()
        server.close()


@pytest.mark.parametrize(("reply", "body"), REPLY_FRAMINGS)
def test_reply_framings(reply: bytes, body: bytes) -> None:
    with scripted([reply]) as (url, transport):
        response = transport.handle_request(httpx.Request("GET", url))
        response.read()

    assert response.content == body
    assert response.extensions["http_version"] in (b"HTTP/1.1", b"HTTP/1.0")


def test_a_head_reply_then_a_get_on_the_same_connection() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
    with scripted([head, head + BODY]) as (url, transport):
        first = transport.handle_request(httpx.Request("HEAD", url))
        second = transport.handle_request(httpx.Request("GET", url))
        second.read()

    assert first.headers["content-length"] == "11"
    assert second.content == BODY
    assert transport.connections_opened == 1


def test_a_large_reply_is_streamed_and_the_connection_kept() -> None:
    big = b"x" * (_transport.EAGER_READ_LIMIT + 10)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(big), big)
    with scripted([reply, b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + BODY]) as (
        url,
        transport,
    ):
        first = transport.handle_request(httpx.Request("GET", url))
        assert first.read() == big
        first.close()
        second = transport.handle_request(httpx.Request("GET", url))
        second.read()

    assert second.content == BODY
    assert transport.connections_opened == 1


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTX/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
        b"",  # the server hangs up without a word
    ],
)
def test_broken_replies_are_remote_protocol_errors(reply: bytes) -> None:
    with scripted([reply]) as (url, transport), pytest.raises(httpx.RemoteProtocolError):
        transport.handle_request(httpx.Request("GET", url)).read()


def test_bytes_after_a_whole_reply_retire_the_connection(http_parser: str) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + BODY
    with scripted([ok + b"HTTP/1.1 200 OK\r\n", ok]) as (url, transport):
        first = transport.handle_request(httpx.Request("GET", url))
        second = transport.handle_request(httpx.Request("GET", url))
        second.read()

    assert first.content == BODY
    assert second.content == BODY
    # httptools sees the stray bytes and retires the connection. http.client (the
    # fallback) reads them into the finished reply's buffer and drops them unseen.
    assert transport.connections_opened == (2 if http_parser == "httptools" else 1)


def test_the_parser_is_the_one_asked_for(http_parser: str) -> None:
    assert Py7DTransport().http_parser == http_parser
    assert Py7DTransport(http_parser="http.client").http_parser == "http.client"
    with pytest.raises(ValueError, match="http_parser"):
        Py7DTransport(http_parser="h11")  # type: ignore[arg-type]
