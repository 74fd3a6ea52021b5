"""Routing, parameter handling, errors, paging arithmetic, headers and rate limits."""

from __future__ import annotations

import httpx
import pytest
from sandbox_support import KEY, Clock, Signer, content, error_code, get, xml

from py7D._endpoints import ENDPOINTS
from py7D.sandbox import Sandbox, handle
from py7D.sandbox._core import _HANDLERS


def test_every_endpoint_of_the_table_has_a_handler() -> None:
    missing = [f"{e.method} {e.path}" for e in ENDPOINTS if (e.key, e.method) not in _HANDLERS]
    assert missing == []


def test_paths_and_parameter_names_are_case_insensitive(client: httpx.Client) -> None:
    lower = get(client, "artist/toptracks", artistid=2, pagesize=2)
    mixed = get(client, "Artist/TopTracks", ArtistId=2, PAGESIZE=2)
    assert lower.status_code == mixed.status_code == 200
    assert lower.content == mixed.content
    assert content(lower).findtext("pageSize") == "2"
    values = get(client, "artist/search", q="PINK FLOYD", pageSize=1)
    assert content(values).findtext("searchResult/artist/name") == "Pink Floyd"


def test_unknown_endpoint_is_plain_text_404(client: httpx.Client) -> None:
    for path in ("artist/nothing", "nothing", "1.3/artist/details"):
        response = get(client, path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == "Resource not found"
    outside = client.get("http://sandbox.7digital.test/elsewhere")
    assert (outside.status_code, outside.text) == (404, "Resource not found")


def test_wrong_verb_is_405_with_allow(client: httpx.Client) -> None:
    response = client.post("artist/details", data={"artistId": "2", "oauth_consumer_key": KEY})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"].startswith("text/plain")
    put = client.put("user/signup", data={"oauth_consumer_key": KEY})
    assert (put.status_code, put.headers["allow"]) == (405, "POST")


def test_missing_or_unknown_consumer_key(client: httpx.Client) -> None:
    missing = client.get("artist/details", params={"artistId": 2})
    assert missing.status_code == 401
    assert missing.text == "OAuth authentication error: Access to resource denied"
    unknown = get(client, "artist/details", artistId=2, oauth_consumer_key="nobody")
    assert unknown.status_code == 401
    header = client.get(
        "artist/details",
        params={"artistId": 2},
        headers={"Authorization": f"oauth_consumer_key={KEY}"},
    )
    assert header.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("artist/details", {}, 400, 1001),
        ("artist/details", {"artistId": ""}, 400, 1001),
        ("artist/details", {"artistId": "abc"}, 400, 1002),
        ("artist/details", {"artistId": "-3"}, 400, 1002),
        ("artist/details", {"artistId": 99999}, 404, 2001),
        ("release/details", {"releaseId": 5}, 404, 2001),
        ("track/details", {"trackId": 5}, 404, 2001),
        ("artist/search", {"q": "pink", "page": "x"}, 400, 1002),
        ("artist/search", {"q": "pink", "page": 0}, 400, 1003),
        ("artist/search", {"q": "pink", "pageSize": 51}, 400, 1003),
        ("artist/search", {"q": "pink", "pageSize": 0}, 400, 1003),
        ("artist/chart", {"period": "year"}, 400, 1006),
        ("artist/releases", {"artistId": 2, "type": "ep"}, 400, 1006),
        ("release/details", {"releaseId": 100004, "usageTypes": "rental"}, 400, 1006),
        ("artist/match/byId", {}, 401, None),
        ("release/bytag/top", {"tags": "horror,gore"}, 404, 2001),
        ("basket", {"basketId": "not-a-guid"}, 400, 1002),
        ("basket", {"basketId": "00000000-0000-0000-0000-000000000000"}, 404, 2001),
        ("artist/search", {"q": "pink", "shopId": 99999}, 403, 2002),
    ],
)
def test_errors_have_codes_and_statuses(
    client: httpx.Client, path: str, params: dict[str, object], status: int, code: int | None
) -> None:
    response = get(client, path, **params)
    assert response.status_code == status, response.text
    if code is not None:
        assert error_code(response) == code
        assert xml(response).findtext("error/errorMessage")


def test_missing_parameter_message(client: httpx.Client) -> None:
    response = get(client, "artist/releases")
    assert xml(response).findtext("error/errorMessage") == (
        "Missing or invalid querystring value for artistId"
    )


def test_paging_arithmetic(client: httpx.Client) -> None:
    first = content(get(client, "artist/browse", letter="p", pageSize=7))
    total = int(first.findtext("totalItems") or 0)
    assert total > 14
    pages = -(-total // 7)
    last = content(get(client, "artist/browse", letter="p", pageSize=7, page=pages))
    assert last.findtext("page") == str(pages)
    assert last.findtext("pageSize") == "7"  # echoes the request, not the item count
    assert len(last.findall("artist")) == total - 7 * (pages - 1)
    beyond = content(get(client, "artist/browse", letter="p", pageSize=7, page=pages + 1))
    assert beyond.findtext("totalItems") == str(total)
    assert beyond.findall("artist") == []
    seen = []
    for page in range(1, pages + 1):
        el = content(get(client, "artist/browse", letter="p", pageSize=7, page=page))
        seen += [a.get("id") for a in el.findall("artist")]
    assert len(seen) == len(set(seen)) == total


def test_default_page_size_is_ten(client: httpx.Client) -> None:
    el = content(get(client, "artist/releases", artistId=2))
    assert (el.findtext("page"), el.findtext("pageSize")) == ("1", "10")
    assert len(el.findall("release")) == 5


def test_translations_allow_large_pages(client: httpx.Client) -> None:
    el = content(get(client, "translations", pageSize=5000))
    assert el.findtext("pageSize") == "5000"
    assert len(el.findall("translation")) == int(el.findtext("totalItems") or 0)
    assert error_code(get(client, "translations", pageSize=5001)) == 1003


def test_reply_headers(client: httpx.Client) -> None:
    response = get(client, "artist/details", artistId=2)
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.headers["x-ratelimit-limit"] == "4000"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = xml(response)
    assert (root.get("status"), root.get("version")) == ("ok", "1.2")


def test_rate_limit_counts_and_resets(clock: Clock) -> None:
    clock.now = 86400 * 20000 + 86400 - 100  # 100 s before the daily window ends
    sandbox = Sandbox(clock=clock, rate_limit=3)
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as client:
        used = [int(get(client, "status").headers["x-ratelimit-current"]) for _ in range(3)]
        assert used == [1, 2, 3]
        assert get(client, "status").headers["x-ratelimit-reset"] == "100"
        refused = get(client, "status")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "100"
        assert error_code(refused) == 7001
        sandbox.add_consumer("other", "secret")
        assert get(client, "status", oauth_consumer_key="other").status_code == 200
        clock.advance(100)
        fresh = get(client, "status")
        assert fresh.status_code == 200
        assert fresh.headers["x-ratelimit-current"] == "1"
        assert fresh.headers["x-ratelimit-reset"] == "86400"


def test_post_parameters_come_from_the_body(sandbox: Sandbox, signer: Signer) -> None:
    in_query = signer.request(
        "POST",
        "user/authenticate",
        {"emailAddress": "alice@example.com", "password": "alice-password"},
    )
    response = sandbox.handle(in_query)
    assert error_code(response) == 1001
    mixed = signer.request(
        "POST",
        "user/authenticate",
        {"country": "US"},
        data={"emailAddress": "alice@example.com", "password": "alice-password"},
    )
    assert sandbox.handle(mixed).status_code == 200


def test_module_level_handle_uses_a_default_sandbox() -> None:
    request = httpx.Request(
        "GET",
        f"http://sandbox.7digital.test/1.2/artist/details?artistId=3&oauth_consumer_key={KEY}",
    )
    response = handle(request)
    assert response.status_code == 200
    assert content(response).findtext("name") == "Pink"


async def test_async_client_through_the_transport(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url=sandbox.base_url
    ) as client:
        response = await client.get(
            "artist/details", params={"artistId": 2, "oauth_consumer_key": KEY}
        )
    assert content(response).findtext("name") == "Pink Floyd"


def test_handler_crash_is_a_500_envelope(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Sandbox, "_api", boom)
    response = sandbox.handle(
        httpx.Request("GET", f"http://sandbox.7digital.test/1.2/status?oauth_consumer_key={KEY}")
    )
    assert response.status_code == 500
    assert error_code(response) == 9001


def test_voucher_details_and_streaming_status(sandbox: Sandbox, signer: Signer) -> None:
    voucher = content(
        sandbox.handle(
            signer.request("GET", "payment/voucher/details", {"voucherCode": "sandbox-half"})
        )
    )
    assert (voucher.get("code"), voucher.findtext("discountPercentage")) == ("SANDBOX-HALF", "50")
    unknown = sandbox.handle(
        signer.request("GET", "payment/voucher/details", {"voucherCode": "nope"})
    )
    assert error_code(unknown) == 2001
    token = sandbox.issue_access_token("bob@example.com")
    streaming = content(
        sandbox.handle(signer.request("GET", "user/unlimitedStreaming", token=token))
    )
    assert (streaming.findtext("userId"), streaming.findtext("status")) == ("1002", "inactive")


def test_head_is_answered_like_get(client: httpx.Client) -> None:
    response = client.head("artist/details", params={"artistId": 2, "oauth_consumer_key": KEY})
    assert response.status_code == 200


def test_server_needs_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from py7D.sandbox import running

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(RuntimeError, match=r"py7D\[sandbox\]"), running():
        pass
