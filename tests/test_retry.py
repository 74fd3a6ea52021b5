"""Retries: reads only (decided by the endpoint table), backoff, Retry-After, budgets, messages."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import py7D
from py7D import RetryPolicy
from py7D._endpoints import find_endpoint
from py7D._retry import is_read
from retry_support import OK_BODY, FakeClock, Script, error_body, make_async_client, make_client, ok

Invoke = Callable[..., py7D.Result]

TOKEN = py7D.Token("user-token", "user-token-secret-xyz")


@pytest.fixture(params=["sync", "async"])
def invoke(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``invoke(handler, options, resource, action, **params)`` through Client or AsyncClient."""

    def run(handler: Any, options: dict[str, Any], *args: Any, **params: Any) -> py7D.Result:
        if request.param == "sync":
            with make_client(handler, **options) as client:
                return client.request(*args, **params)

        async def go() -> py7D.Result:
            async with make_async_client(handler, **options) as client:
                return await client.request(*args, **params)

        return asyncio.run(go())

    return run


def status(code: int, body: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(code, content=body, headers=headers)


# ---------------------------------------------------------------------- what is a read


def test_reads_are_decided_by_the_table_not_the_verb() -> None:
    purchase = find_endpoint("user/purchase/basket")
    assert purchase is not None
    assert purchase.method == "GET"
    assert not is_read(purchase)  # charges through a GET
    authenticate = find_endpoint("user/authenticate")
    assert authenticate is not None
    assert authenticate.method == "POST"
    assert is_read(authenticate)  # a POST that changes nothing
    assert not is_read(None)  # outside the table: treated as state-changing
    for endpoint in py7D.ENDPOINTS:
        assert is_read(endpoint) is (not endpoint.changes_state)
        if endpoint.moves_money:
            assert not is_read(endpoint)


# ---------------------------------------------------------------------- reads are retried


@pytest.mark.parametrize("code", [429, 502, 503, 504])
def test_read_retried_on_transient_statuses(
    invoke: Invoke, policy: RetryPolicy, clock: FakeClock, code: int
) -> None:
    script = Script(status(code, b"<html>busy</html>"), status(code, error_body(7001, "x")), ok)
    result = invoke(script, {"retries": policy}, "status")
    assert result.status_code == 200
    assert script.count == 3
    assert clock.sleeps == [1.0, 2.0]  # full jitter with the dice at 1: the ceiling


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadError,
        httpx.ConnectError,
        httpx.RemoteProtocolError,
        httpx.ReadTimeout,
        httpx.ConnectTimeout,
        httpx.WriteError,
        httpx.PoolTimeout,
    ],
)
def test_read_retried_on_network_errors_and_timeouts(
    invoke: Invoke, policy: RetryPolicy, error: type[Exception]
) -> None:
    script = Script(error, ok)
    assert invoke(script, {"retries": policy}, "status").status_code == 200
    assert script.count == 2


def test_broken_reply_to_a_read_is_retried(invoke: Invoke, policy: RetryPolicy) -> None:
    truncated = status(200, OK_BODY[: len(OK_BODY) // 2])
    script = Script(truncated, status(200, b"\x00\xff garbage"), ok)
    assert invoke(script, {"retries": policy}, "status").status_code == 200
    assert script.count == 3


def test_a_signed_post_read_is_retried(invoke: Invoke, policy: RetryPolicy) -> None:
    """``user/authenticate`` is a POST that changes nothing: the table says read."""
    user = (
        b'<response status="ok" version="1.2"><user id="1"><type>7digital</type></user></response>'
    )
    script = Script(status(503), status(200, user))
    result = invoke(
        script,
        {"retries": policy},
        "user",
        "authenticate",
        emailAddress="a@example.com",
        password="pw",
    )
    assert result.root == "user"
    assert [r.method for r in script.requests] == ["POST", "POST"]
    # Each attempt is signed afresh: a new nonce, so the server's replay check passes.
    nonces = [r.headers["authorization"].split("oauth_nonce=")[1][:34] for r in script.requests]
    assert nonces[0] != nonces[1]


def test_500_is_not_retried_by_default_but_can_be(
    invoke: Invoke, policy: RetryPolicy, clock: FakeClock
) -> None:
    script = Script(status(500, error_body(9001, "boom")), ok)
    with pytest.raises(py7D.RemoteServiceError) as info:
        invoke(script, {"retries": policy}, "status")
    assert script.count == 1
    assert info.value.attempts == 1
    with_500 = RetryPolicy(
        statuses=frozenset({500, 503}),
        random=lambda: 0.0,
        sleep=clock.sleep,
        async_sleep=clock.async_sleep,
        clock=clock,
    )
    script = Script(status(500, error_body(9001, "boom")), ok)
    assert invoke(script, {"retries": with_500}, "status").status_code == 200


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (status(404, b"Resource not found"), py7D.ResponseParseError),
        (status(404, error_body(2001, "Release not found")), py7D.ResourceNotFoundError),
        (status(400, error_body(1001, "Missing releaseId")), py7D.InvalidParameterError),
        (status(401, b"OAuth authentication error: Invalid signature"), py7D.OAuthError),
        (status(200, error_body(2001, "Release not found")), py7D.ResourceNotFoundError),
    ],
)
def test_permanent_errors_are_not_retried(
    invoke: Invoke, policy: RetryPolicy, reply: httpx.Response, error: type[Exception]
) -> None:
    script = Script(reply, ok)
    with pytest.raises(error):
        invoke(script, {"retries": policy}, "status")
    assert script.count == 1


# ---------------------------------------------------------------------- Retry-After


def test_retry_after_is_honoured(invoke: Invoke, policy: RetryPolicy, clock: FakeClock) -> None:
    script = Script(status(429, error_body(7001, "slow down"), **{"Retry-After": "5"}), ok)
    assert invoke(script, {"retries": policy}, "status").status_code == 200
    assert clock.sleeps == [5.0]  # max(backoff 1 s, Retry-After 5 s)


def test_retry_after_as_http_date(invoke: Invoke, policy: RetryPolicy, clock: FakeClock) -> None:
    script = Script(
        status(429, b"", **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # in the past
        ok,
    )
    assert invoke(script, {"retries": policy}, "status").status_code == 200
    assert clock.sleeps == [1.0]


def test_too_long_retry_after_raises_at_once(invoke: Invoke, policy: RetryPolicy) -> None:
    script = Script(status(429, error_body(7001, "quota"), **{"Retry-After": "3600"}), ok)
    with pytest.raises(py7D.RateLimitedError) as info:
        invoke(script, {"retries": policy}, "status")
    assert script.count == 1
    assert info.value.retry_after == 3600.0
    assert info.value.may_have_acted is None  # a read


def test_rate_limited_after_the_budget(invoke: Invoke, policy: RetryPolicy) -> None:
    script = Script(status(429, error_body(7001, "Rate limit exceeded"), **{"Retry-After": "1"}))
    with pytest.raises(py7D.RateLimitedError) as info:
        invoke(script, {"retries": policy}, "status")
    assert script.count == 4
    assert info.value.retry_after == 1.0
    assert info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)


# ---------------------------------------------------------------------- budgets


def test_gives_up_after_max_attempts_with_the_last_error(
    invoke: Invoke, policy: RetryPolicy, clock: FakeClock
) -> None:
    script = Script(status(503), status(502), status(504), httpx.ReadError)
    with pytest.raises(py7D.TransportError) as info:
        invoke(script, {"retries": policy}, "status")
    assert script.count == 4
    assert info.value.attempts == 4
    assert "after 4 attempts" in str(info.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_deadline_caps_total_time(clock: FakeClock) -> None:
    policy = RetryPolicy(
        max_attempts=10,
        backoff_base=1.0,
        deadline=5.0,
        random=lambda: 1.0,
        sleep=clock.sleep,
        clock=clock,
    )
    script = Script(status(503))
    start = clock.now
    with make_client(script, retries=policy) as client, pytest.raises(py7D.Py7DError) as info:
        client.request("status")
    # waits 1 and 2 fit in 5 s; the third (4 s, ending at 7 s) would not
    assert script.count == 3
    assert info.value.attempts == 3
    assert clock.now - start <= 5.0


def test_attempt_timeouts_are_clipped_to_the_deadline(clock: FakeClock) -> None:
    policy = RetryPolicy(
        max_attempts=3,
        backoff_base=2.0,
        deadline=10.0,
        random=lambda: 1.0,
        sleep=clock.sleep,
        clock=clock,
    )
    script = Script(status(503), status(503), ok)
    with make_client(script, retries=policy, timeout=30.0) as client:
        client.request("status")
    seen = [r.extensions["timeout"] for r in script.requests]
    assert seen[0]["read"] == 10.0  # 30 s read timeout, but only 10 s left
    assert seen[1]["read"] == 8.0  # after a 2 s wait
    assert seen[2]["read"] == 4.0  # after a further 4 s
    assert all(t["connect"] <= 10.0 for t in seen)


def test_int_and_none_retries() -> None:
    assert RetryPolicy.coerce(3).max_attempts == 4
    assert RetryPolicy.coerce(0).max_attempts == 1
    assert RetryPolicy.coerce(None).max_attempts == 1
    policy = RetryPolicy(max_attempts=2)
    assert RetryPolicy.coerce(policy) is policy
    for bad in (-1, True, 1.5, "3"):
        with pytest.raises(ValueError, match="retries"):
            RetryPolicy.coerce(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_retries_none_sends_once(invoke: Invoke) -> None:
    script = Script(status(503), ok)
    with pytest.raises(py7D.Py7DError):
        invoke(script, {"retries": None}, "status")
    assert script.count == 1


def test_full_jitter_stays_under_the_capped_ceiling() -> None:
    dice = iter([0.0, 0.5, 0.999, 0.25, 1.0])
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0, random=lambda: next(dice))
    assert policy.backoff(1) == 0.0
    assert policy.backoff(2) == 0.5  # 0.5 * min(3, 1.0)
    assert policy.backoff(3) == pytest.approx(0.999 * 2.0)
    assert policy.backoff(4) == 0.25 * 3.0  # capped: min(3, 4)
    assert policy.backoff(30) == 3.0


def test_default_client_retries_reads() -> None:
    client = py7D.Client(KEY_FOR_DEFAULT, "s")
    assert client.retries.max_attempts == 4
    assert client.retries.deadline == 60.0
    assert client.retries.statuses == frozenset({429, 502, 503, 504})


KEY_FOR_DEFAULT = "k"


# ---------------------------------------------------------------------- state-changing calls


WRITES: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("user", "purchase/basket"), {"basketId": "b-1", "access_token": TOKEN}),  # GET, charges
    (("basket", "create"), {}),  # GET, unsigned
    (("basket", "applyVoucher"), {"basketId": "b-1", "voucherCode": "V"}),  # POST
    (("user", "payment/card/select"), {"cardId": 1, "access_token": TOKEN}),
    (("user", "signup"), {"emailAddress": "a@example.com", "password": "pw"}),
    (("users", "1/update"), {"password": "new", "access_token": TOKEN}),  # PUT
    (("artist", "doSomethingNew"), {}),  # outside the table: state-changing
]


@pytest.mark.filterwarnings("ignore::py7D.UnknownEndpointWarning")  # the free-form path
@pytest.mark.parametrize(
    ("args", "params"), WRITES, ids=lambda v: "/".join(v) if isinstance(v, tuple) else ""
)
@pytest.mark.parametrize(
    ("failure", "acted"),
    [
        (status(503, b"Service Unavailable"), True),
        (status(502, b"<html>Bad Gateway</html>"), True),
        (status(500, error_body(9001, "boom")), True),
        (httpx.ReadError, True),
        (httpx.ReadTimeout, True),
        (httpx.RemoteProtocolError, True),
        (status(200, OK_BODY[:40]), True),  # the reply was cut after the action
        (httpx.ConnectError, False),  # never reached the server
        (httpx.ConnectTimeout, False),
        (status(429, error_body(7001, "slow down"), **{"Retry-After": "0"}), False),
        (status(402, error_body(3002, "no card")), False),
    ],
)
def test_state_changing_calls_are_never_retried(
    invoke: Invoke,
    policy: RetryPolicy,
    args: tuple[str, ...],
    params: dict[str, Any],
    failure: Any,
    acted: bool,
) -> None:
    script = Script(failure, ok)
    with pytest.raises(py7D.Py7DError) as info:
        invoke(script, {"retries": policy}, *args, **params)
    assert script.count == 1
    error = info.value
    assert error.attempts == 1
    assert error.may_have_acted is acted
    text = str(error)
    assert "changes state and was not retried" in text
    assert ("may have acted" in text) is acted
    assert ("did not act" in text) is (not acted)


def test_rate_limited_write_raises_rate_limited_error_immediately(
    invoke: Invoke, policy: RetryPolicy
) -> None:
    script = Script(status(429, error_body(7001, "Rate limit exceeded"), **{"Retry-After": "2"}))
    with pytest.raises(py7D.RateLimitedError) as info:
        invoke(
            script, {"retries": policy}, "user", "purchase/basket", basketId="b", access_token=TOKEN
        )
    assert script.count == 1
    assert info.value.retry_after == 2.0


# ---------------------------------------------------------------------- logging


def test_every_retry_is_logged_at_info_with_reason_and_wait(
    policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(status(503), httpx.ReadError, status(429, b"", **{"Retry-After": "3"}), ok)
    with caplog.at_level(logging.INFO, logger="py7D"), make_client(script, retries=policy) as c:
        c.request("status")
    retries = [r for r in caplog.records if r.name == "py7D" and "retrying" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.INFO] * 3
    messages = [r.getMessage() for r in retries]
    assert "in 1.000s" in messages[0]
    assert "HTTP 503" in messages[0]
    assert "in 2.000s" in messages[1]
    assert "network error (ReadError)" in messages[1]
    assert "in 4.000s" in messages[2]
    assert "HTTP 429, Retry-After 3s" in messages[2]
    assert all("attempt" in m and "of 4" in m for m in messages)


# ---------------------------------------------------------------------- timeouts


def test_timeouts_are_on_by_default() -> None:
    script = Script(ok)
    with make_client(script) as client:
        client.request("status")
    timeout = script.requests[0].extensions["timeout"]
    assert timeout["connect"] == 10.0
    assert timeout["read"] == 30.0
    assert timeout["write"] == 30.0
    assert timeout["pool"] == 30.0


@pytest.mark.parametrize(
    ("value", "read", "connect"),
    [(2.5, 2.5, 2.5), (httpx.Timeout(7.0, connect=1.0), 7.0, 1.0)],
)
def test_timeout_per_client_and_per_call(value: Any, read: float, connect: float) -> None:
    script = Script(ok)
    with make_client(script, timeout=value, retries=RetryPolicy(deadline=None)) as client:
        client.request("status")
        client.request("status", timeout=httpx.Timeout(0.5))
    first, second = (r.extensions["timeout"] for r in script.requests)
    assert (first["read"], first["connect"]) == (read, connect)
    assert (second["read"], second["connect"]) == (0.5, 0.5)


async def test_async_timeout_per_call() -> None:
    script = Script(ok)
    async with make_async_client(script, retries=RetryPolicy(deadline=None)) as client:
        await client.request("status", timeout=1.5)
    assert script.requests[0].extensions["timeout"]["read"] == 1.5


def test_retry_after_on_503_is_honoured_too(
    invoke: Invoke, policy: RetryPolicy, clock: FakeClock
) -> None:
    script = Script(status(503, b"Service Unavailable", **{"Retry-After": "6"}), ok)
    assert invoke(script, {"retries": policy}, "status").status_code == 200
    assert clock.sleeps == [6.0]


def test_errors_carry_retry_after(invoke: Invoke, policy: RetryPolicy) -> None:
    script = Script(status(503, b"Service Unavailable", **{"Retry-After": "9"}))
    with pytest.raises(py7D.ResponseParseError) as info:
        invoke(script, {"retries": policy}, "basket", "create")
    assert info.value.retry_after == 9.0


def test_tls_verification_failures_are_not_retried(invoke: Invoke, policy: RetryPolicy) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("certificate verify failed", request=request) from exc

    script = Script(refuse, ok)
    with pytest.raises(py7D.TransportError, match="ConnectError"):
        invoke(script, {"retries": policy}, "status")
    assert script.count == 1
