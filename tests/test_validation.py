"""Validation before sending: near misses, missing parameters, values, credentials.

Every check here must raise before any network traffic, so the client is wired
to a transport that fails the test if it is ever called.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Iterator

import httpx
import pytest

import py7D
from py7D._validation import check_call, suggest_paths

pytestmark = pytest.mark.usefixtures("_fresh_warnings")


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"sent {request.method} {request.url} although validation should fail")


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text='<response status="ok" version="1.2"/>')


@pytest.fixture
def offline() -> Iterator[py7D.Client]:
    with py7D.Client("key", "secret", transport=httpx.MockTransport(_no_network)) as c:
        yield c


@pytest.fixture
def sent() -> Iterator[tuple[py7D.Client, list[httpx.Request]]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return _ok(request)

    with py7D.Client("key", "secret", transport=httpx.MockTransport(handler)) as c:
        yield c, requests


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("resource", "action", "suggestion"),
    [
        ("artist", "serach", "artist/search"),
        ("artist", "detials", "artist/details"),
        ("release", "bytag/topp", "release/bytag/top"),
        ("release", "match/byid2", "release/match/byId"),
        ("artst", "search", "artist/search"),
        ("tags", None, "tag"),
        ("basket", "additem2", "basket/addItem"),
        ("user", "payment/card/selct", "user/payment/card/select"),
    ],
)
def test_near_miss_path_raises_with_did_you_mean(
    offline: py7D.Client, resource: str, action: str | None, suggestion: str
) -> None:
    with pytest.raises(py7D.ValidationError, match="did you mean") as info:
        offline.request(resource, action, q="x")
    assert repr(suggestion) in str(info.value)
    assert "validate=False" in str(info.value)


def test_near_miss_check_is_case_insensitive_and_known_paths_pass() -> None:
    assert suggest_paths("ARTIST/TOPTRACKS") == ["artist/topTracks"]  # it is a typo of itself
    assert suggest_paths("playlists") == []
    assert suggest_paths("user/playlists") == []


@pytest.mark.parametrize(
    ("resource", "action"),
    [("playlists", None), ("user", "playlists"), ("user", "preview/log")],
)
def test_new_endpoint_is_sent_with_one_warning_per_path(
    sent: tuple[py7D.Client, list[httpx.Request]], resource: str, action: str | None
) -> None:
    client, requests = sent
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.request(resource, action, key="x")
        client.request(resource, action, key="y")
    assert len(requests) == 2
    assert [w.category for w in caught] == [py7D.UnknownEndpointWarning]
    assert caught[0].filename == __file__  # points at the caller, not into py7D
    assert issubclass(py7D.UnknownEndpointWarning, py7D.Py7DWarning)


def test_validate_false_sends_a_near_miss_as_given(
    sent: tuple[py7D.Client, list[httpx.Request]],
) -> None:
    client, requests = sent
    with pytest.raises(py7D.ValidationError, match="did you mean 'track/search'"):
        client.request("track", "search2", q="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no checks at all, so no warning either
        client.request("track", "search2", q="x", validate=False)
    assert [r.url.path for r in requests] == ["/1.2/track/search2"]


def test_path_case_follows_the_caller(sent: tuple[py7D.Client, list[httpx.Request]]) -> None:
    client, requests = sent
    client.request("ARTIST", "TopTracks", artistid=1)
    assert requests[0].url.path == "/1.2/ARTIST/TopTracks"
    assert requests[0].url.params["artistid"] == "1"


# --------------------------------------------------------------------------- parameters


def test_missing_required_parameter(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError, match="missing required parameter artistId"):
        offline.request("artist", "details")


def test_none_counts_as_missing(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError, match="missing required parameter q"):
        offline.request("artist", "search", q=None)


def test_every_problem_is_reported_at_once(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError) as info:
        offline.request("basket", "addItem", pageSize="x")
    message = str(info.value)
    assert "basketId" in message
    assert "releaseId" in message
    assert "pageSize must be a whole number" in message


def test_one_of_group(offline: py7D.Client, sent: tuple[py7D.Client, list[httpx.Request]]) -> None:
    with pytest.raises(py7D.ValidationError, match="needs one of mbIds, sevenDigitalIds"):
        offline.request("release", "match/byId")
    client, requests = sent
    client.request("release", "match/byId", sevendigitalids=[1, 2])
    assert requests[0].url.params["sevendigitalids"] == "1,2"


def test_path_parameter_of_a_template(offline: py7D.Client) -> None:
    token = py7D.Token("t", "s")
    with pytest.raises(py7D.ValidationError, match="path parameter id"):
        offline.request("users/{id}/update", access_token=token, emailAddress="a@b.c")


def test_path_parameter_filled_from_params(sent: tuple[py7D.Client, list[httpx.Request]]) -> None:
    client, requests = sent
    client.request("users/{id}/update", access_token=py7D.Token("t", "s"), id=42)
    client.request("users", "42/update", access_token=py7D.Token("t", "s"))
    assert [r.url.path for r in requests] == ["/1.2/users/42/update"] * 2
    assert requests[0].method == "PUT"


def test_parameter_names_match_case_insensitively(
    sent: tuple[py7D.Client, list[httpx.Request]],
) -> None:
    client, requests = sent
    client.request("artist", "details", artistid=1)
    client.request("country", "resolve", IPAddress="1.2.3.4")
    assert len(requests) == 2


def test_same_parameter_twice_in_two_casings(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError, match="same parameter"):
        offline.request("artist", "details", artistId=1, artistid=2)


@pytest.mark.parametrize(
    ("name", "meant"),
    [("artistIdd", "artistId"), ("artsitId", "artistId"), ("pageSise", "pageSize")],
)
def test_near_miss_parameter_name_raises(offline: py7D.Client, name: str, meant: str) -> None:
    with pytest.raises(py7D.ValidationError) as info:
        offline.request("artist", "releases", params={"artistId": 1, name: 2})
    assert f"did you mean {meant!r}" in str(info.value)


def test_near_miss_of_a_missing_required_is_reported_once(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError) as info:
        offline.request("artist", "details", artistIdd=1)
    assert "did you mean 'artistId'" in str(info.value)
    assert "missing required" not in str(info.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"country": "US"},
        {"shopId": 34},
        {"imageSize": 350},
        {"tag_campaign": "spring"},
        {"streamable": True},
        {"releaseId": 5},  # a parameter of other endpoints: sent, the API ignores it
        {"somethingNew": "x"},
    ],
)
def test_unknown_parameters_are_sent(
    sent: tuple[py7D.Client, list[httpx.Request]], extra: dict[str, object]
) -> None:
    client, requests = sent
    client.request("artist", "search", q="pink", **extra)
    name = next(iter(extra))
    assert name in requests[0].url.params


def test_user_id_is_not_required_with_a_user_token(
    sent: tuple[py7D.Client, list[httpx.Request]], offline: py7D.Client
) -> None:
    client, requests = sent
    client.request("user", "details", access_token=py7D.Token("t", "s"))
    assert "oauth_token" in requests[0].headers["authorization"]
    with pytest.raises(py7D.ValidationError, match="userId"):
        offline.request("user", "details")


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("artist/search", {"q": "x", "pageSize": 51}, "pageSize must be at most 50"),
        ("artist/search", {"q": "x", "pageSize": 0}, "pageSize must be at least 1"),
        ("artist/search", {"q": "x", "page": "two"}, "page must be a whole number"),
        ("artist/search", {"q": "x", "page": True}, "page must be a whole number"),
        ("release/chart", {"period": "year"}, "period must be one of day, week, month"),
        ("release/chart", {"period": "wek"}, "did you mean 'week'"),
        ("release/chart", {"toDate": "2011-01-31"}, "toDate must be a date"),
        ("release/chart", {"toDate": "20111331"}, "toDate must be a date"),
        ("release/search", {"q": "x", "type": "ep"}, "type must be one of album"),
        ("user/locker", {"sort": "date"}, "sort must be one of"),
        ("release/details", {"releaseId": 1, "usageTypes": "download,stream"}, "'stream'"),
        ("track/preview", {"trackId": 1, "redirect": "no"}, "redirect must be true or false"),
        ("basket/addpriceditem", {"basketId": "b", "releaseId": 1, "price": "cheap"}, "price"),
    ],
)
def test_bad_values(
    offline: py7D.Client, path: str, params: dict[str, object], message: str
) -> None:
    token = py7D.Token("t", "s") if path.startswith("user/") else None
    with pytest.raises(py7D.ValidationError, match=message):
        offline.request(path, params=params, access_token=token)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("artist/search", {"q": "x", "pageSize": "50", "page": 3.0}),
        ("translations", {"pageSize": 5000}),  # no maximum known for translations
        ("release/chart", {"period": "WEEK", "toDate": datetime.date(2011, 1, 31)}),
        ("release/chart", {"toDate": "20110131"}),
        ("release/search", {"q": "x", "type": "Album"}),
        ("release/details", {"releaseId": 1, "usageTypes": ["download", "subscriptionstreaming"]}),
        ("release/details", {"releaseId": 1, "usageTypes": "download, adsupportedstreaming"}),
        ("track/preview", {"trackId": 1, "redirect": "false"}),
        ("basket/addpriceditem", {"basketId": "b", "releaseId": 1, "price": 0}),
        ("user/locker", {"sort": "artistName ASC"}),
    ],
)
def test_good_values(
    sent: tuple[py7D.Client, list[httpx.Request]], path: str, params: dict[str, object]
) -> None:
    client, requests = sent
    token = py7D.Token("t", "s") if path.startswith("user/") else None
    client.request(path, params=params, access_token=token)
    assert len(requests) == 1


# --------------------------------------------------------------------------- credentials


def test_two_legged_call_without_secret_raises_configuration_error_before_sending() -> None:
    with (
        py7D.Client(
            "key",
            transport=httpx.MockTransport(_no_network),
            environ={},
            config_file="/nonexistent",
        ) as client,
        pytest.raises(py7D.ConfigurationError, match="secret"),
    ):
        client.request("release", "match/byId", mbIds="x")


def test_three_legged_call_without_token_raises_before_sending(offline: py7D.Client) -> None:
    with pytest.raises(py7D.ValidationError, match="access token"):
        offline.request("user", "locker")


def test_unsigned_call_needs_no_secret() -> None:
    with py7D.Client(
        "key", transport=httpx.MockTransport(_ok), environ={}, config_file="/nonexistent"
    ) as client:
        assert client.request("artist", "search", q="x")["response"]["@status"] == "ok"


# --------------------------------------------------------------------------- shared path


def test_check_call_is_sans_io_and_shared_by_both_clients() -> None:
    endpoint = py7D.endpoints("artist")[0]
    check_call(endpoint.path, endpoint, {"letter": "p"})
    with pytest.raises(py7D.ValidationError):
        check_call(endpoint.path, endpoint, {})


async def test_async_client_validates_too() -> None:
    async with py7D.AsyncClient("key", "secret", transport=httpx.MockTransport(_no_network)) as c:
        with pytest.raises(py7D.ValidationError, match="did you mean"):
            await c.request("artist", "serach", q="x")
        with pytest.raises(py7D.ValidationError, match="missing required"):
            await c.artist.details(artist_id=None)  # type: ignore[arg-type]


def test_module_level_request_validates() -> None:
    with py7D.Client("key", "secret", transport=httpx.MockTransport(_no_network)) as client:
        previous = py7D.set_default_client(client)
        try:
            with pytest.raises(py7D.ValidationError, match="did you mean 'pageSize'"):
                py7D.request("artist", "search", q="pink", pageSise=3)
            with pytest.raises(py7D.ValidationError, match="artistId"):
                py7D.request("artist", "details", artistId="abc")
        finally:
            py7D.set_default_client(previous)


def test_module_level_request_sends_a_near_miss_path_with_a_warning(
    sent: tuple[py7D.Client, list[httpx.Request]],
) -> None:
    """The seed sent any path: its functions warn (with the did-you-mean) and send."""
    client, requests = sent
    py7D._validation._reset_warnings()
    previous = py7D.set_default_client(client)
    try:
        with pytest.warns(py7D.UnknownEndpointWarning, match="did you mean 'artist/search'"):
            py7D.request("artist", "serach", q="pink")
    finally:
        py7D.set_default_client(previous)
    assert [r.url.path for r in requests] == ["/1.2/artist/serach"]


def test_warnings_are_py7d_errors_under_w_error(
    sent: tuple[py7D.Client, list[httpx.Request]],
) -> None:
    client, requests = sent
    with warnings.catch_warnings():
        warnings.simplefilter("error", py7D.UnknownEndpointWarning)
        with pytest.raises(py7D.Py7DError):
            client.request("playlists", None)
    assert requests == []
