"""Helpers for the ``py7d`` tests: the served sandbox's details and a runner for the real command.

The command runs as a subprocess (``python -m py7D``, with ``PYTHONPATH`` set to
this checkout's ``src``), in a clean environment whose config directory is a
temporary one, pointed at the sandbox through ``PY7D_API_URL`` and friends.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
COMMAND = (sys.executable, "-m", "py7D")
TIMEOUT = 30

# Settings the command could pick up from the developer's environment.
_SCRUB = (
    "PY7D_",
    "XDG_CONFIG_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "HOME",
    "COLUMNS",
    "LINES",
)


@dataclass(frozen=True)
class Served:
    """A sandbox served on a loopback port."""

    url: str
    consumer_key: str
    consumer_secret: str
    email: str
    password: str


@dataclass
class Outcome:
    """What a run of ``py7d`` did."""

    code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return f"Outcome(code={self.code}, stdout={self.stdout[:300]!r}, stderr={self.stderr!r})"


def clean_environ(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "120"
    return env


class Runner:
    """Runs the real ``py7d`` (``python -m py7D``) against a served sandbox."""

    def __init__(self, env: dict[str, str], config_dir: Path) -> None:
        self.env = env
        self.config_dir = config_dir

    def run(
        self,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = TIMEOUT,
    ) -> Outcome:
        proc = subprocess.run(
            [*COMMAND, *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.environ(env),
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    def environ(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        env = dict(self.env)
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def popen(self, *args: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen([*COMMAND, *args], env=self.environ(), text=True, **kwargs)

    def run_on_tty(self, *args: str, stream: str = "stderr") -> tuple[int, str, str]:
        """Run with ``stream`` ('stdout' or 'stderr') on a pseudo-terminal, the other piped.

        Returns ``(exit code, what the terminal showed, what the pipe got)``.
        """
        master, slave = pty.openpty()
        streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
        proc = subprocess.Popen(
            [*COMMAND, *args],
            env=self.environ(),
            stdin=subprocess.DEVNULL,
            stdout=streams["stdout"],
            stderr=streams["stderr"],
        )
        os.close(slave)
        chunks: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(master, chunks), daemon=True)
        reader.start()
        out, err = proc.communicate(timeout=TIMEOUT)
        reader.join(5)
        os.close(master)
        shown = b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
        piped = err if stream == "stdout" else out
        return proc.returncode, shown, (piped or b"").decode("utf-8", errors="replace")


def _drain(fd: int, chunks: list[bytes]) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO once the child side is closed
            return
        if not data:
            return
        chunks.append(data)


def runner_for(served: Served, home: Path) -> Runner:
    env = clean_environ(home)
    env["PY7D_API_URL"] = served.url
    env["PY7D_CONSUMER_KEY"] = served.consumer_key
    env["PY7D_CONSUMER_SECRET"] = served.consumer_secret
    return Runner(env, home / "config" / "py7d")
