"""py7D: a Python client for the 7digital music-store API 1.2.

Public names are imported on first use (PEP 562 ``__getattr__``), so
``import py7D`` stays cheaper than ``import httpx``: httpx, oauthlib and the
XML parser load only when a client, an error or a helper is first touched.
Type checkers see ordinary imports through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

import functools as _functools
import importlib as _importlib
import typing as _typing

# The public names, listed once: type checkers read these imports, and at run time
# _lazy() reads them to import each name on first use. Only underscore names exist
# at runtime until then. (isort off: it would split the ``X as X`` re-exports.)
# isort: off
if _typing.TYPE_CHECKING:
    from typing import Any

    from ._async_client import AsyncClient as AsyncClient
    from ._auth import (
        OAuth1Auth as OAuth1Auth,
        Token as Token,
    )
    from ._cache import (
        BaseCache as BaseCache,
        FileCache as FileCache,
        MemoryCache as MemoryCache,
    )
    from ._client import Client as Client
    from ._config import (
        DEFAULT_API_URL as DEFAULT_API_URL,
        Settings as Settings,
        resolve_settings as resolve_settings,
    )
    from ._result import (
        PageInfo as PageInfo,
        RateLimit as RateLimit,
        Result as Result,
    )
    from ._download import (
        DownloadProgress as DownloadProgress,
        DownloadResult as DownloadResult,
    )
    from ._endpoints import (
        ENDPOINTS as ENDPOINTS,
        PARAMS as PARAMS,
        AuthLevel as AuthLevel,
        Endpoint as Endpoint,
        Param as Param,
        ParamKind as ParamKind,
        endpoints as endpoints,
    )
    from ._exceptions import (
        APIClientException as APIClientException,
        APIServiceException as APIServiceException,
        ConfigurationError as ConfigurationError,
        DiskFullError as DiskFullError,
        DownloadError as DownloadError,
        FormatNotAvailableError as FormatNotAvailableError,
        IncompleteDownloadError as IncompleteDownloadError,
        InvalidParameterError as InvalidParameterError,
        NotOwnedError as NotOwnedError,
        OAuthError as OAuthError,
        PathNotWritableError as PathNotWritableError,
        Py7DError as Py7DError,
        RateLimitedError as RateLimitedError,
        RemoteServiceError as RemoteServiceError,
        RequestTimeoutError as RequestTimeoutError,
        ResourceNotFoundError as ResourceNotFoundError,
        ResponseParseError as ResponseParseError,
        TransportError as TransportError,
        UnsafeArchiveError as UnsafeArchiveError,
        UserCardError as UserCardError,
        ValidationError as ValidationError,
    )
    from ._legacy import (
        default_client as default_client,
        oauth_2legged_request as oauth_2legged_request,
        oauth_3legged_request as oauth_3legged_request,
        preview_url as preview_url,
        request as request,
        set_default_client as set_default_client,
        sign_url as sign_url,
    )
    from ._limits import Throttle as Throttle
    from ._models import (
        AmountDue as AmountDue,
        Artist as Artist,
        Basket as Basket,
        BasketItem as BasketItem,
        Card as Card,
        ChartItem as ChartItem,
        Country as Country,
        Download as Download,
        DownloadUrl as DownloadUrl,
        Format as Format,
        Label as Label,
        ListItem as ListItem,
        LockerRelease as LockerRelease,
        LockerTrack as LockerTrack,
        Package as Package,
        PackagePrice as PackagePrice,
        Price as Price,
        Purchase as Purchase,
        RecommendedItem as RecommendedItem,
        Release as Release,
        SearchResult as SearchResult,
        Tag as Tag,
        TaggedItem as TaggedItem,
        Track as Track,
        Translation as Translation,
        User as User,
    )
    from ._oauth_flow import (
        authorise_request_token as authorise_request_token,
        authorize_url as authorize_url,
        exchange_access_token as exchange_access_token,
        get_request_token as get_request_token,
    )
    from ._retry import RetryPolicy as RetryPolicy
    from ._tokens import (
        default_token_file as default_token_file,
        load_token as load_token,
        save_token as save_token,
    )
    from ._validation import (
        Py7DWarning as Py7DWarning,
        UnknownEndpointWarning as UnknownEndpointWarning,
    )
# isort: on

__version__ = "2.0.0.dev0"


@_functools.cache
def _lazy() -> dict[str, str]:
    """Public name -> private module defining it, read from the import block above.

    That block is the one list of public names: type checkers read it, and
    this reads it for :func:`__getattr__`, ``__all__`` and ``dir(py7D)``.
    """
    import ast

    get_source = getattr(globals().get("__loader__"), "get_source", None)
    source = get_source(__name__) if get_source is not None else None
    if not source:  # some import hooks (pytest's assertion rewriter) keep no source
        with open(__file__, encoding="utf-8") as f:
            source = f.read()
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "_typing.TYPE_CHECKING":
            return {
                alias.asname or alias.name: "." + str(imported.module)
                for imported in node.body
                if isinstance(imported, ast.ImportFrom) and imported.level == 1
                for alias in imported.names
            }
    raise ImportError("py7D/__init__.py lost its block of public names")


def __getattr__(name: str) -> Any:
    if name == "__all__":  # CONSTANTS, Classes, functions: the order ruff's RUF022 keeps
        return sorted(_lazy(), key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    if name == "_LAZY":
        return _lazy()
    module = _lazy().get(name)
    if module is None:
        raise AttributeError(f"module 'py7D' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_lazy()})
