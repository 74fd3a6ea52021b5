"""The ``py7d`` command: call any endpoint from the shell, or serve the sandbox.

py7d artist search q=pink pageSize=3
py7d --sandbox artist search q=pink pageSize=3     # against an embedded sandbox
py7d sandbox --port 8000                           # serve the sandbox
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK, EXIT_USAGE, EXIT_API, EXIT_NETWORK, EXIT_CONFIG = 0, 2, 3, 4, 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="py7d",
        description="Call the 7digital API 1.2 and print the reply as JSON.",
        epilog="examples:\n  py7d --sandbox artist search q=pink pageSize=3\n"
        "  py7d artist details artistId=263\n  py7d tag\n  py7d sandbox --port 8000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sandbox", action="store_true", help="call an embedded sandbox")
    parser.add_argument("--headers", action="store_true", help="include the HTTP headers")
    parser.add_argument("resource", help="e.g. artist, release, track, tag")
    parser.add_argument("action", nargs="?", help="e.g. search, details, bytag/top")
    parser.add_argument("params", nargs="*", metavar="key=value", help="API parameters")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["sandbox"]:
        from .sandbox import main as sandbox_main

        return sandbox_main(args_list[1:])
    args = _parser().parse_args(args_list)
    params: dict[str, Any] = {}
    action = args.action
    rest = list(args.params)
    if action is not None and "=" in action:
        rest.insert(0, action)
        action = None
    for item in rest:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"py7d: expected key=value, got {item!r}", file=sys.stderr)
            return EXIT_USAGE
        params[key] = value

    from . import Client
    from ._exceptions import (
        APIClientException,
        APIServiceException,
        ConfigurationError,
        OAuthError,
        Py7DError,
        TransportError,
    )

    try:
        if args.sandbox:
            from .sandbox import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, Sandbox

            box = Sandbox()
            client = Client(
                DEFAULT_CONSUMER_KEY,
                DEFAULT_CONSUMER_SECRET,
                base_url=box.base_url,
                transport=box.transport(),
            )
        else:
            client = Client()
        with client:
            result = client.request(args.resource, action, **params)
    except ConfigurationError as exc:
        print(f"py7d: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except APIClientException as exc:
        print(f"py7d: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (APIServiceException, OAuthError) as exc:
        print(f"py7d: {exc}", file=sys.stderr)
        return EXIT_API
    except TransportError as exc:
        print(f"py7d: {exc}", file=sys.stderr)
        return EXIT_NETWORK
    except Py7DError as exc:
        print(f"py7d: {exc}", file=sys.stderr)
        return EXIT_API
    out: Any = dict(result) if args.headers else {"response": result["response"]}
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return EXIT_OK
