"""Building one call's request: its path, auth level, parameters and signer (sans-I/O).

Nothing here waits on the network, so :class:`py7D.Client` and
:class:`py7D.AsyncClient` share all of it and differ only in how they send.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._auth import FORM_CONTENT_TYPE, OAuth1Auth, Token
from ._config import Settings
from ._endpoints import AuthLevel, Endpoint, find_endpoint, find_endpoints
from ._exceptions import ValidationError
from ._fast_request import Primitive, bodyless_request, request_url

__all__ = ["PreparedCall", "build_call", "encode_value", "resolve_path"]

_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.{}]+$")


def encode_value(name: str, value: Any) -> str | None:
    """Turn a Python value into the text the API accepts; None means "leave out".

    bool -> ``true``/``false``; date/datetime -> ``yyyyMMdd``; list/tuple/set ->
    comma list; numbers -> decimal text; enums -> their value.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    # Enums before str/int: a ``(str, Enum)`` member is a str whose str() is
    # ``'Mode.FAST'`` on Python 3.11, and that is what httpx would send.
    if isinstance(value, enum.Enum):
        inner: Any = value.value
        return encode_value(name, inner)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float | decimal.Decimal):
        if not decimal.Decimal(value).is_finite():
            raise ValidationError(
                f"parameter {name!r}: cannot send {value!r}; pass a finite number"
            )
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return format(decimal.Decimal(str(value)), "f")
    if isinstance(value, _dt.date):  # datetime is a date too
        return value.strftime("%Y%m%d")
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        parts = [encode_value(name, v) for v in items]
        return ",".join(p for p in parts if p is not None)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"parameter {name!r}: bytes must be UTF-8 text") from None
    raise ValidationError(
        f"parameter {name!r}: cannot send a {type(value).__name__}; "
        "pass a str, int, float, bool, date or a list of those"
    )


_resolved: dict[tuple[str, str | None], str] = {}


def resolve_path(resource: str, action: str | None) -> str:
    """``('artist', 'bytag/top')`` -> ``'artist/bytag/top'``; refuses malformed names."""
    if type(resource) is str and (action is None or type(action) is str):
        path = _resolved.get((resource, action))
        if path is None:
            path = _resolve_path(resource, action)
            if len(_resolved) >= 1024:
                _resolved.clear()
            _resolved[(resource, action)] = path
        return path
    return _resolve_path(resource, action)


def _resolve_path(resource: str, action: str | None) -> str:
    if not isinstance(resource, str) or not resource.strip("/"):
        raise ValidationError("resource must be a non-empty string such as 'artist'")
    if action is not None and not isinstance(action, str):
        raise ValidationError(f"action must be a string or None, not {type(action).__name__}")
    path = resource.strip("/") + ("/" + action.strip("/") if action and action.strip("/") else "")
    for segment in path.split("/"):
        if not _PATH_SEGMENT.match(segment) or segment in {".", ".."}:
            raise ValidationError(
                f"{path!r} is not a valid endpoint path; use names like 'artist' and 'search' "
                "(parameters go in keyword arguments, not in the path)"
            )
    return path


@dataclass(frozen=True)
class PreparedCall:
    """A request ready to send, the signer to send it with, and what the table knows of it."""

    request: httpx.Request
    auth: OAuth1Auth | None
    endpoint: Endpoint | None
    auth_level: AuthLevel


def _coerce_level(auth: AuthLevel | str | None) -> AuthLevel | None:
    if auth is None or isinstance(auth, AuthLevel):
        return auth
    try:
        return AuthLevel(auth)
    except ValueError:
        raise ValidationError(
            f"auth must be one of 'none', '2-legged', '3-legged', not {auth!r}"
        ) from None


def _pick_endpoint(path: str, level: AuthLevel | None, method: str | None) -> Endpoint | None:
    if method is not None:
        return find_endpoint(path, method)
    candidates = find_endpoints(path)
    if level is not None:
        for ep in candidates:
            if ep.auth == level:
                return ep
    return candidates[0] if candidates else None


def build_call(
    settings: Settings,
    resource: str,
    action: str | None,
    params: Mapping[str, Any],
    *,
    access_token: Token | None = None,
    auth: AuthLevel | str | None = None,
    http_method: str | None = None,
    signer: Callable[[str, str, Token | None], OAuth1Auth] = OAuth1Auth,
    headers: Mapping[str, str] | None = None,
) -> PreparedCall:
    """Build the ``httpx.Request`` for one call and choose how to sign it.

    The auth level is ``auth`` when given, else 3-legged when an access token
    is given, else the endpoint table's level (unsigned for unknown paths). A
    3-legged endpoint called with ``userId`` and no token is signed 2-legged,
    as partner (user-management) keys do. ``headers`` go on the request
    (the client's User-Agent and Accept).
    """
    path = resolve_path(resource, action)
    endpoint, level, method = _route(path, params, access_token, auth, http_method)
    path, encoded = _encode_params(path, endpoint, params)
    key = settings.require_key()
    fields = [*_default_params(settings, params), *encoded]
    if level is AuthLevel.NONE:
        request = _http_request(settings.api_url, path, method, fields, headers, key)
        return PreparedCall(request=request, auth=None, endpoint=endpoint, auth_level=level)
    secret = settings.require_secret()
    token: Token | None = None
    if level is AuthLevel.USER:
        if access_token is None:
            raise ValidationError(
                f"{path} is a 3-legged call: it needs a user's access token. Pass "
                "access_token=py7D.Token(key, secret) (see py7D's 'Acting for a user'), "
                "or userId=... with a partner key that manages its users."
            )
        token = access_token
    request = _http_request(settings.api_url, path, method, fields, headers, None)
    return PreparedCall(
        request=request, auth=signer(key, secret, token), endpoint=endpoint, auth_level=level
    )


def _route(
    path: str,
    params: Mapping[str, Any],
    access_token: Token | None,
    auth: AuthLevel | str | None,
    http_method: str | None,
) -> tuple[Endpoint | None, AuthLevel, str]:
    """The table's row for the call, its auth level and its HTTP verb."""
    level = _coerce_level(auth)
    if level is None and access_token is not None:
        level = AuthLevel.USER
    if access_token is not None and level is not None and level is not AuthLevel.USER:
        raise ValidationError(
            f"an access token was given but auth={level.value!r}; drop the token, or use "
            "auth='3-legged' to act for the user"
        )
    method = http_method.upper() if http_method else None
    endpoint = _pick_endpoint(path, level, method)
    if level is None:
        level = endpoint.auth if endpoint else AuthLevel.NONE
        if level is AuthLevel.USER and access_token is None and _has(params, "userId"):
            level = AuthLevel.CONSUMER
    if method is None:
        method = endpoint.method if endpoint else "GET"
    return endpoint, level, method


def _encode_params(
    path: str, endpoint: Endpoint | None, params: Mapping[str, Any]
) -> tuple[str, list[tuple[str, Primitive]]]:
    """The parameters as API text, with path parameters (``users/{id}``) put into the path."""
    encoded: list[tuple[str, Primitive]] = []
    path_values: dict[str, str] = {}
    template_params = {p.lower() for p in endpoint.path_params} if endpoint else set()
    for name, value in params.items():
        text = encode_value(name, value)
        if text is None:
            continue
        if name.lower() in template_params and "{" in (endpoint.path if endpoint else ""):
            path_values[name.lower()] = text
            continue
        encoded.append((name, text))
    if endpoint and "{" in endpoint.path and path.lower() == endpoint.key:
        path = endpoint.path
        for name in endpoint.path_params:
            if name.lower() not in path_values:
                raise ValidationError(f"{endpoint.path} needs the path parameter {name}=...")
            path = path.replace("{" + name + "}", _path_segment(name, path_values[name.lower()]))
    return path, encoded


def _default_params(settings: Settings, params: Mapping[str, Any]) -> list[tuple[str, Primitive]]:
    """The settings' country, unless the call names a country or shop."""
    if settings.country and not (_has(params, "country") or _has(params, "shopId")):
        return [("country", settings.country)]
    return []


def _http_request(
    api_url: str,
    path: str,
    method: str,
    fields: list[tuple[str, Primitive]],
    headers: Mapping[str, str] | None,
    consumer_key: str | None,
) -> httpx.Request:
    """The request: parameters in the query, or a form body for POST/PUT.

    ``consumer_key`` marks an unsigned call: ``oauth_consumer_key`` then goes
    first in the query (a signed call carries it in its signature instead).
    """
    key: list[tuple[str, Primitive]] = []
    if consumer_key is not None:
        key.append(("oauth_consumer_key", consumer_key))
    if method in ("GET", "DELETE", "HEAD"):
        return bodyless_request(method, request_url(api_url, path, [*key, *fields]), headers)
    url = f"{api_url}/{path}"
    if key:
        return httpx.Request(method, url, params=key, data=dict(fields), headers=headers)
    return httpx.Request(
        method,
        url,
        content=str(httpx.QueryParams(fields)).encode("ascii"),
        headers={**(headers or {}), "Content-Type": FORM_CONTENT_TYPE},
    )


def _path_segment(name: str, value: str) -> str:
    """A path parameter as one percent-encoded segment: it cannot add segments or a query."""
    if value in ("", ".", ".."):
        raise ValidationError(f"path parameter {name}={value!r} is not a valid id")
    return urllib.parse.quote(value, safe="")


def _has(params: Mapping[str, Any], name: str) -> bool:
    lowered = name.lower()
    return any(k.lower() == lowered and v is not None for k, v in params.items())
