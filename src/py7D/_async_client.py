"""The asyncio :class:`AsyncClient`: the same calls as :class:`py7D.Client`, awaited."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._async_transport import Py7DAsyncTransport
from ._auth import TokenLike
from ._bulk import gather_async
from ._client import BaseClient, apply_client_defaults
from ._core import PreparedCall, Result
from ._endpoints import AuthLevel
from ._exceptions import map_transport_errors
from ._resources import AsyncResources

__all__ = ["AsyncClient"]

T = TypeVar("T")

#: Idle connections kept by the default transport: enough for ``map``'s
#: usual concurrency, so bulk runs reuse connections instead of reconnecting.
DEFAULT_ASYNC_KEEPALIVE = 100


class AsyncClient(BaseClient, AsyncResources):
    """A 7digital API client for asyncio (and trio); ``async with`` it.

    Takes the same arguments as :class:`py7D.Client`; ``transport`` is an
    ``httpx.AsyncBaseTransport`` (default: :class:`py7D.Py7DAsyncTransport`, whose
    CPU per call stays flat however many calls are in flight, unlike httpcore's
    pool), ``event_hooks`` are async functions and
    ``http_client`` an ``httpx.AsyncClient``. Everything but the sending is
    shared with :class:`py7D.Client` through :class:`py7D._client.BaseClient`.

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
        timeout: float | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        verify: ssl.SSLContext | bool = True,
        **options: Any,
    ) -> None:
        super().__init__(consumer_key, consumer_secret, country, base_url, timeout, **options)
        self._owns_http = http_client is None
        self._closed = False
        self._http: httpx.AsyncClient | None = http_client
        if self._needs_proxy_client(transport, http_client):
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.timeout),
                headers=self._headers,
                event_hooks={"request": self._request_hooks, "response": self._response_hooks},
                verify=verify,
                trust_env=True,
            )
        self._transport: httpx.AsyncBaseTransport = transport or Py7DAsyncTransport(
            verify=verify, max_keepalive_connections=DEFAULT_ASYNC_KEEPALIVE
        )

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
        return self._finish(call, await self._send(call), normalize)

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
        **kwargs: Any,
    ) -> AsyncIterator[Result]:
        """Every page of a paged endpoint, fetched lazily; see :meth:`py7D.Client.pages`."""
        walk = self._walk(resource, action, params, kwargs, limit, http_method)
        send = functools.partial(
            self.request,
            resource,
            action,
            access_token=access_token,
            auth=auth,
            http_method=http_method,
            normalize=normalize,
        )
        while (page := walk.next_params()) is not None:
            result = await send(params=page)
            walk.feed(result)
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
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """The items of every page, one by one; see :meth:`py7D.Client.items`."""
        walk = self._walk(resource, action, params, kwargs, limit, http_method)
        send = functools.partial(
            self.request,
            resource,
            action,
            access_token=access_token,
            auth=auth,
            http_method=http_method,
            normalize=normalize,
        )
        while (page := walk.next_params()) is not None:
            for item in walk.feed(await send(params=page)):
                yield item

    async def _send(self, call: PreparedCall) -> httpx.Response:
        request = call.request
        with map_transport_errors(request):
            if self._http is not None:
                request = apply_client_defaults(request, self._http)
                return await self._http.send(request, auth=call.auth or httpx.USE_CLIENT_DEFAULT)
            if call.auth is not None:
                call.auth.sign_request(request)
            for hook in self._request_hooks:
                await hook(request)
            response = await self._transport.handle_async_request(request)
            response.request = request
            try:
                for hook in self._response_hooks:
                    await hook(response)
                await response.aread()
            finally:
                await response.aclose()
            return response

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
        calls in flight and is raised.
        """
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
        returns one :class:`Result` per id, in the order of ``ids``.
        """
        request = functools.partial(self.request, resource, action)
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
        if self._owns_http:
            if self._http is not None:
                await self._http.aclose()
            await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
