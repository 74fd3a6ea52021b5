"""``--all`` / ``--limit``: every item of a paged endpoint, as JSON Lines or a streamed table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..cli import UsageError

if TYPE_CHECKING:
    from .._auth import Token
    from .._core import Result
    from .._endpoints import Endpoint
    from .session import Session

__all__ = ["iter_pages", "run_all"]


def iter_pages(
    session: Session,
    path: str,
    params: dict[str, Any],
    token: Token | None,
    options: argparse.Namespace,
) -> Iterator[tuple[Result, list[Any]]]:
    """Each page's result and its items, from ``page=`` (default 1) to the last.

    Interim loop over ``Result.page_info``; replaced by ``client.pages()`` when
    the shared paging lands.
    """
    from .call import send
    from .table import items_of

    page = int(params.get("page", 1))
    while True:
        result = send(session, path, {**params, "page": page}, token, options)
        items = items_of(result) or []
        yield result, items
        info = result.page_info
        if info is None or not info.has_next or not items:
            return
        page += 1


def run_all(
    session: Session,
    path: str,
    params: dict[str, Any],
    endpoint: Endpoint | None,
    token: Token | None,
    options: argparse.Namespace,
) -> int:
    """Write every item (up to ``--limit``) while a progress bar runs on stderr."""
    if endpoint is None or not endpoint.paged:
        raise UsageError(
            f"{path} is not a paged endpoint, so --all/--limit do not apply "
            "('py7d endpoints' marks the paged ones)"
        )
    from .output import json_line
    from .progress import Progress
    from .table import TableWriter

    out = sys.stdout
    progress = Progress(sys.stderr, enabled=None if not options.no_progress else False)
    table = TableWriter(out) if options.table else None
    count = pages = 0
    try:
        for result, items in iter_pages(session, path, params, token, options):
            pages += 1
            if options.limit is not None:
                items = items[: options.limit - count]
            if table is not None:
                table.write(items)
            else:
                out.write("".join(json_line(item) + "\n" for item in items))
            out.flush()
            count += len(items)
            info = result.page_info
            total_items = info.total_items if info else None
            if options.limit is not None and total_items is not None:
                total_items = min(total_items, options.limit)
            progress.update(count, pages, info.total_pages if info else None, total_items)
            if options.limit is not None and count >= options.limit:
                break
    finally:
        progress.close()
    return 0
