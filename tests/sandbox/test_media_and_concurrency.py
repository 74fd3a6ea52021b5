"""Signed media URLs (clips, streams, downloads) and concurrent use of one sandbox."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import httpx
from sandbox_support import ALICE, BOB, KEY, Signer, access_token, content

from py7D.sandbox import Sandbox
from py7D.sandbox._web import fake_audio

ORIGIN = "http://sandbox.7digital.test"


def media(
    signer: Signer, path: str, params: Mapping[str, object] | None = None, **kw: object
) -> httpx.Request:
    return signer.request("GET", "", params, url=f"{ORIGIN}/{path}", place="query", **kw)  # type: ignore[arg-type]


def test_clip_needs_a_query_signature(sandbox: Sandbox, signer: Signer) -> None:
    ok = sandbox.handle(media(signer, "clip/1000030"))
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "audio/mpeg"
    assert ok.content == fake_audio(1000030, 4096)
    assert ok.content.startswith(b"ID3")
    unsigned = sandbox.handle(
        httpx.Request("GET", f"{ORIGIN}/clip/1000030?oauth_consumer_key={KEY}")
    )
    assert unsigned.status_code == 401
    bad = sandbox.handle(media(signer, "clip/1000030", secret="wrong"))
    assert (bad.status_code, bad.text) == (401, "OAuth authentication error: Invalid signature")
    assert sandbox.handle(media(signer, "clip/12")).status_code == 404


def test_ranges(sandbox: Sandbox, signer: Signer) -> None:
    whole = fake_audio(1000030, 16384)

    def fetch(range_header: str) -> httpx.Response:
        request = media(signer, "stream/catalogue", {"trackId": 1000030, "formatId": 17})
        request.headers["Range"] = range_header
        return sandbox.handle(request)

    part = fetch("bytes=100-199")
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 100-199/16384"
    assert part.content == whole[100:200]
    tail = fetch("bytes=-10")
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    open_ended = fetch("bytes=16000-")
    assert open_ended.content == whole[16000:]
    beyond = fetch("bytes=20000-")
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == "bytes */16384"


def test_catalogue_stream_checks_parameters(sandbox: Sandbox, signer: Signer) -> None:
    no_format = sandbox.handle(media(signer, "stream/catalogue", {"trackId": 1000030}))
    assert no_format.status_code == 400
    bad_format = sandbox.handle(
        media(signer, "stream/catalogue", {"trackId": 1000030, "formatId": 999})
    )
    assert bad_format.status_code == 400


def test_streams_take_7digitals_streaming_format_ids_and_downloads_do_not(
    sandbox: Sandbox, signer: Signer
) -> None:
    from py7D._endpoints import MEDIA_FORMATS

    assert MEDIA_FORMATS[26].streaming
    token = access_token(sandbox, ALICE)
    bought = sandbox.handle(
        signer.request(
            "GET",
            "user/purchase/item",
            {"releaseId": 100004, "trackId": 1000030, "price": "0.99"},
            token=token,
        )
    )
    assert bought.status_code == 200, bought.text
    streaming = {"trackId": 1000030, "formatId": 26}
    catalogue = sandbox.handle(media(signer, "stream/catalogue", streaming))
    assert catalogue.status_code == 200
    locker = sandbox.handle(media(signer, "stream/locker", streaming, token=token))
    assert (locker.status_code, locker.headers["content-type"]) == (200, "audio/mpeg")
    download = sandbox.handle(
        media(
            signer,
            "media/user/downloadtrack",
            {"releaseId": 100004, "trackId": 1000030, "formatId": 26},
            token=token,
        )
    )
    assert download.status_code == 400  # a streaming format is no download format
    assert "formatId" in download.text
    # Every formatId a locker reply offers is one the table knows as a download format.
    offered = {
        int(f.get("id") or 0) for f in ET.fromstring(bought.content).iter("format") if f.get("id")
    }
    assert offered
    assert all(not MEDIA_FORMATS[i].streaming for i in offered)


def test_locker_stream_and_download_need_ownership(sandbox: Sandbox, signer: Signer) -> None:
    token = access_token(sandbox, ALICE)
    params = {"trackId": 1000030, "formatId": 17}
    two_legged = sandbox.handle(media(signer, "stream/locker", params))
    assert (
        two_legged.text
        == "OAuth authentication error: Not authorised - no user credentials provided"
    )
    not_owned = sandbox.handle(media(signer, "stream/locker", params, token=token))
    assert not_owned.status_code == 403
    bought = sandbox.handle(
        signer.request(
            "GET",
            "user/purchase/item",
            {"releaseId": 100004, "trackId": 1000030, "price": "0.99"},
            token=token,
        )
    )
    assert bought.status_code == 200, bought.text
    owned = sandbox.handle(media(signer, "stream/locker", params, token=token))
    assert owned.status_code == 200
    # The locker's download URL points at this server and works when signed 3-legged.
    url = ET.fromstring(bought.content).findtext(".//downloadUrl/url") or ""
    assert url.startswith(f"{ORIGIN}/media/user/downloadtrack?")
    download = sandbox.handle(signer.request("GET", "", None, url=url, token=token, place="query"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/mpeg"
    bob = sandbox.handle(
        signer.request("GET", "", None, url=url, token=access_token(sandbox, BOB), place="query")
    )
    assert bob.status_code == 403


def test_concurrent_requests_keep_state_consistent(sandbox: Sandbox, signer: Signer) -> None:
    """8 threads x 50 requests: catalogue reads, basket writes, one purchase per basket."""
    token = access_token(sandbox, ALICE)
    lock = threading.Lock()  # the Signer's nonce counter is not thread-safe
    baskets: list[str] = []

    def signed(method: str, path: str, params: dict[str, object]) -> httpx.Response:
        with lock:
            request = signer.request(method, path, params, token=token)
        return sandbox.handle(request)

    def worker(n: int) -> list[int]:
        statuses = []
        basket = content(signed("GET", "basket/create", {})).get("id") or ""
        with lock:
            baskets.append(basket)
        for i in range(47):
            if i % 3 == 0:
                r = signed(
                    "GET",
                    "basket/addItem",
                    {"basketId": basket, "releaseId": 100001 + (n * 47 + i) % 900},
                )
            else:
                r = sandbox.handle(
                    httpx.Request(
                        "GET",
                        f"{sandbox.base_url}/artist/details?artistId={i + 1}"
                        f"&oauth_consumer_key={KEY}",
                    )
                )
            statuses.append(r.status_code)
        statuses.append(signed("GET", "user/purchase/basket", {"basketId": basket}).status_code)
        statuses.append(signed("GET", "user/purchase/basket", {"basketId": basket}).status_code)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    for statuses in results:
        assert len(statuses) == 49
        assert statuses[:-1].count(200) == 48
        assert statuses[-1] == 409  # the second purchase of each basket is refused
    ledger = sandbox.purchases
    assert sorted(p.basket_id or "" for p in ledger) == sorted(baskets)
    assert len({p.id for p in ledger}) == 8
    assert all(len(p.items) == 16 for p in ledger)
    # Every purchase landed in the locker exactly once.
    entries = sandbox.state.locker(1001)
    assert len({e.purchase_id for e in entries}) == 8
    assert (
        int(
            sandbox.handle(
                httpx.Request("GET", f"{sandbox.base_url}/status?oauth_consumer_key={KEY}")
            ).headers["x-ratelimit-current"]
        )
        == 8 * 50 + 1
    )


def test_one_request_token_is_exchanged_once_under_contention(
    sandbox: Sandbox, signer: Signer
) -> None:
    issued = content(sandbox.handle(signer.request("GET", "oauth/requestToken")))
    pair = (issued.findtext("oauth_token") or "", issued.findtext("oauth_token_secret") or "")
    sandbox.authorise_request_token(pair[0], ALICE)
    requests = [signer.request("GET", "oauth/accessToken", token=pair) for _ in range(16)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda r: sandbox.handle(r).status_code, requests))
    assert sorted(statuses) == [200] + [401] * 15
