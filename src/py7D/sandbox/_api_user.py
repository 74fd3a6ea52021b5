"""User-side endpoints: OAuth tokens, accounts, baskets, cards, lockers and purchases.

All handlers here are registered ``stateful``: they run with the sandbox lock
held, so each one sees and leaves the state consistent.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterable
from urllib.parse import urlencode

import httpx

from ._api_catalogue import VOUCHERS, get_release
from ._catalogue import PACKAGES, Release, Track
from ._core import ApiRequest, route
from ._errors import ApiError, OAuthRefusedError
from ._render import LockerLine, iso, price_block
from ._shop import SHOPS, Currency
from ._state import (
    DECLINED_ON_CHARGE,
    Basket,
    BasketItem,
    Card,
    CardRegistration,
    LockerEntry,
    PurchaseRecord,
    RequestToken,
    User,
    card_expired,
    card_problem,
)
from ._xml import Element, nil, sub

__all__ = ["basket_el", "catalogue_price", "user_el"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CARD_TYPES = ("maestro", "mastercard", "visa", "amex")
_SORT_FIELDS = ("purchasedate", "artistname", "releasetitle")


# -- OAuth token flow ------------------------------------------------------------------
def _wants_xml(req: ApiRequest) -> bool:
    """GET, or a POST whose Accept header asks for XML, gets the XML token envelope."""
    return req.request.method != "POST" or "xml" in req.request.headers.get("accept", "").lower()


def _token_reply(req: ApiRequest, root: str, key: str, secret: str) -> Element | httpx.Response:
    if _wants_xml(req):
        el = Element(root)
        sub(el, "oauth_token", key)
        sub(el, "oauth_token_secret", secret)
        return el
    body = urlencode({"oauth_token": key, "oauth_token_secret": secret})
    return httpx.Response(
        200, content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
    )


@route("oauth/requestToken", stateful=True)
def request_token(req: ApiRequest) -> Element | httpx.Response:
    """OAuth step 1: a request token (XML for GET, url-encoded for a plain POST)."""
    token = req.state.new_request_token(req.consumer.key, req.signed.get("oauth_callback"))
    return _token_reply(req, "oauth_request_token", token.key, token.secret)


@route("oauth/requestToken/authorise", stateful=True)
def authorise_request_token(req: ApiRequest) -> Element:
    """OAuth step 2 without a browser: authorise ``token`` with the user's e-mail and password."""
    user = _login(req, req.require("username"), req.require("password"))
    token = req.state.request_token(req.require("token"))
    if token is None or token.used or token.consumer_key != req.consumer.key:
        raise ApiError.not_found("Request token not found")
    if req.now > token.expires:
        raise ApiError(2002, "Request token has expired")
    req.state.authorise_request_token(token.key, user.id)
    el = Element("oauth_request_token")
    sub(el, "oauth_token", token.key)
    sub(el, "status", "Authorised")
    return el


@route("oauth/accessToken", stateful=True)
def access_token(req: ApiRequest) -> Element | httpx.Response:
    """OAuth step 3: exchange an authorised request token (once) for an access token."""
    token = req.token
    assert isinstance(token, RequestToken)
    if token.used:  # exchanged by a concurrent request since it was checked
        raise OAuthRefusedError("Invalid token")
    if token.user_id is None:
        raise ApiError(2002, "Request token has not been authorised")
    token.used = True
    access = req.state.new_access_token(req.consumer.key, token.user_id)
    return _token_reply(req, "oauth_access_token", access.key, access.secret)


# -- accounts ---------------------------------------------------------------------------
def _login(req: ApiRequest, email: str, password: str) -> User:
    user = req.state.check_credentials(email, password)
    if user is None:
        raise ApiError(1002, "Invalid email address or password")
    return user


def user_el(user: User) -> Element:
    """``<user id=..><type>7digital</type><emailAddress/></user>``."""
    el = Element("user", id=str(user.id))
    sub(el, "type", "7digital")
    sub(el, "emailAddress", user.email)
    return el


def _check_new_email(req: ApiRequest, email: str) -> None:
    if not _EMAIL.match(email):
        raise ApiError.invalid("emailAddress", email)
    if req.state.user_by_email(email) is not None:
        raise ApiError(2003, f"User already exists: {email}")


@route("user/signup", "POST", stateful=True)
def signup(req: ApiRequest) -> Element:
    """Create a 7digital account (2003 when the e-mail is taken)."""
    email = req.require("emailAddress")
    _check_new_email(req, email)
    return user_el(req.state.create_user(email, req.require("password")))


@route("user/authenticate", "POST", stateful=True)
def authenticate(req: ApiRequest) -> Element:
    """Check an e-mail and password (1002 when wrong)."""
    return user_el(_login(req, req.require("emailAddress"), req.require("password")))


@route("users", stateful=True)
def find_users(req: ApiRequest) -> Element:
    """``users`` with the account of ``emailAddress`` (empty when there is none)."""
    el = Element("users")
    user = req.state.user_by_email(req.require("emailAddress"))
    if user is not None:
        el.append(user_el(user))
    return el


@route("users/{id}/update", "PUT", stateful=True)
def update_user(req: ApiRequest) -> Element:
    """Change the signed-in user's e-mail address and/or password."""
    user = req.user()
    target = req.path_id or ""
    if not target.isdecimal():
        raise ApiError.invalid("id", target)
    if int(target) != user.id:
        raise ApiError(2002, "Users can only update their own account")
    email = req.get("emailAddress")
    if email and email.lower() != user.email.lower():
        _check_new_email(req, email)
        req.state.change_email(user, email)
    if req.get("password"):
        user.password = req.require("password")
    return user_el(user)


def _require_user_management(req: ApiRequest) -> None:
    if not req.consumer.user_management:
        raise OAuthRefusedError("Access to resource denied")


@route("user/create", stateful=True)
def create_user(req: ApiRequest) -> Element:
    """Create a partner-managed user keyed by the partner's ``userId``."""
    _require_user_management(req)
    partner_id, email = req.require("userId"), req.require("emailAddress")
    if req.state.partner_user(req.consumer.key, partner_id) is not None:
        raise ApiError(2003, f"User already exists: {partner_id}")
    _check_new_email(req, email)
    password = secrets.token_urlsafe(12)
    user = req.state.create_user(
        email, password, partner_id=partner_id, partner_consumer=req.consumer.key
    )
    return user_el(user)


@route("user/details", stateful=True)
def user_details(req: ApiRequest) -> Element:
    """The account of ``userId`` (2-legged) or of the access token's user (3-legged)."""
    return user_el(req.user())


@route("user/unlimitedStreaming", stateful=True)
def streaming_status(req: ApiRequest) -> Element:
    """The user's subscription: ``unlimitedStreaming/status`` (+ ``expiryDate``)."""
    return _streaming_el(req, req.user())


@route("user/unlimitedStreaming", "POST", stateful=True)
def streaming_update(req: ApiRequest) -> Element:
    """Partner call: set a managed user's subscription (``status``, ``expiryDate``)."""
    _require_user_management(req)
    user = req.user()
    active = req.enum("status", ("active", "inactive"), "active") == "active"
    req.state.set_streaming(user.id, active, req.date("expiryDate"))
    return _streaming_el(req, user)


def _streaming_el(req: ApiRequest, user: User) -> Element:
    active, expiry = req.state.streaming(user.id)
    el = Element("unlimitedStreaming")
    sub(el, "userId", user.id)
    sub(el, "status", "active" if active else "inactive")
    if expiry is None:
        nil(el, "expiryDate")
    else:
        sub(el, "expiryDate", iso(expiry))
    return el


# -- baskets ------------------------------------------------------------------------------
def _basket(req: ApiRequest, basket_id: str | None = None) -> Basket:
    basket_id = basket_id if basket_id is not None else req.require("basketId")
    try:
        uuid.UUID(basket_id)
    except ValueError:
        raise ApiError.invalid("basketId", basket_id) from None
    basket = req.state.basket(basket_id)
    if basket is None:
        raise ApiError.not_found("Basket not found")
    if basket.shop_id != req.shop.id:
        raise ApiError(2002, "Basket not available in this shop")
    return basket


def _open_basket(req: ApiRequest) -> Basket:
    basket = _basket(req)
    if basket.purchase_id is not None:
        raise ApiError(2003, "Basket has already been purchased")
    return basket


def _due(parent: Element, cur: Currency, amount: float, *, currency: bool) -> None:
    el = sub(parent, "amountDue")
    if currency:
        sub(el, "currency", cur.symbol, code=cur.code)
    sub(el, "amount", f"{amount:.2f}")
    sub(el, "formattedAmount", cur.format(amount))


def basket_el(req: ApiRequest, basket: Basket) -> Element:
    """The ``basket`` element as recorded (totals, items, amount due)."""
    cat, cur = req.catalogue, SHOPS[basket.shop_id].currency
    el = Element("basket", id=basket.id)
    sub(el, "itemCount", len(basket.items))
    price_block(el, cur, basket.total, basket.total_rrp)
    items = sub(el, "basketItems")
    for item in basket.items:
        release = cat.releases[item.release_id]
        track = cat.track(item.track_id) if item.track_id else None
        bi = sub(items, "basketItem", id=item.id)
        sub(bi, "type", "track" if track else "release")
        sub(bi, "itemName", track.title if track else release.title)
        sub(bi, "artistName", cat.artists[release.artist_id].name)
        sub(bi, "trackId", item.track_id)
        sub(bi, "releaseId", item.release_id)
        price_block(bi, cur, item.price, item.rrp)
        sub(bi, "package", id=item.package_id)
        if item.discount:
            sub(sub(bi, "discount"), "type", "Voucher")
        _due(bi, cur, item.due, currency=False)
    _due(el, cur, basket.due, currency=True)
    return el


def _item_to_add(req: ApiRequest) -> tuple[Release, Track | None, int]:
    release = get_release(req)
    track = None
    if req.get("trackId"):
        track = req.catalogue.track(req.integer("trackId"))
        if track is None or track.release_id != release.id:
            raise ApiError.not_found("Track not found")
    package_id = req.integer("packageId", required=False, default=2)
    if package_id not in release.packages:
        raise ApiError.invalid("packageId", str(package_id))
    return release, track, package_id


def catalogue_price(
    cur: Currency, release: Release, track: Track | None, package_id: int = 2
) -> tuple[float, float]:
    """(price, rrp) of a release or track in ``cur``."""
    uplift = PACKAGES[package_id][2]
    if track is not None:
        uplift /= 4
        return cur.convert(track.price + uplift), cur.convert(track.rrp + uplift)
    return cur.convert(release.price + uplift), cur.convert(release.rrp + uplift)


def _add(
    basket: Basket,
    req: ApiRequest,
    release: Release,
    track: Track | None,
    package_id: int,
    price: float,
    rrp: float,
) -> None:
    track_id = track.id if track else None
    if any(
        i.release_id == release.id and i.track_id == track_id and i.package_id == package_id
        for i in basket.items
    ):
        return  # adding the same item twice leaves the basket as it is
    item = BasketItem(req.state.new_id("item"), release.id, track_id, package_id, price, rrp)
    basket.items.append(item)
    _apply_vouchers(basket)


def _apply_vouchers(basket: Basket) -> None:
    percent = max((VOUCHERS[v][1] for v in basket.vouchers), default=0)
    for item in basket.items:
        item.discount = round(item.price * percent / 100, 2)


@route("basket/create", stateful=True)
def basket_create(req: ApiRequest) -> Element:
    """A new, empty basket with a GUID id in the request's shop."""
    return basket_el(req, req.state.new_basket(req.shop.id))


@route("basket", stateful=True)
def basket_get(req: ApiRequest) -> Element:
    """The basket ``basketId``."""
    return basket_el(req, _basket(req))


@route("basket/addItem", stateful=True)
def basket_add(req: ApiRequest) -> Element:
    """Add a release (or one of its tracks) at the catalogue price."""
    basket = _open_basket(req)
    release, track, package_id = _item_to_add(req)
    price, rrp = catalogue_price(SHOPS[basket.shop_id].currency, release, track, package_id)
    _add(basket, req, release, track, package_id, price, rrp)
    return basket_el(req, basket)


@route("basket/addpriceditem", stateful=True)
def basket_add_priced(req: ApiRequest) -> Element:
    """Add an item at a partner-chosen ``price`` (2-legged)."""
    basket = _open_basket(req)
    release, track, package_id = _item_to_add(req)
    _, rrp = catalogue_price(SHOPS[basket.shop_id].currency, release, track, package_id)
    _add(basket, req, release, track, package_id, _price_param(req, "price"), rrp)
    return basket_el(req, basket)


@route("basket/removeItem", stateful=True)
def basket_remove(req: ApiRequest) -> Element:
    """Remove the basket item ``itemId``."""
    basket = _open_basket(req)
    item_id = req.integer("itemId")
    if not any(i.id == item_id for i in basket.items):
        raise ApiError.not_found("Basket item not found")
    basket.items = [i for i in basket.items if i.id != item_id]
    return basket_el(req, basket)


@route("basket/applyVoucher", "POST", stateful=True)
def basket_voucher(req: ApiRequest) -> Element:
    """Apply a voucher code; unknown codes give 3012 (message as the live API words it)."""
    basket = _open_basket(req)
    code = req.require("voucherCode").upper()
    if code not in VOUCHERS:
        raise ApiError(3012, f"Value of parameter releaseId is not valid: {code}")
    if code not in basket.vouchers:
        basket.vouchers.append(code)
    _apply_vouchers(basket)
    return basket_el(req, basket)


@route("basket/paypalurl", stateful=True)
def basket_paypal(req: ApiRequest) -> Element:
    """``expressCheckout/url``: the (fake) PayPal approval page on this server."""
    basket = _open_basket(req)
    if not basket.items:
        raise ApiError(2002, "Basket is empty")
    basket.paypal_token = f"EC-{secrets.token_hex(8).upper()}"
    basket.paypal_urls = (req.require("successUrl"), req.require("cancelUrl"))
    el = Element("expressCheckout")
    sub(el, "url", f"{req.origin}/paypal/checkout?{urlencode({'token': basket.paypal_token})}")
    return el


@route("basket/{basketId}/status", stateful=True)
def basket_status(req: ApiRequest) -> list[Element]:
    """``paymentStatus`` Success (then ``purchaseId``) once the basket is paid, else Failure."""
    basket = _basket(req, req.path_id or "")
    status = Element("paymentStatus")
    if basket.purchase_id is None:
        status.text = "Failure"
        return [status]
    status.text = "Success"
    purchase = Element("purchaseId")
    purchase.text = str(basket.purchase_id)
    return [status, purchase]


@route("basket/completepaypalpurchase", "POST", stateful=True)
def basket_complete_paypal(req: ApiRequest) -> Element:
    """Pay a basket with an approved PayPal token: ``<purchase id=".."/>``."""
    user, basket = req.user(), _open_basket(req)
    token = req.require("token")
    if basket.paypal_token is None or not secrets.compare_digest(basket.paypal_token, token):
        raise ApiError(3003, "Payment failed: PayPal token is not valid for this basket")
    record = _record(
        req, user, "paypal", _basket_items(req, basket), basket.due, basket_id=basket.id
    )
    basket.purchase_id = record.id
    return Element("purchase", id=str(record.id))


# -- purchases ------------------------------------------------------------------------------
def _price_param(req: ApiRequest, name: str) -> float:
    value = req.require(name)
    try:
        price = float(value)
    except ValueError:
        raise ApiError.invalid(name, value) from None
    if not 0 <= price < 10_000 or price != price:
        raise ApiError.invalid(name, value)
    return round(price, 2)


def _charge(req: ApiRequest, user: User, amount: float) -> int | None:
    """Charge the user's default card (nothing to charge: no card needed)."""
    if amount <= 0:
        return None
    card = req.state.default_card(user.id)
    if card is None:
        raise ApiError(3002, "User has no card details")
    if card_expired(card.expiry, req.now):
        raise ApiError(3001, "User card has expired")
    if card.number == DECLINED_ON_CHARGE:
        raise ApiError(3101, "Payment declined")
    return card.id


def _basket_items(req: ApiRequest, basket: Basket) -> list[tuple[Release, Track | None]]:
    cat = req.catalogue
    return [
        (cat.releases[i.release_id], cat.track(i.track_id) if i.track_id else None)
        for i in basket.items
    ]


def _record(
    req: ApiRequest,
    user: User,
    kind: str,
    items: list[tuple[Release, Track | None]],
    amount: float,
    *,
    basket_id: str | None = None,
    transaction_id: str | None = None,
) -> PurchaseRecord:
    """Charge (where money is due), fill the locker and append to the ledger."""
    card_id = (
        None if kind in ("paypal", "deliveritem", "trackownership") else _charge(req, user, amount)
    )
    purchase_id = req.state.new_id("purchase")
    when = dt.datetime.fromtimestamp(req.now, dt.timezone.utc).replace(microsecond=0)
    entries = [
        LockerEntry(user.id, release.id, t.id, purchase_id, when, track is None)
        for release, track in items
        for t in ([track] if track else req.catalogue.tracks_of(release))
    ]
    record = PurchaseRecord(
        id=purchase_id,
        user_id=user.id,
        kind=kind,
        time=req.now,
        amount=amount,
        currency=req.shop.currency.code,
        items=tuple((r.id, t.id if t else None) for r, t in items),
        basket_id=basket_id,
        card_id=card_id,
        transaction_id=transaction_id,
    )
    req.state.record_purchase(record, entries)
    return record


def _purchase_el(req: ApiRequest, record: PurchaseRecord) -> Element:
    el = Element("purchase", id=str(record.id))
    sub(el, "purchaseDate", iso(dt.datetime.fromtimestamp(record.time, dt.timezone.utc)))
    entries = [e for e in req.state.locker(record.user_id) if e.purchase_id == record.id]
    groups = _group(req, entries)
    req.render.locker_releases(
        el, groups, page=1, page_size=max(10, len(groups)), total=len(groups), purchase=True
    )
    return el


@route("user/purchase/basket", stateful=True)
def purchase_basket(req: ApiRequest) -> Element:
    """Pay a basket with the default card; a basket can be bought once (2003 after that)."""
    user, basket = req.user(), _open_basket(req)
    if not basket.items:
        raise ApiError(2002, "Basket is empty")
    record = _record(
        req, user, "basket", _basket_items(req, basket), basket.due, basket_id=basket.id
    )
    basket.purchase_id = record.id
    return _purchase_el(req, record)


@route("user/purchase/prepare", stateful=True)
def purchase_prepare(req: ApiRequest) -> Element:
    """A payment token for the basket; ``autoFulfilled`` when nothing is left to pay."""
    req.user()
    basket = _open_basket(req)
    if not basket.items:
        raise ApiError(2002, "Basket is empty")
    basket.payment_token = f"{secrets.randbelow(10**10):010d}-{secrets.token_hex(16).upper()}"
    el = Element(
        "preparePayment",
        paymentToken=basket.payment_token,
        autoFulfilled="True" if basket.due == 0 else "False",
    )
    sub(el, "preparePaymentDate", iso(dt.datetime.fromtimestamp(req.now, dt.timezone.utc)))
    return el


def _single_item(req: ApiRequest) -> tuple[Release, Track | None, float, float]:
    release, track, _ = _item_to_add(req)
    price, rrp = catalogue_price(req.shop.currency, release, track)
    return release, track, price, rrp


@route("user/purchase/item", stateful=True)
def purchase_item(req: ApiRequest) -> Element:
    """Buy one item at the shop price; ``price`` must match it (3004)."""
    release, track, price, _ = _single_item(req)
    if _price_param(req, "price") != price:
        raise ApiError(3004, f"Price supplied does not match the current price ({price:.2f})")
    return _purchase_el(req, _record(req, req.user(), "item", [(release, track)], price))


@route("user/purchase/rrpitem", stateful=True)
def purchase_rrp_item(req: ApiRequest) -> Element:
    """Buy one item at its recommended retail price (``price``, if sent, must match)."""
    release, track, _, rrp = _single_item(req)
    if req.get("price") and _price_param(req, "price") != rrp:
        raise ApiError(3004, f"Price supplied does not match the current price ({rrp:.2f})")
    return _purchase_el(req, _record(req, req.user(), "rrpitem", [(release, track)], rrp))


@route("user/purchase/priceditem", stateful=True)
def purchase_priced_item(req: ApiRequest) -> Element:
    """Buy one item at a partner-chosen ``price``."""
    release, track, _, _ = _single_item(req)
    price = _price_param(req, "price")
    return _purchase_el(req, _record(req, req.user(), "priceditem", [(release, track)], price))


@route("user/deliveritem", stateful=True)
def deliver_item(req: ApiRequest) -> Element:
    """Put an item paid elsewhere into the locker (a ``transactionId`` is delivered once)."""
    user = req.user()
    release, track, _, _ = _single_item(req)
    transaction = req.get("transactionId")
    if transaction and not req.state.mark_delivered(user.id, transaction):
        raise ApiError(2003, f"Transaction already delivered: {transaction}")
    amount = _price_param(req, "retailPrice") if req.get("retailPrice") else 0.0
    record = _record(
        req, user, "deliveritem", [(release, track)], amount, transaction_id=transaction
    )
    return _purchase_el(req, record)


@route("trackownership/user/{id}", "POST", stateful=True)
def track_ownership(req: ApiRequest) -> Element:
    """Partner call: put a release or track the user bought elsewhere into their locker."""
    _require_user_management(req)
    user = req.user_by_id(req.path_id or "")
    release, track, _, _ = _single_item(req)
    transaction = req.get("transactionId")
    if transaction and not req.state.mark_delivered(user.id, transaction):
        raise ApiError(2003, f"Transaction already delivered: {transaction}")
    record = _record(
        req, user, "trackownership", [(release, track)], 0.0, transaction_id=transaction
    )
    el = Element("trackOwnership", userId=str(user.id))
    sub(el, "releaseId", release.id)
    if track is not None:
        sub(el, "trackId", track.id)
    sub(el, "purchaseId", record.id)
    return el


# -- locker ---------------------------------------------------------------------------------
def _group(
    req: ApiRequest, entries: Iterable[LockerEntry]
) -> list[tuple[Release, list[LockerLine]]]:
    """Locker entries grouped by release (first purchase of each track wins)."""
    cat = req.catalogue
    groups: dict[int, dict[int, LockerLine]] = {}
    for e in entries:
        lines = groups.setdefault(e.release_id, {})
        if e.track_id not in lines:
            track = cat.track(e.track_id)
            assert track is not None
            lines[e.track_id] = LockerLine(track, e.purchase_id, e.purchase_date, e.complete_album)
    return [
        (cat.releases[rid], sorted(lines.values(), key=lambda line: line.track.number))
        for rid, lines in groups.items()
    ]


@route("user/locker", stateful=True)
def locker(req: ApiRequest) -> Element:
    """The user's ``locker`` (paging counts releases), sorted and filtered."""
    user = req.user()
    sort = (req.get("sort") or "purchaseDate desc").replace("+", " ").split()
    field_name = sort[0].lower() if sort else ""
    direction = sort[1].lower() if len(sort) > 1 else "desc"
    if field_name not in _SORT_FIELDS or direction not in ("asc", "desc") or len(sort) > 2:
        raise ApiError.bad_enum(
            "sort",
            req.get("sort") or "",
            ("purchaseDate asc|desc", "artistName asc|desc", "releaseTitle asc|desc"),
        )
    page, size = req.paging()
    entries = req.state.locker(user.id)
    if req.get("releaseId"):
        release_id = req.integer("releaseId")
        entries = [e for e in entries if e.release_id == release_id]
    if req.get("trackId"):
        track_id = req.integer("trackId")
        entries = [e for e in entries if e.track_id == track_id]
    if req.get("purchaseId"):
        purchase_id = req.integer("purchaseId")
        entries = [e for e in entries if e.purchase_id == purchase_id]
    groups = _group(req, entries)
    cat = req.catalogue
    keys = {
        "purchasedate": lambda g: max(line.purchase_date for line in g[1]),
        "artistname": lambda g: cat.artists[g[0].artist_id].sort_name.casefold(),
        "releasetitle": lambda g: g[0].title.casefold(),
    }
    groups.sort(key=lambda g: g[0].id)
    groups.sort(key=keys[field_name], reverse=direction == "desc")
    el = Element("locker")
    req.render.locker_releases(
        el, groups[(page - 1) * size : page * size], page=page, page_size=size, total=len(groups)
    )
    return el


# -- cards ------------------------------------------------------------------------------------
def _card_el(
    parent: Element | None,
    card: Card,
    *,
    default: bool | None,
    tag: str = "card",
    holder_tag: str | None = "cardHolderName",
) -> Element:
    el = Element(tag, id=str(card.id)) if parent is None else sub(parent, tag, id=card.id)
    sub(el, "type", card.type)
    sub(el, "last4digits", card.last4)
    if default is not None:
        sub(el, "default", default)
    if holder_tag:
        sub(el, holder_tag, card.holder)
        sub(el, "expiryDate", card.expiry)
    return el


def _user_card(req: ApiRequest, user: User) -> Card:
    card_id = req.integer("cardId")
    card = req.state.card(card_id)
    if card is None or card.user_id != user.id:
        raise ApiError.not_found("Card not found")
    return card


@route("user/payment/card", stateful=True)
def cards(req: ApiRequest) -> Element:
    """The user's ``cards``."""
    user = req.user()
    default = req.state.default_card(user.id)
    el = Element("cards")
    for card in req.state.cards_of(user.id):
        _card_el(el, card, default=card is default)
    return el


@route("user/payment/card/select", "POST", stateful=True)
def card_select(req: ApiRequest) -> None:
    """Make a card the default (empty ok envelope)."""
    user = req.user()
    req.state.select_card(_user_card(req, user))


@route("user/payment/card/delete", "POST", stateful=True)
def card_delete(req: ApiRequest) -> None:
    """Delete a card (empty ok envelope); deleting the default leaves no default."""
    user = req.user()
    req.state.delete_card(_user_card(req, user))


@route("user/payment/card/add", "POST", stateful=True)
def card_add(req: ApiRequest) -> Element:
    """Store a card directly (1002 "Adding card failed" for an invalid or declined number)."""
    user = req.user()
    card_type = req.enum("cardType", _CARD_TYPES, "visa").upper()
    number = req.require("cardNumber").replace(" ", "")
    expiry = req.require("cardExpiryDate")
    holder = req.get("cardHolderName") or ""
    if card_problem(number, expiry, holder, req.now) is not None:
        raise ApiError(1002, "Adding card failed")
    card = req.state.store_card(user.id, card_type, number, holder, expiry)
    default = req.state.default_card(user.id) is card
    return _card_el(None, card, default=default, holder_tag=None)


@route("user/payment/cardregistration", "POST", stateful=True)
def card_registration(req: ApiRequest) -> Element:
    """Start a hosted-form registration: ``cardRegistration status="pending"``."""
    user = req.user()
    registration = req.state.new_registration(user.id, req.require("redirectUrl"))
    return _registration_el(req, registration)


@route("user/payment/cardregistration/{id}", stateful=True)
def card_registration_status(req: ApiRequest) -> Element:
    """A registration's status: pending, complete (with the card) or error (nested error)."""
    user = req.user()
    registration = req.state.registration(req.path_id or "")
    if registration is None or registration.user_id != user.id:
        raise ApiError.not_found("Card registration not found")
    return _registration_el(req, registration)


def _registration_el(req: ApiRequest, registration: CardRegistration) -> Element:
    el = Element("cardRegistration", id=registration.id, status=registration.status)
    if registration.status == "pending":
        sub(el, "redirectUrl", registration.redirect_url)
    elif registration.status == "complete" and registration.card_id is not None:
        card = req.state.card(registration.card_id)
        if card is not None:
            _card_el(el, card, default=None, holder_tag="cardholderName")
    elif registration.status == "error":
        sub(sub(el, "error", code=registration.error_code), "errorMessage", registration.error)
    return el
