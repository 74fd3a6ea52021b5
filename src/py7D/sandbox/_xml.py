"""Small XML builders for the sandbox's replies (ElementTree does the escaping)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

__all__ = [
    "XSI_NIL",
    "Element",
    "envelope",
    "error_envelope",
    "paging",
    "sub",
]

Element = ET.Element

XSI_NIL = "xsi:nil"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_OK_ATTRS = {
    "status": "ok",
    "version": "1.2",
    "xmlns:xsd": "http://www.w3.org/2001/XMLSchema",
    "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsi:noNamespaceSchemaLocation": "http://api.7digital.com/1.2/static/7digitalAPI.xsd",
}


def sub(parent: ET.Element, tag: str, text: object = None, **attrs: object) -> ET.Element:
    """Append ``<tag attrs>text</tag>`` to ``parent``; ``None`` text gives an empty element.

    Booleans are written ``true``/``false`` as the API does; other values with ``str``.
    """
    el = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = _text(text)
    return el


def nil(parent: ET.Element, tag: str) -> ET.Element:
    """Append ``<tag xsi:nil="true"/>``."""
    return ET.SubElement(parent, tag, {XSI_NIL: "true"})


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def paging(parent: ET.Element, page: int, page_size: int, total: int) -> None:
    """The three paging elements that open every paged content element."""
    sub(parent, "page", page)
    sub(parent, "pageSize", page_size)
    sub(parent, "totalItems", total)


def envelope(content: ET.Element | Iterable[ET.Element] | None, *, version: str = "1.2") -> bytes:
    """Serialise an ok reply around ``content`` (``None`` gives the empty envelope)."""
    if content is None:
        root = ET.Element("response", {"status": "ok", "version": version})
    else:
        root = ET.Element("response", {**_OK_ATTRS, "version": version})
        if isinstance(content, ET.Element):
            root.append(content)
        else:
            root.extend(content)
    return _serialise(root)


def error_envelope(code: int, message: str) -> bytes:
    """Serialise ``<response status="error"><error code=..><errorMessage>..``."""
    root = ET.Element("response", {"status": "error", "version": "1.2"})
    sub(sub(root, "error", code=code), "errorMessage", message)
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    return (_DECLARATION + ET.tostring(root, encoding="unicode")).encode("utf-8")
