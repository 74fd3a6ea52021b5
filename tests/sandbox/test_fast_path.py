"""The served app's fast path for cached catalogue reads: the same bytes as ``handle``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sandbox_support import ALICE, KEY, Clock, Signer, access_token

from py7D.sandbox import Sandbox
from py7D.sandbox._server import _send, _to_httpx, asgi_app

BASE = "http://127.0.0.1:8123/1.2"
Messages = list[dict[str, Any]]


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    return {
        "type": "http",
        "method": request.method,
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": ("127.0.0.1", 8123),
    }


async def _call(app: Any, request: httpx.Request) -> Messages:
    sent: Messages = []
    body = request.read()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(_scope(request), receive, send)
    return sent


async def _reference(sandbox: Sandbox, request: httpx.Request) -> Messages:
    """What the app sent before the fast path: always ``handle``, then ``_send``."""
    sent: Messages = []

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = _scope(request)
    response = sandbox.handle(_to_httpx(scope, request.read()))
    await _send(send, response, head=request.method == "HEAD")
    return sent


class Counting(Sandbox):
    """A sandbox that counts the requests that reach ``handle``."""

    handled = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.handled += 1
        return super().handle(request)


def _compare(requests: list[httpx.Request], **options: Any) -> tuple[Counting, list[Messages]]:
    """Send ``requests`` through the app and the reference on twin sandboxes; both agree."""
    clock = Clock()
    served = Counting(clock=clock, base_url=BASE, **options)
    twin = Sandbox(clock=clock, base_url=BASE, **options)
    app = asgi_app(served)
    replies = []

    async def run() -> None:
        for request in requests:
            got = await _call(app, request)
            want = await _reference(twin, request)
            assert got == want, request.url
            replies.append(got)
            clock.advance(1.5)

    asyncio.run(run())
    return served, replies


def _get(path: str, method: str = "GET", headers: dict[str, str] | None = None) -> httpx.Request:
    return httpx.Request(method, f"{BASE}/{path}", headers=headers)


def _rate(reply: Messages) -> dict[bytes, bytes]:
    return {k: v for k, v in reply[0]["headers"] if k.startswith(b"x-ratelimit")}


def test_cached_reads_are_byte_identical_to_handle() -> None:
    details = f"artist/details?artistId=2&oauth_consumer_key={KEY}"
    requests = [
        _get(details),
        _get(details),
        _get(details, "HEAD"),
        _get(details),
        _get(f"artist/details?oauth_consumer_key={KEY}&artistId=2"),
        _get(f"release/details?releaseId=100007&oauth_consumer_key={KEY}"),
        _get(f"release/details?releaseId=100007&oauth_consumer_key={KEY}"),
        _get("artist/details?artistId=2", headers={"Authorization": f"oauth_consumer_key={KEY}"}),
        _get("artist/details?artistId=2", headers={"Authorization": f"oauth_consumer_key={KEY}"}),
        _get(details, headers={"Host": "example.test:81"}),
        _get(details, headers={"Host": "example.test:81"}),
        _get(details),
    ]
    served, replies = _compare(requests)
    # Every repeat after the first of its kind took the fast path.
    assert served.handled == 6
    current = [_rate(r)[b"x-ratelimit-current"] for r in replies]
    assert current == [str(n).encode() for n in range(1, len(requests) + 1)]
    assert replies[2][1]["body"] == b""
    assert replies[3][1]["body"].startswith(b"<?xml")


def test_the_fast_path_still_counts_against_the_rate_limit() -> None:
    details = f"artist/details?artistId=2&oauth_consumer_key={KEY}"
    served, replies = _compare([_get(details) for _ in range(4)], rate_limit=2)
    assert [r[0]["status"] for r in replies] == [200, 200, 429, 429]
    assert served.handled == 1


def test_signed_user_unknown_key_and_error_requests_never_take_it() -> None:
    clock = Clock()
    signer = Signer(clock, BASE)
    token = access_token(Sandbox(clock=clock, base_url=BASE), ALICE)
    requests: list[httpx.Request] = []
    for _ in range(2):
        requests += [
            signer.request("GET", "artist/details", {"artistId": 2}, place="query"),
            signer.request("GET", "artist/details", {"artistId": 2}, place="header"),
            signer.request("GET", "user/locker", token=token, place="query"),
            _get("artist/details?artistId=2&oauth_consumer_key=unknown"),
            _get("artist/details?artistId=2"),
            _get(f"artist/details?artistId=abc&oauth_consumer_key={KEY}"),
            _get(f"artist/details?oauth_consumer_key={KEY}"),
            _get(f"artist/details?artistId=2&country=ZZ&oauth_consumer_key={KEY}"),
            _get(f"artist/details?artistId=2&oauth_consumer_key={KEY}&oauth_nonce=1"),
            _get(f"nothing?oauth_consumer_key={KEY}"),
            _get(f"release/details?releaseId=1000001&oauth_consumer_key={KEY}"),
            httpx.Request(
                "POST", f"{BASE}/artist/details?artistId=2&oauth_consumer_key={KEY}", content=b"x"
            ),
        ]
    served, _ = _compare(requests)
    assert served.handled == len(requests)
