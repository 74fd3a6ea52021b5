"""Downloading what a user owns to files: resumable, verified, in bounded memory.

7digital serves a locker's tracks, releases and purchases as signed 3-legged
media URLs (``media/user/downloadtrack``, ``media/user/download/release``,
``media/user/download/purchase``; rows of the endpoint table). A download here:

* streams the reply to ``NAME.part`` in chunks (memory stays flat whatever the
  size) and renames it to ``NAME`` only when it is complete and verified;
* keeps what it has when the connection drops or the run is interrupted, with
  the reply's validators in ``NAME.part.json``, and resumes with ``Range`` and
  ``If-Range``; a server that ignores the range (``200``) or whose file changed
  gets the download restarted from the first byte;
* checks the size against ``Content-Length``/``Content-Range`` and the bytes
  against the server's ``Repr-Digest`` (or ``Digest``/``Content-MD5``) when
  it sends one, and always records a SHA-256;
* unpacks a zip (release, purchase) on request, refusing the whole archive if
  any member would land outside the target folder.

:class:`Transfer` makes every decision without touching the network;
:func:`run` and :func:`run_async` drive it over an ``httpx`` client; the
``download_*`` methods of :class:`py7D.Client` and :class:`py7D.AsyncClient`
come from :class:`Downloads` and :class:`AsyncDownloads`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import errno
import hashlib
import json
import os
import queue
import re
import stat
import threading
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ._auth import TokenLike
from ._config import is_live_api
from ._endpoints import AuthLevel, find_media_endpoint
from ._exceptions import (
    APIServiceException,
    DiskFullError,
    DownloadError,
    FormatNotAvailableError,
    IncompleteDownloadError,
    NotOwnedError,
    PathNotWritableError,
    Py7DError,
    TransportError,
    UnsafeArchiveError,
    ValidationError,
    map_transport_errors,
)
from ._filenames import safe_name
from ._reply import parse_response

if TYPE_CHECKING:
    from ._config import Settings
    from ._retry import RetryPolicy

__all__ = [
    "AsyncDownloads",
    "DownloadProgress",
    "DownloadResult",
    "Downloads",
    "Transfer",
    "media_target",
    "run",
    "run_async",
    "unpack_zip",
]

#: Where 7digital serves locker downloads (the sandbox serves them on its own host).
LIVE_MEDIA_HOST = "http://media.geo.7digital.com"
DOWNLOAD_PATHS = {
    "track": "media/user/downloadtrack",
    "release": "media/user/download/release",
    "purchase": "media/user/download/purchase",
}
_ERROR_BODY_LIMIT = 64 * 1024
_HASH_BLOCK = 256 * 1024  # bytes read at a time from a partial file or a zip member
_BATCH = 1 << 20  # bytes handed to the hashing thread at a time
_BUFFERS = 3  # one filling, one waiting, one being hashed
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DIGEST_ALGORITHMS = {"sha-256": "sha256", "sha-512": "sha512", "md5": "md5", "sha": "sha1"}
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes \*/(\d+)$")

ProgressCallback = Callable[["DownloadProgress"], None]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DownloadProgress:
    """How far one download is: passed to the ``progress`` callback after each chunk.

    ``done`` counts the bytes on disk (those kept from an earlier attempt
    included), ``total`` the file's size when the server said it, and
    ``resumed_from`` the bytes that were already there when this call began.
    Raising from the callback stops the download; the partial file is kept.
    """

    path: Path
    done: int
    total: int | None
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        """``done / total`` (None when the size is unknown)."""
        return self.done / self.total if self.total else None


@dataclass(frozen=True)
class DownloadResult:
    """A finished download.

    ``path`` is the file written (or the folder unpacked into, with its files in
    ``files``); ``size`` and ``sha256`` describe the downloaded file (the zip,
    when unpacked); ``resumed_from`` is what a previous attempt had left on disk;
    ``received`` the bytes this call took over the network; ``verified_by`` the
    server's digest algorithm the file was checked against (None: the server
    gave none, only the size was checked).
    """

    path: Path
    size: int
    sha256: str
    resumed_from: int = 0
    received: int = 0
    verified_by: str | None = None
    content_type: str | None = None
    files: tuple[Path, ...] = ()


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class MediaTarget:
    """What to fetch: the table's path, its parameters, and a name for temporary files."""

    kind: str
    path: str
    params: Mapping[str, str]
    identity: str
    default_name: str


def media_target(
    kind: str, item_id: int | str, format_id: int | str, **extra: int | str | None
) -> MediaTarget:
    """What to fetch for ``kind`` (``track``, ``release``, ``purchase``) ``item_id``.

    The parameters the endpoint table requires must all be there
    (:class:`py7D.ValidationError` otherwise).
    """
    if kind not in DOWNLOAD_PATHS:
        raise ValidationError(f"kind must be one of {', '.join(DOWNLOAD_PATHS)}, not {kind!r}")
    ident = _numeric(f"{kind}_id", item_id)
    fmt = _numeric("format_id", format_id)
    params = {f"{kind}Id": ident, "formatId": fmt}
    for name, value in extra.items():
        if value is not None:
            params[name] = _numeric(name, value)
    endpoint = find_media_endpoint(DOWNLOAD_PATHS[kind])
    missing = [n for n in (endpoint.required if endpoint else ()) if n not in params]
    if missing:
        raise ValidationError(f"{DOWNLOAD_PATHS[kind]} needs {', '.join(missing)}")
    suffix = ".zip" if kind != "track" else ""
    identity = f"{kind}:{ident}:{fmt}"
    return MediaTarget(kind, DOWNLOAD_PATHS[kind], params, identity, f"{kind}-{ident}{suffix}")


def needs_release_id() -> bool:
    """Whether the table's ``downloadtrack`` row requires ``releaseId`` next to ``trackId``."""
    endpoint = find_media_endpoint(DOWNLOAD_PATHS["track"])
    return endpoint is not None and "releaseId" in endpoint.required


def _release_of(track: Any) -> str | None:
    """The release id in a ``track/details`` reply's track element."""
    release = track.get("release") if isinstance(track, dict) else None
    value = release.get("@id") if isinstance(release, dict) else None
    return str(value) if value else None


def _numeric(name: str, value: int | str) -> str:
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise ValidationError(f"{name} must be a numeric 7digital id, got {value!r}")
    return text


def media_url(settings: Settings, target: MediaTarget) -> str:
    """The unsigned URL of ``target``: 7digital's media host, or the configured server's."""
    endpoint = find_media_endpoint(target.path)
    if is_live_api(settings.api_url):
        host = (endpoint.host if endpoint else None) or LIVE_MEDIA_HOST
    else:
        url = httpx.URL(settings.api_url)
        host = f"{url.scheme}://{url.netloc.decode('ascii')}"
    if endpoint is not None and endpoint.auth is not AuthLevel.USER:  # pragma: no cover
        raise ValidationError(f"{target.path} is not a 3-legged download in the endpoint table")
    return f"{host}/{target.path}"


# --------------------------------------------------------------------------- the state


class Step(enum.Enum):
    """What to do with a reply, as :meth:`Transfer.begin` decides."""

    WRITE = "write"  # read the body into the part file (from the offset it was opened at)
    DONE = "done"  # nothing to read: the part file already holds the whole file
    RETRY = "retry"  # ask again (the part file was reset, or the server asked to wait)
    FAIL = "fail"  # an error reply: read its (small) body and raise


@dataclass
class _Meta:
    identity: str
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None
    digest: str | None = None
    name: str | None = None
    content_type: str | None = None


@dataclass
class Transfer:
    """One file's download, sans-I/O: the request headers, the reply's meaning, the bytes.

    ``dest`` is a file path, or a folder (then the file takes the name the server
    offers in ``Content-Disposition``, made safe, else the target's default
    name). The partial file and its metadata sit next to the destination:
    ``NAME.part`` and ``NAME.part.json``, or ``.py7d-<kind>-<id>-<format>.part`` in a folder.
    """

    target: MediaTarget
    dest: Path
    into_folder: bool
    progress: ProgressCallback | None = None
    received: int = 0
    resumed_from: int = 0
    offset: int = 0
    meta: _Meta = field(init=False)
    _file: Any = field(default=None, init=False, repr=False)
    _hashes: _Digests | None = field(default=None, init=False, repr=False)
    _no_range: bool = field(default=False, init=False)
    _verified_by: str | None = field(default=None, init=False)
    _total_at_start: int = field(default=0, init=False)

    @classmethod
    def create(
        cls,
        target: MediaTarget,
        to: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
    ) -> Transfer:
        """Plan the download of ``target`` to ``to`` and look for a partial file to resume."""
        path = Path(to)
        folder = path.is_dir() or str(to).endswith(("/", os.sep))
        try:
            (path if folder else path.parent).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _path_error(exc, path) from None
        transfer = cls(target, path, folder, progress)
        transfer._load()
        return transfer

    # -- files ------------------------------------------------------------------------
    @property
    def part(self) -> Path:
        """The partial file."""
        if self.into_folder:
            return self.dest / f".py7d-{_slug(self.target.identity)}.part"
        return self.dest.with_name(self.dest.name + ".part")

    @property
    def meta_path(self) -> Path:
        return self.part.with_name(self.part.name + ".json")

    @property
    def final(self) -> Path:
        """Where the finished file goes."""
        if not self.into_folder:
            return self.dest
        name = self.meta.name or self.target.default_name
        return self.dest / name

    def _load(self) -> None:
        self.meta = _Meta(self.target.identity)
        try:
            size = self.part.stat().st_size
            saved = json.loads(self.meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(saved, dict) or saved.get("identity") != self.target.identity:
            return
        known: dict[str, Any] = {k: saved.get(k) for k in _Meta.__dataclass_fields__}
        self.meta = _Meta(**known)
        self.offset = self.resumed_from = size

    def _save_meta(self) -> None:
        data = json.dumps(self.meta.__dict__, indent=1)
        try:
            self.meta_path.write_text(data, "utf-8")
        except OSError as exc:
            raise _path_error(exc, self.meta_path) from None

    # -- the request ------------------------------------------------------------------
    def request_headers(self) -> dict[str, str]:
        """``Range``/``If-Range`` to resume from the part file (none for a fresh start)."""
        headers = {"Accept-Encoding": "identity"}
        if self.offset > 0 and not self._no_range:
            headers["Range"] = f"bytes={self.offset}-"
            validator = self.meta.etag if _strong(self.meta.etag) else self.meta.last_modified
            if validator:
                headers["If-Range"] = validator
        return headers

    # -- the reply --------------------------------------------------------------------
    def begin(self, status: int, headers: httpx.Headers) -> Step:
        """Decide what a reply means; opens the part file when there is a body to write."""
        if status == 206 and self.offset > 0:
            match = _CONTENT_RANGE.match(headers.get("content-range", ""))
            total = int(match.group(3)) if match and match.group(3) != "*" else None
            if (
                match is None
                or int(match.group(1)) != self.offset
                or (self.meta.total is not None and total != self.meta.total)
                or (self.meta.etag and headers.get("etag") not in (None, self.meta.etag))
            ):
                return self._restart(no_range=True)  # not the bytes we asked for
            self.meta.total = total
            self._open(append=True)
            return Step.WRITE
        if status == 200 or status == 206:
            self.offset = 0  # a fresh start, or the range was ignored or the file changed
            self._start_meta(headers, status)
            self._open(append=False)
            return Step.WRITE
        if status == 416 and self.offset > 0:
            match = _UNSATISFIED_RANGE.match(headers.get("content-range", ""))
            if match and int(match.group(1)) == self.offset and self.meta.total == self.offset:
                return Step.DONE  # the part file is already whole
            return self._restart(no_range=True)
        if status in _RETRY_STATUSES:
            return Step.RETRY
        return Step.FAIL

    def _restart(self, *, no_range: bool) -> Step:
        self._discard_part()
        self._no_range = no_range
        return Step.RETRY

    def _start_meta(self, headers: httpx.Headers, status: int) -> None:
        length = headers.get("content-length")
        total: int | None = int(length) if length and length.isdigit() else None
        if status == 206:  # a range from 0: the total is in Content-Range
            match = _CONTENT_RANGE.match(headers.get("content-range", ""))
            total = int(match.group(3)) if match and match.group(3) != "*" else None
        name = _disposition_name(headers.get("content-disposition", ""))
        self.meta = _Meta(
            self.target.identity,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            total=total,
            digest=_digest_header(headers, whole_body=status == 200),
            name=safe_name(name) if name else None,
            content_type=headers.get("content-type"),
        )
        self._save_meta()

    def _open(self, *, append: bool) -> None:
        if self._hashes is not None:
            self._hashes.close()
        self._hashes = _Digests({"sha256", _digest_algorithm(self.meta.digest) or "sha256"})
        try:
            if append:
                self._hash_existing()
                self._file = self.part.open("r+b")
                self._file.seek(self.offset)
                self._file.truncate()
            else:
                self._file = self.part.open("wb")
        except OSError as exc:
            raise _path_error(exc, self.part) from None
        self._notify()

    def _hash_existing(self) -> None:
        with self.part.open("rb") as existing:
            left = self.offset
            while left > 0:
                block = existing.read(min(_HASH_BLOCK, left))
                if not block:
                    break
                assert self._hashes is not None
                self._hashes.update(block)
                left -= len(block)

    def feed(self, chunk: bytes) -> None:
        """Append ``chunk`` to the part file, hash it, report progress."""
        if not chunk:
            return
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise _write_error(exc, self.part) from None
        assert self._hashes is not None
        self._hashes.update(chunk)
        self.offset += len(chunk)
        self.received += len(chunk)
        self._notify()

    def _notify(self) -> None:
        if self.progress is not None:
            self.progress(
                DownloadProgress(self.final, self.offset, self.meta.total, self.resumed_from)
            )

    def start_attempt(self) -> None:
        """Note where this attempt starts, for :meth:`made_progress`."""
        self._total_at_start = self.offset

    def made_progress(self) -> bool:
        """Whether the last attempt wrote anything (a drop after progress is resumed at once)."""
        return self.offset > self._total_at_start

    def suspend(self) -> None:
        """Close the part file, keeping it (and its metadata) for a later resume."""
        if self._hashes is not None and not self._hashes.finished:
            self._hashes.close()
            self._hashes = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _discard_part(self) -> None:
        self.suspend()
        for path in (self.part, self.meta_path):
            with contextlib.suppress(OSError):
                path.unlink()
        self.offset = 0
        self.meta = _Meta(self.target.identity)

    def finish(self) -> DownloadResult:
        """Check the size and digest, then move the part file to its final name."""
        if self._file is None:  # Step.DONE: hash what is on disk
            self._open(append=True)
        total = self.meta.total
        try:
            self._file.flush()
        except OSError as exc:
            raise _write_error(exc, self.part) from None
        if total is not None and self.offset != total:
            self.suspend()
            raise IncompleteDownloadError(
                f"the download of {self.target.kind} {self.target.params} ended at "
                f"{self.offset} of {total} bytes; the partial file {self.part} is kept: "
                "run the download again to resume",
                path=self.part,
            )
        assert self._hashes is not None
        digests = self._hashes.result()
        self.suspend()
        algorithm = _digest_algorithm(self.meta.digest)
        if algorithm is not None:
            expected = _digest_value(self.meta.digest)
            if digests[algorithm] != expected:
                self._discard_part()
                raise DownloadError(
                    f"the downloaded {self.target.kind} does not match the server's "
                    f"{algorithm} checksum; the partial file was discarded: download it again",
                    path=self.part,
                )
            self._verified_by = algorithm
        final = self.final
        try:
            os.replace(self.part, final)
        except OSError as exc:
            raise _path_error(exc, final) from None
        with contextlib.suppress(OSError):
            self.meta_path.unlink()
        return DownloadResult(
            path=final,
            size=self.offset,
            sha256=digests["sha256"].hex(),
            resumed_from=self.resumed_from,
            received=self.received,
            verified_by=self._verified_by,
            content_type=self.meta.content_type,
        )

    def error(self, response: httpx.Response) -> Py7DError:
        """The typed error for a refusal (the body is read already, and small)."""
        self.suspend()
        what = f"{self.target.kind} {self.target.params.get(self.target.kind + 'Id')}"
        try:
            parse_response(response)
        except APIServiceException as exc:
            found: Py7DError = exc
            message = exc.message
        except Py7DError as exc:
            found, message = exc, exc.message
        else:
            found = DownloadError(f"HTTP {response.status_code}", request=response.request)
            message = ""
        status = response.status_code
        if status == 403 and not message.lower().startswith("oauth"):
            err: Py7DError = NotOwnedError(
                f"the user does not own {what} (HTTP 403: {message or 'forbidden'}); "
                "check the locker ('py7d user locker') or the access token",
                request=response.request,
                status_code=status,
            )
        elif status in (400, 404) and "format" in message.lower():
            err = FormatNotAvailableError(
                f"{what} cannot be downloaded in format "
                f"{self.target.params.get('formatId')}: {message}",
                request=response.request,
                status_code=status,
            )
        else:
            return found
        err.__cause__ = found
        return err


class _Digests:
    """SHA-256 (and the server's algorithm) of a stream of chunks, computed on a helper
    thread: hashlib releases the GIL, so hashing runs beside the network reads instead of
    between them. Chunks are copied into one of at most ``_BUFFERS`` reusable buffers of
    ``_BATCH`` bytes, and a full buffer is hashed with one call while the next one fills;
    memory is those buffers whatever the file's size, and nothing is allocated per chunk."""

    def __init__(self, algorithms: set[str]) -> None:
        self._hashes = {name: hashlib.new(name) for name in algorithms}
        self._full: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._made = 0
        self._buffer: bytearray | None = None
        self._used = 0
        self._thread = threading.Thread(target=self._work, name="py7d-hash", daemon=True)
        self._thread.start()
        self.finished = False

    def _work(self) -> None:
        hashes = list(self._hashes.values())
        while (item := self._full.get()) is not None:
            buffer, size = item
            with memoryview(buffer) as whole, whole[:size] as view:
                for h in hashes:
                    h.update(view)  # one GIL hand-over per buffer, not one per chunk
            self._free.put(buffer)

    def _next_buffer(self) -> bytearray:
        if self._made < _BUFFERS:
            self._made += 1
            return bytearray(_BATCH)
        return self._free.get()  # waits while the helper thread is behind: memory stays flat

    def update(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            if self._buffer is None:
                self._buffer, self._used = self._next_buffer(), 0
            take = min(len(view), _BATCH - self._used)
            self._buffer[self._used : self._used + take] = view[:take]
            self._used += take
            view = view[take:]
            if self._used == _BATCH:
                self._full.put((self._buffer, self._used))
                self._buffer = None

    def result(self) -> dict[str, bytes]:
        """The digests of everything fed so far (ends the helper thread)."""
        self.close()
        return {name: h.digest() for name, h in self._hashes.items()}

    def close(self) -> None:
        if not self.finished:
            self.finished = True
            if self._buffer is not None and self._used:
                self._full.put((self._buffer, self._used))
            self._buffer = None
            self._full.put(None)
            self._thread.join()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _strong(etag: str | None) -> bool:
    return bool(etag) and not str(etag).startswith("W/")


def _disposition_name(value: str) -> str | None:
    """The file name of a ``Content-Disposition`` header (``filename*`` first)."""
    star = re.search(r"filename\*\s*=\s*([^;]+)", value, re.IGNORECASE)
    if star:
        charset, _, rest = star.group(1).strip().partition("''")
        with contextlib.suppress(LookupError, ValueError):
            return urllib.parse.unquote(rest, encoding=charset or "utf-8", errors="strict")
    plain = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', value, re.IGNORECASE)
    if plain:
        return (plain.group(1) or plain.group(2) or "").strip() or None
    return None


def _digest_header(headers: httpx.Headers, *, whole_body: bool) -> str | None:
    """The first digest of the whole file the server gives, as ``algorithm=base64``."""
    for name in ("repr-digest", "digest"):
        for item in headers.get(name, "").split(","):
            key, sep, value = item.strip().partition("=")
            algorithm = key.strip().lower()
            if sep and algorithm in _DIGEST_ALGORITHMS:
                return f"{algorithm}={value.strip().strip(':')}"
    md5 = headers.get("content-md5")
    if md5 and whole_body:
        return f"md5={md5.strip()}"
    return None


def _digest_algorithm(digest: str | None) -> str | None:
    if not digest:
        return None
    return _DIGEST_ALGORITHMS.get(digest.split("=", 1)[0])


def _digest_value(digest: str | None) -> bytes:
    try:
        return base64.b64decode((digest or "").split("=", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        return b""


def _path_error(exc: OSError, path: Path) -> DownloadError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return DiskFullError(f"no space left on the device for {path}; free some space", path=path)
    return PathNotWritableError(
        f"cannot write {path}: {exc.strerror or exc}; choose a folder you can write to",
        path=path,
    )


def _write_error(exc: OSError, path: Path) -> DownloadError:
    error = _path_error(exc, path)
    if isinstance(error, DiskFullError):
        error.message = (
            f"no space left on the device while writing {path}; the partial file is kept: "
            "free some space and run the download again to resume"
        )
        error.args = (error.message,)
    return error


# --------------------------------------------------------------------------- drivers


class _SignedGet(Protocol):
    def __call__(self) -> str: ...


def _read_already(response: httpx.Response) -> list[bytes] | None:
    return [response.content] if response.is_stream_consumed else None


def _read_error_body(response: httpx.Response, chunks: Iterator[bytes]) -> httpx.Response:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > _ERROR_BODY_LIMIT:
            break
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=bytes(body[:_ERROR_BODY_LIMIT]),
        request=response.request,
    )


def _wait(policy: RetryPolicy, failures: int, retry_after: float | None) -> float | None:
    """Seconds before the next attempt, or None to give up (``failures`` in a row)."""
    if failures >= policy.max_attempts:
        return None
    wait = policy.backoff(failures)
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return None
        wait = max(wait, retry_after)
    return wait


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


class _Retry(Exception):  # noqa: N818 - internal signal, never escapes
    def __init__(self, retry_after: float | None = None) -> None:
        self.retry_after = retry_after


def run(
    transfer: Transfer, http: httpx.Client, signed_url: _SignedGet, policy: RetryPolicy
) -> DownloadResult:
    """Download ``transfer`` with ``http``, resuming after drops, until done or failed.

    Attempts that fail without writing a byte count against ``policy.max_attempts``
    (with its backoff between them); a drop after progress resumes at once.
    """
    failures = 0
    while True:
        transfer.start_attempt()
        request = http.build_request("GET", signed_url(), headers=transfer.request_headers())
        try:
            with map_transport_errors(request):
                response = http.send(request, stream=True)
                try:
                    step = transfer.begin(response.status_code, response.headers)
                    if step is Step.FAIL:
                        raise transfer.error(_read_error_body(response, response.iter_bytes()))
                    if step is Step.RETRY:
                        raise _Retry(_retry_after(response.headers))
                    if step is Step.WRITE:
                        # A reply read already (a mock transport's) has its bytes in hand.
                        chunks = _read_already(response) or response.iter_raw()
                        for chunk in chunks:
                            transfer.feed(chunk)
                finally:
                    response.close()
            return transfer.finish()
        except (TransportError, IncompleteDownloadError, _Retry) as exc:
            transfer.suspend()
            failures = 0 if transfer.made_progress() else failures + 1
            wait = _wait(policy, failures, getattr(exc, "retry_after", None))
            if wait is None:
                if isinstance(exc, _Retry):
                    raise DownloadError(
                        f"the server kept refusing the download of {transfer.target.kind} "
                        f"{dict(transfer.target.params)}; try again later",
                        path=transfer.part,
                    ) from None
                raise
            if wait > 0 and not transfer.made_progress():
                policy.sleep(wait)
        except BaseException:
            transfer.suspend()
            raise


async def run_async(
    transfer: Transfer, http: httpx.AsyncClient, signed_url: _SignedGet, policy: RetryPolicy
) -> DownloadResult:
    """:func:`run` for an ``httpx.AsyncClient`` (the file is written from the event loop)."""
    failures = 0
    while True:
        transfer.start_attempt()
        request = http.build_request("GET", signed_url(), headers=transfer.request_headers())
        try:
            with map_transport_errors(request):
                response = await http.send(request, stream=True)
                try:
                    step = transfer.begin(response.status_code, response.headers)
                    if step is Step.FAIL:
                        body = bytearray()
                        async for chunk in response.aiter_bytes():
                            body += chunk
                            if len(body) > _ERROR_BODY_LIMIT:
                                break
                        raise transfer.error(_read_error_body(response, iter([bytes(body)])))
                    if step is Step.RETRY:
                        raise _Retry(_retry_after(response.headers))
                    if step is Step.WRITE:
                        if response.is_stream_consumed:
                            transfer.feed(response.content)
                        else:
                            async for chunk in response.aiter_raw():
                                transfer.feed(chunk)
                finally:
                    await response.aclose()
            return transfer.finish()
        except (TransportError, IncompleteDownloadError, _Retry) as exc:
            transfer.suspend()
            failures = 0 if transfer.made_progress() else failures + 1
            wait = _wait(policy, failures, getattr(exc, "retry_after", None))
            if wait is None:
                if isinstance(exc, _Retry):
                    raise DownloadError(
                        f"the server kept refusing the download of {transfer.target.kind} "
                        f"{dict(transfer.target.params)}; try again later",
                        path=transfer.part,
                    ) from None
                raise
            if wait > 0 and not transfer.made_progress():
                await policy.async_sleep(wait)
        except BaseException:
            transfer.suspend()
            raise


# --------------------------------------------------------------------------- zips


def unpack_zip(archive: Path, folder: Path) -> tuple[Path, ...]:
    """Extract ``archive`` into ``folder``; refuse it whole if a member would escape.

    Every member is checked before anything is written: absolute paths, drive
    letters, ``..`` segments that climb out of ``folder`` and symbolic links
    raise :class:`py7D.UnsafeArchiveError`. Names are then made safe for the
    local filesystem segment by segment. Members are copied in chunks.
    """
    root = folder.resolve()
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                target = _member_target(info, folder, root)
                if target is not None:
                    plan.append((info, target))
            written: list[Path] = []
            for info, target in plan:
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(target.name + ".part")
                with zf.open(info) as source, temporary.open("wb") as sink:
                    while block := source.read(_HASH_BLOCK):
                        sink.write(block)
                os.replace(temporary, target)
                written.append(target)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{archive} is not a valid zip: {exc}", path=archive) from None
    except OSError as exc:
        raise _path_error(exc, folder) from None
    return tuple(written)


def _member_target(info: zipfile.ZipInfo, folder: Path, root: Path) -> Path | None:
    """Where a member goes under ``root`` (None for a folder entry), or raise if unsafe."""
    name = info.filename
    mode = info.external_attr >> 16
    unsafe = (
        name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name) is not None
        or "\x00" in name
        or stat.S_ISLNK(mode)
    )
    parts: list[str] = []
    for segment in PurePosixPath(name.replace("\\", "/")).parts:
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                unsafe = True
                break
            parts.pop()
            continue
        parts.append(segment)
    if unsafe:
        raise UnsafeArchiveError(
            f"refusing the archive: member {name!r} would be written outside {root}; "
            "nothing was extracted",
            path=root,
        )
    if info.is_dir() or not parts:
        return None
    target = folder.joinpath(*(safe_name(p) for p in parts))
    if root not in target.resolve().parents:
        raise UnsafeArchiveError(
            f"refusing the archive: member {name!r} resolves outside {root}", path=root
        )
    return target


# --------------------------------------------------------------------------- client methods


class _ClientParts(Protocol):
    settings: Settings
    timeout: httpx.Timeout
    retries: RetryPolicy

    def sign_url(self, url: str, *, token: TokenLike | None = None, **params: Any) -> str: ...


def _prepare(
    client: _ClientParts,
    target: MediaTarget,
    to: str | os.PathLike[str],
    access_token: TokenLike | None,
    progress: ProgressCallback | None,
) -> tuple[Transfer, Callable[[], str]]:
    if access_token is None:
        raise ValidationError(
            "downloads are 3-legged: pass access_token= (the user's token, see py7D.Token)"
        )
    transfer = Transfer.create(target, to, progress=progress)
    url = media_url(client.settings, target)
    params = dict(target.params)
    if client.settings.country:
        params.setdefault("country", client.settings.country)

    def signed_url() -> str:  # a fresh nonce and timestamp for every attempt
        return client.sign_url(url, token=access_token, **params)

    return transfer, signed_url


def _zip_destination(to: str | os.PathLike[str], unpack: bool) -> str | os.PathLike[str]:
    if unpack:
        folder = Path(to)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _path_error(exc, folder) from None
        return folder
    return to


def _unpacked(result: DownloadResult, folder: Path) -> DownloadResult:
    files = unpack_zip(result.path, folder)
    with contextlib.suppress(OSError):
        result.path.unlink()
    return DownloadResult(
        path=folder,
        size=result.size,
        sha256=result.sha256,
        resumed_from=result.resumed_from,
        received=result.received,
        verified_by=result.verified_by,
        content_type=result.content_type,
        files=files,
    )


_TRACK_DOC = """Download track ``track_id`` in ``format_id`` to ``to``; returns a DownloadResult.

        ``to`` is the file to write, or an existing folder (the file is then named
        as the server offers, made safe). The track must be in the user's locker
        (``access_token``); ``format_id`` is one its ``downloadUrls`` offer (17 =
        MP3 320). ``release_id`` is sent along (looked up with ``track/details``
        when not given).  ``progress`` is called
        with a :class:`DownloadProgress` after each chunk. A dropped connection is
        resumed where it stopped; an interrupted call leaves ``NAME.part`` (and
        ``NAME.part.json``) that the next call with the same ``to`` resumes.
        Raises :class:`py7D.NotOwnedError`, :class:`py7D.FormatNotAvailableError`,
        :class:`py7D.DiskFullError`, :class:`py7D.PathNotWritableError` or another
        :class:`py7D.DownloadError`."""


class Downloads:
    """The ``download_*`` methods of :class:`py7D.Client`."""

    def _download(
        self: Any,
        target: MediaTarget,
        to: str | os.PathLike[str],
        access_token: TokenLike | None,
        progress: ProgressCallback | None,
    ) -> DownloadResult:
        transfer, signed_url = _prepare(self, target, to, access_token, progress)
        # The httpx.Client the client sends through: its transport streams bodies.
        return run(transfer, self._http, signed_url, self.retries)

    def download_track(
        self: Any,
        track_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        release_id: int | str | None = None,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        if release_id is None and needs_release_id():
            details = self.request("track", "details", trackId=_numeric("track_id", track_id))
            release_id = _release_of(details.data)
        target = media_target("track", track_id, format_id, releaseId=release_id)
        result: DownloadResult = self._download(target, to, access_token, progress)
        return result

    download_track.__doc__ = _TRACK_DOC

    def download_release(
        self: Any,
        release_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        unpack: bool = False,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """Download release ``release_id`` (the tracks the user owns) as a zip.

        ``to`` is the zip file to write or an existing folder; with
        ``unpack=True`` it is the folder the zip is extracted into (created if
        needed; the zip is deleted afterwards and ``result.files`` lists what was
        written). An archive with a member that would land outside the folder is
        refused whole (:class:`py7D.UnsafeArchiveError`). Otherwise as
        :meth:`download_track`.
        """
        target = media_target("release", release_id, format_id)
        result: DownloadResult = self._download(
            target, _zip_destination(to, unpack), access_token, progress
        )
        return _unpacked(result, Path(to)) if unpack else result

    def download_purchase(
        self: Any,
        purchase_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        unpack: bool = False,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """Download everything bought in purchase ``purchase_id`` as one zip.

        As :meth:`download_release`.
        """
        target = media_target("purchase", purchase_id, format_id)
        result: DownloadResult = self._download(
            target, _zip_destination(to, unpack), access_token, progress
        )
        return _unpacked(result, Path(to)) if unpack else result


class AsyncDownloads:
    """The ``download_*`` methods of :class:`py7D.AsyncClient` (awaitable)."""

    async def _download(
        self: Any,
        target: MediaTarget,
        to: str | os.PathLike[str],
        access_token: TokenLike | None,
        progress: ProgressCallback | None,
    ) -> DownloadResult:
        transfer, signed_url = _prepare(self, target, to, access_token, progress)
        # The client's httpx.AsyncClient for calls that are not plain reads: httpx's own
        # transport (or yours), which streams bodies; aiohttp is kept to API reads.
        return await run_async(transfer, self._http, signed_url, self.retries)

    async def download_track(
        self: Any,
        track_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        release_id: int | str | None = None,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        if release_id is None and needs_release_id():
            details = await self.request("track", "details", trackId=_numeric("track_id", track_id))
            release_id = _release_of(details.data)
        target = media_target("track", track_id, format_id, releaseId=release_id)
        result: DownloadResult = await self._download(target, to, access_token, progress)
        return result

    download_track.__doc__ = _TRACK_DOC

    async def download_release(
        self: Any,
        release_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        unpack: bool = False,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """See :meth:`py7D.Client.download_release`."""
        target = media_target("release", release_id, format_id)
        result: DownloadResult = await self._download(
            target, _zip_destination(to, unpack), access_token, progress
        )
        return _unpacked(result, Path(to)) if unpack else result

    async def download_purchase(
        self: Any,
        purchase_id: int | str,
        format_id: int | str,
        to: str | os.PathLike[str],
        *,
        access_token: TokenLike | None = None,
        unpack: bool = False,
        progress: ProgressCallback | None = None,
    ) -> DownloadResult:
        """See :meth:`py7D.Client.download_purchase`."""
        target = media_target("purchase", purchase_id, format_id)
        result: DownloadResult = await self._download(
            target, _zip_destination(to, unpack), access_token, progress
        )
        return _unpacked(result, Path(to)) if unpack else result
