"""The ``py7d`` command: every 7digital endpoint from the shell, with paging, login and the sandbox.

::

    py7d artist search q=pink pageSize=3          # any endpoint: RESOURCE ACTION key=value ...
    py7d artist search --q pink --page-size 3     # the same, option style
    py7d artist releases artistId=1 --all         # every item of every page, as JSON Lines
    py7d login --username me@example.com          # 3-legged flow; the token is kept (0600)
    py7d --sandbox user locker                    # against an embedded, in-process sandbox

Start-up is kept fast: this module and the parsers import only the standard
library; httpx, oauthlib, xmltodict and the sandbox are imported by the command
that needs them. The shared pieces (exit statuses, errors, the parser base) live
in ``py7D._cli.base``, the parsers in ``py7D._cli.parsers``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ._cli.base import CliError, ExitCode, UsageError, setup_logging
from ._cli.parsers import COMMANDS, command_parser, find_command, main_parser

__all__ = ["COMMANDS", "ExitCode", "console", "main"]


# --------------------------------------------------------------------------- dispatch


def _dispatch(argv: list[str]) -> int:
    at = find_command(argv)
    if at is None:
        from ._cli.call import run_call

        return run_call(argv, main_parser())
    command, after = argv[at], argv[at + 1 :]
    if command == "__complete":
        from ._cli.completion import complete_command

        return complete_command(after)
    options = command_parser(command).parse_args([*argv[:at], *after])
    setup_logging(options.debug)
    from ._cli import commands

    return commands.run(command, options)


def console() -> None:
    """The ``py7d`` command (and ``python -m py7D``): run :func:`main` and exit with its status.

    The command never runs under trio, and httpcore imports trio at start-up when it
    is installed (about a third of a short command's time), so trio is marked as
    absent for this process before anything imports httpcore.
    """
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    sys.exit(main())


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
