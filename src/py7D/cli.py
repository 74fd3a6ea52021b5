"""The ``py7d`` command: every 7digital endpoint from the shell, with paging, login and the sandbox.

::

    py7d artist search q=pink pageSize=3          # any endpoint: RESOURCE ACTION key=value ...
    py7d artist search --q pink --page-size 3     # the same, option style
    py7d artist releases artistId=1 --all         # every item of every page, as JSON Lines
    py7d login --username me@example.com          # 3-legged flow; the token is kept (0600)
    py7d --sandbox user locker                    # against an embedded, in-process sandbox

Start-up is kept fast: this module imports only the standard library's
``argparse`` and ``os``/``sys``; httpx, oauthlib, xmltodict and the sandbox are
imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["COMMANDS", "ExitCode", "main"]


class ExitCode:
    """The exit statuses of ``py7d`` (also listed at the end of ``py7d --help``)."""

    OK = 0
    INTERNAL = 1  # a bug in py7d: rerun with --debug and report the traceback
    USAGE = 2  # bad command line, unknown option, bad key=value, invalid parameter
    API = 3  # 7digital answered <response status="error"> (or refused for rate limit)
    NETWORK = 4  # connection refused, DNS, TLS, timeout
    CONFIG = 5  # consumer key/secret, profile, token file or sandbox extra missing
    AUTH = 6  # 7digital refused the OAuth signature or token; a signature did not verify
    REPLY = 7  # the reply was not a 7digital XML envelope
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader of stdout went away (py7d ... | head)


EXIT_CODES_HELP = """\
exit status:
  0    success
  1    internal error (a bug: rerun with --debug and report the traceback)
  2    usage error: bad command line, unknown option or parameter
  3    API error: 7digital answered with an error code (or a rate limit)
  4    network error: connection refused, DNS, TLS or timeout
  5    configuration error: key/secret, profile, token or sandbox extra missing
  6    authentication error: the OAuth signature or token was refused
  7    the reply was not a 7digital XML envelope
  130  interrupted (Ctrl-C)
  141  stdout closed early (e.g. piped into head)"""

COMMANDS: dict[str, str] = {
    "endpoints": "list the endpoint table (verb, auth, parameters)",
    "login": "run the 3-legged OAuth flow and keep the user's access token",
    "logout": "delete the stored access token",
    "whoami": "show the settings in use, where each came from, and the token state",
    "sign": "print a signed media URL (preview, stream); --explain shows the steps",
    "sandbox": "serve the local 7digital sandbox on a port",
    "completion": "print a bash, zsh or fish completion script",
}
HIDDEN_COMMANDS = ("__complete",)

# Global options that take a value (needed to find the command word before parsing).
GLOBAL_VALUED = ("--profile", "--country", "--api-url")

MAIN_DESCRIPTION = """\
Call any endpoint of the 7digital API 1.2 and print the reply as JSON.

  py7d RESOURCE [ACTION] [key=value ...] [--name value ...] [options]
  py7d COMMAND [options]

RESOURCE and ACTION name an endpoint ('py7d endpoints' lists them all);
parameters go as key=value or as --kebab-case options (--page-size 3 is
pageSize=3). Calls are checked against the endpoint table before they are
sent. Endpoints that must be signed are signed automatically; 3-legged (user)
endpoints use the token stored by 'py7d login'. A path the table does not know
is sent as asked (unsigned unless --auth says otherwise), unless it looks like
a typo of a known one (then --no-validate sends it anyway).

Output: indented JSON on a terminal, compact JSON when piped.

commands:
{commands}"""

MAIN_EPILOG = (
    """\
examples:
  py7d artist search q=pink pageSize=3
  py7d artist search --q pink --page-size 3 --table
  py7d artist details artistId=1 --xml --headers
  py7d tag
  py7d artist releases artistId=1 --all --limit 50 > releases.jsonl
  py7d user locker --all --concurrency 4 > locker.jsonl
  py7d endpoints artist
  py7d login --username me@example.com      # prompts for the password
  py7d user locker --table
  py7d sign http://previews.7digital.com/clip/12345 --explain
  py7d --sandbox artist search q=pink       # embedded sandbox, no account needed
  py7d sandbox --port 8000                  # serve the sandbox for other programs

settings come from --profile/--country/--api-url, then PY7D_CONSUMER_KEY,
PY7D_CONSUMER_SECRET, PY7D_COUNTRY, PY7D_API_URL, PY7D_PROFILE, PY7D_CONFIG,
then ~/.config/py7d/config.toml ('py7d whoami' shows which one won).

"""
    + EXIT_CODES_HELP
)


class UsageError(Exception):
    """A bad command line; printed as one line, exit status 2."""


class CliError(Exception):
    """A failure of the command itself (not of py7D) with its exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become :class:`UsageError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- parsers


def _global_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--sandbox", action="store_true", help="use an embedded in-process sandbox (no network)"
    )
    group.add_argument("--profile", metavar="NAME", help="config-file profile (default: default)")
    group.add_argument("--country", metavar="CC", help="country/shop code, e.g. GB, US, DE")
    group.add_argument(
        "--api-url", metavar="URL", help="API base URL including /1.2 (default: 7digital's)"
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help="log requests (secrets redacted) and show tracebacks, on stderr",
    )


def _global_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    _global_options(parent)
    return parent


def _call_options(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("output options (API calls)")
    fmt = out.add_mutually_exclusive_group()
    fmt.add_argument("--xml", action="store_true", help="print the raw XML reply")
    fmt.add_argument(
        "--table", action="store_true", help="a readable table of the items (or fields)"
    )
    out.add_argument("--headers", action="store_true", help="include the HTTP status and headers")
    out.add_argument("--normalize", action="store_true", help="make every repeating element a list")
    layout = out.add_mutually_exclusive_group()
    layout.add_argument("--pretty", action="store_true", help="indented JSON even when piped")
    layout.add_argument("--compact", action="store_true", help="one-line JSON even on a terminal")
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--all",
        action="store_true",
        help="walk every page; one JSON object per item (JSON Lines)",
    )
    paging.add_argument(
        "--limit", type=_positive_int, metavar="N", help="stop after N items (implies --all)"
    )
    paging.add_argument(
        "--concurrency",
        type=_positive_int,
        metavar="N",
        help="pages fetched at once (--all; default 8, 1: one after another)",
    )
    paging.add_argument(
        "--no-progress", action="store_true", help="no progress bar on stderr (--all)"
    )
    request = parser.add_argument_group("request options")
    request.add_argument(
        "--auth",
        choices=("none", "2-legged", "3-legged"),
        help="sign differently from the table (free-form paths)",
    )
    request.add_argument(
        "--method",
        type=str.upper,
        choices=("GET", "POST", "PUT", "DELETE"),
        help="HTTP verb (default: the table's, else GET)",
    )
    request.add_argument(
        "--no-validate",
        action="store_true",
        help="send a path the table does not know even if it looks like a typo",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def main_parser() -> Parser:
    """The top-level parser: global options, call options and the command list (for help)."""
    width = max(len(name) for name in COMMANDS) + 2
    listing = "\n".join(f"  {name:<{width}}{text}" for name, text in COMMANDS.items())
    parser = Parser(
        prog="py7d",
        usage="py7d [options] RESOURCE [ACTION] [key=value ...]\n       py7d [options] COMMAND ...",
        description=MAIN_DESCRIPTION.format(commands=listing),
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"py7d (py7D) {__version__}")
    _global_options(parser)
    _call_options(parser)
    return parser


def command_parser(name: str) -> Parser:
    """The parser of one command (``py7d login --help``)."""
    from ._cli import commands

    return commands.build_parser(name, _global_parent())


# --------------------------------------------------------------------------- dispatch


def find_command(argv: Sequence[str]) -> int | None:
    """The index of the command word (``login``...), skipping global options before it."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if word.startswith("-"):
            i += 2 if word in GLOBAL_VALUED else 1
            continue
        return i if word in COMMANDS or word in HIDDEN_COMMANDS else None
    return None


def _dispatch(argv: list[str]) -> int:
    at = find_command(argv)
    if at is None:
        from ._cli.call import run_call

        return run_call(argv, main_parser())
    command, after = argv[at], argv[at + 1 :]
    if command == "__complete":
        from ._cli.completion import complete_command

        return complete_command(after)
    if command == "sandbox":
        from ._cli.commands import run_sandbox

        return run_sandbox(after)
    options = command_parser(command).parse_args([*argv[:at], *after])
    setup_logging(options.debug)
    from ._cli import commands

    return commands.run(command, options)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``py7d`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args[: args.index("--")] if "--" in args else "--debug" in args
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        _clear_line()
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except UsageError as exc:
        return _fail(str(exc), ExitCode.USAGE)
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except Exception as exc:
        from ._cli.errors import describe

        known = describe(exc)
        if known is None:
            if debug:
                raise
            message = f"internal error: {type(exc).__name__}: {exc} (rerun with --debug, report it)"
            return _fail(message, ExitCode.INTERNAL)
        if debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        return _fail(known[1], known[0])


def _fail(message: str, code: int) -> int:
    text = " ".join(message.split())
    try:
        sys.stderr.write(f"py7d: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return code


def _clear_line() -> None:
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    # Python would report the broken pipe again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
