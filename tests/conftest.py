"""Shared fixtures: every test starts from a clean, isolated environment.

The fixtures of the support modules are registered here for the whole tree:
``client_support`` (a loopback HTTP server), ``retry_support`` (a fake clock, quick
retry policies, a sandbox-backed client) and ``table_support`` (an in-process sandbox
with clients and a signed-in user). ``tests/sandbox/conftest.py`` overrides ``clock``
and ``client`` for the sandbox's own tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import py7D

pytest_plugins = ["client_support", "retry_support", "table_support"]

# Many tests start the real ``py7d`` in a subprocess. Where the environment forbids
# bytecode (PYTHONDONTWRITEBYTECODE), each of them would compile the whole package
# again; keep the bytecode of this run's subprocesses outside the tree instead.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault(
    "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "py7d-tests-bytecode")
)
# The same for this process and the xdist workers: pytest's assertion rewriting keeps
# the rewritten test modules only where bytecode may be written, else it rewrites and
# compiles every test module again in every worker on every run (seconds each).
sys.pycache_prefix = sys.pycache_prefix or os.environ["PYTHONPYCACHEPREFIX"]
sys.dont_write_bytecode = False


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No PY7D_* variables, a private HOME/XDG_CONFIG_HOME, no api_settings, no default client."""
    for name in list(os.environ):
        if name.startswith("PY7D_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    sys.modules.pop("api_settings", None)
    _reset_default_client()
    yield
    sys.modules.pop("api_settings", None)
    _reset_default_client()


def _reset_default_client() -> None:
    previous = py7D.set_default_client(None)
    if previous is not None:
        previous.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the long tests first: on two workers, one long test left for the end
    would run alone while the other worker sits idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
