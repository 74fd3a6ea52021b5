"""Every recorded 7digital reply parses exactly as ``xmltodict.parse`` parses it.

The replies live in the shared directory next to the repository (``../shared/api/recorded``);
they are read in place, never copied. Without that directory these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmltodict

from py7D._xml import XMLError, normalize, parse
from test_xml import assert_identical

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORDED = SHARED / "api" / "recorded"

pytestmark = pytest.mark.skipif(
    not RECORDED.is_dir(),
    reason=f"recorded 7digital replies not found at {RECORDED} (shared dir beside the repo)",
)


def _files(xml: bool) -> list[Path]:
    if not RECORDED.is_dir():
        return []
    return sorted(
        path
        for path in RECORDED.rglob("*")
        if path.is_file() and (path.suffix == ".xml") == xml and path.name != "INDEX.md"
    )


XML_FILES = _files(xml=True)
OTHER_FILES = _files(xml=False)


def _rel(path: Path) -> str:
    return path.relative_to(RECORDED).as_posix()


def test_recorded_dir_has_replies() -> None:
    assert len(XML_FILES) >= 70


@pytest.mark.parametrize("path", XML_FILES, ids=_rel)
def test_identical_to_xmltodict(path: Path) -> None:
    data = path.read_bytes()
    assert_identical(parse(data), xmltodict.parse(data))


@pytest.mark.parametrize("path", XML_FILES, ids=_rel)
def test_identical_to_xmltodict_from_str(path: Path) -> None:
    text = path.read_text("utf-8")
    assert_identical(parse(text), xmltodict.parse(text))


def test_error_replies_parse_like_ok_replies() -> None:
    """``status="error"`` bodies are ordinary XML here; raising is the client's job."""
    errors = [p for p in XML_FILES if parse(p.read_bytes())["response"]["@status"] == "error"]
    assert len(errors) >= 8
    for path in errors:
        data = path.read_bytes()
        tree = parse(data)
        assert_identical(tree, xmltodict.parse(data))
        assert "@code" in tree["response"]["error"]


@pytest.mark.parametrize("path", OTHER_FILES, ids=_rel)
def test_non_xml_bodies_raise(path: Path) -> None:
    with pytest.raises(XMLError) as info:
        parse(path.read_bytes())
    assert info.value.reason == "syntax"


def test_normalize_single_track() -> None:
    tracks = parse((RECORDED / "_node-client-tests/release-tracks-singletrack.xml").read_bytes())
    content = tracks["response"]["tracks"]
    assert isinstance(content["track"], dict)
    shaped = normalize(content, ["track"])
    assert shaped["track"] == [content["track"]]
    assert shaped["track"][0]["@id"] == "841267"
    assert isinstance(content["track"], dict)  # input untouched


def test_normalize_single_card_type() -> None:
    reply = parse((RECORDED / "_node-client-tests/payment-card-type.xml").read_bytes())
    content = reply["response"]["cardTypes"]
    shaped = normalize(content, ["cardType"])
    assert shaped == {"cardType": [{"@id": "MASTERCARD", "#text": "Mastercard"}]}


def test_normalize_many_card_types_is_unchanged_in_shape() -> None:
    content = parse((RECORDED / "payment/card/type/default.xml").read_bytes())["response"]
    content = content["cardTypes"]
    assert isinstance(content["cardType"], list)
    assert len(content["cardType"]) > 1
    assert normalize(content, ["cardType"]) == content


def test_normalize_locker_paths() -> None:
    reply = parse((RECORDED / "user/locker/4874230/release_1627544.xml").read_bytes())
    content = reply["response"]["locker"]
    shaped = normalize(
        content,
        [
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ],
    )
    releases = shaped["lockerReleases"]["lockerRelease"]
    assert isinstance(releases, list)
    assert len(releases) == 1
    for track in releases[0]["lockerTracks"]["lockerTrack"]:
        assert isinstance(track["downloadUrls"]["downloadUrl"], list)


def test_normalize_empty_search() -> None:
    content = parse((RECORDED / "release/search/notfound-page-1.xml").read_bytes())["response"]
    content = content["searchResults"]
    assert "searchResult" not in content
    assert normalize(content, ["searchResult"])["searchResult"] == []


@pytest.mark.parametrize(
    ("name", "count"), [("releaseid-2432.xml", 1), ("releaseid-4180960.xml", 3)]
)
def test_normalize_release_packages(name: str, count: int) -> None:
    response = parse((RECORDED / "release/details" / name).read_bytes())["response"]
    shaped = normalize(response, ["release.download.packages.package"])
    packages = shaped["release"]["download"]["packages"]["package"]
    assert isinstance(packages, list)
    assert len(packages) == count
    assert all("@id" in package for package in packages)


def _served(path: Path) -> Any:
    """The recorded body as a reply to a request for it, with the stub's HTTP status."""
    import json

    import httpx

    status = 200
    meta = path.with_name(path.stem + ".metadata.json")
    if meta.is_file():
        status = int(json.loads(meta.read_text(encoding="utf-8")).get("statusCode", 200))
    request = httpx.Request("GET", "https://api.7digital.com/1.2/" + _rel(path))
    return httpx.Response(status, content=path.read_bytes(), request=request)


@pytest.mark.parametrize("path", XML_FILES, ids=_rel)
def test_client_reads_every_recorded_reply(path: Path) -> None:
    """Through the client's reply parser: ok replies are the xmltodict tree, errors raise."""
    from py7D import APIServiceException, ResponseParseError
    from py7D._exceptions import error_class_for_code
    from py7D._reply import parse_response

    reply = _served(path)
    expected = xmltodict.parse(path.read_bytes())
    status = expected["response"].get("@status") if "response" in expected else None
    if status == "ok":
        result = parse_response(reply)
        assert_identical(result["response"], expected["response"])
        assert result["http_headers"]["status"] == str(reply.status_code)
    elif status == "error":
        raw = expected["response"]["error"]["@code"]
        code = int(raw) if raw.isdigit() else -1
        with pytest.raises(APIServiceException) as info:
            parse_response(reply)
        assert info.value.code == code
        assert type(info.value) is error_class_for_code(code)
        assert info.value.status_code == reply.status_code
        message = expected["response"]["error"].get("errorMessage") or ""
        assert info.value.message == message
        assert str(info.value).startswith(f"Error code {code}: ")
    else:  # the stub's deliberate oddities (status="unrecognised", other roots)
        with pytest.raises(ResponseParseError):
            parse_response(reply)
