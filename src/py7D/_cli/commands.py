"""The parsers and entry points of py7d's own commands (login, whoami, sign...)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from ..cli import COMMANDS, EXIT_CODES_HELP, ExitCode, Parser

__all__ = ["build_parser", "run", "run_sandbox"]

_EXAMPLES: dict[str, str] = {
    "endpoints": """\
examples:
  py7d endpoints                  # the whole table
  py7d endpoints artist           # one resource
  py7d endpoints user/payment     # a path prefix
  py7d endpoints --json | jq '.[] | select(.paged) | .path'""",
    "login": """\
examples:
  py7d login                                  # prints the authorisation URL, waits for Enter
  py7d login --open                           # ... and opens it in a browser
  py7d login --username me@example.com        # partner keys: prompts for the password
  printf '%s\\n' "$PW" | py7d login --username me@example.com --password-stdin
  py7d --profile work login

The access token is saved in <config dir>/tokens/<profile>.json with mode 0600;
3-legged calls (py7d user locker) then use it. The password is never taken
from the command line.""",
    "logout": """\
examples:
  py7d logout
  py7d --profile work logout""",
    "whoami": """\
examples:
  py7d whoami
  py7d --profile work whoami --json
  py7d --sandbox whoami

Shows the consumer key, API URL, country, profile and where each came from,
and whether a token is stored. Secrets are never shown.""",
    "sign": """\
examples:
  py7d sign http://previews.7digital.com/clip/12345
  py7d sign http://previews.7digital.com/clip/12345 country=GB --explain
  py7d sign 'https://stream.svc.7digital.net/stream/locker?trackId=1&formatId=26' --token
  py7d sign 'http://previews.7digital.com/clip/1?oauth_consumer_key=...' --explain

--token alone uses the token stored by 'py7d login'; --token - reads KEY:SECRET
from stdin. --explain on a URL that already carries oauth_signature checks it
against your secret instead of signing again (exit 6 if it does not match).""",
    "sandbox": """\
examples:
  py7d sandbox --port 8000                               # prints URL, key, secret, users
  py7d sandbox --port 0 --user me@example.com:secret-pw  # a free port, one more user
then, in another shell:
  export PY7D_API_URL=http://127.0.0.1:8000/1.2
  export PY7D_CONSUMER_KEY=sandbox-key PY7D_CONSUMER_SECRET=sandbox-secret
  py7d artist search q=pink

Serves until Ctrl-C (exit 0). Needs: pip install 'py7D[sandbox]'.""",
    "completion": """\
examples:
  source <(py7d completion bash)                       # bash, this shell
  py7d completion bash > ~/.local/share/bash-completion/completions/py7d
  py7d completion zsh > "${fpath[1]}/_py7d"            # zsh
  py7d completion fish > ~/.config/fish/completions/py7d.fish""",
}


def _new(name: str, parent: argparse.ArgumentParser) -> Parser:
    return Parser(
        prog=f"py7d {name}",
        description=COMMANDS[name][:1].upper() + COMMANDS[name][1:] + ".",
        epilog=_EXAMPLES.get(name, "") + "\n\n" + EXIT_CODES_HELP,
        parents=[parent],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )


def build_parser(name: str, parent: argparse.ArgumentParser) -> Parser:
    """The parser of command ``name``, with the global options from ``parent``."""
    parser = _new(name, parent)
    if name == "endpoints":
        parser.add_argument("resource", nargs="?", help="a resource or path prefix (artist)")
        parser.add_argument("--json", action="store_true", help="the table as JSON")
    elif name == "login":
        parser.add_argument("--username", metavar="EMAIL", help="authorise with the password")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        parser.add_argument(
            "--open", action="store_true", help="open the authorisation URL in a browser"
        )
        parser.add_argument("--callback", metavar="URL", help="oauth_callback for the URL")
    elif name == "whoami":
        parser.add_argument("--json", action="store_true", help="the same as JSON")
    elif name == "sign":
        parser.add_argument("url", help="the media URL (preview clip, stream)")
        parser.add_argument("params", nargs="*", metavar="key=value", help="extra parameters")
        parser.add_argument(
            "--token",
            nargs="?",
            const="stored",
            metavar="KEY:SECRET|-",
            help="3-legged: the stored token (no value), '-' for KEY:SECRET on stdin",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="show the base string and each normalisation step (secrets masked)",
        )
    elif name == "completion":
        parser.add_argument("shell", choices=("bash", "zsh", "fish"))
    return parser


def _endpoints(options: argparse.Namespace) -> int:
    from .help import list_endpoints

    list_endpoints(options.resource, options.json, sys.stdout)
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


_RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "endpoints": _endpoints,
    "completion": _completion,
    "login": _account("login"),
    "logout": _account("logout"),
    "whoami": _account("whoami"),
    "sign": _sign,
}


def run(name: str, options: argparse.Namespace) -> int:
    """Run command ``name`` with its parsed options."""
    return _RUNNERS[name](options)


def run_sandbox(argv: Sequence[str]) -> int:
    """``py7d sandbox ...``: hand the rest of the command line to ``py7D.sandbox.main``."""
    from .session import load_sandbox

    module = load_sandbox()
    if "-h" in argv or "--help" in argv:
        # The sandbox's own parser prints its options; the examples are ours.
        with contextlib.suppress(SystemExit):
            module.main(["--help"])
        sys.stdout.write("\n" + _EXAMPLES["sandbox"] + "\n\n" + EXIT_CODES_HELP + "\n")
        return ExitCode.OK
    status = module.main(list(argv))
    return int(status or 0)
