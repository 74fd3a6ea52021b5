"""``--all`` / ``--limit``: every item of a paged endpoint, written by the chosen output format.

The walk itself is py7D's shared paging (:meth:`py7D.Client.pages`, up to
``--concurrency`` pages at once, paced by the API key's quota); this module only
writes the items and keeps the progress bar up to date.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .base import UsageError

if TYPE_CHECKING:
    from .._auth import Token
    from .._endpoints import Endpoint
    from .session import Session

__all__ = ["run_all"]


def run_all(
    session: Session,
    path: str,
    params: dict[str, Any],
    endpoint: Endpoint | None,
    token: Token | None,
    options: argparse.Namespace,
) -> int:
    """Write every item (up to ``--limit``) while a progress bar runs on stderr."""
    if endpoint is None or endpoint.items is None:
        raise UsageError(
            f"{path} is not a paged endpoint, so --all/--limit do not apply "
            "('py7d endpoints' marks the paged ones)"
        )
    from .._paging import items_at
    from .output import item_writer
    from .progress import Progress

    out = sys.stdout
    writer = item_writer(options, out)
    progress = Progress(sys.stderr, enabled=False if options.no_progress else None)
    count = pages = 0
    walk = session.client.pages(
        path,
        None,
        limit=options.limit,
        params=params,
        access_token=token,
        auth=options.auth,
        http_method=options.method,
        concurrency=options.concurrency,
    )
    try:
        for result in walk:
            pages += 1
            items = items_at(result.data, endpoint.items)
            if options.limit is not None:  # the last page may hold more than the limit
                items = items[: options.limit - count]
            writer.write(items)
            out.flush()
            count += len(items)
            info = result.page_info
            total = info.total_items if info else None
            if options.limit is not None and total is not None:
                total = min(total, options.limit)
            progress.update(
                count,
                pages,
                info.total_pages if info else None,
                total,
                remaining=session.client.quota.remaining,
            )
    finally:
        progress.close()
    return 0
