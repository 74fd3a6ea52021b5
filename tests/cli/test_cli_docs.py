"""The command-line guide shows every feature of ``py7d``; tests/test_docs_examples.py runs it.

Each ``sh`` block of ``docs/guides/cli.md`` runs there, in order, against a
served sandbox, and must exit 0. This module checks that the guide has an
example of each feature and that the generated reference lists every command.
"""

from __future__ import annotations

import re
from pathlib import Path

from py7D._cli.manual import markdown, pages, roff
from py7D.cli import COMMANDS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "cli.md"
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def doc_lines() -> list[str]:
    """The command lines of the guide's ``sh`` blocks that run ``py7d``."""
    found: list[str] = []
    for block in _FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and re.search(r"(^|[|&;]\s*)py7d\b", line):
                found.append(line)
    return found


def test_the_guide_has_examples_for_each_feature() -> None:
    lines = doc_lines()
    assert len(lines) >= 25
    text = " ".join(lines)
    for needle in ("--all", "--table", "--xml", "--headers", "login", "whoami", "logout"):
        assert needle in text
    for needle in ("sign", "--explain", "endpoints", "completion", "sandbox", "--sandbox"):
        assert needle in text


def test_the_reference_has_every_command_and_option() -> None:
    """The Markdown reference and the man page both show every option of every parser."""
    page = markdown()
    man = roff()
    names = [p.name for p in pages()]
    assert names == ["py7d", *(f"py7d {c}" for c in COMMANDS)]
    for p in pages():
        assert f"## `{p.name}`" in page
        for _, options in p.groups:
            for option in options:
                first = option.names.split(",")[0].split(" ")[0]
                assert f"`{option.names}" in page.replace("\\|", "|"), option.names
                assert first.replace("-", "\\-") in man, first
    assert man.startswith(".TH PY7D 1 ")
    for section in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "EXIT STATUS"):
        assert f"\n.SH {section}\n" in man
