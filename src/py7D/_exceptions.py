"""The py7D error tree.

Every error py7D raises derives from :class:`Py7DError`; no bare ``httpx`` or
``expat`` exception escapes a call.

```
Py7DError
├── APIClientException          misuse: the call could not be sent as asked (the seed's name)
│   ├── ConfigurationError      credentials or settings missing/invalid; says how to set them
│   └── ValidationError         unknown endpoint, missing/invalid parameter (raised before sending)
├── TransportError              the network failed: connection refused/reset, DNS, TLS
│   └── RequestTimeoutError     connect/read/write/pool timeout
├── ResponseParseError          the reply is not XML, truncated, hostile, too big or has no envelope
├── OAuthError                  401 / plain-text "OAuth authentication error: ..." reply
├── DownloadError               a locker download could not be completed; ``path``
│   ├── NotOwnedError           HTTP 403: the user does not own the track/release/purchase
│   ├── FormatNotAvailableError the item is not offered in the format asked for
│   ├── IncompleteDownloadError the body stopped short; the partial file is kept to resume
│   ├── DiskFullError           no space left while writing; the partial file is kept
│   ├── PathNotWritableError    the destination folder or file cannot be written
│   └── UnsafeArchiveError      a zip member would be written outside the target folder
└── APIServiceException         <response status="error"><error code=...> (the seed's name)
    ├── InvalidParameterError   1000–1999
    ├── ResourceNotFoundError   2000–2999
    ├── UserCardError           3000–3999
    ├── RemoteServiceError      7000–7999, 9000–9999
    └── RateLimitedError        HTTP 429 / quota exceeded; ``retry_after`` seconds
```

Errors carry the HTTP status and a *redacted* description of the request
(method and URL without ``oauth_signature`` or any secret), never headers.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ._redact import describe_request

if TYPE_CHECKING:
    import os

    import httpx

__all__ = [
    "APIClientException",
    "APIServiceException",
    "ConfigurationError",
    "DiskFullError",
    "DownloadError",
    "FormatNotAvailableError",
    "IncompleteDownloadError",
    "InvalidParameterError",
    "NotOwnedError",
    "OAuthError",
    "PathNotWritableError",
    "Py7DError",
    "RateLimitedError",
    "RemoteServiceError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "ResponseParseError",
    "TransportError",
    "UnsafeArchiveError",
    "UserCardError",
    "ValidationError",
    "error_class_for_code",
    "map_transport_errors",
]


class Py7DError(Exception):
    """Base class of every error raised by py7D.

    Besides ``message``, ``status_code`` and ``request`` (redacted), every error
    has ``attempts`` (how many times the call was sent; 0 when it was not),
    ``retry_after`` (from a ``Retry-After`` header, else None) and, for calls
    that change state, ``may_have_acted`` (True/False; None for reads) and a
    ``hint`` saying what that means for the caller.
    """

    attempts: int = 0
    may_have_acted: bool | None = None
    hint: str | None = None
    retry_after: float | None = None
    """Seconds the server asked to wait (``Retry-After``), on errors built from a reply."""
    page: int | None = None
    """The page that failed, on errors raised while walking pages (``pages()``/``items()``)."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        # Only the redacted description is kept: the request object holds the
        # Authorization header with the signature.
        self.request = describe_request(request)

    def __str__(self) -> str:
        # args[0], not self.message: APIServiceException keeps the bare
        # errorMessage in .message but its text is "Error code N: ..." (the seed's).
        text = str(self.args[0]) if self.args else self.message
        extra = []
        if self.status_code is not None:
            extra.append(f"HTTP {self.status_code}")
        if self.request:
            extra.append(self.request)
        if self.page is not None:
            extra.append(f"page {self.page}")
        if self.attempts > 1:
            extra.append(f"after {self.attempts} attempts")
        text = f"{text} ({'; '.join(extra)})" if extra else text
        text += self._tail()
        return f"{text}. {self.hint}" if self.hint else text

    def _tail(self) -> str:
        return ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, "
            f"status_code={self.status_code!r}, request={self.request!r})"
        )


class APIClientException(Py7DError):  # noqa: N818 (the seed's public name)
    """The call was misused or could not be built; nothing was sent."""


class ConfigurationError(APIClientException):
    """Credentials or settings are missing or invalid."""


class ValidationError(APIClientException):
    """An endpoint name or parameter is wrong; raised before any network traffic."""


class TransportError(Py7DError):
    """The request could not be completed at the network level.

    ``may_have_acted`` tells whether the server may have received and acted
    on the request (the failure happened after the request was sent).
    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        may_have_acted: bool = True,
    ) -> None:
        super().__init__(message, request=request)
        self.may_have_acted: bool = may_have_acted

    nothing_listening: str | None = None
    """``scheme://host:port`` when a loopback address refused the connection: no server
    runs there, so the call is not retried."""


class RequestTimeoutError(TransportError):
    """A connect, read, write or pool timeout expired."""


class ResponseParseError(Py7DError):
    """The reply could not be read as a 7digital XML envelope.

    ``excerpt`` holds a short, printable start of the body; ``reason`` a short
    code (``syntax``, ``empty``, ``doctype``, ``too-large``, ``envelope``...)
    when known.
    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        status_code: int | None = None,
        excerpt: str = "",
        reason: str | None = None,
    ) -> None:
        super().__init__(message, request=request, status_code=status_code)
        self.excerpt = excerpt
        self.reason = reason

    def _tail(self) -> str:
        return f"; body starts: {self.excerpt!r}" if self.excerpt else ""


class OAuthError(Py7DError):
    """7digital refused the OAuth credentials (plain-text ``OAuth ...`` reply or HTTP 401)."""


class DownloadError(Py7DError):
    """A locker download could not be completed; ``path`` is the file concerned.

    Unless the subclass says otherwise, the partial file (``NAME.part``) is kept,
    and downloading to the same place again resumes it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: os.PathLike[str] | str | None = None,
        request: httpx.Request | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, request=request, status_code=status_code)
        self.path = path


class NotOwnedError(DownloadError):
    """HTTP 403: the user does not own what was asked for (not in their locker)."""


class FormatNotAvailableError(DownloadError):
    """The item is not offered in that format: pick one its locker entry lists."""


class IncompleteDownloadError(DownloadError):
    """The body ended before the size the server announced; the partial file is kept."""


class DiskFullError(DownloadError):
    """No space left on the device while writing; the partial file is kept."""


class PathNotWritableError(DownloadError):
    """The destination cannot be written (permissions, read-only, not a folder)."""


class UnsafeArchiveError(DownloadError):
    """A zip member's path would land outside the target folder; nothing was extracted."""


class APIServiceException(Py7DError):  # noqa: N818 (the seed's public name)
    """7digital answered ``<response status="error">``.

    Attributes: ``code`` (int; -1 where the server sent a non-numeric code),
    ``message`` (the ``errorMessage`` text), ``status_code`` (HTTP status),
    ``request`` (redacted ``METHOD URL``).
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        request: httpx.Request | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(f"Error code {code}: {message}", request=request, status_code=status_code)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"status_code={self.status_code!r}, request={self.request!r})"
        )


class InvalidParameterError(APIServiceException):
    """Error codes 1000–1999: a parameter is missing or invalid."""


class ResourceNotFoundError(APIServiceException):
    """Error codes 2000–2999: the resource does not exist or is not available here."""


class UserCardError(APIServiceException):
    """Error codes 3000–3999: card or payment problems."""


class RemoteServiceError(APIServiceException):
    """Error codes 7000–7999 and 9000–9999: 7digital could not complete the action."""


class RateLimitedError(APIServiceException):
    """The server refused the call for exceeding the rate limit.

    ``retry_after`` is the number of seconds to wait before trying again, when known.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        retry_after: float | None = None,
        request: httpx.Request | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(code, message, request=request, status_code=status_code)
        self.retry_after = retry_after


# (first code, last code, class): the families of 7digital's ErrorCode enum.
ERROR_CODE_RANGES: tuple[tuple[int, int, type[APIServiceException]], ...] = (
    (1000, 1999, InvalidParameterError),
    (2000, 2999, ResourceNotFoundError),
    (3000, 3999, UserCardError),
    (7000, 7999, RemoteServiceError),
    (9000, 9999, RemoteServiceError),
)


def error_class_for_code(code: int) -> type[APIServiceException]:
    """The most specific :class:`APIServiceException` subclass for an error code."""
    for first, last, cls in ERROR_CODE_RANGES:
        if first <= code <= last:
            return cls
    return APIServiceException


class map_transport_errors:  # noqa: N801 - used like a function (a class costs less per call)
    """Translate ``httpx`` transport errors into py7D's, in one place (a context manager)."""

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request | None = None) -> None:
        self._request = request

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            return
        import httpx

        request = self._request
        origin = _refused_on_loopback(exc, request or _request_of(exc))
        if origin is not None:
            error = TransportError(
                f"nothing is listening at {origin} (connection refused)",
                request=request or _request_of(exc),
                may_have_acted=False,
            )
            error.nothing_listening = origin
            raise error from exc
        aiohttp_error = None if isinstance(exc, Py7DError) else _aiohttp_error(exc)
        if aiohttp_error is not None:
            # httpx-aiohttp names aiohttp's errors loosely (a connection the server dropped,
            # maybe after acting, becomes ConnectTimeout): judge by aiohttp's own error.
            names = {cls.__name__ for cls in type(aiohttp_error).__mro__}
            acted = not names & {"ClientConnectorError", "ConnectionTimeoutError"}
            error_class = RequestTimeoutError if "TimeoutError" in names else TransportError
            raise error_class(
                f"network error: {type(aiohttp_error).__name__}: {_safe_text(aiohttp_error)}",
                request=request or _request_of(exc),
                may_have_acted=acted,
            ) from exc
        if isinstance(exc, httpx.TimeoutException):
            acted = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise RequestTimeoutError(
                f"timed out: {type(exc).__name__}; raise the timeout or retry later",
                request=request or _request_of(exc),
                may_have_acted=acted,
            ) from exc
        if isinstance(exc, httpx.TransportError):
            acted = not isinstance(exc, httpx.ConnectError)
            raise TransportError(
                f"network error: {type(exc).__name__}: {_safe_text(exc)}",
                request=request or _request_of(exc),
                may_have_acted=acted,
            ) from exc
        if isinstance(exc, httpx.DecodingError):
            # The server answered, but its body could not be decoded (bad gzip, charset).
            raise ResponseParseError(
                f"the reply body could not be decoded: {_safe_text(exc)}",
                request=request or _request_of(exc),
            ) from exc
        if isinstance(exc, httpx.RequestError):
            # TooManyRedirects and any other httpx request error: no bare httpx error escapes.
            raise TransportError(
                f"request failed: {type(exc).__name__}: {_safe_text(exc)}",
                request=request or _request_of(exc),
                may_have_acted=True,
            ) from exc


def _refused_on_loopback(exc: BaseException, request: httpx.Request | None) -> str | None:
    """``scheme://host:port`` when ``exc`` is a refused connection to a loopback address."""
    import httpx

    # httpx-aiohttp raises ConnectError or ConnectTimeout for a refused connection.
    if request is None or not isinstance(exc, httpx.TransportError):
        return None
    host = request.url.host
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            return None
    refused = False
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            refused = True
            break
        current = current.__cause__ or current.__context__
    if not refused:
        return None
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{shown}:{port}"


def _request_of(exc: BaseException) -> httpx.Request | None:
    import httpx

    try:
        return exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:
        return None


def _aiohttp_error(exc: BaseException) -> BaseException | None:
    """The aiohttp error behind ``exc`` (itself, or what httpx-aiohttp raised it from), if any."""
    for candidate in (exc, exc.__cause__):
        if candidate is not None and type(candidate).__module__.split(".", 1)[0] == "aiohttp":
            return candidate
    return None


def _safe_text(exc: BaseException) -> str:
    # httpx messages can quote the URL; strip any query string to be safe.
    text = str(exc)
    return text.split("?", 1)[0][:200]
