"""The sandbox's state and the one API that reads and changes it.

:class:`SandboxState` holds every account, token, basket, card, card
registration, locker entry and purchase of one :class:`~py7D.sandbox.Sandbox`
(``sandbox.state``). The endpoint handlers, the sandbox's web pages, the pytest
plugin and your own tests all go through its methods; nothing else touches the
records' containers.

Every method takes :attr:`SandboxState.lock` (re-entrant), so each call is
atomic on its own; hold ``with state.lock:`` around several calls to make them
one step (the handlers of state-changing endpoints run with it held).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable

from ._state import (
    AccessToken,
    Basket,
    Card,
    CardRegistration,
    Consumer,
    LockerEntry,
    PurchaseRecord,
    RequestToken,
    User,
    card_problem,
)

__all__ = ["SandboxState"]


class SandboxState:
    """Accounts, API keys, tokens, baskets, cards, lockers and purchases, in memory.

    ``clock`` is the sandbox's time source (token expiry, card expiry);
    ``request_token_ttl``/``access_token_ttl`` are token lifetimes in seconds
    (``None``: access tokens never expire).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        request_token_ttl: float = 900.0,
        access_token_ttl: float | None = None,
    ) -> None:
        self.clock = clock
        self.request_token_ttl = request_token_ttl
        self.access_token_ttl = access_token_ttl
        self.lock = threading.RLock()
        self._consumers: dict[str, Consumer] = {}
        self._users: dict[int, User] = {}
        self._emails: dict[str, int] = {}
        self._request_tokens: dict[str, RequestToken] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self._baskets: dict[str, Basket] = {}
        self._cards: dict[int, Card] = {}
        self._default_card: dict[int, int] = {}
        self._registrations: dict[str, CardRegistration] = {}
        self._lockers: dict[int, list[LockerEntry]] = {}
        self._streaming: dict[int, tuple[bool, dt.date | None]] = {}
        self._delivered: set[tuple[int, str]] = set()
        self._purchases: list[PurchaseRecord] = []
        self._next_id = {"user": 1003, "card": 1, "item": 1, "purchase": 1}

    # -- pickling (``py7d --sandbox`` keeps a sandbox between commands) ----------------
    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("lock", None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def new_id(self, kind: str) -> int:
        """The next id of a ``user``, ``card``, basket ``item`` or ``purchase``."""
        with self.lock:
            value = self._next_id[kind]
            self._next_id[kind] = value + 1
            return value

    # -- API keys ----------------------------------------------------------------------
    def add_consumer(self, key: str, secret: str, *, user_management: bool = False) -> Consumer:
        """Register (or replace) an API key."""
        with self.lock:
            consumer = Consumer(key, secret, user_management)
            self._consumers[key] = consumer
            return consumer

    def consumer(self, key: str) -> Consumer | None:
        """The API key ``key``, or None."""
        return self._consumers.get(key)

    def first_consumer_key(self) -> str:
        """The key registered first (the sandbox's default key)."""
        with self.lock:
            return next(iter(self._consumers))

    # -- accounts ----------------------------------------------------------------------
    def create_user(
        self,
        email: str,
        password: str,
        *,
        user_id: int | None = None,
        partner_id: str | None = None,
        partner_consumer: str | None = None,
    ) -> User:
        """Create an account (an existing e-mail address: that account, unchanged)."""
        with self.lock:
            existing = self._emails.get(email.lower())
            if existing is not None:
                return self._users[existing]
            new_id = user_id if user_id is not None else self.new_id("user")
            user = User(new_id, email, password, partner_id, partner_consumer)
            self._users[user.id] = user
            self._emails[email.lower()] = user.id
            return user

    def user(self, user_id: int) -> User | None:
        """The account with 7digital id ``user_id``, or None."""
        return self._users.get(user_id)

    def user_id_of(self, user: str | int) -> int:
        """The id of a user given by e-mail address or id (LookupError when unknown)."""
        if isinstance(user, bool) or not isinstance(user, str | int):
            raise TypeError(f"a user is an e-mail address or a user id, not {user!r}")
        if isinstance(user, int):
            if user not in self._users:
                raise LookupError(f"no sandbox user has the id {user}")
            return user
        found = self.user_by_email(user)
        if found is None:
            raise LookupError(f"no sandbox user has the e-mail address {user!r}")
        return found.id

    def user_by_email(self, email: str) -> User | None:
        """The account with that e-mail address (any case), or None."""
        with self.lock:
            user_id = self._emails.get(email.lower())
            return None if user_id is None else self._users.get(user_id)

    def partner_user(self, consumer_key: str, partner_id: str) -> User | None:
        """The user a partner key created with ``user/create`` under its own ``userId``."""
        with self.lock:
            return next(
                (
                    u
                    for u in self._users.values()
                    if u.partner_id == partner_id and u.partner_consumer == consumer_key
                ),
                None,
            )

    def check_credentials(self, email: str, password: str) -> User | None:
        """The user with that e-mail address and password, or None."""
        user = self.user_by_email(email)
        if user is None or not secrets.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def change_email(self, user: User, email: str) -> None:
        """Give ``user`` a new e-mail address (the caller checks it is free)."""
        with self.lock:
            self._emails.pop(user.email.lower(), None)
            self._emails[email.lower()] = user.id
            user.email = email

    def streaming(self, user_id: int) -> tuple[bool, dt.date | None]:
        """``(active, expiry date)`` of the user's unlimited-streaming subscription."""
        return self._streaming.get(user_id, (False, None))

    def set_streaming(self, user_id: int, active: bool, expiry: dt.date | None) -> None:
        """Change the user's unlimited-streaming subscription."""
        with self.lock:
            self._streaming[user_id] = (active, expiry)

    # -- OAuth tokens -------------------------------------------------------------------
    def new_request_token(self, consumer_key: str, callback: str | None = None) -> RequestToken:
        """OAuth step 1: a fresh request token (long-expired ones are forgotten)."""
        with self.lock:
            horizon = self.clock() - self.request_token_ttl
            for key in [k for k, t in self._request_tokens.items() if t.expires < horizon]:
                del self._request_tokens[key]
            token = RequestToken(
                secrets.token_hex(16),
                secrets.token_hex(16),
                consumer_key,
                self.clock() + self.request_token_ttl,
                callback,
            )
            self._request_tokens[token.key] = token
            return token

    def request_token(self, key: str) -> RequestToken | None:
        """The request token ``key`` (used or not, expired or not), or None."""
        return self._request_tokens.get(key)

    def authorise_request_token(self, key: str, user_id: int) -> None:
        """Record that ``user_id`` approved request token ``key`` (KeyError: unknown)."""
        with self.lock:
            self._request_tokens[key].user_id = user_id

    def new_access_token(
        self, consumer_key: str, user_id: int, *, pair: tuple[str, str] | None = None
    ) -> AccessToken:
        """An access token of ``user_id`` for ``consumer_key`` (``pair`` fixes key and secret)."""
        with self.lock:
            key, secret = pair or (secrets.token_hex(16), secrets.token_hex(16))
            ttl = self.access_token_ttl
            expires = None if ttl is None else self.clock() + ttl
            token = AccessToken(key, secret, consumer_key, user_id, expires)
            self._access_tokens[token.key] = token
            return token

    def access_token(self, key: str) -> AccessToken | None:
        """The access token ``key`` (expired or not), or None once revoked."""
        return self._access_tokens.get(key)

    def revoke_token(self, key: str) -> bool:
        """Forget an access (or request) token; True if it existed."""
        with self.lock:
            found = self._access_tokens.pop(key, None) or self._request_tokens.pop(key, None)
            return found is not None

    # -- baskets -------------------------------------------------------------------------
    def new_basket(self, shop_id: int) -> Basket:
        """An empty basket with a fresh GUID in shop ``shop_id``."""
        with self.lock:
            basket = Basket(str(uuid.uuid4()), shop_id)
            self._baskets[basket.id] = basket
            return basket

    def basket(self, basket_id: str) -> Basket | None:
        """The basket ``basket_id`` (any case), or None."""
        return self._baskets.get(basket_id.lower())

    def basket_by_paypal_token(self, token: str) -> Basket | None:
        """The basket a PayPal approval token was issued for, or None."""
        with self.lock:
            return next((b for b in self._baskets.values() if b.paypal_token == token), None)

    # -- cards ---------------------------------------------------------------------------
    def store_card(
        self, user_id: int, card_type: str, number: str, holder: str, expiry: str
    ) -> Card:
        """Store a card (the user's first card becomes the default)."""
        with self.lock:
            card = Card(self.new_id("card"), user_id, card_type, number, holder, expiry)
            self._cards[card.id] = card
            self._default_card.setdefault(user_id, card.id)
            return card

    def card(self, card_id: int) -> Card | None:
        """The stored card ``card_id``, or None."""
        return self._cards.get(card_id)

    def cards_of(self, user_id: int) -> list[Card]:
        """The user's cards, oldest first."""
        with self.lock:
            return sorted((c for c in self._cards.values() if c.user_id == user_id), key=_by_id)

    def default_card(self, user_id: int) -> Card | None:
        """The card purchases are charged to, or None."""
        with self.lock:
            card_id = self._default_card.get(user_id)
            return None if card_id is None else self._cards.get(card_id)

    def select_card(self, card: Card) -> None:
        """Make ``card`` its owner's default."""
        with self.lock:
            self._default_card[card.user_id] = card.id

    def delete_card(self, card: Card) -> None:
        """Delete ``card``; deleting the default leaves the user without one."""
        with self.lock:
            self._cards.pop(card.id, None)
            if self._default_card.get(card.user_id) == card.id:
                del self._default_card[card.user_id]

    def new_registration(self, user_id: int, redirect_url: str) -> CardRegistration:
        """A pending hosted-form card registration."""
        with self.lock:
            registration = CardRegistration(str(uuid.uuid4()), user_id, redirect_url)
            self._registrations[registration.id] = registration
            return registration

    def registration(self, registration_id: str) -> CardRegistration | None:
        """The card registration ``registration_id``, or None."""
        return self._registrations.get(registration_id)

    def complete_registration(
        self, registration_id: str, number: str, card_type: str, holder: str, expiry: str
    ) -> CardRegistration:
        """Finish a registration as the card form does: complete with a card, or error."""
        with self.lock:
            registration = self._registrations[registration_id]
            problem = card_problem(number, expiry, holder, self.clock())
            if problem is not None:
                registration.status = "error"
                registration.error_code, registration.error = problem
            else:
                card = self.store_card(
                    registration.user_id, card_type.upper(), number, holder, expiry
                )
                registration.status, registration.card_id = "complete", card.id
            return registration

    # -- lockers and purchases -------------------------------------------------------------
    def record_purchase(self, record: PurchaseRecord, entries: Iterable[LockerEntry]) -> None:
        """Append a purchase to the ledger and its tracks to the buyer's locker."""
        with self.lock:
            self._lockers.setdefault(record.user_id, []).extend(entries)
            self._purchases.append(record)

    def add_to_locker(self, entries: Iterable[LockerEntry]) -> None:
        """Put owned tracks into their users' lockers without a ledger entry (purchases
        made before the sandbox's records begin, such as the seeded locker)."""
        with self.lock:
            for entry in entries:
                self._lockers.setdefault(entry.user_id, []).append(entry)

    def locker(self, user_id: int) -> list[LockerEntry]:
        """The user's owned tracks, in the order they were bought."""
        with self.lock:
            return list(self._lockers.get(user_id, ()))

    def locker_has_purchase(self, purchase_id: int) -> bool:
        """Whether any locker holds tracks of purchase ``purchase_id``."""
        with self.lock:
            return any(
                e.purchase_id == purchase_id for entries in self._lockers.values() for e in entries
            )

    def owns(self, user_id: int, track_id: int) -> bool:
        """Whether the track is in the user's locker."""
        with self.lock:
            return any(e.track_id == track_id for e in self._lockers.get(user_id, ()))

    @property
    def purchases(self) -> list[PurchaseRecord]:
        """A copy of the ledger of everything charged or delivered, oldest first."""
        with self.lock:
            return list(self._purchases)

    def purchase(self, purchase_id: int) -> PurchaseRecord | None:
        """The purchase ``purchase_id``, or None."""
        with self.lock:
            return next((p for p in self._purchases if p.id == purchase_id), None)

    def mark_delivered(self, user_id: int, transaction_id: str) -> bool:
        """Note a partner's delivered transaction; False if it was delivered before."""
        with self.lock:
            if (user_id, transaction_id) in self._delivered:
                return False
            self._delivered.add((user_id, transaction_id))
            return True


def _by_id(card: Card) -> int:
    return card.id
