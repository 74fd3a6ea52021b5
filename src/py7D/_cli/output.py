"""Writing a reply: JSON (indented on a terminal, compact when piped), raw XML, or a table."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._core import Result

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
    if pretty:
        stream.write(json.dumps(value, indent=2, ensure_ascii=False))
    else:
        stream.write(json_line(value))
    stream.write("\n")


def json_line(value: Any) -> str:
    """Compact JSON on one line (JSON Lines)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _status_and_headers(result: Result) -> str:
    lines = [f"HTTP {result.status_code}"]
    lines += [f"{name}: {value}" for name, value in result.headers.multi_items()]
    return "\n".join(lines) + "\n\n"


def _write_xml(result: Result, stream: TextIO, headers: bool) -> None:
    if headers:
        stream.write(_status_and_headers(result))
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
