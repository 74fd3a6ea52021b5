"""``py7d download``: fetch the user's locker to files, resumable, with a manifest.

::

    py7d download --all --to ~/Music/7digital      # the whole locker
    py7d download release 100003 --to ~/Music      # the tracks of one release
    py7d download track 1000140 --format mp3-320   # one track
    py7d download --all --to DIR --dry-run         # what would be fetched

Files are named ``Artist/Release/NN - Title.ext`` from the locker's metadata,
made safe for every common filesystem (see :mod:`py7D._filenames`).
``DIR/py7d-manifest.json`` records each finished file (ids, format, size,
SHA-256, path); a second run fetches only what is missing, incomplete or
changed on disk, and resumes partial files (``NAME.part``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .base import ExitCode, UsageError

if TYPE_CHECKING:
    from .._auth import Token
    from .._client import Client
    from .._download import DownloadProgress

__all__ = [
    "MANIFEST_NAME",
    "Item",
    "Manifest",
    "add_arguments",
    "assign_paths",
    "choose_format",
    "run_download",
]

MANIFEST_NAME = "py7d-manifest.json"

EXAMPLES = """\
examples:
  py7d download --all --to ~/Music/7digital       # the whole locker, best format owned
  py7d download release 100003 --to ~/Music       # the tracks of a release
  py7d download track 1000140 1000152 --format mp3-320
  py7d download --all --to DIR --format flac --concurrency 4
  py7d download --all --to DIR --dry-run          # list what would be fetched
  py7d --sandbox download --all --to /tmp/locker  # the embedded sandbox's seeded user

Files are named Artist/Release/NN - Title.ext (made safe for every common
filesystem). DIR/py7d-manifest.json records what was fetched, so running the
same command again fetches only what is missing or incomplete; partial files
(NAME.part) are resumed. --format takes a name (mp3-320, aac-320, flac,
flac-24) or a 7digital format id (17); the default is the best format owned.

exit status 0: everything is there; 3: some downloads failed (each is listed);
130: interrupted (partial files are kept for the next run)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``py7d download`` (the global options are the parser's already)."""
    parser.add_argument(
        "what", nargs="?", choices=("release", "track"), help="download releases or tracks by id"
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="release or track ids")
    parser.add_argument("--all", action="store_true", help="everything in the locker")
    parser.add_argument(
        "--to", metavar="DIR", default=".", help="folder to download into (default: .)"
    )
    parser.add_argument(
        "--format",
        metavar="FORMAT",
        help="mp3-320, aac-320, flac, flac-24 ... or a format id (default: best owned)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=2,
        metavar="N",
        help="files downloaded at once (default 2)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be fetched, fetch nothing"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"expected 1 to 32, got {value}")
    return value


# --------------------------------------------------------------------------- the locker


@dataclass(frozen=True)
class Item:
    """One owned track as the locker describes it."""

    track_id: str
    release_id: str
    artist: str
    release: str
    number: int
    disc: int
    title: str
    formats: tuple[tuple[str, str], ...]  # (format id, description) the locker offers
    purchase_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.release_id}/{self.track_id}"


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("#text", "")
    return "" if value is None else str(value)


def _int(value: Any, default: int = 0) -> int:
    text = _text(value).strip()
    return int(text) if text.isdigit() else default


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _formats(track: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    urls = track.get("downloadUrls") or {}
    for entry in _many(urls.get("downloadUrl") if isinstance(urls, dict) else None):
        fmt = entry.get("format") if isinstance(entry, dict) else None
        if not isinstance(fmt, dict) or not fmt.get("@id"):
            continue
        description = _text(fmt.get("description"))
        if not description:  # the older layout: fileFormat + bitRate
            description = f"{_text(fmt.get('fileFormat'))} {_text(fmt.get('bitRate'))}".strip()
        found.setdefault(str(fmt["@id"]), description or f"format {fmt['@id']}")
    return tuple(found.items())


def locker_items(releases: Iterable[dict[str, Any]]) -> list[Item]:
    """The owned tracks of ``lockerRelease`` items (normalised replies)."""
    items: list[Item] = []
    for locker_release in releases:
        release = locker_release.get("release") or {}
        release_artist = _text((release.get("artist") or {}).get("name"))
        tracks = (locker_release.get("lockerTracks") or {}).get("lockerTrack")
        for locker_track in _many(tracks):
            track = locker_track.get("track") or {}
            items.append(
                Item(
                    track_id=str(track.get("@id", "")),
                    release_id=str(release.get("@id", "")),
                    artist=release_artist or _text((track.get("artist") or {}).get("name")),
                    release=_text(release.get("title")),
                    number=_int(track.get("number") or track.get("trackNumber")),
                    disc=_int(track.get("discNumber"), 1),
                    title=_title(track),
                    formats=_formats(locker_track),
                    purchase_id=_text(locker_track.get("purchaseId")) or None,
                )
            )
    return [i for i in items if i.track_id.isdigit()]


def _title(track: dict[str, Any]) -> str:
    title, version = _text(track.get("title")), _text(track.get("version"))
    return f"{title} ({version})" if version else title


# --------------------------------------------------------------------------- formats

_EXTENSIONS = (("flac", ".flac"), ("alac", ".m4a"), ("aac", ".m4a"), ("m4a", ".m4a"))


def extension(description: str) -> str:
    """The file extension for a format description (``MP3 320`` -> ``.mp3``)."""
    lowered = description.lower()
    for word, ext in _EXTENSIONS:
        if word in lowered:
            return ext
    if "mp4" in lowered:
        return ".m4a"
    if "wav" in lowered:
        return ".wav"
    return ".mp3"


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9.]+", text.lower()) if t]


def _rank(description: str) -> tuple[int, int, float, int, int]:
    """Higher is better: lossless first, then bit depth, sample rate, bit rate; MP3 before AAC."""
    lowered = description.lower()
    lossless = int(any(w in lowered for w in ("flac", "alac", "wav", "lossless")))
    bits = re.search(r"(\d+)[- ]?bit", lowered)
    rate = re.search(r"(\d+(?:\.\d+)?)\s*khz", lowered)
    bitrate = max((int(n) for n in re.findall(r"\b(\d{2,4})\b", lowered)), default=0)
    return (
        lossless,
        int(bits.group(1)) if bits else 0,
        float(rate.group(1)) if rate else 0.0,
        bitrate if not lossless else 0,
        int("mp3" in lowered),
    )


def choose_format(formats: Sequence[tuple[str, str]], wanted: str | None) -> tuple[str, str] | None:
    """The ``(id, description)`` to download: the best one, or the best matching ``wanted``.

    ``wanted`` is a format id (``17``) or words that must all appear in the
    description (``mp3-320`` matches "MP3 320", ``flac`` any FLAC, ``flac-24``
    "FLAC 24-bit ..."). None when nothing offered matches.
    """
    candidates = list(formats)
    if wanted:
        if wanted.isdigit():
            candidates = [f for f in candidates if f[0] == wanted]
        else:
            words = _tokens(wanted)
            candidates = [
                f
                for f in candidates
                if all(any(t.startswith(w) for t in _tokens(f[1])) for w in words)
            ]
    if not candidates:
        return None
    return max(candidates, key=lambda f: _rank(f[1]))


# --------------------------------------------------------------------------- names


@dataclass
class _Folder:
    names: Any = None  # NameSpace
    children: dict[str, _Folder] = field(default_factory=dict)


def assign_paths(
    planned: Sequence[tuple[Item, str]], remembered: dict[str, str] | None = None
) -> dict[str, str]:
    """``Artist/Release/NN - Title.ext`` for each ``(item, extension)``, by item key.

    Every segment is made safe; names that collide (also by case) get ``" (2)"``.
    Paths a manifest ``remembered`` for an item are kept, so a second run names
    files as the first did.
    """
    from .._filenames import NameSpace, safe_name

    root = _Folder(NameSpace())
    paths: dict[str, str] = {}
    discs = {i.release_id for i, _ in planned if i.disc > 1}

    def folder(parent: _Folder, name: str) -> _Folder:
        return parent.children.setdefault(name, _Folder(NameSpace()))

    remembered = remembered or {}
    order = sorted(
        planned,
        key=lambda p: (p[0].key not in remembered, p[0].artist.casefold(), p[0].release_id),
    )
    for item, ext in order:
        wanted = remembered.get(item.key)
        parts = wanted.split("/") if wanted else []
        if len(parts) == 3 and all(p == safe_name(p) for p in parts):
            artist_name, release_name, file_name = parts
            artist = folder(root, artist_name)
            release = folder(artist, release_name)
            if (
                root.names.reserve(artist_name, ("artist", item.artist))
                and artist.names.reserve(release_name, ("release", item.release_id))
                and release.names.reserve(file_name, ("track", item.track_id))
            ):
                paths[item.key] = wanted or ""
                continue
        artist_name = root.names.claim(
            safe_name(item.artist or "Unknown Artist"), ("artist", item.artist)
        )
        artist = folder(root, artist_name)
        release_name = artist.names.claim(
            safe_name(item.release or f"Release {item.release_id}"), ("release", item.release_id)
        )
        release = folder(artist, release_name)
        number = (
            f"{item.disc}-{item.number:02d}" if item.release_id in discs else f"{item.number:02d}"
        )
        title = safe_name(item.title) if item.title else f"Track {item.track_id}"
        base = safe_name(f"{number} - {title}", suffix=ext)
        stem = base[: -len(ext)] if ext and base.endswith(ext) else base
        file_name = release.names.claim(stem, ("track", item.track_id), suffix=ext)
        paths[item.key] = f"{artist_name}/{release_name}/{file_name}"
    return paths


# --------------------------------------------------------------------------- manifest


class Manifest:
    """``DIR/py7d-manifest.json``: one entry per finished file, written after each one."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MANIFEST_NAME
        self.files: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        for entry in data.get("files", []) if isinstance(data, dict) else []:
            if isinstance(entry, dict) and entry.get("releaseId") and entry.get("trackId"):
                self.files[f"{entry['releaseId']}/{entry['trackId']}"] = entry

    def remembered_paths(self) -> dict[str, str]:
        return {k: str(e["path"]) for k, e in self.files.items() if isinstance(e.get("path"), str)}

    def is_complete(self, item: Item, format_id: str, folder: Path) -> bool:
        """Whether the manifest lists this item in this format and the file is there, whole."""
        entry = self.files.get(item.key)
        if entry is None or str(entry.get("formatId")) != format_id:
            return False
        try:
            size = (folder / str(entry["path"])).stat().st_size
            return size == int(entry.get("size", -1))
        except (OSError, ValueError, TypeError):
            return False

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.files[f"{entry['releaseId']}/{entry['trackId']}"] = entry
            self._write()

    def _write(self) -> None:
        data = {"version": 1, "files": sorted(self.files.values(), key=lambda e: e["path"])}
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
        os.replace(temporary, self.path)


# --------------------------------------------------------------------------- progress


@dataclass
class _Live:
    name: str
    done: int = 0
    total: int | None = None


class Board:
    """Progress bars on a terminal: one per file being fetched and one for the whole run.

    Redrawn in place at most every ``interval`` seconds and erased at the end;
    nothing is drawn when ``stream`` is not a terminal (so pipes and logs stay clean).
    """

    def __init__(
        self,
        stream: TextIO,
        files: int,
        *,
        enabled: bool | None = None,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = _isatty(stream) if enabled is None else enabled
        self.interval = interval
        self.clock = clock
        self.files = files
        self.finished = 0
        self.bytes_before = 0  # bytes of finished files
        self.sizes: list[int] = []
        self.started = clock()
        self.live: dict[str, _Live] = {}
        self._lines = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def update(self, key: str, name: str, done: int, total: int | None) -> None:
        with self._lock:
            live = self.live.setdefault(key, _Live(name))
            live.done, live.total = done, total
            self._draw()

    def done(self, key: str, size: int) -> None:
        with self._lock:
            self.live.pop(key, None)
            self.finished += 1
            self.bytes_before += size
            self.sizes.append(size)
            self._draw(force=True)

    def lines(self) -> list[str]:
        """The text of the bars (total first)."""
        elapsed = max(self.clock() - self.started, 1e-6)
        done = self.bytes_before + sum(v.done for v in self.live.values())
        rate = done / elapsed
        known = self.sizes + [v.total for v in self.live.values() if v.total]
        average = sum(known) / len(known) if known else 0
        unknown = self.files - len(known)
        expected = sum(known) + average * max(unknown, 0)
        left = (expected - done) / rate if rate > 0 and expected else None
        total = (
            f"{_bar(done / expected if expected else 0)} {self.finished}/{self.files} files · "
            f"{_size(done)}"
            + (f" of ~{_size(expected)}" if expected else "")
            + f" · {_size(rate)}/s"
            + (f" · {_duration(left)} left" if left is not None else "")
        )
        width = shutil.get_terminal_size((80, 24)).columns - 1
        out = [total[:width]]
        for live in list(self.live.values())[:8]:
            fraction = live.done / live.total if live.total else 0
            size = f"{_size(live.done)}/{_size(live.total)}" if live.total else _size(live.done)
            out.append(f"  {_bar(fraction, 10)} {size} {live.name}"[:width])
        return out

    def _draw(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        text = self._erase() + "\n".join(self.lines())
        self._lines = text.count("\n") - self._erase().count("\n") + 1
        self.stream.write(text)
        self.stream.flush()

    def _erase(self) -> str:
        if self._lines == 0:
            return ""
        up = f"\033[{self._lines - 1}F" if self._lines > 1 else "\r"
        return up + "\r\033[J"

    def close(self) -> None:
        """Erase the bars."""
        with self._lock:
            if self.enabled and self._lines:
                self.stream.write(self._erase())
                self.stream.flush()
                self._lines = 0


def _bar(fraction: float, width: int = 20) -> str:
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _size(n: float | None) -> str:
    value = float(n or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- the run


@dataclass
class Job:
    """One file to fetch."""

    item: Item
    format_id: str
    format_name: str
    path: str


class _CancelledError(Exception):
    """Raised from a progress callback to stop a download when the run is interrupted."""


def plan(
    items: Sequence[Item], wanted: str | None, manifest: Manifest
) -> tuple[list[Job], list[tuple[Item, str]]]:
    """The files to consider, and the items that cannot be had in the wanted format."""
    chosen: list[tuple[Item, tuple[str, str]]] = []
    unavailable: list[tuple[Item, str]] = []
    for item in items:
        found = choose_format(item.formats, wanted)
        if found is None:
            offered = ", ".join(f"{d} ({i})" for i, d in item.formats) or "none"
            unavailable.append((item, f"format {wanted!r} is not offered (offered: {offered})"))
        else:
            chosen.append((item, found))
    paths = assign_paths(
        [(item, extension(fmt[1])) for item, fmt in chosen], manifest.remembered_paths()
    )
    jobs = [Job(item, fmt[0], fmt[1], paths[item.key]) for item, fmt in chosen]
    return jobs, unavailable


def _collect(client: Client, token: Token, options: argparse.Namespace) -> list[Item]:
    def walk(**filters: str) -> Iterator[dict[str, Any]]:
        yield from client.items(
            "user", "locker", access_token=token, normalize=True, params=filters
        )

    if options.all:
        items = locker_items(walk())
    else:
        name = "releaseId" if options.what == "release" else "trackId"
        items = []
        for ident in options.ids:
            found = locker_items(walk(**{name: ident}))
            if options.what == "track":
                found = [i for i in found if i.track_id == ident]
            if not found:
                raise UsageError(
                    f"{options.what} {ident} is not in the user's locker ('py7d user locker' "
                    "lists it)"
                )
            items += found
    unique: dict[str, Item] = {}
    for item in items:
        unique.setdefault(item.key, item)
    return list(unique.values())


def _check_options(options: argparse.Namespace) -> None:
    if options.all and (options.what or options.ids):
        raise UsageError("give either --all or 'release ID...'/'track ID...', not both")
    if not options.all and not options.what:
        raise UsageError("say what to download: --all, 'release ID...' or 'track ID...'")
    if options.what and not options.ids:
        raise UsageError(f"'{options.what}' needs at least one id")
    bad = [i for i in options.ids if not i.isdigit()]
    if bad:
        raise UsageError(f"ids are numbers, not {', '.join(map(repr, bad))}")


def run_download(options: argparse.Namespace) -> int:
    """``py7d download ...`` with its parsed options: returns the exit status."""
    from .session import open_session

    _check_options(options)
    folder = Path(options.to).expanduser()
    with open_session(options, normalize=True) as session:
        token = session.user_token()
        items = _collect(session.client, token, options)
        manifest = Manifest(folder)
        jobs, unavailable = plan(items, options.format, manifest)
        if options.dry_run:
            return _dry_run(jobs, unavailable, manifest, folder)
        return _fetch(session.client, token, jobs, unavailable, manifest, folder, options)


def _dry_run(
    jobs: list[Job], unavailable: list[tuple[Item, str]], manifest: Manifest, folder: Path
) -> int:
    counts = {"fetch": 0, "resume": 0, "have": 0}
    for job in jobs:
        target = folder / job.path
        part = target.with_name(target.name + ".part")
        if manifest.is_complete(job.item, job.format_id, folder):
            state = "have"
        elif part.exists():
            state = "resume"
        else:
            state = "fetch"
        counts[state] += 1
        extra = f" from {_size(part.stat().st_size)}" if state == "resume" else ""
        print(f"{state:<6} {job.path}  ({job.format_name}, track {job.item.track_id}){extra}")
    for item, why in unavailable:
        print(f"skip   {item.artist} - {item.title} (track {item.track_id}): {why}")
    print(
        f"{counts['fetch']} to fetch, {counts['resume']} to resume, {counts['have']} already "
        f"in {folder}" + (f", {len(unavailable)} not available" if unavailable else "")
    )
    return ExitCode.OK


def _fetch(
    client: Client,
    token: Token,
    jobs: list[Job],
    unavailable: list[tuple[Item, str]],
    manifest: Manifest,
    folder: Path,
    options: argparse.Namespace,
) -> int:
    from .._exceptions import Py7DError

    todo = [j for j in jobs if not manifest.is_complete(j.item, j.format_id, folder)]
    have = len(jobs) - len(todo)
    board = Board(sys.stderr, len(todo), enabled=False if options.no_progress else None)
    cancel = threading.Event()
    failures: list[tuple[str, str]] = [
        (f"{i.artist} - {i.title} (track {i.track_id})", why) for i, why in unavailable
    ]
    fetched = 0
    fetched_bytes = 0
    resumed_bytes = 0

    def fetch(job: Job) -> tuple[dict[str, Any], int]:
        target = folder / job.path
        if folder.resolve() not in target.resolve().parents:  # defence in depth
            raise UsageError(f"refusing to write {job.path}: outside {folder}")

        def progress(p: DownloadProgress) -> None:
            if cancel.is_set():
                raise _CancelledError
            board.update(job.item.key, target.name, p.done, p.total)

        result = client.download_track(
            job.item.track_id,
            job.format_id,
            target,
            access_token=token,
            release_id=job.item.release_id,
            progress=progress,
        )
        entry = {
            "trackId": job.item.track_id,
            "releaseId": job.item.release_id,
            "purchaseId": job.item.purchase_id,
            "formatId": job.format_id,
            "format": job.format_name,
            "size": result.size,
            "sha256": result.sha256,
            "verifiedBy": result.verified_by,
            "path": job.path,
        }
        manifest.record(entry)
        board.done(job.item.key, result.size)
        return entry, result.resumed_from

    pool = concurrent.futures.ThreadPoolExecutor(options.concurrency, "py7d-download")
    futures = {pool.submit(fetch, job): job for job in todo}
    try:
        pending = set(futures)
        while pending:
            finished, pending = concurrent.futures.wait(pending, timeout=0.2)
            for future in finished:
                job = futures[future]
                try:
                    entry, resumed = future.result()
                except (Py7DError, UsageError, OSError) as exc:
                    failures.append((f"{job.path} (track {job.item.track_id})", str(exc)))
                else:
                    fetched += 1
                    fetched_bytes += int(entry["size"])
                    resumed_bytes += resumed
    except KeyboardInterrupt:
        cancel.set()
        for future in futures:
            future.cancel()
        with contextlib.suppress(KeyboardInterrupt):
            pool.shutdown(wait=True)
        board.close()
        _say(
            f"interrupted: {fetched} files fetched; partial files are kept, run the same "
            "command again to resume"
        )
        return ExitCode.INTERRUPTED
    finally:
        pool.shutdown(wait=False)
        board.close()
    for what, why in failures:
        _say(f"failed: {what}: {' '.join(why.split())}")
    kept = f"; {_size(resumed_bytes)} of it already on disk, resumed" if resumed_bytes else ""
    _say(
        f"{fetched} files fetched ({_size(fetched_bytes)}{kept}), {have} already in {folder}"
        + (f", {len(failures)} failed" if failures else "")
    )
    return ExitCode.API if failures else ExitCode.OK


def _say(text: str) -> None:
    sys.stderr.write(f"py7d: {text}\n")
    sys.stderr.flush()
