"""py7D: a Python client for the 7digital music-store API 1.2."""

from __future__ import annotations

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
from ._limits import Throttle
from ._oauth_flow import (
    authorise_request_token,
    authorize_url,
    exchange_access_token,
    get_request_token,
)
from ._retry import RetryPolicy
from ._tokens import default_token_file, load_token, save_token

__version__ = "2.0.0.dev0"

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
    "RetryPolicy",
    "Settings",
    "Throttle",
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
