"""What a call returns: the reply as a dict (:class:`Result`), its paging and rate limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._endpoints import Endpoint

__all__ = ["PageInfo", "RateLimit", "Result"]


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
        if isinstance(headers, httpx.Headers):  # one pass over the raw pairs, not one per name
            raw = {name.lower(): value for name, value in headers.raw}
            limit_text, current_text, reset_text = (
                None if (value := raw.get(name)) is None else value.decode("latin-1")
                for name in _RAW_RATE_LIMIT_HEADERS
            )
        else:
            limit_text, current_text, reset_text = (headers.get(n) for n in _RATE_LIMIT_HEADERS)
        limit, current = _int_or_none(limit_text), _int_or_none(current_text)
        reset = _seconds_or_none(reset_text)
        if limit is None and current is None and reset is None:
            return None
        return cls(limit, current, reset)


_RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-current", "x-ratelimit-reset")
_RAW_RATE_LIMIT_HEADERS = tuple(name.encode("ascii") for name in _RATE_LIMIT_HEADERS)


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
        self._rate_limit: RateLimit | None = None
        self._rate_limit_read = False
        self.endpoint = endpoint
        # Redacting the URL costs more than parsing a small reply, so an
        # httpx.Request is kept and described only when someone asks.
        self._request = request
        self.from_cache = from_cache

    @property
    def rate_limit(self) -> RateLimit | None:
        """The reply's ``x-ratelimit-*`` headers (None when it had none); read on first use."""
        if not self._rate_limit_read:
            # The plain dict answers .get() several times faster than httpx.Headers.
            self._rate_limit = RateLimit.from_headers(self["http_headers"])
            self._rate_limit_read = True
        return self._rate_limit

    @property
    def request(self) -> str | None:
        """``'GET https://…/artist/details?artistId=1'``, secrets redacted (or None)."""
        if isinstance(self._request, str) or self._request is None:
            return self._request
        from ._redact import describe_request

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
