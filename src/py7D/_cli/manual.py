"""The manual of ``py7d``, written from its argparse parsers: a Markdown page and a man page.

Both read the same parsers ``py7d --help`` prints, so neither can drift from
the command line. ``python scripts/gen_manpage.py`` writes the man page; the
documentation site builds its command-line reference with :func:`markdown`.
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from .base import exit_codes_help
from .parsers import COMMANDS, command_parser, main_parser

__all__ = ["Page", "markdown", "pages", "roff"]


@dataclass(frozen=True)
class Option:
    """One argument of a parser, as the manual shows it."""

    names: str  # "--page-size N" or "resource"
    help: str


@dataclass(frozen=True)
class Page:
    """One command of ``py7d`` (the call form first, then each command)."""

    name: str  # "py7d" or "py7d login"
    summary: str
    usage: str
    description: str
    groups: tuple[tuple[str, tuple[Option, ...]], ...]
    epilog: str


def _names(action: argparse.Action) -> str:
    if not action.option_strings:
        return str(action.metavar or action.dest)
    takes_value = action.nargs != 0
    value = ""
    if takes_value:
        if action.choices is not None and action.metavar is None:
            value = "{" + ",".join(str(c) for c in action.choices) + "}"
        else:
            value = str(action.metavar or action.dest.upper())
        if action.nargs == "?":
            value = f"[{value}]"
    return ", ".join(f"{o} {value}".rstrip() for o in action.option_strings)


def _page(name: str, summary: str, parser: argparse.ArgumentParser, epilog: str) -> Page:
    groups: list[tuple[str, tuple[Option, ...]]] = []
    for group in parser._action_groups:  # argparse keeps no public list of its groups
        options = tuple(
            Option(_names(a), (a.help or "").replace("%(default)s", str(a.default)))
            for a in group._group_actions
            if a.help != argparse.SUPPRESS
        )
        if options:
            groups.append((group.title or "options", options))
    usage = parser.format_usage().strip()
    usage = usage[len("usage: ") :] if usage.startswith("usage: ") else usage
    return Page(
        name=name,
        summary=summary,
        usage=usage,
        description=(parser.description or "").strip(),
        groups=tuple(groups),
        epilog=epilog.strip(),
    )


def pages() -> Iterator[Page]:
    """The call form (``py7d RESOURCE ACTION ...``), then every command in ``py7d --help`` order."""
    main = main_parser()
    yield _page("py7d", "call any 7digital endpoint", main, main.epilog or "")
    for name, summary in COMMANDS.items():
        parser = command_parser(name)
        yield _page(f"py7d {name}", summary, parser, parser.epilog or "")


# --------------------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The command-line reference as one Markdown page."""
    out = [
        "# Command-line reference",
        "",
        "Every command and option of `py7d`, written from the same parsers that print",
        "`py7d --help` (this page is generated when the site is built). What each endpoint",
        "takes is in the [endpoint reference](endpoints/index.md); `py7d RESOURCE ACTION --help`",
        "prints the same from the shell. The [command-line guide](../guides/cli.md) shows them",
        "at work.",
        "",
        "The same reference as a man page: `python scripts/gen_manpage.py py7d.1 && man ./py7d.1`",
        "(from a checkout).",
        "",
    ]
    for page in pages():
        out += [f"## `{page.name}`", "", page.summary[:1].upper() + page.summary[1:] + ".", ""]
        out += ["```text", f"usage: {page.usage}", "```", ""]
        if page.description and page.name == "py7d":
            out += ["```text", page.description, "```", ""]
        for title, options in page.groups:
            if title == "global options" and page.name != "py7d":
                out += ["It also takes the global options of [`py7d`](#py7d).", ""]
                continue
            out += [f"**{title}**", "", "| argument | meaning |", "|---|---|"]
            out += [f"| `{_cell(o.names)}` | {_cell(o.help)} |" for o in options]
            out.append("")
        if page.epilog:
            out += ["```text", page.epilog, "```", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- man page


def _roff(text: str) -> str:
    """Escape text for roff: backslashes, hyphens, and control characters at line starts."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def roff(date: datetime.date | None = None) -> str:
    """The man page ``py7d(1)``, in roff (``man -l`` shows it)."""
    from .. import __version__

    day = (date or datetime.date.today()).isoformat()
    all_pages = list(pages())
    main, commands = all_pages[0], all_pages[1:]
    out = [
        f'.TH PY7D 1 "{day}" "py7D {__version__}" "User Commands"',
        ".SH NAME",
        "py7d \\- call the 7digital API 1.2 from the shell",
        ".SH SYNOPSIS",
        ".nf",
        _roff(main.usage),
        ".fi",
        ".SH DESCRIPTION",
        ".nf",
        _roff(main.description),
        ".fi",
    ]

    def options(page: Page) -> Iterator[str]:
        for title, group in page.groups:
            yield f".SS {_roff(title)}"
            for option in group:
                yield ".TP"
                yield f"\\fB{_roff(option.names)}\\fR"
                yield _roff(option.help)

    out += [".SH OPTIONS", *options(main)]
    out += [".SH COMMANDS"]
    for page in commands:
        out += [f".SS {_roff(page.name)}", _roff(page.summary) + ".", ".PP", ".nf"]
        out += [_roff(page.usage), ".fi"]
        for title, group in page.groups:
            if title == "global options":
                continue  # the same as py7d's, listed once above
            for option in group:
                out += [".TP", f"\\fB{_roff(option.names)}\\fR", _roff(option.help)]
        examples = page.epilog.split(exit_codes_help())[0].strip()
        if examples:
            out += [".PP", ".nf", _roff(examples), ".fi"]
    out += [".SH EXAMPLES", ".nf", _roff(main.epilog.split(exit_codes_help())[0].strip()), ".fi"]
    out += [".SH EXIT STATUS", ".nf", _roff(exit_codes_help().split("\n", 1)[1]), ".fi"]
    out += [
        ".SH SEE ALSO",
        "The py7D documentation: the guides, the endpoint reference and this page as Markdown.",
    ]
    return "\n".join(out) + "\n"
