"""pytest fixtures for testing your own code against the py7D sandbox.

Installed with py7D (entry point ``pytest11``: ``py7D = "py7D.pytest_plugin"``),
so the fixtures are there in any test suite of a project that depends on py7D;
nothing to import or register. Importing this module costs almost nothing and
needs neither uvicorn nor the sandbox: each fixture imports what it uses, and
the one that serves the sandbox on a real port (:func:`py7d_sandbox_url`)
skips its test with an install hint when uvicorn is missing
(``pip install 'py7D[sandbox]'``).

Fixtures (all function-scoped, so every test starts from a fresh sandbox):

``py7d_sandbox``
    A :class:`py7D.sandbox.Sandbox`. Override it in your ``conftest.py`` to
    change its options (``Sandbox(user_management=True)``, a ``clock``, ...).
    Its ``state`` shows what your code did: ``py7d_sandbox.state.purchases``,
    ``.locker(user_id)``, ``.cards_of(user_id)``, ``.basket(basket_id)`` ...
``py7d_credentials``
    The sandbox's ``(consumer_key, consumer_secret)``.
``py7d_client`` / ``py7d_async_client``
    A :class:`py7D.Client` / :class:`py7D.AsyncClient` wired to
    ``py7d_sandbox`` in-process (no sockets, no threads).
``py7d_default_client``
    Points the module-level calls (``py7D.request(...)``) at ``py7d_client``
    for the test, and restores the previous default afterwards.
``py7d_user``
    A seeded user (Alice: ``alice@example.com``, id 1001, a default VISA card)
    with an access token for 3-legged calls.
``py7d_sandbox_url``
    The base URL (``http://127.0.0.1:<port>/1.2``) of a real HTTP server
    answering with ``py7d_sandbox``: for code that builds its own HTTP client
    or runs in another process. One server runs per test session; each test's
    requests reach that test's own sandbox.
``py7d_environ``
    ``PY7D_API_URL``, ``PY7D_CONSUMER_KEY`` and ``PY7D_CONSUMER_SECRET`` set
    (through ``monkeypatch``) to the served sandbox, for code that reads
    py7D's settings from the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from . import AsyncClient, Client, Token
    from .sandbox import Sandbox

__all__ = [
    "SandboxCredentials",
    "SandboxUser",
    "py7d_async_client",
    "py7d_client",
    "py7d_credentials",
    "py7d_default_client",
    "py7d_environ",
    "py7d_sandbox",
    "py7d_sandbox_url",
    "py7d_user",
]

_UVICORN_HINT = (
    "py7d_sandbox_url serves the sandbox on a port and needs uvicorn: pip install 'py7D[sandbox]'"
)


class SandboxCredentials(NamedTuple):
    """The API key of the sandbox: ``key, secret = py7d_credentials``."""

    consumer_key: str
    consumer_secret: str


@dataclass(frozen=True)
class SandboxUser:
    """A sandbox account and an access token for it (``token`` signs 3-legged calls)."""

    email: str
    password: str
    user_id: int
    token: Token

    def __repr__(self) -> str:
        return f"SandboxUser(email={self.email!r}, user_id={self.user_id!r}, token={self.token!r})"


@pytest.fixture
def py7d_sandbox() -> Sandbox:
    """A fresh in-memory sandbox (override this fixture to pass options)."""
    from .sandbox import Sandbox

    return Sandbox()


@pytest.fixture
def py7d_credentials(py7d_sandbox: Sandbox) -> SandboxCredentials:
    """The sandbox's default consumer key and secret."""
    from .sandbox import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET

    return SandboxCredentials(DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET)


@pytest.fixture
def py7d_client(py7d_sandbox: Sandbox, py7d_credentials: SandboxCredentials) -> Iterator[Client]:
    """A :class:`py7D.Client` talking to ``py7d_sandbox`` in-process."""
    from . import Client

    # environ={} and explicit settings: the developer's own PY7D_* variables,
    # config file or api_settings must not leak into the test.
    with Client(
        *py7d_credentials,
        base_url=py7d_sandbox.base_url,
        transport=py7d_sandbox.transport(),
        environ={},
    ) as client:
        yield client


@pytest.fixture
def py7d_async_client(
    py7d_sandbox: Sandbox, py7d_credentials: SandboxCredentials
) -> Iterator[AsyncClient]:
    """A :class:`py7D.AsyncClient` talking to ``py7d_sandbox`` in-process.

    A plain (not async) fixture, so it works with any async test runner.
    """
    from . import AsyncClient

    client = AsyncClient(
        *py7d_credentials,
        base_url=py7d_sandbox.base_url,
        transport=py7d_sandbox.transport(),
        environ={},
    )
    yield client
    # The in-process transport holds no sockets, so closing needs no particular loop;
    # under a runner that keeps a loop running here there is nothing to release.
    with contextlib.suppress(RuntimeError):
        asyncio.run(client.aclose())


@pytest.fixture
def py7d_default_client(py7d_client: Client) -> Iterator[Client]:
    """Make ``py7D.request(...)`` and friends use ``py7d_client`` during the test."""
    from . import set_default_client

    previous = set_default_client(py7d_client)
    try:
        yield py7d_client
    finally:
        set_default_client(previous)


@pytest.fixture
def py7d_user(py7d_sandbox: Sandbox, py7d_credentials: SandboxCredentials) -> SandboxUser:
    """The seeded user Alice, with a fresh access token."""
    from . import Token
    from .sandbox import SEEDED_USERS

    email, password, _ = SEEDED_USERS[0]
    # The seeded account (created if an overriding py7d_sandbox fixture started without it).
    user = py7d_sandbox.state.user_by_email(email)
    user_id = user.id if user is not None else py7d_sandbox.add_user(email, password)
    key, secret = py7d_sandbox.issue_access_token(email, consumer_key=py7d_credentials.consumer_key)
    return SandboxUser(email, password, user_id, Token(key, secret))


class _Dispatch:
    """Stands in for a Sandbox in the session's server and forwards to the current test's one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Sandbox | None = None

    def use(self, sandbox: Sandbox | None) -> None:
        with self._lock:
            self._current = sandbox

    def _target(self) -> Sandbox:
        with self._lock:
            current = self._current
        if current is None:
            raise RuntimeError("no test is using the py7D sandbox server right now")
        return current

    def handle(self, request: Any) -> Any:
        return self._target().handle(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


@pytest.fixture(scope="session")
def _py7d_server() -> Iterator[tuple[str, _Dispatch]]:
    """One HTTP server per session (starting uvicorn per test would cost ~0.25 s each)."""
    try:
        import uvicorn  # noqa: F401 - only checking that it is there
    except ImportError:
        pytest.skip(_UVICORN_HINT)
    from typing import cast

    from .sandbox import Sandbox, running

    dispatch = _Dispatch()
    with running(cast(Sandbox, dispatch)) as url:
        yield url, dispatch


@pytest.fixture
def py7d_sandbox_url(py7d_sandbox: Sandbox, _py7d_server: tuple[str, _Dispatch]) -> Iterator[str]:
    """Base URL of a real HTTP server answering with this test's ``py7d_sandbox``."""
    url, dispatch = _py7d_server
    dispatch.use(py7d_sandbox)
    try:
        yield url
    finally:
        dispatch.use(None)


@pytest.fixture
def py7d_environ(
    py7d_sandbox_url: str,
    py7d_credentials: SandboxCredentials,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Point py7D's environment settings at the served sandbox; returns the variables set."""
    env = {
        "PY7D_API_URL": py7d_sandbox_url,
        "PY7D_CONSUMER_KEY": py7d_credentials.consumer_key,
        "PY7D_CONSUMER_SECRET": py7d_credentials.consumer_secret,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
