"""Every ``py7d`` line of the README's "Command line" section runs, in order, and exits 0.

Lines run through ``bash`` with a ``py7d`` on PATH that runs this checkout, so
pipes and redirections work as written. ``py7d sandbox --port 8000`` serves
until Ctrl-C: it is started on a free port instead, waited for, and stopped
with SIGINT.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def doc_lines() -> list[str]:
    """The command lines of the ``sh`` blocks that run ``py7d``."""
    found: list[str] = []
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Command line\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    for block in _FENCE.findall(section):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#") and re.search(r"(^|[|&;]\s*)py7d\b", line):
                found.append(line)
    return found


def _environ(module_cli, home: Path) -> dict[str, str]:
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    shim = bin_dir / "py7d"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m py7D "$@"\n')
    shim.chmod(0o755)
    env = module_cli.environ()
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _serve_and_stop(line: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    command = line.replace("--port 8000", "--port 0")
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return (proc.returncode if "serving on http://" in first else -1), first + err


def _run(line: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    if line.startswith("py7d sandbox"):
        return _serve_and_stop(line, env, cwd)
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stderr


def test_the_doc_has_examples_for_each_feature() -> None:
    text = " ".join(doc_lines())
    for needle in ("--all", "--table", "--xml", "--headers", "login", "whoami", "logout"):
        assert needle in text
    for needle in ("sign", "--explain", "endpoints", "completion", "sandbox", "--sandbox"):
        assert needle in text


def test_every_documented_command_runs(module_cli, tmp_path: Path) -> None:
    env = _environ(module_cli, tmp_path / "home")
    work = tmp_path / "work"
    work.mkdir()
    failures = []
    ran = 0
    for line in doc_lines():
        code, err = _run(line, env, work)
        ran += 1
        if code != 0:
            failures.append(f"{line!r} exited {code}: {err.strip()[-500:]}")
    assert ran >= 25
    assert not failures, "\n".join(failures)
    assert (work / "releases.jsonl").read_text().count("\n") > 1
