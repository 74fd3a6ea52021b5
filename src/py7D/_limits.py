"""Client-side limits, sans-I/O: the request-rate throttle and the capped body reader.

Both only compute; the clients do the sleeping and the reading, each in its
own way (``time.sleep``/``for`` in :class:`py7D.Client`, ``asyncio.sleep``/
``async for`` in :class:`py7D.AsyncClient`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from ._exceptions import RequestTimeoutError, ResponseParseError

__all__ = ["BodyReader", "Throttle", "ThrottleLike"]


class Throttle:
    """A token bucket that keeps calls under ``rate`` per second.

    ``burst`` tokens may be spent at once (default 1: calls are spaced evenly,
    so no one-second window ever holds more than ``rate`` + 1 calls).
    Each HTTP attempt, retries included, takes one token.

    :meth:`reserve` takes a token now, running into debt when the bucket is
    empty, and returns how long the caller must wait before sending. Taking
    first and waiting after (outside the lock) is what makes one throttle safe
    to share: between threads (the lock), and between the tasks of an
    ``AsyncClient`` (``reserve`` never awaits, so no other task can run halfway
    through it).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of calls per second, not {rate!r}")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()

    def __repr__(self) -> str:
        return f"Throttle(rate={self.rate:g}, burst={self.burst})"

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before using it (0 if none)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    @classmethod
    def coerce(cls, value: ThrottleLike) -> Throttle | None:
        """A :class:`Throttle`, a rate (calls per second) or None (no throttle)."""
        if value is None or isinstance(value, Throttle):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"rate_limit must be calls per second or a Throttle, not {value!r}")
        return cls(value)


ThrottleLike = Throttle | float | None


class BodyReader:
    """Collects a streamed reply body, refusing it past ``max_bytes`` or past the deadline.

    The clients send with ``stream=True`` and feed the decoded chunks here, so
    a gigantic (or endless, or decompression-bomb) body is dropped after at
    most ``max_bytes`` plus one decoded chunk, and a body dripped a byte at a time
    cannot hold a call beyond its deadline (httpx's read timeout only bounds
    the gap between two chunks).
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        max_bytes: int | None,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self._max = max_bytes
        self._deadline = deadline
        self._clock = clock
        self._chunks: list[bytes] = []
        self._size = 0
        declared: bytes | None = None
        encoding: bytes | None = None
        for name, value in response.headers.raw:  # one pass: a lookup by name is a pass each
            lowered = name.lower()
            if lowered == b"content-length":
                declared = value
            elif lowered == b"content-encoding":
                encoding = value
        #: Whether the body arrives compressed (gzip, deflate): it is decoded while read.
        self.encoded = encoding is not None and encoding.strip().lower() not in (b"", b"identity")
        # Refuse before reading a byte when the server announces too much. (A
        # compressed body may still grow past the cap when decoded; feed() checks.)
        if (
            max_bytes is not None
            and declared is not None
            and declared.strip().isdigit()
            and int(declared) > max_bytes
            and encoding is None
        ):
            raise _too_large(response, int(declared), max_bytes)

    def feed(self, chunk: bytes) -> None:
        """Add a chunk; raise once the body is too big or the deadline has passed."""
        self._chunks.append(chunk)
        self.count(chunk)

    def count(self, chunk: bytes) -> None:
        """Count a chunk read elsewhere; raise once the body is too big or the deadline passed."""
        self._size += len(chunk)
        self._check(self._response, self._size, self._max, self._deadline, self._clock)

    @staticmethod
    def _check(
        response: httpx.Response,
        size: int,
        max_bytes: int | None,
        deadline: float | None,
        clock: Callable[[], float],
    ) -> None:
        if max_bytes is not None and size > max_bytes:
            raise _too_large(response, size, max_bytes)
        if deadline is not None and clock() > deadline:
            raise RequestTimeoutError(
                "timed out: the reply body was still arriving at the call's deadline",
                request=response.request,
            )

    def finish(self) -> httpx.Response:
        """A response holding the collected (decoded) body, read; otherwise as received."""
        received = self._response
        headers = received.headers.raw
        if "content-encoding" in received.headers:  # the body is decoded now
            headers = [
                (name, value)
                for name, value in headers
                if name.lower() not in (b"content-encoding", b"content-length")
            ]
        return httpx.Response(
            received.status_code,
            headers=headers,
            content=b"".join(self._chunks),
            request=received.request,
            extensions=received.extensions,
        )


def _too_large(response: httpx.Response, size: int, max_bytes: int | None) -> ResponseParseError:
    return ResponseParseError(
        f"the reply is larger than max_response_bytes={max_bytes} "
        f"({size} bytes or more); it was not read",
        request=response.request,
        status_code=response.status_code,
        reason="too-large",
    )
