"""The API key's quota, sans-I/O: how many calls the ``x-ratelimit-*`` headers still allow.

7digital (and the sandbox) send ``x-ratelimit-limit`` (calls allowed per window),
``x-ratelimit-current`` (calls used in it) and ``x-ratelimit-reset`` (seconds until
it starts afresh) on every reply. :class:`Quota` reads them from every reply a client
gets and, before a paced call is sent, decides whether it may go now, must wait for
the window to reset, or must not be sent at all because that wait is too long. It
only computes; the clients do the waiting (``time.sleep`` or ``asyncio.sleep``).

How a call is counted. Each paced call takes a slot when it is sent (``used`` goes
up by one at once, before any reply says so), so many threads or tasks cannot all
see the same last free slot. Every reply corrects ``used`` upwards to what the server
counted (``current``): calls of other programs using the same key show there.

When a window ends. The server counted a call at some moment between its sending
and its reply, so the window's end lies between ``sent + reset`` and ``received +
reset`` (widened by the header's rounding). Each reply of a window narrows that
interval; a new window begins for the client only once the latest possible end has
passed, so no call is sent early. The calls still in flight then are counted in the
new window too (they may land on either side of the boundary) until their replies,
whose intervals show which window took them, say otherwise. A slow reply has a wide
interval but never a wrong one.

Which calls are paced is the clients' choice (``quota=`` on the client): by
default those of bulk work (``map``, ``gather``, concurrent paging), which run
inside :func:`bulk_calls`.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

from ._exceptions import RateLimitedError
from ._result import RateLimit

__all__ = ["QUOTA_MODES", "Quota", "QuotaMode", "bulk_calls", "in_bulk"]

#: ``"bulk"``: pace ``map``, ``gather`` and concurrent paging; ``"always"``: every
#: call; ``"off"``: none (the headers are still read).
QuotaMode = Literal["bulk", "always", "off"]
QUOTA_MODES: tuple[str, ...] = ("bulk", "always", "off")

#: How often a paced call asks again while nothing tells when it may go (before the
#: first reply of a client or of a new window has come back).
POLL_SECONDS = 0.01
#: Sent this long after the window's expected end, for clocks that do not quite agree.
MARGIN_SECONDS = 0.002

_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("py7d_bulk", default=False)


@contextlib.contextmanager
def bulk_calls() -> Iterator[None]:
    """Mark the calls made inside (in this thread or task) as bulk work."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def in_bulk() -> bool:
    """Whether the current thread or task is doing bulk work (see :func:`bulk_calls`)."""
    return _BULK.get()


class Quota:
    """What the API key may still do in its rate-limit window, as the replies tell it.

    ``max_wait`` is the longest a paced call waits for the window to reset; when the
    wait would be longer, :meth:`reserve` raises :class:`py7D.RateLimitedError`
    (``retry_after``: the seconds until the reset) and the call is not sent.
    Thread-safe; :meth:`reserve` and :meth:`observe` never block.
    """

    def __init__(
        self, *, max_wait: float | None = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_wait is not None and (
            isinstance(max_wait, bool) or not isinstance(max_wait, int | float) or max_wait < 0
        ):
            raise ValueError(
                f"quota_wait must be seconds (0 or more) or None (wait as long as it takes), "
                f"not {max_wait!r}"
            )
        self.max_wait = max_wait
        self.clock = clock
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.used = 0
        # The current window's end lies in [_end_lo, _end_hi] (clock time); None: not known.
        self._end: tuple[float, float] | None = None
        self._previous: tuple[float, float] | None = None  # the same, for the window before
        self._in_flight = 0  # paced calls sent and not yet answered
        self._carried = 0  # of those, the ones sent before the window rolled over
        self._heard = False  # any reply seen at all

    def __repr__(self) -> str:
        left = self.reset_in
        return (
            f"Quota(limit={self.limit}, used={self.used}, "
            f"reset_in={None if left is None else round(left, 3)})"
        )

    @property
    def remaining(self) -> int | None:
        """Calls left in the window as far as the client knows (None: not known yet)."""
        if self.limit is None:
            return None
        return max(self.limit - self.used, 0)

    @property
    def reset_in(self) -> float | None:
        """Seconds until the window has surely started afresh (None: not known)."""
        if self._end is None:
            return None
        return max(self._end[1] - self.clock(), 0.0)

    def reserve(self) -> float:
        """Take a slot for a call about to be sent: 0.0 means send now.

        A positive number is the seconds to wait before asking again (no slot was
        taken). Raises :class:`py7D.RateLimitedError` when the window is spent and
        resets later than ``max_wait`` from now.
        """
        with self._lock:
            now = self.clock()
            if self._end is not None and now >= self._end[1]:
                self._roll()
            if self.limit is None:
                # Nothing known yet: one call goes first and its reply tells the quota.
                # (A server that sends no x-ratelimit-* headers is not paced at all.)
                if self._heard or self._in_flight == 0:
                    return self._take()
                return POLL_SECONDS
            if self.used < self.limit:
                return self._take()
            if self._end is None:
                if self._in_flight:  # the replies of the calls in flight will tell
                    return POLL_SECONDS
                raise self._exhausted(None)
            wait = self._end[1] - now + MARGIN_SECONDS
            if self.max_wait is not None and wait > self.max_wait:
                raise self._exhausted(wait)
            return wait

    def release(self) -> None:
        """A reserved call ended without a reply (it still counts: it may have arrived)."""
        with self._lock:
            self._done_in_flight()

    def observe(
        self, rate: RateLimit | None, *, reserved: bool, sent_at: float | None = None
    ) -> None:
        """Take in the ``x-ratelimit-*`` values of a reply.

        ``reserved``: the reply to a paced call (one that took a slot); ``sent_at``:
        when its request was sent, on :attr:`clock` (default: now).
        """
        with self._lock:
            now = self.clock()
            if reserved:
                self._done_in_flight()
            self._heard = True
            if rate is None or rate.limit is None:
                return
            self.limit = rate.limit
            current = rate.current
            if current is None:
                return
            if rate.reset is None:
                self.used = max(self.used, current)
                return
            # Where the end of the reply's window lies: the server counted the call
            # between sent_at and now. Whole seconds may be rounded down (7digital's),
            # fractions are rounded up to the millisecond (the sandbox's short windows).
            whole = isinstance(rate.reset, int)
            lo = (now if sent_at is None else min(sent_at, now)) + rate.reset - 0.001
            hi = now + rate.reset + (1.0 if whole else 0.0)
            self._place(lo, hi, current)

    # -- internals (called with the lock held) -----------------------------------------
    def _place(self, lo: float, hi: float, current: int) -> None:
        """Count a reply whose window ends within [lo, hi] in the right window."""
        if self._end is None:
            if self._previous is not None and lo <= self._previous[1]:
                self._settle_carried()  # from the window that just ended
                return
            self._end = (lo, hi)
            self.used = max(self.used, current)
            return
        end_lo, end_hi = self._end
        if hi < end_lo:
            self._settle_carried()  # from an earlier window
        elif lo > end_hi:
            # A later window than the one the client is in: the server rolled over
            # first. The calls in flight may land in it too.
            self._previous, self._end = self._end, (lo, hi)
            self.used = current + self._in_flight
            self._carried = self._in_flight
        else:  # the same window: the intervals narrow down where it ends
            self._end = (max(end_lo, lo), min(end_hi, hi))
            self.used = max(self.used, current)

    def _take(self) -> float:
        self.used += 1
        self._in_flight += 1
        return 0.0

    def _done_in_flight(self) -> None:
        self._in_flight = max(self._in_flight - 1, 0)
        self._carried = min(self._carried, self._in_flight)

    def _roll(self) -> None:
        """The window ended: a new one begins, holding (for now) the calls still in flight."""
        self._previous, self._end = self._end, None
        self.used = self._carried = self._in_flight

    def _settle_carried(self) -> None:
        """A call in flight at the roll-over landed in the old window: free its slot."""
        if self._carried:
            self._carried -= 1
            self.used = max(self.used - 1, 0)

    def _exhausted(self, wait: float | None) -> RateLimitedError:
        when = "at a time the server did not say" if wait is None else f"in {wait:.1f} s"
        limit_text = f"all {self.limit} calls" if self.limit is not None else "its calls"
        hint = (
            f" (longer than quota_wait={self.max_wait:g} s)"
            if wait is not None and self.max_wait is not None
            else ""
        )
        return RateLimitedError(
            -1,
            f"the API key has used {limit_text} of its rate-limit window, which resets "
            f"{when}{hint}; the call was not sent. Try again then, or raise quota_wait "
            "to let py7D wait",
            retry_after=wait,
        )
