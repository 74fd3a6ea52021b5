"""``import py7D`` is cheap: the public names load on first use (PEP 562)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import py7D


def test_import_py7d_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, py7D; "
        "print(sorted(m for m in ('httpx', 'oauthlib', 'xmltodict', 'anyio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves_and_is_listed_by_dir() -> None:
    listed = dir(py7D)
    for name in py7D.__all__:
        assert getattr(py7D, name) is not None
        assert name in listed
    assert set(py7D._LAZY) == set(py7D.__all__)


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from py7D import *", namespace)
    assert set(py7D.__all__) <= set(namespace)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        py7D.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
