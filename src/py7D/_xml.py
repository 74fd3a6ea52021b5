"""XML → dict exactly as ``xmltodict.parse(data)`` builds it, but faster and refusing hostile XML.

py7D's reply contract (inherited from the original client) is the dict that
``xmltodict.parse`` returns with its default arguments: attributes as ``'@name'`` keys first,
then child elements in document order, then ``'#text'`` when the element also has attributes or
children; an element seen once is a dict/str, several times a list; an empty element is ``None``;
text is whitespace-stripped; namespace prefixes are kept verbatim.

:func:`parse` reproduces that dict key for key and in the same order, using the same expat
configuration as xmltodict (``buffer_text``, no namespace processing, comments and processing
instructions ignored) so that tokenisation, decoding and attribute normalisation are expat's own.
It is faster because the handlers are tight closures doing the minimum per event:

- whitespace-only text runs seen before any real text are dropped on arrival (they would be
  stripped anyway), so indentation between child elements costs no string work;
- an element without attributes reuses the (empty) attribute dict expat already built;
- the element stack holds the bare parent dict unless the parent has pending text;
- names are not interned (``intern=None``): interning costs more than it saves here.

Safety: any DOCTYPE is refused as soon as expat reaches it, and expat is never handed more than
a few hundred bytes past that point, so no entity is fetched and none can be expanded beyond a
trivial amount (billion laughs, quadratic blow-up, external and parameter entities); nothing is
ever fetched because no external-entity handler is installed. Undefined entities, bad encodings,
truncated or non-XML bodies and oversized bodies raise :class:`XMLError`, and no expat exception
escapes.

:func:`normalize` gives the "stable shapes" of the endpoint table: the repeating elements become
lists always.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final
from xml.parsers import expat

__all__ = ["XMLError", "normalize", "parse"]

#: Bytes fed to expat per call until the root element starts. A DOCTYPE can only appear before
#: the root element, and after a handler raises, expat still scans the rest of the current chunk
#: (with handlers cleared), so the prolog is fed in small pieces: a refused DOCTYPE leaves at most
#: this many bytes for expat to look at, far too few for a meaningful entity expansion.
_PROLOG_CHUNK: Final = 256

#: How many characters of the body an error message may quote.
_EXCERPT_CHARS: Final = 40

_ERR = expat.errors
_ENTITY_ERRORS: Final = frozenset(
    _ERR.codes[getattr(_ERR, name)]
    for name in (
        "XML_ERROR_UNDEFINED_ENTITY",
        "XML_ERROR_RECURSIVE_ENTITY_REF",
        "XML_ERROR_ASYNC_ENTITY",
        "XML_ERROR_BINARY_ENTITY_REF",
        "XML_ERROR_ATTRIBUTE_EXTERNAL_ENTITY_REF",
        "XML_ERROR_EXTERNAL_ENTITY_HANDLING",
        "XML_ERROR_PARAM_ENTITY_REF",
        "XML_ERROR_ENTITY_DECLARED_IN_PE",
        "XML_ERROR_AMPLIFICATION_LIMIT_BREACH",  # expat >= 2.4
    )
    if hasattr(_ERR, name)
)
_ENCODING_ERRORS: Final = frozenset(
    _ERR.codes[getattr(_ERR, name)]
    for name in (
        "XML_ERROR_UNKNOWN_ENCODING",
        "XML_ERROR_INCORRECT_ENCODING",
        "XML_ERROR_PARTIAL_CHAR",
    )
)
_INVALID_TOKEN: Final = _ERR.codes[_ERR.XML_ERROR_INVALID_TOKEN]

_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


class XMLError(ValueError):
    """The body cannot be parsed safely as XML.

    ``reason`` is one of ``"syntax"``, ``"doctype"``, ``"entity"``, ``"too-large"``,
    ``"encoding"`` or ``"empty"``; ``line`` and ``column`` locate the problem when known
    (1-based line, 0-based column, as expat counts). The message quotes at most a short
    excerpt of the body, never the body itself.
    """

    def __init__(
        self, reason: str, message: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.line = line
        self.column = column


class _DoctypeRefusedError(Exception):
    """Raised from inside expat's DOCTYPE handler to abort the parse."""


def _reject_doctype(*_args: object) -> None:
    raise _DoctypeRefusedError


def parse(
    data: bytes | bytearray | memoryview | str, *, max_bytes: int | None = None
) -> dict[str, Any]:
    """Parse an XML document into the dict ``xmltodict.parse(data)`` would return.

    Parameters
    ----------
    data:
        The body. Bytes are decoded as the document declares (expat's detection);
        a ``str`` is encoded as UTF-8 and parsed as UTF-8, like xmltodict does.
    max_bytes:
        Refuse bodies longer than this many bytes before parsing anything.

    Raises
    ------
    XMLError
        Empty, oversized, non-XML, truncated or badly encoded body; any DOCTYPE;
        an undefined entity.
    """
    raw: bytes | bytearray
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise XMLError("encoding", f"text cannot be encoded as UTF-8: {exc.reason}") from None
        encoding: str | None = "utf-8"
    else:
        raw = data if isinstance(data, (bytes, bytearray)) else bytes(data)
        encoding = None
    size = len(raw)
    if max_bytes is not None and size > max_bytes:
        raise XMLError("too-large", f"body of {size} bytes exceeds max_bytes={max_bytes}")
    if not size or raw.isspace():
        raise XMLError("empty", "empty body: expected an XML document")

    parser = expat.ParserCreate(encoding, None, intern=None)
    parser.buffer_text = True
    if hasattr(parser, "SetReparseDeferralEnabled"):  # expat >= 2.6: keep chunk handling eager
        parser.SetReparseDeferralEnabled(False)

    root: dict[str, Any] = {}
    stack: list[Any] = []
    push = stack.append
    pop = stack.pop
    # The element being built: a dict of its attributes (then children), and its text so far,
    # or None while it has seen only whitespace.
    item: dict[str, Any] = root
    text: str | None = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal item, text
        if text is None:
            push(item)
        else:
            push((item, text))
            text = None
        if attrs:
            item = {}
            for key, value in attrs.items():
                item["@" + key] = value
        else:
            item = attrs

    def chars(data: str) -> None:
        nonlocal text
        if text is None:
            # Leading whitespace would be stripped anyway; dropping it here keeps the
            # indentation between child elements free.
            if not data.isspace():
                text = data
        else:
            text += data

    def end(name: str) -> None:
        nonlocal item, text
        value: Any = item
        if text is not None:
            stripped = text.strip()
            if value:
                if stripped:
                    value["#text"] = stripped
            else:
                value = stripped or None
        elif not value:
            value = None
        parent = pop()
        if type(parent) is tuple:
            item, text = parent
        else:
            item = parent
            text = None
        if name in item:
            old = item[name]
            if type(old) is list:
                old.append(value)
            else:
                item[name] = [old, value]
        else:
            item[name] = value

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = _reject_doctype

    view = memoryview(raw)
    pos = 0
    try:
        while pos < size and not stack and not root:
            parser.Parse(view[pos : pos + _PROLOG_CHUNK], False)
            pos += _PROLOG_CHUNK
        parser.Parse(view[pos:], True)
    except expat.ExpatError as exc:
        raise _expat_error(exc, raw, parser.ErrorByteIndex) from None
    except _DoctypeRefusedError:
        raise XMLError(
            "doctype",
            "DOCTYPE declarations are not allowed (entity declarations could expand or fetch)"
            f" near {_excerpt(raw, parser.CurrentByteIndex)}",
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber,
        ) from None
    except (LookupError, ValueError) as exc:
        # An encoding expat does not know is looked up in Python's codecs, which may fail:
        # unknown name, multi-byte or non-text codec.
        raise XMLError(
            "encoding",
            f"unsupported document encoding ({type(exc).__name__}: {str(exc)[:80]})",
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber,
        ) from None
    return root


def _excerpt(raw: bytes | bytearray, index: int) -> str:
    """A short, printable quote of the body around byte ``index``."""
    index = max(index, 0)
    start = max(index - _EXCERPT_CHARS // 2, 0)
    chunk = bytes(raw[start : start + _EXCERPT_CHARS]).decode("utf-8", "replace")
    return repr(chunk[:_EXCERPT_CHARS])


def _expat_error(exc: expat.ExpatError, raw: bytes | bytearray, index: int) -> XMLError:
    """Translate an expat error into an :class:`XMLError` with the right ``reason``."""
    code = exc.code
    if code in _ENTITY_ERRORS:
        reason = "entity"
    elif code in _ENCODING_ERRORS or (code == _INVALID_TOKEN and _bad_utf8_before(raw, index)):
        reason = "encoding"
    else:
        reason = "syntax"
    message = _ERR.messages.get(code, "malformed XML") if code is not None else "malformed XML"
    return XMLError(
        reason,
        f"{message} at line {exc.lineno}, column {exc.offset}, near {_excerpt(raw, index)}",
        line=exc.lineno,
        column=exc.offset,
    )


def _bad_utf8_before(raw: bytes | bytearray, index: int) -> bool:
    """Whether an "invalid token" is really invalid UTF-8 in a document read as UTF-8."""
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    declared = _DECLARED_ENCODING.match(raw[:200])
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        return False
    try:
        bytes(raw[: max(index, 0) + 4]).decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start <= max(index, 0)
    return False


_MISSING: Final = object()


def normalize(tree: Any, lists: Iterable[str]) -> Any:
    """Return ``tree`` with every element at the dotted paths in ``lists`` turned into a list.

    ``tree`` is a parsed content element (the value under the reply's content root) and each
    path is relative to it, e.g. ``"searchResult"`` or ``"lockerReleases.lockerRelease"``.
    xmltodict makes an element that occurs once a dict and one that occurs several times a
    list; callers want one shape. The rules:

    - A path segment applied to a list applies to each of its items.
    - At the last segment, inside an existing parent dict: a single value ``v`` becomes ``[v]``,
      a list stays a list (copied), and a missing or empty (``None``) element becomes ``[]``
      (an empty ``<searchResult/>`` means "no items", not "one empty item").
    - Where the parent is missing, empty (``None``) or text, nothing is added: empty elements
      stay ``None`` (``<basketItems/>`` keeps ``basketItems`` as ``None``).
    - Everything else is left untouched.

    The input is never mutated. The dicts and lists along the listed paths are new; subtrees
    off those paths are shared with the input.
    """
    trie: dict[str, Any] = {}
    for path in lists:
        segments = path.split(".")
        if not all(segments):
            raise ValueError(f"invalid list path {path!r}")
        node = trie
        for segment in segments[:-1]:
            node = node.setdefault(segment, [False, {}])[1]
        node.setdefault(segments[-1], [False, {}])[0] = True
    return _normalize(tree, trie)


def _normalize(node: Any, trie: dict[str, Any]) -> Any:
    if type(node) is list:
        return [_normalize(each, trie) for each in node]
    if type(node) is not dict:
        return node
    out = dict(node)
    for key, (is_list, sub) in trie.items():
        value = out.get(key, _MISSING)
        if is_list:
            if value is _MISSING or value is None:
                value = []
            elif type(value) is not list:
                value = [value]
            out[key] = [_normalize(each, sub) for each in value] if sub else list(value)
        elif sub and value is not _MISSING:
            out[key] = _normalize(value, sub)
    return out
