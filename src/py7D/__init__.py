"""py7D: a Python client for the 7digital music-store API 1.2.

Public names are imported on first use (PEP 562 ``__getattr__``), so
``import py7D`` stays cheaper than ``import httpx``: httpx, oauthlib and the
XML parser load only when a client, an error or a helper is first touched.
Type checkers see ordinary imports through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

# Only underscore names at runtime: every public name here is API.
if _typing.TYPE_CHECKING:
    from typing import Any

    from ._async_client import AsyncClient
    from ._async_transport import Py7DAsyncTransport
    from ._auth import OAuth1Auth, Token, sign_url
    from ._cache import BaseCache, FileCache, MemoryCache
    from ._client import Client
    from ._config import DEFAULT_API_URL, Settings, resolve_settings
    from ._core import PageInfo, RateLimit, Result
    from ._endpoints import ENDPOINTS, AuthLevel, Endpoint
    from ._exceptions import (
        APIClientException,
        APIServiceException,
        ConfigurationError,
        InvalidParameterError,
        OAuthError,
        Py7DError,
        RateLimitedError,
        RemoteServiceError,
        RequestTimeoutError,
        ResourceNotFoundError,
        ResponseParseError,
        TransportError,
        UserCardError,
        ValidationError,
    )
    from ._legacy import (
        default_client,
        oauth_2legged_request,
        oauth_3legged_request,
        preview_url,
        request,
        set_default_client,
    )
    from ._oauth_flow import (
        authorise_request_token,
        authorize_url,
        exchange_access_token,
        get_request_token,
    )
    from ._tokens import default_token_file, load_token, save_token
    from ._transport import Py7DTransport

__version__ = "2.0.0.dev0"

# public name -> private module defining it
_LAZY: dict[str, str] = {
    "APIClientException": "._exceptions",
    "APIServiceException": "._exceptions",
    "AsyncClient": "._async_client",
    "AuthLevel": "._endpoints",
    "BaseCache": "._cache",
    "Client": "._client",
    "ConfigurationError": "._exceptions",
    "DEFAULT_API_URL": "._config",
    "ENDPOINTS": "._endpoints",
    "Endpoint": "._endpoints",
    "FileCache": "._cache",
    "InvalidParameterError": "._exceptions",
    "MemoryCache": "._cache",
    "OAuth1Auth": "._auth",
    "OAuthError": "._exceptions",
    "PageInfo": "._core",
    "Py7DAsyncTransport": "._async_transport",
    "Py7DError": "._exceptions",
    "Py7DTransport": "._transport",
    "RateLimit": "._core",
    "RateLimitedError": "._exceptions",
    "RemoteServiceError": "._exceptions",
    "RequestTimeoutError": "._exceptions",
    "ResourceNotFoundError": "._exceptions",
    "ResponseParseError": "._exceptions",
    "Result": "._core",
    "Settings": "._config",
    "Token": "._auth",
    "TransportError": "._exceptions",
    "UserCardError": "._exceptions",
    "ValidationError": "._exceptions",
    "authorise_request_token": "._oauth_flow",
    "authorize_url": "._oauth_flow",
    "default_client": "._legacy",
    "default_token_file": "._tokens",
    "exchange_access_token": "._oauth_flow",
    "get_request_token": "._oauth_flow",
    "load_token": "._tokens",
    "oauth_2legged_request": "._legacy",
    "oauth_3legged_request": "._legacy",
    "preview_url": "._legacy",
    "request": "._legacy",
    "resolve_settings": "._config",
    "set_default_client": "._legacy",
    "save_token": "._tokens",
    "sign_url": "._auth",
}

__all__ = [
    "DEFAULT_API_URL",
    "ENDPOINTS",
    "APIClientException",
    "APIServiceException",
    "AsyncClient",
    "AuthLevel",
    "BaseCache",
    "Client",
    "ConfigurationError",
    "Endpoint",
    "FileCache",
    "InvalidParameterError",
    "MemoryCache",
    "OAuth1Auth",
    "OAuthError",
    "PageInfo",
    "Py7DAsyncTransport",
    "Py7DError",
    "Py7DTransport",
    "RateLimit",
    "RateLimitedError",
    "RemoteServiceError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "ResponseParseError",
    "Result",
    "Settings",
    "Token",
    "TransportError",
    "UserCardError",
    "ValidationError",
    "authorise_request_token",
    "authorize_url",
    "default_client",
    "default_token_file",
    "exchange_access_token",
    "get_request_token",
    "load_token",
    "oauth_2legged_request",
    "oauth_3legged_request",
    "preview_url",
    "request",
    "resolve_settings",
    "save_token",
    "set_default_client",
    "sign_url",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'py7D' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
