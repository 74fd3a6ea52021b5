"""File names from titles: safe on every common filesystem, never a way out of a folder.

A title such as ``../../Where Are You? (Paris/Tokyo Mix)`` must become one
harmless name, the same on Linux, macOS and Windows: no path separators,
no ``..``, no control characters, none of ``<>:"/\\|?*``, no trailing dot or
space, no reserved device name (``CON``, ``NUL``, ``COM1`` ...), and not
longer than a filesystem allows. Names that differ only by case (or by
Unicode normalisation) would land on the same file on macOS and Windows:
:class:`NameSpace` gives the second one a ``" (2)"`` suffix.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_BYTES", "NameSpace", "safe_name"]

#: Longest name, in UTF-8 bytes, ``safe_name`` returns: filesystems allow 255, and a
#: suffix (`` (2)``, ``.part.json``) must still fit.
MAX_NAME_BYTES = 180

_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*]')
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
    | {"com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}
)


def safe_name(text: str, *, suffix: str = "", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``text`` as one file or folder name, plus ``suffix`` (an extension) kept whole.

    >>> safe_name("../../Where Are You? (Paris/Tokyo Mix)", suffix=".mp3")
    'Where Are You_ (Paris_Tokyo Mix).mp3'
    >>> safe_name("Takk...")
    'Takk'
    """
    name = unicodedata.normalize("NFC", text)
    name = re.sub(r"[\t\n\r\v\f]", " ", name)
    name = _FORBIDDEN.sub("_", name)
    name = " ".join(name.split())  # tabs, newlines and runs of spaces: one space
    # Leading dots hide a file (and "." / ".." are directories); trailing dots and
    # spaces are dropped by Windows. Underscores left by "../" go with them.
    name = name.lstrip("._ ").rstrip(". ")
    if not name:
        name = "_"
    if name.split(".", 1)[0].strip().lower() in _RESERVED:
        name = f"_{name}"
    room = max(max_bytes - len(suffix.encode("utf-8")), 8)
    encoded = name.encode("utf-8")
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", "ignore").rstrip(". ")
    return name + suffix


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


class NameSpace:
    """The names taken in one folder; :meth:`claim` resolves case-insensitive collisions.

    The same ``owner`` always gets the same name back, so a second run (fed the
    same owners in the same order, or the names a manifest remembers) names
    every file as the first did.
    """

    def __init__(self) -> None:
        self._taken: dict[str, object] = {}
        self._given: dict[object, str] = {}

    def reserve(self, name: str, owner: object) -> bool:
        """Take ``name`` for ``owner`` as is; False when another owner holds it."""
        holder = self._taken.setdefault(_key(name), owner)
        if holder != owner:
            return False
        self._given[owner] = name
        return True

    def claim(self, name: str, owner: object, *, suffix: str = "") -> str:
        """A name for ``owner``: ``name + suffix``, else ``name (2) + suffix``, ..."""
        if owner in self._given:
            return self._given[owner]
        candidate = name + suffix
        number = 2
        while not self.reserve(candidate, owner):
            tail = f" ({number}){suffix}"
            base = name.encode("utf-8")[: MAX_NAME_BYTES - len(tail.encode("utf-8"))]
            candidate = base.decode("utf-8", "ignore").rstrip(". ") + tail
            number += 1
        return candidate
