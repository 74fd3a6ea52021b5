"""Locker downloads: ``/media/user/downloadtrack``, ``/media/user/download/release`` and
``/media/user/download/purchase``, signed 3-legged in the query string.

What they serve:

* **Deterministic audio of a realistic size.** A track's file is
  ``duration x bytes per second`` of its format (MP3/AAC 320: 40 kB/s, so a
  4-minute song is about 9.6 MB; FLAC 16-bit about 106 kB/s; FLAC 24-bit about
  159 kB/s). The bytes start with the format's magic (``ID3``, ``ftyp``,
  ``fLaC``) and are made on the fly from a small seeded block, so any range of
  any size is produced cheaply and nothing is held in memory.
* **Ranges.** ``Range: bytes=a-b`` (one range) is answered ``206`` with
  ``Content-Range``; ``If-Range`` with the reply's strong ``ETag`` (or its
  ``Last-Modified`` date) keeps the range, any other value gets the whole file
  (``200``), as RFC 9110 says. Every reply has ``Accept-Ranges: bytes``, a
  ``Repr-Digest: sha-256=:…:`` of the whole file (RFC 9530), and a
  ``Content-Disposition`` file name.
* **Zips.** Releases and purchases come as one zip (stored, not compressed:
  audio does not compress) holding the tracks the user owns, named
  ``NN - Title.ext`` in an ``Artist - Release`` folder. Its bytes are computed
  from the members for any range too.
* **Refusals.** A user who does not own the track (release, purchase) gets
  HTTP 403 with error 2002; a format the locker does not offer for the item
  gets 404 with error 2001 ("Format 45 is not available ..."); an unknown or
  malformed ``formatId`` 400 with error 1002.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import functools
import hashlib
import random
import re
import struct
import urllib.parse
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

import httpx

from .._endpoints import AuthLevel
from ._catalogue import FORMATS, PACKAGES, Release, Track
from ._core import Sandbox, web_route
from ._errors import ApiError, OAuthRefusedError
from ._oauth import collect_signed_params
from ._state import AccessToken, LockerEntry

__all__ = [
    "DOWNLOAD_FORMATS",
    "MediaFile",
    "bytes_per_second",
    "release_zip",
    "track_file",
]

#: Formats a locker offers for download (the standard package: MP3 320 and AAC 320).
DOWNLOAD_FORMATS: tuple[int, ...] = PACKAGES[2][1]

_PIECE = 16 * 1024  # generation unit: each piece is a different window of the block
_BLOCK = 65521  # a prime, so no power-of-two offset repeats the content
_SEND_CHUNK = 256 * 1024  # bytes per body chunk handed to the server
_EXTENSIONS = {"MP3": "mp3", "MP4": "m4a", "FLAC": "flac"}
_MAGIC = {
    "MP3": b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64",
    "MP4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00",
    "FLAC": b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Files are dated like the catalogue: fixed, so validators never change between runs.
_MODIFIED = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def bytes_per_second(format_id: int) -> int:
    """Size of one second of audio in ``format_id``: the bit rate, FLAC compressed to 60 %."""
    _, file_format, bitrate = FORMATS[format_id]
    ratio = 0.6 if file_format == "FLAC" else 1.0
    return int(bitrate * 1000 * ratio / 8)


@functools.lru_cache(maxsize=256)
def _block(seed: int) -> bytes:
    block = random.Random(seed).randbytes(_BLOCK)
    return block + block[:_PIECE]


class _Source:
    """Bytes that can be read at any offset (a track file or a zip's fixed parts)."""

    size: int

    def read(self, start: int, end: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class _Audio(_Source):
    """One track's file: the format's magic, then seeded pseudo-audio."""

    seed: int
    size: int
    magic: bytes

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if start >= end:
            return b""
        block = _block(self.seed)
        parts: list[bytes] = []
        piece = start // _PIECE
        at = start
        while at < end:
            origin = (piece * 40503 + self.seed) % _BLOCK
            lo = at - piece * _PIECE
            hi = min(end - piece * _PIECE, _PIECE)
            parts.append(block[origin + lo : origin + hi])
            at = (piece + 1) * _PIECE
            piece += 1
        data = b"".join(parts)
        if start < len(self.magic):
            head = self.magic[start:end]
            data = head + data[len(head) :]
        return data


@dataclass(frozen=True)
class _Bytes(_Source):
    data: bytes

    @property
    def size(self) -> int:  # type: ignore[override]
        return len(self.data)

    def read(self, start: int, end: int) -> bytes:
        return self.data[start:end]


class MediaFile:
    """A downloadable file made of parts, readable by range, with its validators.

    ``name`` is the file name offered in ``Content-Disposition``; ``etag`` a
    strong validator; ``digest`` the SHA-256 of the whole file (computed once
    and remembered for equal files).
    """

    def __init__(
        self, name: str, content_type: str, parts: Sequence[_Source], identity: str
    ) -> None:
        self.name = name
        self.content_type = content_type
        self.parts = tuple(parts)
        self.size = sum(p.size for p in self.parts)
        self.identity = identity
        self.etag = f'"{hashlib.sha1(identity.encode()).hexdigest()[:20]}-{self.size:x}"'  # noqa: S324

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive)."""
        out: list[bytes] = []
        offset = 0
        for part in self.parts:
            lo, hi = max(start - offset, 0), min(end - offset, part.size)
            if lo < hi:
                out.append(part.read(lo, hi))
            offset += part.size
            if offset >= end:
                break
        return b"".join(out)

    def chunks(self, start: int, end: int, size: int = _SEND_CHUNK) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` in pieces of ``size``."""
        for at in range(start, end, size):
            yield self.read(at, min(at + size, end))

    @property
    def digest(self) -> str:
        """``sha-256=:<base64>:`` of the whole file (RFC 9530 ``Repr-Digest``), remembered."""
        key = (self.identity, self.size)
        found = _DIGESTS.get(key)
        if found is None:
            h = hashlib.sha256()
            for chunk in self.chunks(0, self.size, 1 << 20):
                h.update(chunk)
            found = f"sha-256=:{base64.b64encode(h.digest()).decode('ascii')}:"
            if len(_DIGESTS) > 4096:
                _DIGESTS.clear()
            _DIGESTS[key] = found
        return found


_DIGESTS: dict[tuple[str, int], str] = {}


def _audio(track: Track, format_id: int) -> _Audio:
    file_format = FORMATS[format_id][1]
    size = track.duration * bytes_per_second(format_id)
    return _Audio(seed=track.id * 131 + format_id, size=size, magic=_MAGIC[file_format])


def _member_name(track: Track, format_id: int) -> str:
    ext = _EXTENSIONS[FORMATS[format_id][1]]
    return f"{track.number:02d} - {_plain(track.title)}.{ext}"


def _plain(text: str) -> str:
    """A name a server would put in a zip or header: no separators or control characters."""
    text = "".join(c for c in text if c >= " " and c != "\x7f")
    return text.replace("/", "-").replace("\\", "-").strip() or "untitled"


def track_file(track: Track, format_id: int) -> MediaFile:
    """The downloadable file of ``track`` in ``format_id``."""
    file_format = FORMATS[format_id][1]
    content_type = {"MP3": "audio/mpeg", "MP4": "audio/mp4", "FLAC": "audio/flac"}[file_format]
    return MediaFile(
        _member_name(track, format_id),
        content_type,
        [_audio(track, format_id)],
        f"track:{track.id}:{format_id}",
    )


def _dos_stamp(when: dt.datetime) -> tuple[int, int]:
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    return time, date


@functools.lru_cache(maxsize=2048)
def _crc(seed: int, size: int, magic: bytes) -> int:
    audio = _Audio(seed=seed, size=size, magic=magic)
    crc = 0
    for at in range(0, size, 1 << 20):
        crc = zlib.crc32(audio.read(at, min(at + (1 << 20), size)), crc)
    return crc


def release_zip(name: str, members: Sequence[tuple[str, Track, int]], identity: str) -> MediaFile:
    """A stored (uncompressed) zip of ``members`` ``(folder, track, format)``."""
    time, date = _dos_stamp(_MODIFIED)
    parts: list[_Source] = []
    central: list[bytes] = []
    offset = 0
    for folder, track, format_id in members:
        audio = _audio(track, format_id)
        crc = _crc(audio.seed, audio.size, audio.magic)
        filename = f"{_plain(folder)}/{_member_name(track, format_id)}".encode()
        if offset + audio.size > 0xFFFFFFFF:
            raise ApiError(7001, "Too large for one zip: download the tracks one by one")
        common = (0x0800, 0, time, date, crc, audio.size, audio.size, len(filename), 0)
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *common)
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *common, 0, 0, 0, 0o644 << 16, offset)
            + filename
        )
        parts += [_Bytes(header + filename), audio]
        offset += len(header) + len(filename) + audio.size
    directory = b"".join(central)
    count = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0)
    parts.append(_Bytes(directory + end))
    return MediaFile(name, "application/zip", parts, identity)


# -- the routes ------------------------------------------------------------------------------
_KINDS = {
    ("media", "user", "downloadtrack"): "track",
    ("media", "user", "download", "release"): "release",
    ("media", "user", "download", "purchase"): "purchase",
}


def _kind(segments: list[str]) -> str | None:
    return _KINDS.get(tuple(s.lower() for s in segments))


def _params(request: httpx.Request) -> dict[str, str]:
    pairs = urllib.parse.parse_qsl(request.url.query.decode("ascii", "replace"))
    out: dict[str, str] = {}
    for key, value in pairs:
        out.setdefault(key.lower(), value)
    return out


def _number(params: dict[str, str], name: str, *, required: bool = True) -> int | None:
    value = params.get(name.lower())
    if value is None or value == "":
        if required:
            raise ApiError.missing(name)
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 12:
        raise ApiError.invalid(name, value)
    return int(value)


def _format(params: dict[str, str], what: str, *, default: int | None = None) -> int:
    format_id = _number(params, "formatId", required=default is None)
    if format_id is None:
        assert default is not None
        return default
    if format_id not in FORMATS:
        raise ApiError.invalid("formatId", str(format_id))
    if format_id not in DOWNLOAD_FORMATS:
        offered = ", ".join(str(f) for f in DOWNLOAD_FORMATS)
        raise ApiError(
            2001, f"Format {format_id} is not available for {what}; formats offered: {offered}"
        )
    return format_id


def _locker(sandbox: Sandbox, request: httpx.Request) -> list[LockerEntry]:
    """The signed-in user's locker; the request must be signed 3-legged."""
    signed = collect_signed_params(request)
    consumer = sandbox.consumer_for(request, signed)
    if consumer is None:  # metered routes only run for known keys; kept for safety
        raise OAuthRefusedError("Access to resource denied")
    token = sandbox.verify_oauth(request, signed, consumer, AuthLevel.USER)
    if not isinstance(token, AccessToken):
        raise OAuthRefusedError("Not authorised - no user credentials provided")
    return _entries(sandbox, token.user_id)


# The two reads of the sandbox's state this module makes.
def _entries(sandbox: Sandbox, user_id: int) -> list[LockerEntry]:
    return sandbox.state.locker(user_id)


def _purchase_exists(sandbox: Sandbox, purchase_id: int) -> bool:
    return sandbox.state.locker_has_purchase(purchase_id)


def _folder(sandbox: Sandbox, release: Release) -> str:
    return f"{sandbox.catalogue.artists[release.artist_id].name} - {release.title}"


def media_file(sandbox: Sandbox, request: httpx.Request, kind: str) -> MediaFile:
    """The file a download request asks for, or the :class:`ApiError` refusing it."""
    params = _params(request)
    entries = _locker(sandbox, request)
    cat = sandbox.catalogue
    if kind == "track":
        track_id = _number(params, "trackId")
        track = cat.track(track_id or 0)
        if track is None:
            raise ApiError(2001, f"Track not found: {track_id}")
        release_id = _number(params, "releaseId", required=False)
        if release_id is not None and release_id != track.release_id:
            raise ApiError(2001, f"Track {track.id} is not on release {release_id}")
        if not any(e.track_id == track.id for e in entries):
            raise ApiError(2002, f"Track {track.id} is not in the user's locker")
        return track_file(track, _format(params, f"track {track.id}"))
    if kind == "release":
        release_id = _number(params, "releaseId")
        release = cat.releases.get(release_id or 0)
        if release is None:
            raise ApiError(2001, f"Release not found: {release_id}")
        owned = sorted({e.track_id for e in entries if e.release_id == release.id})
        if not owned:
            raise ApiError(2002, f"Release {release.id} is not in the user's locker")
        format_id = _format(params, f"release {release.id}")
        folder = _folder(sandbox, release)
        members = [(folder, t, format_id) for t in map(cat.track, owned) if t is not None]
        return release_zip(
            f"{_plain(folder)}.zip", members, f"release:{release.id}:{format_id}:{owned}"
        )
    purchase_id = _number(params, "purchaseId") or 0
    bought = sorted(
        (e for e in entries if e.purchase_id == purchase_id),
        key=lambda e: (e.release_id, e.track_id),
    )
    if not bought:
        if not _purchase_exists(sandbox, purchase_id):
            raise ApiError(2001, f"Purchase not found: {purchase_id}")
        raise ApiError(2002, f"Purchase {purchase_id} is not in the user's locker")
    format_id = _format(params, f"purchase {purchase_id}", default=DOWNLOAD_FORMATS[0])
    members = []
    for entry in bought:
        track = cat.track(entry.track_id)
        if track is not None:
            members.append((_folder(sandbox, cat.releases[entry.release_id]), track, format_id))
    ids = [t.id for _, t, _ in members]
    return release_zip(
        f"purchase-{purchase_id}.zip", members, f"purchase:{purchase_id}:{format_id}:{ids}"
    )


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A reply body produced chunk by chunk (never held whole), for sync and async clients."""

    def __init__(self, file: MediaFile, start: int, end: int) -> None:
        self.file = file
        self.start = start
        self.end = end

    def __iter__(self) -> Iterator[bytes]:
        yield from self.file.chunks(self.start, self.end)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.file.chunks(self.start, self.end):
            yield chunk


def is_streamed(response: httpx.Response) -> bool:
    """Whether ``response`` carries a body produced on demand (not read into memory)."""
    return isinstance(response.stream, _Body)


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "'")
    quoted = urllib.parse.quote(name, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


_LAST_MODIFIED = email.utils.format_datetime(_MODIFIED, usegmt=True)


def _wanted_range(request: httpx.Request, file: MediaFile) -> tuple[int, int] | None:
    """``(start, end)`` of the single range asked for, or None for the whole file.

    An ``If-Range`` that matches neither the ETag nor the Last-Modified date
    means the file changed: the whole file is sent (RFC 9110 §13.1.5). A range
    starting at or past the end is ``(size, size)``: unsatisfiable.
    """
    wanted = request.headers.get("range")
    match = _RANGE.match(wanted.strip()) if wanted else None
    if match is None or match.group(0) == "bytes=-":
        return None
    condition = request.headers.get("if-range")
    if condition is not None and condition.strip() not in (file.etag, _LAST_MODIFIED):
        return None
    first, last = match.groups()
    size = file.size
    if first == "":
        return max(0, size - int(last)), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    return (start, end) if start < end else (size, size)


def file_response(request: httpx.Request, file: MediaFile) -> httpx.Response:
    """``file`` as a 200, a 206 for a satisfiable range, or a 416; the body is streamed."""
    headers = {
        "content-type": file.content_type,
        "accept-ranges": "bytes",
        "etag": file.etag,
        "last-modified": _LAST_MODIFIED,
        "content-disposition": _disposition(file.name),
        "repr-digest": file.digest,
    }
    wanted = _wanted_range(request, file)
    if wanted is not None and wanted[0] >= wanted[1]:
        headers["content-range"] = f"bytes */{file.size}"
        return httpx.Response(416, headers=headers, content=b"")
    if wanted is None:
        status, start, end = 200, 0, file.size
    else:
        status, (start, end) = 206, wanted
        headers["content-range"] = f"bytes {start}-{end - 1}/{file.size}"
    headers["content-length"] = str(end - start)
    if request.method == "HEAD":
        start = end
    return httpx.Response(status, headers=headers, stream=_Body(file, start, end))


@web_route(lambda seg: _kind(seg) is not None, metered=True)
def download(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/media/user/downloadtrack``, ``/media/user/download/release`` and ``.../purchase``."""
    kind = _kind(segments)
    assert kind is not None
    return file_response(request, media_file(sandbox, request, kind))
