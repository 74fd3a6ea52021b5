"""Walk the whole endpoint table against the in-process sandbox.

Every row is called with its required parameters (ids the sandbox knows, found
through search/details replies; user-side calls with Alice's access token from
the real token flow) and must answer ``status="ok"``. Every paged row is then
iterated to its end through ``Client.items`` (small pages, and a limit where
the list is long, to keep the run fast).

``EXAMPLES`` must cover the table exactly, so a new row fails here until it
gets an example.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import py7D
from py7D._endpoints import ENDPOINTS, Endpoint
from table_support import ALICE_EMAIL, ALICE_ID, ALICE_PASSWORD

pytestmark = pytest.mark.usefixtures("_fresh_warnings")


@dataclass
class Ctx:
    """Ids the examples need, looked up from the sandbox's own replies."""

    client: py7D.Client
    box: Any
    token: py7D.Token
    cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self.cache:
            self.cache[name] = make()
        return self.cache[name]

    @property
    def artist_id(self) -> str:
        def find() -> str:
            hits = self.client.artist.search(q="pink floyd", normalize=True).data
            return str(hits["searchResult"][0]["artist"]["@id"])

        return str(self._once("artist", find))

    @property
    def release(self) -> dict[str, Any]:
        def find() -> dict[str, Any]:
            releases = self.client.artist.releases(artist_id=self.artist_id, normalize=True)
            release_id = releases.data["release"][0]["@id"]
            details = self.client.release.details(release_id=release_id).data
            return dict(details)

        result: dict[str, Any] = self._once("release", find)
        return result

    @property
    def release_id(self) -> str:
        return str(self.release["@id"])

    @property
    def track_id(self) -> str:
        def find() -> str:
            tracks = self.client.release.tracks(release_id=self.release_id, normalize=True)
            return str(tracks.data["track"][0]["@id"])

        return str(self._once("track", find))

    @property
    def track_price(self) -> str:
        def find() -> str:
            track = self.client.track.details(track_id=self.track_id).data
            return str(track["price"]["value"])

        return str(self._once("track_price", find))

    def basket(self, *, with_item: bool = True) -> str:
        basket_id = str(self.client.basket.create().data["@id"])
        if with_item:
            self.client.basket.add_item(basket_id=basket_id, release_id=self.release_id)
        return basket_id

    def basket_item_id(self, basket_id: str) -> str:
        data = self.client.basket.get(basket_id=basket_id, normalize=True).data
        return str(data["basketItems"]["basketItem"][0]["@id"])

    def paypal_token(self, basket_id: str) -> str:
        reply = self.client.basket.paypal_url(
            basket_id=basket_id,
            success_url="https://shop.test/ok",
            cancel_url="https://shop.test/no",
        )
        url = httpx.URL(reply.data["url"])
        # The user presses "Pay with PayPal" on the sandbox's PayPal page.
        self.client._http.post(url, data={"decision": "approve"}).read()
        return str(url.params["token"])

    def card_id(self) -> str:
        cards = self.client.user.payment_card(access_token=self.token, normalize=True).data
        return str(cards["card"][0]["@id"])

    def registration_id(self) -> str:
        reply = self.client.user.payment_card_registration(
            redirect_url="https://shop.test/card", access_token=self.token
        )
        registration = str(reply.data["@id"])
        self.box.complete_card_registration(registration)
        return registration

    def request_token(self) -> py7D.Token:
        return py7D.get_request_token(self.client)


Example = Callable[[Ctx], dict[str, Any]]

# (path, verb) -> the keyword arguments of client.request for that row.
EXAMPLES: dict[tuple[str, str], Example] = {
    ("release/byDate", "GET"): lambda c: {"fromDate": "20000101", "toDate": "20201231"},
    ("release/details", "GET"): lambda c: {"releaseId": c.release_id},
    ("release/editorial", "GET"): lambda c: {"releaseId": c.release_id},
    ("release/chart", "GET"): lambda c: {"period": "week"},
    ("release/recommend", "GET"): lambda c: {"releaseId": c.release_id},
    ("release/search", "GET"): lambda c: {"q": "wall"},
    ("release/tracks", "GET"): lambda c: {"releaseId": c.release_id},
    ("release/tags", "GET"): lambda c: {"releaseId": c.release_id},
    ("release/match/byId", "GET"): lambda c: {"sevenDigitalIds": c.release_id},
    ("release/bytag/new", "GET"): lambda c: {"tags": "rock"},
    ("release/bytag/top", "GET"): lambda c: {"tags": ["rock", "pop"]},
    ("artist/browse", "GET"): lambda c: {"letter": "p"},
    ("artist/chart", "GET"): lambda c: {},
    ("artist/details", "GET"): lambda c: {"artistId": c.artist_id},
    ("artist/releases", "GET"): lambda c: {"artistId": c.artist_id},
    ("artist/similar", "GET"): lambda c: {"artistId": c.artist_id},
    ("artist/search", "GET"): lambda c: {"q": "pink"},
    ("artist/topTracks", "GET"): lambda c: {"artistId": c.artist_id},
    ("artist/tags", "GET"): lambda c: {"artistId": c.artist_id},
    ("artist/match/byId", "GET"): lambda c: {"sevenDigitalIds": c.artist_id},
    ("artist/bytag/top", "GET"): lambda c: {"tags": "rock"},
    ("artist/recommend", "GET"): lambda c: {"artistId": c.artist_id},
    ("track/chart", "GET"): lambda c: {"period": "month"},
    ("track/details", "GET"): lambda c: {"trackId": c.track_id},
    ("track/search", "GET"): lambda c: {"q": "money"},
    ("track/match/byId", "GET"): lambda c: {"sevenDigitalIds": c.track_id},
    ("tag", "GET"): lambda c: {},
    ("basket", "GET"): lambda c: {"basketId": c.basket()},
    ("basket/addItem", "GET"): lambda c: {
        "basketId": c.basket(with_item=False),
        "releaseId": c.release_id,
        "trackId": c.track_id,
    },
    ("basket/removeItem", "GET"): lambda c: _remove_item(c),
    ("basket/create", "GET"): lambda c: {},
    ("basket/applyVoucher", "POST"): lambda c: {
        "basketId": c.basket(),
        "voucherCode": "SANDBOX-HALF",
    },
    ("basket/addpriceditem", "GET"): lambda c: {
        "basketId": c.basket(with_item=False),
        "releaseId": c.release_id,
        "price": "0.50",
    },
    ("basket/paypalurl", "GET"): lambda c: {
        "basketId": c.basket(),
        "successUrl": "https://shop.test/ok",
        "cancelUrl": "https://shop.test/no",
    },
    ("basket/completepaypalpurchase", "POST"): lambda c: _paypal(c),
    ("basket/{basketId}/status", "GET"): lambda c: {"basketId": c.basket()},
    ("user/unlimitedStreaming", "GET"): lambda c: {"access_token": c.token},
    ("user/unlimitedStreaming", "POST"): lambda c: {
        "userId": ALICE_ID,
        "status": "active",
        "expiryDate": "20301231",
    },
    ("user/locker", "GET"): lambda c: {"access_token": c.token},
    ("user/purchase/item", "GET"): lambda c: {
        "access_token": c.token,
        "releaseId": c.release_id,
        "trackId": c.track_id,
        "price": c.track_price,
    },
    ("user/purchase/rrpitem", "GET"): lambda c: {
        "access_token": c.token,
        "releaseId": c.release_id,
        "trackId": c.track_id,
    },
    ("user/purchase/basket", "GET"): lambda c: {
        "access_token": c.token,
        "basketId": c.basket(),
    },
    ("user/purchase/priceditem", "GET"): lambda c: {
        "access_token": c.token,
        "releaseId": c.release_id,
        "trackId": c.track_id,
        "price": "0.10",
    },
    ("user/payment/card", "GET"): lambda c: {"access_token": c.token},
    ("user/payment/card/select", "POST"): lambda c: {
        "access_token": c.token,
        "cardId": c.card_id(),
    },
    ("user/payment/card/delete", "POST"): lambda c: {
        "access_token": c.token,
        "cardId": c.card_id(),
    },
    ("user/payment/cardregistration", "POST"): lambda c: {
        "access_token": c.token,
        "redirectUrl": "https://shop.test/card",
    },
    ("user/payment/cardregistration/{id}", "GET"): lambda c: {
        "access_token": c.token,
        "id": c.registration_id(),
    },
    ("user/purchase/prepare", "GET"): lambda c: {
        "access_token": c.token,
        "basketId": c.basket(),
    },
    ("trackownership/user/{id}", "POST"): lambda c: {
        "id": ALICE_ID,
        "releaseId": c.release_id,
        "transactionId": "owned-elsewhere-1",
    },
    ("user/deliveritem", "GET"): lambda c: {
        "access_token": c.token,
        "releaseId": c.release_id,
        "transactionId": "walk-1",
    },
    ("user/signup", "POST"): lambda c: {
        "emailAddress": "walker@example.com",
        "password": "walker-password",
    },
    ("user/create", "GET"): lambda c: {"userId": "partner-42", "emailAddress": "p42@example.com"},
    ("user/details", "GET"): lambda c: {"userId": ALICE_ID},
    ("user/authenticate", "POST"): lambda c: {
        "emailAddress": ALICE_EMAIL,
        "password": ALICE_PASSWORD,
    },
    ("users", "GET"): lambda c: {"emailAddress": ALICE_EMAIL},
    ("users/{id}/update", "PUT"): lambda c: {
        "access_token": c.token,
        "id": ALICE_ID,
        "emailAddress": "alice2@example.com",
    },
    ("countries", "GET"): lambda c: {},
    ("translations", "GET"): lambda c: {},
    ("country/resolve", "GET"): lambda c: {"ipaddress": "81.2.69.142"},
    ("editorial/list", "GET"): lambda c: {"key": "tabAlbums"},
    ("merchandising/list/details", "GET"): lambda c: {"key": "hmv1"},
    ("catalogue/artist-byurl", "GET"): lambda c: {"artistSlug": "pink-floyd"},
    ("catalogue/release-byurl", "GET"): lambda c: {
        "artistSlug": c.release["artist"]["slug"],
        "releaseSlug": c.release["slug"],
    },
    ("payment/card/type", "GET"): lambda c: {},
    ("payment/voucher/details", "GET"): lambda c: {"voucherCode": "SANDBOX-FREE"},
    ("status", "GET"): lambda c: {},
    ("track/preview", "GET"): lambda c: {"trackId": c.track_id, "redirect": False},
    ("release/details/batch", "GET"): lambda c: {"releaseIds": [c.release_id, c.release_id]},
    ("track/details/batch", "GET"): lambda c: {"trackIds": [c.track_id]},
    ("tag/related", "GET"): lambda c: {"tags": "rock"},
    ("country/georestrictions/checkout", "GET"): lambda c: {"ipaddress": "81.2.69.142"},
    ("user/payment/card/add", "POST"): lambda c: {
        "access_token": c.token,
        "cardNumber": "4111111111111111",
        "cardType": "VISA",
        "cardHolderName": "Alice Example",
        "cardExpiryDate": "203012",
    },
    ("oauth/requestToken", "GET"): lambda c: {},
    ("oauth/requestToken/authorise", "GET"): lambda c: {
        "username": ALICE_EMAIL,
        "password": ALICE_PASSWORD,
        "token": c.request_token().key,
    },
    ("oauth/accessToken", "GET"): lambda c: _access_token(c),
}


def _remove_item(c: Ctx) -> dict[str, Any]:
    basket_id = c.basket()
    return {"basketId": basket_id, "itemId": c.basket_item_id(basket_id)}


def _paypal(c: Ctx) -> dict[str, Any]:
    basket_id = c.basket()
    return {"access_token": c.token, "basketId": basket_id, "token": c.paypal_token(basket_id)}


def _access_token(c: Ctx) -> dict[str, Any]:
    request_token = c.request_token()
    py7D.authorise_request_token(c.client, request_token, ALICE_EMAIL, ALICE_PASSWORD)
    return {"access_token": request_token}


def _key(ep: Endpoint) -> tuple[str, str]:
    return (ep.path, ep.method)


def test_examples_cover_the_table_exactly() -> None:
    assert set(EXAMPLES) == {_key(ep) for ep in ENDPOINTS}


def _call(client: py7D.Client, ep: Endpoint, params: dict[str, Any], **extra: Any) -> py7D.Result:
    token = params.pop("access_token", None)
    return client.request(
        ep.path, params=params, access_token=token, http_method=ep.method, **extra
    )


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda ep: f"{ep.method} {ep.path}")
def test_every_endpoint_answers_ok(
    ep: Endpoint, client: py7D.Client, box: Any, alice: py7D.Token
) -> None:
    ctx = Ctx(client, box, alice)
    params = EXAMPLES[_key(ep)](ctx)
    result = _call(client, ep, params, normalize=True)
    assert result["response"]["@status"] == "ok"
    assert result.endpoint is ep
    if ep.root is not None:
        assert result.root == ep.root, f"{ep.path} answered <{result.root}>"
    # normalize=True made every repeating element of the table a list.
    for path in ep.lists:
        for value in _walk(result.data, path.split(".")):
            assert isinstance(value, list), f"{ep.path}: {path} is not a list"


def _walk(node: Any, parts: list[str]) -> list[Any]:
    """Every value found at ``parts`` below ``node`` (lists fan out)."""
    if isinstance(node, list):
        return [v for each in node for v in _walk(each, parts)]
    if not isinstance(node, dict) or parts[0] not in node:
        return []
    if len(parts) == 1:
        return [node[parts[0]]]
    return _walk(node[parts[0]], parts[1:])


PAGED = [ep for ep in ENDPOINTS if ep.paged]
PAGE_SIZE = 20
LIMIT = 100


@pytest.mark.parametrize("ep", PAGED, ids=lambda ep: ep.path)
def test_every_paged_endpoint_iterates_to_its_end(
    ep: Endpoint, client: py7D.Client, box: Any, alice: py7D.Token
) -> None:
    ctx = Ctx(client, box, alice)
    if ep.path == "user/locker":  # give Alice's locker a few releases first
        for release in client.artist.releases(artist_id=ctx.artist_id, normalize=True).data[
            "release"
        ][:3]:
            client.user.deliver_item(
                access_token=alice, release_id=release["@id"], transaction_id=release["@id"]
            )
    params = EXAMPLES[_key(ep)](ctx)
    token = params.pop("access_token", None)
    total = _call(client, ep, {**params, "access_token": token, "pageSize": 1}).page_info
    assert total is not None, f"{ep.path} carries no paging numbers"
    expected = min(total.total_items, LIMIT)

    requests = 0
    real_request = client.request

    def counting(*args: Any, **kwargs: Any) -> py7D.Result:
        nonlocal requests
        requests += 1
        return real_request(*args, **kwargs)

    client.request = counting  # type: ignore[method-assign]
    items = list(
        client.items(
            ep.path, params={**params, "pageSize": PAGE_SIZE}, access_token=token, limit=LIMIT
        )
    )
    assert len(items) == expected
    assert all(isinstance(item, dict) for item in items)
    assert requests == max(1, math.ceil(expected / PAGE_SIZE))
    if ep.path == "user/locker":
        assert expected == 3
