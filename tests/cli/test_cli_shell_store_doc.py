"""docs/guides/shell-store.md: its ``sh`` blocks run verbatim, in order, with ``--sandbox`` alone.

No server runs and no key is set: the embedded sandbox must carry the whole journey
(search, basket, login, purchase, locker) from one command to the next.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cli_support import clean_environ

from py7D._cli.base import exit_codes_markdown

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "shell-store.md"
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def test_the_store_journey_runs_from_the_shell(tmp_path: Path) -> None:
    blocks = _FENCE.findall(GUIDE.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "py7d"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m py7D "$@"\n')
    shim.chmod(0o755)
    env = clean_environ(tmp_path)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PY7D_API_URL"] = "http://127.0.0.1:9/1.2"  # any use of the network fails
    script = "set -euo pipefail\n" + "\n".join(blocks)
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Hopes and Fears" in proc.stdout  # the search, the basket, the locker
    header, first = (tmp_path / "locker.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert "release.title" in header.split(",")
    assert "Hopes and Fears" in first
    assert "Logged in as alice@example.com" in proc.stdout
    # the last block reset the sandbox: nothing is left behind
    assert not (tmp_path / ".local" / "state" / "py7d" / "sandbox.pickle").exists()


def test_the_exit_status_table_is_the_one_py7d_uses() -> None:
    assert exit_codes_markdown() in GUIDE.read_text(encoding="utf-8")
