"""The runnable examples of docs/guides/bulk.md run, each on its own, against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "bulk.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_example_runs(number: int, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("py7D.sandbox")
    exec(compile(BLOCKS[number], f"{GUIDE.name} example {number + 1}", "exec"), {})
    assert capsys.readouterr().out.strip()  # every example shows something
