"""The entry points of py7d's own commands (endpoints, help, login, whoami, sign, sandbox...)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .base import ExitCode, UsageError

__all__ = ["run"]


def _endpoints(options: argparse.Namespace) -> int:
    from .help import list_endpoints

    list_endpoints(options.resource, options.json, sys.stdout)
    return ExitCode.OK


def _help(options: argparse.Namespace) -> int:
    """``py7d help [COMMAND | RESOURCE [ACTION]]``: printed from the parsers and the table."""
    from .parsers import COMMANDS, command_parser, main_parser

    topic = list(options.topic)
    if not topic:
        text = main_parser().format_help()
    elif topic[0] in COMMANDS:
        if len(topic) > 1:
            raise UsageError(f"'py7d help {topic[0]}' takes nothing more, got {topic[1:]}")
        text = command_parser(topic[0]).format_help()
    else:
        from .help import endpoint_help

        text = endpoint_help(topic)
    sys.stdout.write(text)
    return ExitCode.OK


def _completion(options: argparse.Namespace) -> int:
    from .completion import script

    sys.stdout.write(script(options.shell))
    return ExitCode.OK


def _account(name: str) -> Callable[[argparse.Namespace], int]:
    def runner(options: argparse.Namespace) -> int:
        from . import account

        handler: Callable[[argparse.Namespace], int] = getattr(account, name)
        return handler(options)

    return runner


def _sign(options: argparse.Namespace) -> int:
    from .signing import run_sign

    return run_sign(options)


def _sandbox(options: argparse.Namespace) -> int:
    from .session import reset_sandbox_state, serve_sandbox

    if options.what == "reset":
        return reset_sandbox_state()
    return serve_sandbox(options)


def _download(options: argparse.Namespace) -> int:
    from .download import run_download

    return run_download(options)


_RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "endpoints": _endpoints,
    "help": _help,
    "completion": _completion,
    "login": _account("login"),
    "logout": _account("logout"),
    "whoami": _account("whoami"),
    "sign": _sign,
    "sandbox": _sandbox,
    "download": _download,
}


def run(name: str, options: argparse.Namespace) -> int:
    """Run command ``name`` with its parsed options."""
    return _RUNNERS[name](options)
