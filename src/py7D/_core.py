"""The sans-I/O core: build a request, pick its signer, turn a reply into a result.

Nothing here waits on the network, so :class:`py7D.Client` and
:class:`py7D.AsyncClient` share all of it and differ only in how they send.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from . import _xml
from ._auth import FORM_CONTENT_TYPE, OAuth1Auth, Token
from ._config import Settings
from ._endpoints import AuthLevel, Endpoint, find_endpoint, find_endpoints
from ._exceptions import (
    APIClientException,
    OAuthError,
    Py7DError,
    RateLimitedError,
    ResponseParseError,
    ValidationError,
    error_class_for_code,
)

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "PageInfo",
    "PreparedCall",
    "RateLimit",
    "Result",
    "build_call",
    "encode_value",
    "parse_response",
]

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_Primitive = str | int | float | bool | None
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.{}]+$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RateLimit:
    """The ``x-ratelimit-*`` headers: requests allowed, used, and seconds until the reset.

    ``reset`` is whole seconds from 7digital (a day's window); a server with a
    shorter window (the sandbox's ``rate_window``) may give fractions.
    """

    limit: int | None
    current: int | None
    reset: float | None

    @property
    def remaining(self) -> int | None:
        """Requests left in the current window, when the server said."""
        if self.limit is None or self.current is None:
            return None
        return max(self.limit - self.current, 0)

    @classmethod
    def from_headers(cls, headers: httpx.Headers | Mapping[str, str]) -> RateLimit | None:
        """From ``httpx.Headers`` or a dict with lower-case names (``http_headers``)."""
        limit_text, current_text, reset_text = (headers.get(n) for n in _RATE_LIMIT_HEADERS)
        limit, current = _int_or_none(limit_text), _int_or_none(current_text)
        reset = _seconds_or_none(reset_text)
        if limit is None and current is None and reset is None:
            return None
        return cls(limit, current, reset)


_RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-current", "x-ratelimit-reset")


def _seconds_or_none(text: str | None) -> float | None:
    """Whole seconds as an int (7digital's form), fractions as a float; junk as None."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):  # nan, inf
        return None
    return int(value) if value.is_integer() else value


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(float(text.strip()))
    except ValueError:
        return None


@dataclass(frozen=True)
class PageInfo:
    """Paging numbers of a paged reply."""

    page: int
    page_size: int
    total_items: int

    @property
    def total_pages(self) -> int:
        if self.page_size <= 0:
            return 0
        return -(-self.total_items // self.page_size)

    @property
    def has_next(self) -> bool:
        # Not ``page * page_size < total_items``: with pageSize 0 (seen in
        # artist/similar replies) that is true forever and a pager never stops.
        return self.page < self.total_pages


class Result(dict[str, Any]):
    """The reply, as the original py7D returned it, with modern attributes.

    As a dict: ``result['response']`` is the ``<response>`` element exactly as
    ``xmltodict.parse`` builds it, and ``result['http_headers']`` the reply's
    headers with lower-case names plus ``'status'`` (the HTTP status as a string).

    Attributes: ``status_code``, ``headers`` (``httpx.Headers``), ``content``
    (raw bytes), ``rate_limit`` (:class:`RateLimit` or None), ``endpoint``
    (the table row, or None for free-form calls), ``request`` (redacted
    ``METHOD URL``), ``from_cache``; properties ``data`` (the content element),
    ``root`` (its name) and ``page_info``.
    """

    status_code: int
    headers: httpx.Headers
    content: bytes
    rate_limit: RateLimit | None
    endpoint: Endpoint | None
    from_cache: bool

    def __init__(
        self,
        response: Any,
        http_headers: dict[str, str],
        *,
        status_code: int,
        headers: httpx.Headers,
        content: bytes,
        endpoint: Endpoint | None = None,
        request: str | httpx.Request | None = None,
        from_cache: bool = False,
    ) -> None:
        super().__init__(response=response, http_headers=http_headers)
        self.status_code = status_code
        self.headers = headers
        self.content = content
        # The plain dict answers .get() several times faster than httpx.Headers.
        self.rate_limit = RateLimit.from_headers(http_headers)
        self.endpoint = endpoint
        # Redacting the URL costs more than parsing a small reply, so an
        # httpx.Request is kept and described only when someone asks.
        self._request = request
        self.from_cache = from_cache

    @property
    def request(self) -> str | None:
        """``'GET https://…/artist/details?artistId=1'``, secrets redacted (or None)."""
        if isinstance(self._request, str) or self._request is None:
            return self._request
        from ._exceptions import describe_request

        self._request = describe_request(self._request)
        return self._request

    @property
    def root(self) -> str | None:
        """The name of the content element (``searchResults``), or None for an empty reply."""
        response = self["response"]
        if isinstance(response, dict):
            for key in response:
                if isinstance(key, str) and not key.startswith("@") and key != "#text":
                    return key
        return None

    @property
    def data(self) -> Any:
        """The content element (``result['response'][result.root]``), or None."""
        root = self.root
        return None if root is None else self["response"][root]

    @property
    def page_info(self) -> PageInfo | None:
        """Paging numbers when the reply is paged (they sit in the parent of the items)."""
        container = self.data
        items = self.endpoint.items if self.endpoint else None
        if items and "." in items and isinstance(container, dict):
            for part in items.split(".")[:-1]:
                container = container.get(part) if isinstance(container, dict) else None
        if not isinstance(container, dict):
            return None
        try:
            return PageInfo(
                int(container["page"]), int(container["pageSize"]), int(container["totalItems"])
            )
        except (KeyError, TypeError, ValueError):
            return None

    def __repr__(self) -> str:
        return (
            f"<Result {self.status_code} {self.root or '(empty)'}"
            f"{' from cache' if self.from_cache else ''}: {self.request or ''}>"
        )


# --------------------------------------------------------------------------- requests


def encode_value(name: str, value: Any) -> str | None:
    """Turn a Python value into the text the API accepts; None means "leave out".

    bool -> ``true``/``false``; date/datetime -> ``yyyyMMdd``; list/tuple/set ->
    comma list; numbers -> decimal text; enums -> their value.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    # Enums before str/int: a ``(str, Enum)`` member is a str whose str() is
    # ``'Mode.FAST'`` on Python 3.11, and that is what httpx would send.
    if isinstance(value, enum.Enum):
        inner: Any = value.value
        return encode_value(name, inner)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float | decimal.Decimal):
        if not decimal.Decimal(value).is_finite():
            raise ValidationError(
                f"parameter {name!r}: cannot send {value!r}; pass a finite number"
            )
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return format(decimal.Decimal(str(value)), "f")
    if isinstance(value, _dt.date):  # datetime is a date too
        return value.strftime("%Y%m%d")
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        parts = [encode_value(name, v) for v in items]
        return ",".join(p for p in parts if p is not None)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"parameter {name!r}: bytes must be UTF-8 text") from None
    raise ValidationError(
        f"parameter {name!r}: cannot send a {type(value).__name__}; "
        "pass a str, int, float, bool, date or a list of those"
    )


_resolved: dict[tuple[str, str | None], str] = {}


def resolve_path(resource: str, action: str | None) -> str:
    """``('artist', 'bytag/top')`` -> ``'artist/bytag/top'``; refuses malformed names."""
    if type(resource) is str and (action is None or type(action) is str):
        path = _resolved.get((resource, action))
        if path is None:
            path = _resolve_path(resource, action)
            if len(_resolved) >= 1024:
                _resolved.clear()
            _resolved[(resource, action)] = path
        return path
    return _resolve_path(resource, action)


def _resolve_path(resource: str, action: str | None) -> str:
    if not isinstance(resource, str) or not resource.strip("/"):
        raise ValidationError("resource must be a non-empty string such as 'artist'")
    if action is not None and not isinstance(action, str):
        raise ValidationError(f"action must be a string or None, not {type(action).__name__}")
    path = resource.strip("/") + ("/" + action.strip("/") if action and action.strip("/") else "")
    for segment in path.split("/"):
        if not _PATH_SEGMENT.match(segment) or segment in {".", ".."}:
            raise ValidationError(
                f"{path!r} is not a valid endpoint path; use names like 'artist' and 'search' "
                "(parameters go in keyword arguments, not in the path)"
            )
    return path


@dataclass(frozen=True)
class PreparedCall:
    """A request ready to send, the signer to send it with, and what the table knows of it."""

    request: httpx.Request
    auth: OAuth1Auth | None
    endpoint: Endpoint | None
    auth_level: AuthLevel


def _coerce_level(auth: AuthLevel | str | None) -> AuthLevel | None:
    if auth is None or isinstance(auth, AuthLevel):
        return auth
    try:
        return AuthLevel(auth)
    except ValueError:
        raise ValidationError(
            f"auth must be one of 'none', '2-legged', '3-legged', not {auth!r}"
        ) from None


def _pick_endpoint(path: str, level: AuthLevel | None, method: str | None) -> Endpoint | None:
    if method is not None:
        return find_endpoint(path, method)
    candidates = find_endpoints(path)
    if level is not None:
        for ep in candidates:
            if ep.auth == level:
                return ep
    return candidates[0] if candidates else None


def build_call(
    settings: Settings,
    resource: str,
    action: str | None,
    params: Mapping[str, Any],
    *,
    access_token: Token | None = None,
    auth: AuthLevel | str | None = None,
    http_method: str | None = None,
    signer: Callable[[str, str, Token | None], OAuth1Auth] = OAuth1Auth,
    headers: Mapping[str, str] | None = None,
) -> PreparedCall:
    """Build the ``httpx.Request`` for one call and choose how to sign it.

    The auth level is ``auth`` when given, else 3-legged when an access token
    is given, else the endpoint table's level (unsigned for unknown paths). A
    3-legged endpoint called with ``userId`` and no token is signed 2-legged,
    as partner (user-management) keys do. ``headers`` go on the request
    (the client's User-Agent and Accept).
    """
    path = resolve_path(resource, action)
    level = _coerce_level(auth)
    if level is None and access_token is not None:
        level = AuthLevel.USER
    if access_token is not None and level is not None and level is not AuthLevel.USER:
        raise ValidationError(
            f"an access token was given but auth={level.value!r}; drop the token, or use "
            "auth='3-legged' to act for the user"
        )
    method = http_method.upper() if http_method else None
    endpoint = _pick_endpoint(path, level, method)
    if level is None:
        level = endpoint.auth if endpoint else AuthLevel.NONE
        if level is AuthLevel.USER and access_token is None and _has(params, "userId"):
            level = AuthLevel.CONSUMER
    if method is None:
        method = endpoint.method if endpoint else "GET"

    encoded: list[tuple[str, _Primitive]] = []
    path_values: dict[str, str] = {}
    template_params = {p.lower() for p in endpoint.path_params} if endpoint else set()
    for name, value in params.items():
        text = encode_value(name, value)
        if text is None:
            continue
        if name.lower() in template_params and "{" in (endpoint.path if endpoint else ""):
            path_values[name.lower()] = text
            continue
        encoded.append((name, text))
    if endpoint and "{" in endpoint.path and path.lower() == endpoint.key:
        path = endpoint.path
        for name in endpoint.path_params:
            if name.lower() not in path_values:
                raise ValidationError(f"{endpoint.path} needs the path parameter {name}=...")
            path = path.replace("{" + name + "}", _path_segment(name, path_values[name.lower()]))

    key = settings.require_key()
    country_given = _has(params, "country") or _has(params, "shopId")
    defaults: list[tuple[str, _Primitive]] = []
    if settings.country and not country_given:
        defaults.append(("country", settings.country))

    url = f"{settings.api_url}/{path}"
    signer_obj: OAuth1Auth | None = None
    if level is AuthLevel.NONE:
        query = [("oauth_consumer_key", key), *defaults, *encoded]
        if method in ("GET", "DELETE", "HEAD"):
            request = _bodyless_request(
                method, _request_url(settings.api_url, path, query), headers
            )
        else:
            request = httpx.Request(
                method, url, params=query[:1], data=dict(query[1:]), headers=headers
            )
    else:
        secret = settings.require_secret()
        token: Token | None = None
        if level is AuthLevel.USER:
            if access_token is None:
                raise ValidationError(
                    f"{path} is a 3-legged call: it needs a user's access token. Pass "
                    "access_token=py7D.Token(key, secret) (see py7D's 'Acting for a user'), "
                    "or userId=... with a partner key that manages its users."
                )
            token = access_token
        signer_obj = signer(key, secret, token)
        fields = [*defaults, *encoded]
        if method in ("GET", "DELETE", "HEAD"):
            request = _bodyless_request(
                method, _request_url(settings.api_url, path, fields), headers
            )
        else:
            request = httpx.Request(
                method,
                url,
                content=str(httpx.QueryParams(fields)).encode("ascii"),
                headers={**(headers or {}), "Content-Type": FORM_CONTENT_TYPE},
            )
    return PreparedCall(request=request, auth=signer_obj, endpoint=endpoint, auth_level=level)


def _request_url(api_url: str, path: str, query: list[tuple[str, _Primitive]]) -> httpx.URL | str:
    """``<api_url>/<path>?a=1&b=2`` as ``httpx.Request(params=...)`` would build it, but cheaper.

    httpx percent-encodes parameters with ``quote_plus`` and no safe
    characters, as ``urlencode`` does by default, so the text is the same
    (parameter names are distinct here; httpx would group repeated names).
    Parsing a URL string is then the single largest CPU cost of building a
    call (httpx validates it character by character), so when the URL is
    plainly safe the parsed form is derived from the already-parsed base URL
    instead (:func:`_fast_url`).
    """
    text = _urlencode(query) if query else ""
    fast = _fast_url(api_url, path, text)
    if fast is not None:
        return fast
    url = f"{api_url}/{path}"
    return f"{url}?{text}" if text else url


# What ``quote_plus`` leaves as it is (its always-safe set): such text needs no quoting.
_PLAIN = re.compile(r"[A-Za-z0-9_.\-~]*")


def _urlencode(query: list[tuple[str, _Primitive]]) -> str:
    """``urlencode(query)``, skipping ``quote_plus`` for names and values it would keep as is."""
    plain = _PLAIN.fullmatch
    parts: list[str] = []
    for name, value in query:
        if type(name) is str and type(value) is str and plain(name) and plain(value):
            parts.append(f"{name}={value}")
        else:
            parts.append(urlencode([(name, value)]))
    return "&".join(parts)


# Paths and queries made only of these characters are kept as they are by httpx.
_SAFE_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")
_SAFE_QUERY = re.compile(r"[A-Za-z0-9\-._~%+=&]*")
_parsed_bases: dict[str, Any] = {}
# (api_url, path) -> (the base's ParseResult, its fields with the path filled in, query index)
_url_templates: dict[tuple[str, str], tuple[Any, list[Any], int]] = {}
_fast_urls_ok: bool | None = None


def _fast_url(api_url: str, path: str, query: str) -> httpx.URL | None:
    """``httpx.URL(f"{api_url}/{path}?{query}")`` without re-parsing, or None to parse.

    httpx keeps a parsed URL as a ``ParseResult`` named tuple; for a URL whose
    path and query need no encoding, replacing those two fields of the base
    URL's tuple gives exactly what parsing the whole string would. That uses
    httpx internals, so the first use is checked against ``httpx.URL`` and any
    difference (or a missing attribute) switches this off for good.
    """
    global _fast_urls_ok
    if _fast_urls_ok is False or not _SAFE_QUERY.fullmatch(query):
        return None
    template = _url_templates.get((api_url, path))
    if template is None:
        if not _SAFE_PATH.fullmatch(path):
            return None
        base: Any = _parsed_bases.get(api_url)
        if base is None:
            parsed = httpx.URL(api_url)
            if parsed.query or parsed.fragment or not _SAFE_PATH.fullmatch(parsed.path):
                return None
            if len(_parsed_bases) >= 64:
                _parsed_bases.clear()
            base = _parsed_bases[api_url] = getattr(parsed, "_uri_reference", None)
        try:
            fields = list(base)
            fields[base._fields.index("path")] = base.path.rstrip("/") + "/" + path
            template = (base, fields, base._fields.index("query"))
        except Exception:  # httpx changed its internals: parse strings from now on
            _fast_urls_ok = False
            return None
        if len(_url_templates) >= 1024:
            _url_templates.clear()
        _url_templates[(api_url, path)] = template
    base, fields, query_at = template
    try:
        # Not base._replace(): on CPython 3.11 it leaves each new tuple to the cycle
        # collector (tracemalloc showed ~100 B a call piling up between collections).
        fields = fields.copy()
        fields[query_at] = query or None
        fast = httpx.URL.__new__(httpx.URL)
        fast._uri_reference = base._make(fields)
        if _fast_urls_ok is None:
            text = f"{api_url}/{path}" + (f"?{query}" if query else "")
            expected = httpx.URL(text)
            _fast_urls_ok = fast == expected and str(fast) == str(expected)
            if not _fast_urls_ok:
                return None
    except Exception:  # httpx changed its internals: parse strings from now on
        _fast_urls_ok = False
        return None
    return fast


# (netloc, the client's headers) -> the headers a body-less request carries: Host first.
_host_headers: dict[tuple[bytes, tuple[tuple[bytes, bytes], ...]], httpx.Headers] = {}


def _bodyless_request(
    method: str, url: httpx.URL | str, headers: Mapping[str, str] | None
) -> httpx.Request:
    """``httpx.Request(method, url, headers=headers)`` for a request without a body, cheaper.

    ``httpx.Request`` given ``stream=`` skips encoding a body and adding the
    automatic headers; for a body-less GET those are just ``Host`` in front of
    the given headers and an empty ``ByteStream``, read, which is what is put
    here (the same headers, in the same order). Anything else is built as usual.
    """
    if (
        isinstance(url, httpx.URL)
        and isinstance(headers, httpx.Headers)
        and method not in ("POST", "PUT", "PATCH")
        and url.host
    ):
        raw = tuple(headers.raw)
        key = (url.netloc, raw)
        prepared = _host_headers.get(key)
        if prepared is None:
            if any(n.lower() in (b"host", b"content-length", b"transfer-encoding") for n, _ in raw):
                return httpx.Request(method, url, headers=headers)
            if len(_host_headers) >= 64:
                _host_headers.clear()
            prepared = _host_headers[key] = httpx.Headers([(b"Host", url.netloc), *raw])
        request = httpx.Request(method, url, headers=prepared, stream=httpx.ByteStream(b""))
        request.read()
        return request
    return httpx.Request(method, url, headers=headers)


def _path_segment(name: str, value: str) -> str:
    """A path parameter as one percent-encoded segment: it cannot add segments or a query."""
    if value in ("", ".", ".."):
        raise ValidationError(f"path parameter {name}={value!r} is not a valid id")
    return urllib.parse.quote(value, safe="")


def _has(params: Mapping[str, Any], name: str) -> bool:
    lowered = name.lower()
    return any(k.lower() == lowered and v is not None for k, v in params.items())


# --------------------------------------------------------------------------- replies


def http_headers_of(response: httpx.Response) -> dict[str, str]:
    """The seed's ``http_headers``: lower-case names (repeats joined by ``, ``) plus ``status``."""
    headers = response.headers
    raw = headers.raw
    try:  # httpx's own choice when every header is ASCII (the usual case), without its pass
        out = _decoded_headers(raw, "ascii")
    except UnicodeDecodeError:
        out = _decoded_headers(raw, headers.encoding)  # what multi_items() decodes with
    out["status"] = str(response.status_code)
    return out


def _decoded_headers(raw: list[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode(encoding).lower()
        value = raw_value.decode(encoding)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


_SECRET_IN_TEXT = re.compile(
    r"(oauth_token_secret|oauth_token|oauth_signature|password|secret)(=|\s*:\s*|>)([^&\s<\"']*)",
    re.IGNORECASE,
)


def excerpt(content: bytes, limit: int = 120) -> str:
    """A short printable start of a body, safe to put in an error message.

    Values that look like credentials (``oauth_token_secret=...``) are masked:
    a token reply read as an error must not leak its secret.
    """
    text = content[: limit * 4].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    text = _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return text[:limit] + ("…" if len(text) > limit else "")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = _dt.datetime.now(when.tzinfo or _dt.timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _error_of(error: Any) -> tuple[int, str]:
    if not isinstance(error, dict):
        return -1, "error reply without an <error> element"
    raw_code = error.get("@code")
    try:
        code = int(str(raw_code))
    except ValueError:
        code = -1
    message = error.get("errorMessage")
    if isinstance(message, dict):
        message = message.get("#text")
    return code, str(message) if message is not None else ""


def parse_response(
    response: httpx.Response,
    *,
    endpoint: Endpoint | None = None,
    normalize: bool = False,
    max_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    from_cache: bool = False,
) -> Result:
    """Turn a reply into a :class:`Result`, or raise the matching py7D error.

    Error or ok is decided by the envelope's ``status`` attribute whatever the
    HTTP status; non-XML bodies raise OAuthError (401 / ``OAuth ...`` text),
    RateLimitedError (429) or ResponseParseError. An error raised from a reply
    with ``Retry-After`` (429, 503) carries it as ``retry_after``.
    """
    try:
        return _parse_response(
            response,
            endpoint=endpoint,
            normalize=normalize,
            max_bytes=max_bytes,
            from_cache=from_cache,
        )
    except Py7DError as exc:
        if exc.retry_after is None:
            exc.retry_after = _retry_after(response.headers)
        raise


def _parse_response(
    response: httpx.Response,
    *,
    endpoint: Endpoint | None,
    normalize: bool,
    max_bytes: int | None,
    from_cache: bool,
) -> Result:
    request = response.request if _has_request(response) else None
    status = response.status_code
    content = response.content
    try:
        tree = _xml.parse(content, max_bytes=max_bytes)
    except _xml.XMLError as exc:
        text = excerpt(content)
        if status == 429:
            raise RateLimitedError(
                -1,
                "rate limit exceeded: " + (text or "slow down"),
                retry_after=_retry_after(response.headers),
                request=request,
                status_code=status,
            ) from None
        if status in (401, 403) or text.lower().startswith("oauth"):
            raise OAuthError(
                text or "access to resource denied", request=request, status_code=status
            ) from None
        why = exc.reason
        content_type = response.headers.get("content-type", "")
        if content_type and "xml" not in content_type.lower():
            why += f"; content-type {content_type.split(';')[0].strip()[:60]}"
        raise ResponseParseError(
            f"the reply is not a 7digital XML envelope ({why})",
            request=request,
            status_code=status,
            excerpt=text,
            reason=exc.reason,
        ) from None

    envelope = tree.get("response") if len(tree) == 1 else None
    state = envelope.get("@status") if isinstance(envelope, dict) else None
    if state == "error":
        assert isinstance(envelope, dict)
        code, message = _error_of(envelope.get("error"))
        if status == 429:
            raise RateLimitedError(
                code,
                message,
                retry_after=_retry_after(response.headers),
                request=request,
                status_code=status,
            )
        raise error_class_for_code(code)(code, message, request=request, status_code=status)
    if state != "ok":
        root = next(iter(tree), None)
        why = (
            f"root element is <{root}>, not <response>"
            if not isinstance(envelope, dict)
            else f"unrecognised status {state!r}"
        )
        raise ResponseParseError(
            f"the reply is not a 7digital envelope: {why}",
            request=request,
            status_code=status,
            excerpt=excerpt(content),
            reason="envelope",
        )
    if status >= 400:
        raise ResponseParseError(
            f"HTTP {status} with an ok envelope",
            request=request,
            status_code=status,
            reason="status",
        )
    assert isinstance(envelope, dict)
    if normalize and endpoint is not None and endpoint.root and endpoint.lists:
        root = endpoint.root
        if root in envelope:
            envelope = dict(envelope)
            envelope[root] = _xml.normalize(envelope[root], endpoint.lists)
    return Result(
        envelope,
        http_headers_of(response),
        status_code=status,
        headers=response.headers,
        content=content,
        endpoint=endpoint,
        request=request,
        from_cache=from_cache,
    )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - httpx raises when a response has no request
    except RuntimeError:
        return False
    return True


def check_client_usage(kwargs: Iterable[str]) -> None:
    """The seed's ``request()`` refuses an ``access_token`` keyword."""
    if "access_token" in kwargs:
        raise APIClientException(
            "request() does not take access_token; use oauth_3legged_request(method, function, "
            "access_token, **kwargs) for calls on behalf of a user"
        )
