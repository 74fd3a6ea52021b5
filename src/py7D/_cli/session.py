"""The client a command talks through: configured settings, or the embedded sandbox.

The embedded sandbox (``--sandbox``) keeps its state between commands: accounts,
tokens, baskets, cards, lockers and purchases are saved after each command in
``$XDG_STATE_HOME/py7d/sandbox.pickle`` (``~/.local/state/py7d``), private to the
user (mode 0600), together with the token of ``py7d --sandbox login``.
``py7d sandbox reset`` deletes them. Its generated catalogue is kept, once
built, in ``$XDG_CACHE_HOME/py7d`` (``~/.cache/py7d``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import pickle
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import CliError, ExitCode

if TYPE_CHECKING:
    from .._auth import Token
    from .._client import Client
    from .._config import Settings

__all__ = [
    "SandboxState",
    "Session",
    "load_sandbox",
    "load_stored_token",
    "open_session",
    "reset_sandbox_state",
    "resolve",
    "serve_sandbox",
    "state_dir",
    "token_file",
]

logger = logging.getLogger("py7D.cli")

_STATE_FORMAT = 1


@dataclass
class SandboxState:
    """The embedded sandbox and the token ``py7d --sandbox login`` keeps for it."""

    sandbox: Any
    token: tuple[str, str] | None = None


@dataclass
class Session:
    """A :class:`py7D.Client` plus the embedded sandbox state it talks to, if any."""

    client: Client
    state: SandboxState | None = None
    _user_token: Token | None = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        return self.state is not None

    def user_token(self) -> Token:
        """The access token for 3-legged calls: the stored one, or a sandbox user's."""
        if self._user_token is None:
            if self.state is None:
                self._user_token = load_stored_token(self.client.settings)
            else:
                from .._auth import Token

                if self.state.token is None:
                    fresh = sandbox_login(self)
                    self.state.token = (fresh.key, fresh.secret)
                self._user_token = Token(*self.state.token)
        return self._user_token


def load_sandbox() -> Any:
    """The ``py7D.sandbox`` module, or a configuration error saying how to get it."""
    try:
        from .. import sandbox
    except ImportError as exc:
        raise CliError(
            f"the sandbox is not available ({exc}); install it with: pip install 'py7D[sandbox]'",
            ExitCode.CONFIG,
        ) from None
    return sandbox


# --------------------------------------------------------------------------- state on disk


def state_dir(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """``$XDG_STATE_HOME/py7d``, else ``~/.local/state/py7d``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME")
    root = Path(base) if base else Path(env.get("HOME") or Path.home()) / ".local" / "state"
    return root / "py7d"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/py7d``, else ``~/.cache/py7d``."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path(os.environ.get("HOME") or Path.home()) / ".cache"
    return root / "py7d"


def _state_file() -> Path:
    return state_dir() / "sandbox.pickle"


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One ``py7d --sandbox`` command at a time reads and writes the state."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise CliError(
            f"cannot keep the embedded sandbox's state in {directory} ({exc.strerror or exc}); "
            "set XDG_STATE_HOME to a writable directory",
            ExitCode.CONFIG,
        ) from None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    with open(directory / "sandbox.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load_state(path: Path, module: Any) -> SandboxState:
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)  # noqa: S301 - the user's own private state file
        if saved.get("format") == _STATE_FORMAT and isinstance(saved["sandbox"], module.Sandbox):
            return SandboxState(saved["sandbox"], saved.get("token"))
        reason = "it was written by another version of py7D"
    except FileNotFoundError:
        return SandboxState(module.Sandbox(seeded_locker=True, catalogue_cache=cache_dir()))
    except Exception as exc:  # a damaged or foreign file: start over, and say so
        reason = f"it could not be read ({type(exc).__name__})"
    sys.stderr.write(f"py7d: note: starting a new embedded sandbox: {path} was ignored: {reason}\n")
    return SandboxState(module.Sandbox(seeded_locker=True, catalogue_cache=cache_dir()))


def _save_state(path: Path, state: SandboxState) -> None:
    data = pickle.dumps(
        {"format": _STATE_FORMAT, "sandbox": state.sandbox, "token": state.token},
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


@contextlib.contextmanager
def sandbox_state() -> Iterator[SandboxState]:
    """The embedded sandbox of earlier commands (or a new one); saved when the block ends."""
    module = load_sandbox()
    path = _state_file()
    with _locked(path.parent):
        state = _load_state(path, module)
        state.sandbox.catalogue_cache = cache_dir()
        try:
            yield state
        finally:
            _save_state(path, state)


def reset_sandbox_state() -> int:
    """``py7d sandbox reset``: forget the embedded sandbox's state."""
    path = _state_file()
    with _locked(path.parent):
        try:
            path.unlink()
        except FileNotFoundError:
            sys.stdout.write(f"The embedded sandbox had no saved state ({path}); nothing to do.\n")
            return ExitCode.OK
    sys.stdout.write(f"Reset the embedded sandbox: deleted {path}.\n")
    return ExitCode.OK


# --------------------------------------------------------------------------- sessions


def _retries(options: argparse.Namespace) -> int | None:
    """``--retries``, else ``$PY7D_RETRIES`` (None: the client's default policy)."""
    if getattr(options, "retries", None) is not None:
        return int(options.retries)
    raw = os.environ.get("PY7D_RETRIES")
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise CliError(
            f"PY7D_RETRIES must be a whole number of retries (0 or more), got {raw!r}",
            ExitCode.CONFIG,
        )
    return value


@contextlib.contextmanager
def open_session(options: argparse.Namespace, *, normalize: bool = False) -> Iterator[Session]:
    """The client for the global options (``--sandbox``, ``--profile``...), closed after."""
    from .._client import Client

    retries = _retries(options)
    extra: dict[str, Any] = {} if retries is None else {"retries": retries}
    with contextlib.ExitStack() as stack:
        if getattr(options, "sandbox", False):
            state = stack.enter_context(sandbox_state())
            box = state.sandbox
            client = Client(
                box.consumer_key,
                box.consumer_secret,
                country=options.country,
                base_url=box.base_url,
                timeout=getattr(options, "timeout", None),
                transport=box.transport(),
                profile=options.profile,
                normalize=normalize,
                **extra,
            )
            session = Session(client, state)
        else:
            client = Client(settings=resolve(options), normalize=normalize, **extra)
            session = Session(client)
        settings = client.settings
        logger.debug(
            "settings: api_url=%s (%s), consumer_key=%s (%s), profile=%s%s",
            settings.api_url,
            settings.sources.get("api_url"),
            settings.consumer_key,
            settings.sources.get("consumer_key"),
            settings.profile,
            " [embedded sandbox]" if session.is_sandbox else "",
        )
        with client:
            yield session


def resolve(options: argparse.Namespace) -> Settings:
    """The settings for ``--country``/``--api-url``/``--profile``/``--timeout``, env and file."""
    from .._config import resolve_settings

    return resolve_settings(
        country=options.country,
        api_url=options.api_url,
        profile=options.profile,
        timeout=getattr(options, "timeout", None),
    )


def token_file(settings: Settings) -> Path:
    """Where ``py7d login`` keeps the token of the settings' profile."""
    from .._tokens import default_token_file

    return default_token_file(settings.profile)


def load_stored_token(settings: Settings) -> Token:
    """The token saved by ``py7d login`` for this profile, consumer key and API URL."""
    from .._exceptions import ConfigurationError
    from .._tokens import load_token

    path = token_file(settings)
    if not path.exists():
        raise ConfigurationError(
            f"this is a 3-legged (user) call and no user is logged in for profile "
            f"{settings.profile!r}: run 'py7d login' first (or pass userId=... with a "
            "partner key)"
        )
    return load_token(path, consumer_key=settings.consumer_key, api_url=settings.api_url)


def sandbox_login(session: Session) -> Token:
    """Log the embedded sandbox's first seeded user in (no password prompt: it is local)."""
    from .._oauth_flow import authorise_request_token, exchange_access_token, get_request_token

    module = load_sandbox()
    email, password = module.SEEDED_USERS[0][:2]
    logger.debug("sandbox: logging in the seeded user %s", email)
    request_token = get_request_token(session.client)
    authorise_request_token(session.client, request_token, email, password)
    return exchange_access_token(session.client, request_token)


# --------------------------------------------------------------------------- py7d sandbox


def serve_sandbox(options: argparse.Namespace) -> int:
    """``py7d sandbox [--port N] ...``: serve a sandbox until Ctrl-C."""
    from ..sandbox._server import describe_serve_error, sandbox_from_args, serve_until_stopped
    from .parsers import command_parser

    box = sandbox_from_args(options, command_parser("sandbox"))
    try:
        serve_until_stopped(box, options)
    except (OSError, RuntimeError) as exc:
        code, message = describe_serve_error(exc, options.host, options.port)
        raise CliError(message, code) from None
    return ExitCode.OK
