"""Building ``httpx`` URLs and body-less requests for less CPU than the public constructors.

The results equal what ``httpx.Request(method, url, params=..., headers=...)``
builds, through httpx's public constructors only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

import httpx

__all__ = ["Primitive", "bodyless_request", "request_url"]

Primitive = str | int | float | bool | None


def request_url(api_url: str, path: str, query: list[tuple[str, Primitive]]) -> httpx.URL:
    """``<api_url>/<path>?a=1&b=2`` as ``httpx.Request(params=...)`` would build it.

    httpx percent-encodes parameters with ``quote_plus`` and no safe
    characters, as ``urlencode`` does by default, so the text is the same
    (parameter names are distinct here; httpx would group repeated names).
    """
    text = _urlencode(query) if query else ""
    url = f"{api_url}/{path}"
    return httpx.URL(f"{url}?{text}" if text else url)


# What ``quote_plus`` leaves as it is (its always-safe set): such text needs no quoting.
_PLAIN = re.compile(r"[A-Za-z0-9_.\-~]*")


def _urlencode(query: list[tuple[str, Primitive]]) -> str:
    """``urlencode(query)``, skipping ``quote_plus`` for names and values it would keep as is."""
    plain = _PLAIN.fullmatch
    parts: list[str] = []
    for name, value in query:
        if type(name) is str and type(value) is str and plain(name) and plain(value):
            parts.append(f"{name}={value}")
        else:
            parts.append(urlencode([(name, value)]))
    return "&".join(parts)


# (netloc, the client's headers) -> the headers a body-less request carries: Host first.
_host_headers: dict[tuple[bytes, tuple[tuple[bytes, bytes], ...]], httpx.Headers] = {}


def bodyless_request(
    method: str, url: httpx.URL | str, headers: Mapping[str, str] | None
) -> httpx.Request:
    """``httpx.Request(method, url, headers=headers)`` for a request without a body, cheaper.

    ``httpx.Request`` given ``stream=`` skips encoding a body and adding the
    automatic headers; for a body-less GET those are just ``Host`` in front of
    the given headers and an empty ``ByteStream``, read, which is what is put
    here (the same headers, in the same order). Anything else is built as usual.
    """
    if (
        isinstance(url, httpx.URL)
        and isinstance(headers, httpx.Headers)
        and method not in ("POST", "PUT", "PATCH")
        and url.host
    ):
        raw = tuple(headers.raw)
        key = (url.netloc, raw)
        prepared = _host_headers.get(key)
        if prepared is None:
            if any(n.lower() in (b"host", b"content-length", b"transfer-encoding") for n, _ in raw):
                return httpx.Request(method, url, headers=headers)
            if len(_host_headers) >= 64:
                _host_headers.clear()
            prepared = _host_headers[key] = httpx.Headers([(b"Host", url.netloc), *raw])
        request = httpx.Request(method, url, headers=prepared, stream=httpx.ByteStream(b""))
        request.read()
        return request
    return httpx.Request(method, url, headers=headers)
