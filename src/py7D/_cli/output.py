"""Writing a reply: JSON (indented on a terminal, compact when piped), raw XML, or a table."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._result import Result

__all__ = ["dump_json", "json_line", "render", "wants_pretty"]


def wants_pretty(options: argparse.Namespace, stream: TextIO) -> bool:
    """Indented JSON on a terminal (or with --pretty), compact when piped (or with --compact)."""
    if getattr(options, "pretty", False):
        return True
    if getattr(options, "compact", False):
        return False
    return _isatty(stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def dump_json(value: Any, stream: TextIO, *, pretty: bool) -> None:
    """One JSON document and a newline."""
    ascii_only = not speaks_utf8(stream)
    if pretty:
        stream.write(json.dumps(value, indent=2, ensure_ascii=ascii_only))
    else:
        stream.write(json_line(value, ascii_only=ascii_only))
    stream.write("\n")


def json_line(value: Any, *, ascii_only: bool = False) -> str:
    """Compact JSON on one line (JSON Lines)."""
    return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))


def speaks_utf8(stream: TextIO) -> bool:
    """Whether ``stream`` can take any character (else JSON escapes non-ASCII as \\uXXXX)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf8sig")


def _status_and_headers(result: Result) -> str:
    lines = [f"HTTP {result.status_code}"]
    lines += [f"{name}: {value}" for name, value in result.headers.multi_items()]
    return "\n".join(lines) + "\n\n"


def _write_xml(result: Result, stream: TextIO, headers: bool) -> None:
    if headers:
        stream.write(_status_and_headers(result))
    stream.flush()
    binary = getattr(stream, "buffer", None)
    if binary is not None:  # the reply's own bytes, whatever the terminal's encoding
        binary.write(result.content if result.content.endswith(b"\n") else result.content + b"\n")
        binary.flush()
        return
    text = result.content.decode("utf-8", errors="replace")
    stream.write(text if text.endswith("\n") else text + "\n")


def render(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    """Write ``result`` as ``--xml``, ``--table`` or JSON (``--headers`` adds the HTTP headers)."""
    if options.xml:
        _write_xml(result, stream, options.headers)
        return
    if options.table:
        from .table import print_result

        if options.headers:
            stream.write(_status_and_headers(result))
        print_result(result, stream)
        return
    document: dict[str, Any] = {"response": result["response"]}
    if options.headers:
        document["http_headers"] = result["http_headers"]
    dump_json(document, stream, pretty=wants_pretty(options, stream))
