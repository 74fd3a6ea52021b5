"""Builders for artist, release, track, price and locker elements.

Each entity is written from a *profile*: the ordered child elements that one
endpoint's recorded replies show. A profile item is a field name, or
``(field, nested profile)`` for the nested ``artist``/``release``. Keeping the
profiles as data (at the bottom of this module) is what lets the shape tests
compare every endpoint with its recorded replies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from .._endpoints import PARAMS
from ._catalogue import (
    FORMATS,
    LABEL_NAMES,
    LICENSOR_NAMES,
    PACKAGES,
    Artist,
    Catalogue,
    Release,
    Track,
)
from ._shop import Currency, Shop
from ._xml import Element, nil, paging, sub

__all__ = ["Profile", "Render"]

Profile = tuple[str | tuple[str, "Profile"], ...]
_E = TypeVar("_E", Artist, Release, Track)

CDN = "http://artwork-cdn.7static.com/static/img"
WEB = "http://www.7digital.com"
USAGE_TYPES = PARAMS["usageTypes"].choices


def iso(day: dt.date | dt.datetime) -> str:
    """``2010-05-10T00:00:00Z`` (dates) or the UTC time of a datetime."""
    if isinstance(day, dt.datetime):
        return day.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{day.isoformat()}T00:00:00Z"


def image_path(kind: str, item_id: int, size: int) -> str:
    """``…/sleeveart/00/003/208/0000320866_50.jpg`` style artwork URL."""
    digits = f"{item_id:010d}"
    return f"{CDN}/{kind}/{digits[:2]}/{digits[2:5]}/{digits[5:8]}/{digits}_{size}.jpg"


def price_block(
    parent: Element, cur: Currency, value: float, rrp: float, *, on_sale: bool | None = None
) -> None:
    """``price`` with currency, value, formattedPrice, rrp, formattedRrp (and ``onSale``)."""
    el = sub(parent, "price")
    sub(el, "currency", cur.symbol, code=cur.code)
    sub(el, "value", f"{value:.2f}")
    sub(el, "formattedPrice", cur.format(value))
    sub(el, "rrp", f"{rrp:.2f}")
    sub(el, "formattedRrp", cur.format(rrp))
    if on_sale is not None:
        sub(el, "onSale", on_sale)


@dataclass(frozen=True)
class Render:
    """What a reply is rendered for: catalogue, shop, image size, licence blocks, origin."""

    cat: Catalogue
    shop: Shop
    image_size: int | None = None
    usage_types: tuple[str, ...] = ("download",)
    origin: str = ""
    partner: str | None = None

    # -- small pieces ---------------------------------------------------------
    def link(self, path: str) -> str:
        """A 7digital.com web link, with ``?partner=`` when the request named one."""
        query = f"?partner={self.partner}" if self.partner else ""
        return f"{WEB}/{path}/{query}"

    def price(self, parent: Element, gbp: float, gbp_rrp: float) -> None:
        """The flat (older) price block of a catalogue item, in the shop's currency."""
        cur = self.shop.currency
        value, rrp = cur.convert(gbp), cur.convert(gbp_rrp)
        price_block(parent, cur, value, rrp, on_sale=value < rrp)

    def packages(
        self,
        parent: Element,
        packages: Sequence[int],
        gbp: float,
        gbp_rrp: float,
        *,
        per_track: bool = False,
        bare_format: bool = False,
        wrapped: bool = True,
    ) -> None:
        """``packages/package@id`` with price and formats (newer layout).

        ``bare_format`` adds the first format as ``package/format`` (track details);
        ``wrapped=False`` leaves out the ``formats`` wrapper (artist/recommend).
        """
        cur = self.shop.currency
        el = sub(parent, "packages")
        for package_id in packages:
            description, formats, uplift = PACKAGES[package_id]
            extra = uplift / 4 if per_track else uplift
            pkg = sub(el, "package", id=package_id)
            sub(pkg, "description", description)
            price = sub(pkg, "price")
            sub(price, "currencyCode", cur.code)
            sub(price, "sevendigitalPrice", f"{cur.convert(gbp + extra):.2f}")
            sub(price, "recommendedRetailPrice", f"{cur.convert(gbp_rrp + extra):.2f}")
            if bare_format:
                sub(sub(pkg, "format", id=formats[0]), "description", FORMATS[formats[0]][0])
            if not wrapped:
                continue
            fmts = sub(pkg, "formats")
            for format_id in formats:
                sub(sub(fmts, "format", id=format_id), "description", FORMATS[format_id][0])

    def legacy_formats(
        self, parent: Element, packages: Sequence[int], *, search: bool = False
    ) -> None:
        """The older ``formats`` block (``availableDrmFree``; search replies add ``priority``)."""
        ids = PACKAGES[2][1] if 2 in packages else ()
        el = sub(parent, "formats") if search else sub(parent, "formats", availableDrmFree=True)
        for priority, format_id in enumerate(ids, 11):
            _, file_format, bitrate = FORMATS[format_id]
            if search:
                fmt = sub(el, "format", priority=priority, id=format_id)
                sub(fmt, "fileFormat", file_format.lower())
                sub(fmt, "bitRate", bitrate)
            else:
                fmt = sub(el, "format", id=format_id)
                sub(fmt, "fileFormat", file_format)
                sub(fmt, "bitRate", bitrate)
                sub(fmt, "drmFree", True)

    def streaming(self, parent: Element, day: dt.date | None) -> None:
        """Licence blocks for streaming usage types, when asked for (and licensed)."""
        if day is None:
            return
        if "subscriptionstreaming" in self.usage_types:
            sub(sub(parent, "subscriptionStreaming"), "releaseDate", iso(day))
        if "adsupportedstreaming" in self.usage_types:
            sub(sub(parent, "adSupportedStreaming"), "releaseDate", iso(day))

    # -- entities -------------------------------------------------------------
    def artist(
        self,
        parent: Element,
        artist: Artist,
        profile: Profile,
        *,
        tag: str = "artist",
        **attrs: object,
    ) -> Element:
        """An ``artist`` element with the fields of ``profile``."""
        return self._entity(parent, tag, artist, profile, _ARTIST_FIELDS, **attrs)

    def release(
        self, parent: Element, release: Release, profile: Profile, **attrs: object
    ) -> Element:
        """A ``release`` element with the fields of ``profile``."""
        return self._entity(parent, "release", release, profile, _RELEASE_FIELDS, **attrs)

    def track(self, parent: Element, track: Track, profile: Profile) -> Element:
        """A ``track`` element with the fields of ``profile``."""
        return self._entity(parent, "track", track, profile, _TRACK_FIELDS)

    def _entity(
        self,
        parent: Element,
        tag: str,
        item: _E,
        profile: Profile,
        fields: dict[str, Callable[[Render, Element, _E, Profile], object]],
        **attrs: object,
    ) -> Element:
        el = sub(parent, tag, id=item.id, **attrs)
        for entry in profile:
            name, nested = entry if isinstance(entry, tuple) else (entry, ())
            fields[name](self, el, item, nested)
        return el

    # -- locker -------------------------------------------------------------
    def locker_releases(
        self,
        parent: Element,
        groups: Iterable[tuple[Release, list[LockerLine]]],
        *,
        page: int,
        page_size: int,
        total: int,
        purchase: bool = False,
    ) -> None:
        """``lockerReleases`` with paging and one ``lockerRelease`` per release."""
        el = sub(parent, "lockerReleases")
        paging(el, page, page_size, total)
        release_profile = PURCHASE_RELEASE if purchase else LOCKER_RELEASE
        track_profile = PURCHASE_TRACK if purchase else LOCKER_TRACK
        for release, lines in groups:
            lr = sub(el, "lockerRelease")
            self.release(lr, release, release_profile)
            tracks = sub(lr, "lockerTracks")
            for line in lines:
                lt = sub(tracks, "lockerTrack")
                self.track(lt, line.track, track_profile)
                sub(lt, "remainingDownloads", line.remaining_downloads)
                if not purchase:
                    sub(lt, "purchaseId", line.purchase_id)
                sub(lt, "purchaseDate", iso(line.purchase_date))
                if not purchase:
                    sub(lt, "completeAlbumPurchase", line.complete_album)
                self._download_urls(lt, release, line.track, purchase=purchase)
            if not purchase:
                sub(lr, "available", True)

    def _download_urls(
        self, parent: Element, release: Release, track: Track, *, purchase: bool
    ) -> None:
        urls = sub(parent, "downloadUrls")
        for format_id in PACKAGES[2][1]:
            query = urlencode(
                {
                    "formatid": format_id,
                    "releaseid": release.id,
                    "shopid": self.shop.id,
                    "trackid": track.id,
                }
            )
            url = f"{self.origin}/media/user/downloadtrack?{query}"
            description, file_format, bitrate = FORMATS[format_id]
            du = sub(urls, "downloadUrl")
            if purchase:
                sub(du, "url", url)
                fmt = sub(du, "format", id=format_id)
                sub(fmt, "fileFormat", file_format)
                sub(fmt, "bitRate", bitrate)
                sub(fmt, "drmFree", True)
            else:
                # Current replies nest url and description in format; older ones put
                # url beside format and describe the file in it. Both are sent.
                sub(du, "url", url)
                fmt = sub(du, "format", id=format_id)
                sub(fmt, "url", url)
                sub(fmt, "description", description)
                sub(fmt, "fileFormat", file_format)
                sub(fmt, "bitRate", bitrate)
                sub(fmt, "drmFree", True)


@dataclass(frozen=True)
class LockerLine:
    """One track in a user's locker, with its purchase."""

    track: Track
    purchase_id: int
    purchase_date: dt.datetime
    complete_album: bool
    remaining_downloads: int = 5


# -- field tables ---------------------------------------------------------------
def _artist_image(r: Render, el: Element, a: Artist, _: Profile) -> None:
    sub(el, "image", image_path("artistimages", a.id, r.image_size or 150))


_ARTIST_FIELDS: dict[str, Callable[[Render, Element, Artist, Profile], object]] = {
    "name": lambda r, el, a, _: sub(el, "name", a.name),
    "sortName": lambda r, el, a, _: sub(el, "sortName", a.sort_name),
    "sortname": lambda r, el, a, _: sub(el, "sortname", a.sort_name),
    "appearsAs": lambda r, el, a, _: sub(el, "appearsAs", a.appears_as or a.name),
    "slug": lambda r, el, a, _: sub(el, "slug", a.slug),
    "url": lambda r, el, a, _: sub(el, "url", r.link(f"artist/{a.slug}")),
    "image": _artist_image,
    "popularity": lambda r, el, a, _: sub(el, "popularity", a.popularity),
    "bio": lambda r, el, a, _: sub(sub(el, "bio"), "text", a.bio),
}


def _release_artist(r: Render, el: Element, rel: Release, nested: Profile) -> None:
    r.artist(el, r.cat.artists[rel.artist_id], nested or NESTED_ARTIST)


def _release_download(
    r: Render,
    el: Element,
    rel: Release,
    _: Profile,
    *,
    packages_first: bool = False,
    wrapped: bool = True,
) -> None:
    if "download" in r.usage_types:
        dl = sub(el, "download")
        if not packages_first:
            sub(dl, "releaseDate", iso(rel.release_date))
        r.packages(dl, rel.packages, rel.price, rel.rrp, bare_format=not wrapped, wrapped=wrapped)
        if packages_first:
            sub(dl, "releaseDate", iso(rel.release_date))
    r.streaming(el, rel.streaming_date)


def _release_label(r: Render, el: Element, rel: Release, _: Profile) -> None:
    sub(sub(el, "label", id=rel.label_id), "name", LABEL_NAMES[rel.label_id])


def _release_licensor(r: Render, el: Element, rel: Release, _: Profile) -> None:
    sub(sub(el, "licensor", id=rel.licensor_id), "name", LICENSOR_NAMES[rel.licensor_id])


def _streaming_date(el: Element, rel: Release) -> None:
    if rel.streaming_date is None:
        nil(el, "streamingReleaseDate")
    else:
        sub(el, "streamingReleaseDate", iso(rel.streaming_date))


def _release_url(r: Render, el: Element, rel: Release, _: Profile) -> None:
    artist = r.cat.artists[rel.artist_id]
    sub(el, "url", r.link(f"artist/{artist.slug}/release/{rel.slug}"))


_RELEASE_FIELDS: dict[str, Callable[[Render, Element, Release, Profile], object]] = {
    "title": lambda r, el, rel, _: sub(el, "title", rel.title),
    "version": lambda r, el, rel, _: sub(el, "version", rel.version or None),
    "type": lambda r, el, rel, _: sub(el, "type", rel.type),
    "barcode": lambda r, el, rel, _: sub(el, "barcode", rel.barcode),
    "year": lambda r, el, rel, _: sub(el, "year", rel.year),
    "explicitContent": lambda r, el, rel, _: sub(el, "explicitContent", rel.explicit),
    "artist": _release_artist,
    "slug": lambda r, el, rel, _: sub(el, "slug", rel.slug),
    "url": _release_url,
    "image": lambda r, el, rel, _: sub(
        el, "image", image_path("sleeveart", rel.id, r.image_size or 50)
    ),
    "releaseDate": lambda r, el, rel, _: sub(el, "releaseDate", iso(rel.release_date)),
    "addedDate": lambda r, el, rel, _: sub(el, "addedDate", iso(rel.added_date)),
    "price": lambda r, el, rel, _: r.price(el, rel.price, rel.rrp),
    "formats": lambda r, el, rel, _: r.legacy_formats(el, rel.packages),
    "label": _release_label,
    "licensor": _release_licensor,
    "licensorId": lambda r, el, rel, _: sub(el, "licensor", id=rel.licensor_id),
    "popularity": lambda r, el, rel, _: sub(el, "popularity", rel.popularity),
    "streamingReleaseDate": lambda r, el, rel, _: _streaming_date(el, rel),
    "duration": lambda r, el, rel, _: sub(el, "duration", r.cat.duration(rel)),
    "trackCount": lambda r, el, rel, _: sub(el, "trackCount", rel.track_count),
    "download": _release_download,
    # release/details: packages come before releaseDate in current replies.
    "downloadPackagesFirst": lambda r, el, rel, n: _release_download(
        r, el, rel, n, packages_first=True
    ),
    # artist/recommend: package/format without a formats wrapper.
    "downloadBareFormat": lambda r, el, rel, n: _release_download(r, el, rel, n, wrapped=False),
    "downloadDate": lambda r, el, rel, _: sub(
        sub(el, "download"), "releaseDate", iso(rel.release_date)
    ),
    "cline": lambda r, el, rel, _: sub(el, "cline", rel.cline),
    "pline": lambda r, el, rel, _: sub(el, "pline", rel.pline),
}


def _release_of(r: Render, t: Track) -> Release:
    return r.cat.releases[t.release_id]


def _track_download(
    r: Render, el: Element, t: Track, _: Profile, *, details: bool = False, dated: bool = True
) -> None:
    rel = _release_of(r, t)
    if "download" in r.usage_types:
        dl = sub(el, "download")
        if details:
            sub(dl, "previewDate", iso(rel.release_date))
        if dated:
            sub(dl, "releaseDate", iso(rel.release_date))
        packages = tuple(p for p in rel.packages if p in (2, 9))
        r.packages(dl, packages, t.price, t.rrp, per_track=True, bare_format=details)
    r.streaming(el, rel.streaming_date)


def _track_url(r: Render, el: Element, t: Track, _: Profile) -> None:
    rel = _release_of(r, t)
    artist = r.cat.artists[t.artist_id]
    link = r.link(f"artist/{artist.slug}/release/{rel.slug}")
    sub(el, "url", f"{link}{'&' if '?' in link else '?'}h={t.number:02d}")


_TRACK_FIELDS: dict[str, Callable[[Render, Element, Track, Profile], object]] = {
    "title": lambda r, el, t, _: sub(el, "title", t.title),
    "version": lambda r, el, t, _: sub(el, "version", t.version or None),
    "artist": lambda r, el, t, n: r.artist(el, r.cat.artists[t.artist_id], n or NESTED_ARTIST),
    "trackNumber": lambda r, el, t, _: sub(el, "trackNumber", t.number),
    "number": lambda r, el, t, _: sub(el, "number", t.number),
    "discNumber": lambda r, el, t, _: sub(el, "discNumber", t.disc),
    "duration": lambda r, el, t, _: sub(el, "duration", t.duration),
    "explicitContent": lambda r, el, t, _: sub(el, "explicitContent", t.explicit),
    "isrc": lambda r, el, t, _: sub(el, "isrc", t.isrc),
    "type": lambda r, el, t, _: sub(el, "type", "audio"),
    "release": lambda r, el, t, n: r.release(el, _release_of(r, t), n or TRACK_RELEASE),
    "slug": lambda r, el, t, _: sub(el, "slug", _release_of(r, t).slug),
    "url": _track_url,
    "price": lambda r, el, t, _: r.price(el, t.price, t.rrp),
    "streamingReleaseDate": lambda r, el, t, _: _streaming_date(el, _release_of(r, t)),
    "popularity": lambda r, el, t, _: sub(el, "popularity", t.popularity),
    "formats": lambda r, el, t, _: r.legacy_formats(el, _release_of(r, t).packages),
    "searchFormats": lambda r, el, t, _: r.legacy_formats(
        el, _release_of(r, t).packages, search=True
    ),
    "download": _track_download,
    "downloadDetails": lambda r, el, t, n: _track_download(r, el, t, n, details=True),
    "downloadPackages": lambda r, el, t, n: _track_download(r, el, t, n, dated=False),
    "pline": lambda r, el, t, _: sub(el, "pline", _release_of(r, t).pline),
}

# -- profiles (from the recorded replies of each endpoint) ------------------------
NESTED_ARTIST: Profile = ("name", "appearsAs", "slug")
# Older replies (still read by clients written against them) add a web link.
LINKED_ARTIST: Profile = ("name", "appearsAs", "slug", "url")
ARTIST_DETAILS: Profile = ("name", "sortName", "slug", "image", "bio")
ARTIST_SEARCH: Profile = ("name", "sortName", "slug", "image", "popularity")
ARTIST_LIST: Profile = ("name", "sortName", "slug", "image")
ARTIST_TAGGED: Profile = (*ARTIST_LIST, "popularity")
ARTIST_SIMILAR: Profile = ("name", "sortName", "url", "image")
ARTIST_CHART: Profile = ("name", "slug")
ARTIST_BYURL: Profile = ("name", "sortname", "url", "image")
TRACK_SEARCH_ARTIST: Profile = ("name", "sortName", "slug", "image", "appearsAs", "popularity")

_RELEASE_HEAD: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    "year",
    "explicitContent",
    "artist",
    "slug",
    "image",
)
RELEASE_DETAILS: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    "year",
    "explicitContent",
    ("artist", LINKED_ARTIST),
    "slug",
    "url",
    "image",
    "releaseDate",
    "addedDate",
    "price",
    "formats",
    "label",
    "licensor",
    "popularity",
    "streamingReleaseDate",
    "duration",
    "trackCount",
    "downloadPackagesFirst",
    "cline",
    "pline",
)
RELEASE_LIST: Profile = (*_RELEASE_HEAD, "download", "label")
ARTIST_RELEASE: Profile = (*RELEASE_LIST, "popularity")
RELEASE_RECOMMENDED_FOR_ARTIST: Profile = (*_RELEASE_HEAD, "downloadBareFormat", "label")
RELEASE_SEARCH: Profile = (
    *_RELEASE_HEAD,
    "download",
    "label",
    "licensor",
    "popularity",
    "streamingReleaseDate",
    "duration",
    "trackCount",
)
RELEASE_CHART: Profile = (*_RELEASE_HEAD, "download")
RELEASE_TAGGED_NEW: Profile = (
    *_RELEASE_HEAD,
    "download",
    "popularity",
    "streamingReleaseDate",
    "duration",
)
RELEASE_TAGGED_TOP: Profile = RELEASE_TAGGED_NEW
TRACK_RELEASE: Profile = ("title", "version", "type", "barcode", "artist", "slug", "image")
LINKED_TRACK_RELEASE: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    ("artist", LINKED_ARTIST),
    "slug",
    "url",
    "image",
)
TOP_TRACK_RELEASE: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    "explicitContent",
    "artist",
    "slug",
    "image",
    "label",
    "licensor",
    "streamingReleaseDate",
    "duration",
    "trackCount",
)
TRACK_SEARCH_RELEASE: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    "year",
    "explicitContent",
    "artist",
    "slug",
    "image",
    "popularity",
)
LOCKER_RELEASE: Profile = (
    "title",
    "version",
    "type",
    "barcode",
    ("artist", LINKED_ARTIST),
    "slug",
    "url",
    "image",
    "releaseDate",
    "downloadDate",
    "licensorId",
)
PURCHASE_RELEASE: Profile = ("title", "version", "type", "barcode", "artist", "slug", "image")

TRACK_DETAILS: Profile = (
    "title",
    "version",
    "artist",
    "trackNumber",
    "duration",
    "explicitContent",
    "isrc",
    "type",
    "release",
    "slug",
    "price",
    "streamingReleaseDate",
    "discNumber",
    "formats",
    "number",
    "downloadDetails",
    "pline",
)
TOP_TRACK: Profile = (
    "title",
    "version",
    "artist",
    "trackNumber",
    "duration",
    "explicitContent",
    "isrc",
    "type",
    ("release", TOP_TRACK_RELEASE),
    "slug",
    "price",
    "streamingReleaseDate",
    "discNumber",
    "popularity",
    "number",
    "download",
)
RELEASE_TRACK: Profile = (
    "title",
    "version",
    ("artist", LINKED_ARTIST),
    "trackNumber",
    "duration",
    "explicitContent",
    "isrc",
    "type",
    ("release", LINKED_TRACK_RELEASE),
    "slug",
    "url",
    "price",
    "downloadPackages",
    "streamingReleaseDate",
)
CHART_TRACK: Profile = (
    "title",
    "version",
    "artist",
    "trackNumber",
    "duration",
    "release",
    "price",
    "downloadPackages",
)
# The fuller shape current track/search replies carry, then the older replies' formats.
SEARCH_TRACK: Profile = (
    "title",
    "version",
    ("artist", TRACK_SEARCH_ARTIST),
    "trackNumber",
    "duration",
    "explicitContent",
    "isrc",
    "type",
    ("release", TRACK_SEARCH_RELEASE),
    "slug",
    "price",
    "download",
    "streamingReleaseDate",
    "discNumber",
    "popularity",
    "searchFormats",
)
LOCKER_TRACK: Profile = (
    "title",
    "version",
    ("artist", LINKED_ARTIST),
    "trackNumber",
    "duration",
    "isrc",
    "slug",
    "url",
)
PURCHASE_TRACK: Profile = ("title", "version", "artist", "trackNumber", "duration", "slug")
