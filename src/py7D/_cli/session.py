"""The client a command talks through: configured settings, or an embedded sandbox."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cli import CliError, ExitCode

if TYPE_CHECKING:
    from .._auth import Token
    from .._client import Client
    from .._config import Settings

__all__ = [
    "Session",
    "load_sandbox",
    "load_stored_token",
    "open_session",
    "resolve",
    "token_file",
]

logger = logging.getLogger("py7D.cli")


@dataclass
class Session:
    """A :class:`py7D.Client` plus the embedded sandbox it talks to, if any."""

    client: Client
    sandbox: Any | None = None
    _user_token: Token | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    def user_token(self) -> Token:
        """The access token for 3-legged calls: the stored one, or a sandbox user's."""
        if self._user_token is None:
            self._user_token = (
                sandbox_login(self) if self.is_sandbox else load_stored_token(self.client.settings)
            )
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


@contextmanager
def open_session(options: argparse.Namespace, *, normalize: bool = False) -> Iterator[Session]:
    """The client for the global options (``--sandbox``, ``--profile``...), closed after."""
    from .._client import Client

    if getattr(options, "sandbox", False):
        module = load_sandbox()
        box = module.Sandbox(seeded_locker=True)  # alice owns a few releases to download
        client = Client(
            # documented attributes; the first sandbox cut only has the module defaults
            getattr(box, "consumer_key", module.DEFAULT_CONSUMER_KEY),
            getattr(box, "consumer_secret", module.DEFAULT_CONSUMER_SECRET),
            country=options.country,
            base_url=box.base_url,
            transport=box.transport(),
            profile=options.profile,
            normalize=normalize,
        )
        session = Session(client, box)
    else:
        client = Client(settings=resolve(options), normalize=normalize)
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
    """The settings for ``--country``/``--api-url``/``--profile``, the environment and file."""
    from .._config import resolve_settings

    return resolve_settings(
        country=options.country, api_url=options.api_url, profile=options.profile
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
