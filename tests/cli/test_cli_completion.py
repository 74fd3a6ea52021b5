"""Completion scripts, the hidden ``__complete`` command, ``py7d endpoints``, command names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from py7D._cli.completion import candidates
from py7D._endpoints import ENDPOINTS
from py7D.cli import COMMANDS


def test_commands_do_not_collide_with_api_resources() -> None:
    resources = {ep.resource.lower() for ep in ENDPOINTS}
    assert not resources & set(COMMANDS)


@pytest.mark.parametrize(
    ("words", "expected", "absent"),
    [
        ([""], {"login", "endpoints", "artist", "tag", "basket"}, set()),
        (["art"], {"artist"}, {"tag"}),
        (["artist", ""], {"search", "details", "bytag/top", "match/byId"}, {"login"}),
        (["artist", "search", ""], {"q=", "page=", "pageSize=", "imageSize="}, {"artistId="}),
        (["artist", "search", "q=pink", ""], {"pageSize="}, {"q="}),
        (["artist", "search", "--page-s"], {"--page-size"}, set()),
        (["artist", "search", "--a"], {"--all", "--auth", "--api-url"}, set()),
        (["artist", "search", "--auth", ""], {"none", "2-legged", "3-legged"}, set()),
        (["tag", ""], {"related", "page=", "pageSize="}, set()),
        (["basket", ""], {"create", "addItem", "basketId="}, set()),
        (["--sandbox", "user", "l"], {"locker"}, set()),
        (["completion", ""], {"bash", "zsh", "fish"}, set()),
        (["endpoints", "us"], {"user", "users"}, set()),
        (["login", "--"], {"--username", "--password-stdin", "--profile"}, {"--all"}),
        (["artist", "search", "q=pi"], set(), {"q="}),
        # values of enumerated and true/false parameters
        (["release", "search", "type="], {"type=album", "type=single", "type=video"}, set()),
        (["release", "search", "type=Al"], {"type=Album"}, {"type=album"}),
        (["release", "search", "--type", "s"], {"single"}, {"album", "q="}),
        (["release", "search", "--type=v"], {"--type=video"}, set()),
        (
            ["release", "details", "usageTypes=download,s"],
            {"usageTypes=download,subscriptionstreaming"},
            {"usageTypes=download,download"},
        ),
        (["track", "chart", "period=w"], {"period=week"}, {"period=day"}),
        (["user", "locker", "sort=artist"], {"sort=artistName asc", "sort=artistName desc"}, set()),
        (["artist", "details", "artistId="], set(), {"artistId="}),
        # a parameter given as an option is not offered again, and its value is no word
        (["release", "search", "--type", "album", ""], {"q=", "pageSize="}, {"type=", "album"}),
    ],
)
def test_candidates_come_from_the_table(
    words: list[str], expected: set[str], absent: set[str]
) -> None:
    found = set(candidates(words))
    assert expected <= found
    assert not absent & found


def test_complete_command_over_a_subprocess(module_cli) -> None:
    out = module_cli.run("__complete", "artist", "")
    assert out.code == 0
    assert {"search", "details"} <= set(out.stdout.split())
    line = module_cli.run("__complete", "--line", "py7d artist search pa")
    assert set(line.stdout.split()) == {"page=", "pageSize="}


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _py7d py7d"),
        ("zsh", "#compdef py7d"),
        ("fish", "complete -c py7d"),
    ],
)
def test_completion_scripts(module_cli, shell: str, marker: str) -> None:
    out = module_cli.run("completion", shell)
    assert out.code == 0
    assert marker in out.stdout
    assert "__complete" in out.stdout


@pytest.fixture
def py7d_on_path(tmp_path: Path, module_cli) -> dict[str, str]:
    """A ``py7d`` executable on PATH that runs this checkout (for the shells' scripts)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "py7d"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m py7D "$@"\n')
    shim.chmod(0o755)
    env = module_cli.environ()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _bash_complete(env: dict[str, str], line: str) -> list[str]:
    words = line.split(" ")
    program = f"""
source <(py7d completion bash)
COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}
_py7d
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    proc = subprocess.run(
        ["bash", "--norc", "-c", program], capture_output=True, text=True, env=env, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_resources_actions_and_parameters(py7d_on_path: dict[str, str]) -> None:
    assert "artist" in _bash_complete(py7d_on_path, "py7d ar")
    assert set(_bash_complete(py7d_on_path, "py7d artist se")) == {"search"}
    assert set(_bash_complete(py7d_on_path, "py7d artist search page")) == {"page=", "pageSize="}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_values_after_the_equals_sign(py7d_on_path: dict[str, str]) -> None:
    # bash ends the word at '=', so the candidates are what follows it
    assert _bash_complete(py7d_on_path, "py7d release search type=Al") == ["Album"]
    assert _bash_complete(py7d_on_path, "py7d release search --type si") == ["single"]
    # a value with a space comes back escaped, so the shell keeps it one word
    assert set(_bash_complete(py7d_on_path, "py7d user locker sort=artist")) == {
        "artistName\\ asc",
        "artistName\\ desc",
    }


ZSH_DRIVER = """
compadd() { local -a a; a=("$@"); local i=${a[(i)--]}; print -l -- "${(@)a[i+1,-1]}"; }
source <(py7d completion zsh)
words=(%s); CURRENT=%d
_py7d
"""


def _zsh_complete(env: dict[str, str], line: str) -> list[str]:
    words = line.split(" ")
    program = ZSH_DRIVER % (" ".join(repr(w) for w in words), len(words))
    proc = subprocess.run(
        ["zsh", "-f", "-c", program], capture_output=True, text=True, env=env, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


def _fish_complete(env: dict[str, str], line: str) -> list[str]:
    program = f"py7d completion fish | source; complete -C {line!r}"
    proc = subprocess.run(
        ["fish", "--no-config", "-c", program], capture_output=True, text=True, env=env, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return [w.split("\t")[0] for w in proc.stdout.splitlines() if w]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_complete_too(shell: str, py7d_on_path: dict[str, str]) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    complete = _zsh_complete if shell == "zsh" else _fish_complete
    assert set(complete(py7d_on_path, "py7d artist se")) == {"search"}
    assert set(complete(py7d_on_path, "py7d artist search page")) == {"page=", "pageSize="}
    assert complete(py7d_on_path, "py7d release search type=Al") == ["type=Album"]


def test_endpoints_lists_the_whole_table(module_cli) -> None:
    out = module_cli.run("endpoints")
    assert out.code == 0
    rows = out.stdout.splitlines()
    assert rows[0].split() == ["PATH", "VERB", "AUTH", "PAGED", "PARAMETERS"]
    assert len(rows) == 1 + len(ENDPOINTS)
    search = next(r for r in rows if r.startswith("artist/search "))
    assert search.split()[:5] == ["artist/search", "GET", "none", "paged", "q"]


def test_endpoints_of_one_resource_as_json(module_cli) -> None:
    out = module_cli.run("endpoints", "basket", "--json")
    assert out.code == 0
    records = json.loads(out.stdout)
    assert {r["path"] for r in records} >= {"basket", "basket/applyVoucher"}
    voucher = next(r for r in records if r["path"] == "basket/applyVoucher")
    assert voucher["method"] == "POST"
    assert voucher["auth"] == "2-legged"
    assert voucher["required"] == ["basketId", "voucherCode"]
