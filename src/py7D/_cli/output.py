"""Output formats: JSON (the default), ``--xml``, ``--table`` and ``--csv``, in one registry.

Each :class:`OutputFormat` says how to write one reply and, for ``--all``, how to
write items page after page. The command line's format flags, their help and
the ``--all`` checks all come from :data:`FORMATS`, so a new output mode is one
entry here (and a test).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from .base import UsageError

if TYPE_CHECKING:
    from .._result import Result

__all__ = [
    "FORMATS",
    "ItemWriter",
    "OutputFormat",
    "add_format_options",
    "chosen_format",
    "dump_json",
    "item_writer",
    "json_line",
    "render",
    "wants_pretty",
]


class ItemWriter(Protocol):
    """Writes the items of a paged walk as they arrive (``--all``)."""

    def write(self, items: list[Any]) -> None: ...


@dataclass(frozen=True)
class OutputFormat:
    """One output mode: its flag, help, and how it writes a reply and (``--all``) items."""

    name: str
    help: str
    write_result: Callable[[Result, argparse.Namespace, TextIO], None]
    items: Callable[[TextIO, argparse.Namespace], ItemWriter] | None = None
    """Makes the ``--all`` writer; None: the format cannot stream items."""
    headers: bool = True
    """Whether ``--headers`` (HTTP status and headers) can go with it."""

    @property
    def flag(self) -> str | None:
        """The option that picks it (``--xml``); the default (JSON) has none."""
        return None if self.name == "json" else f"--{self.name}"


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- JSON


def _write_json(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    document: dict[str, Any] = {"response": result["response"]}
    if options.headers:
        document["http_headers"] = result["http_headers"]
    dump_json(document, stream, pretty=wants_pretty(options, stream))


class _JsonLines:
    def __init__(self, stream: TextIO, options: argparse.Namespace) -> None:
        self.stream = stream
        self.ascii_only = not speaks_utf8(stream)

    def write(self, items: list[Any]) -> None:
        self.stream.write(
            "".join(json_line(item, ascii_only=self.ascii_only) + "\n" for item in items)
        )


# --------------------------------------------------------------------------- XML


def _write_xml(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    if options.headers:
        stream.write(_status_and_headers(result))
    stream.flush()
    binary = getattr(stream, "buffer", None)
    if binary is not None:  # the reply's own bytes, whatever the terminal's encoding
        binary.write(result.content if result.content.endswith(b"\n") else result.content + b"\n")
        binary.flush()
        return
    text = result.content.decode("utf-8", errors="replace")
    stream.write(text if text.endswith("\n") else text + "\n")


# --------------------------------------------------------------------------- table


def _write_table(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    from .table import print_result

    if options.headers:
        stream.write(_status_and_headers(result))
    print_result(result, stream)


def _table_items(stream: TextIO, options: argparse.Namespace) -> ItemWriter:
    from .table import TableWriter

    return TableWriter(stream)


# --------------------------------------------------------------------------- CSV


class CsvWriter:
    """Items as CSV rows of flattened fields (``artist.name``) under one header row.

    The columns are those of the first batch of items (the first page of ``--all``);
    a field that only later items have is left out, so every row has the same columns.
    """

    def __init__(self, stream: TextIO, options: argparse.Namespace | None = None) -> None:
        import csv  # here: only --csv needs it

        self.stream = stream
        self.columns: list[str] | None = None
        self.writer = csv.writer(stream, lineterminator="\n")

    def write(self, items: Iterable[Any]) -> None:
        from .table import flatten_item

        rows = [flatten_item(item, depth=4) for item in items]
        if not rows:
            return
        if self.columns is None:
            self.columns = list(dict.fromkeys(key for row in rows for key in row))
            self.writer.writerow(self.columns)
        for row in rows:
            self.writer.writerow([row.get(column, "") for column in self.columns])


def _write_csv(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    from .table import items_of

    items = items_of(result)
    if items is None:  # a reply without repeating items: its fields, as one row
        data = result.data
        items = [data] if isinstance(data, dict) else []
    CsvWriter(stream).write(items)


# --------------------------------------------------------------------------- registry

FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat(
            "json",
            "JSON (the default): indented on a terminal, compact when piped",
            _write_json,
            _JsonLines,
        ),
        OutputFormat("xml", "print the raw XML reply", _write_xml),
        OutputFormat(
            "table", "a readable table of the items (or fields)", _write_table, _table_items
        ),
        OutputFormat(
            "csv",
            "the items as CSV: a header row, then one row per item (nested fields as "
            "artist.name); with --all, every page",
            _write_csv,
            CsvWriter,
            headers=False,
        ),
    )
}


def add_format_options(group: argparse._ActionsContainer) -> None:
    """The mutually exclusive format flags (``--xml``, ``--table``, ``--csv``)."""
    exclusive = group.add_mutually_exclusive_group()
    for fmt in FORMATS.values():
        if fmt.flag is not None:
            exclusive.add_argument(
                fmt.flag,
                dest="output_format",
                action="store_const",
                const=fmt.name,
                help=fmt.help,
            )
    group.set_defaults(output_format="json")


def chosen_format(options: argparse.Namespace) -> OutputFormat:
    """The format the command line asked for (JSON when none)."""
    return FORMATS[getattr(options, "output_format", None) or "json"]


def check_options(options: argparse.Namespace, paging: bool) -> None:
    """Refuse combinations the chosen format cannot write."""
    fmt = chosen_format(options)
    if paging and fmt.items is None:
        streamable = ", ".join(f.flag or "JSON Lines" for f in FORMATS.values() if f.items)
        raise UsageError(f"--all writes {streamable}; it cannot be combined with {fmt.flag}")
    if options.headers and (paging or not fmt.headers):
        what = "--all writes one item per line" if paging else f"{fmt.flag} writes only items"
        raise UsageError(f"{what}; drop --headers")


def render(result: Result, options: argparse.Namespace, stream: TextIO) -> None:
    """Write ``result`` in the chosen format (``--headers`` adds the HTTP headers)."""
    chosen_format(options).write_result(result, options, stream)


def item_writer(options: argparse.Namespace, stream: TextIO) -> ItemWriter:
    """The ``--all`` writer of the chosen format."""
    fmt = chosen_format(options)
    if fmt.items is None:  # check_options refuses this first
        raise UsageError(f"--all cannot be combined with {fmt.flag}")
    return fmt.items(stream, options)
