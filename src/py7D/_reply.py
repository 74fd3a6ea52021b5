"""Turning a reply into a :class:`~py7D.Result` or the matching py7D error (sans-I/O)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import httpx

from . import _xml
from ._endpoints import Endpoint
from ._exceptions import (
    OAuthError,
    Py7DError,
    RateLimitedError,
    ResponseParseError,
    error_class_for_code,
)
from ._result import Result

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "excerpt", "http_headers_of", "parse_response"]

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024


def http_headers_of(response: httpx.Response) -> dict[str, str]:
    """The seed's ``http_headers``: lower-case names (repeats joined by ``, ``) plus ``status``."""
    headers = response.headers
    raw = headers.raw
    try:  # httpx's own choice when every header is ASCII (the usual case), without its pass
        out = _decoded_headers(raw, "ascii")
    except UnicodeDecodeError:
        out = _decoded_headers(raw, headers.encoding)  # what multi_items() decodes with
    out["status"] = str(response.status_code)
    return out


def _decoded_headers(raw: list[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode(encoding).lower()
        value = raw_value.decode(encoding)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


_SECRET_IN_TEXT = re.compile(
    r"(oauth_token_secret|oauth_token|oauth_signature|password|secret)(=|\s*:\s*|>)([^&\s<\"']*)",
    re.IGNORECASE,
)


def excerpt(content: bytes, limit: int = 120) -> str:
    """A short printable start of a body, safe to put in an error message.

    Values that look like credentials (``oauth_token_secret=...``) are masked:
    a token reply read as an error must not leak its secret.
    """
    text = content[: limit * 4].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    text = _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return text[:limit] + ("…" if len(text) > limit else "")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = _dt.datetime.now(when.tzinfo or _dt.timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _error_of(error: Any) -> tuple[int, str]:
    if not isinstance(error, dict):
        return -1, "error reply without an <error> element"
    raw_code = error.get("@code")
    try:
        code = int(str(raw_code))
    except ValueError:
        code = -1
    message = error.get("errorMessage")
    if isinstance(message, dict):
        message = message.get("#text")
    return code, str(message) if message is not None else ""


def parse_response(
    response: httpx.Response,
    *,
    endpoint: Endpoint | None = None,
    normalize: bool = False,
    max_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    from_cache: bool = False,
) -> Result:
    """Turn a reply into a :class:`Result`, or raise the matching py7D error.

    Error or ok is decided by the envelope's ``status`` attribute whatever the
    HTTP status; non-XML bodies raise OAuthError (401 / ``OAuth ...`` text),
    RateLimitedError (429) or ResponseParseError. An error raised from a reply
    with ``Retry-After`` (429, 503) carries it as ``retry_after``.
    """
    try:
        return _parse_response(
            response,
            endpoint=endpoint,
            normalize=normalize,
            max_bytes=max_bytes,
            from_cache=from_cache,
        )
    except Py7DError as exc:
        if exc.retry_after is None:
            exc.retry_after = _retry_after(response.headers)
        raise


def _parse_response(
    response: httpx.Response,
    *,
    endpoint: Endpoint | None,
    normalize: bool,
    max_bytes: int | None,
    from_cache: bool,
) -> Result:
    request = response.request if _has_request(response) else None
    status = response.status_code
    content = response.content
    try:
        tree = _xml.parse(content, max_bytes=max_bytes)
    except _xml.XMLError as exc:
        text = excerpt(content)
        if status == 429:
            raise RateLimitedError(
                -1,
                "rate limit exceeded: " + (text or "slow down"),
                retry_after=_retry_after(response.headers),
                request=request,
                status_code=status,
            ) from None
        if status in (401, 403) or text.lower().startswith("oauth"):
            raise OAuthError(
                text or "access to resource denied", request=request, status_code=status
            ) from None
        why = exc.reason
        content_type = response.headers.get("content-type", "")
        if content_type and "xml" not in content_type.lower():
            why += f"; content-type {content_type.split(';')[0].strip()[:60]}"
        raise ResponseParseError(
            f"the reply is not a 7digital XML envelope ({why})",
            request=request,
            status_code=status,
            excerpt=text,
            reason=exc.reason,
        ) from None

    envelope = tree.get("response") if len(tree) == 1 else None
    state = envelope.get("@status") if isinstance(envelope, dict) else None
    if state == "error":
        assert isinstance(envelope, dict)
        code, message = _error_of(envelope.get("error"))
        if status == 429:
            raise RateLimitedError(
                code,
                message,
                retry_after=_retry_after(response.headers),
                request=request,
                status_code=status,
            )
        raise error_class_for_code(code)(code, message, request=request, status_code=status)
    if state != "ok":
        root = next(iter(tree), None)
        why = (
            f"root element is <{root}>, not <response>"
            if not isinstance(envelope, dict)
            else f"unrecognised status {state!r}"
        )
        raise ResponseParseError(
            f"the reply is not a 7digital envelope: {why}",
            request=request,
            status_code=status,
            excerpt=excerpt(content),
            reason="envelope",
        )
    if status >= 400:
        raise ResponseParseError(
            f"HTTP {status} with an ok envelope",
            request=request,
            status_code=status,
            reason="status",
        )
    assert isinstance(envelope, dict)
    if normalize and endpoint is not None and endpoint.root and endpoint.lists:
        root = endpoint.root
        if root in envelope:
            envelope = dict(envelope)
            envelope[root] = _xml.normalize(envelope[root], endpoint.lists)
    return Result(
        envelope,
        http_headers_of(response),
        status_code=status,
        headers=response.headers,
        content=content,
        endpoint=endpoint,
        request=request,
        from_cache=from_cache,
    )


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - httpx raises when a response has no request
    except RuntimeError:
        return False
    return True
