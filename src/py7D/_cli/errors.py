"""One line per failure: what happened, what to do, and the exit status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ExitCode

if TYPE_CHECKING:
    from .._exceptions import Py7DError

__all__ = ["describe"]

# What to do, per family of 7digital error codes; the codes of each family are
# py7D._exceptions.ERROR_CODE_RANGES (the one table of them).
_FAMILY_HINTS = {
    "InvalidParameterError": "check the parameters ('py7d endpoints RESOURCE' lists them)",
    "ResourceNotFoundError": "check the id, and the country (--country) it is sold in",
    "UserCardError": "a card or payment problem: check the user's card",
    "RemoteServiceError": "7digital could not complete it: try again later",
}


def _api_hint(code: int) -> str:
    from .._exceptions import error_class_for_code

    family = error_class_for_code(code).__name__
    return _FAMILY_HINTS.get(family, "see the 7digital error code list")


def _unknown_path(exc: Py7DError) -> str | None:
    """For a call outside the endpoint table that the server turned down: what happened."""
    if not exc.request or exc.status_code is None or not 400 <= exc.status_code < 500:
        return None
    from urllib.parse import urlsplit

    from .._endpoints import find_endpoints
    from .help import close_paths

    url_path = urlsplit(exc.request.partition(" ")[2]).path
    marker = "/1.2/"
    path = url_path.split(marker, 1)[1] if marker in url_path else url_path.strip("/")
    if not path or find_endpoints(path):
        return None
    near = close_paths(path)
    hint = f"Did you mean {' or '.join(near)}? " if near else ""
    excerpt = getattr(exc, "excerpt", None)
    said = f" ({excerpt!r})" if excerpt else ""
    return (
        f"{path} is not in the endpoint table, and the server answered HTTP {exc.status_code}"
        f"{said}, not a 7digital XML envelope: the API does not know that path. {hint}"
        "'py7d endpoints' lists the known ones"
    )


def describe(exc: BaseException) -> tuple[int, str] | None:
    """The exit status and message for a py7D error, or None for anything else (a bug)."""
    from .._exceptions import (
        APIClientException,
        APIServiceException,
        ConfigurationError,
        OAuthError,
        Py7DError,
        RateLimitedError,
        ResponseParseError,
        TransportError,
    )

    if isinstance(exc, ConfigurationError):
        return ExitCode.CONFIG, f"{exc} ('py7d whoami' shows the settings in use)"
    if isinstance(exc, APIClientException):
        return ExitCode.USAGE, str(exc).replace("pass validate=False", "add --no-validate")
    if isinstance(exc, RateLimitedError):
        wait = f"wait {exc.retry_after:.0f} s" if exc.retry_after is not None else "wait"
        return ExitCode.API, f"rate limited: {exc}; {wait} and try again"
    if isinstance(exc, APIServiceException):
        where = f" ({exc.request})" if exc.request else ""
        return ExitCode.API, f"API error {exc.code}: {exc.message}{where}; {_api_hint(exc.code)}"
    if isinstance(exc, OAuthError):
        return ExitCode.AUTH, (
            f"7digital refused the OAuth credentials: {exc}. Check the consumer key and secret "
            "('py7d whoami'); for user calls run 'py7d login' again; "
            "'py7d sign URL --explain' shows how a signature is built"
        )
    if isinstance(exc, TransportError):
        if exc.nothing_listening is not None:
            return ExitCode.NETWORK, (
                f"network error: nothing is listening at {exc.nothing_listening} (connection "
                "refused): start "
                "the server there (e.g. 'py7d sandbox --port N'), or check the API URL "
                "('py7d whoami'); --sandbox needs no server"
            )
        return ExitCode.NETWORK, f"{exc}. Check the network and the API URL ('py7d whoami')"
    if isinstance(exc, ResponseParseError):
        unknown = _unknown_path(exc)
        if unknown is not None:
            return ExitCode.REPLY, unknown
        return ExitCode.REPLY, f"{exc}. Is the API URL right ('py7d whoami')?"
    if isinstance(exc, Py7DError):
        return ExitCode.API, str(exc)
    return None
