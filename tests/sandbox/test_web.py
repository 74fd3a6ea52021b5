"""The sandbox's web pages in a real headless Chromium, driven by Playwright.

The OAuth login/authorise page, the hosted card form and the PayPal approval page
are used with the keyboard alone against a sandbox served on a real port,
including the whole 3-legged flow (request token -> page -> log in -> approve ->
access token -> a signed locker call). Skipped, with the reason, when Chromium
(Debian's ``chromium`` package) or the ``playwright`` package is missing; CI
installs both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import py7D
from py7D.sandbox import Sandbox, running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium not installed (apt-get install chromium; .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (in [test])"
    )
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    pytest.importorskip("uvicorn", reason="serving the sandbox needs uvicorn (py7D[sandbox])")
    sandbox = Sandbox()
    with running(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def client(served: tuple[Sandbox, str]) -> Iterator[py7D.Client]:
    sandbox, url = served
    with py7D.Client(sandbox.consumer_key, sandbox.consumer_secret, base_url=url) as c:
        yield c


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _arrive(page: Any, url: str) -> None:
    """Open ``url`` and wait until the page has put the focus somewhere (autofocus)."""
    page.goto(url)
    page.wait_for_function("document.activeElement && document.activeElement !== document.body")


def _unlabelled_fields(page: Any) -> list[str]:
    """Names of visible inputs, selects and buttons that have no label (or button text)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                .filter(el => el.type !== 'hidden')
                .filter(el => el.tagName === 'BUTTON'
                    ? !el.textContent.trim()
                    : !(el.labels && el.labels.length && el.labels[0].textContent.trim()))
                .map(el => el.name || el.outerHTML)"""
        )
    )


def test_three_legged_flow_with_the_keyboard_alone(
    served: tuple[Sandbox, str], client: py7D.Client, page: Any
) -> None:
    request_token = py7D.get_request_token(client)
    _arrive(page, py7D.authorize_url(client, request_token))
    assert page.title() == "Sign in to 7digital (sandbox)"
    assert _unlabelled_fields(page) == []
    assert _focused(page) == "email"  # the first field has the focus on arrival
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    assert _focused(page) == "password"
    page.keyboard.type("alice-password")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Allow access"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Access granted"

    access = py7D.exchange_access_token(client, request_token)
    locker = client.user.locker(access_token=access)
    assert locker["response"]["@status"] == "ok"
    assert locker.root == "locker"


def test_a_wrong_password_shows_a_clear_error_and_keeps_the_address(
    client: py7D.Client, page: Any
) -> None:
    request_token = py7D.get_request_token(client)
    _arrive(page, py7D.authorize_url(client, request_token))
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("not-her-password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "Wrong e-mail address or password. Check both and try again."
    assert page.get_by_label("E-mail address").input_value() == "alice@example.com"
    assert page.get_by_label("Password").get_attribute("aria-describedby") == "login-error"
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    with pytest.raises(py7D.OAuthError):  # the token stays unauthorised
        py7D.exchange_access_token(client, request_token)


def test_deny_leaves_the_token_unauthorised(client: py7D.Client, page: Any) -> None:
    request_token = py7D.get_request_token(client)
    _arrive(page, py7D.authorize_url(client, request_token))
    for _ in range(3):  # from the e-mail field: password, Allow access, Deny
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Deny"
    page.keyboard.press("Enter")  # empty fields do not block a refusal
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Access denied"
    with pytest.raises(py7D.OAuthError):
        py7D.exchange_access_token(client, request_token)


def test_card_form_by_keyboard_refuses_an_empty_name_then_registers(
    served: tuple[Sandbox, str], client: py7D.Client, page: Any
) -> None:
    sandbox, url = served
    origin = url.removesuffix("/1.2")
    key, secret = sandbox.issue_access_token("bob@example.com")
    token = py7D.Token(key, secret)
    started = client.user.payment_card_registration(
        redirect_url=f"{origin}/back-in-the-shop", access_token=token
    )
    form_url = f"{origin}/cardregistration/{started.data['@id']}"
    _arrive(page, form_url)
    assert page.title() == "Register a card"
    assert _unlabelled_fields(page) == []
    assert _focused(page) == "cardNumber"
    page.keyboard.press("Tab")
    assert _focused(page) == "cardType"
    page.keyboard.press("Tab")
    assert _focused(page) == "cardHolderName"
    page.keyboard.press("Enter")  # no name: the form is not sent
    assert page.url == form_url
    assert page.evaluate("document.getElementById('cardHolderName').validity.valueMissing")
    page.keyboard.type("Bob Example")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{origin}/back-in-the-shop?cardRegistrationId=*")
    registration = sandbox.state.registration(started.data["@id"])
    assert registration is not None
    assert registration.status == "complete"
    [card] = sandbox.state.cards_of(1002)
    assert (card.holder, card.last4) == ("Bob Example", "1111")


def test_paypal_page_approves_with_the_keyboard(
    served: tuple[Sandbox, str], client: py7D.Client, page: Any
) -> None:
    sandbox, url = served
    origin = url.removesuffix("/1.2")
    basket_id = str(client.basket.create().data["@id"])
    client.basket.add_item(basket_id=basket_id, release_id=100004)
    approval = client.basket.paypal_url(
        basket_id=basket_id, success_url=f"{origin}/paid", cancel_url=f"{origin}/cancelled"
    ).data["url"]
    _arrive(page, approval)
    assert page.title() == "PayPal checkout"
    assert _unlabelled_fields(page) == []
    assert page.evaluate("document.activeElement.textContent") == "Pay with PayPal"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{origin}/paid?*")
    returned = httpx.URL(page.url)
    assert returned.params["PayerID"] == "SANDBOXPAYER"
    key, secret = sandbox.issue_access_token("alice@example.com")
    done = client.basket.complete_paypal_purchase(
        basket_id=basket_id, token=returned.params["token"], access_token=py7D.Token(key, secret)
    )
    assert done.root == "purchase"
    assert [p.basket_id for p in sandbox.state.purchases] == [basket_id]
