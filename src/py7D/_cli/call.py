"""``py7d RESOURCE [ACTION] [key=value ...]``: one call, or every page with ``--all``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Parser, UsageError, setup_logging

if TYPE_CHECKING:
    from .._auth import Token
    from .._endpoints import Endpoint
    from .._result import Result
    from .session import Session

__all__ = ["canonical_params", "parse_targets", "run_call", "split_call_argv", "to_camel"]


# --------------------------------------------------------------------------- command line


def to_camel(option: str) -> str:
    """``page-size`` -> ``pageSize`` (option-style parameter names)."""
    head, *rest = option.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def split_call_argv(
    argv: Sequence[str], parser: argparse.ArgumentParser
) -> tuple[list[str], list[str]]:
    """Separate py7d's own options from the call's words.

    Returns ``(options, targets)``: ``targets`` is ``RESOURCE [ACTION] key=value ...``
    with every ``--name value`` / ``--name=value`` that is not a py7d option
    turned into ``name=value`` (``--page-size 3`` -> ``pageSize=3``; a bare
    ``--flag`` -> ``flag=true``).
    """
    known = parser._option_string_actions
    options: list[str] = []
    targets: list[str] = []
    i, only_targets = 0, False
    while i < len(argv):
        word = argv[i]
        i += 1
        if only_targets or not word.startswith("-") or word == "-":
            targets.append(word)
            continue
        if word == "--":
            only_targets = True
            continue
        name, eq, value = word.partition("=")
        action = known.get(name)
        if action is not None or not word.startswith("--"):
            options.append(word)
            if action is not None and action.nargs != 0 and not eq and i < len(argv):
                options.append(argv[i])
                i += 1
            continue
        if not eq:
            if i < len(argv) and not argv[i].startswith("--"):
                value = argv[i]
                i += 1
            else:
                value = "true"
        targets.append(f"{to_camel(name[2:])}={value}")
    return options, targets


def parse_targets(targets: Sequence[str]) -> tuple[str, dict[str, str]]:
    """``['artist', 'search', 'q=pink']`` -> ``('artist/search', {'q': 'pink'})``.

    A repeated key is sent once, as a comma list (``tags=rock tags=pop``).
    """
    if not targets:
        raise UsageError(
            "name an endpoint (e.g. 'py7d artist search q=pink') or a command "
            "(see 'py7d --help'; 'py7d endpoints' lists the endpoints)"
        )
    resource, rest = targets[0], list(targets[1:])
    if "=" in resource:
        raise UsageError(f"expected a resource such as 'artist' first, got {resource!r}")
    path = resource.strip("/")
    if rest and "=" not in rest[0]:
        path += "/" + rest.pop(0).strip("/")
    params: dict[str, str] = {}
    for item in rest:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"expected key=value after {path!r}, got {item!r} "
                f"(e.g. q={item} or --q {item}; 'py7d {path} --help' lists the parameters)"
            )
        params[key] = f"{params[key]},{value}" if key in params else value
    return path, params


def _squash(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def canonical_params(params: dict[str, str], endpoint: Endpoint | None) -> dict[str, str]:
    """Spell documented names as the table does (``artistid``, ``artist-id`` -> ``artistId``)."""
    if endpoint is None:
        return params
    names = {_squash(name): name for name in endpoint.parameters}
    out: dict[str, str] = {}
    for key, value in params.items():
        name = names.get(_squash(key), key)
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


# --------------------------------------------------------------------------- the call


def find_table_endpoint(path: str, method: str | None, auth: str | None) -> Endpoint | None:
    """The table's row for ``path`` (the one matching ``--method``/``--auth`` if given)."""
    from .._endpoints import find_endpoints

    candidates = find_endpoints(path)
    for ep in candidates:
        if (method is None or ep.method == method) and (auth is None or ep.auth.value == auth):
            return ep
    return candidates[0] if candidates and method is None else None


def show_warnings_as_notes(path: str) -> None:
    """py7D's warnings as one ``py7d: note:`` line each, worded for the command line."""
    import warnings

    from .._validation import UnknownEndpointWarning

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        text = str(message)
        if issubclass(category, UnknownEndpointWarning):
            text = (
                f"{path} is not in the endpoint table; sent as given (GET and unsigned unless "
                "--method/--auth say otherwise; 'py7d endpoints' lists the known ones)"
            )
        sys.stderr.write(f"py7d: note: {text}\n")

    warnings.showwarning = show


def _check_resource_alone(path: str, endpoint: Endpoint | None) -> None:
    """``py7d artist``: a resource that needs an action gets the list of its actions."""
    if endpoint is not None or "/" in path:
        return
    from .._endpoints import ENDPOINTS

    actions = [ep.action for ep in ENDPOINTS if ep.resource.lower() == path.lower() and ep.action]
    if actions:
        raise UsageError(
            f"{path} needs an action: {', '.join(dict.fromkeys(actions))} "
            f"('py7d endpoints {path}' shows their parameters)"
        )


def _needs_user_token(endpoint: Endpoint | None, auth: str | None, params: dict[str, str]) -> bool:
    level = auth or (endpoint.auth.value if endpoint else "none")
    return level == "3-legged" and not any(k.lower() == "userid" for k in params)


def _check_combinations(options: argparse.Namespace) -> None:
    from .output import check_options

    paging = options.all or options.limit is not None
    check_options(options, paging=paging)
    if options.concurrency is not None and not paging:
        raise UsageError("--concurrency sets how many pages --all fetches at once; add --all")


def check_option_typos(argv: Sequence[str], parser: Parser) -> None:
    """Refuse ``--tabel``: not a py7d option, not a parameter name, but close to an option.

    Any other ``--name`` is a parameter (``--page-size 3``), as before.
    """
    from .._endpoints import PARAMS

    known = {_squash(name) for name in PARAMS}
    for word in argv:
        if word == "--":
            return
        if not word.startswith("--"):
            continue
        name = word.partition("=")[0]
        if name in parser._option_string_actions or _squash(name[2:]) in known:
            continue
        near = parser.suggest_option(name)
        if near is not None:
            raise UsageError(
                f"unknown option {name}; did you mean {near}? "
                f"(an endpoint parameter goes as name=value or --name value; 'py7d --help')"
            )


def run_call(argv: Sequence[str], parser: Parser) -> int:
    """Parse and run ``py7d RESOURCE [ACTION] ...``."""
    check_option_typos(argv, parser)
    option_words, targets = split_call_argv(argv, parser)
    if targets and ("-h" in option_words or "--help" in option_words):
        from .help import endpoint_help

        sys.stdout.write(endpoint_help(targets))
        return 0
    options = parser.parse_args(option_words)
    setup_logging(options.debug)
    _check_combinations(options)
    path, params = parse_targets(targets)
    endpoint = find_table_endpoint(path, options.method, options.auth)
    _check_resource_alone(path, endpoint)
    params = canonical_params(params, endpoint)
    show_warnings_as_notes(path)

    from .session import open_session

    with open_session(options, normalize=options.normalize) as session:
        token = session.user_token() if _needs_user_token(endpoint, options.auth, params) else None
        if options.all or options.limit is not None:
            from .paging import run_all

            return run_all(session, path, params, endpoint, token, options)
        result = send(session, path, params, token, options)
    from .output import render

    render(result, options, sys.stdout)
    return 0


def send(
    session: Session,
    path: str,
    params: dict[str, Any],
    token: Token | None,
    options: argparse.Namespace,
) -> Result:
    """One request through the session's client (verb and signing from the table)."""
    import logging
    import time

    started = time.perf_counter()
    result = session.client.request(
        path,
        None,
        params=params,
        access_token=token,
        auth=options.auth,
        http_method=options.method,
        validate=not options.no_validate,
    )
    logging.getLogger("py7D.cli").debug(
        "reply: HTTP %s, <%s>, %d bytes in %.0f ms",
        result.status_code,
        result.root,
        len(result.content),
        (time.perf_counter() - started) * 1000,
    )
    return result
