"""Catalogue, territory and editorial endpoints (read-only; no lock needed)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import httpx
from oauthlib.oauth1 import Client

from ._catalogue import TAGS, Artist, ChartEntry, Release, SearchHit, Track
from ._core import ApiRequest, route
from ._errors import ApiError
from ._render import (
    ARTIST_BYURL,
    ARTIST_CHART,
    ARTIST_DETAILS,
    ARTIST_LIST,
    ARTIST_RELEASE,
    ARTIST_SEARCH,
    ARTIST_SIMILAR,
    ARTIST_TAGGED,
    CHART_TRACK,
    RELEASE_CHART,
    RELEASE_DETAILS,
    RELEASE_LIST,
    RELEASE_RECOMMENDED_FOR_ARTIST,
    RELEASE_SEARCH,
    RELEASE_TAGGED_NEW,
    RELEASE_TAGGED_TOP,
    RELEASE_TRACK,
    SEARCH_TRACK,
    TOP_TRACK,
    TRACK_DETAILS,
    Render,
    iso,
)
from ._shop import COUNTRIES, resolve_ip
from ._xml import Element, paging, sub

_T = TypeVar("_T")
_TAG_TEXT = dict(TAGS)

# Vouchers every sandbox knows: code -> (description, percent off).
VOUCHERS: dict[str, tuple[str, int]] = {
    "SANDBOX-FREE": ("Everything in the basket for free", 100),
    "SANDBOX-HALF": ("Half price on the whole basket", 50),
}


# -- shared helpers -------------------------------------------------------------
def paged(
    req: ApiRequest,
    root: str,
    items: Sequence[_T],
    build: Callable[[Element, _T], object],
    *,
    head: Callable[[Element], object] | None = None,
    max_size: int = 50,
    default_size: int = 10,
) -> Element:
    """``<root>`` with page/pageSize/totalItems, optional head elements, then one page of items."""
    page, size = req.paging(max_size=max_size, default_size=default_size)
    el = Element(root)
    paging(el, page, size, len(items))
    if head is not None:
        head(el)
    for item in items[(page - 1) * size : page * size]:
        build(el, item)
    return el


def get_artist(req: ApiRequest, name: str = "artistId") -> Artist:
    """The artist named by an id parameter (1001/1002/2001)."""
    artist = req.catalogue.artist(req.integer(name))
    if artist is None:
        raise ApiError.not_found("Artist not found")
    return artist


def get_release(req: ApiRequest, name: str = "releaseId") -> Release:
    """The release named by an id parameter (1001/1002/2001)."""
    release = req.catalogue.release(req.integer(name))
    if release is None:
        raise ApiError.not_found("Release not found")
    return release


def get_track(req: ApiRequest, name: str = "trackId") -> Track:
    """The track named by an id parameter (1001/1002/2001)."""
    track = req.catalogue.track(req.integer(name))
    if track is None:
        raise ApiError.not_found("Track not found")
    return track


def known_tags(req: ApiRequest) -> list[str]:
    """The ``tags`` parameter's known tag ids (2001 when none exist)."""
    wanted = [t.strip().lower() for t in req.require("tags").split(",") if t.strip()]
    found = [t for t in dict.fromkeys(wanted) if t in _TAG_TEXT]
    if not found:
        raise ApiError.not_found("None of the provided tag(s) exist.")
    return found


def tag_el(r: Render, parent: Element, slug: str, count: int | None = None) -> None:
    """``<tag id=..><text/><url/>[<count/>]</tag>``."""
    el = sub(parent, "tag", id=slug)
    sub(el, "text", _TAG_TEXT[slug])
    sub(el, "url", r.link(f"tags/{slug}"))
    if count is not None:
        sub(el, "count", count)


def _types(req: ApiRequest) -> str | None:
    value = req.get("type")
    if not value:
        return None
    allowed = ("album", "single", "video")
    if value.lower() not in allowed:
        raise ApiError.bad_enum("type", value, allowed)
    return value.lower()


# -- artist ---------------------------------------------------------------------
@route("artist/details", cacheable=True)
def artist_details(req: ApiRequest) -> Element:
    """``artist`` for ``artistId``."""
    root = Element("root")
    return req.render.artist(root, get_artist(req), ARTIST_DETAILS)


@route("artist/search", cacheable=True)
def artist_search(req: ApiRequest) -> Element:
    """``searchResults`` of artists matching ``q``."""
    return _search(req, "artist")


@route("artist/releases", cacheable=True)
def artist_releases(req: ApiRequest) -> Element:
    """``releases`` of an artist, newest first; ``type`` filters album|single|video."""
    artist, r = get_artist(req), req.render
    wanted = _types(req)
    releases = sorted(
        (req.catalogue.releases[i] for i in artist.release_ids),
        key=lambda rel: (rel.release_date, rel.id),
        reverse=True,
    )
    if wanted:
        releases = [rel for rel in releases if rel.type.lower() == wanted]
    return paged(req, "releases", releases, lambda el, rel: r.release(el, rel, ARTIST_RELEASE))


@route("artist/topTracks", cacheable=True)
def artist_top_tracks(req: ApiRequest) -> Element:
    """``tracks`` of an artist, most popular first."""
    artist, r = get_artist(req), req.render
    tracks = req.catalogue.top_tracks(artist)
    return paged(req, "tracks", tracks, lambda el, t: r.track(el, t, TOP_TRACK))


@route("artist/similar", cacheable=True)
def artist_similar(req: ApiRequest) -> Element:
    """``artists`` sharing tags with the artist."""
    artist, r = get_artist(req), req.render
    similar = req.catalogue.similar_artists(artist)
    return paged(req, "artists", similar, lambda el, a: r.artist(el, a, ARTIST_SIMILAR))


@route("artist/tags", cacheable=True)
def artist_tags(req: ApiRequest) -> Element:
    """``tags`` of an artist."""
    artist, r = get_artist(req), req.render
    return paged(req, "tags", artist.tags, lambda el, t: tag_el(r, el, t))


@route("artist/browse")
def artist_browse(req: ApiRequest) -> Element:
    """``artists`` whose name starts with ``letter``."""
    r = req.render
    artists = req.catalogue.browse(req.require("letter"))
    return paged(req, "artists", artists, lambda el, a: r.artist(el, a, ARTIST_LIST))


@route("artist/chart")
def artist_chart(req: ApiRequest) -> Element:
    """The artist chart."""
    r, cat = req.render, req.catalogue
    return _chart(req, "artist", lambda el, i: r.artist(el, cat.artists[i], ARTIST_CHART))


@route("artist/bytag/top")
def artist_bytag_top(req: ApiRequest) -> Element:
    """``taggedResults`` of artists with all the tags, most popular first."""
    r = req.render
    artists = req.catalogue.artists_tagged(known_tags(req))
    return paged(
        req,
        "taggedResults",
        artists,
        lambda el, a: r.artist(sub(el, "taggedItem"), a, ARTIST_TAGGED),
        head=lambda el: sub(el, "type", "artist"),
    )


@route("artist/recommend", cacheable=True)
def artist_recommend(req: ApiRequest) -> Element:
    """``recommendations``: releases by artists similar to the artist."""
    artist, r, cat = get_artist(req), req.render, req.catalogue
    items = [
        cat.releases[release_id]
        for other in cat.similar_artists(artist)[:20]
        for release_id in other.release_ids[:2]
    ]
    return paged(
        req,
        "recommendations",
        items,
        lambda el, rel: r.release(sub(el, "recommendedItem"), rel, RELEASE_RECOMMENDED_FOR_ARTIST),
    )


@route("artist/match/byId")
def artist_match(req: ApiRequest) -> Element:
    """``matches`` for MusicBrainz or 7digital artist ids."""
    return _match(req, "artist", "artists", req.catalogue.artists.get)


# -- release --------------------------------------------------------------------
@route("release/details", cacheable=True)
def release_details(req: ApiRequest) -> Element:
    """``release`` for ``releaseId`` (any unknown id, numeric or not: 2001, as 7digital says)."""
    value = req.require("releaseId")
    numeric = value.isascii() and value.isdecimal() and len(value) <= 12
    release = req.catalogue.release(int(value)) if numeric else None
    if release is None:
        raise ApiError.not_found(f"No releases found with id: {value}")
    return req.render.release(Element("root"), release, RELEASE_DETAILS)


@route("release/tracks", cacheable=True)
def release_tracks(req: ApiRequest) -> Element:
    """``tracks`` of a release in order."""
    release, r = get_release(req), req.render
    tracks = req.catalogue.tracks_of(release)
    return paged(req, "tracks", tracks, lambda el, t: r.track(el, t, RELEASE_TRACK))


@route("release/tags", cacheable=True)
def release_tags(req: ApiRequest) -> Element:
    """``tags`` of a release."""
    release, r = get_release(req), req.render
    return paged(req, "tags", release.tags, lambda el, t: tag_el(r, el, t))


@route("release/search", cacheable=True)
def release_search(req: ApiRequest) -> Element:
    """``searchResults`` of releases matching ``q``."""
    return _search(req, "release")


@route("release/chart")
def release_chart(req: ApiRequest) -> Element:
    """The album chart."""
    r, cat = req.render, req.catalogue
    return _chart(req, "release", lambda el, i: r.release(el, cat.releases[i], RELEASE_CHART))


@route("release/recommend")
def release_recommend(req: ApiRequest) -> Element:
    """``recommendations``: releases by similar artists."""
    release, r = get_release(req), req.render
    items = req.catalogue.recommended_releases(release)
    return paged(
        req,
        "recommendations",
        items,
        lambda el, rel: r.release(sub(el, "recommendedItem"), rel, RELEASE_LIST),
    )


@route("release/byDate")
def release_by_date(req: ApiRequest) -> Element:
    """``releases`` dated between ``fromDate`` and ``toDate`` (yyyyMMdd), newest first."""
    start, end = req.date("fromDate"), req.date("toDate")
    if start and end and start > end:
        raise ApiError.invalid("fromDate", req.require("fromDate"))
    r = req.render
    releases = req.catalogue.releases_between(start, end)
    return paged(req, "releases", releases, lambda el, rel: r.release(el, rel, RELEASE_LIST))


def _release_bytag(req: ApiRequest, *, newest: bool) -> Element:
    r = req.render
    releases = req.catalogue.releases_tagged(known_tags(req), newest=newest)
    profile = RELEASE_TAGGED_NEW if newest else RELEASE_TAGGED_TOP
    return paged(
        req,
        "taggedResults",
        releases,
        lambda el, rel: r.release(sub(el, "taggedItem"), rel, profile),
        head=lambda el: sub(el, "type", "release"),
    )


@route("release/bytag/new")
def release_bytag_new(req: ApiRequest) -> Element:
    """``taggedResults`` of releases with all the tags, newest first."""
    return _release_bytag(req, newest=True)


@route("release/bytag/top")
def release_bytag_top(req: ApiRequest) -> Element:
    """``taggedResults`` of releases with all the tags, most popular first."""
    return _release_bytag(req, newest=False)


@route("release/editorial")
def release_editorial(req: ApiRequest) -> Element:
    """``editorial`` review text of a release."""
    release = get_release(req)
    el = Element("editorial")
    sub(sub(el, "review"), "text", release.review)
    if release.popularity > 0.5:
        sub(sub(el, "promotionalText"), "text", f"Essential listening: {release.title}.")
    return el


@route("release/match/byId")
def release_match(req: ApiRequest) -> Element:
    """``matches`` for MusicBrainz or 7digital release ids."""
    return _match(req, "release", "releases", req.catalogue.releases.get)


@route("release/details/batch")
def release_batch(req: ApiRequest) -> Element:
    """``items`` with several releases (unknown ids are skipped, or listed with showErrors)."""
    r = req.render
    return _batch(
        req,
        "releaseIds",
        "Release",
        req.catalogue.release,
        lambda el, rel: r.release(el, rel, RELEASE_DETAILS),
    )


# -- track ------------------------------------------------------------------------
@route("track/details", cacheable=True)
def track_details(req: ApiRequest) -> Element:
    """``track`` for ``trackId``."""
    return req.render.track(Element("root"), get_track(req), TRACK_DETAILS)


@route("track/search", cacheable=True)
def track_search(req: ApiRequest) -> Element:
    """``searchResults`` of tracks matching ``q`` (title or artist name)."""
    return _search(req, "track")


@route("track/chart")
def track_chart(req: ApiRequest) -> Element:
    """The track chart."""
    r, cat = req.render, req.catalogue

    def build(el: Element, track_id: int) -> None:
        track = cat.track(track_id)
        assert track is not None
        r.track(el, track, CHART_TRACK)

    return _chart(req, "track", build)


@route("track/match/byId")
def track_match(req: ApiRequest) -> Element:
    """``matches`` for MusicBrainz or 7digital track ids."""
    return _match(req, "track", "tracks", req.catalogue.track)


@route("track/details/batch")
def track_batch(req: ApiRequest) -> Element:
    """``items`` with several tracks."""
    r = req.render
    return _batch(
        req,
        "trackIds",
        "Track",
        req.catalogue.track,
        lambda el, t: r.track(el, t, TRACK_DETAILS),
    )


@route("track/preview")
def track_preview(req: ApiRequest) -> Element | httpx.Response:
    """Redirect to a signed clip URL on this server, or ``<url>`` with ``redirect=false``."""
    track = get_track(req)
    client = Client(
        req.consumer.key,
        client_secret=req.consumer.secret,
        signature_type="QUERY",
        timestamp=str(int(req.now)),  # the sandbox's clock, which may not be the wall clock
    )
    url, _, _ = client.sign(f"{req.origin}/clip/{track.id}")
    if (req.get("redirect") or "true").lower() == "false":
        el = Element("url")
        el.text = url
        return el
    return httpx.Response(302, headers={"location": url, "content-type": "text/plain"})


# -- tags ---------------------------------------------------------------------------
@route("tag")
def tag_list(req: ApiRequest) -> Element:
    """``tags`` with usage counts, most used first."""
    r = req.render
    counts = req.catalogue.tag_counts()
    return paged(req, "tags", counts, lambda el, tc: tag_el(r, el, tc[0], tc[1]))


@route("tag/related")
def tag_related(req: ApiRequest) -> Element:
    """``tags`` used together with the given tags."""
    r = req.render
    related = req.catalogue.related_tags(known_tags(req))
    return paged(req, "tags", related, lambda el, tc: tag_el(r, el, tc[0], tc[1]))


# -- territories, status, editorial, payment ------------------------------------------
@route("status")
def status(req: ApiRequest) -> Element:
    """``serviceStatus/serverTime``."""
    el = Element("serviceStatus")
    sub(el, "serverTime", iso(dt.datetime.fromtimestamp(req.now, dt.timezone.utc)))
    return el


@route("countries")
def countries(req: ApiRequest) -> Element:
    """``countries`` with their languages."""
    el = Element("countries")
    for country in COUNTRIES.values():
        c = sub(el, "country", code=country.code)
        sub(c, "url", f"http://{country.languages[0][2]}.7digital.com")
        sub(c, "name", country.name)
        sub(c, "localName", country.local_name)
        langs = sub(c, "languages")
        for name, local, host in country.languages:
            lang = sub(langs, "language")
            sub(lang, "name", name)
            sub(lang, "localName", local)
            sub(lang, "url", f"http://{host}.7digital.com")
    return el


_TRANSLATION_KEYS = tuple(
    f"{area}.{word}"
    for area in ("basket", "checkout", "locker", "search", "account", "player")
    for word in (
        "title",
        "empty",
        "error",
        "help",
        "next",
        "previous",
        "confirm",
        "cancel",
        "loading",
        "retry",
        "close",
        "more",
        "less",
        "share",
        "download",
        "play",
    )
)


@route("translations")
def translations(req: ApiRequest) -> Element:
    """``translations`` (key, translatedText) for the shop's language; pageSize up to 5000."""
    country = COUNTRIES.get(req.shop.country)
    language = country.languages[0][0] if country else "English"

    def build(el: Element, key: str) -> None:
        t = sub(el, "translation")
        sub(t, "key", key)
        sub(t, "translatedText", f"[{language}] {key.split('.')[1].capitalize()}")

    return paged(req, "translations", _TRANSLATION_KEYS, build, max_size=5000, default_size=5000)


@route("country/resolve")
def country_resolve(req: ApiRequest) -> Element:
    """``GeoIpLookup`` for an IPv4 address."""
    ip = req.require("ipaddress")
    code = resolve_ip(ip)
    if code is None:
        raise ApiError.invalid("ipaddress", ip)
    el = Element("GeoIpLookup")
    sub(el, "ipaddress", ip)
    sub(el, "countryCode", code)
    return el


@route("country/georestrictions/checkout")
def georestrictions(req: ApiRequest) -> Element:
    """``geoRestrictions/allowCheckout``: true when the IP resolves to a shop's country."""
    ip = req.require("ipaddress")
    code = resolve_ip(ip)
    if code is None:
        raise ApiError.invalid("ipaddress", ip)
    el = Element("geoRestrictions")
    sub(el, "allowCheckout", code in COUNTRIES)
    sub(el, "countryCode", code)
    return el


_LIST_KEYS = (
    "tabAlbums",
    "home1",
    "hmv1",
    "new-albums",
    "pop-bestsellers",
    "rock-bestsellers",
    "empty",
)


@route("merchandising/list/details")
@route("editorial/list")
def editorial_list(req: ApiRequest) -> Element:
    """``list`` for a known key (``empty`` has no items; unknown keys give 2001)."""
    key = req.require("key")
    match = next((k for k in _LIST_KEYS if k.lower() == key.lower()), None)
    if match is None:
        raise ApiError.not_found(f"List not found: {key}")
    digest = int(hashlib.sha1(match.encode()).hexdigest()[:6], 16)  # noqa: S324 (ids, not security)
    el = Element("list", id=str(100 + digest % 900))
    sub(el, "key", match)
    if match != "empty":  # optional in real replies; the sandbox describes its filled lists
        sub(el, "description", f"Sandbox list {match}")
    items = sub(el, "listItems")
    if match == "empty":
        return el
    cat, r = req.catalogue, req.render
    if match == "new-albums":
        releases = cat.releases_between(None, None)[:12]
    else:
        tag = "pop" if match.startswith("pop") else "rock" if match.startswith("rock") else None
        pool = (
            cat.releases_tagged([tag], newest=False)
            if tag
            else cat.releases_tagged([], newest=False)
        )
        releases = pool[digest % 7 : digest % 7 + 12]
    for n, release in enumerate(releases):
        item = sub(items, "listItem", id=1_000_000 + digest % 1000 * 100 + n)
        sub(item, "type", "release")
        r.release(item, release, RELEASE_LIST)
    return el


@route("catalogue/artist-byurl")
def artist_by_url(req: ApiRequest) -> Element:
    """``artist@id@key`` for an artist slug."""
    artist = req.catalogue.artist_by_slug(req.require("artistSlug"))
    if artist is None:
        raise ApiError.not_found("Artist not found")
    return req.render.artist(Element("root"), artist, ARTIST_BYURL, key=artist.slug)


@route("catalogue/release-byurl")
def release_by_url(req: ApiRequest) -> Element:
    """``release@id@shopId@slug`` with ``artist@id@key`` for a release slug."""
    artist = None
    if req.get("artistSlug"):
        artist = req.catalogue.artist_by_slug(req.require("artistSlug"))
        if artist is None:
            raise ApiError.not_found("Artist not found")
    release = req.catalogue.release_by_slug(req.require("releaseSlug"), artist)
    if release is None:
        raise ApiError.not_found("Release not found")
    owner = req.catalogue.artists[release.artist_id]
    el = Element("release", id=str(release.id), shopId=str(req.shop.id), slug=release.slug)
    sub(el, "artist", id=owner.id, key=owner.slug)
    return el


@route("payment/card/type")
def card_types(req: ApiRequest) -> Element:
    """``cardTypes``."""
    el = Element("cardTypes")
    for code, name in (
        ("MAESTRO", "Maestro"),
        ("MASTERCARD", "MasterCard"),
        ("VISA", "Visa"),
        ("AMEX", "American Express"),
    ):
        sub(el, "cardType", name, id=code)
    return el


@route("payment/voucher/details")
def voucher_details(req: ApiRequest) -> Element:
    """``voucher`` for a known code (unknown codes give 2001)."""
    code = req.require("voucherCode")
    known = VOUCHERS.get(code.upper())
    if known is None:
        raise ApiError.not_found(f"Voucher not found: {code}")
    el = Element("voucher", code=code.upper())
    sub(el, "description", known[0])
    sub(el, "discountPercentage", known[1])
    sub(el, "valid", True)
    return el


# -- shared endpoint bodies -----------------------------------------------------------
def _search(req: ApiRequest, kind: str) -> Element:
    query = req.require("q")
    r, cat = req.render, req.catalogue
    hits = cat.search(kind, query)
    if kind == "release" and (wanted := _types(req)):
        hits = [h for h in hits if cat.releases[h.id].type.lower() == wanted]

    def build(el: Element, hit: SearchHit) -> None:
        result = sub(el, "searchResult")
        sub(result, "type", kind)
        sub(result, "score", hit.score)
        if kind == "artist":
            r.artist(result, cat.artists[hit.id], ARTIST_SEARCH)
        elif kind == "release":
            r.release(result, cat.releases[hit.id], RELEASE_SEARCH)
        else:
            track = cat.track(hit.id)
            assert track is not None
            r.track(result, track, SEARCH_TRACK)

    return paged(req, "searchResults", hits, build)


_PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}


def _chart(req: ApiRequest, kind: str, build: Callable[[Element, int], object]) -> Element:
    period = req.enum("period", tuple(_PERIOD_DAYS), "week")
    end = req.date("toDate")
    if end is None:
        today = dt.datetime.fromtimestamp(req.now, dt.timezone.utc).date()
        if period == "day":
            end = today - dt.timedelta(days=1)
        elif period == "week":
            end = today - dt.timedelta(days=today.isoweekday() % 7 or 7)  # last Sunday
        else:
            end = today.replace(day=1) - dt.timedelta(days=1)
    start = end - dt.timedelta(days=_PERIOD_DAYS[period] - 1)
    entries = req.catalogue.chart(kind, period, end)

    def head(el: Element) -> None:
        sub(el, "type", "album" if kind == "release" else kind)
        sub(el, "fromDate", iso(start))
        sub(el, "toDate", iso(end))

    def item(el: Element, entry: ChartEntry) -> None:
        ci = sub(el, "chartItem")
        sub(ci, "position", entry.position)
        sub(ci, "change", entry.change)
        build(ci, entry.id)

    return paged(req, "chart", entries, item, head=head)


def _match(
    req: ApiRequest, kind: str, group: str, lookup: Callable[[int], object | None]
) -> Element:
    el = Element("matches")
    cat = req.catalogue
    by_mbid = bool(req.get("mbIds"))
    for value in req.ids("mbIds" if by_mbid else "sevenDigitalIds"):
        attr = {"mbId": value} if by_mbid else {"sevenDigitalId": value}
        block = sub(el, group, **attr)
        item_id = (
            cat.from_mbid(kind, value) if by_mbid else (int(value) if value.isdecimal() else None)
        )
        if item_id is None or lookup(item_id) is None:
            sub(block, "matchError", code=2001)
            continue
        found = sub(block, kind)
        sub(found, "sevenDigitalId", item_id)
        sub(found, "mbId", cat.mbid(kind, item_id))
    return el


def _batch(
    req: ApiRequest,
    name: str,
    label: str,
    lookup: Callable[[int], _T | None],
    build: Callable[[Element, _T], object],
) -> Element:
    show_errors = (req.get("showErrors") or "").lower() == "true"
    el = Element("items")
    for value in req.ids(name):
        item = lookup(int(value)) if value.isdecimal() else None
        if item is not None:
            build(el, item)
        elif show_errors:
            err = sub(el, "error", code=2001)
            sub(err, "errorMessage", f"{label} not found: {value}")
    return el
