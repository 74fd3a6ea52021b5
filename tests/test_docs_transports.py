"""docs/guides/transports.md: every ``python`` block runs as written, against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("_isolated_env")

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "transports.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_example_runs(block: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(block, str(GUIDE), "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out.strip()  # every example prints what it got
