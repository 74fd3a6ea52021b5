"""Verify OAuth 1.0 signatures the way a server would, with oauthlib's server-side primitives.

Nothing here uses py7D: a request produced by py7D's signer is checked by rebuilding
its base string from the request *as sent* (URL, Authorization header, form body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
from oauthlib.oauth1.rfc5849 import signature, utils

FORM = "application/x-www-form-urlencoded"


@dataclass
class Checked:
    """What a server would see: every parameter, the OAuth ones, the base string."""

    params: list[tuple[str, str]]
    oauth: dict[str, str]
    base_string: str

    @property
    def plain(self) -> list[tuple[str, str]]:
        """The non-OAuth parameters, decoded, in the order they were collected."""
        return [(k, v) for k, v in self.params if not k.startswith("oauth_")]


def parse_auth_header(request: httpx.Request) -> dict[str, str]:
    header = request.headers["Authorization"]
    assert header.startswith("OAuth ")
    return {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}


def collect(request: httpx.Request) -> Checked:
    """Collect parameters from the query, the Authorization header and a form body."""
    query = request.url.query.decode("ascii")
    headers = (
        {"Authorization": request.headers["Authorization"]}
        if "Authorization" in request.headers
        else {}
    )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = request.content.decode("ascii") if content_type == FORM and request.content else None
    params = signature.collect_parameters(
        uri_query=query, body=body, headers=headers, exclude_oauth_signature=False
    )
    oauth = {k: v for k, v in params if k.startswith("oauth_")}
    signed = [(k, v) for k, v in params if k != "oauth_signature"]
    base = signature.signature_base_string(
        request.method,
        signature.base_string_uri(str(request.url.copy_with(query=None))),
        signature.normalize_parameters(signed),
    )
    return Checked(params=signed, oauth=oauth, base_string=base)


def verify(
    request: httpx.Request, consumer_secret: str, token_secret: str | None = None
) -> Checked:
    """Assert the request's signature verifies; return what the server collected."""
    checked = collect(request)
    keys = SimpleNamespace(client_secret=consumer_secret, resource_owner_secret=token_secret)
    expected = signature.sign_hmac_sha1_with_client(checked.base_string, keys)
    assert checked.oauth["oauth_signature_method"] == "HMAC-SHA1"
    assert checked.oauth["oauth_signature"] == expected, checked.base_string
    return checked


def verify_url(url: str, consumer_secret: str, token_secret: str | None = None) -> Checked:
    """Verify a URL signed with its OAuth parameters in the query (previews, streams)."""
    return verify(httpx.Request("GET", url), consumer_secret, token_secret)


def as_dict(pairs: list[tuple[str, str]]) -> Mapping[str, str]:
    out = dict(pairs)
    assert len(out) == len(pairs), f"repeated names in {pairs}"
    return out
