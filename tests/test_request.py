"""Building a request, sans-I/O: value encoding, paths, auth levels, query, form and signing."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from urllib.parse import parse_qsl

import httpx
import pytest

from oauth_check import FORM, as_dict, verify
from py7D import (
    AuthLevel,
    ConfigurationError,
    Settings,
    Token,
    ValidationError,
)
from py7D._request import build_call, encode_value, resolve_path

API = "https://api.example.com/1.2"
SETTINGS = Settings(consumer_key="ck", consumer_secret="cs", country="GB", api_url=API)
TOKEN = Token("user-token", "user-secret")


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 350


class Mode(str, enum.Enum):
    FAST = "fast"


# --------------------------------------------------------------------------- encode_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (3.0, "3"),
        (0.1, "0.1"),
        (2.5e-7, "0.00000025"),
        (decimal.Decimal("7.99"), "7.99"),
        (decimal.Decimal("1E+2"), "100"),
        (dt.date(2011, 1, 31), "20110131"),
        (dt.datetime(2011, 1, 31, 23, 59), "20110131"),
        (["rock", "pop"], "rock,pop"),
        (("download", "subscriptionstreaming"), "download,subscriptionstreaming"),
        ({"pop", "rock", "jazz"}, "jazz,pop,rock"),
        (frozenset({2, 1}), "1,2"),
        ([1, None, True], "1,true"),
        (Colour.RED, "red"),
        (Size.LARGE, "350"),
        (Mode.FAST, "fast"),
        (b"bytes", "bytes"),
        ("Björk", "Björk"),
        ("", ""),
    ],
)
def test_encode_value(value: object, text: str) -> None:
    encoded = encode_value("p", value)

    assert encoded == text
    assert type(encoded) is str


def test_encode_value_none_means_leave_out() -> None:
    assert encode_value("p", None) is None


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {"a": 1},
        1 + 2j,
        float("nan"),
        float("inf"),
        b"\xff\xfe",
    ],
)
def test_encode_value_refuses_what_it_cannot_send(value: object) -> None:
    with pytest.raises(ValidationError, match="'p'"):
        encode_value("p", value)


# --------------------------------------------------------------------------- resolve_path


@pytest.mark.parametrize(
    ("resource", "action", "path"),
    [
        ("artist", "search", "artist/search"),
        ("tag", None, "tag"),
        ("tag", "", "tag"),
        ("artist", "bytag/top", "artist/bytag/top"),
        ("/artist/", "/search/", "artist/search"),
        ("user/payment", "card/select", "user/payment/card/select"),
    ],
)
def test_resolve_path(resource: str, action: str | None, path: str) -> None:
    assert resolve_path(resource, action) == path


@pytest.mark.parametrize(
    ("resource", "action"),
    [
        ("../x", None),
        ("artist", "../x"),
        ("artist", "."),
        ("a?b", None),
        ("artist", "search?q=x"),
        ("artist", "se arch"),
        ("artist", "a#b"),
        ("", None),
        ("/", "search"),
        ("artist//search", None),
        (None, None),
        ("artist", 5),
    ],
)
def test_resolve_path_refuses_malformed_paths(resource: object, action: object) -> None:
    with pytest.raises(ValidationError):
        resolve_path(resource, action)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- build_call


def query_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)


def body_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode("ascii"), keep_blank_values=True)


def signed_request(call: object) -> httpx.Request:
    from py7D._request import PreparedCall

    assert isinstance(call, PreparedCall)
    assert call.auth is not None
    call.auth.sign_request(call.request)
    return call.request


def test_unsigned_call_puts_key_then_country_then_params_in_the_query() -> None:
    call = build_call(SETTINGS, "artist", "search", {"q": "pink floyd", "pageSize": 3})

    request = call.request
    assert call.auth is None
    assert call.auth_level is AuthLevel.NONE
    assert request.method == "GET"
    assert request.url.path == "/1.2/artist/search"
    assert query_pairs(request) == [
        ("oauth_consumer_key", "ck"),
        ("country", "GB"),
        ("q", "pink floyd"),
        ("pageSize", "3"),
    ]
    assert "Authorization" not in request.headers


def test_empty_action_goes_to_the_resource_path() -> None:
    request = build_call(SETTINGS, "tag", None, {}).request

    assert str(request.url).startswith(f"{API}/tag?")


def test_unknown_path_is_sent_unsigned_as_get() -> None:
    call = build_call(SETTINGS, "brand", "new", {"x": 1})

    assert call.endpoint is None
    assert call.auth is None
    assert call.request.method == "GET"


@pytest.mark.parametrize("given", [{"country": "US"}, {"shopId": 34}, {"shopid": 34}])
def test_given_country_or_shop_suppresses_the_default_country(given: dict[str, object]) -> None:
    pairs = query_pairs(build_call(SETTINGS, "artist", "search", {"q": "x", **given}).request)

    countries = [v for k, v in pairs if k == "country"]
    assert countries == ([given["country"]] if "country" in given else [])


def test_no_default_country_when_settings_have_none() -> None:
    settings = Settings(consumer_key="ck", country=None, api_url=API)

    pairs = query_pairs(build_call(settings, "artist", "search", {"q": "x"}).request)

    assert [k for k, _ in pairs] == ["oauth_consumer_key", "q"]


def test_none_values_are_left_out() -> None:
    pairs = query_pairs(build_call(SETTINGS, "artist", "search", {"q": "x", "page": None}).request)

    assert "page" not in dict(pairs)


def test_two_legged_get_puts_params_in_query_and_oauth_in_the_header() -> None:
    call = build_call(SETTINGS, "release", "match/byId", {"releaseId": 12, "q": "a b"})

    assert call.auth_level is AuthLevel.CONSUMER
    request = signed_request(call)
    assert request.method == "GET"
    assert query_pairs(request) == [("country", "GB"), ("releaseId", "12"), ("q", "a b")]
    assert request.headers["Authorization"].startswith("OAuth ")
    checked = verify(request, "cs")
    assert checked.oauth["oauth_consumer_key"] == "ck"
    assert "oauth_token" not in checked.oauth


def test_post_endpoint_sends_a_signed_form_body() -> None:
    call = build_call(
        SETTINGS, "basket", "applyVoucher", {"basketId": "b-1", "voucherCode": "A&B C"}
    )

    request = signed_request(call)
    assert request.method == "POST"
    assert request.headers["Content-Type"] == FORM
    assert request.url.query == b""
    assert body_pairs(request) == [
        ("country", "GB"),
        ("basketId", "b-1"),
        ("voucherCode", "A&B C"),
    ]
    checked = verify(request, "cs")
    assert as_dict(checked.plain) == {"country": "GB", "basketId": "b-1", "voucherCode": "A&B C"}


@pytest.mark.parametrize(
    ("resource", "action"), [("users", "{id}/update"), ("users/{id}/update", None)]
)
def test_users_update_substitutes_the_id_into_the_path_as_put(
    resource: str, action: str | None
) -> None:
    call = build_call(
        SETTINGS, resource, action, {"id": 42, "emailAddress": "a@b.c"}, access_token=TOKEN
    )

    request = signed_request(call)
    assert request.method == "PUT"
    assert request.url.path == "/1.2/users/42/update"
    assert body_pairs(request) == [("country", "GB"), ("emailAddress", "a@b.c")]
    checked = verify(request, "cs", TOKEN.secret)
    assert checked.oauth["oauth_token"] == "user-token"


def test_users_update_with_the_id_already_in_the_path() -> None:
    call = build_call(SETTINGS, "users/42/update", None, {"password": "pw"}, access_token=TOKEN)

    assert call.request.method == "PUT"
    assert call.request.url.path == "/1.2/users/42/update"


@pytest.mark.parametrize(
    ("user_id", "segment"),
    [
        ("a/b", "a%2Fb"),
        ("1?x=y", "1%3Fx%3Dy"),
        ("a b", "a%20b"),
        ("../../admin", "..%2F..%2Fadmin"),
    ],
)
def test_path_parameter_cannot_change_the_path(user_id: str, segment: str) -> None:
    call = build_call(SETTINGS, "users", "{id}/update", {"id": user_id}, access_token=TOKEN)

    request = signed_request(call)
    assert request.url.raw_path == f"/1.2/users/{segment}/update".encode()
    verify(request, "cs", TOKEN.secret)


@pytest.mark.parametrize("user_id", ["..", ".", ""])
def test_path_parameter_dot_segments_are_refused(user_id: str) -> None:
    with pytest.raises(ValidationError, match="id"):
        build_call(SETTINGS, "users", "{id}/update", {"id": user_id}, access_token=TOKEN)


def test_missing_path_parameter_is_refused() -> None:
    with pytest.raises(ValidationError, match="id"):
        build_call(SETTINGS, "users", "{id}/update", {}, access_token=TOKEN)


def test_unlimited_streaming_is_get_three_legged_with_a_token() -> None:
    call = build_call(SETTINGS, "user", "unlimitedStreaming", {}, access_token=TOKEN)

    assert (call.request.method, call.auth_level) == ("GET", AuthLevel.USER)
    verify(signed_request(call), "cs", TOKEN.secret)


def test_unlimited_streaming_is_post_two_legged_when_asked_for_two_legged() -> None:
    call = build_call(SETTINGS, "user", "unlimitedStreaming", {"userId": "u1"}, auth="2-legged")

    assert (call.request.method, call.auth_level) == ("POST", AuthLevel.CONSUMER)
    request = signed_request(call)
    assert ("userId", "u1") in body_pairs(request)
    assert "oauth_token" not in verify(request, "cs").oauth


def test_unlimited_streaming_http_method_picks_the_row() -> None:
    call = build_call(SETTINGS, "user", "unlimitedStreaming", {}, http_method="post")

    assert call.endpoint is not None
    assert (call.request.method, call.auth_level) == ("POST", AuthLevel.CONSUMER)


def test_three_legged_without_a_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="access token"):
        build_call(SETTINGS, "user", "locker", {})


def test_three_legged_auth_without_a_token_is_refused_for_unknown_paths() -> None:
    with pytest.raises(ValidationError):
        build_call(SETTINGS, "brand", "new", {}, auth=AuthLevel.USER)


def test_three_legged_with_user_id_and_no_token_goes_two_legged() -> None:
    call = build_call(SETTINGS, "user", "locker", {"userId": "partner-user-7"})

    assert call.auth_level is AuthLevel.CONSUMER
    assert call.auth is not None
    assert call.auth.token is None
    request = signed_request(call)
    assert ("userId", "partner-user-7") in query_pairs(request)
    assert "oauth_token" not in verify(request, "cs").oauth


def test_access_token_makes_an_unknown_call_three_legged() -> None:
    call = build_call(SETTINGS, "brand", "new", {}, access_token=TOKEN)

    assert call.auth_level is AuthLevel.USER
    assert verify(signed_request(call), "cs", TOKEN.secret).oauth["oauth_token"] == TOKEN.key


def test_bad_auth_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="auth"):
        build_call(SETTINGS, "artist", "search", {}, auth="4-legged")


def test_signed_call_without_a_secret_is_a_configuration_error() -> None:
    settings = Settings(consumer_key="ck", api_url=API)

    with pytest.raises(ConfigurationError, match="PY7D_CONSUMER_SECRET"):
        build_call(settings, "release", "match/byId", {"releaseId": 1})


@pytest.mark.parametrize(("resource", "action"), [("artist", "search"), ("user", "locker")])
def test_missing_key_is_a_configuration_error(resource: str, action: str) -> None:
    settings = Settings(consumer_secret="cs", api_url=API)

    with pytest.raises(ConfigurationError, match="PY7D_CONSUMER_KEY"):
        build_call(settings, resource, action, {}, access_token=TOKEN)


def test_unsigned_post_keeps_the_key_in_the_query_and_params_in_the_body() -> None:
    request = build_call(
        SETTINGS, "brand", "new", {"a": "1"}, http_method="POST", auth="none"
    ).request

    assert query_pairs(request) == [("oauth_consumer_key", "ck")]
    assert body_pairs(request) == [("country", "GB"), ("a", "1")]


def test_access_token_with_a_non_user_auth_level_is_refused():
    from py7D._config import resolve_settings
    from py7D._request import build_call

    settings = resolve_settings(consumer_key="k", consumer_secret="s", environ={})
    with pytest.raises(ValidationError, match="access token was given"):
        build_call(
            settings, "artist", "search", {"q": "x"}, access_token=Token("t", "s"), auth="2-legged"
        )
