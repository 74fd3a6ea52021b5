"""The synchronous :class:`Client` and the settings/logic it shares with ``AsyncClient``."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from ._auth import OAuth1Auth, Token, TokenLike
from ._config import DEFAULT_API_URL, Settings, resolve_settings
from ._core import (
    DEFAULT_MAX_RESPONSE_BYTES,
    PreparedCall,
    Result,
    build_call,
    parse_response,
    resolve_path,
)
from ._endpoints import AuthLevel
from ._exceptions import ValidationError, describe_request, map_transport_errors
from ._paging import PageWalk, paged_endpoint
from ._resources import Resources
from ._validation import check_call

__all__ = ["BaseClient", "Client"]

logger = logging.getLogger("py7D")

PREVIEW_CLIP_URL = "http://previews.7digital.com/clip"


class BaseClient:
    """Everything a client does that does not wait on the network.

    Holds the resolved :class:`Settings`, builds and signs requests through
    the sans-I/O core and parses replies. :class:`Client` and ``AsyncClient``
    add only the sending.
    """

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        country: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        *,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        normalize: bool = False,
        clock: Callable[[], float] | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or resolve_settings(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            country=country,
            api_url=base_url,
            timeout=timeout,
            profile=profile,
            config_file=config_file,
            environ=environ,
        )
        self.normalize = normalize
        # The clock signs oauth_timestamp; injectable for tests and skewed hosts.
        self._clock: Callable[[], float] = clock or time.time
        self.max_response_bytes = max_response_bytes

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"<{type(self).__name__} api_url={s.api_url!r} consumer_key={s.consumer_key!r} "
            f"country={s.country!r}>"
        )

    @property
    def base_url(self) -> str:
        return self.settings.api_url

    def _prepare(
        self,
        resource: str,
        action: str | None,
        params: Mapping[str, Any],
        *,
        access_token: TokenLike | None,
        auth: AuthLevel | str | None,
        http_method: str | None,
        validate: bool = True,
    ) -> PreparedCall:
        token = Token.coerce(access_token) if access_token is not None else None
        call = build_call(
            self.settings,
            resource,
            action,
            params,
            access_token=token,
            auth=auth,
            http_method=http_method,
            signer=self._make_signer,
        )
        if validate:  # the table's checks (sans-I/O, shared by both clients); nothing sent yet
            check_call(
                resolve_path(resource, action), call.endpoint, params, has_token=token is not None
            )
        logger.debug("py7D %s (%s)", describe_request(call.request), call.auth_level.value)
        return call

    def _finish(
        self, call: PreparedCall, response: httpx.Response, normalize: bool | None
    ) -> Result:
        return parse_response(
            response,
            endpoint=call.endpoint,
            normalize=self.normalize if normalize is None else normalize,
            max_bytes=self.max_response_bytes,
        )

    def _walk(
        self,
        resource: str,
        action: str | None,
        params: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
        limit: int | None,
        http_method: str | None,
    ) -> PageWalk:
        endpoint = paged_endpoint(resource, action, http_method)
        return PageWalk.start(endpoint, self._merge(params, kwargs), limit=limit)

    @staticmethod
    def _merge(params: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(params or {})
        merged.update(kwargs)
        return merged

    def _make_signer(self, key: str, secret: str, token: Token | None) -> OAuth1Auth:
        return OAuth1Auth(key, secret, token, clock=self._clock)

    def _signer(self, token: TokenLike | None = None) -> OAuth1Auth:
        return self._make_signer(
            self.settings.require_key(),
            self.settings.require_secret(),
            Token.coerce(token) if token is not None else None,
        )

    def sign_url(self, url: str, *, token: TokenLike | None = None, **params: Any) -> str:
        """Sign a media URL (preview clip, stream, download) with OAuth in its query string.

        2-legged by default; pass ``token=`` (a user's access token) for locker
        streams and downloads. Extra keyword arguments are added as parameters.
        """
        from ._core import encode_value

        extra = {k: v for k, v in ((k, encode_value(k, v)) for k, v in params.items()) if v}
        return self._signer(token).sign_url(url, extra)

    def preview_url(self, track_id: int | str) -> str:
        """A signed 30-second preview clip URL for ``track_id``.

        Against the real API this is ``http://previews.7digital.com/clip/<id>``;
        against another base URL (the sandbox) the clip path of that host.
        Without a consumer secret, the original py7D's unsigned
        ``track/preview`` URL is returned instead.
        """
        track = str(track_id)
        if not (track.isascii() and track.isdigit()):
            raise ValidationError(f"track_id must be numeric, got {track_id!r}")
        if not self.settings.consumer_secret:
            key = self.settings.require_key()
            return str(
                httpx.URL(
                    f"{self.settings.api_url}/track/preview",
                    params={"oauth_consumer_key": key, "trackid": track},
                )
            )
        if is_live_api(self.settings.api_url):
            base = PREVIEW_CLIP_URL
        else:
            url = httpx.URL(self.settings.api_url)
            base = f"{url.scheme}://{url.netloc.decode('ascii')}/clip"
        params = {"country": self.settings.country} if self.settings.country else {}
        return self._signer().sign_url(f"{base}/{track}", params)


class Client(BaseClient, Resources):
    """A 7digital API client over one pooled ``httpx.Client``; use it as a context manager.

    Parameters
    ----------
    consumer_key, consumer_secret, country, base_url, timeout:
        Override the settings resolved from the environment, the config file
        and ``api_settings`` (see :func:`py7D.resolve_settings`).
    profile:
        Config-file profile to read.
    normalize:
        Make every repeating element a list (see "Stable shapes" in the README).
    transport:
        An ``httpx`` transport, e.g. ``py7D.sandbox.Sandbox().transport()``.
    http_client:
        Bring your own ``httpx.Client`` (its base URL is ignored).

    Example
    -------
    >>> with py7D.Client() as client:                              # doctest: +SKIP
    ...     result = client.request("artist", "search", q="pink", pageSize=3)
    ...     result["response"]["searchResults"]["totalItems"]
    """

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        country: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **options: Any,
    ) -> None:
        super().__init__(consumer_key, consumer_secret, country, base_url, timeout, **options)
        if http_client is not None and transport is not None:
            raise ValidationError(
                "pass either transport= or http_client=, not both (give the transport to "
                "your own client instead)"
            )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.settings.timeout),
            headers=default_headers(),
        )

    def request(
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
        """Call ``resource/action`` with ``kwargs`` as API parameters.

        The endpoint table decides the verb and the signing; ``auth`` and
        ``http_method`` override it. ``params`` takes parameters whose names
        clash with these options. The call is checked against the table
        before it is sent (``ValidationError``); ``validate=False`` sends a
        path that looks like a typo of a known one as given.
        """
        call = self._prepare(
            resource,
            action,
            self._merge(params, kwargs),
            access_token=access_token,
            auth=auth,
            http_method=http_method,
            validate=validate,
        )
        return self._finish(call, self._send(call), normalize)

    def pages(
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
    ) -> Iterator[Result]:
        """Every page of a paged endpoint as a :class:`Result`, fetched lazily.

        Starts at ``page`` (default 1) with ``pageSize`` (default: the
        endpoint's maximum, 50 on catalogue lists) and stops after the last
        page, an empty page, or the page that reaches ``limit`` items. Other
        arguments as in :meth:`request`.
        """
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
            result = send(params=page)
            walk.feed(result)
            yield result

    def items(
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
    ) -> Iterator[Any]:
        """The items of every page (``searchResult``, ``lockerRelease``, ...), one by one.

        At most ``limit`` of them; one page is held in memory at a time. See
        :meth:`pages`.
        """
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
            yield from walk.feed(send(params=page))

    def _send(self, call: PreparedCall) -> httpx.Response:
        request = apply_client_defaults(call.request, self._http)
        with map_transport_errors(request):
            return self._http.send(request, auth=call.auth or httpx.USE_CLIENT_DEFAULT)

    def oauth_2legged_request(
        self, resource: str, action: str | None = None, /, **kwargs: Any
    ) -> Result:
        """A call signed with the consumer key and secret."""
        return self.request(resource, action, auth=AuthLevel.CONSUMER, **kwargs)

    def oauth_3legged_request(
        self, resource: str, action: str | None, access_token: TokenLike, /, **kwargs: Any
    ) -> Result:
        """A call signed with the consumer key and secret and a user's access token."""
        return self.request(
            resource, action, auth=AuthLevel.USER, access_token=access_token, **kwargs
        )

    def close(self) -> None:
        """Close the connection pool (if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def apply_client_defaults(
    request: httpx.Request, http: httpx.Client | httpx.AsyncClient
) -> httpx.Request:
    """Give ``request`` the client's default headers and timeout.

    ``httpx.Client.send()`` does not apply them (only ``build_request()``
    does): without this the User-Agent/Accept headers were never sent and the
    configured timeout was ignored.
    """
    for name, value in http.headers.items():
        request.headers.setdefault(name, value)
    request.extensions.setdefault("timeout", http.timeout.as_dict())
    return request


def is_live_api(api_url: str) -> bool:
    """Whether ``api_url`` is 7digital's own API (http or https), not a sandbox or proxy."""
    return api_url == DEFAULT_API_URL or httpx.URL(api_url).host == "api.7digital.com"


def default_headers() -> dict[str, str]:
    """Headers every request carries (never credentials: those go in the signature)."""
    from . import __version__

    return {
        "User-Agent": f"py7D/{__version__} httpx/{httpx.__version__}",
        "Accept": "application/xml, text/xml",
    }
