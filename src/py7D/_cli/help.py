"""``py7d endpoints`` and ``py7d RESOURCE [ACTION] --help``: the endpoint table, readable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from .base import UsageError

if TYPE_CHECKING:
    from .._endpoints import Endpoint

__all__ = [
    "endpoint_help",
    "list_endpoints",
    "parameter_summary",
    "resources",
    "select_endpoints",
]


def parameter_summary(ep: Endpoint, suffix: str = "") -> str:
    """``artistId [page] [pageSize]``; one-of groups as ``(mbIds|sevenDigitalIds)``.

    ``suffix`` follows each name (``=...`` for a usage line).
    """
    parts = [f"{name}{suffix}" for name in (*ep.path_params, *ep.required)]
    parts += ["(" + "|".join(f"{n}{suffix}" for n in group) + ")" for group in ep.one_of]
    parts += [f"[{name}{suffix}]" for name in ep.optional]
    return " ".join(parts)


def resources() -> list[str]:
    """Every resource of the table, sorted."""
    from .._endpoints import ENDPOINTS

    return sorted({ep.resource for ep in ENDPOINTS}, key=str.lower)


def close_paths(path: str) -> list[str]:
    """Table paths that look like ``path`` (a looser match than validation's typo rule)."""
    import difflib

    from .._endpoints import ENDPOINTS
    from .._validation import suggest_paths

    found = suggest_paths(path)
    if not found:
        keys = {ep.key: ep.path for ep in ENDPOINTS}
        found = [keys[k] for k in difflib.get_close_matches(path.lower(), keys, n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))


def select_endpoints(resource: str | None) -> list[Endpoint]:
    """The endpoints of ``resource`` (a path prefix, any case), or all of them."""
    import difflib

    from .._endpoints import ENDPOINTS

    if resource is None:
        return sorted(ENDPOINTS, key=lambda ep: (ep.key, ep.method))
    prefix = resource.strip("/").lower()
    chosen = sorted(
        (ep for ep in ENDPOINTS if ep.key == prefix or ep.key.startswith(prefix + "/")),
        key=lambda ep: (ep.key, ep.method),
    )
    if not chosen:
        close = difflib.get_close_matches(prefix, [r.lower() for r in resources()], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"no endpoint in the table starts with {resource!r}{hint}")
    return chosen


def list_endpoints(resource: str | None, as_json: bool, stream: TextIO) -> None:
    """Write the table (or one resource of it) as aligned columns or as JSON."""
    chosen = select_endpoints(resource)
    if as_json:
        stream.write(json.dumps([ep.to_dict() for ep in chosen], indent=2) + "\n")
        return
    width = max(len(ep.path) for ep in chosen)
    stream.write(f"{'PATH':<{width}}  VERB    AUTH      PAGED  PARAMETERS\n")
    for ep in chosen:
        paged = "paged" if ep.paged else ""
        stream.write(
            f"{ep.path:<{width}}  {ep.method:<6}  {ep.auth.value:<8}  {paged:<5}  "
            f"{parameter_summary(ep)}".rstrip()
            + "\n"
        )


def _param_line(ep: Endpoint, name: str, required: bool) -> str:
    param = ep.param(name)
    facts = [param.kind.value]
    if param.choices:
        facts.append(("comma list of " if param.many else "one of ") + "|".join(param.choices))
    elif param.many:
        facts.append("comma list")
    if param.minimum is not None or param.maximum is not None:
        low = "" if param.minimum is None else str(param.minimum)
        high = "" if param.maximum is None else str(param.maximum)
        facts.append(f"{low}..{high}")
    text = f"{param.description} ({', '.join(facts)})" if param.description else facts[0]
    mark = "*" if required else " "
    return f"    {mark} {name:<18} {text}"


def _describe(ep: Endpoint) -> str:
    command = "py7d " + ep.path.replace("/", " ", 1)
    lines = [f"{ep.method} {ep.path}  ({ep.auth.value}{', paged' if ep.paged else ''})"]
    if ep.description:
        lines.append(f"  {ep.description}")
    lines.append(f"  usage: {command} {parameter_summary(ep, '=...')}".rstrip())
    needed = {*ep.path_params, *ep.required}
    if ep.parameters:
        lines.append("  parameters (* required):")
        lines += [_param_line(ep, name, name in needed) for name in ep.parameters]
    if ep.one_of:
        groups = "; ".join(" or ".join(group) for group in ep.one_of)
        lines.append(f"  one of: {groups}")
    if ep.notes:
        lines.append(f"  notes: {ep.notes}")
    if ep.auth.value == "3-legged":
        lines.append("  signing: with a user's access token: run 'py7d login' first")
    elif ep.auth.value == "2-legged":
        lines.append("  signing: with the consumer key and secret (automatic)")
    return "\n".join(lines)


def endpoint_help(targets: Sequence[str]) -> str:
    """Help for ``py7d RESOURCE [ACTION] --help``, from the table."""
    words = [t for t in targets if "=" not in t][:2]
    prefix = "/".join(w.strip("/") for w in words)
    try:
        chosen = select_endpoints(prefix)
    except UsageError:
        if len(words) < 2:
            raise
        chosen = select_endpoints(words[0])
    blocks = [_describe(ep) for ep in chosen]
    tail = (
        "\nparameters go as key=value or --kebab-case options; "
        "output and paging options: see 'py7d --help'\n"
    )
    return "\n\n".join(blocks) + "\n" + tail
