"""Typed views (TypedDicts) of the main 7digital entities, for editors and mypy.

They describe the plain dicts py7D returns; nothing is converted or checked at
run time, and the dicts stay the contract (the original py7D's shape). Use
them to annotate your own code, or rely on the item types of the generated
``..._items()`` methods::

    for hit in client.artist.search_items(q="pink", limit=5):   # Iterator[SearchResult]
        print(hit["artist"]["name"])

Everything is ``total=False``: 7digital replies come in two generations and
every child is optional. Values are text, as xmltodict gives
them (``"true"``, ``"0.99"``, ``"2008-10-13T00:00:00+01:00"``). An element that
may be ``xsi:nil`` is :data:`Nillable` (``{"@xsi:nil": "true"}``). A repeating
element is :data:`Many`: a dict when it occurs once and a list when it occurs
more often, unless the call used ``normalize=True``, which makes it always a list.
"""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar, Union

__all__ = [
    "AmountDue",
    "Artist",
    "Basket",
    "BasketItem",
    "Card",
    "ChartItem",
    "Country",
    "Download",
    "DownloadUrl",
    "Format",
    "Label",
    "ListItem",
    "LockerRelease",
    "LockerTrack",
    "Many",
    "Nillable",
    "Package",
    "PackagePrice",
    "Price",
    "Purchase",
    "RecommendedItem",
    "Release",
    "SearchResult",
    "Tag",
    "TaggedItem",
    "Track",
    "Translation",
    "User",
]

_T = TypeVar("_T")

Many = Union[list[_T], _T]  # noqa: UP007 - a generic alias must be a typing.Union on 3.10
"""One element (a dict) or several (a list); always a list with ``normalize=True``."""

Nillable = Union[str, dict[str, str], None]  # noqa: UP007
"""Text, or ``{"@xsi:nil": "true"}`` for a nil value, or None for an empty element."""

Label = TypedDict("Label", {"@id": str, "name": str}, total=False)
"""A record label or licensor."""

Artist = TypedDict(
    "Artist",
    {
        "@id": str,
        "name": str,
        "sortName": str,
        "appearsAs": str,
        "slug": str,
        "url": str,
        "image": str,
        "popularity": str,
        "bio": dict[str, Any],
        "isPlaceholderImage": str,
    },
    total=False,
)
"""An artist (``artist/details``, search results, nested in releases and tracks)."""


class Price(TypedDict, total=False):
    """The older flat price block (``currency`` is ``{"@code": "GBP", "#text": "£"}``)."""

    currency: str | dict[str, str] | None
    value: Nillable
    formattedPrice: str
    rrp: Nillable
    formattedRrp: str
    onSale: str


class PackagePrice(TypedDict, total=False):
    """The price of a download package."""

    currencyCode: str
    sevendigitalPrice: Nillable
    recommendedRetailPrice: Nillable


Format = TypedDict(
    "Format",
    {
        "@id": str,
        "description": str,
        "fileFormat": str,
        "bitRate": str,
        "drmFree": str,
    },
    total=False,
)
"""A file format (MP3 320, FLAC 16-bit 44.1kHz, ...)."""

Package = TypedDict(
    "Package",
    {
        "@id": str,
        "description": str,
        "price": PackagePrice,
        "formats": Union[dict[str, Many[Format]], None],  # noqa: UP007
    },
    total=False,
)
"""A download package (2 = standard, 9 = premium, ...)."""


class Download(TypedDict, total=False):
    """The ``download`` licence block of a release or track."""

    releaseDate: str
    previewDate: str
    packages: dict[str, Many[Package]] | None


Release = TypedDict(
    "Release",
    {
        "@id": str,
        "title": str,
        "version": Union[str, None],  # noqa: UP007
        "type": str,
        "barcode": Nillable,
        "year": str,
        "explicitContent": str,
        "artist": Artist,
        "slug": str,
        "url": str,
        "image": str,
        "releaseDate": str,
        "addedDate": str,
        "price": Price,
        "formats": Union[dict[str, Any], None],  # noqa: UP007
        "label": Label,
        "licensor": Union[Label, None],  # noqa: UP007
        "popularity": str,
        "streamingReleaseDate": Nillable,
        "duration": str,
        "trackCount": str,
        "download": Download,
        "subscriptionStreaming": dict[str, Any],
        "adSupportedStreaming": dict[str, Any],
        "cline": str,
        "pline": str,
    },
    total=False,
)
"""A release (album, single, video)."""

Track = TypedDict(
    "Track",
    {
        "@id": str,
        "title": str,
        "version": Union[str, None],  # noqa: UP007
        "artist": Artist,
        "trackNumber": str,
        "number": str,
        "discNumber": str,
        "duration": str,
        "explicitContent": str,
        "isrc": str,
        "type": str,
        "release": Release,
        "slug": str,
        "url": str,
        "price": Price,
        "formats": Union[dict[str, Any], None],  # noqa: UP007
        "download": Download,
        "streamingReleaseDate": Nillable,
        "popularity": str,
        "pline": str,
    },
    total=False,
)
"""A track."""


class SearchResult(TypedDict, total=False):
    """One hit of ``artist|release|track/search``: ``type`` says which entity it holds."""

    type: str
    score: str
    artist: Artist
    release: Release
    track: Track


class ChartItem(TypedDict, total=False):
    """One chart position (``change`` is Up, Down, Same or New)."""

    position: str
    change: str
    artist: Artist
    release: Release
    track: Track


Tag = TypedDict("Tag", {"@id": str, "text": str, "url": str, "count": str}, total=False)
"""A tag (genre, decade); ``count`` only in the full ``tag`` list."""


class TaggedItem(TypedDict, total=False):
    """One result of ``*/bytag/*``."""

    artist: Artist
    release: Release


class RecommendedItem(TypedDict, total=False):
    """One result of ``release/recommend``."""

    release: Release


ListItem = TypedDict("ListItem", {"@id": str, "type": str, "release": Release}, total=False)
"""One entry of an editorial list."""


class AmountDue(TypedDict, total=False):
    """What is left to pay."""

    currency: str | dict[str, str] | None
    amount: str
    formattedAmount: str


BasketItem = TypedDict(
    "BasketItem",
    {
        "@id": str,
        "type": str,
        "itemName": str,
        "artistName": str,
        "trackId": Union[str, None],  # noqa: UP007
        "releaseId": str,
        "price": Price,
        "package": Any,
        "discount": dict[str, Any],
        "amountDue": AmountDue,
    },
    total=False,
)
"""A release or track in a basket; its ``@id`` is the ``itemId`` of ``basket/removeItem``."""

Basket = TypedDict(
    "Basket",
    {
        "@id": str,
        "itemCount": str,
        "price": Price,
        "basketItems": Union[dict[str, Many[BasketItem]], None],  # noqa: UP007
        "amountDue": AmountDue,
    },
    total=False,
)
"""A basket (``basketItems`` is None when it is empty)."""


class DownloadUrl(TypedDict, total=False):
    """A locker download link.

    Two layouts exist: the newer ``format`` holds ``url`` and ``description``;
    the older has ``url`` beside a ``format`` holding ``fileFormat``,
    ``bitRate`` and ``drmFree``.
    """

    url: str
    format: dict[str, Any]
    description: str


class LockerTrack(TypedDict, total=False):
    """A track the user owns."""

    track: Track
    remainingDownloads: str
    purchaseId: str
    purchaseDate: str
    completeAlbumPurchase: str
    downloadUrls: dict[str, Many[DownloadUrl]] | None


class LockerRelease(TypedDict, total=False):
    """A release the user owns (all or some of its tracks); the item of ``user/locker``."""

    release: Release
    available: str
    lockerTracks: dict[str, Many[LockerTrack]] | None


Purchase = TypedDict(
    "Purchase",
    {"@id": str, "purchaseDate": str, "lockerReleases": Union[dict[str, Any], None]},  # noqa: UP007
    total=False,
)
"""The reply of a purchase call."""

Card = TypedDict(
    "Card",
    {
        "@id": str,
        "type": str,
        "last4digits": str,
        "default": str,
        "cardHolderName": str,
        "expiryDate": str,
        "country": str,
    },
    total=False,
)
"""A stored payment card."""

User = TypedDict("User", {"@id": str, "type": str, "emailAddress": str}, total=False)
"""A 7digital user."""

Country = TypedDict(
    "Country",
    {
        "@code": str,
        "url": str,
        "name": str,
        "localName": str,
        "languages": Union[dict[str, Any], None],  # noqa: UP007
    },
    total=False,
)
"""A country 7digital sells in."""


class Translation(TypedDict, total=False):
    """A translated interface text."""

    key: str
    translatedText: str
