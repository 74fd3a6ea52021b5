"""XML -> dict as xmltodict builds it (interim version; a faster parser replaces it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import xmltodict

__all__ = ["XMLError", "normalize", "parse"]


class XMLError(ValueError):
    """The document could not be parsed safely."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse(data: bytes | str, *, max_bytes: int | None = None) -> dict[str, Any]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if max_bytes is not None and len(raw) > max_bytes:
        raise XMLError("too-large", f"document of {len(raw)} bytes exceeds {max_bytes}")
    if not raw.strip():
        raise XMLError("empty", "empty document")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise XMLError("doctype", "documents with a DOCTYPE are refused")
    try:
        result: dict[str, Any] = xmltodict.parse(raw, disable_entities=True)
    except Exception as exc:
        raise XMLError("syntax", f"not well-formed XML: {exc}") from None
    return result


def normalize(tree: Any, lists: Iterable[str]) -> Any:
    raise NotImplementedError
