"""Stateful flows: OAuth tokens, accounts, baskets, purchases, lockers, cards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sandbox_support import (
    ALICE,
    ALICE_PASSWORD,
    BOB,
    Clock,
    Signer,
    access_token,
    content,
    error_code,
)

from py7D.sandbox import SEEDED_USERS, Sandbox


class Api:
    """Signed calls against one sandbox, as one consumer and (optionally) one user."""

    def __init__(
        self,
        sandbox: Sandbox,
        signer: Signer,
        token: tuple[str, str] | None = None,
        key: str = "sandbox-key",
        secret: str = "sandbox-secret",
    ) -> None:
        self.sandbox, self.signer, self.token = sandbox, signer, token
        self.key, self.secret = key, secret

    def call(
        self, method: str, path: str, *, data: dict[str, Any] | None = None, **params: Any
    ) -> httpx.Response:
        request = self.signer.request(
            method,
            path,
            params or None,
            data=data,
            token=self.token,
            key=self.key,
            secret=self.secret,
        )
        return self.sandbox.handle(request)

    def ok(
        self, method: str, path: str, *, data: dict[str, Any] | None = None, **params: Any
    ) -> ET.Element:
        response = self.call(method, path, data=data, **params)
        assert response.status_code == 200, response.text
        return content(response)

    def basket(self, *items: tuple[int, int | None], **params: Any) -> str:
        basket_id = self.ok("GET", "basket/create", **params).get("id") or ""
        for release_id, track_id in items:
            extra: dict[str, Any] = {"trackId": track_id} if track_id else {}
            self.ok(
                "GET", "basket/addItem", basketId=basket_id, releaseId=release_id, **extra, **params
            )
        return basket_id


@pytest.fixture
def alice(sandbox: Sandbox, signer: Signer) -> Api:
    return Api(sandbox, signer, access_token(sandbox, ALICE))


@pytest.fixture
def bob(sandbox: Sandbox, signer: Signer) -> Api:
    return Api(sandbox, signer, access_token(sandbox, BOB))


# -- OAuth token flow -----------------------------------------------------------------------
def test_full_token_flow_with_the_login_page(
    sandbox: Sandbox, signer: Signer, clock: Clock
) -> None:
    consumer = Api(sandbox, signer)
    issued = consumer.ok("GET", "oauth/requestToken")
    assert issued.tag == "oauth_request_token"
    request_token = (
        issued.findtext("oauth_token") or "",
        issued.findtext("oauth_token_secret") or "",
    )

    with httpx.Client(transport=sandbox.transport()) as browser:
        page_url = "http://sandbox.7digital.test/sandbox-key/oauth/authorise"
        params = {"oauth_token": request_token[0], "oauth_callback": "http://app.test/done?x=1"}
        page = browser.get(page_url, params=params)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<form method="post">' in page.text
        wrong = browser.post(page_url, params=params, data={"email": ALICE, "password": "nope"})
        assert wrong.status_code == 200
        assert "Wrong e-mail address or password." in wrong.text
        # Not yet authorised: exchanging fails with 2002.
        early = Api(sandbox, signer, request_token).call("POST", "oauth/accessToken")
        assert (early.status_code, error_code(early)) == (403, 2002)
        done = browser.post(
            page_url, params=params, data={"email": ALICE, "password": ALICE_PASSWORD}
        )
        assert done.status_code == 302
        location = httpx.URL(done.headers["location"])
        assert location.host == "app.test"
        assert location.params["x"] == "1"
        assert location.params["oauth_token"] == request_token[0]
        assert location.params["status"] == "Authorised"

    exchanged = Api(sandbox, signer, request_token).call("POST", "oauth/accessToken")
    assert exchanged.status_code == 200
    assert exchanged.headers["content-type"] == "application/x-www-form-urlencoded"
    values = parse_qs(exchanged.text)
    access = (values["oauth_token"][0], values["oauth_token_secret"][0])
    locker = Api(sandbox, signer, access).call("GET", "user/locker")
    assert locker.status_code == 200
    # A request token is single use.
    again = Api(sandbox, signer, request_token).call("GET", "oauth/accessToken")
    assert again.text == "OAuth authentication error: Invalid token"


def test_programmatic_authorisation_and_xml_access_token(sandbox: Sandbox, signer: Signer) -> None:
    consumer = Api(sandbox, signer)
    issued = consumer.call("POST", "oauth/requestToken")
    assert issued.headers["content-type"] == "application/x-www-form-urlencoded"
    token = parse_qs(issued.text)
    request_token = (token["oauth_token"][0], token["oauth_token_secret"][0])
    wrong = consumer.call(
        "GET", "oauth/requestToken/authorise", username=ALICE, password="x", token=request_token[0]
    )
    assert (wrong.status_code, error_code(wrong)) == (400, 1002)
    ok = consumer.ok(
        "GET",
        "oauth/requestToken/authorise",
        username=ALICE,
        password=ALICE_PASSWORD,
        token=request_token[0],
    )
    assert ok.findtext("status") == "Authorised"
    access = Api(sandbox, signer, request_token).ok("GET", "oauth/accessToken")
    assert access.tag == "oauth_access_token"
    token_pair = (access.findtext("oauth_token") or "", access.findtext("oauth_token_secret") or "")
    user = Api(sandbox, signer, token_pair).ok("GET", "user/details")
    assert user.get("id") == "1001"


def test_request_tokens_expire(sandbox: Sandbox, signer: Signer, clock: Clock) -> None:
    consumer = Api(sandbox, signer)
    issued = consumer.ok("GET", "oauth/requestToken")
    request_token = (
        issued.findtext("oauth_token") or "",
        issued.findtext("oauth_token_secret") or "",
    )
    sandbox.authorise_request_token(request_token[0], ALICE)
    clock.advance(901)
    expired = Api(sandbox, signer, request_token).call("GET", "oauth/accessToken")
    assert expired.text == "OAuth authentication error: Token expired"
    page = sandbox.handle(
        httpx.Request(
            "GET",
            f"http://sandbox.7digital.test/sandbox-key/oauth/authorise?oauth_token={request_token[0]}",
        )
    )
    assert page.status_code == 400


def test_denying_on_the_page_returns_to_the_callback_unauthorised(
    sandbox: Sandbox, signer: Signer
) -> None:
    issued = Api(sandbox, signer).ok("GET", "oauth/requestToken")
    key = issued.findtext("oauth_token") or ""
    page = f"http://sandbox.7digital.test/sandbox-key/oauth/authorise?oauth_token={key}"
    back = sandbox.handle(
        httpx.Request(
            "POST",
            page,
            data={"decision": "deny", "oauth_callback": "https://app.example/back"},
        )
    )
    assert back.status_code == 302
    assert back.headers["location"] == f"https://app.example/back?denied={key}"
    token = sandbox.state.request_token(key)
    assert token is not None
    assert token.user_id is None


def test_access_token_endpoint_needs_a_request_token(
    sandbox: Sandbox, signer: Signer, alice: Api
) -> None:
    assert Api(sandbox, signer).call("GET", "oauth/accessToken").text == (
        "OAuth authentication error: Not authorised - no user credentials provided"
    )
    # An access token is not a request token.
    assert (
        alice.call("GET", "oauth/accessToken").text == "OAuth authentication error: Invalid token"
    )


# -- accounts -------------------------------------------------------------------------------
def test_accounts(sandbox: Sandbox, signer: Signer) -> None:
    consumer = Api(sandbox, signer)
    user = consumer.ok(
        "POST", "user/signup", data={"emailAddress": "dave@example.com", "password": "pw"}
    )
    assert user.findtext("emailAddress") == "dave@example.com"
    taken = consumer.call(
        "POST", "user/signup", data={"emailAddress": "DAVE@example.com", "password": "x"}
    )
    assert (taken.status_code, error_code(taken)) == (409, 2003)
    bad = consumer.call("POST", "user/signup", data={"emailAddress": "nope", "password": "x"})
    assert error_code(bad) == 1002
    found = consumer.ok("GET", "users", emailAddress="dave@example.com")
    assert [u.get("id") for u in found.findall("user")] == [user.get("id")]
    assert consumer.ok("GET", "users", emailAddress="nobody@example.com").findall("user") == []
    assert error_code(consumer.call("GET", "user/details", userId=424242)) == 2001


def test_update_own_account_only(sandbox: Sandbox, signer: Signer, alice: Api) -> None:
    updated = alice.ok("PUT", "users/1001/update", data={"emailAddress": "alice2@example.com"})
    assert updated.findtext("emailAddress") == "alice2@example.com"
    consumer = Api(sandbox, signer)
    login = consumer.call(
        "POST",
        "user/authenticate",
        data={"emailAddress": "alice2@example.com", "password": ALICE_PASSWORD},
    )
    assert login.status_code == 200
    other = alice.call("PUT", "users/1002/update", data={"password": "x"})
    assert error_code(other) == 2002
    taken = alice.call("PUT", "users/1001/update", data={"emailAddress": BOB})
    assert error_code(taken) == 2003


def test_managed_users(sandbox: Sandbox, signer: Signer) -> None:
    sandbox.add_consumer("partner", "partner-secret", user_management=True)
    partner = Api(sandbox, signer, key="partner", secret="partner-secret")
    created = partner.ok("GET", "user/create", userId="p-1", emailAddress="p1@example.com")
    assert created.findtext("emailAddress") == "p1@example.com"
    again = partner.call("GET", "user/create", userId="p-1", emailAddress="p1b@example.com")
    assert error_code(again) == 2003
    assert partner.ok("GET", "user/details", userId="p-1").get("id") == created.get("id")
    # 3-legged endpoints called 2-legged with userId.
    locker = partner.ok("GET", "user/locker", userId="p-1")
    assert locker.findtext("lockerReleases/totalItems") == "0"
    streaming = partner.ok(
        "POST",
        "user/unlimitedStreaming",
        data={"userId": "p-1", "status": "active", "expiryDate": "20300101"},
    )
    assert streaming.findtext("status") == "active"
    # A key without user management may not.
    plain = Api(sandbox, signer)
    assert (
        plain.call("GET", "user/create", userId="p-2", emailAddress="p2@example.com").status_code
        == 401
    )
    assert plain.call("GET", "user/locker", userId="1001").text == (
        "OAuth authentication error: Not authorised - no user credentials provided"
    )


# -- baskets and purchases ------------------------------------------------------------------
def test_basket_purchase_and_locker(sandbox: Sandbox, alice: Api) -> None:
    basket_id = alice.basket((100004, None), (100005, 1000037))
    basket = alice.ok("GET", "basket", basketId=basket_id)
    assert basket.findtext("itemCount") == "2"
    values = [float(v.text or 0) for v in basket.findall("basketItems/basketItem/price/value")]
    assert basket.findtext("price/value") == f"{sum(values):.2f}"
    assert [i.findtext("type") for i in basket.findall("basketItems/basketItem")] == [
        "release",
        "track",
    ]
    purchase = alice.ok("GET", "user/purchase/basket", basketId=basket_id)
    assert purchase.tag == "purchase"
    assert purchase.findtext("lockerReleases/totalItems") == "2"
    tracks = purchase.findall("lockerReleases/lockerRelease/lockerTracks/lockerTrack")
    assert len(tracks) == 10 + 1

    locker = alice.ok("GET", "user/locker", pageSize=1)
    releases = locker.find("lockerReleases")
    assert releases is not None
    assert (
        releases.findtext("page"),
        releases.findtext("pageSize"),
        releases.findtext("totalItems"),
    ) == ("1", "1", "2")
    assert len(releases.findall("lockerRelease")) == 1
    one = alice.ok("GET", "user/locker", releaseId=100005, trackId=1000037)
    assert [t.get("id") for t in one.iter("track")] == ["1000037"]
    assert one.findtext(".//completeAlbumPurchase") == "false"
    by_purchase = alice.ok("GET", "user/locker", purchaseId=purchase.get("id"))
    assert by_purchase.findtext("lockerReleases/totalItems") == "2"

    ledger = sandbox.purchases
    assert len(ledger) == 1
    assert (ledger[0].user_id, ledger[0].basket_id, ledger[0].kind) == (1001, basket_id, "basket")
    assert ledger[0].items == ((100004, None), (100005, 1000037))
    assert ledger[0].card_id is not None


def test_second_purchase_of_a_basket_is_refused(sandbox: Sandbox, alice: Api) -> None:
    basket_id = alice.basket((100004, None))
    assert alice.call("GET", "user/purchase/basket", basketId=basket_id).status_code == 200
    again = alice.call("GET", "user/purchase/basket", basketId=basket_id)
    assert (again.status_code, error_code(again)) == (409, 2003)
    added = alice.call("GET", "basket/addItem", basketId=basket_id, releaseId=100005)
    assert error_code(added) == 2003
    assert len(sandbox.purchases) == 1


def test_purchase_refusals(sandbox: Sandbox, alice: Api, bob: Api) -> None:
    empty = alice.basket()
    refused = alice.call("GET", "user/purchase/basket", basketId=empty)
    assert error_code(refused) == 2002
    no_card = bob.call("GET", "user/purchase/basket", basketId=bob.basket((100004, None)))
    assert (no_card.status_code, error_code(no_card)) == (402, 3002)
    other_shop = alice.call(
        "GET", "user/purchase/basket", basketId=alice.basket((100004, None)), country="US"
    )
    assert error_code(other_shop) == 2002
    assert sandbox.purchases == []


def test_vouchers(sandbox: Sandbox, alice: Api, bob: Api) -> None:
    basket_id = bob.basket((100004, None))
    discounted = bob.ok(
        "POST", "basket/applyVoucher", data={"basketId": basket_id, "voucherCode": "sandbox-free"}
    )
    assert discounted.findtext("amountDue/amount") == "0.00"
    assert discounted.findtext("basketItems/basketItem/discount/type") == "Voucher"
    # Nothing to pay: no card needed.
    assert bob.call("GET", "user/purchase/basket", basketId=basket_id).status_code == 200
    assert sandbox.purchases[0].amount == 0
    assert sandbox.purchases[0].card_id is None
    half = alice.basket((100004, None))
    price = float(alice.ok("GET", "basket", basketId=half).findtext("price/value") or 0)
    after = alice.ok(
        "POST", "basket/applyVoucher", data={"basketId": half, "voucherCode": "SANDBOX-HALF"}
    )
    assert float(after.findtext("amountDue/amount") or 0) == pytest.approx(
        round(price - round(price / 2, 2), 2)
    )


def test_basket_items_and_prices(alice: Api) -> None:
    basket_id = alice.basket((100004, None))
    same = alice.ok("GET", "basket/addItem", basketId=basket_id, releaseId=100004)
    assert same.findtext("itemCount") == "1"
    wrong_track = alice.call(
        "GET", "basket/addItem", basketId=basket_id, releaseId=100004, trackId=1000037
    )
    assert error_code(wrong_track) == 2001
    bad_package = alice.call(
        "GET", "basket/addItem", basketId=basket_id, releaseId=100004, packageId=99
    )
    assert error_code(bad_package) == 1002
    priced = alice.ok(
        "GET", "basket/addpriceditem", basketId=basket_id, releaseId=100005, price="0.50"
    )
    assert priced.findall("basketItems/basketItem/price/value")[-1].text == "0.50"
    item_id = priced.findall("basketItems/basketItem")[0].get("id")
    removed = alice.ok("GET", "basket/removeItem", basketId=basket_id, itemId=item_id)
    assert removed.findtext("itemCount") == "1"
    assert (
        error_code(alice.call("GET", "basket/removeItem", basketId=basket_id, itemId=item_id))
        == 2001
    )
    us = alice.basket((100004, None), country="US")
    us_basket = alice.ok("GET", "basket", basketId=us, country="US")
    assert us_basket.find("price/currency").get("code") == "USD"  # type: ignore[union-attr]


def test_paypal_purchase(sandbox: Sandbox, bob: Api) -> None:
    basket_id = bob.basket((100004, None))
    url = (
        bob.ok(
            "GET",
            "basket/paypalurl",
            basketId=basket_id,
            successUrl="http://app/ok",
            cancelUrl="http://app/cancel",
        ).findtext("url")
        or ""
    )
    with httpx.Client(transport=sandbox.transport()) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        assert "Pay with PayPal" in page.text
        cancelled = browser.post(url, data={"decision": "cancel"})
        assert httpx.URL(cancelled.headers["location"]).path == "/cancel"
        approval = browser.post(url, data={"decision": "approve"})
        unknown = browser.get("http://sandbox.7digital.test/paypal/checkout?token=EC-NONE")
    assert unknown.status_code == 404
    assert approval.status_code == 302
    back = httpx.URL(approval.headers["location"])
    assert back.host == "app"
    token = back.params["token"]
    wrong = bob.call(
        "POST", "basket/completepaypalpurchase", data={"basketId": basket_id, "token": "EC-X"}
    )
    assert error_code(wrong) == 3003
    done = bob.ok(
        "POST", "basket/completepaypalpurchase", data={"basketId": basket_id, "token": token}
    )
    assert done.tag == "purchase"
    assert len(done) == 0
    again = bob.call(
        "POST", "basket/completepaypalpurchase", data={"basketId": basket_id, "token": token}
    )
    assert error_code(again) == 2003
    assert [p.kind for p in sandbox.purchases] == ["paypal"]
    assert bob.ok("GET", "user/locker").findtext("lockerReleases/totalItems") == "1"


def test_single_item_purchases(sandbox: Sandbox, alice: Api) -> None:
    mismatch = alice.call(
        "GET", "user/purchase/item", releaseId=100004, trackId=1000030, price="0.01"
    )
    assert (mismatch.status_code, error_code(mismatch)) == (400, 3004)
    item = alice.ok("GET", "user/purchase/item", releaseId=100004, trackId=1000030, price="0.99")
    assert [t.get("id") for t in item.iter("track")] == ["1000030"]
    alice.ok("GET", "user/purchase/rrpitem", releaseId=100005)
    alice.ok("GET", "user/purchase/priceditem", releaseId=100006, price="2.00")
    delivered = alice.ok("GET", "user/deliveritem", releaseId=100007, transactionId="t-1")
    assert delivered.tag == "purchase"
    duplicate = alice.call("GET", "user/deliveritem", releaseId=100007, transactionId="t-1")
    assert error_code(duplicate) == 2003
    kinds = [(p.kind, p.amount) for p in sandbox.purchases]
    assert kinds[0] == ("item", 0.99)
    assert [k for k, _ in kinds] == ["item", "rrpitem", "priceditem", "deliveritem"]
    assert kinds[2][1] == 2.0
    assert alice.ok("GET", "user/locker").findtext("lockerReleases/totalItems") == "4"


def test_locker_sorting(alice: Api, clock: Clock) -> None:
    for release_id in (100004, 100001, 100010):
        alice.ok("GET", "user/purchase/rrpitem", releaseId=release_id)
        clock.advance(60)
    newest = alice.ok("GET", "user/locker")
    assert [r.get("id") for r in newest.findall("lockerReleases/lockerRelease/release")] == [
        "100010",
        "100001",
        "100004",
    ]
    by_title = alice.ok("GET", "user/locker", sort="releaseTitle asc")
    titles = [
        r.findtext("title") or "" for r in by_title.findall("lockerReleases/lockerRelease/release")
    ]
    assert titles == sorted(titles, key=str.casefold)
    assert error_code(alice.call("GET", "user/locker", sort="price asc")) == 1006


# -- cards ----------------------------------------------------------------------------------
def test_cards(sandbox: Sandbox, bob: Api, clock: Clock) -> None:
    assert bob.ok("GET", "user/payment/card").findall("card") == []
    refused = bob.call(
        "POST",
        "user/payment/card/add",
        data={
            "cardNumber": "4012888888881881",
            "cardType": "VISA",
            "cardHolderName": "Bob",
            "cardExpiryDate": "203001",
        },
    )
    assert (refused.status_code, error_code(refused)) == (400, 1002)
    assert "Adding card failed" in refused.text
    card = bob.ok(
        "POST",
        "user/payment/card/add",
        data={
            "cardNumber": "4444333322221111",
            "cardType": "visa",
            "cardHolderName": "Bob",
            "cardExpiryDate": "203001",
        },
    )
    assert (card.findtext("last4digits"), card.findtext("default")) == ("1111", "true")

    registration = bob.ok(
        "POST", "user/payment/cardregistration", data={"redirectUrl": "http://app/cards"}
    )
    assert registration.get("status") == "pending"
    reg_id = registration.get("id") or ""
    with httpx.Client(transport=sandbox.transport()) as browser:
        form = browser.get(f"http://sandbox.7digital.test/cardregistration/{reg_id}")
        assert "cardNumber" in form.text
        posted = browser.post(
            f"http://sandbox.7digital.test/cardregistration/{reg_id}",
            data={
                "cardNumber": "5555555555554444",
                "cardType": "MASTERCARD",
                "cardHolderName": "Bob",
                "cardExpiryDate": "202912",
            },
        )
    assert posted.status_code == 302
    assert posted.headers["location"] == f"http://app/cards?cardRegistrationId={reg_id}"
    complete = bob.ok("GET", f"user/payment/cardregistration/{reg_id}")
    assert complete.get("status") == "complete"
    assert complete.findtext("card/cardholderName") == "Bob"
    new_card_id = complete.find("card").get("id")  # type: ignore[union-attr]

    cards = bob.ok("GET", "user/payment/card").findall("card")
    assert [(c.findtext("last4digits"), c.findtext("default")) for c in cards] == [
        ("1111", "true"),
        ("4444", "false"),
    ]
    assert bob.call(
        "POST", "user/payment/card/select", data={"cardId": new_card_id}
    ).content.endswith(b'<response status="ok" version="1.2" />')
    cards = bob.ok("GET", "user/payment/card").findall("card")
    assert [c.findtext("default") for c in cards] == ["false", "true"]
    assert (
        error_code(bob.call("POST", "user/payment/card/select", data={"cardId": 1})) == 2001
    )  # alice's
    bob.call("POST", "user/payment/card/delete", data={"cardId": new_card_id})
    remaining = bob.ok("GET", "user/payment/card").findall("card")
    assert [c.findtext("default") for c in remaining] == ["false"]
    no_default = bob.call("GET", "user/purchase/basket", basketId=bob.basket((100004, None)))
    assert error_code(no_default) == 3002


def test_declined_and_expired_cards(sandbox: Sandbox, signer: Signer, clock: Clock) -> None:
    carol = Api(sandbox, signer, access_token(sandbox, BOB))
    carol.ok(
        "POST",
        "user/payment/card/add",
        data={
            "cardNumber": "4000000000000002",
            "cardType": "VISA",
            "cardHolderName": "B",
            "cardExpiryDate": "203001",
        },
    )
    declined = carol.call("GET", "user/purchase/basket", basketId=carol.basket((100004, None)))
    assert error_code(declined) == 3101
    registration = carol.ok(
        "POST", "user/payment/cardregistration", data={"redirectUrl": "http://x"}
    )
    sandbox.complete_card_registration(registration.get("id") or "", "4111111111111112")
    failed = carol.ok("GET", f"user/payment/cardregistration/{registration.get('id')}")
    assert failed.get("status") == "error"
    assert failed.find("error").get("code") == "1002"  # type: ignore[union-attr]
    assert sandbox.purchases == []


def test_seeded_users_are_documented() -> None:
    assert [(email, uid) for email, _, uid in SEEDED_USERS] == [(ALICE, 1001), (BOB, 1002)]
    sandbox = Sandbox(users=[("erin@example.com", "pw")])
    assert sandbox.add_user("erin@example.com", "pw") == 1003
    assert sandbox.add_user("frank@example.com", "pw") == 1004
