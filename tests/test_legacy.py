"""The original py7D's module-level API and the oauth7digital token flow."""

from __future__ import annotations

import builtins
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import oauth7digital
import py7D
import py7D._legacy
from oauth_check import as_dict, verify
from py7D import Client, OAuthError, Token

API = "https://api.example.com/1.2"
KEY, SECRET = "legacy-key", "legacy-secret"
OK = (
    b'<response status="ok" version="1.2">'
    b'<tags><tag id="rock"><text>rock</text></tag></tags></response>'
)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(200, content=OK)

    @property
    def last(self) -> httpx.Request:
        assert self.requests
        return self.requests[-1]


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)


@pytest.fixture
def recorder() -> Recorder:
    recorder = Recorder()
    py7D.set_default_client(
        Client(KEY, SECRET, country="GB", base_url=API, transport=httpx.MockTransport(recorder))
    )
    return recorder


# --------------------------------------------------------------------------- module-level calls


def test_request_artist_search(recorder: Recorder) -> None:
    result = py7D.request("artist", "search", q="pink", pageSize=3)

    request = recorder.last
    assert request.method == "GET"
    assert request.url.path == "/1.2/artist/search"
    assert query(request) == [
        ("oauth_consumer_key", KEY),
        ("country", "GB"),
        ("q", "pink"),
        ("pageSize", "3"),
    ]
    assert result["response"]["@status"] == "ok"
    assert result["http_headers"]["status"] == "200"


def test_request_with_no_action(recorder: Recorder) -> None:
    result = py7D.request("tag", None)

    assert recorder.last.url.path == "/1.2/tag"
    assert result["response"]["tags"]["tag"]["@id"] == "rock"


def test_request_takes_an_access_token_as_client_request_does(recorder: Recorder) -> None:
    py7D.request("user", "locker", access_token=Token("acc", "acc-secret"))

    checked = verify(recorder.last, SECRET, "acc-secret")
    assert checked.oauth["oauth_token"] == "acc"
    assert recorder.last.url.path == "/1.2/user/locker"


def test_request_sends_an_unknown_near_miss_path_with_a_did_you_mean_warning(
    recorder: Recorder,
) -> None:
    py7D._validation._reset_warnings()
    with pytest.warns(py7D.UnknownEndpointWarning, match=r"did you mean 'track/search'"):
        py7D.request("track", "search2", q="kylie")

    assert recorder.last.url.path == "/1.2/track/search2"
    with pytest.raises(py7D.ValidationError, match="did you mean"):
        Client(KEY, SECRET, base_url=API, transport=httpx.MockTransport(recorder)).request(
            "track", "search2", q="kylie"
        )


def test_oauth_2legged_request(recorder: Recorder) -> None:
    py7D.oauth_2legged_request("artist", "search", q="pink floyd")

    checked = verify(recorder.last, SECRET)
    assert "oauth_token" not in checked.oauth
    assert as_dict(checked.plain) == {"country": "GB", "q": "pink floyd"}


@pytest.mark.parametrize("token", [Token("acc", "acc-secret"), ("acc", "acc-secret")])
def test_oauth_3legged_request_method_function_token_kwargs(
    recorder: Recorder, token: object
) -> None:
    py7D.oauth_3legged_request("user", "locker", token, pageSize=2)

    request = recorder.last
    assert request.url.path == "/1.2/user/locker"
    checked = verify(request, SECRET, "acc-secret")
    assert checked.oauth["oauth_token"] == "acc"
    assert as_dict(checked.plain) == {"country": "GB", "pageSize": "2"}


def test_module_preview_url_uses_the_default_client(recorder: Recorder) -> None:
    url = py7D.preview_url(99)

    assert urlsplit(url).path == "/clip/99"
    assert urlsplit(url).netloc == "api.example.com"


def test_set_default_client_returns_the_previous_one_unclosed(recorder: Recorder) -> None:
    first = py7D.default_client()
    second = Client(KEY, SECRET, base_url=API, transport=httpx.MockTransport(recorder))

    previous = py7D.set_default_client(second)

    assert previous is first
    assert not first.is_closed
    assert py7D.default_client() is second
    first.close()


# --------------------------------------------------------------------------- lazy default client


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Intercept the real transport, for clients that py7D builds itself."""
    recorder = Recorder()

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        return recorder(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return recorder


def test_default_client_is_built_lazily_from_environment(
    monkeypatch: pytest.MonkeyPatch, network: Recorder
) -> None:
    monkeypatch.setenv("PY7D_API_URL", "http://sandbox.invalid:8000/1.2")
    monkeypatch.setenv("PY7D_CONSUMER_KEY", "env-key")
    monkeypatch.setenv("PY7D_CONSUMER_SECRET", "env-secret")
    monkeypatch.setenv("PY7D_COUNTRY", "FR")
    assert py7D._legacy._default is None

    py7D.request("artist", "search", q="x")
    py7D.oauth_2legged_request("artist", "search", q="y")

    first, second = network.requests
    assert str(first.url).startswith("http://sandbox.invalid:8000/1.2/artist/search?")
    assert query(first)[:2] == [("oauth_consumer_key", "env-key"), ("country", "FR")]
    assert as_dict(verify(second, "env-secret").plain) == {"country": "FR", "q": "y"}
    assert py7D.default_client().settings.sources["consumer_key"] == "$PY7D_CONSUMER_KEY"


def test_default_client_reads_a_legacy_api_settings_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, network: Recorder
) -> None:
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "api_settings.py").write_text("oauthkey = 'seed-key'\nsecret = 'seed-secret'\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PY7D_API_URL", "http://sandbox.invalid/1.2")

    py7D.oauth_2legged_request("artist", "search", q="x")

    checked = verify(network.last, "seed-secret")
    assert checked.oauth["oauth_consumer_key"] == "seed-key"


def test_default_client_without_a_key_raises_configuration_error(network: Recorder) -> None:
    with pytest.raises(py7D.ConfigurationError, match="PY7D_CONSUMER_KEY"):
        py7D.request("artist", "search", q="x")

    assert network.requests == []


def test_default_client_is_created_once_under_a_thread_race(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created: list[Client] = []

    class SlowClient(Client):
        def __init__(self) -> None:
            time.sleep(0.02)  # widen the window between the check and the assignment
            super().__init__(consumer_key="k")
            created.append(self)

    monkeypatch.setattr(py7D._legacy, "Client", SlowClient)
    barrier = threading.Barrier(8)
    seen: list[Client] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        client = py7D.default_client()
        with lock:
            seen.append(client)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(created) == 1
    assert len(seen) == 8
    assert all(client is created[0] for client in seen)


# --------------------------------------------------------------------------- oauth7digital

REQUEST_TOKEN = Token("req-token", "req-secret")
ACCESS_TOKEN = Token("acc-token", "acc-secret")


def xml_token(element: str, token: Token) -> bytes:
    return (
        f'<response status="ok" version="1.2"><{element}>'
        f"<oauth_token>{token.key}</oauth_token>"
        f"<oauth_token_secret>{token.secret}</oauth_token_secret>"
        f"</{element}></response>"
    ).encode()


class TokenServer:
    """Answers the three token steps; ``style`` picks XML or url-encoded token replies."""

    def __init__(self, style: str = "xml", access_reply: bytes | None = None) -> None:
        self.style = style
        self.access_reply = access_reply
        self.requests: list[httpx.Request] = []

    def token_reply(self, element: str, token: Token) -> bytes:
        if self.style == "xml":
            return xml_token(element, token)
        if self.style == "urlencoded":
            return f"oauth_token={token.key}&oauth_token_secret={token.secret}".encode()
        return f"oauth_token_secret={token.secret}&oauth_token={token.key}".encode()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path = request.url.path.lower()
        if path.endswith("/oauth/requesttoken"):
            return httpx.Response(
                200, content=self.token_reply("oauth_request_token", REQUEST_TOKEN)
            )
        if path.endswith("/oauth/accesstoken"):
            body = self.access_reply or self.token_reply("oauth_access_token", ACCESS_TOKEN)
            return httpx.Response(200, content=body)
        if path.endswith("/oauth/requesttoken/authorise"):
            return httpx.Response(200, content=b'<response status="ok" version="1.2"/>')
        return httpx.Response(404, content=b"Resource not found")


def use(server: TokenServer, base_url: str = API) -> None:
    py7D.set_default_client(
        Client(KEY, SECRET, base_url=base_url, transport=httpx.MockTransport(server))
    )


@pytest.mark.parametrize("style", ["xml", "urlencoded", "urlencoded-secret-first"])
def test_oauth7digital_request_and_access_token(style: str) -> None:
    server = TokenServer(style)
    use(server)

    request_token = oauth7digital.request_token(country="GB")
    access_token = oauth7digital.request_access_token(request_token)

    assert request_token == REQUEST_TOKEN
    assert access_token == ACCESS_TOKEN
    first, second = server.requests
    assert first.url.path.lower() == "/1.2/oauth/requesttoken"
    step1 = verify(first, SECRET)
    assert "oauth_token" not in step1.oauth
    assert ("country", "GB") in step1.plain
    assert second.url.path.lower() == "/1.2/oauth/accesstoken"
    assert verify(second, SECRET, REQUEST_TOKEN.secret).oauth["oauth_token"] == "req-token"


def test_authorize_request_token_prints_the_url_and_waits_for_enter(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = TokenServer()
    use(server, py7D.DEFAULT_API_URL)
    prompts: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": prompts.append(prompt) or "")

    url = oauth7digital.authorize_request_token(REQUEST_TOKEN)

    expected = f"https://account.7digital.com/{KEY}/oauth/authorise?oauth_token=req-token"
    assert url == expected
    assert expected in capsys.readouterr().out
    assert len(prompts) == 1
    assert server.requests == []


def test_authorize_request_token_with_credentials_calls_authorise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = TokenServer()
    use(server)
    monkeypatch.setattr(builtins, "input", lambda prompt="": pytest.fail("must not prompt"))

    oauth7digital.authorize_request_token(REQUEST_TOKEN, username="u@example.com", password="p w")

    (request,) = server.requests
    assert request.url.path == "/1.2/oauth/requestToken/authorise"
    checked = verify(request, SECRET)
    assert "oauth_token" not in checked.oauth
    assert as_dict(checked.plain) == {
        "country": "GB",
        "username": "u@example.com",
        "password": "p w",
        "token": "req-token",
    }


def test_authorise_failure_is_an_oauth_error_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=b"OAuth authentication error: Access to resource denied")

    py7D.set_default_client(
        Client(KEY, SECRET, base_url=API, transport=httpx.MockTransport(handler))
    )

    with pytest.raises(OAuthError) as info:
        oauth7digital.authorize_request_token(REQUEST_TOKEN, username="u", password="hunter2pw")

    assert "authoris" in str(info.value)
    for text in (str(info.value), repr(info.value), str(info.value.__cause__)):
        assert "hunter2pw" not in text


@pytest.mark.parametrize("body", [b"", b"<html>gateway</html>"])
def test_authorise_with_an_unreadable_reply_is_an_oauth_error(body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, content=body)

    py7D.set_default_client(
        Client(KEY, SECRET, base_url=API, transport=httpx.MockTransport(handler))
    )

    with pytest.raises(OAuthError, match="authorising"):
        oauth7digital.authorize_request_token(REQUEST_TOKEN, username="u", password="p")


def test_access_token_2002_says_the_token_is_not_authorised() -> None:
    server = TokenServer(
        access_reply=(
            b'<response status="error" version="1.2"><error code="2002">'
            b"<errorMessage>Request token not authorised</errorMessage></error></response>"
        )
    )
    use(server)

    with pytest.raises(OAuthError) as info:
        oauth7digital.request_access_token(REQUEST_TOKEN)

    message = str(info.value)
    assert "access token" in message
    assert "2002" in message
    assert "authorised the request token" in message
    assert isinstance(info.value.__cause__, py7D.ResourceNotFoundError)


@pytest.mark.parametrize(
    "body",
    [
        b"OAuth authentication error: Not authorised",
        b'<response status="ok" version="1.2"><oauth_access_token/></response>',
        b"<html>oops</html>",
    ],
)
def test_access_token_failures_are_oauth_errors_naming_the_step(body: bytes) -> None:
    use(TokenServer(access_reply=body))

    with pytest.raises(OAuthError, match="access token"):
        oauth7digital.request_access_token(REQUEST_TOKEN)


def test_authorize_url_with_a_callback_on_another_host() -> None:
    client = Client("a key", SECRET, base_url="http://127.0.0.1:9000/1.2")

    url = py7D.authorize_url(client, REQUEST_TOKEN, callback="http://app.example/cb?x=1")

    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("127.0.0.1:9000", "/a%20key/oauth/authorise")
    assert dict(parse_qsl(parts.query)) == {
        "oauth_token": "req-token",
        "oauth_callback": "http://app.example/cb?x=1",
    }
    client.close()


def test_module_level_sign_url_uses_the_default_client() -> None:
    from urllib.parse import parse_qsl, urlsplit

    import py7D

    client = py7D.Client("key-1", "secret-1")
    py7D.set_default_client(client)
    try:
        url = py7D.sign_url(
            "https://stream.svc.7digital.net/stream/catalogue", trackId=5, formatId=17
        )
        locker = py7D.sign_url(
            "https://stream.svc.7digital.net/stream/locker", token=("t", "ts"), trackId=5
        )
    finally:
        py7D.set_default_client(None)
        client.close()
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["oauth_consumer_key"] == "key-1"
    assert (query["trackId"], query["formatId"]) == ("5", "17")
    assert "oauth_signature" in query
    assert "oauth_token" not in query
    assert dict(parse_qsl(urlsplit(locker).query))["oauth_token"] == "t"
