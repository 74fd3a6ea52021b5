"""The asyncio :class:`AsyncClient`: the same calls as :class:`py7D.Client`, awaited."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from ._auth import TokenLike
from ._client import BaseClient, TimeoutLike, default_headers
from ._core import PreparedCall, Result
from ._endpoints import AuthLevel
from ._exceptions import Py7DError, ValidationError, map_transport_errors
from ._resources import AsyncResources
from ._retry import RetryState

__all__ = ["AsyncClient"]


class AsyncClient(BaseClient, AsyncResources):
    """A 7digital API client over one pooled ``httpx.AsyncClient``; ``async with`` it.

    Takes the same arguments as :class:`py7D.Client` (``transport`` is an
    ``httpx.AsyncBaseTransport``, e.g. ``py7D.sandbox.Sandbox().transport()``).
    Concurrent calls (``asyncio.gather``) share the pool and the throttle; retry
    waits and throttle waits are ``asyncio.sleep``, so they never block the loop.

    >>> async with py7D.AsyncClient() as client:                   # doctest: +SKIP
    ...     result = await client.request("artist", "search", q="pink")
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
        **options: Any,
    ) -> None:
        super().__init__(consumer_key, consumer_secret, country, base_url, timeout, **options)
        if http_client is not None and transport is not None:
            raise ValidationError(
                "pass either transport= or http_client=, not both (give the transport to "
                "your own client instead)"
            )
        if http_client is not None and timeout is None:
            self.timeout = http_client.timeout  # your client, your timeouts
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            headers=default_headers(),
            verify=self.verify,
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
        state = self._begin(call)
        while True:
            try:
                return self._finish(call, await self._send(call, state, timeout), normalize)
            except Py7DError as exc:
                wait = state.next_wait(exc)
                if wait is None:
                    raise
                await self.retries.async_sleep(wait)

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

    async def _send(
        self, call: PreparedCall, state: RetryState | None = None, timeout: TimeoutLike = None
    ) -> httpx.Response:
        """One attempt: wait for the throttle, send, read the body up to the cap."""
        state = state or self._begin(call)
        delay = self._throttle_delay()
        if delay > 0:
            await asyncio.sleep(delay)
        request = self._attempt(call, state, timeout, self._http)
        with map_transport_errors(request):
            auth = call.auth or httpx.USE_CLIENT_DEFAULT
            response = await self._http.send(request, auth=auth, stream=True)
            try:
                reader = self._reader(response, state)
                async for chunk in response.aiter_bytes():
                    reader.feed(chunk)
                return reader.finish()
            finally:
                await response.aclose()

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

    async def aclose(self) -> None:
        """Close the connection pool (if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
