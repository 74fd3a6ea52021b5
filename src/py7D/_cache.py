"""Opt-in HTTP caching of unsigned GET replies, honouring ``Cache-Control``/``Expires``.

7digital answers catalogue calls with ``Cache-Control: private, max-age=60``:
a *private* cache (one client's own) may keep the reply for a minute. This
module is that cache: the policy is sans-I/O (plain functions over headers and
a clock), the storage is a :class:`MemoryCache` (default) or a
:class:`FileCache`, and both clients consult it the same way.

What is never cached: anything signed (2- or 3-legged calls carry a user's or
a partner's identity, and their URL holds a one-time nonce), any method but
GET, any endpoint the table marks ``changes_state``, replies without an
explicit lifetime, and replies saying ``no-store`` or ``no-cache`` (this cache
does not revalidate, so "must revalidate before use" means "do not keep").
A state-changing call (``basket/addItem``) drops every cached reply of its
resource (``basket``), so ``basket`` details are not served stale after it.

Why not hishel? hishel 2.0 implements the full RFC 9111 state machine, but it
reads ``time.time()`` directly (no injectable clock for tests), stores only in
SQLite or Redis and is a *shared* cache by default (which must refuse
``private`` replies, i.e. every 7digital reply). The subset 7digital needs
(freshness from max-age/Expires/Age/Date) is small enough to own.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from ._request import PreparedCall

__all__ = [
    "BaseCache",
    "CacheEntry",
    "FileCache",
    "MemoryCache",
    "cache_key",
    "cached_reply",
    "current_age",
    "freshness_lifetime",
    "store_reply",
]

Clock = Callable[[], float]
_Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class CacheEntry:
    """A stored reply: what came over the wire, and when (by the cache's clock)."""

    status_code: int
    headers: _Headers
    content: bytes
    stored_at: float
    lifetime: float
    initial_age: float

    def age(self, now: float) -> float:
        """Seconds since the origin made the reply (RFC 9111 §4.2.3, simplified)."""
        return self.initial_age + max(now - self.stored_at, 0.0)

    def is_fresh(self, now: float) -> bool:
        return self.age(now) < self.lifetime


class BaseCache:
    """Where cached replies live. Subclass it to store them elsewhere.

    Keys are ``'GET <full URL>'``; ``scope`` groups the keys a state-changing
    call on the same resource must invalidate. ``clock`` (seconds, like
    ``time.time``) is injectable so tests can move time forward.
    """

    def __init__(self, *, clock: Clock = time.time) -> None:
        self.clock = clock

    def get(self, key: str) -> CacheEntry | None:
        raise NotImplementedError

    def set(self, key: str, scope: str, entry: CacheEntry) -> None:
        raise NotImplementedError

    def invalidate(self, scope: str) -> None:
        """Forget every entry stored under ``scope``."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class MemoryCache(BaseCache):
    """An in-process LRU cache of at most ``max_entries`` replies (thread-safe)."""

    def __init__(self, max_entries: int = 1024, *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, CacheEntry]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def set(self, key: str, scope: str, entry: CacheEntry) -> None:
        with self._lock:
            self._entries[key] = (scope, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, scope: str) -> None:
        with self._lock:
            for key in [k for k, (s, _) in self._entries.items() if s == scope]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class FileCache(BaseCache):
    """Replies stored as files under ``path``, so they outlive the process.

    One file per reply: a JSON header line, then the body. Files are written
    atomically (temporary file + rename), so concurrent clients never read a
    half-written entry; unreadable files count as misses. Nothing executable
    is stored (no pickle), so a shared directory cannot inject code. Reads and
    writes are small and synchronous, also under :class:`py7D.AsyncClient`
    (a local file costs tens of microseconds; a network filesystem would block
    the event loop, so keep the directory local). Expired entries are replaced
    when fetched again, not swept: :meth:`clear` empties the directory.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self.path = Path(path).expanduser()

    def _file(self, key: str, scope: str) -> Path:
        return self.path / _digest(scope) / (_digest(key) + ".entry")

    def _find(self, key: str) -> Iterable[Path]:
        return self.path.glob("*/" + _digest(key) + ".entry")

    def get(self, key: str) -> CacheEntry | None:
        for file in self._find(key):
            try:
                with file.open("rb") as fh:
                    meta = json.loads(fh.readline())
                    content = fh.read()
                if meta.get("key") != key:  # a digest collision: treat as a miss
                    continue
                return CacheEntry(
                    status_code=int(meta["status_code"]),
                    headers=[(str(n), str(v)) for n, v in meta["headers"]],
                    content=content,
                    stored_at=float(meta["stored_at"]),
                    lifetime=float(meta["lifetime"]),
                    initial_age=float(meta["initial_age"]),
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return None

    def set(self, key: str, scope: str, entry: CacheEntry) -> None:
        target = self._file(key, scope)
        meta = {
            "key": key,
            "status_code": entry.status_code,
            "headers": entry.headers,
            "stored_at": entry.stored_at,
            "lifetime": entry.lifetime,
            "initial_age": entry.initial_age,
        }
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(json.dumps(meta).encode("utf-8") + b"\n")
                fh.write(entry.content)
            os.replace(tmp, target)
        except OSError:  # a cache that cannot write is just a cache that misses
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    def invalidate(self, scope: str) -> None:
        folder = self.path / _digest(scope)
        for file in folder.glob("*.entry"):
            with contextlib.suppress(OSError):
                file.unlink()

    def clear(self) -> None:
        for file in self.path.glob("*/*.entry"):
            with contextlib.suppress(OSError):
                file.unlink()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# --------------------------------------------------------------------------- policy


def _directives(headers: _Headers) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name, value in headers:
        if name.lower() != "cache-control":
            continue
        for part in value.split(","):
            directive, _, arg = part.strip().partition("=")
            if directive:
                found[directive.lower()] = arg.strip().strip('"') if arg else None
    return found


def _header(headers: _Headers, wanted: str) -> str | None:
    for name, value in headers:
        if name.lower() == wanted:
            return value
    return None


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def freshness_lifetime(headers: _Headers) -> float | None:
    """How long a reply may be served from a private cache; None: do not store it.

    ``no-store``/``no-cache`` -> None; ``max-age`` wins over ``Expires``
    (which counts from ``Date``); an invalid ``Expires`` means already
    expired; no explicit lifetime -> None (no heuristic caching of API data).
    """
    directives = _directives(headers)
    if "no-store" in directives or "no-cache" in directives:
        return None
    if _header(headers, "vary") == "*":
        return None
    if "max-age" in directives:
        try:
            return max(float(int(directives["max-age"] or "")), 0.0)
        except ValueError:
            return 0.0
    expires_text = _header(headers, "expires")
    if expires_text is None:
        return None
    expires = _http_date(expires_text)
    date = _http_date(_header(headers, "date"))
    if expires is None or date is None:
        return 0.0
    return max(expires - date, 0.0)


def current_age(headers: _Headers, received_at: float) -> float:
    """The reply's age when it arrived: the larger of ``Age`` and ``now - Date``."""
    try:
        age = max(float(_header(headers, "age") or 0), 0.0)
    except ValueError:
        age = 0.0
    date = _http_date(_header(headers, "date"))
    apparent = max(received_at - date, 0.0) if date is not None else 0.0
    return max(age, apparent)


# --------------------------------------------------------------------------- the clients' policy


def cache_key(call: PreparedCall) -> str | None:
    """The cache key of a call, or None when it must not be cached.

    Only unsigned GETs of endpoints that do not change state qualify; the
    key is method + full URL (an unsigned URL has no nonce or timestamp).
    """
    from ._endpoints import AuthLevel

    request = call.request
    if (
        call.auth is not None
        or call.auth_level is not AuthLevel.NONE
        or request.method != "GET"
        or (call.endpoint is not None and call.endpoint.changes_state)
        or "authorization" in request.headers
    ):
        return None
    return f"GET {request.url}"


def _scope(call: PreparedCall, api_url: str) -> str:
    """The resource a call's reply belongs to (``<api_url>/basket``): what invalidation drops."""
    import httpx

    path = call.request.url.path
    prefix = httpx.URL(api_url).path.rstrip("/")
    resource = path[len(prefix) :].strip("/").split("/", 1)[0]
    return f"{api_url}/{resource.lower()}"


def cached_reply(cache: BaseCache, call: PreparedCall, api_url: str) -> httpx.Response | None:
    """A fresh stored reply to ``call`` (with its ``Age``), or None.

    A state-changing call instead drops its resource's entries.
    """
    import httpx

    key = cache_key(call)
    if key is None:
        if call.endpoint is not None and call.endpoint.changes_state:
            cache.invalidate(_scope(call, api_url))
        return None
    entry = cache.get(key)
    now = cache.clock()
    if entry is None or not entry.is_fresh(now):
        return None
    headers = [(n, v) for n, v in entry.headers if n.lower() != "age"]
    headers.append(("age", str(int(entry.age(now)))))
    return httpx.Response(
        entry.status_code, headers=headers, content=entry.content, request=call.request
    )


def store_reply(
    cache: BaseCache, call: PreparedCall, response: httpx.Response, api_url: str
) -> None:
    """Keep a 200 reply to a cacheable call for as long as its headers allow."""
    key = cache_key(call)
    if key is None or response.status_code != 200:
        return
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers.raw]
    lifetime = freshness_lifetime(headers)
    if lifetime is None or lifetime <= 0:
        return
    now = cache.clock()
    entry = CacheEntry(
        status_code=response.status_code,
        headers=headers,
        content=response.content,
        stored_at=now,
        lifetime=lifetime,
        initial_age=current_age(headers, now),
    )
    cache.set(key, _scope(call, api_url), entry)
