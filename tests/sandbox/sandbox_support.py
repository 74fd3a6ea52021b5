"""Helpers for the sandbox tests: a fake clock, an OAuth signer and XML accessors.

Requests are signed with oauthlib's own ``Client`` (never py7D's signer), so
the sandbox's verification is checked against an independent implementation.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlencode

import httpx
from oauthlib.oauth1 import (
    SIGNATURE_TYPE_AUTH_HEADER,
    SIGNATURE_TYPE_BODY,
    SIGNATURE_TYPE_QUERY,
    Client,
)

from py7D.sandbox import DEFAULT_BASE_URL, Sandbox

KEY, SECRET = "sandbox-key", "sandbox-secret"
ALICE, ALICE_PASSWORD = "alice@example.com", "alice-password"
BOB, BOB_PASSWORD = "bob@example.com", "bob-password"
START = 1_700_000_000.0
FORM = "application/x-www-form-urlencoded"

# The recorded replies live next to the repository, in ../shared.
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
RECORDED = SHARED / "api" / "recorded"

_PLACES = {
    "header": SIGNATURE_TYPE_AUTH_HEADER,
    "query": SIGNATURE_TYPE_QUERY,
    "body": SIGNATURE_TYPE_BODY,
}


class Clock:
    """A settable clock for OAuth timestamps, token expiry and rate-limit windows."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Signer:
    """Builds signed ``httpx.Request`` objects with oauthlib, for one sandbox and clock."""

    def __init__(self, clock: Clock, base_url: str = DEFAULT_BASE_URL) -> None:
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self._count = 0

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        key: str = KEY,
        secret: str = SECRET,
        token: tuple[str, str] | None = None,
        place: str = "header",
        nonce: str | None = None,
        timestamp: float | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A request to ``path`` (below the base URL) signed the way ``place`` says."""
        self._count += 1
        full = url or f"{self.base_url}/{path}"
        if params:
            full += "?" + urlencode(params)
        body = urlencode(data) if data is not None else None
        send_headers = dict(headers or {})
        if body is not None or place == "body":
            send_headers["Content-Type"] = FORM
            body = body or ""
        client = Client(
            key,
            client_secret=secret,
            resource_owner_key=token[0] if token else None,
            resource_owner_secret=token[1] if token else None,
            signature_type=_PLACES[place],
            nonce=nonce or f"nonce{self._count}x{id(self)}",
            timestamp=str(int(timestamp if timestamp is not None else self.clock())),
        )
        verb = cast("Literal['GET', 'POST', 'PUT', 'DELETE', 'HEAD']", method.upper())
        uri, signed_headers, signed_body = client.sign(
            full, http_method=verb, body=body, headers=send_headers
        )
        content = signed_body.encode() if isinstance(signed_body, str) else signed_body
        return httpx.Request(method, uri, headers=signed_headers, content=content)


def get(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    """An unsigned GET with the default consumer key."""
    params.setdefault("oauth_consumer_key", KEY)
    return client.get(path, params=params)


def xml(response: httpx.Response) -> ET.Element:
    """The parsed body, after checking it is an XML reply."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8", response.text
    return ET.fromstring(response.content)


def content(response: httpx.Response) -> ET.Element:
    """The single content element of an ok reply."""
    root = xml(response)
    assert root.get("status") == "ok", response.text
    assert len(root) == 1, response.text
    return root[0]


def error_code(response: httpx.Response) -> int:
    """The error code of an error envelope."""
    root = xml(response)
    assert root.get("status") == "error", response.text
    error = root.find("error")
    assert error is not None
    return int(error.get("code", "0"))


def access_token(sandbox: Sandbox, email: str = ALICE) -> tuple[str, str]:
    """An access token for a seeded user without going through the OAuth dance."""
    return sandbox.issue_access_token(email)
