"""The default async transport: keep-alive, TLS verified, timeouts and errors mapped."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

import httpx
import pytest

import py7D
from py7D import Py7DAsyncTransport

from .conftest import KEY, REPLY_FRAMINGS, SECRET, LocalServer, default_parser, free_port


@pytest.fixture(autouse=True, params=["httptools", "h11"])
def http_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each reply parser the transport can pick by default."""
    return default_parser(request, monkeypatch)


def make_client(base_url: str, **options: object) -> py7D.AsyncClient:
    """No retries unless asked: these tests look at one attempt's errors."""
    options.setdefault("retries", None)
    return py7D.AsyncClient(KEY, SECRET, base_url=base_url, environ={}, **options)  # type: ignore[arg-type]


async def test_the_default_transport_is_py7d_async_transport() -> None:
    async with make_client("http://127.0.0.1:1/1.2") as client:
        assert isinstance(client._transport, Py7DAsyncTransport)


async def test_sequential_calls_reuse_one_connection(local_server: LocalServer) -> None:
    async with make_client(local_server.url) as client:
        for i in range(1, 6):
            assert (await client.request("artist", "details", artistId=i)).data["@id"] == str(i)

    assert local_server.connections == 1


async def test_concurrent_calls_open_at_most_one_connection_each(
    local_server: LocalServer,
) -> None:
    local_server.delay = 0.02
    async with make_client(local_server.url) as client:
        ids = list(range(1, 41))
        first = await client.map("artist", "details", "artistId", ids, concurrency=8)
        second = await client.map("artist", "details", "artistId", ids, concurrency=8)

    assert [r.data["@id"] for r in first + second] == [str(i) for i in ids + ids]
    assert local_server.connections <= 8  # the second run reused the first run's connections


async def test_a_connection_the_server_closed_is_replaced(local_server: LocalServer) -> None:
    local_server.close_after_reply = True
    async with make_client(local_server.url) as client:
        for i in range(3):
            await client.request("artist", "details", artistId=i + 1)
            await asyncio.sleep(0.01)  # let the loop see the server's close

    assert local_server.connections == 3


async def test_chunked_replies_are_read_whole(local_server: LocalServer) -> None:
    local_server.chunked = True
    async with make_client(local_server.url) as client:
        first = await client.request("artist", "details", artistId=42)
        second = await client.request("artist", "details", artistId=43)

    assert (first.data["name"], second.data["name"]) == ("Artist 42", "Artist 43")
    assert local_server.connections == 1


async def test_post_bodies_are_sent(local_server: LocalServer) -> None:
    async with make_client(local_server.url) as client:
        await client.request("basket", "applyVoucher", basketId="b-1", voucherCode="X Y")

    method, _, body = local_server.requests[-1]
    assert method == "POST"
    assert b"voucherCode=X+Y" in body


async def test_https_is_verified_by_default(tls_server: LocalServer) -> None:
    client = make_client(tls_server.url)
    async with client:
        with pytest.raises(py7D.TransportError) as info:
            await client.request("artist", "details", artistId=1)

    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value.__cause__)


async def test_https_with_a_trusted_ca_works_and_keeps_alive(
    tls_server: LocalServer, client_context: ssl.SSLContext
) -> None:
    async with make_client(tls_server.url, verify=client_context) as client:
        for i in range(3):
            assert (await client.request("artist", "details", artistId=i + 1)).status_code == 200

    assert tls_server.connections == 1


async def test_a_read_timeout_becomes_request_timeout_error(local_server: LocalServer) -> None:
    local_server.delay = 1.0
    client = make_client(local_server.url, timeout=0.1)
    async with client:
        with pytest.raises(py7D.RequestTimeoutError) as info:
            await client.request("artist", "details", artistId=1)

    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.may_have_acted is True


async def test_a_refused_connection_becomes_transport_error() -> None:
    client = make_client(f"http://127.0.0.1:{free_port()}/1.2")
    async with client:
        with pytest.raises(py7D.TransportError) as info:
            await client.request("artist", "details", artistId=1)

    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert info.value.may_have_acted is False


async def test_a_cancelled_call_does_not_poison_the_pool(local_server: LocalServer) -> None:
    local_server.delay = 0.3
    async with make_client(local_server.url) as client:
        task = asyncio.ensure_future(client.request("artist", "details", artistId=1))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        local_server.delay = 0.0
        result = await client.request("artist", "details", artistId=2)

    assert result.data["@id"] == "2"  # not the late reply to the cancelled call


async def test_unsupported_schemes_are_refused() -> None:
    transport = Py7DAsyncTransport()
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://example.com/"))
    await transport.aclose()


# --------------------------------------------------------------------------- reply framing

BODY = b"<response/>"


async def scripted(replies: list[bytes]) -> tuple[asyncio.AbstractServer, str, list[bytes]]:
    """A server that answers the n-th request on a connection with ``replies[n]`` verbatim."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for reply in replies:
            try:
                seen.append(await reader.readuntil(b"\r\n\r\n"))
            except asyncio.IncompleteReadError:
                break
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/x", seen


@pytest.mark.parametrize(("reply", "body"), REPLY_FRAMINGS)
async def test_reply_framings(reply: bytes, body: bytes) -> None:
    server, url, _ = await scripted([reply])
    transport = Py7DAsyncTransport()
    async with server:
        response = await transport.handle_async_request(httpx.Request("GET", url))
        await response.aread()
    await transport.aclose()

    assert response.content == body


async def test_a_head_reply_has_no_body_even_with_a_length() -> None:
    server, url, _ = await scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"] * 2)
    transport = Py7DAsyncTransport()
    async with server:
        first = await transport.handle_async_request(httpx.Request("HEAD", url))
        second = await transport.handle_async_request(httpx.Request("HEAD", url))
    await transport.aclose()

    assert (first.status_code, second.status_code) == (200, 200)
    assert transport.connections_opened == 1


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTX/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
    ],
)
async def test_broken_replies_are_remote_protocol_errors(reply: bytes) -> None:
    server, url, _ = await scripted([reply])
    transport = Py7DAsyncTransport()
    async with server:
        with pytest.raises(httpx.RemoteProtocolError):
            await transport.handle_async_request(httpx.Request("GET", url))
    await transport.aclose()


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_transport_never_resends_an_unanswered_request(method: str) -> None:
    # Each connection answers its first request, then reads the second and hangs up silently.
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + BODY
    server, url, seen = await scripted([ok, b""])
    transport = Py7DAsyncTransport()
    async with server:
        await transport.handle_async_request(httpx.Request(method, url, content=b"a=1"))
        with pytest.raises(httpx.RemoteProtocolError):
            await transport.handle_async_request(httpx.Request(method, url, content=b"a=1"))
    await transport.aclose()

    assert len(seen) == 2


def test_under_trio_the_client_falls_back_to_httpcore(local_server: LocalServer) -> None:
    trio = pytest.importorskip("trio")

    async def main() -> list[str]:
        async with make_client(local_server.url) as client:
            results = await client.map("artist", "details", "artistId", [1, 2, 3], concurrency=2)
            assert isinstance(client._transport, Py7DAsyncTransport)
            assert client._transport._fallback is not None
        return [r.data["@id"] for r in results]

    assert trio.run(main) == ["1", "2", "3"]


async def test_a_streamed_request_body_is_sent_with_its_length(local_server: LocalServer) -> None:
    async def body():
        yield b"a="
        yield b"1"

    transport = Py7DAsyncTransport()
    request = httpx.Request("POST", f"{local_server.url}/x", content=body())
    response = await transport.handle_async_request(request)
    await transport.aclose()

    assert response.status_code == 200
    assert local_server.requests[-1][2] == b"a=1"


async def test_the_parser_is_the_one_asked_for(http_parser: str) -> None:
    assert Py7DAsyncTransport().http_parser == http_parser
    assert Py7DAsyncTransport(http_parser="h11").http_parser == "h11"
    with pytest.raises(ValueError, match="http_parser"):
        Py7DAsyncTransport(http_parser="llhttp")  # type: ignore[arg-type]


def test_httptools_is_the_default_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real choice, not the fixture's
    pytest.importorskip("httptools")
    assert Py7DAsyncTransport().http_parser == "httptools"


async def test_a_head_reply_then_a_get_on_the_same_connection() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
    server, url, _ = await scripted([head, head + BODY])
    transport = Py7DAsyncTransport()
    async with server:
        first = await transport.handle_async_request(httpx.Request("HEAD", url))
        second = await transport.handle_async_request(httpx.Request("GET", url))
        await second.aread()
    await transport.aclose()

    assert first.headers["content-length"] == "11"
    assert second.content == BODY
    assert transport.connections_opened == 1


async def test_bytes_after_a_whole_reply_retire_the_connection() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + BODY
    server, url, _ = await scripted([ok + b"HTTP/1.1 200 OK\r\n", ok])
    transport = Py7DAsyncTransport()
    async with server:
        first = await transport.handle_async_request(httpx.Request("GET", url))
        await asyncio.sleep(0.05)  # let the extra bytes arrive
        second = await transport.handle_async_request(httpx.Request("GET", url))
        await second.aread()
    await transport.aclose()

    assert first.content == BODY
    assert second.content == BODY
    assert transport.connections_opened == 2  # the first connection was not trusted again


async def test_endless_reply_headers_are_refused_before_the_server_hangs_up() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nX-Filler: ")
        for _ in range(40):  # 80 KB of one header line that never ends, then silence
            writer.write(b"a" * 2048)
            await writer.drain()
            await asyncio.sleep(0.001)
        await reader.read()  # until the client hangs up
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"
    transport = Py7DAsyncTransport()
    async with server:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.RemoteProtocolError):
            await transport.handle_async_request(httpx.Request("GET", url))
        assert asyncio.get_running_loop().time() - started < 5
    await transport.aclose()


async def test_connection_close_replies_are_not_kept() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n" + BODY
    server, url, _ = await scripted([ok])
    transport = Py7DAsyncTransport()
    async with server:
        await transport.handle_async_request(httpx.Request("GET", url))
        assert not any(transport._idle.values())
    await transport.aclose()


@pytest.mark.parametrize("framing", ["chunked", "length"])
async def test_an_endless_reply_is_cut_at_the_client_cap(framing: str) -> None:
    """The async transport reads replies whole: past max_response_bytes it stops reading."""
    sent = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await reader.readuntil(b"\r\n\r\n")
        head = (
            b"Transfer-Encoding: chunked\r\n"
            if framing == "chunked"
            else b"Content-Length: 1000000000\r\n"
        )
        writer.write(b"HTTP/1.1 200 OK\r\n" + head + b"\r\n")
        chunk = b"x" * 16384
        frame = b"4000\r\n" + chunk + b"\r\n" if framing == "chunked" else chunk
        with contextlib.suppress(ConnectionError):
            while sent < 50_000_000:  # far past the cap; stops when the client hangs up
                writer.write(frame)
                sent += len(chunk)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/1.2"
    async with server, make_client(base, max_response_bytes=100_000) as client:
        with pytest.raises(py7D.ResponseParseError, match="larger than max_response_bytes"):
            await client.request("status")

    assert sent < 5_000_000  # the client hung up soon after the cap, not at the end
