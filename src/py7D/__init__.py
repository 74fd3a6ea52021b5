"""py7D: a Python client for the 7digital music-store API 1.2.

The public names below are imported on first use (PEP 562), so that
``import py7D`` (and with it the ``py7d`` command's start-up) does not load
httpx, oauthlib and xmltodict until a call needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._auth import OAuth1Auth, Token, sign_url
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

__version__ = "2.0.0.dev0"

# public name -> the private module that defines it
_EXPORTS: dict[str, str] = {
    "AsyncClient": "._async_client",
    "OAuth1Auth": "._auth",
    "Token": "._auth",
    "sign_url": "._auth",
    "Client": "._client",
    "DEFAULT_API_URL": "._config",
    "Settings": "._config",
    "resolve_settings": "._config",
    "PageInfo": "._core",
    "RateLimit": "._core",
    "Result": "._core",
    "ENDPOINTS": "._endpoints",
    "AuthLevel": "._endpoints",
    "Endpoint": "._endpoints",
    "APIClientException": "._exceptions",
    "APIServiceException": "._exceptions",
    "ConfigurationError": "._exceptions",
    "InvalidParameterError": "._exceptions",
    "OAuthError": "._exceptions",
    "Py7DError": "._exceptions",
    "RateLimitedError": "._exceptions",
    "RemoteServiceError": "._exceptions",
    "RequestTimeoutError": "._exceptions",
    "ResourceNotFoundError": "._exceptions",
    "ResponseParseError": "._exceptions",
    "TransportError": "._exceptions",
    "UserCardError": "._exceptions",
    "ValidationError": "._exceptions",
    "default_client": "._legacy",
    "oauth_2legged_request": "._legacy",
    "oauth_3legged_request": "._legacy",
    "preview_url": "._legacy",
    "request": "._legacy",
    "set_default_client": "._legacy",
    "authorise_request_token": "._oauth_flow",
    "authorize_url": "._oauth_flow",
    "exchange_access_token": "._oauth_flow",
    "get_request_token": "._oauth_flow",
    "default_token_file": "._tokens",
    "load_token": "._tokens",
    "save_token": "._tokens",
}

__all__ = [
    "DEFAULT_API_URL",
    "ENDPOINTS",
    "APIClientException",
    "APIServiceException",
    "AsyncClient",
    "AuthLevel",
    "Client",
    "ConfigurationError",
    "Endpoint",
    "InvalidParameterError",
    "OAuth1Auth",
    "OAuthError",
    "PageInfo",
    "Py7DError",
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
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'py7D' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
