"""The sandbox's locker downloads: realistic sizes, ranges, validators, zips, refusals, faults."""

from __future__ import annotations

import base64
import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping

import httpx
import pytest
from sandbox_support import ALICE, BOB, Clock, Signer, access_token

from py7D.sandbox import Faults, Sandbox
from py7D.sandbox._catalogue import Catalogue
from py7D.sandbox._media_download import bytes_per_second, track_file

ORIGIN = "http://sandbox.7digital.test"


@pytest.fixture
def owned(clock: Clock) -> Sandbox:
    return Sandbox(clock=clock, seeded_locker=True)


def get(
    sandbox: Sandbox,
    signer: Signer,
    path: str,
    params: Mapping[str, object],
    *,
    user: str = ALICE,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
) -> httpx.Response:
    request = signer.request(
        method,
        "",
        params,
        url=f"{ORIGIN}/{path}",
        place="query",
        token=access_token(sandbox, user),
        headers=headers,
    )
    response = sandbox.handle(request)
    response.read()
    return response


def test_a_track_file_has_a_realistic_size_and_the_format_s_magic(
    owned: Sandbox, signer: Signer
) -> None:
    track = owned.catalogue.track(1000140)
    assert track is not None
    mp3 = get(owned, signer, "media/user/downloadtrack", {"trackId": 1000140, "formatId": 17})
    assert mp3.status_code == 200
    assert len(mp3.content) == int(mp3.headers["content-length"]) == track.duration * 40_000
    assert len(mp3.content) > 5_000_000  # MB, not KB
    assert mp3.content.startswith(b"ID3")
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert mp3.headers["accept-ranges"] == "bytes"
    digest = base64.b64encode(hashlib.sha256(mp3.content).digest()).decode()
    assert mp3.headers["repr-digest"] == f"sha-256=:{digest}:"
    aac = get(owned, signer, "media/user/downloadtrack", {"trackId": 1000140, "formatId": 33})
    assert aac.content[4:8] == b"ftyp"
    assert bytes_per_second(45) > 2 * bytes_per_second(17)  # FLAC is bigger


def test_content_is_deterministic_and_not_periodic() -> None:
    track = Catalogue().track(1000024)
    assert track is not None
    file = track_file(track, 17)
    again = track_file(track, 17)
    assert file.read(0, 300_000) == again.read(0, 300_000)
    assert file.etag == again.etag
    # No power-of-two shift repeats it, so a resume at a wrong offset would show.
    for shift in (16384, 65536, 1 << 20):
        assert file.read(10_000, 20_000) != file.read(10_000 + shift, 20_000 + shift)
    # Any range equals the same slice of the whole.
    whole = file.read(0, 1_000_000)
    assert file.read(123_457, 765_432) == whole[123_457:765_432]
    assert b"".join(file.chunks(5, 999_999, 70_001)) == whole[5:999_999]


def test_range_and_if_range(owned: Sandbox, signer: Signer) -> None:
    params = {"trackId": 1000152, "formatId": 17}
    whole = get(owned, signer, "media/user/downloadtrack", params)
    size = len(whole.content)
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    part = get(owned, signer, "media/user/downloadtrack", params, headers={"Range": "bytes=1000-"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-{size - 1}/{size}"
    assert part.content == whole.content[1000:]
    kept = get(
        owned,
        signer,
        "media/user/downloadtrack",
        params,
        headers={"Range": "bytes=10-19", "If-Range": etag},
    )
    assert (kept.status_code, kept.content) == (206, whole.content[10:20])
    by_date = get(
        owned,
        signer,
        "media/user/downloadtrack",
        params,
        headers={"Range": "bytes=10-19", "If-Range": modified},
    )
    assert by_date.status_code == 206
    changed = get(
        owned,
        signer,
        "media/user/downloadtrack",
        params,
        headers={"Range": "bytes=10-19", "If-Range": '"some-other-version"'},
    )
    assert changed.status_code == 200
    assert changed.content == whole.content
    beyond = get(
        owned, signer, "media/user/downloadtrack", params, headers={"Range": f"bytes={size}-"}
    )
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    head = get(owned, signer, "media/user/downloadtrack", params, method="HEAD")
    assert (head.status_code, head.content, head.headers["content-length"]) == (
        200,
        b"",
        str(size),
    )


def test_releases_and_purchases_come_as_valid_zips(owned: Sandbox, signer: Signer) -> None:
    release = get(
        owned, signer, "media/user/download/release", {"releaseId": 100003, "formatId": 17}
    )
    assert release.headers["content-type"] == "application/zip"
    assert "Keane - Night Train.zip" in release.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(release.content)) as zf:
        assert zf.testzip() is None  # every member's CRC is right
        assert zf.namelist() == [
            "Keane - Night Train/01 - Stop for a Minute.mp3",
            "Keane - Night Train/02 - Clear Skies.mp3",
            "Keane - Night Train/03 - Your Love.mp3",
        ]
        track = owned.catalogue.track(1000025)
        assert track is not None
        assert zf.read("Keane - Night Train/02 - Clear Skies.mp3") == track_file(track, 17).read(
            0, track.duration * 40_000
        )
    middle = get(
        owned,
        signer,
        "media/user/download/release",
        {"releaseId": 100003, "formatId": 17},
        headers={"Range": "bytes=5000000-5000099"},
    )
    assert middle.content == release.content[5_000_000:5_000_100]
    purchase = get(owned, signer, "media/user/download/purchase", {"purchaseId": 2, "formatId": 17})
    with zipfile.ZipFile(io.BytesIO(purchase.content)) as zf:
        # The title holds "../" and "/": the server's own zip names keep no separator.
        assert zf.namelist() == [
            "Pink Martini - Hang On Little Tomato/11 - ..-..-Where Are You? (Paris-Tokyo Mix).mp3"
        ]


def test_the_seeded_locker_lists_the_downloads(owned: Sandbox, signer: Signer) -> None:
    reply = owned.handle(signer.request("GET", "user/locker", token=access_token(owned, ALICE)))
    root = ET.fromstring(reply.content)
    titles = [t.text for t in root.iter("title")]
    assert "../../Where Are You? (Paris/Tokyo Mix)" in titles
    assert root.findtext(".//lockerReleases/totalItems") == "3"
    assert owned.purchases == []  # nothing was charged for them
    empty = Sandbox(clock=owned.clock)
    reply = empty.handle(signer.request("GET", "user/locker", token=access_token(empty, ALICE)))
    assert ET.fromstring(reply.content).findtext(".//lockerReleases/totalItems") == "0"


def test_refusals(owned: Sandbox, signer: Signer) -> None:
    not_owned = get(owned, signer, "media/user/downloadtrack", {"trackId": 1000030, "formatId": 17})
    assert not_owned.status_code == 403
    assert b'<error code="2002"><errorMessage>Track 1000030 is not in the user' in not_owned.content
    bob = get(
        owned, signer, "media/user/downloadtrack", {"trackId": 1000140, "formatId": 17}, user=BOB
    )
    assert bob.status_code == 403
    flac = get(owned, signer, "media/user/downloadtrack", {"trackId": 1000140, "formatId": 45})
    assert flac.status_code == 404
    assert b"Format 45 is not available for track 1000140" in flac.content
    bogus = get(owned, signer, "media/user/downloadtrack", {"trackId": 1000140, "formatId": 999})
    assert bogus.status_code == 400
    wrong_release = get(
        owned,
        signer,
        "media/user/downloadtrack",
        {"trackId": 1000140, "formatId": 17, "releaseId": 100003},
    )
    assert wrong_release.status_code == 404
    someone_else = get(owned, signer, "media/user/download/purchase", {"purchaseId": 1}, user=BOB)
    assert someone_else.status_code == 403
    unknown = get(owned, signer, "media/user/download/purchase", {"purchaseId": 999})
    assert unknown.status_code == 404
    unsigned = owned.handle(
        httpx.Request(
            "GET",
            f"{ORIGIN}/media/user/downloadtrack?trackId=1000140&oauth_consumer_key=sandbox-key",
        )
    )
    assert unsigned.status_code == 401


def _collect(response: httpx.Response, into: bytearray) -> list[bytes]:
    for chunk in response.iter_raw():
        into += chunk
    return []


def test_truncate_drops_a_streamed_download_part_way_in_process(clock: Clock) -> None:
    faults = Faults(rate=1.0, kinds=("truncate",), seed=1, paths=("media/user/*",))
    box = Sandbox(clock=clock, seeded_locker=True, faults=faults)
    token = box.issue_access_token(ALICE)
    signer = Signer(clock)
    request = signer.request(
        "GET",
        "",
        {"trackId": 1000140, "formatId": 17},
        url=f"{ORIGIN}/media/user/downloadtrack",
        place="query",
        token=token,
    )
    got = bytearray()
    with httpx.Client(transport=box.transport()) as http:
        response = http.send(request, stream=True)
        with pytest.raises(httpx.RemoteProtocolError):
            got.extend(b"".join(_collect(response, got)))
    declared = int(response.headers["content-length"])
    assert 0 < len(got) < declared  # part of the body came, then the connection "dropped"


def test_a_served_download_streams_and_faults_cut_it_part_way() -> None:
    pytest.importorskip("uvicorn")
    from py7D.sandbox import running

    faults = Faults(rate=1.0, kinds=("reset",), seed=5, paths=("media/user/*",), after_share=1.0)
    box = Sandbox(seeded_locker=True, faults=faults)
    token = box.issue_access_token(ALICE)
    with running(box) as url:
        origin = url.rsplit("/1.2", 1)[0]
        signer = Signer(Clock(__import__("time").time()))
        request = signer.request(
            "GET",
            "",
            {"trackId": 1000152, "formatId": 17},
            url=f"{origin}/media/user/downloadtrack",
            place="query",
            token=token,
        )
        got = bytearray()
        with httpx.Client() as http:
            response = http.send(request, stream=True)
            with pytest.raises(httpx.TransportError):
                got.extend(b"".join(_collect(response, got)))
        declared = int(response.headers["content-length"])
        assert 0 < len(got) < declared
