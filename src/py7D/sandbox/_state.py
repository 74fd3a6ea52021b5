"""The sandbox's in-memory records: consumers, users, tokens, baskets, cards, lockers, purchases.

Plain dataclasses; the :class:`~py7D.sandbox.Sandbox` owns them and guards
every change with its lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = [
    "DECLINED_CARDS",
    "AccessToken",
    "Basket",
    "BasketItem",
    "Card",
    "CardRegistration",
    "Consumer",
    "LockerEntry",
    "PurchaseRecord",
    "RequestToken",
    "User",
    "card_expired",
    "card_problem",
]

# Card numbers that pass the Luhn check but are refused when stored (as the
# recorded user/payment/card/add reply for 4012888888881881 shows).
DECLINED_CARDS = frozenset({"4012888888881881"})
# A stored card that is declined when charged (error 3101).
DECLINED_ON_CHARGE = "4000000000000002"


def luhn_ok(number: str) -> bool:
    """Whether ``number`` is 12-19 digits with a valid Luhn check digit."""
    if not number.isdecimal() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_problem(number: str, expiry: str, holder: str, now: float) -> tuple[int, str] | None:
    """Why a card cannot be stored: 7digital's ``(error code, message)``, or None.

    1002 for a field that is not valid; 3103 when the payment provider declines it.
    """
    if not luhn_ok(number):
        return 1002, "Value of parameter CardNumber is not valid"
    if len(expiry) != 6 or not expiry.isdecimal() or not 1 <= int(expiry[4:]) <= 12:
        return 1002, "Value of parameter ExpiryDate is not valid"
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    if int(expiry) < today.year * 100 + today.month:
        return 1002, "Value of parameter ExpiryDate is not valid: ExpiryDate cannot be in the past"
    if not holder.strip():
        return 1002, "CardHolderName is not valid"
    if number in DECLINED_CARDS:
        return 3103, "Add card failed: Please try again"
    return None


def card_expired(expiry: str, now: float) -> bool:
    """Whether a stored card's ``yyyyMM`` expiry month is over."""
    today = dt.datetime.fromtimestamp(now, dt.timezone.utc)
    return expiry.isdecimal() and int(expiry) < today.year * 100 + today.month


@dataclass
class Consumer:
    """An API key: its secret and whether it may manage users (``userId=`` calls)."""

    key: str
    secret: str
    user_management: bool = False
    window: int = -1
    used: int = 0


@dataclass
class User:
    """A 7digital account (``partner_id`` is set for partner-managed users)."""

    id: int
    email: str
    password: str
    partner_id: str | None = None
    partner_consumer: str | None = None


@dataclass
class RequestToken:
    """OAuth step 1 token: expires, is authorised by a user, then exchanged once."""

    key: str
    secret: str
    consumer_key: str
    expires: float
    callback: str | None = None
    user_id: int | None = None
    used: bool = False


@dataclass
class AccessToken:
    """A user's access token for one consumer (valid until revoked, or ``expires``)."""

    key: str
    secret: str
    consumer_key: str
    user_id: int
    expires: float | None = None


@dataclass
class BasketItem:
    """One release or track in a basket; prices in the basket's currency."""

    id: int
    release_id: int
    track_id: int | None
    package_id: int
    price: float
    rrp: float
    discount: float = 0.0

    @property
    def due(self) -> float:
        """What is left to pay for the item after vouchers."""
        return round(max(0.0, self.price - self.discount), 2)


@dataclass
class Basket:
    """A basket (GUID id) in one shop; ``purchase_id`` is set once it is paid."""

    id: str
    shop_id: int
    items: list[BasketItem] = field(default_factory=list)
    vouchers: list[str] = field(default_factory=list)
    purchase_id: int | None = None
    paypal_token: str | None = None
    paypal_urls: tuple[str, str] | None = None
    payment_token: str | None = None

    @property
    def total(self) -> float:
        """Sum of item prices."""
        return round(sum(i.price for i in self.items), 2)

    @property
    def total_rrp(self) -> float:
        """Sum of item recommended retail prices."""
        return round(sum(i.rrp for i in self.items), 2)

    @property
    def due(self) -> float:
        """Amount due after vouchers."""
        return round(sum(i.due for i in self.items), 2)


@dataclass
class Card:
    """A stored payment card."""

    id: int
    user_id: int
    type: str
    number: str
    holder: str
    expiry: str  # yyyyMM
    country: str = "GB"

    @property
    def last4(self) -> str:
        """The last four digits."""
        return self.number[-4:]


@dataclass
class CardRegistration:
    """A hosted-form card registration: pending, then complete (with a card) or error."""

    id: str
    user_id: int
    redirect_url: str
    status: str = "pending"
    card_id: int | None = None
    error: str | None = None
    error_code: int = 1002


@dataclass(frozen=True)
class LockerEntry:
    """One owned track."""

    user_id: int
    release_id: int
    track_id: int
    purchase_id: int
    purchase_date: dt.datetime
    complete_album: bool


@dataclass(frozen=True)
class PurchaseRecord:
    """One entry of :attr:`Sandbox.purchases`, the ledger of everything charged or delivered.

    ``kind`` is ``basket``, ``paypal``, ``item``, ``rrpitem``, ``priceditem``,
    ``deliveritem`` or ``trackownership`` (a partner's record, nothing charged);
    ``basket_id`` is set for basket purchases and ``items`` lists
    ``(releaseId, trackId or None)``.
    """

    id: int
    user_id: int
    kind: str
    time: float
    amount: float
    currency: str
    items: tuple[tuple[int, int | None], ...]
    basket_id: str | None = None
    card_id: int | None = None
    transaction_id: str | None = None
