"""Fixtures for the ``py7d`` tests: one served sandbox per module and a runner for the real command.

The helpers they use (``Runner``, ``Served``, ``clean_environ`` ...) are in ``cli_support``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Runner, Served, clean_environ, runner_for


@pytest.fixture
def plain_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment (no PY7D_* settings, a temporary HOME) for runs without a sandbox."""
    return clean_environ(tmp_path)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One sandbox on a free loopback port for the whole test module."""
    sandbox = pytest.importorskip("py7D.sandbox", reason="the sandbox (branch sandbox) is needed")
    pytest.importorskip("uvicorn", reason="serving the sandbox needs uvicorn")
    box = sandbox.Sandbox()
    getattr(box, "catalogue", None)  # build the generated catalogue before the first test
    email, password = sandbox.SEEDED_USERS[0][:2]
    with sandbox.running(box, "127.0.0.1", 0) as url:
        yield Served(
            url=url,
            consumer_key=getattr(box, "consumer_key", sandbox.DEFAULT_CONSUMER_KEY),
            consumer_secret=getattr(box, "consumer_secret", sandbox.DEFAULT_CONSUMER_SECRET),
            email=email,
            password=password,
        )


@pytest.fixture
def cli(served: Served, tmp_path: Path) -> Runner:
    """A runner with a fresh, empty config directory for each test."""
    return runner_for(served, tmp_path)


@pytest.fixture(scope="module")
def module_cli(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A runner whose config directory is shared by the tests of a module (ordered flows)."""
    return runner_for(served, tmp_path_factory.mktemp("home"))
