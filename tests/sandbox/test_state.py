"""The sandbox's public state API (``sandbox.state``): what tests read and change directly."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
from sandbox_support import ALICE, BOB, Clock, Signer, access_token, content, error_code

from py7D.sandbox import Sandbox

SANDBOX_SRC = Path(__file__).resolve().parents[2] / "src" / "py7D" / "sandbox"


def test_accounts_cards_and_tokens_are_readable_and_changeable(sandbox: Sandbox) -> None:
    state = sandbox.state
    alice = state.user_by_email(ALICE.upper())
    assert alice is not None
    assert alice.id == 1001
    assert state.user(1002) is state.user_by_email(BOB)
    assert state.check_credentials(ALICE, "alice-password") is alice
    assert state.check_credentials(ALICE, "wrong") is None
    [card] = state.cards_of(alice.id)
    assert state.default_card(alice.id) is card
    assert card.last4 == "1111"
    second = state.store_card(alice.id, "MASTERCARD", "5555555555554444", "Alice", "203001")
    assert state.default_card(alice.id) is card  # the first card stays the default
    state.select_card(second)
    assert state.default_card(alice.id) is second
    state.delete_card(second)
    assert state.default_card(alice.id) is None
    assert state.cards_of(alice.id) == [card]
    key, _ = sandbox.issue_access_token(ALICE)
    token = state.access_token(key)
    assert token is not None
    assert token.user_id == alice.id
    assert state.revoke_token(key)
    assert state.access_token(key) is None


def test_state_changed_by_api_calls_is_visible(
    sandbox: Sandbox, client: httpx.Client, signer: Signer, clock: Clock
) -> None:
    token = access_token(sandbox)
    created = client.send(signer.request("GET", "basket/create", {}))
    basket_id = content(created).get("id")
    assert basket_id is not None
    basket = sandbox.state.basket(basket_id.upper())
    assert basket is not None
    assert basket.items == []
    release = sandbox.catalogue.releases[100001]
    added = client.send(
        signer.request("GET", "basket/addItem", {"basketId": basket_id, "releaseId": release.id})
    )
    assert added.status_code == 200
    assert [i.release_id for i in basket.items] == [release.id]
    bought = client.send(
        signer.request("GET", "user/purchase/basket", {"basketId": basket_id}, token=token)
    )
    assert bought.status_code == 200, bought.text
    [record] = sandbox.state.purchases
    assert record.basket_id == basket.id
    assert sandbox.state.purchase(record.id) == record
    assert basket.purchase_id == record.id
    locker = sandbox.state.locker(1001)
    assert {e.purchase_id for e in locker} == {record.id}
    assert sandbox.state.owns(1001, locker[0].track_id)
    assert not sandbox.state.owns(1002, locker[0].track_id)


def test_a_card_with_a_past_expiry_or_no_holder_is_refused_in_7digitals_words(
    sandbox: Sandbox,
) -> None:
    state = sandbox.state
    cases = {
        ("4111111111111112", "203012", "A"): "Value of parameter CardNumber is not valid",
        ("4111111111111111", "2030", "A"): "Value of parameter ExpiryDate is not valid",
        ("4111111111111111", "200001", "A"): (
            "Value of parameter ExpiryDate is not valid: ExpiryDate cannot be in the past"
        ),
        ("4111111111111111", "203012", "  "): "CardHolderName is not valid",
    }
    for (number, expiry, holder), message in cases.items():
        registration = state.new_registration(1002, "https://example.test/back")
        done = state.complete_registration(registration.id, number, "VISA", holder, expiry)
        assert (done.status, done.error_code, done.error) == ("error", 1002, message)
    declined = state.new_registration(1002, "https://example.test/back")
    done = state.complete_registration(declined.id, "4012888888881881", "VISA", "B", "203012")
    assert (done.error_code, done.error) == (3103, "Add card failed: Please try again")
    assert state.cards_of(1002) == []


def test_card_add_refuses_an_empty_holder_name(
    sandbox: Sandbox, client: httpx.Client, signer: Signer
) -> None:
    token = access_token(sandbox, BOB)
    form = {"cardNumber": "4111111111111111", "cardType": "VISA", "cardExpiryDate": "203012"}
    refused = client.send(
        signer.request(
            "POST", "user/payment/card/add", data={**form, "cardHolderName": ""}, token=token
        )
    )
    assert error_code(refused) == 1001
    assert sandbox.state.cards_of(1002) == []


def test_no_handler_touches_a_private_attribute_of_the_sandbox() -> None:
    """Handlers and pages use ``sandbox.state`` and public methods only."""
    offenders = []
    for module in (
        "_api_user.py",
        "_api_catalogue.py",
        "_web.py",
        "_render.py",
        "_media_download.py",
    ):
        tree = ast.parse((SANDBOX_SRC / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and isinstance(node.value, ast.Attribute | ast.Name)
                and getattr(node.value, "attr", getattr(node.value, "id", "")) == "sandbox"
            ):
                offenders.append(f"{module}:{node.lineno} sandbox.{node.attr}")
    assert offenders == []


def test_the_state_survives_pickling(sandbox: Sandbox) -> None:
    """``py7d --sandbox`` pickles the sandbox between commands; the state comes back whole."""
    import pickle

    sandbox.state.store_card(1002, "VISA", "4111111111111111", "Bob", "203012")
    key, _ = sandbox.issue_access_token(1002)
    again = pickle.loads(pickle.dumps(sandbox))
    assert again.state is not sandbox.state
    assert [c.holder for c in again.state.cards_of(1002)] == ["Bob"]
    token = again.state.access_token(key)
    assert token is not None
    assert token.user_id == 1002
    with again.state.lock:  # a fresh, working lock
        assert again.state.user_id_of("BOB@example.com") == 1002
