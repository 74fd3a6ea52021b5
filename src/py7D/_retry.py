"""Retries, sans-I/O: which failures are retried, how long to wait, when to give up.

7digital charges through GETs (``user/purchase/basket`` is one), so whether a
call may be repeated is never decided by its HTTP verb. It is decided by the
endpoint table: a call is a *read* when its endpoint is in the table and does
not change state. Reads are retried on transient failures; every other call
(purchases, basket changes, card operations, sign-ups, updates, and any
free-form call to a path outside the table) is sent exactly once.

:class:`RetryPolicy` holds the knobs; :class:`RetryState` makes the decisions
for one call. Neither touches the network or sleeps by itself, so
:class:`py7D.Client` and :class:`py7D.AsyncClient` each run a loop of a few
lines around them, and the tests drive them with a fake clock and dice.
"""

from __future__ import annotations

import logging
import random as _random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from ._exceptions import (
    APIServiceException,
    OAuthError,
    Py7DError,
    RequestTimeoutError,
    ResponseParseError,
    TransportError,
)

if TYPE_CHECKING:
    from ._endpoints import Endpoint

__all__ = ["RetriesLike", "RetryPolicy", "RetryState", "is_read"]

logger = logging.getLogger("py7D")

DEFAULT_RETRY_STATUSES = frozenset({429, 502, 503, 504})


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported on first use: a synchronous program never loads asyncio."""
    import asyncio

    await asyncio.sleep(seconds)


def is_read(endpoint: Endpoint | None) -> bool:
    """Whether a call may be repeated: only table endpoints that do not change state.

    Free-form calls (``endpoint is None``) count as state-changing: py7D cannot
    know what an unknown path does, and 7digital does charge through GETs.
    """
    return endpoint is not None and not endpoint.changes_state


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries reads. Immutable, so one policy is safely shared by threads.

    Parameters
    ----------
    max_attempts:
        Attempts in all, the first one included (1 = never retry).
    backoff_base, backoff_cap:
        Exponential backoff with full jitter: before retry *n* (1-based) the
        client waits ``random() * min(backoff_cap, backoff_base * 2 ** (n - 1))``
        seconds. Full jitter spreads the retries of many clients that failed
        together, instead of having them all come back at the same moment.
    deadline:
        Seconds, from the start of the first attempt, within which the call
        must end, waits included. Attempt timeouts are shortened to fit, the
        body read stops at it, and a retry whose wait would cross it is not made.
        None: no overall limit (each attempt still has its timeouts).
    statuses:
        HTTP statuses retried for reads. A reply with ``Retry-After`` (429,
        503) is waited out for at least that long. 500 is not in the default set: a 500
        often means this request trips a server bug, and repeating it only
        spends the budget; add it when the server is known to fail transiently.
    retry_broken_replies:
        Retry a read whose reply arrived with a 2xx/3xx status but could not be
        read (truncated, garbled, an HTML page from a proxy): the bytes were
        damaged on the way, and asking again is harmless for a read.
    max_retry_after:
        Longest ``Retry-After`` the client waits for; a longer one is not waited
        out: the :class:`py7D.RateLimitedError` is raised with ``retry_after``.
    random, sleep, async_sleep, clock:
        Injected for tests: the jitter dice (``[0, 1)``), the blocking and the
        asyncio sleep, and a monotonic clock.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    deadline: float | None = 60.0
    statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    retry_broken_replies: bool = True
    max_retry_after: float = 30.0
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(
        default=_asyncio_sleep, repr=False, compare=False
    )
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap must not be negative")
        if self.deadline is not None and self.deadline <= 0:
            raise ValueError("deadline must be positive (or None)")
        object.__setattr__(self, "statuses", frozenset(self.statuses))

    @classmethod
    def coerce(cls, value: RetriesLike) -> RetryPolicy:
        """``RetryPolicy`` as is; an int ``n`` = ``n`` retries (n + 1 attempts); None = none."""
        if isinstance(value, RetryPolicy):
            return value
        if value is None:
            return cls(max_attempts=1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"retries must be a RetryPolicy, an int >= 0 or None, not {value!r}")
        return cls(max_attempts=value + 1)

    def backoff(self, retry: int) -> float:
        """The full-jitter wait before retry number ``retry`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (retry - 1))
        return self.random() * ceiling

    def begin(self, endpoint: Endpoint | None, description: str | None = None) -> RetryState:
        """Start the bookkeeping of one call (the clock starts now)."""
        return RetryState(self, is_read(endpoint), endpoint, description, self.clock())


RetriesLike = RetryPolicy | int | None


@dataclass
class RetryState:
    """The retry decisions of one call: create it with :meth:`RetryPolicy.begin`.

    The client loop is::

        state = policy.begin(call.endpoint)
        while True:
            try:
                return finish(send(call, timeout=state.timeout(configured)))
            except Py7DError as exc:
                wait = state.next_wait(exc)
                if wait is None:
                    raise
                sleep(wait)
    """

    policy: RetryPolicy
    read: bool
    endpoint: Endpoint | None
    description: str | None
    started: float
    attempts: int = 0

    # ----------------------------------------------------------------- budget

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        if self.policy.deadline is None:
            return None
        return self.policy.deadline - (self.policy.clock() - self.started)

    def timeout(self, configured: httpx.Timeout) -> httpx.Timeout:
        """``configured`` shortened so that the attempt cannot outlive the deadline.

        Called at the start of each attempt, which it also counts.
        """
        self.attempts += 1
        left = self.remaining()
        if left is None:
            return configured
        left = max(left, 0.001)
        limits = (configured.connect, configured.read, configured.write, configured.pool)
        if all(v is not None and v <= left for v in limits):
            return configured  # nothing to clip: the same timeouts, without a new object

        def clip(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=clip(configured.connect),
            read=clip(configured.read),
            write=clip(configured.write),
            pool=clip(configured.pool),
        )

    def deadline_at(self) -> float | None:
        """The deadline on the policy's clock, for the body reader."""
        if self.policy.deadline is None:
            return None
        return self.started + self.policy.deadline

    # ----------------------------------------------------------------- decision

    def next_wait(self, exc: Py7DError) -> float | None:
        """Seconds to wait before retrying after ``exc``, or None to give up.

        On giving up, ``exc`` is annotated with the attempt count and, for a
        state-changing call, with whether the server may have acted.
        """
        reason = self._retryable(exc)
        if reason is not None and not self.read:
            reason = None  # never repeat a call that changes state
        wait: float | None = None
        if reason is not None and self.attempts < self.policy.max_attempts:
            wait = self.policy.backoff(self.attempts)
            retry_after = exc.retry_after
            if retry_after is not None:
                # A wait longer than we accept is not waited out: give up now.
                too_long = retry_after > self.policy.max_retry_after
                wait = None if too_long else max(wait, retry_after)
            left = self.remaining()
            if wait is not None and left is not None and wait >= left:
                wait = None  # the wait would run past the deadline
        if wait is None:
            self._annotate(exc)
            return None
        logger.info(
            "py7D retrying %s in %.3fs (attempt %d of %d failed: %s)",
            self.description or "call",
            wait,
            self.attempts,
            self.policy.max_attempts,
            reason,
        )
        return wait

    def _retryable(self, exc: Py7DError) -> str | None:
        """Why ``exc`` is a transient failure worth another attempt, or None if it is not."""
        if isinstance(exc, RequestTimeoutError):
            return "timeout"
        if isinstance(exc, TransportError):
            if _tls_failure(exc):
                return None  # a certificate that fails now fails next time too
            if exc.nothing_listening is not None:
                return None  # no server on this machine's port: it will not appear in a second
            return f"network error ({_cause_name(exc)})"
        status = exc.status_code
        if status is not None and status in self.policy.statuses:
            extra = f", Retry-After {exc.retry_after:g}s" if exc.retry_after is not None else ""
            return f"HTTP {status}{extra}"
        if (
            self.policy.retry_broken_replies
            and isinstance(exc, ResponseParseError)
            and (status is None or status < 400)
            and exc.reason != "too-large"  # another attempt would read as much again
        ):
            return "broken reply"
        return None

    def _annotate(self, exc: Py7DError) -> None:
        exc.attempts = self.attempts
        if self.read:
            return
        name = self.endpoint.path if self.endpoint is not None else "a call outside the table"
        acted = _may_have_acted(exc)
        exc.may_have_acted = acted
        status = exc.status_code
        if (
            self.endpoint is None
            and isinstance(exc, ResponseParseError)
            and status is not None
            and 400 <= status < 500
        ):  # e.g. 404 "Resource not found": the server does not know the path
            exc.hint = (
                f"the path is not in py7D's endpoint table and the server turned it down "
                f"(HTTP {status}, not a 7digital reply) without acting on it: check the path "
                "(py7D.endpoints() lists the known ones)"
            )
        elif acted:
            exc.hint = (
                f"{name} changes state and was not retried; the server may have acted on it: "
                "check (e.g. the user's locker or basket) before repeating it"
            )
        else:
            exc.hint = f"{name} changes state and was not retried; the server did not act on it"


def _may_have_acted(exc: Py7DError) -> bool:
    """Whether the server may have carried out a failed call.

    Only a few failures prove it did not: the connection was never made
    (``TransportError.may_have_acted`` is False), or the server looked at the
    request and turned it down (429, an OAuth refusal, a 7digital error
    envelope or another 4xx). Anything else (5xx, lost, cut or garbled replies)
    may have come after the action.
    """
    if isinstance(exc, TransportError):
        return exc.may_have_acted
    if isinstance(exc, OAuthError):
        return False
    status = exc.status_code
    if status is not None and 400 <= status < 500:
        return False
    return not (isinstance(exc, APIServiceException) and status is not None and status < 500)


def _tls_failure(exc: BaseException) -> bool:
    """Whether an ``ssl`` error (a refused certificate, a handshake failure) caused ``exc``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__
