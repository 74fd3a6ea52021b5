"""The sans-I/O core: value encoding, paths, request building, reply parsing."""

from __future__ import annotations

import datetime as dt
import decimal
import email.utils
import enum
import json
from urllib.parse import parse_qsl

import httpx
import pytest
import xmltodict

from oauth_check import FORM, as_dict, verify
from py7D import (
    APIServiceException,
    AuthLevel,
    ConfigurationError,
    InvalidParameterError,
    OAuthError,
    PageInfo,
    RateLimit,
    RateLimitedError,
    RemoteServiceError,
    ResourceNotFoundError,
    ResponseParseError,
    Result,
    Settings,
    Token,
    UserCardError,
    ValidationError,
)
from py7D._endpoints import find_endpoint
from py7D._reply import parse_response
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


# --------------------------------------------------------------------------- parse_response

OK_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<response status="ok" version="1.2" xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<searchResults><page>1</page><pageSize>2</pageSize><totalItems>3</totalItems>"
    '<searchResult><type>artist</type><artist id="1"><name>Pink</name></artist></searchResult>'
    '<searchResult><type>artist</type><artist id="2"><name>Pink Floyd</name>'
    '<currency code="GBP">£</currency><empty/></artist></searchResult>'
    "</searchResults></response>"
).encode()
SIGNED_URL = f"{API}/user/locker?userId=7&oauth_token=TOKVAL&oauth_signature=SIGVAL&password=PWVAL"


def reply(
    status: int,
    body: bytes | str,
    headers: dict[str, str] | None = None,
    url: str = SIGNED_URL,
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(
        status, content=content, headers=headers, request=httpx.Request("GET", url)
    )


def error_body(code: str, message: str) -> str:
    return (
        f'<response status="error" version="1.2"><error code="{code}">'
        f"<errorMessage>{message}</errorMessage></error></response>"
    )


def assert_no_secrets(text: str) -> None:
    for secret in ("TOKVAL", "SIGVAL", "PWVAL"):
        assert secret not in text


def test_ok_envelope_is_the_xmltodict_tree_in_order() -> None:
    result = parse_response(reply(200, OK_BODY))

    expected = xmltodict.parse(OK_BODY)["response"]
    assert result["response"] == expected
    assert json.dumps(result["response"]) == json.dumps(expected)
    assert list(result) == ["response", "http_headers"]
    assert result.root == "searchResults"
    assert result.data is result["response"]["searchResults"]


def test_result_http_headers_are_lower_case_with_status_as_text() -> None:
    headers = {"Content-Type": "text/xml; charset=utf-8", "X-RateLimit-Limit": "4000"}

    result = parse_response(reply(200, OK_BODY, headers))

    http_headers = result["http_headers"]
    assert http_headers["content-type"] == "text/xml; charset=utf-8"
    assert http_headers["x-ratelimit-limit"] == "4000"
    assert http_headers["status"] == "200"
    assert all(name == name.lower() for name in http_headers)


@pytest.mark.parametrize(
    "raw_value",
    [b"plain", "caf\u00e9 \u2713".encode(), "caf\u00e9".encode("latin-1")],
    ids=["ascii", "utf-8", "latin-1"],
)
def test_http_headers_decode_as_httpx_does(raw_value: bytes) -> None:
    response = httpx.Response(
        200,
        headers=[(b"X-Note", raw_value), (b"x-note", b"again"), (b"Content-Type", b"text/xml")],
        content=OK_BODY,
        request=httpx.Request("GET", "https://api.7digital.com/1.2/x"),
    )

    http_headers = parse_response(response)["http_headers"]

    expected = ", ".join(v for k, v in response.headers.multi_items() if k == "x-note")
    assert http_headers["x-note"] == expected
    assert http_headers["content-type"] == "text/xml"


def test_result_attributes() -> None:
    result = parse_response(reply(200, OK_BODY, {"x-ratelimit-limit": "10"}))

    assert result.status_code == 200
    assert result.content == OK_BODY
    assert result.rate_limit == RateLimit(limit=10, current=None, reset=None)
    assert result.request is not None
    assert_no_secrets(result.request)
    assert_no_secrets(repr(result))
    assert isinstance(result, dict)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1001, InvalidParameterError),
        (2001, ResourceNotFoundError),
        (3012, UserCardError),
        (7001, RemoteServiceError),
        (9001, RemoteServiceError),
        (5000, APIServiceException),
    ],
)
@pytest.mark.parametrize("http_status", [200, 404])
def test_error_envelope_raises_the_class_of_its_code_range(
    code: int, cls: type[APIServiceException], http_status: int
) -> None:
    with pytest.raises(APIServiceException) as info:
        parse_response(reply(http_status, error_body(str(code), "Release not found")))

    error = info.value
    assert type(error) is cls
    assert error.code == code
    assert error.message == "Release not found"
    assert error.status_code == http_status
    assert str(error).startswith(f"Error code {code}: Release not found")
    assert error.request is not None
    assert error.request.startswith(f"GET {API}/user/locker?")
    assert "oauth_signature=***" in error.request
    assert_no_secrets(str(error))
    assert_no_secrets(repr(error))


def test_non_numeric_error_code_becomes_minus_one() -> None:
    with pytest.raises(APIServiceException) as info:
        parse_response(reply(200, error_body("error-code", "Something broke")))

    assert type(info.value) is APIServiceException
    assert info.value.code == -1
    assert info.value.message == "Something broke"


def test_error_envelope_without_an_error_element() -> None:
    with pytest.raises(APIServiceException) as info:
        parse_response(reply(200, '<response status="error" version="1.2"/>'))

    assert info.value.code == -1


@pytest.mark.parametrize("http_status", [401, 200])
def test_plain_text_oauth_error_is_an_oauth_error(http_status: int) -> None:
    body = "OAuth authentication error: Not authorised - no user credentials provided"

    with pytest.raises(OAuthError) as info:
        parse_response(reply(http_status, body))

    assert info.value.status_code == http_status
    assert "no user credentials provided" in str(info.value)
    assert_no_secrets(str(info.value))


def test_access_denied_401_is_an_oauth_error() -> None:
    with pytest.raises(OAuthError, match="Access to resource denied") as info:
        parse_response(reply(401, "Access to resource denied"))

    assert info.value.status_code == 401


def test_429_plain_text_is_rate_limited_with_retry_after_seconds() -> None:
    with pytest.raises(RateLimitedError) as info:
        parse_response(reply(429, "Too many requests", {"Retry-After": "120"}))

    assert info.value.retry_after == 120.0
    assert info.value.status_code == 429


def test_429_retry_after_as_http_date() -> None:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=90)
    header = email.utils.format_datetime(when, usegmt=True)

    with pytest.raises(RateLimitedError) as info:
        parse_response(reply(429, "slow down", {"Retry-After": header}))

    assert info.value.retry_after is not None
    assert 80 <= info.value.retry_after <= 90


def test_429_with_an_error_envelope_keeps_the_code() -> None:
    with pytest.raises(RateLimitedError) as info:
        parse_response(reply(429, error_body("7001", "quota"), {"Retry-After": "5"}))

    assert (info.value.code, info.value.retry_after) == (7001, 5.0)


def test_429_with_an_unreadable_retry_after() -> None:
    with pytest.raises(RateLimitedError) as info:
        parse_response(reply(429, "slow down", {"Retry-After": "whenever"}))

    assert info.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, "<html><body><h1>500 Internal Server Error</h1></body></html>"),
        (200, ""),
        (200, '<response status="ok" version="1.2"><searchResults><page>1</pa'),
        (
            200,
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><response status="ok">&lol2;</response>',
        ),
        (
            200,
            '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><response status="ok">'
            "&x;</response>",
        ),
        (404, "<status>Unrecognised URL: /1.2/nope</status>"),
        (200, '<response status="unrecognised" version="1.2"/>'),
        (200, '<response version="1.2"><x/></response>'),
        (502, "Resource not found"),
        (200, "It went wrong. You suck."),
    ],
)
def test_unreadable_replies_are_response_parse_errors(status: int, body: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        parse_response(reply(status, body))

    error = info.value
    assert error.status_code == status
    assert len(error.excerpt) <= 121
    assert error.excerpt.isprintable()
    assert_no_secrets(str(error))


def test_parse_error_excerpt_is_short_and_printable() -> None:
    body = b"<html>\x00\x1b[31m" + b"x" * 5000 + b"\xff"

    with pytest.raises(ResponseParseError) as info:
        parse_response(reply(500, body))

    assert info.value.excerpt.startswith("<html>")
    assert info.value.excerpt.endswith("…")
    assert len(info.value.excerpt) == 121
    assert info.value.excerpt.isprintable()


def test_too_large_body_is_refused() -> None:
    with pytest.raises(ResponseParseError, match="too-large") as info:
        parse_response(reply(200, OK_BODY), max_bytes=100)

    assert info.value.status_code == 200


def test_ok_envelope_with_an_error_status_code_is_refused() -> None:
    with pytest.raises(ResponseParseError, match="HTTP 500"):
        parse_response(reply(500, '<response status="ok" version="1.2"/>'))


def test_nested_error_inside_an_ok_reply_is_not_an_error() -> None:
    body = (
        '<response status="ok" version="1.2"><cardRegistration id="1" status="error">'
        '<error code="1002"><errorMessage>Adding card failed</errorMessage></error>'
        "</cardRegistration></response>"
    )

    result = parse_response(reply(200, body))

    assert result.data["error"]["@code"] == "1002"


def test_response_without_a_request_can_be_parsed() -> None:
    result = parse_response(httpx.Response(200, content=OK_BODY))

    assert result.request is None
    assert result.root == "searchResults"


# --------------------------------------------------------------------------- RateLimit / paging


def test_rate_limit_from_headers_and_remaining() -> None:
    headers = httpx.Headers(
        {"x-ratelimit-limit": "4000", "x-ratelimit-current": "24", "x-ratelimit-reset": "18953"}
    )

    rate = RateLimit.from_headers(headers)

    assert rate == RateLimit(limit=4000, current=24, reset=18953)
    assert rate is not None
    assert rate.remaining == 3976


def test_rate_limit_remaining_never_negative_and_unknown_when_partial() -> None:
    assert RateLimit(limit=10, current=12, reset=None).remaining == 0
    assert RateLimit(limit=None, current=3, reset=5).remaining is None


def test_rate_limit_absent_or_garbled_headers() -> None:
    assert RateLimit.from_headers(httpx.Headers({"content-type": "text/xml"})) is None
    garbled = RateLimit.from_headers(httpx.Headers({"x-ratelimit-limit": "lots"}))
    assert garbled is None


def test_page_info_of_a_paged_reply() -> None:
    result = parse_response(reply(200, OK_BODY), endpoint=find_endpoint("artist/search"))

    assert result.page_info == PageInfo(page=1, page_size=2, total_items=3)
    assert result.page_info is not None
    assert result.page_info.total_pages == 2
    assert result.page_info.has_next


@pytest.mark.parametrize(
    ("page", "size", "total", "pages", "has_next"),
    [(1, 10, 0, 0, False), (3, 36, 90, 3, False), (2, 36, 90, 3, True), (1, 0, 5, 0, False)],
)
def test_page_info_arithmetic(page: int, size: int, total: int, pages: int, has_next: bool) -> None:
    info = PageInfo(page=page, page_size=size, total_items=total)

    assert (info.total_pages, info.has_next) == (pages, has_next)


def test_page_info_inside_locker_releases() -> None:
    body = (
        '<response status="ok" version="1.2"><locker><lockerReleases>'
        "<page>2</page><pageSize>1</pageSize><totalItems>5</totalItems>"
        "<lockerRelease><release id='1'/></lockerRelease>"
        "</lockerReleases></locker></response>"
    )
    endpoint = find_endpoint("user/locker")
    assert endpoint is not None
    assert endpoint.items == "lockerReleases.lockerRelease"

    result = parse_response(reply(200, body), endpoint=endpoint)

    assert result.page_info == PageInfo(page=2, page_size=1, total_items=5)
    assert parse_response(reply(200, body)).page_info is None


def test_page_info_is_none_for_an_unpaged_reply() -> None:
    body = '<response status="ok" version="1.2"><artist id="1"><name>x</name></artist></response>'

    assert parse_response(reply(200, body)).page_info is None


def test_empty_envelope_has_no_root_or_data() -> None:
    result = parse_response(reply(200, '<response status="ok" version="1.2"/>'))

    assert isinstance(result, Result)
    assert result.root is None
    assert result.data is None
    assert result.page_info is None
    assert result["response"] == {"@status": "ok", "@version": "1.2"}
    assert "(empty)" in repr(result)


def test_excerpt_masks_credentials_in_a_token_reply_body():
    from py7D._reply import excerpt

    text = excerpt(b"oauth_token=abc&oauth_token_secret=SUPERSECRET&x=1")
    assert "SUPERSECRET" not in text
    assert "abc" not in text
    assert "oauth_token_secret=***" in text


def test_access_token_with_a_non_user_auth_level_is_refused():
    from py7D._config import resolve_settings
    from py7D._request import build_call

    settings = resolve_settings(consumer_key="k", consumer_secret="s", environ={})
    with pytest.raises(ValidationError, match="access token was given"):
        build_call(
            settings, "artist", "search", {"q": "x"}, access_token=Token("t", "s"), auth="2-legged"
        )
