"""Sandbox replies have the element shapes of the recorded 7digital replies.

For every endpoint with recorded replies (read from ``../shared/api/recorded``
at test time, never copied into the repository):

* every element/attribute path of the sandbox reply occurs in a recorded
  reply of that endpoint (except the deliberate extras listed below), and
* every path common to all the recorded replies used for the comparison is
  present in the sandbox reply (except the deliberate omissions below).

Paths are relative to the content element, attributes are written ``@name``
(``@xsi:nil`` for the schema-instance attribute).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sandbox_support import ALICE, RECORDED, SHARED, Signer, access_token, get

from py7D.sandbox import Sandbox

pytestmark = pytest.mark.skipif(
    not RECORDED.is_dir(),
    reason=f"recorded 7digital replies not found at {RECORDED} (the sibling shared/ directory)",
)

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"

# Paths the sandbox sends although no recorded reply of the endpoint has them
# (a path also excuses everything below it).
_FULLER = "most real replies carry it (a wider set of real replies than recorded/), this one not"
EXTRA_PATHS: dict[str, dict[str, str]] = {
    "release/editorial": {
        "editorial/promotionalText": "in the API reference (§8), not in the one recording",
        "editorial/promotionalText/text": "as above",
    },
    "artist/releases": {"releases/release/popularity": _FULLER},
    "editorial/list": {"list/description": "optional list description (API reference §8)"},
    "merchandising/list/details": {"list/description": "as editorial/list"},
    "artist/bytag/top": {"taggedResults/taggedItem/artist/popularity": _FULLER},
    "release/tracks": {"tracks/track/streamingReleaseDate": _FULLER, "tracks/track/type": _FULLER},
    **{
        endpoint: {
            "taggedResults/taggedItem/release/download": _FULLER,
            "taggedResults/taggedItem/release/duration": _FULLER,
            "taggedResults/taggedItem/release/streamingReleaseDate": _FULLER,
        }
        for endpoint in ("release/bytag/new", "release/bytag/top")
    },
}
# Paths every recording of the endpoint has that the sandbox leaves out (none at present).
MISSING_PATHS: dict[str, dict[str, str]] = {}


def shape(element: ET.Element, prefix: str = "") -> set[str]:
    """Element and attribute paths below and including ``element``."""
    path = f"{prefix}/{element.tag}" if prefix else element.tag
    found = {path}
    for name in element.attrib:
        found.add(f"{path}/@{name.replace(XSI, 'xsi:')}")
    for child in element:
        found |= shape(child, path)
    return found


def reply_shape(body: bytes) -> set[str]:
    """Paths of the content element(s) of a reply (``{"<empty>"}`` for an empty envelope)."""
    root = ET.fromstring(body)
    assert root.tag == "response"
    if len(root) == 0:
        return {"<empty>"}
    paths: set[str] = set()
    for child in root:
        paths |= shape(child)
    return paths


def recorded(*names: str) -> list[set[str]]:
    """Shapes of recorded replies (paths relative to the recorded/ directory)."""
    shapes: list[set[str]] = []
    for name in names:
        files = sorted(RECORDED.glob(name))
        assert files, f"no recorded reply matches {name}"
        shapes.extend(reply_shape(f.read_bytes()) for f in files)
    return shapes


def compare(endpoint: str, sandbox_body: bytes, recordings: list[set[str]]) -> None:
    """The two rules of the module docstring, with the documented exceptions."""
    mine = reply_shape(sandbox_body)
    known = set().union(*recordings)
    extras = EXTRA_PATHS.get(endpoint, {})
    unexpected = sorted(
        p for p in mine - known if not any(p == e or p.startswith(e + "/") for e in extras)
    )
    assert not unexpected, f"{endpoint}: paths never seen in recorded replies: {unexpected}"
    # xsi:nil marks missing data in some recorded items; it is never required.
    common = {p for p in set.intersection(*recordings) if not p.endswith("/@xsi:nil")}
    key = common - set(MISSING_PATHS.get(endpoint, {}))
    missing = sorted(key - mine)
    assert not missing, f"{endpoint}: recorded paths the sandbox does not send: {missing}"


CATALOGUE: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("artist/details", {"artistId": 2}, ("artist/details/*.xml",)),
    ("artist/search", {"q": "pink"}, ("artist/search/*.xml",)),
    ("artist/releases", {"artistId": 2}, ("artist/releases/*.xml",)),
    ("artist/similar", {"artistId": 2}, ("artist/similar/*.xml",)),
    ("artist/tags", {"artistId": 2}, ("artist/tags/*.xml",)),
    ("artist/topTracks", {"artistId": 2}, ("artist/toptracks/*.xml",)),
    ("artist/chart", {}, ("artist/chart/*.xml",)),
    ("artist/bytag/top", {"tags": "rock"}, ("artist/bytag/top/rock-page-1.xml",)),
    (
        "release/details",
        {"releaseId": 100004},
        (
            "release/details/releaseid-2432.xml",
            "release/details/releaseid-4180960.xml",
            "_node-client-tests/release-single-format.xml",
        ),
    ),
    (
        "release/tracks",
        {"releaseId": 100004},
        ("release/tracks/releaseid-2432.xml", "_node-client-tests/release-tracks-singletrack.xml"),
    ),
    (
        "release/search",
        {"q": "pink"},
        ("release/search/keane-page-1.xml", "release/search/three-*.xml"),
    ),
    ("release/chart", {}, ("release/chart/*.xml",)),
    ("release/editorial", {"releaseId": 100004}, ("release/editorial/*.xml",)),
    ("release/recommend", {"releaseId": 100004}, ("release/recommend/*.xml",)),
    ("release/tags", {"releaseId": 100004}, ("release/tags/*.xml",)),
    ("release/bytag/new", {"tags": "rock"}, ("release/bytag/new/*.xml",)),
    ("release/bytag/top", {"tags": "rock"}, ("release/bytag/top/*.xml",)),
    ("track/details", {"trackId": 1000030}, ("track/details/*.xml",)),
    ("track/search", {"q": "money"}, ("track/search/*.xml",)),
    ("track/chart", {}, ("track/chart/*.xml",)),
    ("tag", {"pageSize": 15}, ("tag/*.xml",)),
    ("countries", {}, ("countries/*.xml",)),
    ("country/resolve", {"ipaddress": "62.64.31.123"}, ("country/resolve/*.xml",)),
    (
        "payment/card/type",
        {},
        ("payment/card/type/*.xml", "_node-client-tests/payment-card-type.xml"),
    ),
    ("editorial/list", {"key": "tabAlbums"}, ("merchandising/list/details/34/tabalbums.xml",)),
    ("editorial/list", {"key": "empty"}, ("merchandising/list/details/34/empty.xml",)),
    ("catalogue/artist-byurl", {"artistSlug": "keane"}, ("catalogue/artist/keane/*.xml",)),
    ("catalogue/release-byurl", {"releaseSlug": "hopes-and-fears"}, ("catalogue/release/*.xml",)),
    ("release/search", {"q": "zzqqxxnotfound"}, ("release/search/notfound-page-1.xml",)),
]

ERRORS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("release/details", {"releaseId": 3028642}, ("release/details/releaseid-*.xml",)),
    ("release/tracks", {"releaseId": 1961974}, ("release/tracks/releaseid-1961974.xml",)),
    ("artist/bytag/top", {"tags": "horror"}, ("artist/bytag/top/horror-page-1.xml",)),
    (
        "catalogue/artist-byurl",
        {"artistSlug": "mumbojumbo"},
        ("catalogue/artist/mumbojumbo/*.xml",),
    ),
]


def test_recorded_directory_is_the_shared_one() -> None:
    assert (SHARED / "api" / "REFERENCE.md").is_file()


@pytest.mark.parametrize(("endpoint", "params", "files"), CATALOGUE)
def test_catalogue_reply_shapes(
    client: httpx.Client, endpoint: str, params: dict[str, Any], files: tuple[str, ...]
) -> None:
    response = get(client, endpoint, **params)
    assert response.status_code == 200, response.text
    compare(endpoint, response.content, recorded(*files))


@pytest.mark.parametrize(("endpoint", "params", "files"), ERRORS)
def test_error_reply_shapes(
    client: httpx.Client, endpoint: str, params: dict[str, Any], files: tuple[str, ...]
) -> None:
    response = get(client, endpoint, **params)
    assert response.status_code == 404
    shapes = [s for s in recorded(*files) if "error/errorMessage" in s]
    compare(endpoint, response.content, shapes)


def test_user_side_reply_shapes(sandbox: Sandbox, signer: Signer) -> None:
    token = access_token(sandbox, ALICE)
    call = _caller(sandbox, signer, token)

    created = call("GET", "basket/create")
    compare("basket/create", created.content, recorded("basket/create.xml"))
    basket_id = ET.fromstring(created.content).find("basket").get("id")  # type: ignore[union-attr]
    items = ("basket/additem/*.xml", "basket/two-items.xml", "basket/default.xml")
    added = call("GET", "basket/addItem", basketId=basket_id, releaseId=100004)
    compare("basket/addItem", added.content, recorded(*items))
    added = call("GET", "basket/addItem", basketId=basket_id, releaseId=100005, trackId=1000037)
    compare("basket/addItem", added.content, recorded(*items))
    compare("basket", call("GET", "basket", basketId=basket_id).content, recorded(*items))
    voucher = call(
        "POST", "basket/applyVoucher", data={"basketId": basket_id, "voucherCode": "sandbox-half"}
    )
    compare("basket/applyVoucher", voucher.content, recorded("basket/applyvoucher/default.xml"))

    scratch = ET.fromstring(call("GET", "basket/create").content).find("basket").get("id")  # type: ignore[union-attr]
    with_item = call("GET", "basket/addItem", basketId=scratch, releaseId=100006)
    item_id = ET.fromstring(with_item.content).find(".//basketItem").get("id")  # type: ignore[union-attr]
    removed = call("GET", "basket/removeItem", basketId=scratch, itemId=item_id)
    compare(
        "basket/removeItem",
        removed.content,
        recorded("basket/removeitem/*.xml", "basket/create.xml"),
    )

    purchase = call("GET", "user/purchase/basket", basketId=basket_id)
    assert purchase.status_code == 200, purchase.text
    compare("user/purchase/basket", purchase.content, recorded("user/purchase/basket/*.xml"))

    lockers = ("user/locker/*/*.xml", "_node-client-tests/locker-single-release-and-track.xml")
    full = [s for s in recorded(*lockers) if any("lockerRelease" in p for p in s)]
    compare("user/locker", call("GET", "user/locker").content, full)
    compare("user/locker", call("GET", "user/locker", releaseId=100004).content, full)

    empty_locker = _caller(sandbox, signer, access_token(sandbox, "bob@example.com"))(
        "GET", "user/locker"
    )
    compare("user/locker", empty_locker.content, recorded("user/locker/*/yourmusic_10_*.xml"))

    cards = call("GET", "user/payment/card")
    compare("user/payment/card", cards.content, recorded("user/payment/card/default.xml"))
    card_id = ET.fromstring(cards.content).find("cards/card").get("id")  # type: ignore[union-attr]
    added_card = call(
        "POST",
        "user/payment/card/add",
        data={
            "cardNumber": "4444333322221111",
            "cardType": "VISA",
            "cardHolderName": "Alice",
            "cardExpiryDate": "203001",
        },
    )
    compare(
        "user/payment/card/add", added_card.content, recorded("user/payment/card/add/4444*.xml")
    )
    declined = call(
        "POST",
        "user/payment/card/add",
        data={
            "cardNumber": "4012888888881881",
            "cardType": "VISA",
            "cardHolderName": "Alice",
            "cardExpiryDate": "203001",
        },
    )
    assert declined.status_code == 400
    compare("user/payment/card/add", declined.content, recorded("user/payment/card/add/4012*.xml"))
    select = call("POST", "user/payment/card/select", data={"cardId": card_id})
    compare("user/payment/card/select", select.content, recorded("user/payment/card/select/*.xml"))

    registration = call(
        "POST", "user/payment/cardregistration", data={"redirectUrl": "http://app/back"}
    )
    compare(
        "user/payment/cardregistration",
        registration.content,
        recorded("user/payment/cardregistration/createregistrationid.xml"),
    )
    reg_id = ET.fromstring(registration.content).find("cardRegistration").get("id")  # type: ignore[union-attr]
    sandbox.complete_card_registration(reg_id or "", "4111111111111111")
    done = call("GET", f"user/payment/cardregistration/{reg_id}")
    compare(
        "user/payment/cardregistration/{id}",
        done.content,
        recorded("user/payment/cardregistration/checkregistration-card-*.xml"),
    )
    bad = call("POST", "user/payment/cardregistration", data={"redirectUrl": "http://app/back"})
    bad_id = ET.fromstring(bad.content).find("cardRegistration").get("id")  # type: ignore[union-attr]
    sandbox.complete_card_registration(bad_id or "", "1234")
    failed = call("GET", f"user/payment/cardregistration/{bad_id}")
    compare(
        "user/payment/cardregistration/{id}",
        failed.content,
        recorded("user/payment/cardregistration/checkregistration-cardnumberinvalid.xml"),
    )
    delete = call("POST", "user/payment/card/delete", data={"cardId": card_id})
    compare("user/payment/card/delete", delete.content, recorded("user/payment/card/delete/*.xml"))


def test_account_reply_shapes(sandbox: Sandbox, signer: Signer) -> None:
    call = _caller(sandbox, signer, None)
    signup = call(
        "POST", "user/signup", data={"emailAddress": "carol@example.com", "password": "pw"}
    )
    compare("user/signup", signup.content, recorded("user/signup/*.xml"))
    auth = call(
        "POST", "user/authenticate", data={"emailAddress": ALICE, "password": "alice-password"}
    )
    compare("user/authenticate", auth.content, recorded("user/authenticate/*.xml"))
    details = call("GET", "user/details", userId=1001)
    compare("user/details", details.content, recorded("user/details/userid-4874230.xml"))
    found = call("GET", "users", emailAddress=ALICE)
    compare("users", found.content, recorded("users/find/*.xml"))
    token = access_token(sandbox, ALICE)
    updated = _caller(sandbox, signer, token)("PUT", "users/1001/update", data={"password": "new"})
    compare("users/{id}/update", updated.content, recorded("users/update/*.xml"))
    invalid = call("GET", "user/details", userId="invalid")
    assert invalid.status_code == 400
    compare("user/details", invalid.content, recorded("user/details/userid-invalid.xml"))


def test_paypal_purchase_reply_shape(sandbox: Sandbox, signer: Signer) -> None:
    call = _caller(sandbox, signer, access_token(sandbox, ALICE))
    basket_id = ET.fromstring(call("GET", "basket/create").content).find("basket").get("id")  # type: ignore[union-attr]
    call("GET", "basket/addItem", basketId=basket_id, releaseId=100004)
    url = ET.fromstring(
        call(
            "GET",
            "basket/paypalurl",
            basketId=basket_id,
            successUrl="http://a/ok",
            cancelUrl="http://a/no",
        ).content
    ).findtext("expressCheckout/url")
    token = httpx.URL(url or "").params["token"]
    done = call(
        "POST", "basket/completepaypalpurchase", data={"basketId": basket_id, "token": token}
    )
    compare(
        "basket/completepaypalpurchase",
        done.content,
        recorded("basket/completepaypalpurchase/*.xml"),
    )
    refused = call(
        "POST", "basket/applyVoucher", data={"basketId": basket_id, "voucherCode": "p_invalid"}
    )
    assert refused.status_code in (400, 409)


def test_unknown_voucher_matches_the_recorded_error(sandbox: Sandbox, signer: Signer) -> None:
    call = _caller(sandbox, signer, None)
    basket_id = ET.fromstring(call("GET", "basket/create").content).find("basket").get("id")  # type: ignore[union-attr]
    refused = call(
        "POST", "basket/applyVoucher", data={"basketId": basket_id, "voucherCode": "p_invalid"}
    )
    expected = (RECORDED / "basket/applyvoucher/vouchercode-p_invalid.xml").read_bytes()
    assert refused.status_code == 400
    assert reply_shape(refused.content) == reply_shape(expected)
    recorded_root = ET.fromstring(expected)
    mine = ET.fromstring(refused.content)
    for path in ("error/@code", "error/errorMessage"):
        element, _, attr = path.partition("/@")
        if attr:
            assert mine.find(element).get(attr) == recorded_root.find(element).get(attr)  # type: ignore[union-attr]
        else:
            assert mine.findtext(path) == recorded_root.findtext(path)


def _caller(
    sandbox: Sandbox, signer: Signer, token: tuple[str, str] | None
) -> Callable[..., httpx.Response]:
    def call(
        method: str, path: str, data: dict[str, Any] | None = None, **params: Any
    ) -> httpx.Response:
        request = signer.request(method, path, params or None, data=data, token=token)
        response = sandbox.handle(request)
        assert response.status_code < 500, response.text
        return response

    return call
