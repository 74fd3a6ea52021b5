"""The synchronous :class:`Client` and the settings/logic it shares with ``AsyncClient``."""

from __future__ import annotations

import functools
import logging
import os
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import httpx

from ._auth import OAuth1Auth, Token, TokenLike
from ._bulk import gather_threads
from ._cache import BaseCache, MemoryCache, cached_reply, store_reply
from ._config import Settings, resolve_settings
from ._download import Downloads
from ._endpoints import AuthLevel
from ._exceptions import (
    ConfigurationError,
    Py7DError,
    ValidationError,
    map_transport_errors,
)
from ._http import ACCEPT_ENCODING, client_options, new_client, read_body
from ._limits import BodyReader, Throttle, ThrottleLike
from ._media import preview_clip_url, sign_media_url
from ._paging import DEFAULT_PAGE_CONCURRENCY, PagePlan, PageWalk, paged_endpoint
from ._quota import QUOTA_MODES, Quota, QuotaMode, bulk_calls, in_bulk
from ._redact import describe_request, install_log_redaction
from ._reply import DEFAULT_MAX_RESPONSE_BYTES, parse_response
from ._request import PreparedCall, build_call, resolve_path
from ._resources import Resources
from ._result import RateLimit, Result
from ._retry import RetriesLike, RetryPolicy, RetryState
from ._validation import check_call

if TYPE_CHECKING:
    from concurrent.futures import Future

    from typing_extensions import Unpack

__all__ = ["BaseClient", "Client", "ClientOptions"]

logger = logging.getLogger("py7D")

# Connecting should be quick; a slow reply (a big locker page) may take longer.
DEFAULT_CONNECT_TIMEOUT = 10.0

TimeoutLike = float | httpx.Timeout | None
VerifyLike = bool | str | ssl.SSLContext
T = TypeVar("T")
#: What ``cache=`` accepts: True (a MemoryCache), None/False (off), or a cache.
CacheOption = bool | BaseCache | None


class ClientOptions(TypedDict, total=False):
    """The keyword options of :class:`Client` and ``AsyncClient`` (see :class:`Client`).

    Typed, so that a type checker refuses a misspelt option or a value of the
    wrong type; :class:`BaseClient` gives each its default.
    """

    profile: str | None
    config_file: str | os.PathLike[str] | None
    environ: Mapping[str, str] | None
    normalize: bool
    clock: Callable[[], float] | None
    max_response_bytes: int | None
    settings: Settings | None
    retries: RetriesLike
    rate_limit: ThrottleLike
    pace: QuotaMode
    quota_wait: float | None
    verify: VerifyLike
    cache: CacheOption
    event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None


class BaseClient:
    """Everything a client does that does not wait on the network.

    Holds the resolved :class:`Settings`, builds and signs requests
    (``_request``), consults the cache, parses replies (``_reply``), and holds the
    reliability settings (timeouts, :class:`RetryPolicy`, :class:`Throttle`,
    the body cap). :class:`Client` and ``AsyncClient`` add only the sending.
    """

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        country: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        *,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        normalize: bool = False,
        clock: Callable[[], float] | None = None,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        settings: Settings | None = None,
        retries: RetriesLike = RetryPolicy(),  # noqa: B008 - immutable
        rate_limit: ThrottleLike = None,
        pace: QuotaMode = "bulk",
        quota_wait: float | None = 60.0,
        verify: VerifyLike = True,
        cache: CacheOption = None,
        event_hooks: Mapping[str, Sequence[Callable[..., Any]]] | None = None,
    ) -> None:
        self.settings = settings or resolve_settings(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            country=country,
            api_url=base_url,
            timeout=None if isinstance(timeout, httpx.Timeout) else timeout,
            profile=profile,
            config_file=config_file,
            environ=environ,
        )
        self.normalize = normalize
        # The clock signs oauth_timestamp; injectable for tests and skewed hosts.
        self._clock: Callable[[], float] = clock or time.time
        self.max_response_bytes = max_response_bytes
        self.timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else _default_timeout(self.settings.timeout)
        )
        self.retries = RetryPolicy.coerce(retries)
        self.throttle = Throttle.coerce(rate_limit)
        if pace not in QUOTA_MODES:
            raise ConfigurationError(f"pace must be one of {', '.join(QUOTA_MODES)}, not {pace!r}")
        self.pace: QuotaMode = pace
        try:
            self.quota = Quota(max_wait=quota_wait)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self.verify = verify
        if verify is False:
            logger.warning(
                "py7D: TLS certificate verification is OFF (verify=False); replies over https "
                "may come from anyone. Use this only against a local test server."
            )
        # httpx logs each request's URL at INFO; keep secret parameters out of it.
        install_log_redaction()
        self.cache: BaseCache | None = _make_cache(cache)
        hooks = dict(event_hooks or {})
        unknown = set(hooks) - {"request", "response"}
        if unknown:
            raise ConfigurationError(
                f"event_hooks takes 'request' and 'response' lists, not {sorted(unknown)}"
            )
        self._request_hooks = list(hooks.get("request", ()))
        self._response_hooks = list(hooks.get("response", ()))
        # Built once and copied cheaply into each request: per-call work is what
        # the benchmark's CPU target counts.
        self._headers = httpx.Headers(default_headers())
        self._owned: list[Any] = []  # the httpx clients made here (closed with this client)

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
            headers=self._headers,
        )
        if validate:  # the table's checks (sans-I/O, shared by both clients); nothing sent yet
            check_call(
                resolve_path(resource, action), call.endpoint, params, has_token=token is not None
            )
        if logger.isEnabledFor(logging.DEBUG):  # describing a request redacts its URL: not free
            logger.debug("py7D %s (%s)", describe_request(call.request), call.auth_level.value)
        return call

    def _attempt(
        self,
        call: PreparedCall,
        state: RetryState,
        timeout: TimeoutLike,
        http: httpx.Client | httpx.AsyncClient,
    ) -> httpx.Request:
        """Ready ``call`` for one more attempt: client headers, timeouts clipped to the deadline.

        httpx takes a request's timeouts from its extensions; they are set
        anew each attempt, as the time left shrinks.
        """
        if timeout is None:
            configured = self.timeout
        elif isinstance(timeout, httpx.Timeout):
            configured = timeout
        else:
            configured = _default_timeout(float(timeout))
        # build_call put this client's headers on already; a client of the user's adds its own.
        request = call.request if http in self._owned else apply_client_defaults(call.request, http)
        request.extensions["timeout"] = state.timeout(configured).as_dict()
        return request

    def _throttle_delay(self) -> float:
        """Seconds to wait before the next attempt (0 without a throttle)."""
        return self.throttle.reserve() if self.throttle is not None else 0.0

    def _paced(self) -> bool:
        """Whether this attempt waits for the key's quota (see ``pace``)."""
        return self.pace == "always" or (self.pace == "bulk" and in_bulk())

    def _observe_quota(self, response: httpx.Response, paced: bool, sent_at: float) -> None:
        """Read a reply's ``x-ratelimit-*`` headers into :attr:`quota`."""
        self.quota.observe(
            RateLimit.from_headers(response.headers), reserved=paced, sent_at=sent_at
        )

    @staticmethod
    def _page_concurrency(concurrency: int | None) -> int:
        if concurrency is None:
            return DEFAULT_PAGE_CONCURRENCY
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(
                f"concurrency must be a whole number of at least 1 (1: one page after "
                f"another), not {concurrency!r}"
            )
        return concurrency

    def _reader(self, response: httpx.Response, state: RetryState) -> BodyReader:
        """Collects a streamed body up to ``max_response_bytes`` and the call's deadline."""
        return BodyReader(
            response,
            max_bytes=self.max_response_bytes,
            deadline=state.deadline_at(),
            clock=self.retries.clock,
        )

    def _begin(self, call: PreparedCall) -> RetryState:
        # The description only appears in retry log lines: _retry_wait fills it in.
        return self.retries.begin(call.endpoint, None)

    @staticmethod
    def _retry_wait(call: PreparedCall, state: RetryState, exc: Py7DError) -> float | None:
        """Seconds before the next attempt after ``exc``, or None to give up."""
        if state.description is None:
            state.description = describe_request(call.request)
        return state.next_wait(exc)

    def _finish(
        self, call: PreparedCall, response: httpx.Response, normalize: bool | None
    ) -> Result:
        result = parse_response(
            response,
            endpoint=call.endpoint,
            normalize=self.normalize if normalize is None else normalize,
            max_bytes=self.max_response_bytes,
        )
        if self.cache is not None:
            store_reply(self.cache, call, response, self.settings.api_url)
        return result

    def _http_options(self) -> dict[str, Any]:
        """What the httpx clients py7D creates are built with (see :mod:`py7D._http`)."""
        hooks = {"request": self._request_hooks, "response": self._response_hooks}
        return client_options(self.timeout, self._headers, hooks, self.verify)

    @staticmethod
    def _check_senders(transport: object, http_client: object) -> None:
        if http_client is not None and transport is not None:
            raise ValidationError(
                "pass either transport= or http_client=, not both (give the transport to "
                "your own client instead)"
            )

    # ------------------------------------------------------------------ cache

    def _cached(self, call: PreparedCall, normalize: bool | None) -> Result | None:
        """A fresh cached reply for ``call`` (parsed anew), or None (see :func:`cached_reply`)."""
        if self.cache is None:
            return None
        response = cached_reply(self.cache, call, self.settings.api_url)
        if response is None:
            return None
        return parse_response(
            response,
            endpoint=call.endpoint,
            normalize=self.normalize if normalize is None else normalize,
            max_bytes=self.max_response_bytes,
            from_cache=True,
        )

    # ------------------------------------------------------------------ bulk

    @staticmethod
    def _map_params(
        param_name: str, values: Iterable[Any], common: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Each call's parameters for ``map``: ``common`` plus ``{param_name: value}``."""
        if not isinstance(param_name, str) or not param_name:
            raise ValidationError(
                "param_name must name the parameter that varies, e.g. 'releaseId'"
            )
        if param_name in common:
            raise ValidationError(f"{param_name!r} is both the varying and a common parameter")
        return ({**common, param_name: value} for value in values)

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
        return sign_media_url(self._signer(token), url, params)

    def preview_url(self, track_id: int | str) -> str:
        """A signed 30-second preview clip URL for ``track_id``.

        Against the real API this is ``http://previews.7digital.com/clip/<id>``;
        against another base URL (the sandbox) the clip path of that host.
        Without a consumer secret, the original py7D's unsigned
        ``track/preview`` URL is returned instead.
        """
        signer = self._signer() if self.settings.consumer_secret else None
        return preview_clip_url(self.settings, track_id, signer)


class Client(BaseClient, Resources, Downloads):
    """A 7digital API client with a keep-alive connection pool; use it as a context manager.

    One client may serve many threads (see :meth:`map`). They share the
    connection pool, the throttle, the cache and the retry policy; each call
    keeps its own retry state.

    Parameters
    ----------
    consumer_key, consumer_secret, country, base_url:
        Override the settings resolved from the environment, the config file
        and ``api_settings`` (see :func:`py7D.resolve_settings`).
    timeout:
        Seconds (connect capped at 10 s) or an ``httpx.Timeout``; default 30 s.
        ``request(..., timeout=...)`` overrides it for one call.
    profile:
        Config-file profile to read.
    normalize:
        Make every repeating element a list (see "Stable shapes" in the guide to
        resource-style calls).
    retries:
        A :class:`py7D.RetryPolicy`, a number of retries, or None. Only reads
        (endpoints of the table that do not change state) are ever retried;
        default: up to 3 retries within 60 s on network errors, timeouts,
        429/502/503/504 and broken replies.
    rate_limit:
        Calls per second (or a :class:`py7D.Throttle`) this client stays under.
    pace:
        Which calls keep within the API key's quota, as the ``x-ratelimit-*``
        headers of every reply tell it (:attr:`quota`): ``"bulk"`` (default:
        :meth:`map`, :meth:`gather` and concurrent :meth:`pages`/:meth:`items`),
        ``"always"`` (every call) or ``"off"``. A paced call that finds the
        window spent waits for it to reset, or raises
        :class:`py7D.RateLimitedError` (``retry_after``: seconds until the reset)
        without being sent when that is more than ``quota_wait`` seconds away.
    quota_wait:
        Longest wait for the quota to reset, in seconds (default 60; 0 never
        waits; None waits as long as it takes).
    max_response_bytes:
        Largest reply body read (32 MiB); a bigger one is refused while streaming.
    verify:
        TLS verification (default True): ``False`` works but logs a warning; a
        CA bundle path or an ``ssl.SSLContext`` (e.g. trusting a private CA).
    transport:
        An ``httpx.BaseTransport``: ``httpx.MockTransport(handler)``,
        ``py7D.sandbox.Sandbox().transport()``, or ``httpx.HTTPTransport(...)``
        with settings of your own. The default is ``httpx.HTTPTransport``
        (through an ``httpx.Client``: proxies from ``HTTPS_PROXY``/``NO_PROXY``
        and ``SSL_CERT_FILE`` apply, as in httpx).
    event_hooks:
        ``{"request": [f, ...], "response": [g, ...]}``, called as httpx calls
        them: with each ``httpx.Request`` (signed) before it is sent, with each
        ``httpx.Response`` before its body is read.
    cache:
        ``True`` (an in-memory :class:`py7D.MemoryCache`), a
        :class:`py7D.MemoryCache`/:class:`py7D.FileCache`, or None (default,
        no caching). Only unsigned GETs are cached, as the reply's
        ``Cache-Control``/``Expires`` allow; hits have ``result.from_cache``.
    http_client:
        Bring your own ``httpx.Client`` (its base URL is ignored; its timeouts
        apply unless ``timeout`` is given); requests then go through its
        ``send`` (cookies, redirects, its own hooks).

    Examples
    --------
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
        timeout: TimeoutLike = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(consumer_key, consumer_secret, country, base_url, timeout, **options)
        self._check_senders(transport, http_client)
        if http_client is not None and timeout is None:
            self.timeout = http_client.timeout  # your client, your timeouts
        self._closed = False
        if http_client is None:
            http_client = new_client(self._http_options(), transport)
            self._owned.append(http_client)
        self._http: httpx.Client = http_client

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
        timeout: TimeoutLike = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> Result:
        """Call ``resource/action`` with ``kwargs`` as API parameters.

        The endpoint table decides the verb and the signing; ``auth`` and
        ``http_method`` override it. ``params`` takes parameters whose names
        clash with these options. The call is checked against the table
        before it is sent (``ValidationError``); ``validate=False`` sends a
        path that looks like a typo of a known one as given. ``timeout``
        (seconds or an ``httpx.Timeout``) replaces the client's timeouts for
        this call. Reads are retried as the client's :class:`RetryPolicy` says;
        calls that change state never are.
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
        cached = self._cached(call, normalize)
        if cached is not None:
            return cached
        state = self._begin(call)
        while True:
            try:
                return self._finish(call, self._send(call, state, timeout), normalize)
            except Py7DError as exc:
                wait = self._retry_wait(call, state, exc)
                if wait is None:
                    raise
                self.retries.sleep(wait)

    def _paged(
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
    ) -> Iterator[tuple[Result, list[Any]]]:
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
        if pages > 1:
            yield from self._paged_concurrently(PagePlan(walk, pages), fetch)
            return
        while (page := walk.next_params()) is not None:
            try:
                result = fetch(params=page)
            except Py7DError as exc:
                exc.page = walk.page
                raise
            yield result, walk.feed(result)

    @staticmethod
    def _paged_concurrently(
        plan: PagePlan, fetch: Callable[..., Result]
    ) -> Iterator[tuple[Result, list[Any]]]:
        """The plan's pages fetched on a thread pool (the client is thread-safe), in order."""
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        def fetch_page(page_params: dict[str, Any]) -> Result:
            with bulk_calls():
                return fetch(params=page_params)

        pool = ThreadPoolExecutor(plan.concurrency, thread_name_prefix="py7D-pages")
        running: dict[Future[Result], int] = {}
        try:
            while not plan.finished:
                for page, page_params in plan.launch():
                    running[pool.submit(fetch_page, page_params)] = page
                if not running:  # nothing to wait for: the plan would wait forever
                    raise RuntimeError("py7D paging: no page in flight and the walk not over")
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    error = future.exception()
                    plan.land(running.pop(future), error if error is not None else future.result())
                yield from plan.ready()
        finally:
            # Pages no longer needed: not started ones never are; running ones end on their own.
            pool.shutdown(wait=False, cancel_futures=True)

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
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> Iterator[Result]:
        """Every page of a paged endpoint as a :class:`Result`, in order.

        Starts at ``page`` (default 1) with ``pageSize`` (default: the
        endpoint's maximum, 50 on catalogue lists) and stops after the last
        page, an empty page, or the page that reaches ``limit`` items. Other
        arguments as in :meth:`request`.

        After the first page (whose ``totalItems`` says how many follow), up to
        ``concurrency`` pages (default 8) are fetched at once on a thread pool,
        and the key's quota paces them (see ``pace``); ``concurrency=1`` fetches
        one page after another. About ``concurrency`` pages are held in memory,
        and stopping early (``limit``, or leaving the loop) fetches at most
        ``concurrency`` pages more than were needed. An error raised for a page
        comes after the pages before it, with ``error.page`` set.
        """
        for result, _ in self._paged(
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
        concurrency: int | None = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """The items of every page (``searchResult``, ``lockerRelease``, ...), one by one.

        At most ``limit`` of them, in page order; pages are fetched up to
        ``concurrency`` at a time. See :meth:`pages`.
        """
        for _, items in self._paged(
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
            yield from items

    def _send(
        self, call: PreparedCall, state: RetryState | None = None, timeout: TimeoutLike = None
    ) -> httpx.Response:
        """One attempt: wait for the throttle and the quota, send, read the body up to the cap."""
        state = state or self._begin(call)
        delay = self._throttle_delay()
        if delay > 0:
            time.sleep(delay)
        paced = self._paced()
        if paced:
            while (delay := self.quota.reserve()) > 0:
                time.sleep(delay)
        request = self._attempt(call, state, timeout, self._http)
        sent_at = self.quota.clock()
        with map_transport_errors(request):
            auth = call.auth or httpx.USE_CLIENT_DEFAULT
            try:
                response = self._http.send(request, auth=auth, stream=True)
            except BaseException:
                if paced:
                    self.quota.release()
                raise
            self._observe_quota(response, paced, sent_at)
            try:
                return read_body(response, self._reader(response, state))
            finally:
                response.close()

    def gather(
        self,
        calls: Iterable[Callable[[], T]],
        *,
        concurrency: int = 8,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Run zero-argument callables on ``concurrency`` threads; results in input order.

        ``client.gather([lambda: client.request("artist", "details", artistId=i) for i in ids])``.
        With ``return_exceptions=True`` a failed call's exception takes its
        place in the list; otherwise the first failure stops the run and is raised.
        The calls are paced by the key's quota (see ``pace``).
        """
        with bulk_calls():
            return gather_threads(calls, concurrency, return_exceptions)

    def map(
        self,
        resource: str,
        action: str | None,
        param_name: str,
        values: Iterable[Any],
        *,
        concurrency: int = 8,
        return_exceptions: bool = False,
        **common: Any,
    ) -> list[Any]:
        """Call ``resource/action`` once per value of ``param_name``, ``concurrency`` at a time.

        ``client.map("release", "details", "releaseId", ids, concurrency=16, imageSize=50)``
        returns one :class:`Result` per id, in the order of ``ids``. Threads
        share this client's connection pool, cache and throttle (a
        ``rate_limit`` holds the whole run under it); the key's quota paces
        them (see ``pace``).
        """
        with bulk_calls():
            return gather_threads(
                (
                    functools.partial(self.request, resource, action, params=p)
                    for p in self._map_params(param_name, values, common)
                ),
                concurrency,
                return_exceptions,
            )

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

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def close(self) -> None:
        """Close the connection pool (if this client created it)."""
        self._closed = True
        for http in self._owned:
            http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _make_cache(cache: CacheOption) -> BaseCache | None:
    if cache is None or cache is False:
        return None
    if cache is True:
        return MemoryCache()
    if isinstance(cache, BaseCache):
        return cache
    raise ConfigurationError(
        "cache must be True, None, py7D.MemoryCache(...) or py7D.FileCache(path), "
        f"not {type(cache).__name__}"
    )


def _default_timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


def apply_client_defaults(
    request: httpx.Request, http: httpx.Client | httpx.AsyncClient
) -> httpx.Request:
    """Give ``request`` the client's default headers, cookies and timeout.

    ``httpx.Client.send()`` does not apply them (only ``build_request()``
    does): without this the User-Agent/Accept headers and the client's
    cookies were never sent and the configured timeout was ignored.
    """
    for name, value in http.headers.items():
        request.headers.setdefault(name, value)
    if http.cookies:
        http.cookies.set_cookie_header(request)
    request.extensions.setdefault("timeout", http.timeout.as_dict())
    return request


def default_headers() -> dict[str, str]:
    """Headers every request carries (never credentials: those go in the signature)."""
    from . import __version__

    return {
        "User-Agent": f"py7D/{__version__} httpx/{httpx.__version__}",
        "Accept": "application/xml, text/xml",
        "Accept-Encoding": ACCEPT_ENCODING,
    }
