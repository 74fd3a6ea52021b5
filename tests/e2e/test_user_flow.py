"""The user side end to end through py7D's own client: token flow, basket, purchase, locker, media.

Everything runs in-process against the sandbox (``Sandbox.transport()``); the
sandbox verifies every signature independently of py7D's signer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import py7D
from py7D import OAuthError, Token
from py7D.sandbox import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, Sandbox

ALICE = ("alice@example.com", "alice-password")  # seeded, has a default card
BOB = ("bob@example.com", "bob-password")  # seeded, no card


class Clock:
    """Real time plus an offset that a test can move (shared by client and sandbox)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    return Sandbox(clock=clock)


def client_for(sandbox: Sandbox, clock: Clock) -> py7D.Client:
    """A client of ``sandbox`` whose clock moves with the sandbox's."""
    return py7D.Client(
        DEFAULT_CONSUMER_KEY,
        DEFAULT_CONSUMER_SECRET,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        clock=clock,
        environ={},
    )


@pytest.fixture
def client(sandbox: Sandbox, clock: Clock) -> Iterator[py7D.Client]:
    with client_for(sandbox, clock) as c:
        yield c


def login(client: py7D.Client, email: str, password: str) -> Token:
    request_token = py7D.get_request_token(client)
    py7D.authorise_request_token(client, request_token, email, password)
    return py7D.exchange_access_token(client, request_token)


def first_track_release(client: py7D.Client) -> tuple[str, str]:
    tracks = client.request("release", "tracks", releaseId=100001)["response"]["tracks"]["track"]
    track = tracks[0] if isinstance(tracks, list) else tracks
    return track["release"]["@id"], track["@id"]


def locker_track_ids(client: py7D.Client, token: Token) -> set[str]:
    locker = client.request("user", "locker", access_token=token, pageSize=50).data
    releases = locker["lockerReleases"].get("lockerRelease") or []
    releases = releases if isinstance(releases, list) else [releases]
    ids: set[str] = set()
    for release in releases:
        tracks = release["lockerTracks"]["lockerTrack"]
        for t in tracks if isinstance(tracks, list) else [tracks]:
            ids.add(t["track"]["@id"])
    return ids


def basket_with(client: py7D.Client, release_id: str, track_id: str | None = None) -> str:
    basket_id: str = client.request("basket", "create").data["@id"]
    params: dict[str, Any] = {"basketId": basket_id, "releaseId": release_id}
    if track_id:
        params["trackId"] = track_id
    client.request("basket", "addItem", **params)
    return basket_id


def test_browser_flow_request_token_authorise_page_access_token(
    client: py7D.Client, sandbox: Sandbox
) -> None:
    request_token = py7D.get_request_token(client)
    url = py7D.authorize_url(client, request_token, callback="https://app.example/done")
    assert url.startswith(f"http://sandbox.7digital.test/{DEFAULT_CONSUMER_KEY}/oauth/authorise?")
    # A person fills in the sandbox's login form; the same handler serves it.
    with httpx.Client(transport=sandbox.transport()) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        assert "<form" in page.text
        done = browser.post(url, data={"email": ALICE[0], "password": ALICE[1]})
    assert done.status_code in (302, 303)
    location = done.headers["location"]
    assert location.startswith("https://app.example/done?")
    assert f"oauth_token={request_token.key}" in location
    assert "status=Authorised" in location
    access = py7D.exchange_access_token(client, request_token)
    assert access.key != request_token.key
    user = client.request("user", "locker", access_token=access)
    assert user.status_code == 200


def test_full_purchase_flow_and_signed_stream(client: py7D.Client, sandbox: Sandbox) -> None:
    access = login(client, *ALICE)
    release_id, track_id = first_track_release(client)
    assert track_id not in locker_track_ids(client, access)

    basket_id = basket_with(client, release_id, track_id)
    purchase = client.request("user", "purchase/basket", access_token=access, basketId=basket_id)
    assert purchase.data["@id"]
    assert track_id in locker_track_ids(client, access)
    assert [p.basket_id for p in sandbox.purchases] == [basket_id]

    # The locker stream URL is signed 3-legged in its query string and accepted.
    url = client.sign_url(
        "http://sandbox.7digital.test/stream/locker", token=access, trackId=track_id, formatId=17
    )
    assert "oauth_signature=" in url
    assert f"oauth_token={access.key}" in url
    with httpx.Client(transport=sandbox.transport()) as player:
        audio = player.get(url)
        assert audio.status_code == 200
        assert audio.headers["content-type"].startswith("audio/")
        # Signed for another user's token the locker stream is refused.
        bob = login(client, *BOB)
        other = client.sign_url(
            "http://sandbox.7digital.test/stream/locker", token=bob, trackId=track_id, formatId=17
        )
        assert player.get(other).status_code == 403
        # A tampered signature is refused.
        assert player.get(url.replace("trackId=", "trackId=1")).status_code in (401, 404)


def test_preview_url_is_signed_and_served(client: py7D.Client, sandbox: Sandbox) -> None:
    _, track_id = first_track_release(client)
    url = client.preview_url(track_id)
    assert url.startswith(f"http://sandbox.7digital.test/clip/{track_id}?")
    with httpx.Client(transport=sandbox.transport()) as player:
        assert player.get(url).status_code == 200
        assert player.get(url.replace("oauth_signature=", "oauth_signature=x")).status_code == 401


def test_seed_oauth7digital_flow_against_the_sandbox(
    client: py7D.Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import oauth7digital as oa7d

    py7D.set_default_client(client)
    token = oa7d.request_token()
    prompts: list[str] = []

    def fake_enter(prompt: str = "") -> str:
        # While the seed waits for Enter, the user authorises in the browser.
        prompts.append(prompt)
        py7D.authorise_request_token(client, token, *ALICE)
        return ""

    monkeypatch.setattr("builtins.input", fake_enter)
    url = oa7d.authorize_request_token(token)
    assert url in capsys.readouterr().out
    assert prompts
    access_token = oa7d.request_access_token(token)
    locker = py7D.oauth_3legged_request("user", "locker", access_token)
    assert locker["response"]["@status"] == "ok"
    # And without a prompt, for partner keys.
    token2 = oa7d.request_token()
    oa7d.authorize_request_token(token2, username=BOB[0], password=BOB[1])
    assert oa7d.request_access_token(token2).key


# ---------------------------------------------------------------------------- failures


def test_wrong_password_is_an_oauth_error_naming_the_step(client: py7D.Client) -> None:
    request_token = py7D.get_request_token(client)
    with pytest.raises(OAuthError, match="authorising the request token failed") as info:
        py7D.authorise_request_token(client, request_token, ALICE[0], "wrong")
    assert "wrong" not in str(info.value)  # the password never shows


def test_unauthorised_request_token_cannot_be_exchanged(client: py7D.Client) -> None:
    request_token = py7D.get_request_token(client)
    with pytest.raises(OAuthError, match=r"access token failed.*authorised"):
        py7D.exchange_access_token(client, request_token)


def test_reused_request_token_is_refused(client: py7D.Client) -> None:
    request_token = py7D.get_request_token(client)
    py7D.authorise_request_token(client, request_token, *ALICE)
    py7D.exchange_access_token(client, request_token)
    with pytest.raises(OAuthError, match="access token failed"):
        py7D.exchange_access_token(client, request_token)


def test_expired_request_token_is_refused(client: py7D.Client, clock: Clock) -> None:
    request_token = py7D.get_request_token(client)
    py7D.authorise_request_token(client, request_token, *ALICE)
    clock.offset += 16 * 60  # request tokens live 15 minutes; both sides move together
    with pytest.raises(OAuthError, match=r"access token failed.*(expired|Invalid)"):
        py7D.exchange_access_token(client, request_token)


def test_revoked_access_token_is_refused(client: py7D.Client, sandbox: Sandbox) -> None:
    access = login(client, *ALICE)
    assert client.request("user", "locker", access_token=access).status_code == 200
    assert sandbox.revoke_token(access.key)
    with pytest.raises(OAuthError) as info:
        client.request("user", "locker", access_token=access)
    assert info.value.status_code == 401
    assert access.secret not in repr(info.value) + str(info.value)


def test_access_token_past_its_lifetime_is_refused(clock: Clock) -> None:
    sandbox = Sandbox(clock=clock, access_token_ttl=3600)
    with client_for(sandbox, clock) as client:
        access = login(client, *ALICE)
        clock.offset += 3500
        assert client.request("user", "locker", access_token=access).status_code == 200
        clock.offset += 200  # past the hour; both sides move together
        with pytest.raises(OAuthError, match="Token expired") as info:
            client.request("user", "locker", access_token=access)
        assert info.value.status_code == 401
        assert access.secret not in repr(info.value) + str(info.value)
        fresh = login(client, *ALICE)  # logging in again gives a new hour
        assert client.request("user", "locker", access_token=fresh).status_code == 200


def test_access_token_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="access_token_ttl"):
        Sandbox(access_token_ttl=0)


def test_bad_signature_is_refused(client: py7D.Client, sandbox: Sandbox) -> None:
    access = login(client, *ALICE)
    forged = Token(access.key, "not-the-secret")
    with pytest.raises(OAuthError, match="Invalid signature"):
        client.request("user", "locker", access_token=forged)
    wrong_consumer = py7D.Client(
        DEFAULT_CONSUMER_KEY,
        "wrong-secret",
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
    )
    with wrong_consumer, pytest.raises(OAuthError, match="Invalid signature"):
        wrong_consumer.oauth_2legged_request("release", "match/byId", sevenDigitalIds="100001")


def test_purchase_of_an_empty_basket_is_refused(client: py7D.Client, sandbox: Sandbox) -> None:
    access = login(client, *ALICE)
    basket_id = client.request("basket", "create").data["@id"]
    with pytest.raises(py7D.APIServiceException) as info:
        client.request("user", "purchase/basket", access_token=access, basketId=basket_id)
    assert info.value.code == 2002
    assert sandbox.purchases == []


def test_double_purchase_is_refused_and_charged_once(client: py7D.Client, sandbox: Sandbox) -> None:
    access = login(client, *ALICE)
    release_id, track_id = first_track_release(client)
    basket_id = basket_with(client, release_id, track_id)
    client.request("user", "purchase/basket", access_token=access, basketId=basket_id)
    with pytest.raises(py7D.APIServiceException) as info:
        client.request("user", "purchase/basket", access_token=access, basketId=basket_id)
    assert info.value.code == 2003
    assert len(sandbox.purchases) == 1


def test_purchase_without_a_card_is_a_card_error(client: py7D.Client) -> None:
    access = login(client, *BOB)
    release_id, track_id = first_track_release(client)
    basket_id = basket_with(client, release_id, track_id)
    with pytest.raises(py7D.UserCardError) as info:
        client.request("user", "purchase/basket", access_token=access, basketId=basket_id)
    assert info.value.code == 3002


def test_partner_user_calls_go_two_legged_with_user_id(sandbox: Sandbox) -> None:
    sandbox.add_consumer("partner-key", "partner-secret", user_management=True)
    with py7D.Client(
        "partner-key", "partner-secret", base_url=sandbox.base_url, transport=sandbox.transport()
    ) as partner:
        created = partner.request("user", "create", userId="partner-17", emailAddress="p@x.test")
        assert created.status_code == 200
        locker = partner.request("user", "locker", userId="partner-17")
        assert locker.data["lockerReleases"]["totalItems"] == "0"
        # Without user-management rights the same call is refused.
    with (
        py7D.Client(
            DEFAULT_CONSUMER_KEY,
            DEFAULT_CONSUMER_SECRET,
            base_url=sandbox.base_url,
            transport=sandbox.transport(),
        ) as plain,
        pytest.raises((OAuthError, py7D.APIServiceException)),
    ):
        plain.request("user", "locker", userId="partner-17")


def test_token_file_round_trip_is_0600_and_bound_to_its_consumer(tmp_path: Any) -> None:
    import os
    import stat

    path = py7D.save_token(
        Token("k", "s"), tmp_path / "t" / "a.json", consumer_key="ck", api_url="http://x/1.2"
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert py7D.load_token(path, consumer_key="ck") == Token("k", "s")
    with pytest.raises(py7D.ConfigurationError, match="issued for consumer_key"):
        py7D.load_token(path, consumer_key="other")
    with pytest.raises(py7D.ConfigurationError, match="no token file"):
        py7D.load_token(tmp_path / "missing.json")
