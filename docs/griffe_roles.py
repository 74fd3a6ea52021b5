"""A griffe extension for the API reference: Sphinx roles in docstrings become code.

py7D's docstrings name other objects as ``:class:`py7D.Client```; mkdocstrings
shows Markdown, where such a role would print as written. This turns
``:role:`target``` into ``target`` as inline code (``~a.b.c`` into ``c``).
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj|const):`~?([^`]+)`")


def _code(match: re.Match[str]) -> str:
    target = match[1]
    if match[0].split("`", 1)[1].startswith("~"):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


class SphinxRoles(Extension):
    """Rewrite Sphinx roles in every docstring as inline code."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
