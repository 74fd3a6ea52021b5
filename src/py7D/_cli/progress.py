"""The ``--all`` progress bar: items, pages, rate and the API key's calls left, on stderr,
only on a terminal."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]

BAR_WIDTH = 20


class Progress:
    """A one-line bar redrawn in place (at most every ``interval`` s) and erased at the end.

    Disabled (draws nothing) when ``stream`` is not a terminal, so logs and
    pipes stay clean.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool | None = None,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = _isatty(stream) if enabled is None else enabled
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last_draw: float | None = None
        self.drawn = False

    def line(
        self,
        items: int,
        pages: int,
        total_pages: int | None,
        total_items: int | None,
        remaining: int | None = None,
    ) -> str:
        """The bar's text, e.g. ``[#####...] 120/900 items · page 4/30 · 35.2 items/s · 3986
        calls left`` (the last part when the API told how many calls the key has left)."""
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = f"{items / elapsed:.1f} items/s"
        if total_items:
            done = min(items / total_items, 1.0)
            filled = round(done * BAR_WIDTH)
            bar = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] "
            count = f"{items}/{total_items} items"
        else:
            bar, count = "", f"{items} items"
        page = f"page {pages}/{total_pages}" if total_pages else f"page {pages}"
        left = f" · {remaining} calls left" if remaining is not None else ""
        return f"{bar}{count} · {page} · {rate}{left}"

    def update(
        self,
        items: int,
        pages: int,
        total_pages: int | None = None,
        total_items: int | None = None,
        *,
        remaining: int | None = None,
    ) -> None:
        """Redraw, unless the last drawing is younger than ``interval``."""
        if not self.enabled:
            return
        now = self.clock()
        if self.last_draw is not None and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        width = shutil.get_terminal_size((80, 24)).columns - 1
        text = self.line(items, pages, total_pages, total_items, remaining)[:width]
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar, leaving the terminal as it was."""
        if self.enabled and self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
