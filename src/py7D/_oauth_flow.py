"""The 3-legged token flow: request token -> user authorises -> access token.

7digital speaks OAuth 1.0 without ``oauth_verifier``: the access-token call is
signed with the authorised request token alone. Token replies come as an XML
envelope (``<oauth_request_token>``/``<oauth_access_token>``) or, on some
servers, URL-encoded; both are accepted here, which generic OAuth libraries
cannot do. Each step raises :class:`py7D.OAuthError` naming the step on failure.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

from ._auth import Token, TokenLike
from ._client import Client
from ._config import is_live_api
from ._endpoints import AuthLevel
from ._exceptions import (
    APIServiceException,
    OAuthError,
    ResponseParseError,
)

__all__ = [
    "ACCOUNT_URL",
    "authorise_request_token",
    "authorize_url",
    "exchange_access_token",
    "get_request_token",
]

ACCOUNT_URL = "https://account.7digital.com"


def _token_from(result: Any, element: str, step: str) -> Token:
    node = result["response"].get(element) if isinstance(result["response"], dict) else None
    if isinstance(node, dict):
        key, secret = node.get("oauth_token"), node.get("oauth_token_secret")
        if isinstance(key, str) and isinstance(secret, str) and key:
            return Token(key, secret)
    raise OAuthError(f"{step}: the reply has no <{element}> with oauth_token and secret")


def _parse_urlencoded(content: bytes) -> Token | None:
    try:
        pairs = dict(urllib.parse.parse_qsl(content.decode("utf-8").strip(), strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        return None
    key, secret = pairs.get("oauth_token"), pairs.get("oauth_token_secret")
    if key and secret is not None:
        return Token(key, secret)
    return None


def _token_step(
    client: Client,
    path: str,
    element: str,
    step: str,
    token: Token | None,
    params: dict[str, Any],
) -> Token:
    call = client._prepare(
        path,
        None,
        params,
        access_token=token,
        auth=AuthLevel.USER if token else AuthLevel.CONSUMER,
        http_method=None,
    )
    response = client._send(call)
    if response.status_code < 400 and not response.content.lstrip().startswith(b"<"):
        # Some servers answer url-encoded ``oauth_token=..&oauth_token_secret=..``,
        # in either order (a secret-first reply used to fall through to the XML
        # parser, which raised an OAuthError quoting the token secret).
        parsed = _parse_urlencoded(response.content)
        if parsed is not None:
            return parsed
    try:
        result = client._finish(call, response, None)
    except (OAuthError, ResponseParseError) as exc:
        raise OAuthError(f"{step} failed: {exc.message}", status_code=exc.status_code) from exc
    except APIServiceException as exc:
        hint = " (has the user authorised the request token?)" if exc.code == 2002 else ""
        raise OAuthError(
            f"{step} failed: error {exc.code}: {exc.message}{hint}", status_code=exc.status_code
        ) from exc
    return _token_from(result, element, step)


def get_request_token(client: Client, **params: Any) -> Token:
    """Step 1: a request token, signed 2-legged (``country`` etc. may be added)."""
    return _token_step(
        client, "oauth/requestToken", "oauth_request_token", "request token", None, params
    )


def authorize_url(client: Client, request_token: TokenLike, callback: str | None = None) -> str:
    """Step 2: the page where the user logs in and approves the request token.

    On the real API this is ``https://account.7digital.com/<key>/oauth/authorise``;
    against another base URL (the sandbox) it is the same path on that host.
    """
    token = Token.coerce(request_token)
    key = client.settings.require_key()
    if is_live_api(client.settings.api_url):
        host = ACCOUNT_URL
    else:
        url = httpx.URL(client.settings.api_url)
        host = f"{url.scheme}://{url.netloc.decode('ascii')}"
    params = {"oauth_token": token.key}
    if callback:
        params["oauth_callback"] = callback
    return f"{host}/{urllib.parse.quote(key, safe='')}/oauth/authorise?" + urllib.parse.urlencode(
        params
    )


def authorise_request_token(
    client: Client, request_token: TokenLike, username: str, password: str
) -> None:
    """Step 2 without a browser (partner keys only): authorise with the user's credentials."""
    token = Token.coerce(request_token)
    try:
        client.request(
            "oauth/requestToken/authorise",
            None,
            auth=AuthLevel.CONSUMER,
            username=username,
            password=password,
            token=token.key,
        )
    except (APIServiceException, OAuthError, ResponseParseError) as exc:
        # ResponseParseError too: the module promises an OAuthError naming the step.
        raise OAuthError(
            f"authorising the request token failed: {exc.message}", status_code=exc.status_code
        ) from exc


def exchange_access_token(client: Client, request_token: TokenLike) -> Token:
    """Step 3: trade the authorised request token for the user's access token."""
    return _token_step(
        client,
        "oauth/accessToken",
        "oauth_access_token",
        "access token",
        Token.coerce(request_token),
        {},
    )
