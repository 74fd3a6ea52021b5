"""Stable shapes: normalize=True makes the table's repeating elements lists, and only those.

The default stays the original py7D's shape (xmltodict: a dict for one child,
a list for several), so existing code keeps working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import xmltodict

import py7D

pytestmark = pytest.mark.usefixtures("_fresh_warnings")

RECORDED = Path(__file__).resolve().parents[2] / "shared" / "api" / "recorded"

ONE_TRACK = """<response status="ok" version="1.2"><tracks>
<page>1</page><pageSize>10</pageSize><totalItems>1</totalItems>
<track id="1"><title>Only</title><version/><artist id="9"><name>A</name></artist>
<download><packages><package id="2"><description>standard</description>
<formats><format id="17"><description>MP3 320</description></format></formats>
</package></packages></download></track></tracks></response>"""

TWO_TRACKS = """<response status="ok" version="1.2"><tracks>
<page>1</page><pageSize>10</pageSize><totalItems>2</totalItems>
<track id="1"><title>One</title><version/></track>
<track id="2"><title>Two</title><version/>
<download><packages><package id="2"><formats><format id="17"/><format id="45"/></formats>
</package><package id="9"/></packages></download></track></tracks></response>"""

EMPTY_BASKET = """<response status="ok" version="1.2"><basket id="b">
<itemCount>0</itemCount><basketItems/></basket></response>"""

NO_RESULTS = """<response status="ok" version="1.2"><searchResults>
<page>1</page><pageSize>10</pageSize><totalItems>0</totalItems></searchResults></response>"""


def serving(body: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, text=body))


def call(body: str, path: str, *, client_normalize: bool = False, **kw: Any) -> py7D.Result:
    with py7D.Client(
        "key", "secret", transport=serving(body), normalize=client_normalize, environ={}
    ) as client:
        return client.request(path, **kw)


def test_default_is_exactly_xmltodict() -> None:
    for body in (ONE_TRACK, TWO_TRACKS, EMPTY_BASKET):
        path = "basket" if "basket" in body else "release/tracks"
        params = {"basketId": "b"} if path == "basket" else {"releaseId": 1}
        result = call(body, path, params=params)
        assert result["response"] == xmltodict.parse(body)["response"]


def test_one_item_reply_becomes_lists_at_every_table_path() -> None:
    result = call(ONE_TRACK, "release/tracks", releaseId=1, normalize=True)
    tracks = result.data["track"]
    assert isinstance(tracks, list)
    assert len(tracks) == 1
    package = tracks[0]["download"]["packages"]["package"]
    assert isinstance(package, list)
    assert isinstance(package[0]["formats"]["format"], list)
    # everything else untouched: dicts stay dicts, attributes and text stay
    assert tracks[0]["artist"] == {"@id": "9", "name": "A"}
    assert tracks[0]["version"] is None
    assert result.data["totalItems"] == "1"


def test_many_item_reply_keeps_its_lists_and_fixes_nested_singles() -> None:
    plain = call(TWO_TRACKS, "release/tracks", releaseId=1)
    result = call(TWO_TRACKS, "release/tracks", releaseId=1, normalize=True)
    assert [t["@id"] for t in result.data["track"]] == ["1", "2"]
    packages = result.data["track"][1]["download"]["packages"]["package"]
    assert [p["@id"] for p in packages] == ["2", "9"]
    assert packages[0]["formats"]["format"] == [{"@id": "17"}, {"@id": "45"}]
    # the single <package id="9"/> of the plain reply was a dict, not a list
    assert isinstance(plain.data["track"][1]["download"]["packages"]["package"], list)
    assert "formats" not in packages[1] or packages[1]["formats"] is None


def test_same_code_works_for_one_and_many() -> None:
    for body in (ONE_TRACK, TWO_TRACKS):
        result = call(body, "release/tracks", releaseId=1, normalize=True)
        titles = [track["title"] for track in result.data["track"]]
        assert titles


def test_empty_elements_become_none_and_missing_lists_empty() -> None:
    basket = call(EMPTY_BASKET, "basket", basketId="b", normalize=True)
    assert basket.data["basketItems"] is None
    search = call(NO_RESULTS, "artist/search", q="nothing", normalize=True)
    assert search.data["searchResult"] == []


def test_client_default_and_per_call_override() -> None:
    on = call(ONE_TRACK, "release/tracks", client_normalize=True, releaseId=1)
    assert isinstance(on.data["track"], list)
    off = call(ONE_TRACK, "release/tracks", client_normalize=True, releaseId=1, normalize=False)
    assert isinstance(off.data["track"], dict)


async def test_async_client_normalizes_too() -> None:
    async with py7D.AsyncClient("key", "secret", transport=serving(ONE_TRACK)) as client:
        result = await client.release.tracks(release_id=1, normalize=True)
    assert isinstance(result.data["track"], list)


def test_unknown_endpoint_is_left_alone() -> None:
    with pytest.warns(py7D.UnknownEndpointWarning):
        result = call(ONE_TRACK, "playlists/tracks", normalize=True)
    assert isinstance(result.data["track"], dict)


@pytest.mark.skipif(not RECORDED.is_dir(), reason="recorded replies not available")
@pytest.mark.parametrize(
    ("name", "path", "params", "list_path"),
    [
        ("release-tracks-singletrack.xml", "release/tracks", {"releaseId": 1}, "track"),
        ("payment-card-type.xml", "payment/card/type", {}, "cardType"),
        (
            "locker-single-release-and-track.xml",
            "user/locker",
            {},
            "lockerReleases.lockerRelease",
        ),
    ],
)
def test_recorded_one_item_replies(
    name: str, path: str, params: dict[str, Any], list_path: str
) -> None:
    body = (RECORDED / "_node-client-tests" / name).read_text(encoding="utf-8")
    token = py7D.Token("t", "s") if path.startswith("user/") else None
    result = call(body, path, params=params, access_token=token, normalize=True)
    node: Any = result.data
    for part in list_path.split("."):
        node = node[part]
    assert isinstance(node, list)
    assert len(node) >= 1


def test_sandbox_one_and_many(client: py7D.Client) -> None:
    one = client.artist.search(q="pink floyd", page_size=1, normalize=True)
    many = client.artist.search(q="pink", page_size=3, normalize=True)
    assert len(one.data["searchResult"]) == 1
    assert len(many.data["searchResult"]) == 3
    assert isinstance(client.artist.search(q="pink floyd", page_size=1).data["searchResult"], dict)
