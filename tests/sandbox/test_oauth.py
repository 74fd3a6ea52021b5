"""OAuth verification: published vectors, the three parameter places, and every refusal."""

from __future__ import annotations

import httpx
import pytest
from sandbox_support import ALICE, KEY, Clock, Signer, access_token, content

from py7D._endpoints import AuthLevel
from py7D.sandbox import Sandbox
from py7D.sandbox._errors import OAuthRefusedError
from py7D.sandbox._oauth import (
    NonceStore,
    check_request,
    collect_signed_params,
    normalized_parameters,
    signature_base_string,
    verify_signature,
)
from py7D.sandbox._state import AccessToken

VECTOR_1_HEADER = (
    'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", '
    'oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", '
    'oauth_signature="{signature}", oauth_timestamp="1191242096", '
    'oauth_nonce="kllo9940pd9333jh", oauth_version="1.0"'
)
VECTOR_1_SIGNATURE = "tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D"  # tR3+Ty81lMeYAr/Fid0kMTYa/WM=
VECTOR_1_BASE = (
    "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3D"
    "dpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26"
    "oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26"
    "size%3Doriginal"
)


def vector_1(signature: str = VECTOR_1_SIGNATURE) -> httpx.Request:
    return httpx.Request(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        headers={"Authorization": VECTOR_1_HEADER.format(signature=signature)},
    )


def check_vector_1(request: httpx.Request, nonces: NonceStore) -> None:
    check_request(
        request,
        collect_signed_params(request),
        nonces,
        consumer_key="dpf43f3p2l4k3l03",
        consumer_secret="kd94hf93k423kf44",
        token="nnch734d00sl2jdk",
        token_secret="pfkkdhi9sl3r4s00",
    )


def test_vector_1_verifies() -> None:
    request = vector_1()
    signed = collect_signed_params(request)
    assert signature_base_string(request, signed) == VECTOR_1_BASE
    nonces = NonceStore(lambda: 1191242096.0)
    check_vector_1(request, nonces)
    with pytest.raises(OAuthRefusedError, match="Nonce already used"):
        check_vector_1(vector_1(), nonces)


def test_vector_1_with_one_character_changed_is_refused() -> None:
    flipped = VECTOR_1_SIGNATURE.replace("tR3", "tR4")
    with pytest.raises(OAuthRefusedError, match="Invalid signature"):
        check_vector_1(vector_1(flipped), NonceStore(lambda: 1191242096.0))
    request = vector_1()
    assert not verify_signature(
        request,
        collect_signed_params(request),
        consumer_key="dpf43f3p2l4k3l03",
        consumer_secret="kd94hf93k423kf44",
        token="nnch734d00sl2jdk",
        token_secret="pfkkdhi9sl3r4s01",
    )


def test_vector_1_outside_the_clock_window() -> None:
    with pytest.raises(OAuthRefusedError, match="Timestamp out of range"):
        check_vector_1(vector_1(), NonceStore(lambda: 1191242096.0 + 301))


def test_vector_2_normalised_parameters() -> None:
    request = httpx.Request(
        "POST",
        "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": (
                'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", '
                'oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", '
                'oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
                'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'
            ),
        },
        content=b"c2&a3=2+q",
    )
    assert normalized_parameters(collect_signed_params(request)) == (
        "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2"
        "&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201"
        "&oauth_token=kkk9d7dh3k39sjv7"
    )


def test_vector_1_through_a_sandbox(clock: Clock) -> None:
    """The published request, verified by a sandbox that knows that consumer and token."""
    clock.now = 1191242096.0
    sandbox = Sandbox(
        clock=clock, consumer_key="dpf43f3p2l4k3l03", consumer_secret="kd94hf93k423kf44"
    )
    sandbox.issue_access_token(ALICE, token=("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"))
    consumer = sandbox.state.consumer("dpf43f3p2l4k3l03")
    assert consumer is not None

    def verify(request: httpx.Request) -> object:
        return sandbox.verify_oauth(
            request, collect_signed_params(request), consumer, AuthLevel.USER
        )

    token = verify(vector_1())
    assert isinstance(token, AccessToken)
    assert token.user_id == 1001
    with pytest.raises(OAuthRefusedError, match="Invalid signature"):
        verify(vector_1(VECTOR_1_SIGNATURE.replace("WM%3D", "WN%3D")))
    with pytest.raises(OAuthRefusedError, match="Nonce already used"):
        verify(vector_1())
    clock.advance(301)
    with pytest.raises(OAuthRefusedError, match="Timestamp out of range"):
        verify(vector_1())


# -- through the sandbox --------------------------------------------------------------------
def test_signed_two_legged_call_in_each_place(sandbox: Sandbox, signer: Signer) -> None:
    mbid = sandbox.catalogue.mbid("artist", 2)
    for place in ("header", "query"):
        request = signer.request("GET", "artist/match/byId", {"mbIds": mbid}, place=place)
        response = sandbox.handle(request)
        assert response.status_code == 200, (place, response.text)
        assert content(response).findtext("artists/artist/sevenDigitalId") == "2"
    body = signer.request(
        "POST",
        "user/authenticate",
        data={"emailAddress": "alice@example.com", "password": "alice-password"},
        place="body",
    )
    assert b"oauth_signature" in body.content
    assert sandbox.handle(body).status_code == 200


def test_match_by_seven_digital_id_and_unknown(sandbox: Sandbox, signer: Signer) -> None:
    request = signer.request("GET", "release/match/byId", {"sevenDigitalIds": "100004,5"})
    matches = content(sandbox.handle(request))
    blocks = matches.findall("releases")
    assert [b.get("sevenDigitalId") for b in blocks] == ["100004", "5"]
    assert blocks[0].findtext("release/mbId") == sandbox.catalogue.mbid("release", 100004)
    assert blocks[1].find("matchError").get("code") == "2001"  # type: ignore[union-attr]


def test_unsigned_call_to_a_signed_endpoint_is_refused(client: httpx.Client) -> None:
    response = client.get("artist/match/byId", params={"mbIds": "x", "oauth_consumer_key": KEY})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "OAuth authentication error: Invalid signature"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "wrong-secret"}, "Invalid signature"),
        ({"timestamp": 1_700_000_000 - 301}, "Timestamp out of range"),
        ({"timestamp": 1_700_000_000 + 301}, "Timestamp out of range"),
        ({"key": "unknown-key"}, "Access to resource denied"),
    ],
)
def test_refusals(sandbox: Sandbox, signer: Signer, change: dict[str, object], reason: str) -> None:
    request = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "2"}, **change)  # type: ignore[arg-type]
    response = sandbox.handle(request)
    assert response.status_code == 401
    assert response.text == f"OAuth authentication error: {reason}"


def test_timestamp_inside_the_window_and_nonce_reuse(sandbox: Sandbox, signer: Signer) -> None:
    fine = signer.request(
        "GET", "artist/match/byId", {"sevenDigitalIds": "2"}, timestamp=1_700_000_000 - 299
    )
    assert sandbox.handle(fine).status_code == 200
    again = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "3"}, nonce="same")
    assert sandbox.handle(again).status_code == 200
    replay = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "4"}, nonce="same")
    assert sandbox.handle(replay).text == "OAuth authentication error: Nonce already used"
    # Another consumer may use the same nonce.
    sandbox.add_consumer("other", "other-secret")
    other = signer.request(
        "GET",
        "artist/match/byId",
        {"sevenDigitalIds": "4"},
        nonce="same",
        key="other",
        secret="other-secret",
    )
    assert sandbox.handle(other).status_code == 200


def test_a_forged_request_does_not_burn_the_nonce(sandbox: Sandbox, signer: Signer) -> None:
    forged = signer.request(
        "GET", "artist/match/byId", {"sevenDigitalIds": "2"}, nonce="n1", secret="bad"
    )
    assert sandbox.handle(forged).status_code == 401
    real = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "2"}, nonce="n1")
    assert sandbox.handle(real).status_code == 200


def test_tampering_after_signing_is_refused(sandbox: Sandbox, signer: Signer) -> None:
    request = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "2"})
    tampered = httpx.Request(
        "GET",
        str(request.url).replace("sevenDigitalIds=2", "sevenDigitalIds=3"),
        headers=request.headers,
    )
    assert sandbox.handle(tampered).text == "OAuth authentication error: Invalid signature"


def test_any_signed_request_is_verified(sandbox: Sandbox, signer: Signer) -> None:
    good = signer.request("GET", "artist/details", {"artistId": 2})
    assert sandbox.handle(good).status_code == 200
    bad = signer.request("GET", "artist/details", {"artistId": 2}, secret="nope")
    assert sandbox.handle(bad).status_code == 401


def test_plaintext_signatures_are_refused(sandbox: Sandbox, signer: Signer) -> None:
    request = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "2"})
    header = request.headers["authorization"].replace("HMAC-SHA1", "PLAINTEXT")
    response = sandbox.handle(httpx.Request("GET", request.url, headers={"Authorization": header}))
    assert response.status_code == 401
    assert "Unsupported signature method" in response.text


def test_consumer_key_in_header_and_query_counts_once(sandbox: Sandbox, signer: Signer) -> None:
    """The Node client leaves oauth_consumer_key in the query, sends it in the header too,
    and signs it once."""
    signed = signer.request("GET", "artist/match/byId", {"sevenDigitalIds": "2"})
    both = httpx.Request("GET", f"{signed.url}&oauth_consumer_key={KEY}", headers=signed.headers)
    assert sandbox.handle(both).status_code == 200
    different = httpx.Request(
        "GET", f"{signed.url}&oauth_consumer_key=other", headers=signed.headers
    )
    assert sandbox.handle(different).status_code == 401


@pytest.mark.parametrize(
    "value",
    [
        "Björk ñ 東京",
        "rock & roll",
        "1+1=2",
        "a/b",
        "~tilde",
        "",
        "two\nlines",
        "100% pure",
        "x=y&z",
    ],
)
@pytest.mark.parametrize("place", ["header", "query"])
def test_awkward_values_in_signed_queries(
    sandbox: Sandbox, signer: Signer, value: str, place: str
) -> None:
    request = signer.request(
        "GET", "artist/search", {"q": value or "x", "extra": value}, place=place
    )
    response = sandbox.handle(request)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("value", ["pässwörd & co", "a+b=c/d~e", "", "line\nbreak", "%41"])
@pytest.mark.parametrize("place", ["header", "body"])
def test_awkward_values_in_signed_form_bodies(
    sandbox: Sandbox, signer: Signer, value: str, place: str
) -> None:
    data = {"emailAddress": "carol@example.com", "password": value or "x", "note": value}
    response = sandbox.handle(signer.request("POST", "user/signup", data=data, place=place))
    assert response.status_code == 200, response.text
    check = signer.request(
        "POST",
        "user/authenticate",
        data={"emailAddress": "carol@example.com", "password": value or "x"},
    )
    assert sandbox.handle(check).status_code == 200


def test_form_body_without_form_content_type_is_not_signed_data(
    sandbox: Sandbox, signer: Signer
) -> None:
    request = signer.request(
        "POST", "user/authenticate", data={"emailAddress": "a@b.c", "password": "p"}
    )
    stripped = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
    odd = httpx.Request(
        "POST",
        request.url,
        headers={**stripped, "Content-Type": "text/plain"},
        content=request.content,
    )
    assert sandbox.handle(odd).text == "OAuth authentication error: Invalid signature"


def test_base_string_uses_the_requested_host(sandbox: Sandbox, signer: Signer) -> None:
    url = "http://127.0.0.1:8765/1.2/artist/match/byId"
    request = signer.request("GET", "", {"sevenDigitalIds": "2"}, url=url)
    assert sandbox.handle(request).status_code == 200
    moved = httpx.Request("GET", str(request.url).replace("8765", "8766"), headers=request.headers)
    assert sandbox.handle(moved).text == "OAuth authentication error: Invalid signature"


# -- three-legged ---------------------------------------------------------------------------
def test_three_legged_refusals(sandbox: Sandbox, signer: Signer) -> None:
    no_token = sandbox.handle(signer.request("GET", "user/locker"))
    assert (
        no_token.text == "OAuth authentication error: Not authorised - no user credentials provided"
    )
    bogus = sandbox.handle(signer.request("GET", "user/locker", token=("bogus", "secret")))
    assert bogus.text == "OAuth authentication error: Invalid token"
    token = access_token(sandbox)
    assert sandbox.handle(signer.request("GET", "user/locker", token=token)).status_code == 200
    wrong_secret = sandbox.handle(signer.request("GET", "user/locker", token=(token[0], "x")))
    assert wrong_secret.text == "OAuth authentication error: Invalid signature"
    assert sandbox.revoke_token(token[0])
    revoked = sandbox.handle(signer.request("GET", "user/locker", token=token))
    assert revoked.text == "OAuth authentication error: Invalid token"
    assert not sandbox.revoke_token(token[0])


def test_tokens_belong_to_their_consumer(sandbox: Sandbox, signer: Signer) -> None:
    sandbox.add_consumer("other", "other-secret")
    token = access_token(sandbox)
    response = sandbox.handle(
        signer.request("GET", "user/locker", token=token, key="other", secret="other-secret")
    )
    assert response.text == "OAuth authentication error: Invalid token"
