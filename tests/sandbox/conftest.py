"""Fixtures for the sandbox tests (helpers live in ``sandbox_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_support import Clock, Signer

from py7D.sandbox import Sandbox


@pytest.fixture
def clock() -> Clock:
    """A fixed clock that tests can move."""
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    """A fresh sandbox on the fake clock (the catalogue is shared and built once)."""
    return Sandbox(clock=clock)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An in-process client for ``sandbox``."""
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        yield http


@pytest.fixture
def signer(clock: Clock) -> Signer:
    """Signs requests with oauthlib for the fake clock."""
    return Signer(clock)
