"""Fixtures for the endpoint-table tests: an in-process sandbox and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import py7D
from py7D._oauth_flow import authorise_request_token, exchange_access_token, get_request_token
from py7D._validation import _reset_warnings

sandbox_mod = pytest.importorskip("py7D.sandbox")

KEY, SECRET = sandbox_mod.DEFAULT_CONSUMER_KEY, sandbox_mod.DEFAULT_CONSUMER_SECRET
ALICE_EMAIL, ALICE_PASSWORD, ALICE_ID = sandbox_mod.SEEDED_USERS[0]


@pytest.fixture
def _fresh_warnings() -> Iterator[None]:
    """Each test sees the once-per-path warnings afresh."""
    _reset_warnings()
    yield
    _reset_warnings()


@pytest.fixture
def box() -> py7D.sandbox.Sandbox:
    """A fresh sandbox whose default key may manage users (user/create, userId= calls)."""
    return sandbox_mod.Sandbox(user_management=True)


@pytest.fixture
def client(box: py7D.sandbox.Sandbox) -> Iterator[py7D.Client]:
    with py7D.Client(
        KEY, SECRET, base_url=box.base_url, transport=box.transport(), environ={}
    ) as c:
        yield c


@pytest.fixture
async def aclient(box: py7D.sandbox.Sandbox) -> AsyncIterator[py7D.AsyncClient]:
    async with py7D.AsyncClient(
        KEY, SECRET, base_url=box.base_url, transport=box.transport(), environ={}
    ) as c:
        yield c


@pytest.fixture
def alice(client: py7D.Client) -> py7D.Token:
    """Alice's access token, obtained through the real three steps of the token flow."""
    request_token = get_request_token(client)
    authorise_request_token(client, request_token, ALICE_EMAIL, ALICE_PASSWORD)
    return exchange_access_token(client, request_token)
