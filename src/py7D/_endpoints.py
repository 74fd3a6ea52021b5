"""The 7digital API 1.2 as data: every endpoint py7D knows.

This table is the single source of truth for the HTTP verb, the auth level,
parameters, paging, the repeating elements of each reply, a one-line
description and the Python method name. Signing, validation, paging, the
resource-style methods (built from it at run time, with a typed stub that
``scripts/gen_resources.py`` writes), the CLI listing and the sandbox all read
it; nothing repeats it.

Facts come from the 7digital API reference (the Node client's 61 actions plus
the endpoints seen in other official sources). Paths keep the API's own
casing; lookups are case-insensitive, as the API's router is.

Parameters are described once, in :data:`PARAMS` (kind, allowed values,
bounds, a description); an endpoint lists the names it takes and overrides a
description only where its meaning differs (``token``, ``id``).
"""

from __future__ import annotations

import enum
import functools
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "ENDPOINTS",
    "MEDIA_ENDPOINTS",
    "MEDIA_FORMATS",
    "PARAMS",
    "AuthLevel",
    "Endpoint",
    "MediaFormat",
    "Param",
    "ParamKind",
    "endpoints",
    "find_endpoint",
    "find_endpoints",
    "find_media_endpoint",
    "python_name",
]


class AuthLevel(str, enum.Enum):
    """How a call must be signed."""

    NONE = "none"
    """Unsigned: only ``oauth_consumer_key`` in the query."""
    CONSUMER = "2-legged"
    """Signed with the consumer key and secret."""
    USER = "3-legged"
    """Signed with the consumer key and secret plus a user's access token."""


class ParamKind(str, enum.Enum):
    """What a parameter's value is; validation and the generated type hints read it."""

    TEXT = "text"
    """Free text (queries, e-mail addresses, URLs, slugs, codes)."""
    ID = "id"
    """A 7digital id or key: numeric for catalogue items, a GUID for baskets, a slug for tags."""
    INT = "int"
    """A whole number, optionally bounded (``page``, ``pageSize``, ``imageSize``)."""
    BOOL = "bool"
    """``true``/``false``."""
    DATE = "date"
    """A day, sent as ``yyyyMMdd`` (a ``datetime.date`` or such a string)."""
    ENUM = "enum"
    """One of ``choices`` (compared case-insensitively)."""
    DECIMAL = "decimal"
    """A price such as ``0.99``."""


@dataclass(frozen=True)
class Param:
    """One API parameter: its name as the API spells it and what it accepts.

    ``many`` marks comma-separated lists (``tags=rock,pop``; a Python list is
    joined for you). ``minimum``/``maximum`` bound an ``INT``; ``choices`` are the
    allowed values of an ``ENUM`` (each element's, when ``many``), compared
    case-insensitively; ``spellings`` are the other casings the generated type
    hints accept too: the ones 7digital's replies use (``<type>Album</type>``).
    ``numeric`` marks an ``ID`` that is a whole number (catalogue, card, purchase
    and shop ids), checked as such before a call is sent.
    """

    name: str
    kind: ParamKind = ParamKind.TEXT
    description: str = ""
    choices: tuple[str, ...] = ()
    many: bool = False
    minimum: int | None = None
    maximum: int | None = None
    spellings: tuple[str, ...] = ()
    numeric: bool = False

    @property
    def python_name(self) -> str:
        """The keyword argument of the resource-style methods (``artistId`` -> ``artist_id``)."""
        return python_name(self.name)


def python_name(name: str) -> str:
    """snake_case of an API name, with a trailing ``_`` for builtins and keywords.

    ``artistId`` -> ``artist_id``, ``sevenDigitalIds`` -> ``seven_digital_ids``,
    ``artist-byurl`` -> ``artist_byurl``, ``type`` -> ``type_``, ``id`` -> ``id_``
    (PEP 8's rule, so that no parameter shadows a builtin).
    """
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()
    if keyword.iskeyword(snake) or snake in _BUILTIN_NAMES:
        snake += "_"
    return snake


_BUILTIN_NAMES = frozenset(
    {"id", "type", "format", "filter", "hash", "input", "list", "max", "min"}
)

_PAGE_SIZE_MAX = 50

# The parameter catalogue: every name any endpoint takes, described once.
PARAMS: Mapping[str, Param] = MappingProxyType(
    {
        p.name: p
        for p in (
            Param("q", description="free-text search query"),
            Param("page", ParamKind.INT, "1-based page number (default 1)", minimum=1),
            Param(
                "pageSize",
                ParamKind.INT,
                "items per page (API default 10)",
                minimum=1,
                maximum=_PAGE_SIZE_MAX,
            ),
            Param(
                "imageSize",
                ParamKind.INT,
                "width in pixels of image URLs (50, 75, 100, 150, 182, 350, 1600 seen)",
                minimum=1,
            ),
            Param(
                "usageTypes",
                ParamKind.ENUM,
                "licence blocks to include",
                choices=("download", "subscriptionstreaming", "adsupportedstreaming"),
                many=True,
                spellings=("subscriptionStreaming", "adSupportedStreaming"),
            ),
            Param("period", ParamKind.ENUM, "chart period", choices=("day", "week", "month")),
            Param("fromDate", ParamKind.DATE, "first day included"),
            Param("toDate", ParamKind.DATE, "last day included (omit for the latest chart)"),
            Param(
                "type",
                ParamKind.ENUM,
                "release type",
                choices=("album", "single", "video"),
                spellings=("Album", "Single", "Video"),
            ),
            Param(
                "sort",
                ParamKind.ENUM,
                "order of the locker (default 'purchaseDate desc')",
                choices=tuple(
                    f"{key} {way}"
                    for key in ("purchaseDate", "artistName", "releaseTitle")
                    for way in ("asc", "desc")
                ),
            ),
            Param("artistId", ParamKind.ID, "7digital artist id", numeric=True),
            Param("releaseId", ParamKind.ID, "7digital release id", numeric=True),
            Param("trackId", ParamKind.ID, "7digital track id", numeric=True),
            Param("releaseIds", ParamKind.ID, "7digital release ids", many=True, numeric=True),
            Param("trackIds", ParamKind.ID, "7digital track ids", many=True, numeric=True),
            Param("packageId", ParamKind.ID, "download package id (2 = standard)", numeric=True),
            Param("tags", ParamKind.ID, "tag ids such as 'rock' or 'hip-hop-rap'", many=True),
            Param("letter", description="first letter(s) of the artist name"),
            Param("mbIds", ParamKind.ID, "MusicBrainz ids", many=True),
            Param("sevenDigitalIds", ParamKind.ID, "7digital ids", many=True, numeric=True),
            Param("basketId", ParamKind.ID, "basket id (a GUID from basket/create)"),
            Param("itemId", ParamKind.ID, "basket item id (basketItem/@id)", numeric=True),
            Param("affiliatePartner", ParamKind.ID, "partner id earning the commission"),
            Param("voucherCode", description="voucher code"),
            Param("price", ParamKind.DECIMAL, "price shown to the user, e.g. 0.99"),
            Param("retailPrice", ParamKind.DECIMAL, "retail price charged by the partner"),
            Param("successUrl", description="where PayPal sends the user after paying"),
            Param("cancelUrl", description="where PayPal sends the user after cancelling"),
            Param("redirectUrl", description="where the card form sends the user afterwards"),
            Param("token", description="a token (see the endpoint)"),
            Param("userId", ParamKind.ID, "the partner's id of a managed user"),
            Param("purchaseId", ParamKind.ID, "purchase id", numeric=True),
            Param("transactionId", description="the partner's transaction id"),
            Param("cardId", ParamKind.ID, "card id (card/@id)", numeric=True),
            Param("id", ParamKind.ID, "id substituted into the path"),
            Param("emailAddress", description="e-mail address"),
            Param("password", description="password"),
            Param("username", description="the user's e-mail address"),
            Param("country", description="2-letter shop country (default from the settings)"),
            Param("shopId", ParamKind.ID, "numeric shop id, instead of country", numeric=True),
            Param("ipaddress", description="an IPv4 address"),
            Param("key", description="list key, e.g. 'tabAlbums'"),
            Param("artistSlug", description="artist slug of a 7digital.com URL"),
            Param("releaseSlug", description="release slug of a 7digital.com URL"),
            Param("redirect", ParamKind.BOOL, "false: answer with the clip URL, not a redirect"),
            Param("showErrors", ParamKind.BOOL, "include an error element per id not found"),
            Param("cardNumber", description="card number"),
            Param("cardType", description="card type code from payment/card/type (VISA ...)"),
            Param("cardHolderName", description="name on the card"),
            Param("cardExpiryDate", description="expiry month, yyyyMM"),
            Param("cardStartDate", description="start month, yyyyMM"),
            Param("cardIssueNumber", description="issue number"),
            Param("cardVerificationCode", description="the 3 or 4 digits on the back"),
            Param("cardPostCode", description="billing post code"),
            Param("cardCountry", description="billing country code"),
            Param(
                "formatId",
                ParamKind.ID,
                "media format id (17 = MP3 320 kbps; streams also take streaming ids such as 26)",
            ),
        )
    }
)

# Accepted on every call without being listed per endpoint: 7digital's shop selectors.
COMMON_PARAMS: tuple[str, ...] = ("country", "shopId")

# A user's access token names the user, so it stands in for a required ``userId``
# (``user/details`` is 2-legged with userId, or 3-legged with the user's token).
TOKEN_STANDS_FOR = "userId"  # noqa: S105 - a parameter name, not a secret

# The model class (``_models.py``) typing each kind of item a paged endpoint walks.
ITEM_MODELS: Mapping[str, str] = MappingProxyType(
    {
        "searchResult": "SearchResult",
        "release": "Release",
        "track": "Track",
        "artist": "Artist",
        "chartItem": "ChartItem",
        "tag": "Tag",
        "taggedItem": "TaggedItem",
        "recommendedItem": "RecommendedItem",
        "lockerRelease": "LockerRelease",
        "translation": "Translation",
    }
)

_PARAMS_LOWER: Mapping[str, Param] = MappingProxyType({k.lower(): v for k, v in PARAMS.items()})


@dataclass(frozen=True)
class Endpoint:
    """One API action.

    ``path`` is below the version prefix (``artist/search``); a ``{id}``
    segment is filled from the parameter of that name. ``lists`` are dotted
    paths, relative to the reply's content element ``root``, of elements that
    repeat. ``items`` is the repeating element that paging walks.
    ``changes_state`` marks calls that must never be retried automatically;
    ``moves_money`` the ones that charge or register a payment.
    ``description`` is one line for people (docstrings, ``py7d endpoints``);
    ``name`` overrides the Python method name (see :attr:`method_name`);
    ``params`` overrides entries of :data:`PARAMS` for this endpoint only.
    ``reply_version`` is the ``version`` attribute 7digital's replies carry.

    Rows of :data:`MEDIA_ENDPOINTS` are not API calls but signed media URLs:
    ``host`` is the live origin that serves ``/<path>`` (no version prefix)
    and ``media_type`` the content type of the bytes it answers with.
    """

    path: str
    method: str = "GET"
    auth: AuthLevel = AuthLevel.NONE
    required: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    optional: tuple[str, ...] = ()
    root: str | None = None
    lists: tuple[str, ...] = ()
    items: str | None = None
    changes_state: bool = False
    moves_money: bool = False
    unconfirmed: tuple[str, ...] = ()
    notes: str = ""
    description: str = ""
    name: str | None = None
    params: tuple[Param, ...] = ()
    host: str | None = None
    media_type: str | None = None
    reply_version: str = "1.2"
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.path.lower())

    @property
    def resource(self) -> str:
        """The first path segment (``artist``)."""
        return self.path.split("/", 1)[0]

    @property
    def action(self) -> str | None:
        """Everything after the resource (``bytag/top``), or None."""
        parts = self.path.split("/", 1)
        return parts[1] if len(parts) > 1 else None

    @property
    def method_name(self) -> str:
        """The resource-style method: ``client.<resource>.<method_name>(...)``.

        The rule: the action's segments in snake_case joined by ``_``
        (``bytag/top`` -> ``bytag_top``, ``match/byId`` -> ``match_by_id``,
        ``payment/card/select`` -> ``payment_card_select``); ``{id}`` segments
        are dropped; an empty action is ``get``. ``name`` overrides the rule
        where the API writes a compound word in lower case
        (``addpriceditem`` -> ``add_priced_item``) or two rows would collide.
        """
        if self.name:
            return self.name
        segments = [s for s in (self.action or "").split("/") if s and not s.startswith("{")]
        return "_".join(python_name(s).rstrip("_") for s in segments) or "get"

    @functools.cached_property  # rows are frozen: computed once (build_call reads it per call)
    def path_params(self) -> tuple[str, ...]:
        """Parameters substituted into the path (``id`` of ``users/{id}/update``)."""
        return tuple(
            seg[1:-1] for seg in self.path.split("/") if seg.startswith("{") and seg.endswith("}")
        )

    @property
    def media(self) -> bool:
        """Whether this is a signed media URL (bytes), not an XML API call."""
        return self.host is not None

    @property
    def paged(self) -> bool:
        """Whether the reply carries page/pageSize/totalItems."""
        return self.items is not None

    @functools.cached_property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter the endpoint is documented to take, required first."""
        seen: dict[str, None] = {}
        for name in (*self.path_params, *self.required, *(n for g in self.one_of for n in g)):
            seen[name] = None
        for name in self.optional:
            seen[name] = None
        return tuple(seen)

    @functools.cached_property
    def _own_names(self) -> dict[str, str]:
        """Lower-cased name -> name of :attr:`parameters` and the common ones (validation)."""
        return {n.lower(): n for n in (*self.parameters, *COMMON_PARAMS)}

    def param(self, name: str) -> Param:
        """What the table knows of parameter ``name`` (case-insensitive) on this endpoint."""
        lowered = name.lower()
        for p in self.params:
            if p.name.lower() == lowered:
                return p
        return _PARAMS_LOWER.get(lowered) or Param(name)

    @property
    def item_model(self) -> str | None:
        """The :mod:`py7D` model class typing the items of a paged endpoint (``Release``).

        None when the endpoint is not paged or its items have no model yet.
        """
        return ITEM_MODELS.get(self.items.rsplit(".", 1)[-1]) if self.items else None

    @property
    def page_size_max(self) -> int | None:
        """The largest ``pageSize`` this endpoint allows (None: unknown or not paged)."""
        return self.param("pageSize").maximum if self.paged else None

    def to_dict(self) -> dict[str, object]:
        """The row as plain JSON-friendly data, for tools (``py7d endpoints --json``)."""
        return {
            "path": self.path,
            "method": self.method,
            "auth": self.auth.value,
            "description": self.description,
            "resource": self.resource,
            "python": f"{self.resource}.{self.method_name}",
            "required": list(self.path_params) + list(self.required),
            "one_of": [list(g) for g in self.one_of],
            "optional": list(self.optional),
            "paged": self.paged,
            "root": self.root,
            "items": self.items,
            "lists": list(self.lists),
            "changes_state": self.changes_state,
            "moves_money": self.moves_money,
            "unconfirmed": list(self.unconfirmed),
            "notes": self.notes,
        }


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "release/byDate",
        description="Releases added to the catalogue between two dates.",
        optional=("fromDate", "toDate", "page", "pageSize", "usageTypes", "imageSize"),
        root="releases",
        lists=(
            "release",
            "release.download.packages.package",
            "release.download.packages.package.formats.format",
            "release.formats.format",
        ),
        items="release",
        unconfirmed=("required_params",),
        notes="fromDate/toDate are yyyyMMdd; which of them (if any) are mandatory is unconfirmed",
    ),
    Endpoint(
        "release/details",
        description="One release: title, artist, label, artwork, prices and formats.",
        required=("releaseId",),
        optional=("usageTypes", "imageSize"),
        root="release",
        lists=(
            "download.packages.package",
            "download.packages.package.formats.format",
            "formats.format",
        ),
    ),
    Endpoint(
        "release/editorial",
        description="Review and promotional text written for a release.",
        required=("releaseId",),
        root="editorial",
        notes="children review/text and promotionalText/text",
        reply_version="1.0",
    ),
    Endpoint(
        "release/chart",
        description="The release (album) chart for a day, week or month.",
        optional=("period", "toDate", "page", "pageSize", "usageTypes", "imageSize"),
        root="chart",
        lists=(
            "chartItem",
            "chartItem.release.download.packages.package",
            "chartItem.release.download.packages.package.formats.format",
            "chartItem.release.formats.format",
        ),
        items="chartItem",
        notes="period = day|week|month; toDate yyyyMMdd (omit for latest chart)",
    ),
    Endpoint(
        "release/recommend",
        description="Releases recommended to buyers of a release.",
        required=("releaseId",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="recommendations",
        lists=(
            "recommendedItem",
            "recommendedItem.release.download.packages.package",
            "recommendedItem.release.download.packages.package.formats.format",
            "recommendedItem.release.formats.format",
        ),
        items="recommendedItem",
    ),
    Endpoint(
        "release/search",
        description="Search releases by title or artist name.",
        required=("q",),
        optional=("type", "page", "pageSize", "usageTypes", "imageSize"),
        root="searchResults",
        lists=(
            "searchResult",
            "searchResult.release.download.packages.package",
            "searchResult.release.download.packages.package.formats.format",
            "searchResult.release.formats.format",
        ),
        items="searchResult",
        unconfirmed=("optional_params",),
        notes="type = album|single|video (unconfirmed exact casing)",
    ),
    Endpoint(
        "release/tracks",
        description="The tracks of a release, in order.",
        required=("releaseId",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="tracks",
        lists=(
            "track",
            "track.download.packages.package",
            "track.download.packages.package.formats.format",
            "track.formats.format",
        ),
        items="track",
    ),
    Endpoint(
        "release/tags",
        description="Tags (genres, decades) attached to a release.",
        required=("releaseId",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
    ),
    Endpoint(
        "release/match/byId",
        description="Map MusicBrainz ids to 7digital release ids, or back.",
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("releases", "releases.release"),
        notes="mbIds / sevenDigitalIds are comma separated; send one of the two",
    ),
    Endpoint(
        "release/bytag/new",
        description="The newest releases carrying the given tags.",
        required=("tags",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="taggedResults",
        lists=(
            "taggedItem",
            "taggedItem.release.download.packages.package",
            "taggedItem.release.download.packages.package.formats.format",
            "taggedItem.release.formats.format",
        ),
        items="taggedItem",
        notes="tags = one tag id or a comma separated list",
    ),
    Endpoint(
        "release/bytag/top",
        description="The best-selling releases carrying the given tags.",
        required=("tags",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="taggedResults",
        lists=(
            "taggedItem",
            "taggedItem.release.download.packages.package",
            "taggedItem.release.download.packages.package.formats.format",
            "taggedItem.release.formats.format",
        ),
        items="taggedItem",
    ),
    Endpoint(
        "artist/browse",
        description="Artists whose name starts with the given letters.",
        required=("letter",),
        optional=("page", "pageSize", "imageSize"),
        root="artists",
        lists=("artist",),
        items="artist",
        notes="letter = first letter(s) of the artist name",
    ),
    Endpoint(
        "artist/chart",
        description="The artist chart for a day, week or month.",
        optional=("period", "toDate", "page", "pageSize", "imageSize"),
        root="chart",
        lists=("chartItem",),
        items="chartItem",
    ),
    Endpoint(
        "artist/details",
        description="One artist: name, sort name, image and biography.",
        required=("artistId",),
        optional=("imageSize",),
        root="artist",
    ),
    Endpoint(
        "artist/releases",
        description="The releases of an artist, optionally of one type.",
        required=("artistId",),
        optional=("type", "page", "pageSize", "usageTypes", "imageSize"),
        root="releases",
        lists=(
            "release",
            "release.download.packages.package",
            "release.download.packages.package.formats.format",
            "release.formats.format",
        ),
        items="release",
        notes="type = album|single|video",
    ),
    Endpoint(
        "artist/similar",
        description="Artists similar to an artist.",
        required=("artistId",),
        optional=("page", "pageSize", "imageSize"),
        root="artists",
        lists=("artist",),
        items="artist",
    ),
    Endpoint(
        "artist/search",
        description="Search artists by name.",
        required=("q",),
        optional=("page", "pageSize", "imageSize"),
        root="searchResults",
        lists=("searchResult",),
        items="searchResult",
    ),
    Endpoint(
        "artist/topTracks",
        description="The best-selling tracks of an artist.",
        required=("artistId",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="tracks",
        lists=(
            "track",
            "track.download.packages.package",
            "track.download.packages.package.formats.format",
            "track.formats.format",
        ),
        items="track",
    ),
    Endpoint(
        "artist/tags",
        description="Tags (genres, decades) attached to an artist.",
        required=("artistId",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
    ),
    Endpoint(
        "artist/match/byId",
        description="Map MusicBrainz ids to 7digital artist ids, or back.",
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("artists", "artists.artist"),
    ),
    Endpoint(
        "artist/bytag/top",
        description="The most popular artists carrying the given tags.",
        required=("tags",),
        optional=("page", "pageSize", "imageSize"),
        root="taggedResults",
        lists=("taggedItem",),
        items="taggedItem",
    ),
    Endpoint(
        "artist/recommend",
        description="Releases recommended to fans of an artist.",
        required=("artistId",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="recommendations",
        lists=(
            "recommendedItem",
            "recommendedItem.release.download.packages.package",
            "recommendedItem.release.download.packages.package.format",
        ),
        items="recommendedItem",
        notes="recorded replies list releases (recommendedItem/release); package/format has no formats wrapper",
    ),
    Endpoint(
        "track/chart",
        description="The track chart for a day, week or month.",
        optional=("period", "toDate", "page", "pageSize", "usageTypes", "imageSize"),
        root="chart",
        lists=(
            "chartItem",
            "chartItem.track.download.packages.package",
            "chartItem.track.download.packages.package.formats.format",
            "chartItem.track.formats.format",
        ),
        items="chartItem",
    ),
    Endpoint(
        "track/details",
        description="One track: title, artist, release, duration, prices and formats.",
        required=("trackId",),
        optional=("usageTypes", "imageSize"),
        root="track",
        lists=(
            "download.packages.package",
            "download.packages.package.formats.format",
            "formats.format",
        ),
    ),
    Endpoint(
        "track/search",
        description="Search tracks by title or artist name.",
        required=("q",),
        optional=("page", "pageSize", "usageTypes", "imageSize"),
        root="searchResults",
        lists=(
            "searchResult",
            "searchResult.track.download.packages.package",
            "searchResult.track.download.packages.package.formats.format",
            "searchResult.track.formats.format",
        ),
        items="searchResult",
    ),
    Endpoint(
        "track/match/byId",
        description="Map MusicBrainz ids to 7digital track ids, or back.",
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("tracks", "tracks.track"),
    ),
    Endpoint(
        "tag",
        description="Every tag of the catalogue, with how often it is used.",
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
        notes="path is just /1.2/tag (empty action)",
    ),
    Endpoint(
        "basket",
        description="The contents and total of a basket.",
        required=("basketId",),
        root="basket",
        lists=("basketItems.basketItem",),
        notes="path is just /1.2/basket (empty action)",
    ),
    Endpoint(
        "basket/addItem",
        description="Add a release, or one of its tracks, to a basket.",
        required=("basketId", "releaseId"),
        optional=("trackId", "packageId", "affiliatePartner"),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="omit trackId to add the whole release",
    ),
    Endpoint(
        "basket/removeItem",
        description="Remove an item from a basket.",
        required=("basketId", "itemId"),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="itemId = basketItem/@id",
    ),
    Endpoint(
        "basket/create",
        description="Create an empty basket; its id is in the reply.",
        optional=("affiliatePartner",),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="new basket id is a GUID in basket/@id",
    ),
    Endpoint(
        "basket/applyVoucher",
        description="Apply a voucher code to a basket.",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("basketId", "voucherCode"),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="form-encoded body; discounted items gain basketItem/discount/type=Voucher",
    ),
    Endpoint(
        "basket/addpriceditem",
        description="Add an item to a basket at a price the partner chooses.",
        name="add_priced_item",
        auth=AuthLevel.CONSUMER,
        required=("basketId", "releaseId", "price"),
        optional=("trackId",),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        unconfirmed=("reply_root",),
        notes="price may be higher or lower than catalogue price, incl. 0.00; reply root assumed basket (unconfirmed)",
    ),
    Endpoint(
        "basket/paypalurl",
        description="The PayPal page where the user pays for a basket.",
        name="paypal_url",
        required=("basketId", "successUrl", "cancelUrl"),
        root="expressCheckout",
        notes="reply expressCheckout/url = PayPal redirect URL containing token=",
    ),
    Endpoint(
        "basket/completepaypalpurchase",
        description="Complete a basket purchase the user approved on PayPal.",
        name="complete_paypal_purchase",
        method="POST",
        auth=AuthLevel.USER,
        required=("basketId", "token"),
        root="purchase",
        changes_state=True,
        moves_money=True,
        notes='token = PayPal token; reply <purchase id=".."/>',
        params=(Param("token", description="the PayPal token from the return URL"),),
    ),
    Endpoint(
        "basket/{basketId}/status",
        description="Whether a basket has been paid for, and its purchase id once it has.",
        root="paymentStatus",
        notes="reply <paymentStatus>Success|Failure</paymentStatus> then <purchaseId> on success",
    ),
    Endpoint(
        "user/unlimitedStreaming",
        description="The user's unlimited-streaming subscription.",
        auth=AuthLevel.USER,
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="subscription status for the user; parameters and reply shape unconfirmed",
    ),
    Endpoint(
        "user/unlimitedStreaming",
        description="Change a managed user's unlimited-streaming subscription.",
        name="update_unlimited_streaming",
        method="POST",
        auth=AuthLevel.CONSUMER,
        optional=("userId",),
        changes_state=True,
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="same path as the GET; updates a managed user's subscription; parameters and reply shape unconfirmed",
    ),
    Endpoint(
        "user/locker",
        description="The releases and tracks the user owns, with download links.",
        auth=AuthLevel.USER,
        optional=("page", "pageSize", "sort", "releaseId", "trackId", "purchaseId", "usageTypes"),
        root="locker",
        lists=(
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ),
        items="lockerReleases.lockerRelease",
        notes="paging elements live in locker/lockerReleases; sort = '<purchaseDate|artistName|releaseTitle> <asc|desc>', default 'purchaseDate desc'; pageSize default 10, max 50",
    ),
    Endpoint(
        "user/purchase/item",
        description="Buy a release or track at the shop price with the user's default card.",
        auth=AuthLevel.USER,
        required=("releaseId", "price"),
        optional=("trackId",),
        root="purchase",
        lists=(
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ),
        changes_state=True,
        moves_money=True,
        notes="7digital-branded partners only; price = price shown to the user",
    ),
    Endpoint(
        "user/purchase/rrpitem",
        description="Buy a release or track at the recommended retail price.",
        name="purchase_rrp_item",
        auth=AuthLevel.USER,
        required=("releaseId",),
        optional=("trackId", "price"),
        root="purchase",
        lists=(
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ),
        changes_state=True,
        moves_money=True,
    ),
    Endpoint(
        "user/purchase/basket",
        description="Buy everything in a basket with the user's default card.",
        auth=AuthLevel.USER,
        required=("basketId",),
        root="purchase",
        lists=(
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ),
        changes_state=True,
        moves_money=True,
    ),
    Endpoint(
        "user/purchase/priceditem",
        description="Buy a release or track at a price the partner chooses.",
        name="purchase_priced_item",
        auth=AuthLevel.USER,
        required=("releaseId", "price"),
        optional=("trackId",),
        root="purchase",
        lists=(
            "lockerReleases.lockerRelease",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack",
            "lockerReleases.lockerRelease.lockerTracks.lockerTrack.downloadUrls.downloadUrl",
        ),
        changes_state=True,
        moves_money=True,
        unconfirmed=("optional_params", "required_params"),
        notes="parameters unconfirmed (by analogy with purchase/item)",
    ),
    Endpoint(
        "user/purchase/prepare",
        description="Prepare a basket payment: a payment token for the payment provider.",
        auth=AuthLevel.USER,
        required=("basketId",),
        root="preparePayment",
        changes_state=True,
        notes="reply preparePayment@paymentToken@autoFulfilled with preparePaymentDate",
    ),
    Endpoint(
        "user/payment/card",
        description="The user's stored payment cards.",
        auth=AuthLevel.USER,
        root="cards",
        lists=("card",),
    ),
    Endpoint(
        "user/payment/card/select",
        description="Make one of the user's cards the default.",
        method="POST",
        auth=AuthLevel.USER,
        required=("cardId",),
        changes_state=True,
        notes='reply is an empty <response status="ok" version="1.2"/>',
    ),
    Endpoint(
        "user/payment/card/delete",
        description="Delete one of the user's cards.",
        method="POST",
        auth=AuthLevel.USER,
        required=("cardId",),
        changes_state=True,
        notes='reply is an empty <response status="ok" version="1.2"/>',
    ),
    Endpoint(
        "user/payment/cardregistration",
        description="Start registering a card through the hosted card form.",
        name="payment_card_registration",
        method="POST",
        auth=AuthLevel.USER,
        required=("redirectUrl",),
        root="cardRegistration",
        changes_state=True,
        moves_money=True,
        notes="reply cardRegistration/@id,@status=pending + redirectUrl",
    ),
    Endpoint(
        "user/payment/cardregistration/{id}",
        description="The outcome of a card registration (pending, complete or error).",
        name="payment_card_registration_status",
        auth=AuthLevel.USER,
        root="cardRegistration",
        notes="status pending|complete|error; complete -> card child, error -> error child (inside an ok response)",
        params=(Param("id", ParamKind.ID, "card registration id (cardRegistration/@id)"),),
    ),
    Endpoint(
        "user/deliveritem",
        description="Put a release or track into the user's locker without charging a card.",
        name="deliver_item",
        auth=AuthLevel.USER,
        required=("releaseId",),
        optional=("trackId", "emailAddress", "transactionId", "retailPrice"),
        root="purchase",
        changes_state=True,
        moves_money=True,
    ),
    Endpoint(
        "trackownership/user/{id}",
        description="Record that a partner's user owns a release or track bought elsewhere.",
        name="record_for_user",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("releaseId",),
        optional=("trackId", "transactionId"),
        root="trackOwnership",
        changes_state=True,
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="partner keys only; form-encoded body; parameters and reply shape unconfirmed",
        params=(Param("id", ParamKind.ID, "the partner's id (or 7digital id) of the user"),),
    ),
    Endpoint(
        "user/signup",
        description="Create a 7digital account.",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress", "password"),
        root="user",
        changes_state=True,
    ),
    Endpoint(
        "user/create",
        description="Create a user managed by the partner, keyed by the partner's own id.",
        auth=AuthLevel.CONSUMER,
        required=("userId", "emailAddress"),
        root="user",
        changes_state=True,
        unconfirmed=("reply_root",),
        notes="creates a 3rd-party (partner-managed) user; userId is the partner's own id; reply shape unconfirmed",
        params=(Param("userId", ParamKind.ID, "the partner's own id for the new user"),),
    ),
    Endpoint(
        "user/details",
        description="A user's id, type and e-mail address.",
        auth=AuthLevel.CONSUMER,
        required=("userId",),
        root="user",
        notes="2-legged with userId for managed users; also callable 3-legged with the user's access token and no userId",
    ),
    Endpoint(
        "user/authenticate",
        description="Check a user's e-mail address and password.",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress", "password"),
        root="user",
    ),
    Endpoint(
        "users",
        description="Find accounts by e-mail address.",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress",),
        root="users",
        lists=("user",),
        notes="path is just /1.2/users (empty action)",
    ),
    Endpoint(
        "users/{id}/update",
        description="Change a user's e-mail address or password.",
        method="PUT",
        auth=AuthLevel.USER,
        optional=("emailAddress", "password"),
        root="user",
        changes_state=True,
        notes=":id = 7digital user id, templated into the path; form-encoded body",
        params=(Param("id", ParamKind.ID, "7digital user id (user/@id)", numeric=True),),
    ),
    Endpoint(
        "countries",
        description="The countries (shops) 7digital sells in, with their languages.",
        root="countries",
        lists=("country", "country.languages.language"),
    ),
    Endpoint(
        "translations",
        description="Translated interface texts of a shop.",
        optional=("shopId", "country", "page", "pageSize"),
        root="translations",
        lists=("translation",),
        items="translation",
        notes="recorded replies carry pageSize 5000",
        reply_version="1.0",
        params=(Param("pageSize", ParamKind.INT, "items per page (replies show 5000)", minimum=1),),
    ),
    Endpoint(
        "country/resolve",
        description="The country an IP address is in.",
        required=("ipaddress",),
        root="GeoIpLookup",
        notes="parameter name is all lower case ipaddress",
    ),
    Endpoint(
        "editorial/list",
        description="An editorial list (a shop's front-page selection) by its key.",
        required=("key",),
        optional=("shopId", "usageTypes", "imageSize"),
        root="list",
        lists=(
            "listItems.listItem",
            "listItems.listItem.release.download.packages.package",
            "listItems.listItem.release.download.packages.package.formats.format",
            "listItems.listItem.release.formats.format",
        ),
        notes="key examples: tabAlbums, home1, new-albums",
    ),
    Endpoint(
        "merchandising/list/details",
        description="A merchandising list by its key (the older name of editorial/list).",
        required=("key",),
        optional=("shopId", "usageTypes", "imageSize"),
        root="list",
        lists=(
            "listItems.listItem",
            "listItems.listItem.release.download.packages.package",
            "listItems.listItem.release.download.packages.package.formats.format",
        ),
    ),
    Endpoint(
        "catalogue/artist-byurl",
        description="The artist id behind a 7digital.com artist URL slug.",
        name="artist_by_url",
        required=("artistSlug",),
        root="artist",
        unconfirmed=("required_params",),
        notes="maps a 7digital.com artist URL/slug to an artist id; reply artist/@id,@key",
    ),
    Endpoint(
        "catalogue/release-byurl",
        description="The release id behind a 7digital.com release URL slug.",
        name="release_by_url",
        required=("releaseSlug",),
        optional=("artistSlug",),
        root="release",
        unconfirmed=("required_params",),
        notes="reply release/@id,@shopId,@slug with artist/@id,@key",
    ),
    Endpoint(
        "payment/card/type",
        description="The card types 7digital accepts.",
        root="cardTypes",
        lists=("cardType",),
        notes="cardType/@id = code, text = display name",
    ),
    Endpoint(
        "payment/voucher/details",
        description="What a voucher code is worth and whether it is valid.",
        auth=AuthLevel.CONSUMER,
        required=("voucherCode",),
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="parameter name and reply shape unconfirmed",
    ),
    Endpoint(
        "status",
        description="Whether the service is up, and its clock.",
        root="serviceStatus",
        notes="service status and server time (not among the Node schema's 61)",
    ),
    Endpoint(
        "track/preview",
        description="The 30-second preview clip of a track (legacy unsigned form).",
        required=("trackId",),
        optional=("redirect",),
        root="url",
        notes="legacy unsigned preview; redirects to the clip unless redirect=false",
    ),
    Endpoint(
        "release/details/batch",
        description="Several releases by id in one call.",
        required=("releaseIds",),
        optional=("showErrors", "usageTypes", "imageSize"),
        root="items",
        lists=("release",),
        notes="several releases by id (comma list)",
    ),
    Endpoint(
        "track/details/batch",
        description="Several tracks by id in one call.",
        required=("trackIds",),
        optional=("showErrors", "usageTypes", "imageSize"),
        root="items",
        lists=("track",),
        notes="several tracks by id (comma list)",
    ),
    Endpoint(
        "tag/related",
        description="Tags related to the given tags.",
        required=("tags",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
        notes="tags related to the given tags",
    ),
    Endpoint(
        "country/georestrictions/checkout",
        description="Whether checkout is allowed from an IP address.",
        name="geo_restrictions_checkout",
        required=("ipaddress",),
        root="geoRestrictions",
        notes="whether checkout is allowed from an IP address",
    ),
    Endpoint(
        "user/payment/card/add",
        description="Register a card by posting its details directly (older API).",
        method="POST",
        auth=AuthLevel.USER,
        required=("cardNumber", "cardType", "cardHolderName", "cardExpiryDate"),
        optional=(
            "cardStartDate",
            "cardIssueNumber",
            "cardVerificationCode",
            "cardPostCode",
            "cardCountry",
        ),
        root="card",
        changes_state=True,
        moves_money=True,
        notes="direct card registration (older API)",
    ),
    Endpoint(
        "oauth/requestToken",
        description="OAuth step 1: a request token for the user to authorise.",
        auth=AuthLevel.CONSUMER,
        root="oauth_request_token",
        changes_state=True,
        notes="OAuth step 1: get a request token",
    ),
    Endpoint(
        "oauth/requestToken/authorise",
        description="OAuth step 2 for partners: authorise a request token with the user's credentials.",
        auth=AuthLevel.CONSUMER,
        required=("username", "password", "token"),
        changes_state=True,
        notes="OAuth step 2 for partners with user-management rights: authorise a request token with the user's credentials",
        params=(Param("token", description="the request token to authorise (its key)"),),
    ),
    Endpoint(
        "oauth/accessToken",
        description="OAuth step 3: trade an authorised request token for an access token.",
        auth=AuthLevel.USER,
        root="oauth_access_token",
        changes_state=True,
        notes="OAuth step 3: exchange an authorised request token for an access token (signed with the request token)",
    ),
)

# Signed media URLs: not under ``/1.2`` and not XML. Clients sign them (see
# ``Client.sign_url``) and fetch the bytes; locker and purchase replies carry
# ``downloadtrack`` URLs already signed.
_MEDIA_HOST = "http://media.geo.7digital.com"
MEDIA_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "media/user/downloadtrack",
        description="Download a track the user owns, in one format.",
        name="download_track",
        auth=AuthLevel.USER,
        required=("releaseId", "trackId", "formatId"),
        host=_MEDIA_HOST,
        media_type="audio/mpeg",
        notes="the URLs in locker/purchase replies (lower-case names formatid, releaseid, trackid, shopid)",
    ),
    Endpoint(
        "media/user/download/release",
        description="Download a release the user owns as one zip file, in one format.",
        name="download_release",
        auth=AuthLevel.USER,
        required=("releaseId", "formatId"),
        host=_MEDIA_HOST,
        media_type="application/zip",
    ),
    Endpoint(
        "media/user/download/purchase",
        description="Download everything bought in one purchase as one zip file, in one format.",
        name="download_purchase",
        auth=AuthLevel.USER,
        required=("purchaseId", "formatId"),
        host=_MEDIA_HOST,
        media_type="application/zip",
    ),
)

_MEDIA_BY_KEY: dict[str, Endpoint] = {ep.key: ep for ep in MEDIA_ENDPOINTS}


@dataclass(frozen=True)
class MediaFormat:
    """A ``formatId`` value: what replies call it and what a download or stream carries.

    ``streaming`` formats are only for ``stream/catalogue`` and ``stream/locker``
    (which also take the download formats); downloads take the others.
    ``file_format`` and ``bit_rate`` are what older replies show in
    ``format/fileFormat`` and ``format/bitRate`` (None where no reply shows them).
    """

    id: int
    description: str
    file_format: str
    bit_rate: int | None
    streaming: bool = False


MEDIA_FORMATS: Mapping[int, MediaFormat] = MappingProxyType(
    {
        f.id: f
        for f in (
            MediaFormat(17, "MP3 320", "MP3", 320),
            MediaFormat(33, "AAC 320", "MP4", 320),
            MediaFormat(48, "MP3 256", "MP3", 256),
            MediaFormat(45, "FLAC 16-bit 44.1kHz", "FLAC", 1411),
            MediaFormat(52, "FLAC 24-bit 44.1kHz", "FLAC", 2116),
            # 7digital's own players sign locker streams with formatId=26.
            MediaFormat(26, "MP3 streaming", "MP3", None, streaming=True),
        )
    }
)


def find_media_endpoint(path: str) -> Endpoint | None:
    """The signed media URL at ``path`` (``media/user/downloadtrack``; case-insensitive), or None."""
    return _MEDIA_BY_KEY.get(path.strip("/").lower())


_BY_KEY: dict[str, tuple[Endpoint, ...]] = {}
for _ep in ENDPOINTS:
    _BY_KEY[_ep.key] = (*_BY_KEY.get(_ep.key, ()), _ep)

# ``users/123/update`` must find ``users/{id}/update``: one pattern per templated path.
_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(key)) + "$"), key)
    for key in _BY_KEY
    if "{" in key
)


def _template_key(path: str) -> str:
    """``users/123/update`` -> ``users/{id}/update`` for path-parameter endpoints."""
    lowered = path.lower()
    for pattern, key in _TEMPLATES:
        if pattern.match(lowered):
            return key
    return lowered


def find_endpoints(path: str) -> tuple[Endpoint, ...]:
    """All endpoints at ``path`` (case-insensitive); more than one where verbs differ."""
    key = path.strip("/").lower()
    return _BY_KEY.get(key) or _BY_KEY.get(_template_key(key), ())


def find_endpoint(path: str, method: str | None = None) -> Endpoint | None:
    """The endpoint at ``path`` for ``method`` (or the first one when ``method`` is None)."""
    candidates = find_endpoints(path)
    if method is not None:
        method = method.upper()
        for ep in candidates:
            if ep.method == method:
                return ep
        return None
    return candidates[0] if candidates else None


def endpoints(resource: str | None = None) -> tuple[Endpoint, ...]:
    """The endpoint table, or the rows of one ``resource`` (case-insensitive), in table order.

    For people: ``for ep in py7D.endpoints("artist"): print(ep.path, ep.description)``;
    for tools: ``[ep.to_dict() for ep in py7D.endpoints()]`` is plain JSON.
    """
    if resource is None:
        return ENDPOINTS
    wanted = resource.strip("/").lower()
    return tuple(ep for ep in ENDPOINTS if ep.resource.lower() == wanted)
