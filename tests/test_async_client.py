"""AsyncClient parity: the same calls give the same results and errors as Client.

Both clients are driven by the same MockTransport handler (httpx's
MockTransport serves sync and async clients alike), and by the sandbox when
``py7D.sandbox`` is importable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

import py7D
from client_support import API, KEY, SECRET, LocalServer, artist_reply

pytestmark = pytest.mark.usefixtures("_isolated_env")

TOKEN = py7D.Token("user-token", "user-secret")


class Recorder:
    """Answers every call with a small artist reply and keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return artist_reply(request, {"cache-control": "private, max-age=60"})


def sync_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> py7D.Client:
    kw.setdefault("retries", None)  # one attempt each: parity of what one exchange gives
    return py7D.Client(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler), **kw
    )


def async_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> py7D.AsyncClient:
    kw.setdefault("retries", None)
    return py7D.AsyncClient(
        KEY, SECRET, base_url=API, environ={}, transport=httpx.MockTransport(handler), **kw
    )


def strip_signature(request: httpx.Request) -> tuple[str, str, list[str], bytes]:
    """A request without its nonce/timestamp/signature, to compare two clients' requests."""
    auth = request.headers.get("authorization", "")
    fields = sorted(
        part.strip()
        for part in auth.removeprefix("OAuth ").split(",")
        if part.strip()
        and not part.strip().startswith(("oauth_nonce", "oauth_timestamp", "oauth_signature="))
    )
    return request.method, str(request.url), fields, request.content


CALLS: list[tuple[str, str | None, dict[str, Any], str]] = [
    ("artist", "details", {"artistId": 5}, "request"),
    ("artist", "search", {"q": "pink floyd", "pageSize": 3}, "request"),
    ("artist", "details", {"artistId": 6}, "2-legged"),
    ("user", "locker", {"pageSize": 2}, "3-legged"),
    ("basket", "applyVoucher", {"basketId": "b-1", "voucherCode": "Ünï"}, "request"),
    ("users", "{id}/update", {"id": 42, "emailAddress": "a@b.c"}, "3-legged"),
]


def call_sync(client: py7D.Client, resource: str, action: str | None, params: Any, kind: str):
    if kind == "2-legged":
        return client.oauth_2legged_request(resource, action, **params)
    if kind == "3-legged":
        return client.oauth_3legged_request(resource, action, TOKEN, **params)
    return client.request(resource, action, **params)


async def call_async(
    client: py7D.AsyncClient, resource: str, action: str | None, params: Any, kind: str
):
    if kind == "2-legged":
        return await client.oauth_2legged_request(resource, action, **params)
    if kind == "3-legged":
        return await client.oauth_3legged_request(resource, action, TOKEN, **params)
    return await client.request(resource, action, **params)


@pytest.mark.parametrize(("resource", "action", "params", "kind"), CALLS)
async def test_same_requests_and_results(
    resource: str, action: str | None, params: dict[str, Any], kind: str
) -> None:
    sync_seen, async_seen = Recorder(), Recorder()
    with sync_client(sync_seen) as client:
        expected = call_sync(client, resource, action, params, kind)
    async with async_client(async_seen) as aclient:
        got = await call_async(aclient, resource, action, params, kind)

    assert got == expected  # response and http_headers
    assert (got.status_code, got.rate_limit, got.endpoint, got.request, got.root) == (
        expected.status_code,
        expected.rate_limit,
        expected.endpoint,
        expected.request,
        expected.root,
    )
    assert [strip_signature(r) for r in async_seen.requests] == [
        strip_signature(r) for r in sync_seen.requests
    ]
    sent = async_seen.requests[0]
    assert sent.headers["user-agent"].startswith("py7D/")
    assert sent.extensions["timeout"]["read"] == 30.0


def test_the_public_surface_matches() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    sync_only, async_only = {"close"}, {"aclose"}
    assert public(py7D.Client) - sync_only == public(py7D.AsyncClient) - async_only


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (lambda r: artist_reply(httpx.Request("GET", "http://x/?artistId=0")), "ResourceNotFound"),
        (lambda r: httpx.Response(401, text="OAuth authentication error: Not authorised"), "OAuth"),
        (lambda r: httpx.Response(200, text="<html>nope</html>"), "ResponseParse"),
    ],
)
async def test_same_errors(handler: Callable[[httpx.Request], httpx.Response], error: str) -> None:
    with sync_client(handler) as client, pytest.raises(py7D.Py7DError) as sync_info:
        client.request("artist", "details", artistId=1)
    async with async_client(handler) as aclient:
        with pytest.raises(py7D.Py7DError) as async_info:
            await aclient.request("artist", "details", artistId=1)

    assert type(async_info.value) is type(sync_info.value)
    assert type(sync_info.value).__name__.startswith(error)
    assert str(async_info.value) == str(sync_info.value)


async def test_transport_errors_are_mapped_the_same_way() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with async_client(handler) as aclient:
        with pytest.raises(py7D.RequestTimeoutError) as info:
            await aclient.request("artist", "details", artistId=1)

    assert info.value.may_have_acted is True


async def test_async_event_hooks_run_in_order() -> None:
    seen: list[str] = []

    async def on_request(request: httpx.Request) -> None:
        seen.append("signed" if "authorization" in request.headers else "plain")

    async def on_response(response: httpx.Response) -> None:
        seen.append(str(response.status_code))

    hooks = {"request": [on_request], "response": [on_response]}
    async with async_client(Recorder(), event_hooks=hooks) as aclient:
        await aclient.request("artist", "details", artistId=1)
        await aclient.oauth_2legged_request("artist", "details", artistId=1)

    assert seen == ["plain", "200", "signed", "200"]


async def test_default_async_transport_over_the_network(local_server: LocalServer) -> None:
    async with py7D.AsyncClient(KEY, SECRET, base_url=local_server.url, environ={}) as aclient:
        results = [await aclient.request("artist", "details", artistId=i) for i in (1, 2, 3)]
        assert not aclient.is_closed

    assert aclient.is_closed
    assert [r.data["@id"] for r in results] == ["1", "2", "3"]
    assert local_server.connections == 1


async def test_a_borrowed_async_http_client_is_left_open() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(Recorder()))
    async with py7D.AsyncClient(KEY, SECRET, base_url=API, environ={}, http_client=http) as c:
        await c.request("artist", "details", artistId=1)

    assert not http.is_closed
    await http.aclose()


def _sandbox() -> Any:
    try:
        from py7D import sandbox  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pytest.skip("py7D.sandbox has not landed on this branch yet")
    return sandbox


@pytest.mark.parametrize(
    ("resource", "action", "params", "kind"),
    [
        ("artist", "search", {"q": "pink", "pageSize": 3}, "request"),
        ("artist", "details", {"artistId": 2}, "request"),
        ("tag", None, {}, "request"),
        ("release", "details", {"releaseId": 100001}, "2-legged"),
        ("artist", "details", {"artistId": 99999999}, "request"),  # an error: the same error
    ],
)
async def test_same_results_from_the_sandbox(
    resource: str, action: str | None, params: dict[str, Any], kind: str
) -> None:
    sandbox = _sandbox()
    box = sandbox.Sandbox()
    credentials = (sandbox.DEFAULT_CONSUMER_KEY, sandbox.DEFAULT_CONSUMER_SECRET)
    options = {"base_url": box.base_url, "environ": {}, "transport": box.transport()}

    def outcome(produce: Callable[[], Any]) -> Any:
        try:
            result = produce()
        except py7D.Py7DError as exc:
            return type(exc), str(exc)
        return result["response"], result.status_code, result.rate_limit is not None

    with py7D.Client(*credentials, **options) as client:
        expected = outcome(lambda: call_sync(client, resource, action, params, kind))
    async with py7D.AsyncClient(*credentials, **options) as aclient:
        try:
            result = await call_async(aclient, resource, action, params, kind)
        except py7D.Py7DError as exc:
            got: Any = (type(exc), str(exc))
        else:
            got = result["response"], result.status_code, result.rate_limit is not None

    assert got == expected
