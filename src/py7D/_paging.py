"""Paging, sans-I/O: which page to ask for next, which items a page holds, when to stop.

7digital pages with ``page``/``pageSize`` and answers ``page``, ``pageSize``
and ``totalItems`` next to the items. :class:`PageWalk` keeps
the arithmetic here so ``Client.pages``/``items`` (iterators) and
``AsyncClient.pages``/``items`` (async iterators) are a few lines each::

    walk = PageWalk.start(endpoint, params, limit=limit)
    while (page_params := walk.next_params()) is not None:
        items = walk.feed(send(page_params))     # one page in memory at a time

The walk stops after the page that reaches ``totalItems`` (``page * pageSize
>= totalItems``), on a page without items, when ``limit`` items were seen, or
when a reply carries no paging numbers. ``totalItems`` is re-read from every
page: if it changes mid-way, the latest value decides (a shrinking list ends
early instead of asking for pages that no longer exist; a growing one goes on).
The API has no cursor, so items that move between pages while a walk runs can
be skipped or seen twice; py7D does not paper over that.

:class:`PagePlan` fetches the pages of a walk concurrently: the first page
alone (its ``totalItems`` says how many follow), then up to ``concurrency``
pages at once. It decides which pages to ask for and hands the results on in
page order; the clients only send (threads for ``Client``, tasks for
``AsyncClient``)::

    plan = PagePlan(walk, concurrency=8)
    while not plan.finished:
        for page, page_params in plan.launch():
            start fetching page_params; when it ends: plan.land(page, result or error)
        wait until something landed
        for result, items in plan.ready():   # in page order; raises a page's error in turn
            yield ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._endpoints import Endpoint, find_endpoint
from ._exceptions import Py7DError, ValidationError
from ._request import resolve_path
from ._result import Result

__all__ = ["DEFAULT_PAGE_CONCURRENCY", "PagePlan", "PageWalk", "items_at", "paged_endpoint"]

#: Pages fetched at once by ``pages()``/``items()`` unless told otherwise.
DEFAULT_PAGE_CONCURRENCY = 8


def items_at(data: Any, path: str) -> list[Any]:
    """The elements at dotted ``path`` below ``data``, always as a list.

    xmltodict gives a dict for one element, a list for several and nothing (or
    None, for an empty container like ``<lockerReleases/>``) for none; this
    evens that out for every page, whether or not the reply was normalized.
    """
    node = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return []
        node = node.get(part)
    if node is None:
        return []
    return list(node) if isinstance(node, list) else [node]


def paged_endpoint(resource: str, action: str | None, http_method: str | None = None) -> Endpoint:
    """The table row to page through; refuses endpoints that do not page."""
    path = resolve_path(resource, action)
    endpoint = find_endpoint(path, http_method)
    if endpoint is None:
        raise ValidationError(
            f"{path!r} is not in the endpoint table, so py7D does not know where its items "
            "are; page through it with request(..., page=n)"
        )
    if not endpoint.paged:
        raise ValidationError(f"{endpoint.path} does not page; call it with request()")
    return endpoint


def _pop(params: dict[str, Any], name: str) -> Any:
    """Remove ``name`` (any casing) from ``params`` and return its last value."""
    value = None
    for key in [k for k in params if k.lower() == name.lower()]:
        value = params.pop(key)
    return value


def _positive_int(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValidationError(f"{name} must be at least 1, not {number}")
    return number


@dataclass
class PageWalk:
    """Where a walk through a paged endpoint stands.

    ``params`` are the caller's parameters without ``page``/``pageSize``;
    ``page`` is the next page to ask for; ``page_size`` is sent with every
    request (None: leave it to the API); ``limit`` caps the items yielded.
    """

    endpoint: Endpoint
    params: dict[str, Any]
    page: int = 1
    page_size: int | None = None
    limit: int | None = None
    seen: int = 0
    done: bool = False
    total_items: int | None = field(default=None)
    reply_page_size: int | None = field(default=None)

    @classmethod
    def start(
        cls, endpoint: Endpoint, params: Mapping[str, Any], *, limit: int | None = None
    ) -> PageWalk:
        """Begin at the caller's ``page`` (default 1) with their ``pageSize``, or the largest.

        Without a ``pageSize`` the walk asks for the endpoint's maximum (fewest
        round trips), or for just ``limit`` items when that is smaller; where
        the table knows no maximum it leaves the size to the API.
        """
        rest = dict(params)
        page = _pop(rest, "page")
        size = _pop(rest, "pageSize")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValidationError(f"limit must be a whole number or None, not {limit!r}")
        if limit is not None and limit < 0:
            raise ValidationError(f"limit must not be negative, not {limit}")
        page_size = _positive_int("pageSize", size) if size is not None else None
        if page_size is None:
            page_size = endpoint.page_size_max
            if limit and page_size is not None and limit < page_size:
                page_size = limit
        return cls(
            endpoint,
            rest,
            page=_positive_int("page", page) if page is not None else 1,
            page_size=page_size,
            limit=limit,
            done=limit == 0,
        )

    def next_params(self) -> dict[str, Any] | None:
        """Parameters for the next request, or None when the walk is over."""
        if self.done:
            return None
        return self.params_for(self.page)

    def params_for(self, page: int) -> dict[str, Any]:
        """Parameters of the request for ``page``."""
        out = dict(self.params)
        out["page"] = page
        if self.page_size is not None:
            out["pageSize"] = self.page_size
        return out

    @property
    def last_page(self) -> int | None:
        """The last page the walk expects to need, once a reply told the total (else None).

        From the latest ``totalItems`` and page size, and from ``limit``: a walk that
        needs 120 items in pages of 50 expects to end at page 3.
        """
        size = self.reply_page_size or self.page_size
        if self.total_items is None or not size:
            return None
        last = -(-self.total_items // size)
        if self.limit is not None:
            last = min(last, self.page - 1 + -(-(self.limit - self.seen) // size))
        return last

    def feed(self, result: Result) -> list[Any]:
        """Take in the reply to :meth:`next_params`; return its items (cut at ``limit``)."""
        assert self.endpoint.items is not None
        items = items_at(result.data, self.endpoint.items)
        if self.limit is not None:
            items = items[: self.limit - self.seen]
        self.seen += len(items)
        info = result.page_info
        if info is not None:
            self.total_items = info.total_items
        # The reply's pageSize is an echo of the request; a missing or zero echo
        # (artist/similar with no results says 0) falls back to what was asked.
        size = info.page_size if info is not None and info.page_size > 0 else self.page_size
        self.reply_page_size = size
        if (
            info is None
            or not items
            or (self.limit is not None and self.seen >= self.limit)
            or size is None
            or self.page * size >= info.total_items
        ):
            self.done = True
        else:
            self.page += 1
        return items


class PagePlan:
    """Which pages of a :class:`PageWalk` to fetch now, and their results in page order.

    The first page goes alone. Once a reply has told ``totalItems``, pages up to
    the walk's :attr:`PageWalk.last_page` are launched while fewer than
    ``concurrency`` are in flight or fetched but not yet handed on, so about
    ``concurrency`` pages are held at any time. :meth:`ready` feeds the walk in
    page order, so ``limit``, an empty page and a changing ``totalItems`` end it as
    they end a sequential walk; pages launched past that end are :meth:`abandoned`.
    A page's error is raised by :meth:`ready` when its turn comes, with
    ``error.page`` set; the plan is finished after it.
    """

    def __init__(self, walk: PageWalk, concurrency: int) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(
                f"concurrency must be a whole number of at least 1, not {concurrency!r}"
            )
        self.walk = walk
        self.concurrency = concurrency
        self._next = walk.page  # the next page to launch
        self._out: dict[int, Result | BaseException | None] = {}  # None: still in flight
        self._failed = False

    @property
    def finished(self) -> bool:
        """Whether every page the walk needs has been handed on (or one failed)."""
        return self._failed or self.walk.done

    @property
    def in_flight(self) -> list[int]:
        """Pages launched whose outcome has not landed."""
        return [page for page, outcome in self._out.items() if outcome is None]

    def launch(self) -> list[tuple[int, dict[str, Any]]]:
        """Pages to start fetching now, with their request parameters."""
        if self.finished:
            return []
        last = self.walk.last_page
        if last is None:  # no reply yet: only the first page, alone
            last = self.walk.page
        out = []
        while len(self._out) < self.concurrency and self._next <= last:
            self._out[self._next] = None
            out.append((self._next, self.walk.params_for(self._next)))
            self._next += 1
        return out

    def land(self, page: int, outcome: Result | BaseException) -> None:
        """Record what fetching ``page`` gave: its result, or the error it raised."""
        if page in self._out:
            self._out[page] = outcome

    def ready(self) -> Iterator[tuple[Result, list[Any]]]:
        """The landed pages that are next in order, each with its items (walk fed)."""
        walk = self.walk
        while not self.finished and self._out.get(walk.page) is not None:
            outcome = self._out.pop(walk.page)
            if isinstance(outcome, BaseException):
                self._failed = True
                if isinstance(outcome, Py7DError):
                    outcome.page = walk.page
                raise outcome
            assert outcome is not None
            yield outcome, walk.feed(outcome)

    def abandoned(self) -> list[int]:
        """Pages launched that will not be handed on (the walk ended or failed first)."""
        if not self.finished:
            return []
        pages = sorted(self._out)
        self._out.clear()
        return pages
