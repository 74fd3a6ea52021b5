"""py7D: a Python client for the 7digital music-store API 1.2."""

from __future__ import annotations

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

__version__ = "2.0.0.dev0"

__all__ = [
    "ENDPOINTS",
    "APIClientException",
    "APIServiceException",
    "AuthLevel",
    "ConfigurationError",
    "Endpoint",
    "InvalidParameterError",
    "OAuthError",
    "Py7DError",
    "RateLimitedError",
    "RemoteServiceError",
    "RequestTimeoutError",
    "ResourceNotFoundError",
    "ResponseParseError",
    "TransportError",
    "UserCardError",
    "ValidationError",
]
