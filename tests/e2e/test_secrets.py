"""Secrets never leak: a whole DEBUG-logged session, reprs, exception texts; TLS stays verified."""

from __future__ import annotations

import io
import logging
import ssl
import traceback
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

import py7D
from py7D.sandbox import Faults, Sandbox, running

CONSUMER_KEY = "visible-consumer-key"
CONSUMER_SECRET = "S3CR3T-consumer-zq9w"
EMAIL = "carol@example.com"
PASSWORD = "P4SS-word-xk7v"


class Recorder(httpx.HTTPTransport):
    """The real transport, noting every OAuth signature sent (to look for it afterwards)."""

    def __init__(self) -> None:
        super().__init__()
        self.signatures: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("authorization", "")
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name.endswith("oauth_signature"):
                quoted = value.strip('"')
                self.signatures.update({quoted, urllib.parse.unquote(quoted)})
        return super().handle_request(request)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged anywhere (root at DEBUG: py7D, httpx, httpcore, uvicorn...)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def texts_of(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def test_debug_logged_session_leaks_no_secret(captured: io.StringIO) -> None:
    sandbox = Sandbox(consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET)
    sandbox.add_user(EMAIL, PASSWORD)
    recorder = Recorder()
    seen: list[str] = []
    secrets = {CONSUMER_SECRET, PASSWORD}

    with (
        running(sandbox) as url,
        py7D.Client(CONSUMER_KEY, CONSUMER_SECRET, base_url=url, transport=recorder) as client,
    ):
        seen += [repr(client), str(client), repr(client.settings), repr(client._signer())]

        # log in through the token flow
        request_token = py7D.get_request_token(client)
        secrets.add(request_token.secret)
        py7D.authorise_request_token(client, request_token, EMAIL, PASSWORD)  # password in a GET
        access_token = py7D.exchange_access_token(client, request_token)
        secrets.add(access_token.secret)
        seen += [repr(request_token), str(access_token), repr(access_token)]

        # signed calls, 2- and 3-legged, GET and POST (a password in a form body)
        seen.append(repr(client.request("user", "locker", access_token=access_token)))
        seen.append(repr(client.oauth_2legged_request("release", "match/byId", mbIds="x")))
        seen.append(
            repr(client.request("user", "authenticate", emailAddress=EMAIL, password=PASSWORD))
        )

        # errors of every family, their texts and tracebacks
        with pytest.raises(py7D.UserCardError) as no_card:  # carol has no card
            client.request("user", "purchase/rrpitem", releaseId=100002, access_token=access_token)
        with pytest.raises(py7D.APIServiceException) as wrong_password:
            client.request("user", "authenticate", emailAddress=EMAIL, password=PASSWORD + "x")
        with pytest.raises(py7D.OAuthError) as bad_token:
            client.request("user", "locker", access_token=(access_token.key, "wrong-secret"))
        with pytest.raises(py7D.OAuthError) as reused:
            py7D.exchange_access_token(client, request_token)  # single use
        for info in (no_card, wrong_password, bad_token, reused):
            seen += texts_of(info.value)

    # a network failure on a call carrying the password in its query
    failing = Sandbox(
        consumer_key=CONSUMER_KEY,
        consumer_secret=CONSUMER_SECRET,
        faults=Faults(rate=1.0, kinds=("reset",)),
    )
    with (
        py7D.Client(
            CONSUMER_KEY, CONSUMER_SECRET, base_url=failing.base_url, transport=failing.transport()
        ) as client,
        pytest.raises(py7D.Py7DError) as network,
    ):
        py7D.authorise_request_token(client, request_token, EMAIL, PASSWORD)
    seen += texts_of(network.value)

    assert recorder.signatures, "no signed request was recorded"
    secrets |= recorder.signatures
    log = captured.getvalue()
    assert "HTTP Request: GET" in log  # httpx's own INFO lines were captured...
    assert "password=%2A%2A%2A" in log or "password=***" in log  # ...with the password masked
    assert "py7D" in log
    everything = "\n".join([log, *seen])
    leaked = sorted(s for s in secrets if s and s in everything)
    assert leaked == []


def test_reprs_mask_secrets() -> None:
    token = py7D.Token("public-key", "very-secret-token")
    assert "very-secret-token" not in repr(token)
    assert "very-secret-token" not in str(token)
    client = py7D.Client("public-consumer", "very-secret-consumer")
    for text in (repr(client), str(client), repr(client.settings), repr(client._signer(token))):
        assert "very-secret-consumer" not in text
        assert "very-secret-token" not in text
    assert "public-consumer" in repr(client)


def test_redaction_of_urls_in_errors() -> None:
    request = httpx.Request(
        "GET",
        "https://api.7digital.com/1.2/oauth/requestToken/authorise",
        params={"username": "u", "password": "hunter2", "oauth_signature": "sig=="},
    )
    error = py7D.TransportError("boom", request=request)
    assert "hunter2" not in str(error)
    assert "sig==" not in repr(error)
    assert "username=u" in str(error)


def test_turning_verification_off_is_explicit_and_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="py7D"):
        client = py7D.Client("k", "s", verify=False)
        async_client = py7D.AsyncClient("k", "s", verify=False)
    warnings = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
    assert len(warnings) == 2
    assert all(r.levelno == logging.WARNING for r in warnings)
    client.close()
    del async_client


@pytest.fixture(scope="module")
def https_sandbox() -> Iterator[tuple[str, ssl.SSLContext]]:
    """The sandbox served over https with a certificate from a private CA (trustme)."""
    import socket
    import threading

    import trustme
    import uvicorn

    from py7D.sandbox._server import asgi_app

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    sandbox = Sandbox(consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET)
    with cert.private_key_pem.tempfile() as key_file, cert.cert_chain_pems[0].tempfile() as crt:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            asgi_app(sandbox),
            log_level="warning",
            lifespan="off",
            ssl_keyfile=key_file,
            ssl_certfile=crt,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.01)
        trusting = ssl.create_default_context()
        ca.configure_trust(trusting)
        try:
            yield f"https://127.0.0.1:{port}/1.2", trusting
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()


def test_untrusted_certificate_is_refused_and_not_retried(
    https_sandbox: tuple[str, ssl.SSLContext], captured: io.StringIO
) -> None:
    url, _ = https_sandbox
    client = py7D.Client(CONSUMER_KEY, CONSUMER_SECRET, base_url=url)
    with client, pytest.raises(py7D.TransportError) as info:
        client.oauth_2legged_request("release", "match/byId", sevenDigitalIds="100001")
    assert info.value.attempts == 1  # a bad certificate is not a transient failure
    assert "retrying" not in captured.getvalue()
    assert CONSUMER_SECRET not in "\n".join(texts_of(info.value))


def test_trusted_certificate_and_explicit_verify_false(
    https_sandbox: tuple[str, ssl.SSLContext], caplog: pytest.LogCaptureFixture
) -> None:
    url, trusting = https_sandbox
    with py7D.Client(CONSUMER_KEY, CONSUMER_SECRET, base_url=url, verify=trusting) as client:
        result = client.oauth_2legged_request("release", "match/byId", sevenDigitalIds="100001")
        assert result.status_code == 200
    with (
        caplog.at_level(logging.WARNING, logger="py7D"),
        py7D.Client(CONSUMER_KEY, CONSUMER_SECRET, base_url=url, verify=False) as client,
    ):
        assert client.request("status").status_code == 200
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)
