"""Property-based fuzzing of reply parsing and of request signing (checked by the sandbox)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import py7D
from py7D._reply import parse_response
from py7D.sandbox import Sandbox
from retry_support import OK_BODY

# ---------------------------------------------------------------------- parsing

STATUSES = st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 502, 503])


def check_parse(status: int, body: bytes, content_type: str = "text/xml") -> None:
    """Any reply either parses into an ok Result or raises a py7D error; nothing else."""
    request = httpx.Request("GET", "https://api.example.test/1.2/status?oauth_consumer_key=k")
    response = httpx.Response(
        status, content=body, headers={"content-type": content_type}, request=request
    )
    error: py7D.Py7DError | None = None
    try:
        result = parse_response(response, max_bytes=1_000_000)
    except py7D.Py7DError as exc:
        error = exc
    if error is not None:
        str(error), repr(error)  # the texts themselves must not fail
        assert error.status_code == status
        return
    assert result["response"]["@status"] == "ok"
    assert status < 400
    assert result.content == body


@settings(max_examples=300, deadline=None)
@given(status=STATUSES, body=st.binary(max_size=2000))
def test_random_bytes_never_crash_the_parser(status: int, body: bytes) -> None:
    check_parse(status, body)


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    """A real envelope with bytes deleted, inserted, flipped or cut off."""
    body = bytearray(
        draw(
            st.sampled_from(
                [
                    OK_BODY,
                    b'<response status="error" version="1.2"><error code="2001">'
                    b"<errorMessage>Release not found</errorMessage></error></response>",
                    b'<response status="ok" version="1.2"/>',
                ]
            )
        )
    )
    for _ in range(draw(st.integers(1, 6))):
        if not body:
            break
        where = draw(st.integers(0, len(body) - 1))
        action = draw(st.sampled_from(["delete", "insert", "flip", "cut"]))
        if action == "delete":
            del body[where]
        elif action == "insert":
            body[where:where] = draw(
                st.sampled_from([b"<", b">", b"&", b'"', b"\x00", b"\xff", b"<!DOCTYPE x>", b"]]>"])
            )
        elif action == "flip":
            body[where] = draw(st.integers(0, 255))
        else:
            del body[where:]
    return bytes(body)


@settings(max_examples=400, deadline=None)
@given(status=STATUSES, body=mutated_envelopes())
def test_mutated_envelopes_never_crash_the_parser(status: int, body: bytes) -> None:
    check_parse(status, body)


@settings(max_examples=100, deadline=None)
@given(
    content_type=st.sampled_from(
        ["text/html", "application/json", "text/plain", "application/octet-stream", ""]
    ),
    body=st.binary(max_size=300),
)
def test_any_content_type(content_type: str, body: bytes) -> None:
    check_parse(200, body, content_type)


XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(name=XML_TEXT, attribute=XML_TEXT)
def test_unicode_text_and_attributes_round_trip(name: str, attribute: str) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><response status="ok" version="1.2">'
        f"<artist id={quoteattr(attribute)}><name>{escape(name)}</name></artist></response>"
    ).encode()
    response = httpx.Response(200, content=body, request=httpx.Request("GET", "https://x.test/"))
    artist = parse_response(response).data
    assert artist["@id"] == attribute
    assert artist["name"] == (name.strip() or None)


# ---------------------------------------------------------------------- signing

SANDBOX = Sandbox()
RESERVED = {"oauth", "country", "shopid", "params"}

NAMES = st.text(min_size=1, max_size=12).filter(
    lambda n: not n.lower().startswith("oauth") and n.lower() not in RESERVED
)
VALUES = st.one_of(st.text(max_size=30), st.integers(), st.booleans())
PARAMS = st.dictionaries(NAMES, VALUES, max_size=5)


def signed_call(client: py7D.Client, resource: str, action: str, params: dict[str, Any]) -> None:
    """Sent 2-legged: the sandbox verifies the signature before anything else.

    ``validate=False``: the client's own parameter checks would refuse some
    random values before signing, and the signature is what is under test.
    """
    try:
        client.oauth_2legged_request(resource, action, params=params, validate=False)
    except py7D.OAuthError as exc:  # the one outcome that would mean a signing bug
        raise AssertionError(f"signature refused for {params!r}: {exc}") from exc
    except py7D.APIServiceException:
        pass  # bad or unknown parameters: the signature was fine


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=PARAMS)
def test_random_unicode_parameters_verify_in_the_query(params: dict[str, Any]) -> None:
    with py7D.Client(
        "sandbox-key", "sandbox-secret", base_url=SANDBOX.base_url, transport=SANDBOX.transport()
    ) as client:
        signed_call(client, "release", "match/byId", {"sevenDigitalIds": "100001", **params})


@settings(max_examples=150, deadline=None)
@given(params=PARAMS)
def test_random_unicode_parameters_verify_in_a_form_body(params: dict[str, Any]) -> None:
    with py7D.Client(
        "sandbox-key", "sandbox-secret", base_url=SANDBOX.base_url, transport=SANDBOX.transport()
    ) as client:
        signed_call(
            client, "basket", "applyVoucher", {"basketId": "x", "voucherCode": "y", **params}
        )


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=1, max_size=20), key=st.text(min_size=1, max_size=20))
def test_random_unicode_credentials_verify(key: str, secret: str) -> None:
    sandbox = Sandbox(consumer_key=key, consumer_secret=secret)
    with py7D.Client(
        key, secret, base_url=sandbox.base_url, transport=sandbox.transport()
    ) as client:
        signed_call(client, "release", "match/byId", {"sevenDigitalIds": "100001"})


def test_the_verifier_is_really_checking() -> None:
    """The property above would be empty if a wrong signature passed too."""
    with (
        py7D.Client(
            "sandbox-key",
            "not-the-secret",
            base_url=SANDBOX.base_url,
            transport=SANDBOX.transport(),
        ) as client,
        pytest.raises(py7D.OAuthError, match=r"(?i)invalid signature"),
    ):
        client.oauth_2legged_request("release", "match/byId", sevenDigitalIds="100001")
