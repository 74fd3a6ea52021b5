"""What every part of ``py7d`` shares: exit statuses, the two command errors, the parser base
and the logging set-up.

Only the standard library is imported here, so every ``py7d`` module can import
this one (and ``py7D.cli`` imports the ``_cli`` modules, never the other way).
"""

from __future__ import annotations

import argparse
import difflib
import enum
import re
import sys
from typing import NoReturn

__all__ = [
    "CliError",
    "ExitCode",
    "Parser",
    "UsageError",
    "exit_codes_help",
    "exit_codes_markdown",
    "setup_logging",
]


class ExitCode(enum.IntEnum):
    """The exit statuses of ``py7d``; each member's ``help`` is its line of ``py7d --help``."""

    help: str

    def __new__(cls, value: int, help: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.help = help
        return member

    OK = 0, "success"
    INTERNAL = 1, "internal error (a bug: rerun with --debug and report the traceback)"
    USAGE = (
        2,
        (
            "usage error: bad command line, unknown option or parameter, or a value of the wrong "
            "kind (checked before anything is sent)"
        ),
    )
    API = 3, "API error: 7digital answered with an error code (or a rate limit)"
    NETWORK = (
        4,
        (
            "network error: connection refused, DNS, TLS or timeout; or (py7d sandbox) the port "
            "is already in use"
        ),
    )
    CONFIG = 5, "configuration error: key/secret, profile, token or sandbox extra missing"
    AUTH = 6, "authentication error: the OAuth signature or token was refused"
    REPLY = 7, "the reply was not a 7digital XML envelope (e.g. a path the API does not know)"
    INTERRUPTED = 130, "interrupted (Ctrl-C)"
    BROKEN_PIPE = 141, "stdout closed early (e.g. piped into head)"


def exit_codes_help() -> str:
    """The ``exit status:`` section of every ``--help``."""
    lines = ["exit status:"]
    lines += [f"  {code.value:<5}{code.help}" for code in ExitCode]
    return "\n".join(lines)


def exit_codes_markdown() -> str:
    """The same table in Markdown (the documentation's table is checked against it)."""
    lines = ["| status | meaning |", "| --- | --- |"]
    lines += [f"| {code.value} | {code.help} |" for code in ExitCode]
    return "\n".join(lines)


class UsageError(Exception):
    """A bad command line; printed as one line, exit status 2."""


class CliError(Exception):
    """A failure of the command itself (not of py7D) with its exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


_UNRECOGNIZED = re.compile(r"^unrecognized arguments: (.*)$")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become :class:`UsageError` (one line, exit 2).

    An unknown option gets a "did you mean" from the parser's own options.
    """

    def error(self, message: str) -> NoReturn:
        found = _UNRECOGNIZED.match(message)
        if found:
            for word in found.group(1).split():
                near = self.suggest_option(word.partition("=")[0])
                if near:
                    message = f"unknown option {word}; did you mean {near}?"
                    break
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def suggest_option(self, word: str) -> str | None:
        """The option ``word`` is probably a typo of (``--tabel`` -> ``--table``), or None."""
        if not word.startswith("-"):
            return None
        options = [o for o in self._option_string_actions if o.startswith("--")]
        near = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
        return near[0] if near else None


def setup_logging(debug: bool) -> None:
    """Show the "py7D" logger on stderr as ``py7d:`` lines: warnings always, DEBUG with --debug.

    py7D logs method and redacted URL at DEBUG and never headers.
    """
    import logging

    class OneLine(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return f"py7d: {record.levelname.lower()}: {record.getMessage()}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    logger = logging.getLogger("py7D")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
