"""The original py7D's module-level calls, over one lazily created default Client.

``py7D.request('artist', 'search', q='pink')`` and friends keep their names,
arguments and dict-shaped results. The default client reads its settings the
first time it is used (arguments are not possible here, so: environment >
config file > ``api_settings`` > defaults); :func:`set_default_client` swaps it.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from ._auth import TokenLike
from ._client import Client
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
                _close_at_exit(_default)
            client = _default
    return client


_registered: set[int] = set()


def _close_at_exit(client: Client) -> None:
    """Close the client this module made when the interpreter exits (no unclosed socket)."""
    if id(client) not in _registered:
        _registered.add(id(client))
        atexit.register(client.close)


def _lenient(method: str, function: str | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The seed sent any path: a path the table does not know is sent, never refused.

    A near miss of a known path (``track/search2``) gets a warning with the
    "did you mean" instead of the :class:`ValidationError` ``Client.request`` raises.
    """
    if "validate" in kwargs:
        return kwargs
    from ._endpoints import find_endpoints
    from ._validation import suggest_paths, warn_unknown_endpoint

    path = method.strip("/") if function is None else f"{method.strip('/')}/{function.strip('/')}"
    if find_endpoints(path):
        return kwargs
    suggestions = suggest_paths(path)
    if not suggestions:
        return kwargs  # Client.request sends it with the usual warning
    warn_unknown_endpoint(path, suggestions)
    return {**kwargs, "validate": False}


def set_default_client(client: Client | None) -> Client | None:
    """Replace the shared client; ``None`` makes the next call build a new one from settings.

    Returns the previous client (not closed: close it if you own it).
    """
    global _default
    with _lock:
        previous, _default = _default, client
    return previous


def request(method: str, function: str | None, **kwargs: Any) -> Result:
    """Call ``method/function``: unsigned, or signed as the endpoint table requires.

    ``py7D.request('artist', 'search', q='pink', pageSize=3)``;
    ``py7D.request('user', 'locker', access_token=token)`` signs with the user's
    token, as :meth:`Client.request` does. A path the table does not know is sent
    (with a warning, and a "did you mean" when it looks like a typo).
    """
    return default_client().request(method, function, **_lenient(method, function, kwargs))


def oauth_2legged_request(method: str, function: str | None, **kwargs: Any) -> Result:
    """A call signed with the consumer key and secret."""
    kwargs = _lenient(method, function, kwargs)
    return default_client().oauth_2legged_request(method, function, **kwargs)


def oauth_3legged_request(
    method: str, function: str | None, access_token: TokenLike, **kwargs: Any
) -> Result:
    """A call signed with the consumer key and secret and the user's ``access_token``."""
    kwargs = _lenient(method, function, kwargs)
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
