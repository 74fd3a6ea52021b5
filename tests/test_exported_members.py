"""``py7D.__all__`` lists exactly the public names, in order (httpx's test, adapted)."""

from __future__ import annotations
import __future__

import importlib
import re
import types

import py7D


def public_members() -> set[str]:
    """Names a user can see: no _private names, no submodules, no ``from __future__`` flags."""
    return {
        name
        # dir(), not vars(): public names load lazily (PEP 562), so vars() lists
        # only those used so far; py7D.__dir__ lists them all.
        for name, value in ((n, getattr(py7D, n)) for n in dir(py7D))
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and not isinstance(value, __future__._Feature)
    }


def isort_style_key(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """The order ruff's RUF022 enforces: CONSTANTS, then CamelCase, then the rest, natural sort."""
    if name.isupper():
        category = 0
    elif name[:1].isupper():
        category = 1
    else:
        category = 2
    chunks = [(0, int(c)) if c.isdigit() else (1, c) for c in re.split(r"(\d+)", name) if c]
    return category, chunks


def test_all_lists_every_public_member_once() -> None:
    assert len(py7D.__all__) == len(set(py7D.__all__))
    assert set(py7D.__all__) == public_members()


def test_all_is_sorted() -> None:
    # Not str.casefold as in httpx: the project lints __all__ with ruff's RUF022,
    # which wants isort-style order (constants, classes, functions); one rule has to win.
    assert py7D.__all__ == sorted(py7D.__all__, key=isort_style_key)


def test_every_name_in_all_is_importable() -> None:
    module = importlib.import_module("py7D")
    for name in py7D.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from py7D import *", namespace)
    assert set(py7D.__all__) <= set(namespace)


def test_public_objects_come_from_py7d() -> None:
    for name in py7D.__all__:
        value = getattr(py7D, name)
        module = getattr(value, "__module__", None)
        if module is not None and not isinstance(value, str | tuple):
            assert module.startswith("py7D"), (name, module)


def test_version_is_exposed() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)*", py7D.__version__)
