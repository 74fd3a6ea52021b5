"""Building ``httpx`` URLs and body-less requests for less CPU than the public constructors.

The results equal what ``httpx.Request(method, url, params=..., headers=...)``
builds; the shortcuts reach into httpx's parsed-URL tuple, so they check
themselves against httpx on first use and switch off if httpx changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

__all__ = ["Primitive", "bodyless_request", "request_url"]

Primitive = str | int | float | bool | None


def request_url(api_url: str, path: str, query: list[tuple[str, Primitive]]) -> httpx.URL | str:
    """``<api_url>/<path>?a=1&b=2`` as ``httpx.Request(params=...)`` would build it, but cheaper.

    httpx percent-encodes parameters with ``quote_plus`` and no safe
    characters, as ``urlencode`` does by default, so the text is the same
    (parameter names are distinct here; httpx would group repeated names).
    Parsing a URL string is then the single largest CPU cost of building a
    call (httpx validates it character by character), so when the URL is
    plainly safe the parsed form is derived from the already-parsed base URL
    instead (:func:`_fast_url`).
    """
    text = _urlencode(query) if query else ""
    fast = _fast_url(api_url, path, text)
    if fast is not None:
        return fast
    url = f"{api_url}/{path}"
    return f"{url}?{text}" if text else url


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


# Paths and queries made only of these characters are kept as they are by httpx.
_SAFE_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")
_SAFE_QUERY = re.compile(r"[A-Za-z0-9\-._~%+=&]*")
_parsed_bases: dict[str, Any] = {}
# (api_url, path) -> (the base's ParseResult, its fields with the path filled in, query index)
_url_templates: dict[tuple[str, str], tuple[Any, list[Any], int]] = {}
_fast_urls_ok: bool | None = None


def _fast_url(api_url: str, path: str, query: str) -> httpx.URL | None:
    """``httpx.URL(f"{api_url}/{path}?{query}")`` without re-parsing, or None to parse.

    httpx keeps a parsed URL as a ``ParseResult`` named tuple; for a URL whose
    path and query need no encoding, replacing those two fields of the base
    URL's tuple gives exactly what parsing the whole string would. That uses
    httpx internals, so the first use is checked against ``httpx.URL`` and any
    difference (or a missing attribute) switches this off for good.
    """
    global _fast_urls_ok
    if _fast_urls_ok is False or not _SAFE_QUERY.fullmatch(query):
        return None
    template = _url_templates.get((api_url, path))
    if template is None:
        if not _SAFE_PATH.fullmatch(path):
            return None
        base: Any = _parsed_bases.get(api_url)
        if base is None:
            parsed = httpx.URL(api_url)
            if parsed.query or parsed.fragment or not _SAFE_PATH.fullmatch(parsed.path):
                return None
            if len(_parsed_bases) >= 64:
                _parsed_bases.clear()
            base = _parsed_bases[api_url] = getattr(parsed, "_uri_reference", None)
        try:
            fields = list(base)
            fields[base._fields.index("path")] = base.path.rstrip("/") + "/" + path
            template = (base, fields, base._fields.index("query"))
        except Exception:  # httpx changed its internals: parse strings from now on
            _fast_urls_ok = False
            return None
        if len(_url_templates) >= 1024:
            _url_templates.clear()
        _url_templates[(api_url, path)] = template
    base, fields, query_at = template
    try:
        # Not base._replace(): on CPython 3.11 it leaves each new tuple to the cycle
        # collector (tracemalloc showed ~100 B a call piling up between collections).
        fields = fields.copy()
        fields[query_at] = query or None
        fast = httpx.URL.__new__(httpx.URL)
        fast._uri_reference = base._make(fields)
        if _fast_urls_ok is None:
            text = f"{api_url}/{path}" + (f"?{query}" if query else "")
            expected = httpx.URL(text)
            _fast_urls_ok = fast == expected and str(fast) == str(expected)
            if not _fast_urls_ok:
                return None
    except Exception:  # httpx changed its internals: parse strings from now on
        _fast_urls_ok = False
        return None
    return fast


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
