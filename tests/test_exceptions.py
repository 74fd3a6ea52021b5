"""The error tree, redaction of secrets, and the translation of httpx errors."""

from __future__ import annotations

import inspect
import itertools

import httpx
import pytest

import py7D
from py7D import (
    APIClientException,
    APIServiceException,
    ConfigurationError,
    InvalidParameterError,
    OAuthError,
    Py7DError,
    RateLimitedError,
    RemoteServiceError,
    RequestTimeoutError,
    ResourceNotFoundError,
    ResponseParseError,
    TransportError,
    UserCardError,
    ValidationError,
)
from py7D._exceptions import ERROR_CODE_RANGES, error_class_for_code, map_transport_errors
from py7D._redact import describe_request, redact_url

SECRETS = ("SIGVALUE", "TOKVALUE", "PWVALUE", "TSECVALUE", "USERPW")
SECRET_URL = (
    "https://api.example.com/1.2/user/locker?userId=7&oauth_signature=SIGVALUE"
    "&oauth_token=TOKVALUE&password=PWVALUE&oauth_token_secret=TSECVALUE&q=pink+floyd"
)


def public_error_classes() -> list[type[BaseException]]:
    return [
        obj
        for name, obj in vars(py7D).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_")
    ]


def test_every_exported_error_derives_from_py7derror() -> None:
    classes = public_error_classes()

    assert len(classes) >= 14
    for cls in classes:
        assert issubclass(cls, Py7DError), cls


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (ConfigurationError, APIClientException),
        (ValidationError, APIClientException),
        (RequestTimeoutError, TransportError),
        (InvalidParameterError, APIServiceException),
        (ResourceNotFoundError, APIServiceException),
        (UserCardError, APIServiceException),
        (RemoteServiceError, APIServiceException),
        (RateLimitedError, APIServiceException),
    ],
)
def test_tree_shape(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


@pytest.mark.parametrize(
    "cls", [TransportError, ResponseParseError, OAuthError, APIServiceException, APIClientException]
)
def test_top_level_families_are_disjoint(cls: type[Exception]) -> None:
    others = {
        TransportError,
        ResponseParseError,
        OAuthError,
        APIServiceException,
        APIClientException,
    }
    others.discard(cls)
    assert not any(issubclass(cls, other) for other in others)


@pytest.mark.parametrize(
    "cls", [c for c in vars(py7D).values() if inspect.isclass(c) and issubclass(c, Exception)]
)
def test_no_error_shadows_a_builtin(cls: type[Exception]) -> None:
    import builtins

    assert not hasattr(builtins, cls.__name__)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (999, APIServiceException),
        (1000, InvalidParameterError),
        (1999, InvalidParameterError),
        (2000, ResourceNotFoundError),
        (2002, ResourceNotFoundError),
        (3103, UserCardError),
        (3999, UserCardError),
        (4000, APIServiceException),
        (5000, APIServiceException),
        (6999, APIServiceException),
        (7000, RemoteServiceError),
        (7102, RemoteServiceError),
        (8000, APIServiceException),
        (9001, RemoteServiceError),
        (9999, RemoteServiceError),
        (-1, APIServiceException),
    ],
)
def test_error_class_for_code(code: int, cls: type[APIServiceException]) -> None:
    assert error_class_for_code(code) is cls


def test_code_range_table_does_not_overlap() -> None:
    ranges = sorted((first, last) for first, last, _ in ERROR_CODE_RANGES)

    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert last < first


def test_family_docstrings_and_cli_hints_follow_the_one_code_table() -> None:
    """ERROR_CODE_RANGES is the only list of code families: the docs and the CLI agree with it."""
    from py7D._cli.errors import _api_hint

    for first, last, cls in ERROR_CODE_RANGES:
        assert f"{first}–{last}" in (cls.__doc__ or ""), cls
        assert _api_hint(first) == _api_hint(last) != _api_hint(-1), cls
    assert error_class_for_code(8000) is py7D.APIServiceException
    assert _api_hint(8000) == _api_hint(-1) == "see the 7digital error code list"
    assert _api_hint(7001) == _api_hint(9001) != _api_hint(2001)


def test_api_service_exception_text_and_attributes() -> None:
    error = ResourceNotFoundError(2001, "Release not found", status_code=404)

    assert str(error) == "Error code 2001: Release not found (HTTP 404)"
    assert error.code == 2001
    assert error.message == "Release not found"
    assert "code=2001" in repr(error)
    assert "ResourceNotFoundError" in repr(error)


def test_rate_limited_error_keeps_retry_after() -> None:
    error = RateLimitedError(-1, "slow down", retry_after=3.5, status_code=429)

    assert error.retry_after == 3.5
    assert str(error).startswith("Error code -1: slow down")


# --------------------------------------------------------------------------- redaction


def test_redact_url_hides_every_secret_value_and_keeps_the_rest() -> None:
    redacted = redact_url(SECRET_URL)

    for secret in SECRETS:
        assert secret not in redacted
    assert "oauth_signature=***" in redacted
    assert "oauth_token=***" in redacted
    assert "password=***" in redacted
    assert "userId=7" in redacted
    assert redacted.startswith("https://api.example.com/1.2/user/locker?")


def test_redact_url_is_case_insensitive_on_names() -> None:
    redacted = redact_url("https://h/x?OAuth_Signature=SIGVALUE&PassWord=PWVALUE")

    assert "SIGVALUE" not in redacted
    assert "PWVALUE" not in redacted


def test_redact_url_hides_a_password_in_the_userinfo() -> None:
    redacted = redact_url("https://someone:USERPW@api.example.com/1.2/x?q=1")

    assert "USERPW" not in redacted
    assert "api.example.com/1.2/x" in redacted


def test_redact_url_leaves_a_url_without_query_alone() -> None:
    assert redact_url("https://api.example.com/1.2/tag") == "https://api.example.com/1.2/tag"


def test_describe_request_never_shows_headers() -> None:
    request = httpx.Request(
        "GET", SECRET_URL, headers={"Authorization": 'OAuth oauth_signature="HEADERSIG"'}
    )

    text = describe_request(request)

    assert text is not None
    assert text.startswith("GET https://api.example.com/")
    assert "HEADERSIG" not in text
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize(
    "make",
    [
        lambda r: Py7DError("boom", request=r, status_code=500),
        lambda r: OAuthError("denied", request=r, status_code=401),
        lambda r: ResourceNotFoundError(2001, "nope", request=r, status_code=404),
        lambda r: RateLimitedError(-1, "slow", request=r, retry_after=1.0),
        lambda r: ResponseParseError("bad", request=r, status_code=502, excerpt="<html>"),
        lambda r: TransportError("down", request=r),
        lambda r: ValidationError("wrong", request=r),
    ],
)
def test_str_and_repr_never_contain_secrets(make: object) -> None:
    request = httpx.Request(
        "POST",
        SECRET_URL,
        headers={"Authorization": 'OAuth oauth_signature="HEADERSIG"'},
        content=b"password=PWVALUE",
    )

    error = make(request)  # type: ignore[operator]

    for text in (str(error), repr(error), str(error.args)):
        assert "HEADERSIG" not in text
        for secret in SECRETS:
            assert secret not in text
    assert error.request is not None
    assert "user/locker" in error.request


# --------------------------------------------------------------------------- transport errors

REQUEST = httpx.Request("GET", SECRET_URL)


@pytest.mark.parametrize(
    ("raised", "expected", "acted"),
    [
        (httpx.ConnectError("connection refused"), TransportError, False),
        (httpx.ConnectTimeout("connect timed out"), RequestTimeoutError, False),
        (httpx.PoolTimeout("pool timed out"), RequestTimeoutError, False),
        (httpx.ReadTimeout("read timed out"), RequestTimeoutError, True),
        (httpx.WriteTimeout("write timed out"), RequestTimeoutError, True),
        (httpx.ReadError("connection reset"), TransportError, True),
        (httpx.RemoteProtocolError("peer closed"), TransportError, True),
    ],
)
def test_map_transport_errors(
    raised: httpx.TransportError, expected: type[TransportError], acted: bool
) -> None:
    with pytest.raises(TransportError) as info, map_transport_errors(REQUEST):
        raise raised

    error = info.value
    assert type(error) is expected
    assert error.may_have_acted is acted
    assert error.__cause__ is raised
    assert error.request is not None
    assert error.request.startswith("GET https://api.example.com/1.2/user/locker")
    for secret in SECRETS:
        assert secret not in str(error)


def test_map_transport_errors_takes_the_request_from_the_httpx_error() -> None:
    raised = httpx.ConnectError("refused", request=REQUEST)

    with pytest.raises(TransportError) as info, map_transport_errors():
        raise raised

    assert info.value.request is not None
    assert "user/locker" in info.value.request


def test_map_transport_errors_strips_a_query_quoted_in_the_message() -> None:
    with pytest.raises(TransportError) as info, map_transport_errors(REQUEST):
        raise httpx.ConnectError(f"cannot reach {SECRET_URL}")

    assert "SIGVALUE" not in info.value.message


def test_map_transport_errors_translates_other_httpx_request_errors() -> None:
    with pytest.raises(Py7DError) as info, map_transport_errors(REQUEST):
        raise httpx.TooManyRedirects("too many redirects", request=REQUEST)

    assert isinstance(info.value, TransportError)
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)


def test_map_transport_errors_turns_a_decoding_error_into_a_parse_error() -> None:
    with pytest.raises(ResponseParseError) as info, map_transport_errors(REQUEST):
        raise httpx.DecodingError("bad gzip", request=REQUEST)

    assert isinstance(info.value.__cause__, httpx.DecodingError)


def test_map_transport_errors_lets_other_exceptions_through() -> None:
    with pytest.raises(KeyError), map_transport_errors(REQUEST):
        raise KeyError("not a transport problem")
