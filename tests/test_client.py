"""py7D.Client against an in-test httpx.MockTransport handler."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import py7D
from oauth_check import FORM, as_dict, verify, verify_url
from py7D import (
    Client,
    ConfigurationError,
    RequestTimeoutError,
    ResourceNotFoundError,
    Token,
    TransportError,
    ValidationError,
)

API = "https://api.example.com/1.2"
KEY, SECRET = "client-key", "client-secret-value"
TOKEN = Token("access-token", "access-token-secret")
SEARCH = (
    b'<response status="ok" version="1.2"><searchResults><page>1</page><pageSize>3</pageSize>'
    b"<totalItems>1</totalItems><searchResult><artist id='1'><name>Pink</name></artist>"
    b"</searchResult></searchResults></response>"
)
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers SEARCH and remembers every request."""

    def __init__(self, body: bytes = SEARCH, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.body = body
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(
            self.status,
            content=self.body,
            headers={"Content-Type": "text/xml; charset=utf-8", "x-ratelimit-limit": "4000"},
        )

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "the handler saw no request"
        return self.requests[-1]


def make_client(handler: Handler, **kwargs: object) -> Client:
    options: dict[str, object] = {
        "consumer_key": KEY,
        "consumer_secret": SECRET,
        "country": "GB",
        "base_url": API,
    }
    options.update(kwargs)
    return Client(transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Client:
    with make_client(recorder) as client:
        yield client  # type: ignore[misc]


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)


# --------------------------------------------------------------------------- lifecycle


def test_context_manager_closes_the_pool(recorder: Recorder) -> None:
    with make_client(recorder) as client:
        client.request("artist", "search", q="pink")
        assert not client.is_closed

    assert client.is_closed


def test_a_borrowed_http_client_is_left_open(recorder: Recorder) -> None:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with Client(KEY, SECRET, base_url=API, http_client=http) as client:
        client.request("artist", "search", q="pink")

    assert not http.is_closed
    assert recorder.last.url.host == "api.example.com"
    http.close()


def test_client_sends_a_py7d_user_agent_and_asks_for_xml(
    client: Client, recorder: Recorder
) -> None:
    client.request("artist", "search", q="pink")

    assert recorder.last.headers["User-Agent"].startswith(f"py7D/{py7D.__version__}")
    assert "xml" in recorder.last.headers["Accept"]


def test_client_applies_its_timeout_to_every_request(recorder: Recorder) -> None:
    with make_client(recorder, timeout=4.5) as client:
        client.oauth_2legged_request("artist", "search", q="pink")

    assert recorder.last.extensions["timeout"] == {
        "connect": 4.5,
        "read": 4.5,
        "write": 4.5,
        "pool": 4.5,
    }


def test_client_repr_has_no_secret(client: Client) -> None:
    text = repr(client)

    assert SECRET not in text
    assert KEY in text
    assert API in text


def test_client_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    monkeypatch.setenv("PY7D_CONSUMER_KEY", "env-key")
    monkeypatch.setenv("PY7D_API_URL", "https://env.example/1.2")

    with Client(transport=httpx.MockTransport(recorder)) as client:
        client.request("artist", "search", q="x")

    assert recorder.last.url.host == "env.example"
    assert ("oauth_consumer_key", "env-key") in query(recorder.last)


# --------------------------------------------------------------------------- requests


def test_request_unsigned(client: Client, recorder: Recorder) -> None:
    result = client.request("artist", "search", q="pink floyd", pageSize=3)

    request = recorder.last
    assert request.method == "GET"
    assert str(request.url).startswith(f"{API}/artist/search?")
    assert query(request) == [
        ("oauth_consumer_key", KEY),
        ("country", "GB"),
        ("q", "pink floyd"),
        ("pageSize", "3"),
    ]
    assert "Authorization" not in request.headers
    assert result["response"]["searchResults"]["totalItems"] == "1"
    assert result["http_headers"]["status"] == "200"
    assert result.rate_limit is not None
    assert result.rate_limit.limit == 4000


def test_request_with_an_empty_action(client: Client, recorder: Recorder) -> None:
    client.request("tag")

    assert recorder.last.url.path == "/1.2/tag"


def test_oauth_2legged_request_is_signed_in_the_header(client: Client, recorder: Recorder) -> None:
    client.oauth_2legged_request("artist", "search", q="a&b c")

    request = recorder.last
    assert request.method == "GET"
    checked = verify(request, SECRET)
    assert checked.oauth["oauth_consumer_key"] == KEY
    assert "oauth_token" not in checked.oauth
    assert as_dict(checked.plain) == {"country": "GB", "q": "a&b c"}
    assert "oauth_signature" not in request.url.query.decode()


@pytest.mark.parametrize("token", [TOKEN, (TOKEN.key, TOKEN.secret)])
def test_oauth_3legged_request_with_token_or_tuple(
    client: Client, recorder: Recorder, token: object
) -> None:
    client.oauth_3legged_request("user", "locker", token, pageSize=5)

    request = recorder.last
    assert request.method == "GET"
    assert request.url.path == "/1.2/user/locker"
    checked = verify(request, SECRET, TOKEN.secret)
    assert checked.oauth["oauth_token"] == TOKEN.key
    assert as_dict(checked.plain) == {"country": "GB", "pageSize": "5"}


def test_oauth_3legged_request_refuses_a_bad_token(client: Client, recorder: Recorder) -> None:
    with pytest.raises(py7D.APIClientException):
        client.oauth_3legged_request("user", "locker", "just-a-string")

    assert recorder.requests == []


def test_post_endpoint_sends_a_signed_form_body(client: Client, recorder: Recorder) -> None:
    client.request("basket", "applyVoucher", basketId="b-1", voucherCode="Ünï code")

    request = recorder.last
    assert request.method == "POST"
    assert request.headers["Content-Type"] == FORM
    checked = verify(request, SECRET)
    assert as_dict(checked.plain) == {
        "country": "GB",
        "basketId": "b-1",
        "voucherCode": "Ünï code",
    }


def test_put_users_update(client: Client, recorder: Recorder) -> None:
    client.request("users", "{id}/update", id=42, emailAddress="a@b.c", access_token=TOKEN)

    request = recorder.last
    assert (request.method, request.url.path) == ("PUT", "/1.2/users/42/update")
    assert as_dict(verify(request, SECRET, TOKEN.secret).plain) == {
        "country": "GB",
        "emailAddress": "a@b.c",
    }


def test_params_mapping_carries_names_that_clash_with_options(
    client: Client, recorder: Recorder
) -> None:
    clashing = {"auth": "a", "params": "p", "normalize": "n", "http_method": "h"}

    client.request("artist", "search", params=clashing, q="x")

    sent = dict(query(recorder.last))
    for name, value in clashing.items():
        assert sent[name] == value
    assert sent["q"] == "x"
    assert recorder.last.method == "GET"
    assert "Authorization" not in recorder.last.headers


def test_keyword_wins_over_the_params_mapping(client: Client, recorder: Recorder) -> None:
    client.request("artist", "search", params={"q": "mapping"}, q="keyword")

    assert dict(query(recorder.last))["q"] == "keyword"


def test_api_error_reply_raises_with_a_redacted_request(recorder: Recorder) -> None:
    recorder.body = (
        b'<response status="error" version="1.2"><error code="2001">'
        b"<errorMessage>Release not found</errorMessage></error></response>"
    )
    recorder.status = 404
    with make_client(recorder) as client, pytest.raises(ResourceNotFoundError) as info:
        client.oauth_3legged_request("user", "locker", TOKEN)

    error = info.value
    assert error.status_code == 404
    assert str(error).startswith("Error code 2001: Release not found")
    assert error.request is not None
    assert error.request.startswith(f"GET {API}/user/locker")
    assert SECRET not in str(error)
    assert TOKEN.secret not in str(error)


def test_3legged_endpoint_without_token_is_refused_before_sending(
    client: Client, recorder: Recorder
) -> None:
    with pytest.raises(ValidationError):
        client.request("user", "locker")

    assert recorder.requests == []


def test_signed_call_without_secret_is_refused_before_sending(recorder: Recorder) -> None:
    with make_client(recorder, consumer_secret=None) as client, pytest.raises(ConfigurationError):
        client.oauth_2legged_request("artist", "search", q="x")

    assert recorder.requests == []


# --------------------------------------------------------------------------- transport errors


@pytest.mark.parametrize(
    ("raised", "expected", "acted"),
    [
        (httpx.ConnectError("refused"), TransportError, False),
        (httpx.ReadTimeout("slow"), RequestTimeoutError, True),
        (httpx.ConnectTimeout("slow"), RequestTimeoutError, False),
    ],
)
def test_transport_errors_become_py7d_errors(
    raised: httpx.TransportError, expected: type[TransportError], acted: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    waits: list[float] = []  # the retries' backoff, not slept: this test is about the mapping
    no_wait = py7D.RetryPolicy(sleep=waits.append)
    with make_client(handler, retries=no_wait) as client, pytest.raises(TransportError) as info:
        client.oauth_2legged_request("artist", "search", q="x")

    assert type(info.value) is expected
    assert info.value.may_have_acted is acted
    assert info.value.__cause__ is raised
    assert info.value.request is not None
    assert "artist/search" in info.value.request


# --------------------------------------------------------------------------- URLs


def test_preview_url_on_the_real_api_is_a_signed_clip_url() -> None:
    client = Client(KEY, SECRET, country="US", base_url=py7D.DEFAULT_API_URL)

    url = client.preview_url(12345)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "http",
        "previews.7digital.com",
        "/clip/12345",
    )
    checked = verify_url(url, SECRET)
    assert checked.oauth["oauth_consumer_key"] == KEY
    assert as_dict(checked.plain) == {"country": "US"}
    client.close()


def test_preview_url_on_another_base_url_uses_that_host() -> None:
    client = Client(KEY, SECRET, base_url="http://127.0.0.1:8765/1.2")

    url = client.preview_url("42")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:8765", "/clip/42")
    verify_url(url, SECRET)
    client.close()


def test_preview_url_for_the_real_api_over_http_still_uses_the_clip_host() -> None:
    client = Client(KEY, SECRET, base_url="http://api.7digital.com/1.2")

    assert urlsplit(client.preview_url(1)).netloc == "previews.7digital.com"
    client.close()


def test_preview_url_without_secret_is_the_legacy_unsigned_url() -> None:
    client = Client(KEY, base_url=py7D.DEFAULT_API_URL)

    url = client.preview_url(777)

    assert url == f"https://api.7digital.com/1.2/track/preview?oauth_consumer_key={KEY}&trackid=777"
    client.close()


@pytest.mark.parametrize("track_id", ["abc", "1/../2", "", "12?x=1", "²", "１２"])
def test_preview_url_refuses_a_non_numeric_track_id(track_id: str) -> None:
    client = Client(KEY, SECRET)

    with pytest.raises(ValidationError):
        client.preview_url(track_id)
    client.close()


def test_sign_url_two_and_three_legged(client: Client) -> None:
    stream = "https://stream.svc.7digital.net/stream/catalogue"

    two = client.sign_url(stream, trackId=1, formatId=26, shopId=None)
    three = client.sign_url("https://stream.svc.7digital.net/stream/locker", token=TOKEN, trackId=1)

    assert as_dict(verify_url(two, SECRET).plain) == {"trackId": "1", "formatId": "26"}
    assert "oauth_token" not in dict(parse_qsl(urlsplit(two).query))
    checked = verify_url(three, SECRET, TOKEN.secret)
    assert checked.oauth["oauth_token"] == TOKEN.key
    assert as_dict(checked.plain) == {"trackId": "1"}


def test_sign_url_without_secret_is_a_configuration_error() -> None:
    client = Client(KEY)

    with pytest.raises(ConfigurationError):
        client.sign_url("http://previews.7digital.com/clip/1")
    client.close()
