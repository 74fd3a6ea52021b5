"""Client.download_* / AsyncClient.download_*: resume, verification, typed errors, zips."""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import py7D
from py7D.sandbox import Faults, Sandbox

pytestmark = pytest.mark.usefixtures("_isolated_env")

TRACK = 1000140  # seeded: title "../../Where Are You? (Paris/Tokyo Mix)", 269 s
RELEASE = 100003  # seeded: Keane's "Night Train", 3 tracks
MP3 = 17


@pytest.fixture(scope="module")
def box() -> Sandbox:
    return Sandbox(seeded_locker=True)


@pytest.fixture(scope="module")
def token(box: Sandbox) -> tuple[str, str]:
    return box.issue_access_token("alice@example.com")


def client_for(sandbox: Sandbox, transport: httpx.BaseTransport | None = None) -> py7D.Client:
    return py7D.Client(
        sandbox.consumer_key,
        sandbox.consumer_secret,
        base_url=sandbox.base_url,
        transport=transport or sandbox.transport(),
        retries=py7D.RetryPolicy(backoff_base=0, backoff_cap=0),
    )


@pytest.fixture(scope="module")
def reference(
    box: Sandbox, token: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> bytes:
    """The track's bytes, downloaded once without faults."""
    with client_for(box) as client:
        result = client.download_track(
            TRACK, MP3, tmp_path_factory.mktemp("ref") / "t.mp3", access_token=token
        )
    return result.path.read_bytes()


def test_a_track_is_streamed_to_a_file_and_verified(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, reference: bytes
) -> None:
    seen: list[py7D.DownloadProgress] = []
    with client_for(box) as client:
        result = client.download_track(
            TRACK, MP3, tmp_path / "song.mp3", access_token=token, progress=seen.append
        )
    assert result.path == tmp_path / "song.mp3"
    data = result.path.read_bytes()
    assert len(data) == result.size == 269 * 40_000  # MB of MP3 320, not KB
    assert data.startswith(b"ID3")
    assert data == reference
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.verified_by == "sha256"  # the sandbox's Repr-Digest was checked
    assert (result.resumed_from, result.received) == (0, result.size)
    assert seen[-1].done == seen[-1].total == result.size
    assert not list(tmp_path.glob("*.part*"))


def test_a_folder_gets_the_server_s_name_made_safe(
    box: Sandbox, token: tuple[str, str], tmp_path: Path
) -> None:
    with client_for(box) as client:
        result = client.download_track(TRACK, MP3, tmp_path, access_token=token)
    assert result.path.parent == tmp_path
    assert "/" not in result.path.name
    assert not result.path.name.startswith(".")
    assert result.path.name.endswith("Where Are You_ (Paris-Tokyo Mix).mp3")


def test_an_interrupted_download_resumes_where_it_stopped(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, reference: bytes
) -> None:
    target = tmp_path / "song.mp3"

    def stop_half_way(p: py7D.DownloadProgress) -> None:
        if p.total and p.done > p.total // 2:
            raise KeyboardInterrupt

    with client_for(box) as client:
        with pytest.raises(KeyboardInterrupt):
            client.download_track(TRACK, MP3, target, access_token=token, progress=stop_half_way)
        part = target.with_name("song.mp3.part")
        kept = part.stat().st_size
        assert len(reference) // 2 < kept < len(reference)
        assert json.loads(part.with_name("song.mp3.part.json").read_text())["etag"]
        assert not target.exists()
        result = client.download_track(TRACK, MP3, target, access_token=token)
    assert result.resumed_from == kept
    assert result.received == len(reference) - kept  # the first part was not fetched again
    assert target.read_bytes() == reference
    assert not part.exists()


@pytest.mark.parametrize("kind", ["truncate", "reset"])
def test_dropped_connections_are_resumed_in_process(
    token: tuple[str, str], tmp_path: Path, reference: bytes, kind: str
) -> None:
    faults = Faults(rate=0.6, kinds=(kind,), seed=4, paths=("media/user/*",))
    faulty = Sandbox(seeded_locker=True, faults=faults)
    faulty_token = faulty.issue_access_token("alice@example.com")
    with client_for(faulty) as client:
        result = client.download_track(TRACK, MP3, tmp_path / "t.mp3", access_token=faulty_token)
    assert faulty.faults is not None
    assert faulty.faults.injected[kind] >= 1
    assert result.path.read_bytes() == reference
    assert result.received == len(reference)  # each drop resumed, nothing fetched twice


def test_dropped_connections_are_resumed_over_the_wire(tmp_path: Path, reference: bytes) -> None:
    pytest.importorskip("uvicorn")
    from py7D.sandbox import running

    faults = Faults(rate=0.5, kinds=("truncate", "reset"), seed=14, paths=("media/user/*",))
    served = Sandbox(seeded_locker=True, faults=faults)
    served_token = served.issue_access_token("alice@example.com")
    with running(served) as url:
        client = py7D.Client(
            served.consumer_key,
            served.consumer_secret,
            base_url=url,
            retries=py7D.RetryPolicy(backoff_base=0, backoff_cap=0),
        )
        with client:
            result = client.download_track(
                TRACK, MP3, tmp_path / "t.mp3", access_token=served_token
            )
    assert served.faults is not None
    assert served.faults.total_injected >= 1
    assert result.path.read_bytes() == reference
    assert result.received == len(reference)


class Rewriting(httpx.BaseTransport):
    """The sandbox, with requests or replies changed on the way."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        request: Callable[[httpx.Request], None] = lambda r: None,
        reply: Callable[[httpx.Response], httpx.Response] = lambda r: r,
    ) -> None:
        self.inner, self.on_request, self.on_reply = inner, request, reply
        self.ranges: list[tuple[str | None, str | None]] = []  # of the media requests

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.on_request(request)
        if request.url.path.startswith("/media/"):
            self.ranges.append((request.headers.get("range"), request.headers.get("if-range")))
        return self.on_reply(self.inner.handle_request(request))


def _half_download(client: py7D.Client, target: Path, token: tuple[str, str]) -> int:
    def stop(p: py7D.DownloadProgress) -> None:
        if p.total and p.done > p.total // 2:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        client.download_track(TRACK, MP3, target, access_token=token, progress=stop)
    return target.with_name(target.name + ".part").stat().st_size


def test_a_server_that_ignores_range_gets_a_restart(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, reference: bytes
) -> None:
    target = tmp_path / "t.mp3"
    with client_for(box) as client:
        _half_download(client, target, token)
    ignoring = Rewriting(box.transport(), request=lambda r: r.headers.pop("range", None))
    with client_for(box, ignoring) as client:
        result = client.download_track(TRACK, MP3, target, access_token=token)
    assert result.received == len(reference)  # 200: the whole file again, from the start
    assert target.read_bytes() == reference


def test_if_range_sends_the_validator_and_a_changed_file_restarts(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, reference: bytes
) -> None:
    target = tmp_path / "t.mp3"
    with client_for(box) as client:
        kept = _half_download(client, target, token)
    meta = target.with_name("t.mp3.part.json")
    saved = json.loads(meta.read_text())
    watching = Rewriting(box.transport())
    with client_for(box, watching) as client:
        saved["etag"] = '"an-older-version"'  # as if the file changed since
        meta.write_text(json.dumps(saved))
        result = client.download_track(TRACK, MP3, target, access_token=token)
    assert watching.ranges[0] == (f"bytes={kept}-", '"an-older-version"')
    assert result.received == len(reference)  # If-Range did not match: whole file
    assert target.read_bytes() == reference


def test_a_wrong_checksum_is_refused_and_the_partial_file_dropped(
    box: Sandbox, token: tuple[str, str], tmp_path: Path
) -> None:
    def lie(reply: httpx.Response) -> httpx.Response:
        if "repr-digest" in reply.headers:
            reply.headers["repr-digest"] = "sha-256=:" + "A" * 43 + "=:"
        return reply

    lying = client_for(box, Rewriting(box.transport(), reply=lie))
    with lying as client, pytest.raises(py7D.DownloadError, match="checksum"):
        client.download_track(TRACK, MP3, tmp_path / "t.mp3", access_token=token)
    assert not (tmp_path / "t.mp3").exists()
    assert not list(tmp_path.glob("*.part"))


def test_chunks_of_any_size_are_hashed_in_order(tmp_path: Path) -> None:
    """Tiny chunks, chunks across the hashing buffers' edges, and one chunk bigger than
    all of them together: the file and both digests cover every byte once, in order."""
    body = bytes(range(256)) * (9 * 4096 + 3)  # about 9 MiB, not a multiple of anything
    cuts = [0, 1, 7, 65536, 1 << 20, (1 << 20) + 5, 3 << 20, len(body) - 2, len(body)]
    chunks = [body[a:b] for a, b in itertools.pairwise(cuts)]
    assert max(map(len, chunks)) > 4 << 20
    digest = base64.b64encode(hashlib.sha512(body).digest()).decode()

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Content-Length": str(len(body)), "Repr-Digest": f"sha-512=:{digest}:"},
            stream=httpx.ByteStream(b"") if request.method == "HEAD" else Chunks(chunks),
        )

    client = py7D.Client("k", "s", transport=httpx.MockTransport(serve))
    with client:
        result = client.download_track(
            17, MP3, tmp_path / "t.mp3", access_token=("a", "b"), release_id=1
        )
    assert result.path.read_bytes() == body
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.verified_by == "sha512"


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_refusals_are_typed(box: Sandbox, token: tuple[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    with client_for(box) as client:
        with pytest.raises(py7D.NotOwnedError, match="does not own track 1000030") as owned:
            client.download_track(1000030, MP3, out / "x.mp3", access_token=token)
        assert owned.value.status_code == 403
        assert "oauth_signature=***" in str(owned.value)  # the URL is redacted
        with pytest.raises(py7D.FormatNotAvailableError, match="format 45"):
            client.download_track(TRACK, 45, out / "x.flac", access_token=token)
        with pytest.raises(py7D.ValidationError, match="access_token"):
            client.download_track(TRACK, MP3, out / "x.mp3")
        with pytest.raises(py7D.ValidationError, match="numeric"):
            client.download_track("../1", MP3, out / "x.mp3", access_token=token)
    assert not [p for p in out.rglob("*") if p.is_file()]  # nothing written


def test_an_unwritable_destination_is_a_typed_error(
    box: Sandbox, token: tuple[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with client_for(box) as client, pytest.raises(py7D.PathNotWritableError, match="a-file"):
        client.download_track(TRACK, MP3, blocker / "t.mp3", access_token=token)


def test_a_full_disk_keeps_the_partial_file(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from py7D import _download

    real_feed = _download.Transfer.feed

    def feed(self: _download.Transfer, chunk: bytes) -> None:
        if self.offset > 1_000_000:
            raise _download._write_error(OSError(errno.ENOSPC, "No space left"), self.part)
        real_feed(self, chunk)

    monkeypatch.setattr(_download.Transfer, "feed", feed)
    with client_for(box) as client, pytest.raises(py7D.DiskFullError, match="resume"):
        client.download_track(TRACK, MP3, tmp_path / "t.mp3", access_token=token)
    assert (tmp_path / "t.mp3.part").stat().st_size > 1_000_000


def test_a_release_zip_is_kept_or_unpacked(
    box: Sandbox, token: tuple[str, str], tmp_path: Path
) -> None:
    with client_for(box) as client:
        kept = client.download_release(RELEASE, MP3, tmp_path / "r.zip", access_token=token)
        unpacked = client.download_release(
            RELEASE, MP3, tmp_path / "music", access_token=token, unpack=True
        )
        purchase = client.download_purchase(2, MP3, tmp_path / "p", access_token=token, unpack=True)
    with zipfile.ZipFile(kept.path) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
    assert names == [
        "Keane - Night Train/01 - Stop for a Minute.mp3",
        "Keane - Night Train/02 - Clear Skies.mp3",
        "Keane - Night Train/03 - Your Love.mp3",
    ]
    assert [f.relative_to(tmp_path / "music").as_posix() for f in unpacked.files] == names
    assert unpacked.path == tmp_path / "music"
    assert not list((tmp_path / "music").glob("*.zip*"))  # the zip is gone once unpacked
    assert [f.name for f in purchase.files] == ["11 - ..-..-Where Are You_ (Paris-Tokyo Mix).mp3"]


def _zip_with(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("Artist - Release/01 - fine.mp3", b"ID3 fine")
        zf.writestr(member, b"evil")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "member", ["../evil.mp3", "Artist/../../evil.mp3", "/etc/evil", "C:/evil.mp3", "..\\evil"]
)
def test_a_zip_member_escaping_the_folder_refuses_the_archive(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, member: str
) -> None:
    payload = _zip_with(member)

    def swap(reply: httpx.Response) -> httpx.Response:
        if reply.status_code != 200:
            return reply
        digest = hashlib.sha256(payload).digest()
        import base64

        headers = {
            "content-type": "application/zip",
            "content-length": str(len(payload)),
            "repr-digest": f"sha-256=:{base64.b64encode(digest).decode()}:",
        }
        return httpx.Response(200, headers=headers, content=payload)

    target = tmp_path / "into"
    swapped = client_for(box, Rewriting(box.transport(), reply=swap))
    with swapped as client, pytest.raises(py7D.UnsafeArchiveError, match="outside"):
        client.download_release(RELEASE, MP3, target, access_token=token, unpack=True)
    assert not (tmp_path / "evil.mp3").exists()
    assert not (target / "Artist - Release").exists()  # nothing at all was extracted


def test_a_track_without_release_id_is_looked_up_when_the_table_wants_one(
    box: Sandbox, token: tuple[str, str], tmp_path: Path
) -> None:
    watching = Rewriting(box.transport())
    seen: list[str] = []
    watching.on_request = lambda r: seen.append(str(r.url.path))
    with client_for(box, watching) as client:
        client.download_track(1000152, MP3, tmp_path / "t.mp3", access_token=token)
    from py7D._download import needs_release_id

    assert ("/1.2/track/details" in seen) == needs_release_id()
    assert seen[-1] == "/media/user/downloadtrack"


async def test_the_async_client_downloads_and_resumes(
    box: Sandbox, token: tuple[str, str], tmp_path: Path, reference: bytes
) -> None:
    target = tmp_path / "t.mp3"

    def stop(p: py7D.DownloadProgress) -> None:
        if p.total and p.done > p.total // 3:
            raise RuntimeError("stop")

    async with py7D.AsyncClient(
        box.consumer_key, box.consumer_secret, base_url=box.base_url, transport=box.transport()
    ) as client:
        with pytest.raises(RuntimeError):
            await client.download_track(TRACK, MP3, target, access_token=token, progress=stop)
        result = await client.download_track(TRACK, MP3, target, access_token=token)
        zipped = await client.download_release(RELEASE, MP3, tmp_path / "z.zip", access_token=token)
    assert result.resumed_from > 0
    assert result.received == len(reference) - result.resumed_from
    assert target.read_bytes() == reference
    assert zipfile.ZipFile(zipped.path).testzip() is None


async def test_the_async_client_resumes_over_the_wire(tmp_path: Path, reference: bytes) -> None:
    pytest.importorskip("uvicorn")
    from py7D.sandbox import running

    faults = Faults(rate=0.5, kinds=("truncate", "reset"), seed=14, paths=("media/user/*",))
    served = Sandbox(seeded_locker=True, faults=faults)
    served_token = served.issue_access_token("alice@example.com")
    with running(served) as url:
        async with py7D.AsyncClient(
            served.consumer_key,
            served.consumer_secret,
            base_url=url,
            retries=py7D.RetryPolicy(backoff_base=0, backoff_cap=0),
        ) as client:
            result = await client.download_track(
                TRACK, MP3, tmp_path / "t.mp3", access_token=served_token
            )
    assert served.faults is not None
    assert served.faults.total_injected >= 1
    assert result.path.read_bytes() == reference
    assert result.received == len(reference)
