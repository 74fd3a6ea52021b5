"""The asyncio :class:`AsyncClient`: the same calls as :class:`py7D.Client`, awaited."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._auth import TokenLike
from ._bulk import gather_async, on_asyncio
from ._client import BaseClient, ClientOptions, TimeoutLike
from ._download import AsyncDownloads
from ._endpoints import AuthLevel
from ._exceptions import Py7DError, map_transport_errors
from ._http import (
    aread_body,
    may_resend,
    new_async_client,
    new_read_client,
    refused_by_strict_parser,
    safe_to_resend,
)
from ._paging import PagePlan
from ._quota import bulk_calls
from ._request import PreparedCall
from ._resources import AsyncResources
from ._result import Result
from ._retry import RetryState

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(BaseClient, AsyncResources, AsyncDownloads):
    """A 7digital API client for asyncio (and trio); ``async with`` it.

    Takes the same arguments as :class:`py7D.Client`; ``transport`` is an
    ``httpx.AsyncBaseTransport``, ``event_hooks`` are async functions and
    ``http_client`` an ``httpx.AsyncClient``.

    By default, calls that change state (and calls the endpoint table does not
    know) go through ``httpx.AsyncHTTPTransport``, which never sends a request
    twice; reads go through ``httpx-aiohttp``'s ``AiohttpTransport``, which
    keeps many calls in flight cheaply (under trio, httpx's transport carries
    everything). A transport or client of your own built on aiohttp carries
    only reads too. Everything but the sending is shared with
    :class:`py7D.Client` through :class:`py7D._client.BaseClient`. Concurrent
    calls (:meth:`map`, ``asyncio.gather``) share the pool, the cache and the
    throttle; retry and throttle waits are ``asyncio.sleep``, so they never
    block the loop.

    >>> async with py7D.AsyncClient() as client:                   # doctest: +SKIP
    ...     result = await client.request("artist", "search", q="pink")
    ...     details = await client.map("release", "details", "releaseId", ids, concurrency=20)
    """

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        country: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(consumer_key, consumer_secret, country, base_url, timeout, **options)
        self._check_senders(transport, http_client)
        if http_client is not None and timeout is None:
            self.timeout = http_client.timeout  # your client, your timeouts
        self._closed = False
        # _http carries every call that may change state; _reads (when set) carries reads.
        self._reads: httpx.AsyncClient | None = None
        # A client of py7D's own for reads is made on the first read, under asyncio.
        self._default_reads = http_client is None and transport is None
        # Set once aiohttp's parser refused a reply httpx accepts: reads go through httpx then.
        self._strict_reads_refused = False
        if http_client is not None and may_resend(http_client):
            self._reads = http_client
            http_client = None
        elif transport is not None and may_resend(transport):
            self._reads = new_async_client(self._http_options(), transport)
            self._owned.append(self._reads)
            transport = None
        if http_client is None:
            http_client = new_async_client(self._http_options(), transport)
            self._owned.append(http_client)
        self._http: httpx.AsyncClient = http_client

    async def request(
        self,
        resource: str,
        action: str | None = None,
        /,
        *,
        params: Mapping[str, Any] | None = None,
        access_token: TokenLike | None = None,
        auth: AuthLevel | str | None = None,
        http_method: str | None = None,
        normalize: bool | None = None,
        timeout: TimeoutLike = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> Result:
        """Call ``resource/action``; see :meth:`py7D.Client.request`."""
        call = self._prepare(
            resource,
            action,
            self._merge(params, kwargs),
            access_token=access_token,
            auth=auth,
            http_method=http_method,
            validate=validate,
        )
        cached = self._cached(call, normalize)
        if cached is not None:
            return cached
        state = self._begin(call)
        while True:
            try:
                return self._finish(call, await self._send(call, state, timeout), normalize)
            except Py7DError as exc:
                wait = self._retry_wait(call, state, exc)
                if wait is None:
                    raise
                await self.retries.async_sleep(wait)

    async def _paged(
        self,
        resource: str,
        action: str | None,
        limit: int | None,
        params: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        access_token: TokenLike | None,
        auth: AuthLevel | str | None,
        http_method: str | None,
        normalize: bool | None,
        concurrency: int | None,
    ) -> AsyncIterator[tuple[Result, list[Any]]]:
        """Each page's result with its items, for :meth:`pages` and :meth:`items`."""
        walk = self._walk(resource, action, params, kwargs, limit, http_method)
        pages = self._page_concurrency(concurrency)
        fetch = functools.partial(
            self.request,
            resource,
            action,
            access_token=access_token,
            auth=auth,
            http_method=http_method,
            normalize=normalize,
        )
        if pages > 1 and on_asyncio():
            async for pair in self._paged_concurrently(PagePlan(walk, pages), fetch):
                yield pair
            return
        while (page := walk.next_params()) is not None:
            try:
                result = await fetch(params=page)
            except Py7DError as exc:
                exc.page = walk.page
                raise
            yield result, walk.feed(result)

    @staticmethod
    async def _paged_concurrently(
        plan: PagePlan, fetch: Callable[..., Awaitable[Result]]
    ) -> AsyncIterator[tuple[Result, list[Any]]]:
        """The plan's pages fetched as asyncio tasks, handed on in order."""

        async def fetch_page(page_params: dict[str, Any]) -> Result:
            with bulk_calls():
                return await fetch(params=page_params)

        loop = asyncio.get_running_loop()
        running: dict[asyncio.Task[Result], int] = {}
        try:
            while not plan.finished:
                for page, page_params in plan.launch():
                    running[loop.create_task(fetch_page(page_params))] = page
                if not running:  # nothing to wait for: the plan would wait forever
                    raise RuntimeError("py7D paging: no page in flight and the walk not over")
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    error = task.exception()
                    plan.land(running.pop(task), error if error is not None else task.result())
                for pair in plan.ready():
                    yield pair
        finally:
            for task in running:  # pages no longer needed
                task.cancel()
                task.add_done_callback(_retrieve)

    async def pages(
        self,
        resource: str,
        action: str | None = None,
        /,
        *,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
        access_token: TokenLike | None = None,
        auth: AuthLevel | str | None = None,
        http_method: str | None = None,
        normalize: bool | None = None,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Result]:
        """Every page of a paged endpoint, in order; see :meth:`py7D.Client.pages`.

        Up to ``concurrency`` pages (default 8) are fetched at once as asyncio
        tasks; under trio, one page after another.
        """
        async for result, _ in self._paged(
            resource,
            action,
            limit,
            params,
            kwargs,
            access_token,
            auth,
            http_method,
            normalize,
            concurrency,
        ):
            yield result

    async def items(
        self,
        resource: str,
        action: str | None = None,
        /,
        *,
        limit: int | None = None,
        params: Mapping[str, Any] | None = None,
        access_token: TokenLike | None = None,
        auth: AuthLevel | str | None = None,
        http_method: str | None = None,
        normalize: bool | None = None,
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """The items of every page, one by one; see :meth:`py7D.Client.items`."""
        async for _, items in self._paged(
            resource,
            action,
            limit,
            params,
            kwargs,
            access_token,
            auth,
            http_method,
            normalize,
            concurrency,
        ):
            for item in items:
                yield item

    async def _send(
        self, call: PreparedCall, state: RetryState | None = None, timeout: TimeoutLike = None
    ) -> httpx.Response:
        """One attempt: wait for the throttle and the quota, send, read the body up to the cap."""
        state = state or self._begin(call)
        delay = self._throttle_delay()
        if delay > 0:
            await asyncio.sleep(delay)
        paced = self._paced()
        if paced:
            while (delay := self.quota.reserve()) > 0:
                await _sleep(delay)
        http = self._sender(call)
        request = self._attempt(call, state, timeout, http)
        sent_at = self.quota.clock()
        with map_transport_errors(request):
            auth = call.auth or httpx.USE_CLIENT_DEFAULT
            try:
                response = await self._send_through(http, request, auth)
            except BaseException:
                if paced:
                    self.quota.release()
                raise
            self._observe_quota(response, paced, sent_at)
            try:
                return await aread_body(response, self._reader(response, state))
            finally:
                await response.aclose()

    async def _send_through(
        self, http: httpx.AsyncClient, request: httpx.Request, auth: Any
    ) -> httpx.Response:
        """Send ``request`` through ``http``; a read whose reply aiohttp's parser refuses
        (one httpx accepts, such as a repeated equal ``Content-Length``) is sent again
        through httpx's transport, as every later read of this client."""
        try:
            return await http.send(request, auth=auth, stream=True)
        except Exception as exc:
            if http is self._http or not refused_by_strict_parser(exc):
                raise
        # The server answered and the call is a read: asking again is safe.
        self._strict_reads_refused = True
        return await self._http.send(request, auth=auth, stream=True)

    def _sender(self, call: PreparedCall) -> httpx.AsyncClient:
        """The client for ``call``: reads may go through the aiohttp one, nothing else does."""
        if self._strict_reads_refused or not safe_to_resend(call):
            return self._http
        if self._reads is None and self._default_reads:
            self._default_reads = False
            self._reads = new_read_client(self._http_options())
            if self._reads is not None:
                self._owned.append(self._reads)
        return self._reads or self._http

    async def gather(
        self,
        calls: Iterable[Awaitable[T]],
        *,
        concurrency: int = 10,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Await ``calls`` with at most ``concurrency`` in flight; results in input order.

        Pass a generator to create the calls lazily:
        ``await client.gather((client.request("artist", "details", artistId=i) for i in ids),
        concurrency=20)``. With ``return_exceptions=True`` a failed call's
        exception takes its place; otherwise the first failure cancels the
        calls in flight and is raised. The calls are paced by the key's quota
        (see ``pace`` on :class:`py7D.Client`).
        """
        with bulk_calls():  # the workers are created inside: they see the marker
            return await gather_async(calls, concurrency, return_exceptions)

    async def map(
        self,
        resource: str,
        action: str | None,
        param_name: str,
        values: Iterable[Any],
        *,
        concurrency: int = 10,
        return_exceptions: bool = False,
        **common: Any,
    ) -> list[Any]:
        """Call ``resource/action`` once per value of ``param_name``, ``concurrency`` at a time.

        ``await client.map("release", "details", "releaseId", ids, concurrency=50)``
        returns one :class:`Result` per id, in the order of ``ids``. A
        ``rate_limit`` on the client holds the whole run under it, and the key's
        quota paces it (see ``pace`` on :class:`py7D.Client`).
        """
        request = functools.partial(self.request, resource, action)
        with bulk_calls():
            return await gather_async(
                (request(params=p) for p in self._map_params(param_name, values, common)),
                concurrency,
                return_exceptions,
            )

    async def oauth_2legged_request(
        self, resource: str, action: str | None = None, /, **kwargs: Any
    ) -> Result:
        """A call signed with the consumer key and secret."""
        return await self.request(resource, action, auth=AuthLevel.CONSUMER, **kwargs)

    async def oauth_3legged_request(
        self, resource: str, action: str | None, access_token: TokenLike, /, **kwargs: Any
    ) -> Result:
        """A call signed with the consumer key and secret and a user's access token."""
        return await self.request(
            resource, action, auth=AuthLevel.USER, access_token=access_token, **kwargs
        )

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection pool (if this client created it)."""
        self._closed = True
        self._default_reads = False
        for http in self._owned:
            await http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _sleep(seconds: float) -> None:
    """Sleep under asyncio or trio (through anyio, httpx's own async layer)."""
    if on_asyncio():
        await asyncio.sleep(seconds)
    else:
        import anyio

        await anyio.sleep(seconds)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Consume a cancelled page task's outcome, so asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()
