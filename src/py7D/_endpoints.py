"""The 7digital API 1.2 as data: every endpoint py7D knows.

This table is the single source of truth for the HTTP verb, the auth level,
parameters, paging and the repeating elements of each reply. Signing,
validation, paging, retries, the CLI listing and the sandbox all read it.

Facts come from the 7digital API reference (the Node client's 61 actions plus
the endpoints seen in other official sources). Paths keep the API's own
casing; lookups are case-insensitive, as the API's router is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["ENDPOINTS", "AuthLevel", "Endpoint", "find_endpoint", "find_endpoints"]


class AuthLevel(str, enum.Enum):
    """How a call must be signed."""

    NONE = "none"
    """Unsigned: only ``oauth_consumer_key`` in the query."""
    CONSUMER = "2-legged"
    """Signed with the consumer key and secret."""
    USER = "3-legged"
    """Signed with the consumer key and secret plus a user's access token."""


@dataclass(frozen=True)
class Endpoint:
    """One API action.

    ``path`` is below the version prefix (``artist/search``); a ``{id}``
    segment is filled from the parameter of that name. ``lists`` are dotted
    paths, relative to the reply's content element ``root``, of elements that
    repeat. ``items`` is the repeating element that paging walks.
    ``changes_state`` marks calls that must never be retried automatically;
    ``moves_money`` the ones that charge or register a payment.
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
    def path_params(self) -> tuple[str, ...]:
        """Parameters substituted into the path (``id`` of ``users/{id}/update``)."""
        return tuple(
            seg[1:-1] for seg in self.path.split("/") if seg.startswith("{") and seg.endswith("}")
        )

    @property
    def paged(self) -> bool:
        """Whether the reply carries page/pageSize/totalItems."""
        return self.items is not None

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter the endpoint is documented to take, required first."""
        seen: dict[str, None] = {}
        for name in (*self.path_params, *self.required, *(n for g in self.one_of for n in g)):
            seen[name] = None
        for name in self.optional:
            seen[name] = None
        return tuple(seen)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "release/byDate",
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
        required=("releaseId",),
        root="editorial",
        notes='children review/text and promotionalText/text; recorded replies carry version="1.0"',
    ),
    Endpoint(
        "release/chart",
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
        required=("releaseId",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
    ),
    Endpoint(
        "release/match/byId",
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("releases", "releases.release"),
        notes="mbIds / sevenDigitalIds are comma separated; send one of the two",
    ),
    Endpoint(
        "release/bytag/new",
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
        required=("letter",),
        optional=("page", "pageSize", "imageSize"),
        root="artists",
        lists=("artist",),
        items="artist",
        notes="letter = first letter(s) of the artist name",
    ),
    Endpoint(
        "artist/chart",
        optional=("period", "toDate", "page", "pageSize", "imageSize"),
        root="chart",
        lists=("chartItem",),
        items="chartItem",
    ),
    Endpoint(
        "artist/details",
        required=("artistId",),
        optional=("imageSize",),
        root="artist",
    ),
    Endpoint(
        "artist/releases",
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
        required=("artistId",),
        optional=("page", "pageSize", "imageSize"),
        root="artists",
        lists=("artist",),
        items="artist",
    ),
    Endpoint(
        "artist/search",
        required=("q",),
        optional=("page", "pageSize", "imageSize"),
        root="searchResults",
        lists=("searchResult",),
        items="searchResult",
    ),
    Endpoint(
        "artist/topTracks",
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
        required=("artistId",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
    ),
    Endpoint(
        "artist/match/byId",
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("artists", "artists.artist"),
    ),
    Endpoint(
        "artist/bytag/top",
        required=("tags",),
        optional=("page", "pageSize", "imageSize"),
        root="taggedResults",
        lists=("taggedItem",),
        items="taggedItem",
    ),
    Endpoint(
        "track/chart",
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
        auth=AuthLevel.CONSUMER,
        one_of=(("mbIds", "sevenDigitalIds"),),
        root="matches",
        lists=("tracks", "tracks.track"),
    ),
    Endpoint(
        "tag",
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
        notes="path is just /1.2/tag (empty action)",
    ),
    Endpoint(
        "basket",
        required=("basketId",),
        root="basket",
        lists=("basketItems.basketItem",),
        notes="path is just /1.2/basket (empty action)",
    ),
    Endpoint(
        "basket/addItem",
        required=("basketId", "releaseId"),
        optional=("trackId", "packageId", "affiliatePartner"),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="omit trackId to add the whole release",
    ),
    Endpoint(
        "basket/removeItem",
        required=("basketId", "itemId"),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="itemId = basketItem/@id",
    ),
    Endpoint(
        "basket/create",
        optional=("affiliatePartner",),
        root="basket",
        lists=("basketItems.basketItem",),
        changes_state=True,
        notes="new basket id is a GUID in basket/@id",
    ),
    Endpoint(
        "basket/applyVoucher",
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
        required=("basketId", "successUrl", "cancelUrl"),
        root="expressCheckout",
        notes="reply expressCheckout/url = PayPal redirect URL containing token=",
    ),
    Endpoint(
        "basket/completepaypalpurchase",
        method="POST",
        auth=AuthLevel.USER,
        required=("basketId", "token"),
        root="purchase",
        changes_state=True,
        moves_money=True,
        notes='token = PayPal token; reply <purchase id=".."/>',
    ),
    Endpoint(
        "user/unlimitedStreaming",
        auth=AuthLevel.USER,
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="subscription status for the user; parameters and reply shape unconfirmed",
    ),
    Endpoint(
        "user/unlimitedStreaming",
        method="POST",
        auth=AuthLevel.CONSUMER,
        optional=("userId",),
        changes_state=True,
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="same path as the GET; updates a managed user's subscription; parameters and reply shape unconfirmed",
    ),
    Endpoint(
        "user/locker",
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
        "user/payment/card",
        auth=AuthLevel.USER,
        root="cards",
        lists=("card",),
    ),
    Endpoint(
        "user/payment/card/select",
        method="POST",
        auth=AuthLevel.USER,
        required=("cardId",),
        changes_state=True,
        notes='reply is an empty <response status="ok" version="1.2"/>',
    ),
    Endpoint(
        "user/payment/card/delete",
        method="POST",
        auth=AuthLevel.USER,
        required=("cardId",),
        changes_state=True,
        notes='reply is an empty <response status="ok" version="1.2"/>',
    ),
    Endpoint(
        "user/payment/cardregistration",
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
        auth=AuthLevel.USER,
        root="cardRegistration",
        notes="status pending|complete|error; complete -> card child, error -> error child (inside an ok response)",
    ),
    Endpoint(
        "user/deliveritem",
        auth=AuthLevel.USER,
        required=("releaseId",),
        optional=("trackId", "emailAddress", "transactionId", "retailPrice"),
        root="purchase",
        changes_state=True,
        moves_money=True,
    ),
    Endpoint(
        "user/signup",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress", "password"),
        root="user",
        changes_state=True,
    ),
    Endpoint(
        "user/create",
        auth=AuthLevel.CONSUMER,
        required=("userId", "emailAddress"),
        root="user",
        changes_state=True,
        unconfirmed=("reply_root",),
        notes="creates a 3rd-party (partner-managed) user; userId is the partner's own id; reply shape unconfirmed",
    ),
    Endpoint(
        "user/details",
        auth=AuthLevel.CONSUMER,
        required=("userId",),
        root="user",
        notes="2-legged with userId for managed users; also callable 3-legged with the user's access token and no userId",
    ),
    Endpoint(
        "user/authenticate",
        method="POST",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress", "password"),
        root="user",
    ),
    Endpoint(
        "users",
        auth=AuthLevel.CONSUMER,
        required=("emailAddress",),
        root="users",
        lists=("user",),
        notes="path is just /1.2/users (empty action)",
    ),
    Endpoint(
        "users/{id}/update",
        method="PUT",
        auth=AuthLevel.USER,
        optional=("emailAddress", "password"),
        root="user",
        changes_state=True,
        notes=":id = 7digital user id, templated into the path; form-encoded body",
    ),
    Endpoint(
        "countries",
        root="countries",
        lists=("country", "country.languages.language"),
    ),
    Endpoint(
        "translations",
        optional=("shopId", "country", "page", "pageSize"),
        root="translations",
        lists=("translation",),
        items="translation",
        notes='recorded replies carry version="1.0" and pageSize 5000',
    ),
    Endpoint(
        "country/resolve",
        required=("ipaddress",),
        root="GeoIpLookup",
        notes="parameter name is all lower case ipaddress",
    ),
    Endpoint(
        "editorial/list",
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
        "catalogue/artist-byurl",
        required=("artistSlug",),
        root="artist",
        unconfirmed=("required_params",),
        notes="maps a 7digital.com artist URL/slug to an artist id; reply artist/@id,@key",
    ),
    Endpoint(
        "catalogue/release-byurl",
        required=("releaseSlug",),
        optional=("artistSlug",),
        root="release",
        unconfirmed=("required_params",),
        notes="reply release/@id,@shopId,@slug with artist/@id,@key",
    ),
    Endpoint(
        "payment/card/type",
        root="cardTypes",
        lists=("cardType",),
        notes="cardType/@id = code, text = display name",
    ),
    Endpoint(
        "payment/voucher/details",
        auth=AuthLevel.CONSUMER,
        required=("voucherCode",),
        unconfirmed=("optional_params", "reply_root", "required_params"),
        notes="parameter name and reply shape unconfirmed",
    ),
    Endpoint(
        "status",
        root="serviceStatus",
        notes="service status and server time (not among the Node schema's 61)",
    ),
    Endpoint(
        "track/preview",
        required=("trackId",),
        optional=("redirect",),
        root="url",
        notes="legacy unsigned preview; redirects to the clip unless redirect=false",
    ),
    Endpoint(
        "release/details/batch",
        required=("releaseIds",),
        optional=("showErrors", "usageTypes", "imageSize"),
        root="items",
        lists=("release",),
        notes="several releases by id (comma list)",
    ),
    Endpoint(
        "track/details/batch",
        required=("trackIds",),
        optional=("showErrors", "usageTypes", "imageSize"),
        root="items",
        lists=("track",),
        notes="several tracks by id (comma list)",
    ),
    Endpoint(
        "tag/related",
        required=("tags",),
        optional=("page", "pageSize"),
        root="tags",
        lists=("tag",),
        items="tag",
        notes="tags related to the given tags",
    ),
    Endpoint(
        "country/georestrictions/checkout",
        required=("ipaddress",),
        root="geoRestrictions",
        notes="whether checkout is allowed from an IP address",
    ),
    Endpoint(
        "user/payment/card/add",
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
        auth=AuthLevel.CONSUMER,
        root="oauth_request_token",
        changes_state=True,
        notes="OAuth step 1: get a request token",
    ),
    Endpoint(
        "oauth/requestToken/authorise",
        auth=AuthLevel.CONSUMER,
        required=("username", "password", "token"),
        changes_state=True,
        notes="OAuth step 2 for partners with user-management rights: authorise a request token with the user's credentials",
    ),
    Endpoint(
        "oauth/accessToken",
        auth=AuthLevel.USER,
        root="oauth_access_token",
        changes_state=True,
        notes="OAuth step 3: exchange an authorised request token for an access token (signed with the request token)",
    ),
)

_BY_KEY: dict[str, tuple[Endpoint, ...]] = {}
for _ep in ENDPOINTS:
    _BY_KEY[_ep.key] = (*_BY_KEY.get(_ep.key, ()), _ep)


def _template_key(path: str) -> str:
    """``users/123/update`` -> ``users/{id}/update`` for path-parameter endpoints."""
    parts = path.lower().split("/")
    if len(parts) == 3 and parts[0] == "users" and parts[2] == "update":
        return "users/{id}/update"
    if len(parts) == 4 and parts[:3] == ["user", "payment", "cardregistration"]:
        return "user/payment/cardregistration/{id}"
    return path.lower()


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
