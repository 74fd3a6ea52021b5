"""The argparse parsers of ``py7d``: global options, call options, and each command's.

Help, dispatch and shell completion all read these parsers, so an option is
declared once, here (or, for ``py7d sandbox``, by the sandbox server).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .base import Parser, exit_codes_help

__all__ = [
    "COMMANDS",
    "HIDDEN_COMMANDS",
    "command_parser",
    "find_command",
    "global_valued",
    "main_parser",
]

COMMANDS: dict[str, str] = {
    "endpoints": "list the endpoint table (verb, auth, parameters)",
    "help": "show help: of py7d, of a command, or of an endpoint (no network)",
    "login": "run the 3-legged OAuth flow and keep the user's access token",
    "logout": "delete the stored access token",
    "whoami": "show the settings in use, where each came from, and the token state",
    "sign": "print a signed media URL (preview, stream); --explain shows the steps",
    "sandbox": "serve the local 7digital sandbox on a port; 'sandbox reset' clears --sandbox state",
    "download": "download the user's locker to files (resumable; a manifest skips what is there)",
    "completion": "print a bash, zsh or fish completion script",
}
HIDDEN_COMMANDS = ("__complete",)

MAIN_DESCRIPTION = """\
Call any endpoint of the 7digital API 1.2 and print the reply as JSON.

  py7d RESOURCE [ACTION] [key=value ...] [--name value ...] [options]
  py7d COMMAND [options]

RESOURCE and ACTION name an endpoint ('py7d endpoints' lists them all);
parameters go as key=value or as --kebab-case options (--page-size 3 is
pageSize=3). Calls are checked against the endpoint table before they are
sent: names, required parameters, and values by kind (ids and numbers, dates,
true/false, enumerations). Endpoints that must be signed are signed
automatically; 3-legged (user) endpoints use the token stored by 'py7d login'.
A path the table does not know is sent as asked (unsigned unless --auth says
otherwise), unless it looks like a typo of a known one (then --no-validate
sends it anyway).

Output: indented JSON on a terminal, compact JSON when piped; --xml, --table
or --csv instead.

commands:
{commands}"""

MAIN_EXAMPLES = """\
examples:
  py7d artist search q=pink pageSize=3
  py7d artist search --q pink --page-size 3 --table
  py7d artist details artistId=1 --xml --headers
  py7d tag
  py7d artist releases artistId=1 --all --limit 50 > releases.jsonl
  py7d user locker --all --concurrency 4 > locker.jsonl
  py7d user locker --all --csv > locker.csv
  py7d endpoints artist
  py7d login --username me@example.com      # prompts for the password
  py7d user locker --table
  py7d sign http://previews.7digital.com/clip/12345 --explain
  py7d --sandbox artist search q=pink       # embedded sandbox, no account needed
  py7d sandbox --port 8000                  # serve the sandbox for other programs

settings come from --profile/--country/--api-url/--timeout/--retries, then
PY7D_CONSUMER_KEY, PY7D_CONSUMER_SECRET, PY7D_COUNTRY, PY7D_API_URL,
PY7D_PROFILE, PY7D_TIMEOUT, PY7D_RETRIES, PY7D_CONFIG, then
~/.config/py7d/config.toml ('py7d whoami' shows which one won).
--sandbox keeps its state (baskets, login, purchases) between commands in
$XDG_STATE_HOME/py7d (~/.local/state/py7d); 'py7d sandbox reset' starts over.
"""

_EXAMPLES: dict[str, str] = {
    "endpoints": """\
examples:
  py7d endpoints                  # the whole table
  py7d endpoints artist           # one resource
  py7d endpoints user/payment     # a path prefix
  py7d endpoints --json | jq '.[] | select(.paged) | .path'""",
    "help": """\
examples:
  py7d help                       # this program's help
  py7d help login                 # a command's
  py7d help artist search         # an endpoint's parameters, from the table""",
    "login": """\
examples:
  py7d login                                  # prints the authorisation URL, waits for Enter
  py7d login --open                           # ... and opens it in a browser
  py7d login --username me@example.com        # partner keys: prompts for the password
  printf '%s\\n' "$PW" | py7d login --username me@example.com --password-stdin
  py7d --profile work login
  py7d --sandbox login                        # the embedded sandbox's user alice

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
  py7d sandbox --port 8000 --user-management             # a partner key: userId= calls
  py7d sandbox reset                  # forget what 'py7d --sandbox ...' commands did
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


# --------------------------------------------------------------------------- option groups


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _global_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="use an embedded sandbox (no network; its state is kept between commands)",
    )
    group.add_argument("--profile", metavar="NAME", help="config-file profile (default: default)")
    group.add_argument("--country", metavar="CC", help="country/shop code, e.g. GB, US, DE")
    group.add_argument(
        "--api-url", metavar="URL", help="API base URL including /1.2 (default: 7digital's)"
    )
    group.add_argument(
        "--timeout",
        type=_non_negative_float,
        metavar="S",
        help="seconds to wait for a connection or a reply (default: $PY7D_TIMEOUT or 30)",
    )
    group.add_argument(
        "--retries",
        type=_count,
        metavar="N",
        help="retries of a failed read (default: $PY7D_RETRIES or 3; 0: none)",
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
    from .output import add_format_options

    out = parser.add_argument_group("output options (API calls)")
    add_format_options(out)
    out.add_argument("--headers", action="store_true", help="include the HTTP status and headers")
    out.add_argument("--normalize", action="store_true", help="make every repeating element a list")
    layout = out.add_mutually_exclusive_group()
    layout.add_argument("--pretty", action="store_true", help="indented JSON even when piped")
    layout.add_argument("--compact", action="store_true", help="one-line JSON even on a terminal")
    paging = parser.add_argument_group("paging")
    paging.add_argument(
        "--all",
        action="store_true",
        help="walk every page; one JSON object per item (JSON Lines), or --table/--csv rows",
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


# --------------------------------------------------------------------------- parsers


def main_parser() -> Parser:
    """The top-level parser: global options, call options and the command list (for help)."""
    width = max(len(name) for name in COMMANDS) + 2
    listing = "\n".join(f"  {name:<{width}}{text}" for name, text in COMMANDS.items())
    parser = Parser(
        prog="py7d",
        usage="py7d [options] RESOURCE [ACTION] [key=value ...]\n       py7d [options] COMMAND ...",
        description=MAIN_DESCRIPTION.format(commands=listing),
        epilog=MAIN_EXAMPLES + "\n" + exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"py7d (py7D) {__version__}")
    _global_options(parser)
    _call_options(parser)
    return parser


def global_valued() -> frozenset[str]:
    """The global options that take a value (to find the command word before parsing)."""
    return frozenset(
        option
        for action in _global_parent()._actions
        if action.nargs != 0
        for option in action.option_strings
    )


def find_command(argv: Sequence[str]) -> int | None:
    """The index of the command word (``login``...), skipping global options before it."""
    valued = global_valued()
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if word.startswith("-"):
            i += 2 if word in valued else 1
            continue
        return i if word in COMMANDS or word in HIDDEN_COMMANDS else None
    return None


def command_parser(name: str) -> Parser:
    """The parser of command ``name`` (``py7d login --help``), global options included."""
    parser = Parser(
        prog=f"py7d {name}",
        description=COMMANDS[name][:1].upper() + COMMANDS[name][1:] + ".",
        epilog=_EXAMPLES.get(name, "") + "\n\n" + exit_codes_help(),
        parents=[_global_parent()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    if name == "endpoints":
        parser.add_argument("resource", nargs="?", help="a resource or path prefix (artist)")
        parser.add_argument("--json", action="store_true", help="the table as JSON")
    elif name == "help":
        parser.add_argument(
            "topic", nargs="*", help="a command (login) or an endpoint (artist search)"
        )
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
    elif name == "sandbox":
        parser.add_argument(
            "what",
            nargs="?",
            choices=("serve", "reset"),
            default="serve",
            help="serve (the default) on --port, or reset: forget the state that "
            "'py7d --sandbox ...' commands keep",
        )
        from .session import load_sandbox

        load_sandbox()  # a clear error if the sandbox cannot be imported
        from ..sandbox._server import add_arguments

        add_arguments(parser)
    elif name == "completion":
        parser.add_argument("shell", choices=("bash", "zsh", "fish"))
    elif name == "download":
        from .download import EXAMPLES, add_arguments

        add_arguments(parser)
        parser.epilog = EXAMPLES + "\n\n" + exit_codes_help()
    return parser
