"""Fidelity: the sandbox answers as the recorded 7digital replies do.

For every recorded reply in ``../shared/api/recorded`` (read at test time, never
copied into the repository) the sandbox is sent the matching request and:

* an ok reply must contain every element and attribute path of the recording
  (``xsi:nil`` aside), and where the recording has two sibling elements in one
  order the sandbox never has them the other way round (unless the endpoint's
  recordings themselves use both orders, as ``release/details`` does for
  ``label`` and ``download``);
* an error reply must carry the recorded code, the recorded wording and the
  recorded HTTP status (from the stub's ``*.metadata.json``, else the status
  7digital's newer servers send for that code).

Recordings that cannot apply are listed in ``NOT_COMPARED`` with the reason.
``test_fidelity_table`` prints one line per endpoint, also without ``-s``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sandbox_support import ALICE, BOB, RECORDED, Clock, Signer

from py7D.sandbox import Sandbox

pytestmark = pytest.mark.skipif(
    not RECORDED.is_dir(),
    reason=f"recorded 7digital replies not found at {RECORDED} (the sibling shared/ directory)",
)

# HTTP status of an error code where the recording has no stub metadata (REFERENCE §4).
STATUS_OF_CODE = {1001: 400, 1002: 400, 2001: 404, 3012: 400}

NOT_COMPARED = {
    "error/template.xml": "the stub's error template (code='error-code'), not an API reply",
    "_node-client-tests/release-not-found.xml": (
        "older wording of release/details' 2001; current replies say 'No releases found with id'"
    ),
    "user/locker/4874230/yourmusic_1_1_purchasedate_desc.json": (
        "JSON variant; the sandbox answers XML only"
    ),
}


class World:
    """A fresh sandbox with signed-call helpers for one recording."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sandbox = Sandbox(clock=self.clock)
        self.signer = Signer(self.clock)
        self.alice = self.sandbox.issue_access_token(ALICE)

    def call(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        token: tuple[str, str] | None = None,
        **params: Any,
    ) -> httpx.Response:
        return self.sandbox.handle(
            self.signer.request(method, path, params or None, data=data, token=token)
        )

    def user(
        self, method: str, path: str, data: dict[str, Any] | None = None, **params: Any
    ) -> httpx.Response:
        """A call signed with Alice's access token."""
        return self.call(method, path, data, token=self.alice, **params)

    def basket(self, *release_ids: int) -> str:
        created = ET.fromstring(self.call("GET", "basket/create").content)
        basket_id = created.find("basket").get("id")  # type: ignore[union-attr]
        assert basket_id
        for release_id in release_ids:
            self.call("GET", "basket/addItem", basketId=basket_id, releaseId=release_id)
        return basket_id

    def bought(self) -> str:
        basket_id = self.basket(100004)
        assert self.user("GET", "user/purchase/basket", basketId=basket_id).status_code == 200
        return basket_id


def get(path: str, **params: Any) -> Callable[[World], httpx.Response]:
    return lambda w: w.call("GET", path, **params)


def _registration(w: World, number: str) -> httpx.Response:
    started = ET.fromstring(
        w.user("POST", "user/payment/cardregistration", {"redirectUrl": "http://app/back"}).content
    )
    reg_id = started.find("cardRegistration").get("id") or ""  # type: ignore[union-attr]
    w.sandbox.complete_card_registration(reg_id, number)
    return w.user("GET", f"user/payment/cardregistration/{reg_id}")


def _paypal(w: World) -> httpx.Response:
    basket_id = w.basket(100004)
    url = ET.fromstring(
        w.call(
            "GET",
            "basket/paypalurl",
            basketId=basket_id,
            successUrl="http://a",
            cancelUrl="http://b",
        ).content
    ).findtext("expressCheckout/url")
    token = httpx.URL(url or "").params["token"]
    data = {"basketId": basket_id, "token": token}
    return w.user("POST", "basket/completepaypalpurchase", data)


def _remove(w: World) -> httpx.Response:
    basket_id = w.basket(100004)
    body = ET.fromstring(w.call("GET", "basket", basketId=basket_id).content)
    item_id = body.find(".//basketItem").get("id")  # type: ignore[union-attr]
    return w.call("GET", "basket/removeItem", basketId=basket_id, itemId=item_id)


def _card(w: World, number: str) -> httpx.Response:
    form = {
        "cardNumber": number,
        "cardType": "VISA",
        "cardHolderName": "Alice",
        "cardExpiryDate": "203001",
    }
    return w.user("POST", "user/payment/card/add", form)


def _first_card(w: World) -> str:
    cards = ET.fromstring(w.user("GET", "user/payment/card").content)
    return cards.find("cards/card").get("id") or ""  # type: ignore[union-attr]


def _basket_status(w: World, *, paid: bool) -> httpx.Response:
    basket_id = w.bought() if paid else w.basket(100004)
    return w.call("GET", f"basket/{basket_id}/status")


# recording (relative to recorded/) -> (endpoint, how the sandbox is asked)
CASES: dict[str, tuple[str, Callable[[World], httpx.Response]]] = {
    "artist/details/artistid-460.xml": ("artist/details", get("artist/details", artistId=2)),
    "artist/search/keane-page-1.xml": ("artist/search", get("artist/search", q="keane")),
    **{
        f"artist/search/three-pages-of-results-page-{n}.xml": (
            "artist/search",
            get("artist/search", q="pink", pageSize=1, page=n),
        )
        for n in (1, 2, 3)
    },
    "artist/releases/1-page-1.xml": ("artist/releases", get("artist/releases", artistId=2)),
    "artist/releases/1-page-4.xml": (
        "artist/releases",
        get("artist/releases", artistId=2, pageSize=4, page=2),
    ),
    "artist/similar/artistid-609.xml": ("artist/similar", get("artist/similar", artistId=2)),
    "artist/tags/default.xml": ("artist/tags", get("artist/tags", artistId=2)),
    "artist/toptracks/artistid-8576.xml": (
        "artist/topTracks",
        get("artist/topTracks", artistId=2),
    ),
    "artist/chart/default.xml": ("artist/chart", get("artist/chart")),
    "artist/bytag/top/rock-page-1.xml": ("artist/bytag/top", get("artist/bytag/top", tags="rock")),
    "artist/bytag/top/horror-page-1.xml": (
        "artist/bytag/top",
        get("artist/bytag/top", tags="horror"),
    ),
    "artist/recommend/artistid-1.xml": ("artist/recommend", get("artist/recommend", artistId=1)),
    "release/details/releaseid-2432.xml": (
        "release/details",
        get("release/details", releaseId=100004),
    ),
    "release/details/releaseid-4180960.xml": (
        "release/details",
        get("release/details", releaseId=100004),
    ),
    "release/details/releaseid-3028642.xml": (
        "release/details",
        get("release/details", releaseId=3028642),
    ),
    "release/details/releaseid-missing.xml": (
        "release/details",
        get("release/details", releaseId="missing"),
    ),
    "_node-client-tests/release-single-format.xml": (
        "release/details",
        get("release/details", releaseId=100004),
    ),
    "release/tracks/releaseid-2432.xml": (
        "release/tracks",
        get("release/tracks", releaseId=100004),
    ),
    "_node-client-tests/release-tracks-singletrack.xml": (
        "release/tracks",
        get("release/tracks", releaseId=100004, pageSize=1),
    ),
    "release/tracks/releaseid-1961974.xml": (
        "release/tracks",
        get("release/tracks", releaseId=1961974),
    ),
    "release/search/keane-page-1.xml": ("release/search", get("release/search", q="keane")),
    "release/search/three-pages-of-results-page-1.xml": (
        "release/search",
        get("release/search", q="pink", pageSize=3),
    ),
    "release/search/three-pages-of-results-page-3.xml": (
        "release/search",
        get("release/search", q="pink", pageSize=3, page=2),
    ),
    "release/search/notfound-page-1.xml": (
        "release/search",
        get("release/search", q="zzqqxxnotfound"),
    ),
    "release/chart/default.xml": ("release/chart", get("release/chart")),
    "release/editorial/releaseid-2432.xml": (
        "release/editorial",
        get("release/editorial", releaseId=100004),
    ),
    "release/recommend/releaseid-320867.xml": (
        "release/recommend",
        get("release/recommend", releaseId=100004),
    ),
    "release/tags/default.xml": ("release/tags", get("release/tags", releaseId=100004)),
    "release/bytag/new/rock-page-1.xml": (
        "release/bytag/new",
        get("release/bytag/new", tags="rock"),
    ),
    "release/bytag/top/rock-page-1.xml": (
        "release/bytag/top",
        get("release/bytag/top", tags="rock"),
    ),
    "track/details/trackid-12345.xml": ("track/details", get("track/details", trackId=1000030)),
    "track/search/kylie-page-1.xml": ("track/search", get("track/search", q="money")),
    "track/search/daft-punk-page-1.xml": ("track/search", get("track/search", q="money")),
    "track/chart/default.xml": ("track/chart", get("track/chart")),
    "tag/pagesize-15.xml": ("tag", get("tag", pageSize=15)),
    "countries/default.xml": ("countries", get("countries")),
    "country/resolve/ipaddress-62.64.31.123.xml": (
        "country/resolve",
        get("country/resolve", ipaddress="62.64.31.123"),
    ),
    "payment/card/type/default.xml": ("payment/card/type", get("payment/card/type")),
    "_node-client-tests/payment-card-type.xml": ("payment/card/type", get("payment/card/type")),
    "merchandising/list/details/34/tabalbums.xml": (
        "editorial/list",
        get("editorial/list", key="tabAlbums", shopId=34),
    ),
    "merchandising/list/details/34/empty.xml": (
        "editorial/list",
        get("editorial/list", key="empty", shopId=34),
    ),
    "merchandising/list/details/hmv1.xml": (
        "merchandising/list/details",
        get("merchandising/list/details", key="hmv1", shopId=34),
    ),
    "catalogue/artist/keane/default.xml": (
        "catalogue/artist-byurl",
        get("catalogue/artist-byurl", artistSlug="keane"),
    ),
    "catalogue/artist/mumbojumbo/default.xml": (
        "catalogue/artist-byurl",
        get("catalogue/artist-byurl", artistSlug="mumbojumbo"),
    ),
    "catalogue/release/post-nothing.xml": (
        "catalogue/release-byurl",
        get("catalogue/release-byurl", releaseSlug="hopes-and-fears"),
    ),
    # baskets
    "basket/create.xml": ("basket/create", get("basket/create")),
    "basket/default.xml": ("basket", lambda w: w.call("GET", "basket", basketId=w.basket())),
    "basket/two-items.xml": (
        "basket",
        lambda w: w.call("GET", "basket", basketId=w.basket(100004, 100005)),
    ),
    "basket/additem/releaseid-320866.xml": (
        "basket/addItem",
        lambda w: w.call("GET", "basket/addItem", basketId=w.basket(), releaseId=100004),
    ),
    "basket/additem/trackid-2442.xml": (
        "basket/addItem",
        lambda w: w.call(
            "GET", "basket/addItem", basketId=w.basket(), releaseId=100005, trackId=1000037
        ),
    ),
    "basket/removeitem/default.xml": ("basket/removeItem", _remove),
    "basket/applyvoucher/default.xml": (
        "basket/applyVoucher",
        lambda w: w.call(
            "POST",
            "basket/applyVoucher",
            {"basketId": w.basket(100004), "voucherCode": "sandbox-half"},
        ),
    ),
    "basket/applyvoucher/vouchercode-p_invalid.xml": (
        "basket/applyVoucher",
        lambda w: w.call(
            "POST", "basket/applyVoucher", {"basketId": w.basket(), "voucherCode": "p_invalid"}
        ),
    ),
    "basket/completepaypalpurchase/token-success.xml": ("basket/completepaypalpurchase", _paypal),
    "basket/status/success.xml": (
        "basket/{basketId}/status",
        lambda w: _basket_status(w, paid=True),
    ),
    "basket/status/failure.xml": (
        "basket/{basketId}/status",
        lambda w: _basket_status(w, paid=False),
    ),
    # users
    "user/locker/4874230/yourmusic_1_1_purchasedate_desc.xml": (
        "user/locker",
        lambda w: (w.bought(), w.user("GET", "user/locker", pageSize=1, page=1))[1],
    ),
    "user/locker/4874230/yourmusic_10_1_purchasedate_desc.xml": (
        "user/locker",
        lambda w: w.call("GET", "user/locker", token=w.sandbox.issue_access_token(BOB)),
    ),
    "user/locker/4874230/release_1627544.xml": (
        "user/locker",
        lambda w: (w.bought(), w.user("GET", "user/locker", releaseId=100004))[1],
    ),
    "user/locker/3547/purchase_4.xml": (
        "user/locker",
        lambda w: (w.bought(), w.user("GET", "user/locker", purchaseId=1))[1],
    ),
    "_node-client-tests/locker-single-release-and-track.xml": (
        "user/locker",
        lambda w: (w.bought(), w.user("GET", "user/locker", pageSize=1))[1],
    ),
    "user/purchase/basket/default.xml": (
        "user/purchase/basket",
        lambda w: w.user("GET", "user/purchase/basket", basketId=w.basket(100004)),
    ),
    "user/purchase/prepare/default.xml": (
        "user/purchase/prepare",
        lambda w: w.user("GET", "user/purchase/prepare", basketId=w.basket(100004)),
    ),
    "user/payment/card/default.xml": (
        "user/payment/card",
        lambda w: w.user("GET", "user/payment/card"),
    ),
    "user/payment/card/add/4444333322221111.xml": (
        "user/payment/card/add",
        lambda w: _card(w, "4444333322221111"),
    ),
    "user/payment/card/add/4012888888881881.xml": (
        "user/payment/card/add",
        lambda w: _card(w, "4012888888881881"),
    ),
    "user/payment/card/select/default.xml": (
        "user/payment/card/select",
        lambda w: w.user("POST", "user/payment/card/select", {"cardId": _first_card(w)}),
    ),
    "user/payment/card/delete/default.xml": (
        "user/payment/card/delete",
        lambda w: w.user("POST", "user/payment/card/delete", {"cardId": _first_card(w)}),
    ),
    "user/payment/cardregistration/createregistrationid.xml": (
        "user/payment/cardregistration",
        lambda w: w.user("POST", "user/payment/cardregistration", {"redirectUrl": "http://a/b"}),
    ),
    "user/payment/cardregistration/checkregistration-card-4111111111111111.xml": (
        "user/payment/cardregistration/{id}",
        lambda w: _registration(w, "4111111111111111"),
    ),
    "user/payment/cardregistration/checkregistration-cardnumberinvalid.xml": (
        "user/payment/cardregistration/{id}",
        lambda w: _registration(w, "invalid"),
    ),
    "user/signup/default.xml": (
        "user/signup",
        lambda w: w.call("POST", "user/signup", {"emailAddress": "c@example.com", "password": "p"}),
    ),
    "user/details/userid-4874230.xml": ("user/details", get("user/details", userId=1001)),
    "user/details/userid-invalid.xml": ("user/details", get("user/details", userId="invalid")),
    "user/authenticate/commercial-devteam+test@7digital.com.xml": (
        "user/authenticate",
        lambda w: w.call(
            "POST", "user/authenticate", {"emailAddress": ALICE, "password": "alice-password"}
        ),
    ),
    "users/find/emailaddress-commercial-devteam+test@7digital.com.xml": (
        "users",
        get("users", emailAddress=ALICE),
    ),
    "users/update/id-4874230.xml": (
        "users/{id}/update",
        lambda w: w.user("PUT", "users/1001/update", {"password": "new-password"}),
    ),
}


# -- comparison ---------------------------------------------------------------------------
def _content(root: ET.Element) -> list[ET.Element]:
    return list(root)


XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def element_paths(element: ET.Element, prefix: str = "") -> list[str]:
    """Element and attribute (``@name``) paths below and including ``element``, in
    document order, each once; ``xsi:nil`` (a marker of missing data) is left out."""
    path = f"{prefix}/{element.tag}" if prefix else element.tag
    seen = {path: None}
    for name in element.attrib:
        if name != f"{XSI}nil":
            seen.setdefault(f"{path}/@{name}", None)
    for child in element:
        for p in element_paths(child, path):
            seen.setdefault(p, None)
    return list(seen)


def sibling_orders(element: ET.Element, prefix: str = "") -> set[tuple[str, str, str]]:
    """``(parent path, a, b)``: a child ``a`` comes before a different child ``b``."""
    path = f"{prefix}/{element.tag}" if prefix else element.tag
    tags = list(dict.fromkeys(child.tag for child in element))
    pairs = {(path, a, b) for i, a in enumerate(tags) for b in tags[i + 1 :]}
    for child in element:
        pairs |= sibling_orders(child, path)
    return pairs


@dataclass
class Outcome:
    """How one recording compares."""

    file: str
    endpoint: str
    kind: str  # "ok" or "error"
    total_paths: int = 0
    sent: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    error_mismatch: str = ""

    @property
    def passed(self) -> bool:
        return not (self.missing or self.out_of_order or self.error_mismatch)


def _root(file: str) -> ET.Element:
    return ET.fromstring((RECORDED / file).read_bytes())


def recorded_orders(file: str) -> set[tuple[str, str, str]]:
    """The sibling orders of a recording's content elements."""
    orders: set[tuple[str, str, str]] = set()
    for child in ET.fromstring((RECORDED / file).read_bytes()):
        orders |= sibling_orders(child)
    return orders


def compare(
    file: str,
    endpoint: str,
    response: httpx.Response,
    disputed: frozenset[tuple[str, str, str]] = frozenset(),
) -> Outcome:
    """How the sandbox's ``response`` compares with the recording ``file``."""
    recorded_root = _root(file)
    if recorded_root.get("status") == "error":
        outcome = Outcome(file, endpoint, "error")
        recorded_error = recorded_root.find("error")
        assert recorded_error is not None, file
        code = recorded_error.get("code")
        message = recorded_root.findtext("error/errorMessage")
        meta = RECORDED / file.replace(".xml", ".metadata.json")
        status = (
            json.loads(meta.read_text())["statusCode"]
            if meta.is_file()
            else STATUS_OF_CODE[int(code or 0)]
        )
        try:
            mine = ET.fromstring(response.content)
        except ET.ParseError:
            outcome.error_mismatch = f"not XML: {response.status_code} {response.text[:80]}"
            return outcome
        error = mine.find("error")
        got = (
            response.status_code,
            None if error is None else error.get("code"),
            mine.findtext("error/errorMessage"),
        )
        if got != (status, code, message):
            outcome.error_mismatch = f"expected {(status, code, message)}, got {got}"
        return outcome
    outcome = Outcome(file, endpoint, "ok")
    wanted: list[str] = []
    orders: set[tuple[str, str, str]] = set()
    for child in recorded_root:
        wanted += element_paths(child)
        orders |= sibling_orders(child)
    outcome.total_paths = len(wanted)
    if response.status_code != 200 or b'status="ok"' not in response.content[:300]:
        outcome.missing = wanted
        outcome.error_mismatch = f"HTTP {response.status_code}: {response.text[:120]}"
        return outcome
    mine_root = ET.fromstring(response.content)
    have: set[str] = set()
    mine_orders: set[tuple[str, str, str]] = set()
    for child in mine_root:
        have |= set(element_paths(child))
        mine_orders |= sibling_orders(child)
    outcome.sent = have
    outcome.missing = [p for p in wanted if p not in have]
    outcome.out_of_order = sorted(
        f"{parent}: {a} before {b}"
        for parent, a, b in orders - disputed
        if (parent, b, a) in mine_orders
    )
    return outcome


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    orders: dict[str, set[tuple[str, str, str]]] = {}
    for file, (endpoint, _) in CASES.items():
        orders.setdefault(endpoint, set()).update(recorded_orders(file))
    disputed = {
        endpoint: frozenset((p, a, b) for p, a, b in pairs if (p, b, a) in pairs)
        for endpoint, pairs in orders.items()
    }
    results: dict[str, Outcome] = {}
    for file, (endpoint, ask) in CASES.items():
        results[file] = compare(file, endpoint, ask(World()), disputed[endpoint])
    return results


def test_every_recording_is_compared_or_excused() -> None:
    files = {
        str(p.relative_to(RECORDED))
        for p in RECORDED.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".json") and not p.name.endswith(".metadata.json")
    }
    assert files - set(CASES) - set(NOT_COMPARED) == set()
    assert set(CASES) <= files


@pytest.mark.parametrize("file", sorted(CASES))
def test_sandbox_reply_matches_recording(file: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[file]
    assert outcome.missing == [], f"{file}: recorded paths the sandbox does not send"
    assert outcome.out_of_order == [], f"{file}: elements in another order than recorded"
    assert outcome.error_mismatch == "", f"{file}: {outcome.error_mismatch}"


def test_fidelity_table(outcomes: dict[str, Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    by_endpoint: dict[str, list[Outcome]] = {}
    for outcome in outcomes.values():
        by_endpoint.setdefault(outcome.endpoint, []).append(outcome)
    head = f"{'endpoint':38} {'recordings':>10} {'paths':>11} {'order':>6} {'errors':>7}"
    lines = [f"{head} {'extra':>6}"]
    for endpoint, group in sorted(by_endpoint.items()):
        oks = [o for o in group if o.kind == "ok"]
        errors = [o for o in group if o.kind == "error"]
        total = sum(o.total_paths for o in oks)
        present = total - sum(len(o.missing) for o in oks)
        order = "ok" if not any(o.out_of_order for o in oks) else "WRONG"
        errs = f"{sum(not o.error_mismatch for o in errors)}/{len(errors)}" if errors else "-"
        paths = f"{present}/{total}" if oks else "-"
        # Paths the sandbox sends that no recording of the endpoint has (informative).
        recorded_paths = {p for o in oks for child in _root(o.file) for p in element_paths(child)}
        extra = len(set().union(*(o.sent for o in oks)) - recorded_paths) if oks else 0
        row = f"{endpoint:38} {len(group):>10} {paths:>11} {order:>6} {errs:>7}"
        lines.append(f"{row} {extra:>6}")
    with capsys.disabled():
        print(
            "\nSandbox fidelity against the recorded 7digital replies (paths: recorded element"
            " paths the sandbox sends; extra: element paths it sends that no recording has)\n"
            + "\n".join(lines)
        )
    assert len(by_endpoint) >= 40
    assert all(o.passed for o in outcomes.values()), [
        f for f, o in outcomes.items() if not o.passed
    ]
