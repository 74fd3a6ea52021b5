"""``--table``: the items of a list or search reply as aligned columns, or a reply's fields."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._result import Result

__all__ = ["TableWriter", "flatten_item", "items_of", "print_result"]

# Columns people look for first; the rest follow in the order they appear.
PREFERRED = (
    "position",
    "@id",
    "id",
    "name",
    "title",
    "artist.name",
    "version",
    "type",
    "releaseDate",
    "year",
    "duration",
    "trackNumber",
    "label.name",
    "price.formattedPrice",
    "score",
    "text",
    "#text",
)
# Long, rarely read columns: shown only when there is room to spare.
_LOW_PRIORITY_SUFFIXES = ("url", "Url", "image", "Image", "slug", "Slug")
MAX_CELL = 40
GAP = "  "


def items_of(result: Result) -> list[Any] | None:
    """The repeating items of a reply (search results, releases, tags...), or None."""
    from .._paging import items_at

    data = result.data
    endpoint = result.endpoint
    if endpoint is not None:
        path = endpoint.items or (endpoint.lists[0] if endpoint.lists else None)
        return None if path is None else items_at(data, path)
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return value
    return None


def _unwrap(item: Any) -> dict[str, Any]:
    """``{'type': 'artist', 'artist': {...}}`` -> the artist's fields plus ``type``."""
    if not isinstance(item, dict):
        return {"value": item}
    nested = [k for k, v in item.items() if isinstance(v, dict) and not k.startswith("@")]
    if len(nested) != 1:
        return item
    inner = item[nested[0]]
    merged = {k: v for k, v in item.items() if k != nested[0]}
    merged.update(inner)
    return merged


def flatten_item(item: Any, depth: int = 2, *, unwrap: bool = True) -> dict[str, str]:
    """Scalar fields of an item as ``{'artist.name': 'Pink Floyd', ...}`` (lists left out)."""
    out: dict[str, str] = {}

    def visit(value: Any, prefix: str, level: int) -> None:
        if isinstance(value, dict):
            if level > depth:
                return
            for key, child in value.items():
                visit(child, f"{prefix}.{key}" if prefix else str(key), level + 1)
        elif isinstance(value, list):
            return
        elif value is not None:
            out[prefix or "value"] = str(value)

    visit(_unwrap(item) if unwrap else item, "", 0)
    return out


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _header(key: str) -> str:
    return key.replace("@", "").replace("#", "")


def choose_columns(rows: list[dict[str, str]], width: int) -> list[tuple[str, int]]:
    """Columns (key, width) that fit in ``width`` characters, preferred ones first."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    keys = [k for k in PREFERRED if k in seen]
    others = [k for k in seen if k not in keys]
    keys += [k for k in others if not k.endswith(_LOW_PRIORITY_SUFFIXES)]
    keys += [k for k in others if k.endswith(_LOW_PRIORITY_SUFFIXES)]
    columns: list[tuple[str, int]] = []
    used = 0
    for key in keys:
        cells = [len(" ".join(row.get(key, "").split())) for row in rows]
        size = min(max([len(_header(key)), *cells]), MAX_CELL)
        if columns and used + len(GAP) + size > width:
            continue
        columns.append((key, size))
        used += size + (len(GAP) if len(columns) > 1 else 0)
    return columns


def _format_row(cells: Iterable[tuple[str, int]]) -> str:
    return GAP.join(_one_line(text, size).ljust(size) for text, size in cells).rstrip()


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def _replace_unencodable(stream: TextIO) -> None:
    """A table is for reading: show '?' for what the terminal cannot encode, never fail."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


class TableWriter:
    """Writes rows under a header chosen from the first batch (so pages can stream)."""

    def __init__(self, stream: TextIO, width: int | None = None) -> None:
        self.stream = stream
        _replace_unencodable(stream)
        self.width = width or terminal_width()
        self.columns: list[tuple[str, int]] | None = None
        self.count = 0

    def write(self, items: Iterable[Any]) -> None:
        rows = [flatten_item(item) for item in items]
        if not rows:
            return
        if self.columns is None:
            self.columns = choose_columns(rows, self.width)
            header = _format_row((_header(k), size) for k, size in self.columns)
            self.stream.write(header + "\n")
            self.stream.write(_format_row(("─" * size, size) for _, size in self.columns) + "\n")
        for row in rows:
            self.stream.write(_format_row((row.get(k, ""), size) for k, size in self.columns))
            self.stream.write("\n")
        self.count += len(rows)


def _print_fields(data: Mapping[str, Any] | Any, stream: TextIO, width: int) -> None:
    fields = (
        flatten_item(data, depth=4, unwrap=False)
        if isinstance(data, dict)
        else {"value": str(data)}
    )
    if not fields:
        stream.write("(empty reply)\n")
        return
    size = min(max(len(_header(k)) for k in fields), MAX_CELL)
    for key, value in fields.items():
        stream.write(f"{_header(key).ljust(size)}{GAP}{_one_line(value, width - size - 2)}\n")


def print_result(result: Result, stream: TextIO) -> None:
    """Items as a table with a paging footer; a reply without items as ``field  value`` lines."""
    _replace_unencodable(stream)
    width = terminal_width()
    items = items_of(result)
    if items is None:
        data = result.data
        _print_fields({} if data is None else data, stream, width)
        return
    writer = TableWriter(stream, width)
    writer.write(items)
    if writer.count == 0:
        stream.write("(no items)\n")
    info = result.page_info
    if info is not None:
        pages = max(info.total_pages, 1)
        noun = "item" if info.total_items == 1 else "items"
        stream.write(f"page {info.page} of {pages} · {info.total_items} {noun}\n")
