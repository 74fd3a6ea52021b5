"""The reliability guide lists exactly the state-changing endpoints of the table."""

from __future__ import annotations

import re
from pathlib import Path

import py7D

DOC = Path(__file__).resolve().parents[1] / "docs" / "guides" / "reliability.md"


def documented() -> tuple[set[tuple[str, str]], set[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- state-changing endpoints", 1)[1].split("\n#", 1)[0]
    rows: set[tuple[str, str]] = set()
    money: set[str] = set()
    for line in section.splitlines():
        match = re.match(r"\|\s*(GET|POST|PUT|DELETE)\s*\|(.*)\|\s*$", line)
        if not match:
            continue
        verb, cell = match.groups()
        for path, mark in re.findall(r"`([^`]+)`( 💳)?", cell):
            rows.add((verb, path))
            if mark:
                money.add(path)
    return rows, money


def test_state_changing_list_matches_the_table() -> None:
    rows, money = documented()
    assert rows == {(e.method, e.path) for e in py7D.ENDPOINTS if e.changes_state}
    assert money == {e.path for e in py7D.ENDPOINTS if e.moves_money}
