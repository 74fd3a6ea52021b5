"""Reply parsing, sans-I/O: envelopes, errors, headers, rate limits and page info."""

from __future__ import annotations

import datetime as dt
import email.utils
import json

import httpx
import pytest
import xmltodict

from py7D import (
    APIServiceException,
    InvalidParameterError,
    OAuthError,
    PageInfo,
    RateLimit,
    RateLimitedError,
    RemoteServiceError,
    ResourceNotFoundError,
    ResponseParseError,
    Result,
    UserCardError,
)
from py7D._endpoints import find_endpoint
from py7D._reply import parse_response

API = "https://api.example.com/1.2"


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
