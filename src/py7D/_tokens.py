"""Saving and loading access tokens: explicit, JSON, 0600, atomic. Never pickle.

A token file holds ``{"key": ..., "secret": ..., "consumer_key": ..., "api_url": ...,
"saved_at": ...}``; the consumer and API URL say which application and server
the token belongs to, so a sandbox token is not sent to the real API.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._auth import Token
from ._config import config_dir
from ._exceptions import ConfigurationError

__all__ = ["default_token_file", "load_token", "save_token"]


def default_token_file(profile: str = "default", environ: Mapping[str, str] | None = None) -> Path:
    """Where ``py7d login`` keeps the token of ``profile``: ``<config>/tokens/<profile>.json``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in profile) or "default"
    return config_dir(environ) / "tokens" / f"{safe}.json"


def save_token(
    token: Token,
    path: str | os.PathLike[str],
    *,
    consumer_key: str | None = None,
    api_url: str | None = None,
) -> Path:
    """Write ``token`` to ``path`` atomically with mode 0600 (the directory gets 0700)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    record: dict[str, Any] = {
        "key": token.key,
        "secret": token.secret,
        "consumer_key": consumer_key,
        "api_url": api_url,
        "saved_at": int(time.time()),
    }
    fd, tmp = tempfile.mkstemp(prefix=".token-", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_token(
    path: str | os.PathLike[str],
    *,
    consumer_key: str | None = None,
    api_url: str | None = None,
) -> Token:
    """Read a token saved by :func:`save_token`.

    When ``consumer_key``/``api_url`` are given and the file names others, a
    :class:`ConfigurationError` says so instead of sending the token elsewhere.
    """
    source = Path(path)
    try:
        record = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"no token file at {source}; log in first (py7d login) or save one with "
            "py7D.save_token(token, path)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the token file {source}: {exc}") from None
    if not isinstance(record, dict) or not isinstance(record.get("key"), str):
        raise ConfigurationError(f"{source} is not a py7D token file")
    secret = record.get("secret")
    if not isinstance(secret, str):
        raise ConfigurationError(f"{source} is not a py7D token file (no secret)")
    for name, expected in (("consumer_key", consumer_key), ("api_url", api_url)):
        saved = record.get(name)
        if expected is not None and saved is not None and saved != expected:
            raise ConfigurationError(
                f"the token in {source} was issued for {name} {saved!r}, not {expected!r}; "
                "log in again for this one"
            )
    return Token(record["key"], secret)
