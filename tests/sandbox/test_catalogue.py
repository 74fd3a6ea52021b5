"""The generated catalogue and the catalogue endpoints."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from sandbox_support import content, error_code, get

from py7D.sandbox import Sandbox
from py7D.sandbox._catalogue import Catalogue


def test_build_is_deterministic_and_fast() -> None:
    start = time.process_time()
    first = Catalogue(seed=11)
    elapsed = time.process_time() - start
    second = Catalogue(seed=11)
    other = Catalogue(seed=12)
    assert elapsed < 0.5
    assert len(first.artists) == 3000
    assert 2 <= len(first.releases) / len(first.artists) <= 4
    assert 6 <= first.track_count / len(first.releases) <= 12
    assert [a.name for a in first.artists.values()] == [a.name for a in second.artists.values()]
    assert first.releases[100500].barcode == second.releases[100500].barcode
    assert first.track(1_000_500) == second.track(1_000_500)
    assert [a.name for a in first.artists.values()][7:50] != [
        a.name for a in other.artists.values()
    ][7:50]


def test_barcodes_are_valid_ean13(sandbox: Sandbox) -> None:
    cat = sandbox.catalogue
    for release in list(cat.releases.values())[:200]:
        digits = [int(c) for c in release.barcode]
        assert len(digits) == 13
        assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def test_pink_search_puts_the_real_artists_first(client: httpx.Client) -> None:
    results = content(get(client, "artist/search", q="pink", pageSize=5))
    names = [r.findtext("artist/name") for r in results.findall("searchResult")]
    assert names[:3] == ["Pink", "Pink Floyd", "Pink Martini"]
    scores = [float(r.findtext("score") or 0) for r in results.findall("searchResult")]
    assert scores == sorted(scores, reverse=True)
    assert (
        results.findtext("totalItems") == str(len(names))
        or int(results.findtext("totalItems") or 0) >= 3
    )


def test_search_is_case_and_accent_insensitive(client: httpx.Client) -> None:
    upper = content(get(client, "artist/search", q="SIGUR ROS"))
    assert upper.findtext("searchResult/artist/name") == "Sigur Rós"
    releases = content(get(client, "release/search", q="dark side moon"))
    assert releases.findtext("searchResult/release/title") == "The Dark Side of the Moon"
    tracks = content(get(client, "track/search", q="money pink floyd"))
    assert tracks.findtext("searchResult/track/title") == "Money"
    assert tracks.findtext("searchResult/type") == "track"


def test_no_results_is_ok_and_empty(client: httpx.Client) -> None:
    results = content(get(client, "release/search", q="zzqqxxnotfound"))
    assert results.findtext("totalItems") == "0"
    assert results.findall("searchResult") == []


def test_release_details_has_both_reply_generations(client: httpx.Client) -> None:
    release = content(get(client, "release/details", releaseId=100004))
    assert release.get("id") == "100004"
    assert release.findtext("title") == "The Dark Side of the Moon"
    assert release.findtext("artist/name") == "Pink Floyd"
    assert release.findtext("price/currency") == "£"
    assert release.find("price/currency").get("code") == "GBP"  # type: ignore[union-attr]
    assert release.findtext("download/packages/package/price/currencyCode") == "GBP"
    formats = [f.get("id") for f in release.findall("download/packages/package/formats/format")]
    assert "17" in formats
    assert release.findtext("image", "").endswith("_50.jpg")
    assert release.findtext("trackCount") == "10"


def test_prices_follow_the_country(client: httpx.Client) -> None:
    gb = content(get(client, "release/details", releaseId=100004))
    us = content(get(client, "release/details", releaseId=100004, country="US"))
    fr = content(get(client, "release/details", releaseId=100004, country="fr"))
    assert us.find("price/currency").get("code") == "USD"  # type: ignore[union-attr]
    assert fr.findtext("price/formattedPrice", "").endswith("€")
    assert float(us.findtext("price/value") or 0) > float(gb.findtext("price/value") or 0)
    unknown = get(client, "release/details", releaseId=100004, country="XX")
    assert (unknown.status_code, error_code(unknown)) == (403, 2002)


def test_image_size_changes_the_suffix(client: httpx.Client) -> None:
    artist = content(get(client, "artist/details", artistId=2, imageSize=350))
    assert artist.findtext("image", "").endswith("0000000002_350.jpg")
    assert "/artistimages/00/000/000/" in artist.findtext("image", "")


def test_xml_escaping_of_names(client: httpx.Client) -> None:
    response = get(client, "artist/details", artistId=6)
    assert b"Simon &amp; Garfunkel" in response.content
    assert content(response).findtext("name") == "Simon & Garfunkel"
    bjork = get(client, "artist/details", artistId=7)
    assert "Björk".encode() in bjork.content


@pytest.mark.parametrize(
    ("path", "params", "root", "item"),
    [
        ("artist/releases", {"artistId": 2}, "releases", "release"),
        ("artist/topTracks", {"artistId": 2}, "tracks", "track"),
        ("artist/similar", {"artistId": 2}, "artists", "artist"),
        ("artist/tags", {"artistId": 2}, "tags", "tag"),
        ("artist/browse", {"letter": "p"}, "artists", "artist"),
        ("artist/chart", {}, "chart", "chartItem"),
        ("artist/bytag/top", {"tags": "rock"}, "taggedResults", "taggedItem"),
        ("release/tracks", {"releaseId": 100004}, "tracks", "track"),
        ("release/tags", {"releaseId": 100004}, "tags", "tag"),
        ("release/chart", {"period": "month"}, "chart", "chartItem"),
        ("release/recommend", {"releaseId": 100004}, "recommendations", "recommendedItem"),
        ("release/byDate", {"fromDate": "19700101", "toDate": "19791231"}, "releases", "release"),
        ("release/bytag/new", {"tags": "rock,1970s"}, "taggedResults", "taggedItem"),
        ("release/bytag/top", {"tags": "jazz"}, "taggedResults", "taggedItem"),
        ("track/chart", {"period": "day"}, "chart", "chartItem"),
        ("tag", {}, "tags", "tag"),
        ("tag/related", {"tags": "rock"}, "tags", "tag"),
        ("translations", {"pageSize": 20}, "translations", "translation"),
    ],
)
def test_paged_lists(
    client: httpx.Client, path: str, params: dict[str, object], root: str, item: str
) -> None:
    el = content(get(client, path, **params))
    assert el.tag == root
    assert [c.tag for c in el[:3]] == ["page", "pageSize", "totalItems"]
    total = int(el.findtext("totalItems") or 0)
    size = int(el.findtext("pageSize") or 0)
    assert total > 0
    assert len(el.findall(item)) == min(size, total)


def test_tagged_results_are_filtered(client: httpx.Client) -> None:
    el = content(get(client, "release/bytag/new", tags="rock,1970s", pageSize=50))
    assert el.findtext("type") == "release"
    years = [int(r.findtext("year") or 0) for r in el.findall("taggedItem/release")]
    assert years
    assert all(1970 <= y <= 1979 for y in years)
    assert years == sorted(years, reverse=True)
    unknown = get(client, "artist/bytag/top", tags="horror")
    assert (unknown.status_code, error_code(unknown)) == (404, 2001)
    assert "None of the provided tag(s) exist." in unknown.text


def test_chart_has_dates_positions_and_changes(client: httpx.Client) -> None:
    chart = content(get(client, "track/chart", period="week", toDate="20240107"))
    assert chart.findtext("type") == "track"
    assert chart.findtext("fromDate") == "2024-01-01T00:00:00Z"
    assert chart.findtext("toDate") == "2024-01-07T00:00:00Z"
    positions = [int(c.findtext("position") or 0) for c in chart.findall("chartItem")]
    assert positions == list(range(1, 11))
    assert {c.findtext("change") for c in chart.findall("chartItem")} <= {
        "Up",
        "Down",
        "Same",
        "New",
    }
    again = content(get(client, "track/chart", period="week", toDate="20240107"))
    assert [c.get("id") for c in again.iter("track")] == [c.get("id") for c in chart.iter("track")]
    album = content(get(client, "release/chart"))
    assert album.findtext("type") == "album"
    bad = get(client, "release/chart", period="year")
    assert (bad.status_code, error_code(bad)) == (400, 1006)


def test_release_by_date_and_editorial(client: httpx.Client) -> None:
    el = content(get(client, "release/byDate", fromDate="20000101", toDate="20001231"))
    assert all(r.findtext("year") == "2000" for r in el.findall("release"))
    bad = get(client, "release/byDate", fromDate="2000-01-01")
    assert (bad.status_code, error_code(bad)) == (400, 1002)
    editorial = get(client, "release/editorial", releaseId=100004)
    assert ET.fromstring(editorial.content).get("version") == "1.0"
    assert content(editorial).findtext("review/text")


def test_track_preview_redirects_to_a_signed_clip(client: httpx.Client) -> None:
    redirect = get(client, "track/preview", trackId=1000030)
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert location.startswith("http://sandbox.7digital.test/clip/1000030?")
    assert "oauth_signature=" in location
    clip = client.get(location)
    assert clip.status_code == 200
    assert clip.headers["content-type"] == "audio/mpeg"
    as_xml = content(get(client, "track/preview", trackId=1000030, redirect="false"))
    assert as_xml.tag == "url"
    assert (as_xml.text or "").startswith("http://sandbox.7digital.test/clip/1000030?")


def test_batch_details(client: httpx.Client) -> None:
    items = content(get(client, "release/details/batch", releaseIds="100004,100005,99"))
    assert [r.get("id") for r in items.findall("release")] == ["100004", "100005"]
    shown = content(get(client, "track/details/batch", trackIds="1000030,5", showErrors="true"))
    assert [t.get("id") for t in shown.findall("track")] == ["1000030"]
    assert shown.find("error").get("code") == "2001"  # type: ignore[union-attr]


def test_territories_and_editorial_lists(client: httpx.Client) -> None:
    countries = content(get(client, "countries"))
    codes = [c.get("code") for c in countries.findall("country")]
    assert {"GB", "US", "FR", "DE"} <= set(codes)
    geo = content(get(client, "country/resolve", ipaddress="62.64.31.123"))
    assert (geo.findtext("ipaddress"), geo.findtext("countryCode")) == ("62.64.31.123", "GB")
    bad_ip = get(client, "country/resolve", ipaddress="nope")
    assert error_code(bad_ip) == 1002
    checkout = content(get(client, "country/georestrictions/checkout", ipaddress="8.8.8.8"))
    assert checkout.findtext("allowCheckout") in ("true", "false")
    listing = content(get(client, "editorial/list", key="tabAlbums"))
    assert listing.findtext("key") == "tabAlbums"
    assert len(listing.findall("listItems/listItem")) == 12
    empty = content(get(client, "editorial/list", key="empty"))
    items = empty.find("listItems")
    assert items is not None
    assert len(items) == 0
    assert error_code(get(client, "editorial/list", key="nope")) == 2001


def test_catalogue_by_url(client: httpx.Client) -> None:
    artist = content(get(client, "catalogue/artist-byurl", artistSlug="pink-floyd"))
    assert (artist.get("id"), artist.get("key")) == ("2", "pink-floyd")
    assert artist.findtext("sortname") == "Pink Floyd"
    release = content(
        get(
            client,
            "catalogue/release-byurl",
            artistSlug="pink-floyd",
            releaseSlug="the-dark-side-of-the-moon",
        )
    )
    assert release.get("id") == "100004"
    assert release.find("artist").get("key") == "pink-floyd"  # type: ignore[union-attr]
    missing = get(client, "catalogue/artist-byurl", artistSlug="mumbojumbo")
    assert (missing.status_code, error_code(missing)) == (404, 2001)
    assert "Artist not found" in missing.text


def test_status_and_card_types(client: httpx.Client, sandbox: Sandbox) -> None:
    status = content(get(client, "status"))
    assert status.findtext("serverTime") == "2023-11-14T22:13:20Z"
    types = content(get(client, "payment/card/type"))
    assert [t.get("id") for t in types.findall("cardType")] == [
        "MAESTRO",
        "MASTERCARD",
        "VISA",
        "AMEX",
    ]


def test_usage_types_select_licence_blocks(client: httpx.Client) -> None:
    streaming = content(
        get(client, "release/details", releaseId=100004, usageTypes="subscriptionstreaming")
    )
    assert streaming.find("download") is None
    release_date = streaming.findtext("streamingReleaseDate")
    assert streaming.findtext("subscriptionStreaming/releaseDate") == release_date
    both = content(
        get(client, "track/details", trackId=1000030, usageTypes="download,adsupportedstreaming")
    )
    assert both.find("download/packages") is not None
    assert both.find("adSupportedStreaming/releaseDate") is not None
    assert both.find("subscriptionStreaming") is None


def test_partner_links(client: httpx.Client) -> None:
    artist = content(get(client, "artist/similar", artistId=2, affiliatePartner=712, pageSize=1))
    assert (artist.findtext("artist/url") or "").endswith("/?partner=712")


def test_sandbox_exposes_its_consumer_but_not_in_the_repr() -> None:
    from py7D.sandbox import Sandbox

    box = Sandbox(consumer_key="k1", consumer_secret="s3cr3t")
    assert (box.consumer_key, box.consumer_secret) == ("k1", "s3cr3t")
    assert "s3cr3t" not in repr(box)
    assert "k1" in repr(box)


def test_a_kept_catalogue_reads_back_equal_to_the_built_one(tmp_path) -> None:
    import datetime as dt

    from py7D.sandbox._core import _cached_catalogue

    built = Catalogue(seed=5, artists=200)
    built.search("track", "love")  # fills a cache that the kept file leaves out
    first = _cached_catalogue(tmp_path, 5, 200)  # builds (its own) and writes the file
    (kept,) = tmp_path.glob("sandbox-catalogue-5-200-*.pickle")
    again = _cached_catalogue(tmp_path, 5, 200)  # reads the file back
    assert again is not first
    assert again.artists == built.artists
    assert again.releases == built.releases
    assert again.track(1_000_123) == built.track(1_000_123)
    for kind, query in (("artist", "pink"), ("release", "love"), ("track", "night")):
        assert again.search(kind, query) == built.search(kind, query)
    day = dt.date(2024, 5, 3)
    assert again.chart("release", "week", day) == built.chart("release", "week", day)
    assert kept.stat().st_size > 0
