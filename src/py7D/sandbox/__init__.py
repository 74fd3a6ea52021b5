"""A local stand-in for 7digital's API 1.2, in-process or on a port.

In-process (tests)::

    import httpx
    from py7D.sandbox import Sandbox

    sandbox = Sandbox()
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        http.get("/1.2/artist/search", params={"q": "pink", "oauth_consumer_key": "sandbox-key"})

On a real port: ``with running() as url: ...`` (background thread, free port),
``serve()`` (foreground) or ``py7d sandbox`` / ``python -m py7D.sandbox``
(needs ``pip install 'py7D[sandbox]'`` for uvicorn).

Credentials and accounts
------------------------
* Default API key ``sandbox-key`` / secret ``sandbox-secret``
  (:data:`DEFAULT_CONSUMER_KEY`, :data:`DEFAULT_CONSUMER_SECRET`); more keys with
  :meth:`Sandbox.add_consumer` (``user_management=True`` for partner keys that
  may call ``user/create`` and 3-legged user endpoints 2-legged with ``userId=``).
* Seeded users (:data:`SEEDED_USERS`): ``alice@example.com`` / ``alice-password``
  (user id 1001, has a default VISA card ending 1111) and ``bob@example.com`` /
  ``bob-password`` (user id 1002, no card). More with ``users=`` or
  :meth:`Sandbox.add_user`. With ``seeded_locker=True`` (the default of
  ``py7d sandbox`` and ``py7d --sandbox``) alice starts with three purchases
  to download, one of them a track titled ``../../Where Are You? (Paris/Tokyo Mix)``.
* Vouchers: ``SANDBOX-FREE`` (100 % off) and ``SANDBOX-HALF`` (50 % off).
* Cards: any Luhn-valid number can be stored except ``4012888888881881``
  (refused, as in the recorded reply); ``4000000000000002`` is stored but
  declined when charged (error 3101).

Catalogue
---------
Generated from ``seed`` (3000 artists, ~9000 releases, ~70000 tracks; built
lazily in about 0.25 s). Ids: artists from 1, releases from 100001, tracks
from 1000001. Fixed artists: 1 Keane, 2 Pink Floyd, 3 Pink (P!nk), 4 Pink
Martini, 5 Sigur Rós, 6 Simon & Garfunkel, 7 Björk, with real album titles.
Prices are GBP in the GB shop (the default, shopId 34) and converted for the
other countries of ``countries``; ``ww`` prices in USD.

Errors (code, HTTP status)
--------------------------
1001 missing parameter (400) · 1002 invalid value, e.g. non-numeric id or
wrong password (400; but ``release/details`` answers any unknown id, numeric
or not, with 2001 ``No releases found with id: <id>`` as 7digital does) ·
1003 out of range, e.g. pageSize > 50 (400) · 1006 bad
enumeration value, e.g. ``period``/``sort``/``usageTypes`` (400) · 2001 unknown
id/tag/list (404) · 2002 not available here: unknown country/shopId, basket
of another shop, request token not authorised, empty basket (403) · 2003
already exists: e-mail taken, basket already purchased, transactionId
already delivered (409) · 3001/3002/3003/3101 card expired / no default card
/ PayPal token wrong / card declined (402) · 3004 price mismatch (400) · 3012
unknown voucher (400, with the live API's odd "releaseId" message) · 7001
rate limit exceeded (429 with ``Retry-After``) · 9001 internal error (500).
OAuth failures are plain text, HTTP 401: ``OAuth authentication error:
<reason>`` with reasons ``Access to resource denied`` (unknown or missing key,
or a key without user-management rights calling ``user/create``), ``Invalid
signature``, ``Unsupported signature method: <m>``, ``Timestamp out of
range`` (±300 s), ``Nonce missing``, ``Nonce already used``, ``Not authorised
- no user credentials provided``, ``Invalid token`` (unknown, revoked, other
key's, or an already exchanged request token), ``Token expired``. Unknown
paths: 404 plain text ``Resource not found``; a known path with the wrong
verb: 405 plain text with an ``Allow`` header.

Test helpers
------------
``sandbox.state`` (a :class:`SandboxState`) holds the accounts, API keys,
tokens, baskets, cards, card registrations, lockers and purchases; read and
change them through its methods (``state.user_by_email``, ``state.cards_of``,
``state.locker``, ``state.basket``, ``state.purchases`` ...), as the endpoint
handlers and the pytest plugin do.
:attr:`Sandbox.purchases` is the ledger of every charge or delivery (assert
on it to catch double purchases). :meth:`Sandbox.issue_access_token`,
:meth:`Sandbox.authorise_request_token`, :meth:`Sandbox.revoke_token` and
:meth:`Sandbox.complete_card_registration` skip the browser steps.

Deliberate deviations from the live API
---------------------------------------
* Replies are always XML; ``Accept: application/json`` is ignored.
* Ids, names and prices are generated: they do not match 7digital's catalogue
  (the recorded replies' ids, e.g. release 2432, are unknown here).
* Errors carry HTTP 4xx/5xx statuses (older live servers sent 200).
* ``oauth/requestToken`` and ``oauth/accessToken`` answer GET and POST; other
  endpoints answer only the verb in the endpoint table (HEAD counts as GET).
* ``oauth/requestToken/authorise`` is open to every key (live: partners only).
  Request tokens live 15 minutes and are single use; access tokens live until
  :meth:`Sandbox.revoke_token`, or for ``Sandbox(access_token_ttl=...)`` seconds
  (``py7d sandbox --access-token-ttl S``) to test expiry (7digital documents no
  lifetime).
* Form bodies count as parameters (and are signed) only with
  ``Content-Type: application/x-www-form-urlencoded``.
* Media, card-form, PayPal and login pages are served by the sandbox itself
  (``/clip/<id>``, ``/stream/catalogue``, ``/stream/locker``,
  ``/media/user/downloadtrack``, ``/media/user/download/release``,
  ``/media/user/download/purchase``, ``/cardregistration/<id>``,
  ``/paypal/checkout``, ``/<key>/oauth/authorise``); locker download URLs
  point at this server and need 3-legged signing. Streams take the
  streaming format ids of ``py7D._endpoints.MEDIA_FORMATS`` (26) as well as
  the download formats; downloads only the download formats. The card form
  refuses a card (registration ``status="error"``) in 7digital's words:
  ``Value of parameter CardNumber is not valid``, ``Value of parameter
  ExpiryDate is not valid[: ExpiryDate cannot be in the past]``,
  ``CardHolderName is not valid`` (1002) or, for 4012888888881881, ``Add card
  failed: Please try again`` (3103). The PayPal page asks before it approves.
  ``track/preview`` redirects to a clip URL the sandbox signs for the caller's key.
* Downloads (see ``_media_download``) are generated audio of a realistic size
  per format (MP3 320: 40 kB/s of the track's duration), streamed by range
  (``Range``, ``If-Range``, ``ETag``, ``Repr-Digest``); releases and purchases
  are stored zips; an item the user does not own is refused with 403 (2002),
  a format the locker does not offer with 404 (2001). Only MP3 320 and AAC 320
  (the standard package) are offered for download.
* Every reply element comes from real replies of that endpoint (the
  recordings, or elements most real replies carry such as
  ``taggedItem/release/download`` of ``release/bytag/*``); where recordings of
  two API generations differ, both blocks are sent (e.g. ``release/details``
  has ``url``/``price``/``formats`` and ``download/packages``; locker
  ``downloadUrl`` has ``url`` beside and inside ``format``).
* An unknown ``country``/``shopId`` is error 2002 (403); 7digital's
  documentation speaks of a plain-text 401 ``Access to resource denied``,
  which would read as an OAuth problem.
* Shapes of unconfirmed endpoints are the sandbox's own: ``user/create``
  (``user``), ``user/unlimitedStreaming`` (``unlimitedStreaming`` with
  ``userId``, ``status``, ``expiryDate``; POST takes ``status`` and
  ``expiryDate``), ``payment/voucher/details`` (``voucher@code`` with
  ``description``, ``discountPercentage``, ``valid``),
  ``oauth/requestToken/authorise`` (``oauth_request_token`` with
  ``oauth_token`` and ``status``), ``*/details/batch`` (``items``; with
  ``showErrors=true`` unknown ids appear as ``error`` elements),
  ``trackownership/user/{id}`` (POST by a partner key with
  ``releaseId``, ``trackId``, ``transactionId``; ``trackOwnership@userId``
  with ``releaseId``, ``trackId``, ``purchaseId``). ``user/purchase/prepare``
  gives a fresh ``paymentToken`` (``autoFulfilled="True"`` when nothing is
  due) and ``basket/{basketId}/status`` ``Failure`` until the basket is paid.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

from . import _api_catalogue, _api_user, _media_download, _web  # noqa: F401  (register the handlers)
from ._core import (
    DEFAULT_BASE_URL,
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    SEEDED_USERS,
    Sandbox,
)
from ._faults import FaultInjector, Faults
from ._state import PurchaseRecord
from ._store import SandboxState

if TYPE_CHECKING:
    from ._server import main, running, serve

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONSUMER_KEY",
    "DEFAULT_CONSUMER_SECRET",
    "SEEDED_USERS",
    "FaultInjector",
    "Faults",
    "PurchaseRecord",
    "Sandbox",
    "SandboxState",
    "default_sandbox",
    "handle",
    "main",
    "running",
    "serve",
]

_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The module's shared :class:`Sandbox` (created on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Sandbox()
    return _default


def __getattr__(name: str) -> object:
    # The HTTP server (and what it imports) loads on first use: in-process use never needs it.
    if name in ("main", "running", "serve"):
        from . import _server

        value = getattr(_server, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'py7D.sandbox' has no attribute {name!r}")


def handle(request: httpx.Request) -> httpx.Response:
    """Answer ``request`` with the shared default sandbox (see :func:`default_sandbox`)."""
    return default_sandbox().handle(request)
