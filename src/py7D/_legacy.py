"""The original py7D's module-level calls, over one lazily created default Client.

``py7D.request('artist', 'search', q='pink')`` and friends keep their names,
arguments and dict-shaped results. The default client reads its settings the
first time it is used (arguments are not possible here, so: environment >
config file > ``api_settings`` > defaults); :func:`set_default_client` swaps it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ._auth import TokenLike
from ._client import Client
from ._exceptions import APIClientException
from ._result import Result

__all__ = [
    "default_client",
    "oauth_2legged_request",
    "oauth_3legged_request",
    "preview_url",
    "request",
    "set_default_client",
    "sign_url",
]

_lock = threading.Lock()
_default: Client | None = None


def default_client() -> Client:
    """The shared client the module-level calls use (created on first use, thread-safe)."""
    global _default
    client = _default
    if client is None:
        with _lock:
            if _default is None:
                _default = Client()
            client = _default
    return client


def set_default_client(client: Client | None) -> Client | None:
    """Replace the shared client; ``None`` makes the next call build a new one from settings.

    Returns the previous client (not closed: close it if you own it).
    """
    global _default
    with _lock:
        previous, _default = _default, client
    return previous


def request(method: str, function: str | None, **kwargs: Any) -> Result:
    """GET ``method/function`` unsigned (or signed where the endpoint table requires it).

    ``py7D.request('artist', 'search', q='pink', pageSize=3)``.
    """
    check_client_usage(kwargs)
    return default_client().request(method, function, **kwargs)


def oauth_2legged_request(method: str, function: str | None, **kwargs: Any) -> Result:
    """A call signed with the consumer key and secret."""
    return default_client().oauth_2legged_request(method, function, **kwargs)


def oauth_3legged_request(
    method: str, function: str | None, access_token: TokenLike, **kwargs: Any
) -> Result:
    """A call signed with the consumer key and secret and the user's ``access_token``."""
    return default_client().oauth_3legged_request(method, function, access_token, **kwargs)


def preview_url(track_id: int | str) -> str:
    """A signed preview-clip URL for ``track_id`` (see :meth:`Client.preview_url`)."""
    return default_client().preview_url(track_id)


def sign_url(url: str, *, token: TokenLike | None = None, **params: Any) -> str:
    """Sign a media URL with the default client's consumer (``token=`` for 3-legged).

    ``py7D.sign_url('https://stream.svc.7digital.net/stream/catalogue', trackId=1,
    formatId=17)``; see :meth:`Client.sign_url`.
    """
    return default_client().sign_url(url, token=token, **params)


def check_client_usage(kwargs: Iterable[str]) -> None:
    """The seed's ``request()`` refuses an ``access_token`` keyword."""
    if "access_token" in kwargs:
        raise APIClientException(
            "request() does not take access_token; use oauth_3legged_request(method, function, "
            "access_token, **kwargs) for calls on behalf of a user"
        )
