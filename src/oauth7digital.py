"""The original py7D's OAuth token flow, unchanged for its callers.

    import oauth7digital as oa7d
    token = oa7d.request_token()
    oa7d.authorize_request_token(token)        # prints the URL, waits for Enter
    access_token = oa7d.request_access_token(token)

``authorize_request_token(token, username=..., password=...)`` authorises
without a prompt (partner keys). New code can use the same steps on a
:class:`py7D.Client` through ``py7D.get_request_token`` and friends.
"""

from __future__ import annotations

from typing import Any

from py7D import Token, default_client
from py7D._auth import TokenLike
from py7D._oauth_flow import (
    authorise_request_token,
    authorize_url,
    exchange_access_token,
    get_request_token,
)

__all__ = ["authorize_request_token", "request_access_token", "request_token"]


def request_token(**params: Any) -> Token:
    """Get a request token (2-legged signed), with the default client's settings."""
    return get_request_token(default_client(), **params)


def authorize_request_token(
    token: TokenLike,
    username: str | None = None,
    password: str | None = None,
    *,
    callback: str | None = None,
) -> str:
    """Let the user authorise ``token``; returns the authorisation URL.

    Without credentials: print the URL and wait for Enter, as the original did.
    With ``username`` and ``password``: authorise programmatically (partner keys).
    """
    client = default_client()
    url = authorize_url(client, token, callback)
    if username is not None and password is not None:
        authorise_request_token(client, token, username, password)
        return url
    print(f"Authorise the request token at: {url}")
    input("Press Enter once you have authorised it...")
    return url


def request_access_token(token: TokenLike) -> Token:
    """Exchange an authorised request token for the user's access token."""
    return exchange_access_token(default_client(), token)
