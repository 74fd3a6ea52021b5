"""The sandbox itself: request parsing, routing, OAuth, rate limits and dispatch."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import math
import os
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from .._endpoints import AuthLevel, Endpoint, find_endpoint, find_endpoints
from ._catalogue import Catalogue, unpickle
from ._errors import ApiError, OAuthRefusedError
from ._faults import FaultsLike, as_injector
from ._oauth import NonceStore, SignedParams, check_request, collect_signed_params, is_form
from ._render import USAGE_TYPES, Render
from ._seeded import seeded_locker as seeded_locker_entries
from ._shop import Shop, shop_for
from ._state import AccessToken, Consumer, PurchaseRecord, RequestToken, User
from ._store import SandboxState
from ._xml import Element, envelope, error_envelope

__all__ = ["ApiRequest", "Sandbox", "route"]

log = logging.getLogger("py7D.sandbox")

DEFAULT_CONSUMER_KEY = "sandbox-key"
DEFAULT_CONSUMER_SECRET = "sandbox-secret"  # noqa: S105 (public sandbox credential)
DEFAULT_BASE_URL = "http://sandbox.7digital.test/1.2"

# (email, password, user id) of the accounts every sandbox starts with.
SEEDED_USERS: tuple[tuple[str, str, int], ...] = (
    ("alice@example.com", "alice-password", 1001),
    ("bob@example.com", "bob-password", 1002),
)
ALICE_CARD = "4111111111111111"

XML_TYPE = "text/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
DAY = 86400
# Parameters a POST/PUT may carry in its query string rather than its form body.
_QUERY_ON_POST = frozenset({"userid", "country", "shopid", "onbehalfofpartnerid"})
# The token endpoints answer both GET and POST.
_ANY_VERB = frozenset({"oauth/requesttoken", "oauth/accesstoken"})

Reply = Element | list[Element] | None | httpx.Response

_CATALOGUE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _shared_catalogue(seed: int, artists: int) -> Catalogue:
    # Catalogues never change after the build, so sandboxes with one seed share it.
    return Catalogue(seed, artists=artists)


def _cached_catalogue(directory: Path, seed: int, artists: int) -> Catalogue:
    """The catalogue of ``seed`` from a file in ``directory``, built and written if missing.

    The file name carries a digest of the generator's source, so a changed
    generator never serves an old catalogue.
    """
    from . import _catalogue

    source = Path(_catalogue.__file__).read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    path = directory / f"sandbox-catalogue-{seed}-{artists}-{digest}.pickle"
    try:
        with open(path, "rb") as handle:
            found = unpickle(handle.read())
        if isinstance(found, Catalogue):
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    built = _shared_catalogue(seed, artists)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(built, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except OSError as exc:
        log.debug("the built catalogue could not be kept in %s: %s", directory, exc)
    return built


@dataclass
class ApiRequest:
    """One parsed API call as the handlers see it."""

    sandbox: Sandbox
    request: httpx.Request
    endpoint: Endpoint
    params: dict[str, str]
    origin: str
    consumer: Consumer
    shop: Shop
    now: float
    path_id: str | None = None
    token: AccessToken | RequestToken | None = None
    signed: SignedParams = field(default_factory=lambda: SignedParams((), {}))

    # -- parameters -----------------------------------------------------------
    def get(self, name: str) -> str | None:
        """A parameter value by case-insensitive name (None when absent)."""
        return self.params.get(name.lower())

    def require(self, name: str) -> str:
        """A parameter that must be present and non-empty (else error 1001)."""
        value = self.get(name)
        if value is None or value == "":
            raise ApiError.missing(name)
        return value

    def integer(self, name: str, *, required: bool = True, default: int = 0) -> int:
        """A positive integer parameter (1001 when missing, 1002 when not a number)."""
        value = self.require(name) if required else self.get(name)
        if value is None or value == "":
            return default
        if not (value.isascii() and value.isdecimal()) or len(value) > 12:
            raise ApiError.invalid(name, value)
        return int(value)

    def ids(self, name: str, *, limit: int = 50) -> list[str]:
        """A required comma-separated list parameter."""
        values = [v.strip() for v in self.require(name).split(",") if v.strip()]
        if not values:
            raise ApiError.missing(name)
        if len(values) > limit:
            raise ApiError.out_of_range(name, str(len(values)), 1, limit)
        return values

    def enum(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """A case-insensitive enumeration value (1006 when outside ``allowed``)."""
        value = self.get(name)
        if not value:
            return default
        if value.lower() not in allowed:
            raise ApiError.bad_enum(name, value, allowed)
        return value.lower()

    def date(self, name: str) -> dt.date | None:
        """A ``yyyyMMdd`` date parameter (1002 when malformed)."""
        value = self.get(name)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise ApiError.invalid(name, value) from None

    def paging(self, *, max_size: int = 50, default_size: int = 10) -> tuple[int, int]:
        """``(page, pageSize)``: 1-based, defaults 1 and 10; 1002/1003 when invalid."""
        page = self.integer("page", required=False, default=1)
        size = self.integer("pageSize", required=False, default=default_size)
        if page < 1:
            raise ApiError.out_of_range("page", str(page), 1, 10**9)
        if not 1 <= size <= max_size:
            raise ApiError.out_of_range("pageSize", str(size), 1, max_size)
        return page, size

    # -- rendering ----------------------------------------------------------
    @property
    def render(self) -> Render:
        """Renderer for this request's shop, image size, usage types and origin."""
        size = self.integer("imageSize", required=False, default=0)
        if size > 2000:
            raise ApiError.out_of_range("imageSize", str(size), 1, 2000)
        usage = tuple(u.strip().lower() for u in (self.get("usageTypes") or "download").split(","))
        for u in usage:
            if u not in USAGE_TYPES:
                raise ApiError.bad_enum("usageTypes", u, USAGE_TYPES)
        return Render(
            self.sandbox.catalogue,
            self.shop,
            image_size=size or None,
            usage_types=usage,
            origin=self.origin,
            partner=self.get("affiliatePartner") or self.get("partner"),
        )

    @property
    def catalogue(self) -> Catalogue:
        """The sandbox's catalogue."""
        return self.sandbox.catalogue

    @property
    def state(self) -> SandboxState:
        """The sandbox's accounts, tokens, baskets, cards, lockers and purchases."""
        return self.sandbox.state

    # -- users --------------------------------------------------------------
    def user(self) -> User:
        """The user of a 3-legged call (access token) or a managed-user call (``userId``)."""
        if isinstance(self.token, AccessToken):
            found = self.state.user(self.token.user_id)
            if found is None:
                raise OAuthRefusedError("Invalid token")
            return found
        user_id = self.get("userId")
        if user_id is None:
            raise OAuthRefusedError("Not authorised - no user credentials provided")
        return self.user_by_id(user_id)

    def user_by_id(self, user_id: str) -> User:
        """A ``userId`` value: the partner's own id first, else a 7digital user id."""
        partner_user = self.state.partner_user(self.consumer.key, user_id)
        if partner_user is not None:
            return partner_user
        if not user_id.isdecimal():
            raise ApiError.invalid("userId", user_id)
        user = self.state.user(int(user_id))
        if user is None:
            raise ApiError.not_found("User not found")
        return user


Handler = Callable[[ApiRequest], Reply]
_HANDLERS: dict[tuple[str, str], tuple[Handler, bool]] = {}


#: Endpoints whose unsigned replies are a function of the parameters and the origin alone.
_CACHEABLE: set[tuple[str, str]] = set()
_REPLY_CACHE_SIZE = 1024


def route(
    path: str, method: str = "GET", *, stateful: bool = False, cacheable: bool = False
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for an endpoint of the table (``stateful`` ones hold ``state.lock``).

    ``cacheable``: the handler reads only the request's parameters, its origin and the
    (read-only, deterministic) catalogue: no clock, no user, no sandbox state. The body it
    renders for an unsigned call is then kept and served again for the same parameters.
    """

    def register(handler: Handler) -> Handler:
        endpoint = find_endpoint(path, method)
        if endpoint is None:
            raise LookupError(f"{method} {path} is not in the endpoint table")
        _HANDLERS[(endpoint.key, endpoint.method)] = (handler, stateful)
        if cacheable and not stateful and not endpoint.changes_state:
            _CACHEABLE.add((endpoint.key, endpoint.method))
        return handler

    return register


WebHandler = Callable[["Sandbox", httpx.Request, list[str]], httpx.Response]
_WEB: list[tuple[Callable[[list[str]], bool], WebHandler, bool]] = []


def web_route(
    match: Callable[[list[str]], bool], *, metered: bool = False
) -> Callable[[WebHandler], WebHandler]:
    """Register a non-API page (authorise form, media) by a predicate on the path segments.

    ``metered`` pages need a known consumer key and count against its rate limit.
    """

    def register(handler: WebHandler) -> WebHandler:
        _WEB.append((match, handler, metered))
        return handler

    return register


def text_response(
    status: int, text: str, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A plain-text reply (OAuth failures, unknown resources)."""
    return httpx.Response(
        status, content=text.encode("utf-8"), headers={"content-type": TEXT_TYPE, **(headers or {})}
    )


def xml_response(
    status: int, body: bytes, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """An XML reply."""
    return httpx.Response(
        status, content=body, headers={"content-type": XML_TYPE, **(headers or {})}
    )


def api_error_response(exc: ApiError) -> httpx.Response:
    """The error envelope for ``exc`` with its HTTP status."""
    return xml_response(exc.status, error_envelope(exc.code, exc.message))


def _path_id(endpoint: Endpoint, segments: list[str]) -> str | None:
    """The value of a ``{id}`` path segment (``users/{id}/update``), if the path has one."""
    for index, part in enumerate(endpoint.path.split("/")):
        if part.startswith("{") and index < len(segments):
            return segments[index]
    return None


def origin_of(request: httpx.Request) -> str:
    """``scheme://host[:port]`` of the URL the client addressed."""
    return f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}"


def request_params(request: httpx.Request) -> dict[str, str]:
    """API parameters (not ``oauth_*``) by lower-cased name; the first value wins.

    GET: the query string. POST/PUT: the form-encoded body (only with a form
    ``Content-Type``, as for the signature) plus ``userId``, ``country``,
    ``shopId`` and ``onBehalfOfPartnerId`` from the query.
    """
    query = parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
    if request.method in ("POST", "PUT"):
        pairs = [(k, v) for k, v in query if k.lower() in _QUERY_ON_POST]
        if is_form(request):
            pairs += parse_qsl(request.content.decode("utf-8", "replace"), keep_blank_values=True)
    else:
        pairs = query
    params: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if not key.startswith("oauth_"):
            params.setdefault(key, value)
    return params


class Sandbox:
    """A local stand-in for 7digital's API 1.2 with a generated catalogue and in-memory state.

    Use it in-process through :meth:`transport` (``httpx.Client`` and
    ``httpx.AsyncClient``), or on a real port with :func:`py7D.sandbox.running`.

    Parameters
    ----------
    consumer_key, consumer_secret:
        Credentials of the default API key.
    seed:
        Seed of the generated catalogue (same seed, same catalogue).
    users:
        Extra ``(email, password)`` accounts besides the seeded ones.
    clock:
        Time source for OAuth timestamps, token expiry and rate-limit windows.
    rate_limit:
        Requests per consumer key per window (``x-ratelimit-limit``).
    rate_window:
        Length of that window in seconds: 7digital's is a day (the default).
        Replies tell the seconds left in it (``x-ratelimit-reset``): whole
        seconds for windows of a minute or more, as 7digital does, and to the
        millisecond (rounded up) for shorter ones, so a client can pace itself
        against a window of a second.
    user_management:
        Whether the default key may manage users (``user/create``, ``userId=`` calls).
    request_token_ttl:
        Seconds a request token stays valid.
    access_token_ttl:
        Seconds an access token stays valid; ``None`` (the default) keeps it until
        revoked. 7digital does not document a lifetime; set one to test how your
        code handles ``Token expired`` (an :class:`py7D.OAuthError`, HTTP 401).
    artists:
        Number of artists in the generated catalogue.
    faults:
        A :class:`~py7D.sandbox.Faults` plan (or a ``FaultInjector``) to
        misbehave by: applied by :meth:`transport` and by the served sandbox
        (:func:`running`/:func:`serve`), never by :meth:`handle` itself.
    seeded_locker:
        Start alice (the first seeded user) with three earlier purchases in her
        locker, ready to download; ``py7d sandbox`` and
        ``py7d --sandbox`` do. They are not in :attr:`purchases` (nothing was charged).
        See ``py7D.sandbox._seeded``.
    catalogue_cache:
        A directory to keep the built catalogue in and read it back from, so
        later sandboxes (and processes) of the same seed skip building it;
        ``py7d --sandbox`` uses ``$XDG_CACHE_HOME/py7d``.
    """

    def __init__(
        self,
        *,
        consumer_key: str = DEFAULT_CONSUMER_KEY,
        consumer_secret: str = DEFAULT_CONSUMER_SECRET,
        seed: int = 7,
        users: Iterable[tuple[str, str]] = (),
        clock: Callable[[], float] = time.time,
        rate_limit: int = 4000,
        rate_window: float = DAY,
        user_management: bool = False,
        request_token_ttl: float = 900.0,
        access_token_ttl: float | None = None,
        artists: int = 3000,
        base_url: str = DEFAULT_BASE_URL,
        faults: FaultsLike = None,
        seeded_locker: bool = False,
        catalogue_cache: Path | None = None,
    ) -> None:
        self.faults = as_injector(faults)
        self.seed = seed
        self.clock = clock
        self.rate_limit = rate_limit
        if not rate_window > 0:
            raise ValueError(
                f"rate_window must be a positive number of seconds, not {rate_window!r}"
            )
        self.rate_window = float(rate_window)
        if access_token_ttl is not None and access_token_ttl <= 0:
            raise ValueError("access_token_ttl must be positive seconds, or None (no expiry)")
        self._base_url = base_url
        self._artists = artists
        self.catalogue_cache: Path | None = catalogue_cache
        self._lock = threading.Lock()
        # Rendered bodies of cacheable catalogue reads (see route()), least recent first.
        self._replies: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._catalogue: Catalogue | None = None
        self._nonces = NonceStore(clock)
        self.state = SandboxState(
            clock, request_token_ttl=request_token_ttl, access_token_ttl=access_token_ttl
        )
        """Accounts, API keys, tokens, baskets, cards, lockers and purchases (read and
        change them through its methods in tests, e.g. ``sandbox.state.cards_of(1001)``)."""
        self.add_consumer(consumer_key, consumer_secret, user_management=user_management)
        self._default_consumer = (consumer_key, consumer_secret)
        for email, password, user_id in SEEDED_USERS:
            self.state.create_user(email, password, user_id=user_id)
        self.state.store_card(SEEDED_USERS[0][2], "VISA", ALICE_CARD, "Alice Example", "203012")
        if seeded_locker:
            alice = SEEDED_USERS[0][2]
            entries = seeded_locker_entries(
                self.catalogue, alice, lambda: self.state.new_id("purchase")
            )
            self.state.add_to_locker(entries)
        for email, password in users:
            self.add_user(email, password)

    # -- public API -----------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"Sandbox(consumer_key={self._default_consumer[0]!r}, seed={self.seed!r}, "
            f"base_url={self._base_url!r})"
        )

    @property
    def consumer_key(self) -> str:
        """The key of the consumer the sandbox was created with."""
        return self._default_consumer[0]

    @property
    def consumer_secret(self) -> str:
        """That consumer's secret (a test credential; not shown in the repr)."""
        return self._default_consumer[1]

    @property
    def request_token_ttl(self) -> float:
        """Seconds a request token stays valid."""
        return self.state.request_token_ttl

    @property
    def access_token_ttl(self) -> float | None:
        """Seconds an access token stays valid (None: until revoked)."""
        return self.state.access_token_ttl

    @property
    def base_url(self) -> str:
        """The in-process base URL (``http://sandbox.7digital.test/1.2``)."""
        return self._base_url

    @property
    def catalogue(self) -> Catalogue:
        """The generated catalogue (built on first use; read-only, shared by equal seeds).

        With :attr:`catalogue_cache` set to a directory, the built catalogue is kept
        there and read back by later sandboxes (and processes) of the same seed.
        """
        if self._catalogue is None:
            with _CATALOGUE_LOCK:
                if self.catalogue_cache is not None:
                    self._catalogue = _cached_catalogue(
                        Path(self.catalogue_cache), self.seed, self._artists
                    )
                else:
                    self._catalogue = _shared_catalogue(self.seed, self._artists)
        return self._catalogue

    @property
    def purchases(self) -> list[PurchaseRecord]:
        """A copy of the purchase ledger, oldest first (``state.purchases``)."""
        return self.state.purchases

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving this sandbox (sync and async clients)."""
        if self.faults is not None:
            from ._faults import FaultTransport

            return FaultTransport(self.faults, self.handle)
        return httpx.MockTransport(self.handle)

    def add_consumer(self, key: str, secret: str, *, user_management: bool = False) -> None:
        """Register another API key."""
        self.state.add_consumer(key, secret, user_management=user_management)

    def add_user(self, email: str, password: str) -> int:
        """Create a 7digital account and return its user id (existing e-mail: its id)."""
        return self.state.create_user(email, password).id

    def revoke_token(self, key: str) -> bool:
        """Revoke an access (or request) token; True if it existed."""
        return self.state.revoke_token(key)

    def authorise_request_token(self, token: str, email: str) -> None:
        """Authorise a request token for a user, as the login page would (for tests)."""
        with self.state.lock:
            self.state.authorise_request_token(token, self.state.user_id_of(email))

    def issue_access_token(
        self,
        user: str | int,
        *,
        consumer_key: str | None = None,
        token: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """Skip the OAuth dance: an access ``(token, secret)`` for a user (for tests).

        ``user`` is the user's e-mail address or user id (``1001``).
        ``consumer_key`` defaults to the sandbox's first key; ``token`` fixes the
        pair instead of generating one (e.g. to replay published test vectors).
        Raises :class:`LookupError` for an unknown user.
        """
        with self.state.lock:
            user_id = self.state.user_id_of(user)
            key = consumer_key or self.state.first_consumer_key()
            issued = self.state.new_access_token(key, user_id, pair=token)
            return issued.key, issued.secret

    def complete_card_registration(
        self,
        registration_id: str,
        card_number: str = "4111111111111111",
        *,
        card_type: str = "VISA",
        holder: str = "Card Holder",
        expiry: str = "203012",
    ) -> None:
        """Finish a pending card registration as the hosted card form would."""
        self.state.complete_registration(registration_id, card_number, card_type, holder, expiry)

    # -- the request path -------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request exactly as 7digital's API would (never raises)."""
        try:
            return self._handle(request)
        except Exception:
            # Method and path only: the query can hold signatures and passwords.
            log.exception("sandbox failure for %s %s", request.method, request.url.path)
            return xml_response(500, error_envelope(9001, "Unexpected internal server error"))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        signed = collect_signed_params(request)
        consumer = self.consumer_for(request, signed)
        segments = [s for s in request.url.path.split("/") if s]
        api = bool(segments) and segments[0] == "1.2"
        web: WebHandler | None = None
        metered = api
        if not api:
            found = next(((h, m) for match, h, m in _WEB if match(segments)), None)
            if found is None:
                return self._finish(text_response(404, "Resource not found"), consumer)
            web, metered = found
        if metered:
            if consumer is None:
                denied = OAuthRefusedError("Access to resource denied")
                return self._finish(text_response(401, denied.body), None)
            limited = self._count(consumer)
            if limited is not None:
                return self._finish(limited, consumer)
        try:
            if web is not None:
                response = web(self, request, segments)
            else:
                assert consumer is not None  # API calls are metered: checked above
                response = self._api(request, signed, consumer, segments[1:])
        except OAuthRefusedError as exc:
            response = text_response(exc.status, exc.body)
        except ApiError as exc:
            response = api_error_response(exc)
        return self._finish(response, consumer if metered else None)

    def consumer_for(self, request: httpx.Request, signed: SignedParams) -> Consumer | None:
        """The known API key a request names (signed, or in the unsigned header form), or None."""
        key = signed.get("oauth_consumer_key")
        if key is None:
            # The C# wrapper's unsigned form: "Authorization: oauth_consumer_key=<key>".
            header = request.headers.get("authorization", "")
            if header.startswith("oauth_consumer_key="):
                key = header.split("=", 1)[1].strip().strip('"')
        return self.state.consumer(key) if key else None

    def _window(self) -> tuple[int, str]:
        """The current window's number and the seconds left in it, as ``x-ratelimit-reset``."""
        now = self.clock()
        length = self.rate_window
        window = int(now // length)
        left = (window + 1) * length - now
        if length >= 60:
            return window, str(int(left))
        return window, f"{math.ceil(left * 1000) / 1000:.3f}"

    def _count(self, consumer: Consumer) -> httpx.Response | None:
        window, reset = self._window()
        with self._lock:
            if consumer.window != window:
                consumer.window, consumer.used = window, 0
            if consumer.used >= self.rate_limit:
                exceeded = True
            else:
                consumer.used += 1
                exceeded = False
        if not exceeded:
            return None
        per = "day" if self.rate_window == DAY else f"{self.rate_window:g} s"
        body = error_envelope(7001, f"Rate limit exceeded: {self.rate_limit} requests per {per}")
        retry_after = str(math.ceil(float(reset)))
        return xml_response(429, body, headers={"retry-after": retry_after})

    def _finish(self, response: httpx.Response, consumer: Consumer | None) -> httpx.Response:
        limit, used, reset = self._rate_values(consumer)
        response.headers["cache-control"] = "private, max-age=60"
        response.headers["x-ratelimit-limit"] = limit
        response.headers["x-ratelimit-current"] = used
        response.headers["x-ratelimit-reset"] = reset
        return response

    def _rate_values(self, consumer: Consumer | None) -> tuple[str, str, str]:
        """The ``x-ratelimit-limit``, ``-current`` and ``-reset`` values of a reply now."""
        window, reset = self._window()
        used = consumer.used if consumer is not None and consumer.window == window else 0
        return str(self.rate_limit), str(used), reset

    def _cached_read(self, request: httpx.Request) -> tuple[str, bytes] | None:
        """``(consumer key, body)`` when :meth:`handle` answers ``request`` from its render
        cache: an unsigned GET/HEAD without a body, no ``oauth_*`` parameter but the consumer
        key (a known one), of a cacheable catalogue read whose body is already rendered.
        The served app (see ``_server``) then answers the same request from bytes."""
        if request.method not in ("GET", "HEAD") or request.content:
            return None
        signed = collect_signed_params(request)
        if signed.malformed or set(signed.oauth) - {"oauth_consumer_key"} or signed.conflicting():
            return None
        consumer = self.consumer_for(request, signed)
        segments = [s for s in request.url.path.split("/") if s]
        if consumer is None or not segments or segments[0] != "1.2":
            return None
        endpoint = find_endpoint("/".join(segments[1:]), "GET")
        if (
            endpoint is None
            or (endpoint.key, endpoint.method) not in _CACHEABLE
            or endpoint.auth is not AuthLevel.NONE
        ):
            return None
        params = request_params(request)
        cache_key = (endpoint.key, "GET", origin_of(request), tuple(sorted(params.items())))
        with self._lock:
            body = self._replies.get(cache_key)
        return None if body is None else (consumer.key, body)

    def _api(
        self,
        request: httpx.Request,
        signed: SignedParams,
        consumer: Consumer,
        segments: list[str],
    ) -> httpx.Response:
        path = "/".join(segments)
        candidates = find_endpoints(path)
        if not candidates:
            return text_response(404, "Resource not found")
        method = "GET" if request.method == "HEAD" else request.method
        endpoint = find_endpoint(path, method)
        if endpoint is None and candidates[0].key in _ANY_VERB and method == "POST":
            endpoint = candidates[0]
        if endpoint is None:
            allowed = ", ".join(sorted({e.method for e in candidates}))
            return text_response(
                405,
                f"Method {request.method} not allowed; use {allowed}",
                headers={"allow": allowed},
            )
        params = request_params(request)
        cache_key: tuple[object, ...] | None = None
        if (
            (endpoint.key, endpoint.method) in _CACHEABLE
            and endpoint.auth is AuthLevel.NONE
            and signed.signature is None  # unsigned: nothing to verify (see verify_oauth)
        ):
            cache_key = (endpoint.key, method, origin_of(request), tuple(sorted(params.items())))
            with self._lock:
                body = self._replies.get(cache_key)
                if body is not None:
                    self._replies.move_to_end(cache_key)
            if body is not None:
                return xml_response(200, body)
        shop = shop_for(params.get("country"), params.get("shopid"))
        if shop is None:
            which = "shopId" if "shopid" in params else "country"
            raise ApiError(2002, f"Shop not available: {which}={params.get(which.lower())}")
        req = ApiRequest(
            sandbox=self,
            request=request,
            endpoint=endpoint,
            params=params,
            origin=origin_of(request),
            consumer=consumer,
            shop=shop,
            now=self.clock(),
            path_id=_path_id(endpoint, segments),
            signed=signed,
        )
        req.token = self._authenticate(req)
        for name in endpoint.required:
            if name == "userId" and isinstance(req.token, AccessToken):
                continue  # user/details: 3-legged with the user's own token
            req.require(name)
        for group in endpoint.one_of:
            if not any(req.get(name) for name in group):
                raise ApiError.missing(" or ".join(group))
        entry = _HANDLERS.get((endpoint.key, endpoint.method))
        if entry is None:
            return text_response(404, "Resource not found")
        handler, stateful = entry
        if stateful:
            with self.state.lock:
                reply = handler(req)
        else:
            reply = handler(req)
        if isinstance(reply, httpx.Response):
            return reply
        body = envelope(reply, version=endpoint.reply_version)
        if cache_key is not None:
            with self._lock:
                self._replies[cache_key] = body
                if len(self._replies) > _REPLY_CACHE_SIZE:
                    self._replies.popitem(last=False)
        return xml_response(200, body)

    def _authenticate(self, req: ApiRequest) -> AccessToken | RequestToken | None:
        """Check the OAuth level the endpoint needs; return the token used, if any."""
        level = req.endpoint.auth
        if (
            level is AuthLevel.USER
            and req.signed.get("oauth_token") is None
            and req.consumer.user_management
            and req.get("userId")
        ):
            level = AuthLevel.CONSUMER  # partner-managed user, identified by userId
        return self.verify_oauth(
            req.request,
            req.signed,
            req.consumer,
            level,
            request_token=req.endpoint.key == "oauth/accesstoken",
        )

    def verify_oauth(
        self,
        request: httpx.Request,
        signed: SignedParams,
        consumer: Consumer,
        level: AuthLevel,
        *,
        request_token: bool = False,
    ) -> AccessToken | RequestToken | None:
        """Verify a request at ``level``; any request carrying a signature is verified.

        Returns the access token (or, for ``request_token``, the request token)
        named by ``oauth_token``; raises :class:`OAuthRefusedError` otherwise.
        """
        token_key = signed.get("oauth_token")
        if level is AuthLevel.NONE and signed.signature is None:
            return None
        if level is AuthLevel.USER and token_key is None:
            raise OAuthRefusedError("Not authorised - no user credentials provided")
        token: AccessToken | RequestToken | None = None
        if token_key is not None:
            token = self._token_for(token_key, consumer, request_token=request_token)
        check_request(
            request,
            signed,
            self._nonces,
            consumer_key=consumer.key,
            consumer_secret=consumer.secret,
            token=token_key,
            token_secret=token.secret if token else "",
        )
        return token

    def _token_for(
        self, key: str, consumer: Consumer, *, request_token: bool
    ) -> AccessToken | RequestToken:
        if request_token:
            found = self.state.request_token(key)
            if found is None or found.consumer_key != consumer.key or found.used:
                raise OAuthRefusedError("Invalid token")
            if self.clock() > found.expires:
                raise OAuthRefusedError("Token expired")
            return found
        access = self.state.access_token(key)
        if access is None or access.consumer_key != consumer.key:
            raise OAuthRefusedError("Invalid token")
        if access.expires is not None and self.clock() > access.expires:
            raise OAuthRefusedError("Token expired")
        return access

    # -- keeping state between processes ------------------------------------------
    def __getstate__(self) -> dict[str, object]:
        """The sandbox's records for pickling (``py7d --sandbox`` keeps them between commands).

        The lock, the nonce store, the reply cache and the catalogue (rebuilt from the
        seed, or read from :attr:`catalogue_cache`) are left out.
        """
        state = dict(self.__dict__)
        for name in ("_lock", "_nonces", "_replies", "_catalogue"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        # A new sandbox's attributes first: a state saved before an attribute existed
        # still gives a complete sandbox (with that attribute's starting value).
        self.__dict__.update(Sandbox().__dict__)
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._nonces = NonceStore(self.clock)
        self._replies = OrderedDict()
        self._catalogue = None
