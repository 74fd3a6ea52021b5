"""``py7d login``, ``logout`` and ``whoami``: the user's access token and the settings in use."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import CliError, ExitCode, UsageError
from .session import (
    Session,
    load_sandbox,
    load_stored_token,
    open_session,
    resolve,
    sandbox_state,
    state_dir,
    token_file,
)

if TYPE_CHECKING:
    from .._auth import Token
    from .._config import Settings

__all__ = ["login", "logout", "read_password", "whoami"]


# --------------------------------------------------------------------------- login


def read_password(username: str, from_stdin: bool) -> str:
    """The password from stdin's first line (``--password-stdin``) or a no-echo prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--password-stdin: stdin is empty; pipe the password in")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password on; pipe it in with --password-stdin")
    import getpass

    return getpass.getpass(f"7digital password for {username}: ")


def _approve_in_browser(
    session: Session, request_token: Token, options: argparse.Namespace
) -> None:
    from .._oauth_flow import authorize_url

    url = authorize_url(session.client, request_token, callback=options.callback)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    if options.open:
        import webbrowser

        webbrowser.open(url)
    sys.stderr.write("Open the URL above, log in and approve access, then press Enter here.\n")
    sys.stderr.flush()
    if not sys.stdin.readline():
        raise UsageError(
            "no input: stdin ended before Enter was pressed, so the login was not finished; "
            "run 'py7d login' in a terminal (partner keys: --username EMAIL --password-stdin)"
        )


def _credentials(session: Session, options: argparse.Namespace) -> tuple[str | None, str | None]:
    if options.password_stdin and not options.username:
        raise UsageError("--password-stdin needs --username EMAIL")
    if options.username:
        return options.username, read_password(options.username, options.password_stdin)
    if session.is_sandbox:
        email, password = load_sandbox().SEEDED_USERS[0][:2]
        return str(email), str(password)
    return None, None


def _authorise(session: Session, request_token: Token, options: argparse.Namespace) -> str | None:
    """Step 2: with the password (partner keys, the sandbox) or in a browser; returns the user."""
    from .._exceptions import OAuthError
    from .._oauth_flow import authorise_request_token

    username, password = _credentials(session, options)
    if username is None or password is None:
        _approve_in_browser(session, request_token, options)
        return None
    try:
        authorise_request_token(session.client, request_token, username, password)
    except OAuthError as exc:
        raise CliError(
            f"login failed: {exc}; check the e-mail address and password "
            "(partner keys only: others log in with 'py7d login' and a browser)",
            ExitCode.AUTH,
        ) from exc
    return username


def _exchange(session: Session, request_token: Token) -> Token:
    """Step 3, with a hint for the usual cause of a refusal (Enter before approving)."""
    from .._exceptions import OAuthError
    from .._oauth_flow import exchange_access_token

    try:
        return exchange_access_token(session.client, request_token)
    except OAuthError as exc:
        raise CliError(
            f"login failed: {exc}; approve access on the authorisation page before pressing "
            "Enter, then run 'py7d login' again",
            ExitCode.AUTH,
        ) from exc


def login(options: argparse.Namespace) -> int:
    """Request token -> authorisation (password or browser) -> access token -> token file."""
    from .._oauth_flow import get_request_token
    from .._tokens import save_token

    with open_session(options) as session:
        client = session.client
        request_token = get_request_token(client)
        username = _authorise(session, request_token, options)
        access = _exchange(session, request_token)
        who = f" as {username}" if username else ""
        if session.state is not None:
            session.state.token = (access.key, access.secret)
            sys.stdout.write(
                f"Logged in{who} to the embedded sandbox; its token is kept with the sandbox's "
                f"state in {state_dir()} ('py7d --sandbox logout' forgets it).\n"
            )
            return 0
        path = save_token(
            access,
            token_file(client.settings),
            consumer_key=client.settings.consumer_key,
            api_url=client.settings.api_url,
        )
    sys.stdout.write(f"Logged in{who}; the access token is saved in {path} (mode 0600).\n")
    return 0


# --------------------------------------------------------------------------- logout


def logout(options: argparse.Namespace) -> int:
    """Delete the profile's token file."""
    if options.sandbox:
        with sandbox_state() as state:
            had, state.token = state.token is not None, None
        sys.stdout.write(
            "Logged out of the embedded sandbox.\n"
            if had
            else "Not logged in to the embedded sandbox; nothing to do.\n"
        )
        return 0
    path = token_file(resolve(options))
    try:
        path.unlink()
    except FileNotFoundError:
        sys.stdout.write(f"Not logged in (no token at {path}).\n")
        return 0
    sys.stdout.write(f"Logged out: deleted {path}.\n")
    return 0


# --------------------------------------------------------------------------- whoami


# setting -> the py7d option that sets it ("argument" in Settings.sources), and whether
# --sandbox supplies it
_OPTIONS: dict[str, tuple[str, bool]] = {
    "api_url": ("--api-url", True),
    "consumer_key": ("--sandbox", True),
    "consumer_secret": ("--sandbox", True),
    "country": ("--country", False),
    "timeout": ("--timeout", False),
}


def _source(settings: Settings, name: str, sandbox: bool) -> str:
    """Where setting ``name`` came from, in command-line terms."""
    option, from_sandbox = _OPTIONS[name]
    if sandbox and from_sandbox:
        return "--sandbox (embedded)"
    raw = settings.sources.get(name)
    return option if raw == "argument" else raw or "default"


def _profile_source(options: argparse.Namespace) -> str:
    if options.profile:
        return "--profile"
    return "$PY7D_PROFILE" if os.environ.get("PY7D_PROFILE") else "default"


def _token_state(settings: Settings, sandbox: bool) -> dict[str, Any]:
    from .._exceptions import ConfigurationError

    if sandbox:
        return {
            "stored": False,
            "note": "kept with the embedded sandbox's state; 3-legged calls log in its "
            "seeded user if 'py7d --sandbox login' was not run",
        }
    path = token_file(settings)
    state: dict[str, Any] = {"stored": path.exists(), "path": str(path)}
    if not path.exists():
        state["note"] = "run 'py7d login'"
        return state
    try:
        load_stored_token(settings)
        state["usable"] = True
    except ConfigurationError as exc:
        state["usable"] = False
        state["note"] = exc.message
    state["saved_at"] = _saved_at(path)
    return state


def _saved_at(path: Path) -> str | None:
    try:
        stamp = json.loads(path.read_text(encoding="utf-8")).get("saved_at")
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(stamp)))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def describe_settings(s: Settings, options: argparse.Namespace) -> dict[str, Any]:
    """Each setting, its value and its source; the secret only as set/not set."""
    values: dict[str, Any] = {
        "api_url": s.api_url,
        "consumer_key": s.consumer_key,
        "consumer_secret": "set (hidden)" if s.consumer_secret else None,
        "country": s.country,
        "timeout": s.timeout,
    }
    config = s.config_file
    info: dict[str, Any] = {"profile": {"value": s.profile, "source": _profile_source(options)}}
    for name, value in values.items():
        info[name] = {"value": value, "source": _source(s, name, options.sandbox)}
    info["config_file"] = {
        "value": str(config) if config else None,
        "source": "exists" if config and config.exists() else "not found",
    }
    info["token"] = _token_state(s, options.sandbox)
    return info


def _token_line(token: dict[str, Any]) -> str:
    if not token.get("stored"):
        return f"none ({token.get('note', '')})"
    saved = f", saved {token['saved_at']}" if token.get("saved_at") else ""
    if token.get("usable"):
        return f"stored in {token['path']}{saved}"
    return f"stored in {token['path']} but not usable here: {token.get('note')}"


def whoami(options: argparse.Namespace) -> int:
    """Print the settings in use and where each came from (never a secret)."""
    if options.sandbox:  # the embedded sandbox's own key, secret and URL
        with open_session(options) as session:
            settings = session.client.settings
    else:  # no client: whoami stays quick and works offline
        settings = resolve(options)
    info = describe_settings(settings, options)
    if options.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return 0
    rows = [
        (name.replace("_", " "), "not set" if v["value"] is None else str(v["value"]), v["source"])
        for name, v in info.items()
        if name != "token"
    ]
    width = max(len(r[0]) for r in rows) + 2
    value_width = min(max(len(r[1]) for r in rows), 60) + 2
    for name, value, source in rows:
        sys.stdout.write(f"{name:<{width}}{value:<{value_width}}({source})\n")
    sys.stdout.write(f"{'token':<{width}}{_token_line(info['token'])}\n")
    return 0
