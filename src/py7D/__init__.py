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
    from ._auth import OAuth1Auth, Token
    from ._cache import BaseCache, FileCache, MemoryCache
    from ._client import Client
    from ._config import DEFAULT_API_URL, Settings, resolve_settings
    from ._core import PageInfo, RateLimit, Result
    from ._endpoints import ENDPOINTS, PARAMS, AuthLevel, Endpoint, Param, ParamKind, endpoints
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
        sign_url,
    )
    from ._limits import Throttle
    from ._models import (
        AmountDue,
        Artist,
        Basket,
        BasketItem,
        Card,
        ChartItem,
        Country,
        Download,
        DownloadUrl,
        Format,
        Label,
        ListItem,
        LockerRelease,
        LockerTrack,
        Package,
        PackagePrice,
        Price,
        Purchase,
        RecommendedItem,
        Release,
        SearchResult,
        Tag,
        TaggedItem,
        Track,
        Translation,
        User,
    )
    from ._oauth_flow import (
        authorise_request_token,
        authorize_url,
        exchange_access_token,
        get_request_token,
    )
    from ._retry import RetryPolicy
    from ._tokens import default_token_file, load_token, save_token
    from ._validation import Py7DWarning, UnknownEndpointWarning

__version__ = "2.0.0.dev0"

# public name -> private module defining it
_LAZY: dict[str, str] = {
    "APIClientException": "._exceptions",
    "APIServiceException": "._exceptions",
    "AmountDue": "._models",
    "Artist": "._models",
    "AsyncClient": "._async_client",
    "AuthLevel": "._endpoints",
    "BaseCache": "._cache",
    "Basket": "._models",
    "BasketItem": "._models",
    "Card": "._models",
    "ChartItem": "._models",
    "Client": "._client",
    "ConfigurationError": "._exceptions",
    "Country": "._models",
    "DEFAULT_API_URL": "._config",
    "Download": "._models",
    "DownloadUrl": "._models",
    "ENDPOINTS": "._endpoints",
    "Endpoint": "._endpoints",
    "FileCache": "._cache",
    "Format": "._models",
    "InvalidParameterError": "._exceptions",
    "Label": "._models",
    "ListItem": "._models",
    "LockerRelease": "._models",
    "LockerTrack": "._models",
    "MemoryCache": "._cache",
    "OAuth1Auth": "._auth",
    "OAuthError": "._exceptions",
    "PARAMS": "._endpoints",
    "Package": "._models",
    "PackagePrice": "._models",
    "PageInfo": "._core",
    "Param": "._endpoints",
    "ParamKind": "._endpoints",
    "Price": "._models",
    "Purchase": "._models",
    "Py7DError": "._exceptions",
    "Py7DWarning": "._validation",
    "RateLimit": "._core",
    "RateLimitedError": "._exceptions",
    "RecommendedItem": "._models",
    "Release": "._models",
    "RemoteServiceError": "._exceptions",
    "RequestTimeoutError": "._exceptions",
    "ResourceNotFoundError": "._exceptions",
    "ResponseParseError": "._exceptions",
    "Result": "._core",
    "RetryPolicy": "._retry",
    "SearchResult": "._models",
    "Settings": "._config",
    "Tag": "._models",
    "TaggedItem": "._models",
    "Throttle": "._limits",
    "Token": "._auth",
    "Track": "._models",
    "Translation": "._models",
    "TransportError": "._exceptions",
    "UnknownEndpointWarning": "._validation",
    "User": "._models",
    "UserCardError": "._exceptions",
    "ValidationError": "._exceptions",
    "authorise_request_token": "._oauth_flow",
    "authorize_url": "._oauth_flow",
    "default_client": "._legacy",
    "default_token_file": "._tokens",
    "endpoints": "._endpoints",
    "exchange_access_token": "._oauth_flow",
    "get_request_token": "._oauth_flow",
    "load_token": "._tokens",
    "oauth_2legged_request": "._legacy",
    "oauth_3legged_request": "._legacy",
    "preview_url": "._legacy",
    "request": "._legacy",
    "resolve_settings": "._config",
    "save_token": "._tokens",
    "set_default_client": "._legacy",
    "sign_url": "._legacy",
}

__all__ = [
    "DEFAULT_API_URL",
    "ENDPOINTS",
    "PARAMS",
    "APIClientException",
    "APIServiceException",
    "AmountDue",
    "Artist",
    "AsyncClient",
    "AuthLevel",
    "BaseCache",
    "Basket",
    "BasketItem",
    "Card",
    "ChartItem",
    "Client",
    "ConfigurationError",
    "Country",
    "Download",
    "DownloadUrl",
    "Endpoint",
    "FileCache",
    "Format",
    "InvalidParameterError",
    "Label",
    "ListItem",
    "LockerRelease",
    "LockerTrack",
    "MemoryCache",
    "OAuth1Auth",
    "OAuthError",
    "Package",
    "PackagePrice",
    "PageInfo",
    "Param",
    "ParamKind",
    "Price",
    "Purchase",
    "Py7DError",
    "Py7DWarning",
    "RateLimit",
    "RateLimitedError",
    "RecommendedItem",
    "Release",
    "RemoteServiceError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "ResponseParseError",
    "Result",
    "RetryPolicy",
    "SearchResult",
    "Settings",
    "Tag",
    "TaggedItem",
    "Throttle",
    "Token",
    "Track",
    "Translation",
    "TransportError",
    "UnknownEndpointWarning",
    "User",
    "UserCardError",
    "ValidationError",
    "authorise_request_token",
    "authorize_url",
    "default_client",
    "default_token_file",
    "endpoints",
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
