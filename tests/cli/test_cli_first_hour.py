"""A newcomer's first hour: every documented path works, every mistake gets a precise answer.

Each test drives the real ``py7d`` (a subprocess) or the public API.
"""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_support import Outcome, Runner, clean_environ

import py7D
from py7D._cli.base import ExitCode, exit_codes_help
from py7D._cli.completion import candidates
from py7D._cli.parsers import COMMANDS, command_parser, main_parser

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def catalogue_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One catalogue cache for the module's runs (the first run builds it)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def shell(tmp_path: Path, catalogue_cache: Path) -> Runner:
    """``py7d`` with no server and no settings: only ``--sandbox`` and offline commands work."""
    env = clean_environ(tmp_path)
    env["XDG_CACHE_HOME"] = str(catalogue_cache)
    env["PY7D_API_URL"] = "http://127.0.0.1:9/1.2"  # nothing there: any network use fails
    env["PY7D_CONSUMER_KEY"] = "sandbox-key"
    env["PY7D_CONSUMER_SECRET"] = "sandbox-secret"
    return Runner(env, tmp_path / "config" / "py7d")


def _data(out: Outcome) -> dict:
    assert out.code == 0, out
    return json.loads(out.stdout)["response"]


# --------------------------------------------------------------------------- help, exit codes


def test_help_command_prints_help_offline(shell: Runner) -> None:
    out = shell.run("help")
    assert out.code == 0, out
    assert out.stdout.startswith("usage: py7d")
    assert out.stdout == shell.run("--help").stdout
    login = shell.run("help", "login")
    assert login.code == 0
    assert "--username" in login.stdout
    endpoint = shell.run("help", "artist", "search")
    assert endpoint.code == 0
    assert "usage: py7d artist search q=..." in endpoint.stdout


def test_exit_code_table_is_generated_from_exit_code(shell: Runner) -> None:
    text = shell.run("--help").stdout
    assert exit_codes_help() in text
    for code in ExitCode:
        assert f"  {code.value:<5}{code.help}" in text
    assert exit_codes_help() in shell.run("login", "--help").stdout


def test_sandbox_without_uvicorn_is_a_configuration_error(shell: Runner, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    (blocked / "uvicorn").mkdir(parents=True)
    (blocked / "uvicorn" / "__init__.py").write_text("raise ImportError('no uvicorn here')\n")
    pythonpath = f"{blocked}:{shell.env['PYTHONPATH']}"
    out = shell.run("sandbox", "--port", "0", env={"PYTHONPATH": pythonpath})
    assert out.code == ExitCode.CONFIG, out
    assert "pip install 'py7D[sandbox]'" in out.stderr


def test_sandbox_bad_port_is_a_usage_error(shell: Runner) -> None:
    out = shell.run("sandbox", "--port", "99999")
    assert out.code == ExitCode.USAGE, out
    assert "0-65535" in out.stderr
    assert "internal error" not in out.stderr


def test_sandbox_port_in_use_says_so_and_how_to_pick_another(shell: Runner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = shell.run("sandbox", "--port", str(port))
    assert out.code == ExitCode.NETWORK, out
    assert f"port {port} on 127.0.0.1 is already in use" in out.stderr
    assert "--port 0" in out.stderr
    assert "Errno" not in out.stderr


def test_python_m_sandbox_has_the_same_exit_codes(shell: Runner) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "py7D.sandbox", "--port", "99999"],
        capture_output=True,
        text=True,
        env=shell.env,
        timeout=30,
    )
    assert proc.returncode == ExitCode.USAGE, proc.stderr


# --------------------------------------------------------------------------- mistakes


def test_unknown_path_message_says_what_happened(cli: Runner) -> None:
    out = cli.run("frobnicate", "things")
    assert out.code == ExitCode.REPLY, out
    line = out.stderr.splitlines()[-1]
    assert "frobnicate/things is not in the endpoint table" in line
    assert "HTTP 404" in line
    assert "'py7d endpoints'" in line
    assert "changes state" not in out.stderr
    near = cli.run("artist", "detials", "artistId=2", "--no-validate")
    assert "Did you mean artist/details?" in near.stderr


def test_ids_are_checked_by_kind_before_sending(shell: Runner) -> None:
    """The CLI's side; every kind of wrong value is covered through the library below."""
    for value in ("abc", "[1,2]"):
        out = shell.run("--sandbox", "artist", "details", f"artistId={value}")
        assert out.code == ExitCode.USAGE, out
        assert "artistId must be a 7digital id" in out.stderr


@pytest.mark.parametrize("value", ["abc", -1, "-1", 2.5, "2.5", [1, 2], "[1,2]", "1,x", True])
def test_the_library_refuses_ids_of_the_wrong_kind_without_sending(value: object) -> None:
    sent: list[httpx.Request] = []
    client = py7D.Client(
        "key",
        "secret",
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500)),
    )
    with client, pytest.raises(py7D.ValidationError, match="artistId"):
        client.request("artist", "details", artistId=value)
    with client, pytest.raises(py7D.ValidationError, match="releaseIds"):
        client.request("release", "details/batch", releaseIds=["100001", value])
    assert sent == []


def test_mistyped_option_gets_a_did_you_mean(shell: Runner) -> None:
    out = shell.run("--tabel", "artist", "search", "q=x")
    assert out.code == ExitCode.USAGE, out
    assert "unknown option --tabel; did you mean --table?" in out.stderr
    login = shell.run("login", "--usrname", "me@example.com")
    assert login.code == ExitCode.USAGE
    assert "did you mean --username?" in login.stderr
    # option-style parameters still work
    assert shell.run("--sandbox", "artist", "search", "--q", "keane", "--page-size", "1").code == 0


def test_login_at_end_of_input_says_no_input(cli: Runner) -> None:
    out = cli.run("login")  # stdin is /dev/null: at EOF at once
    assert out.code == ExitCode.USAGE, out
    assert "no input" in out.stderr
    assert not (cli.config_dir / "tokens" / "default.json").exists()


# --------------------------------------------------------------------------- network


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:  # free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_on_loopback_is_reported_at_once(
    shell: Runner, closed_port: int
) -> None:
    out = shell.run("--api-url", f"http://127.0.0.1:{closed_port}/1.2", "tag")
    assert out.code == ExitCode.NETWORK, out
    assert f"nothing is listening at http://127.0.0.1:{closed_port}" in out.stderr
    client = py7D.Client("key", "secret", base_url=f"http://127.0.0.1:{closed_port}/1.2")
    with client, pytest.raises(py7D.TransportError) as caught:
        client.request("tag")
    assert caught.value.attempts == 1  # not retried
    assert caught.value.nothing_listening == f"http://127.0.0.1:{closed_port}"


class _Busy:
    """A stand-in sandbox that is always busy (503)."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="busy")


@pytest.fixture(scope="module")
def busy_url() -> Iterator[str]:
    sandbox = pytest.importorskip("py7D.sandbox")
    pytest.importorskip("uvicorn")
    with sandbox.running(_Busy()) as url:  # type: ignore[arg-type]
        yield url


def test_retries_come_from_the_option_or_the_environment(shell: Runner, busy_url: str) -> None:
    env = {"PY7D_API_URL": busy_url}
    once = shell.run("--retries", "0", "tag", env=env)
    assert once.code == ExitCode.REPLY, once
    assert "attempts" not in once.stderr, once
    twice = shell.run("tag", env={**env, "PY7D_RETRIES": "1"})
    assert "after 2 attempts" in twice.stderr, twice
    option_wins = shell.run("--retries", "0", "tag", env={**env, "PY7D_RETRIES": "1"})
    assert "attempts" not in option_wins.stderr, option_wins
    bad = shell.run("tag", env={**env, "PY7D_RETRIES": "many"})
    assert bad.code == ExitCode.CONFIG
    assert "PY7D_RETRIES" in bad.stderr
    assert shell.run("--timeout", "0", "tag", env=env).code == ExitCode.USAGE


# --------------------------------------------------------------------------- the embedded sandbox


def test_sandbox_state_is_kept_between_commands_until_reset(shell: Runner) -> None:
    basket = _data(shell.run("--sandbox", "basket", "create"))["basket"]["@id"]
    added = _data(
        shell.run("--sandbox", "basket", "addItem", f"basketId={basket}", "releaseId=100001")
    )
    assert added["basket"]["@id"] == basket
    login = shell.run("--sandbox", "login")
    assert login.code == 0
    assert "alice@example.com" in login.stdout
    bought = shell.run("--sandbox", "user/purchase/basket", f"basketId={basket}")
    assert bought.code == 0, bought
    locker = shell.run("--sandbox", "user", "locker", "--all", "--csv")
    assert locker.code == 0, locker
    rows = locker.stdout.splitlines()
    assert "release.title" in rows[0].split(",")
    assert len(rows) >= 2
    assert "Hopes and Fears" in locker.stdout
    state = Path(shell.env["HOME"]) / ".local" / "state" / "py7d" / "sandbox.pickle"
    assert state.stat().st_mode & 0o777 == 0o600
    assert shell.run("sandbox", "reset").code == 0
    gone = shell.run("--sandbox", "basket", f"basketId={basket}")
    assert gone.code == ExitCode.API
    assert "Basket not found" in gone.stderr


def test_csv_output_mode(shell: Runner) -> None:
    out = shell.run("--sandbox", "artist", "search", "q=pink", "pageSize=3", "--csv")
    assert out.code == 0, out
    header, *rows = out.stdout.splitlines()
    assert "name" in header.split(",")
    assert len(rows) == 3
    assert shell.run("--sandbox", "tag", "--csv", "--headers").code == ExitCode.USAGE
    xml_all = shell.run("--sandbox", "artist", "search", "q=pink", "--all", "--xml")
    assert xml_all.code == ExitCode.USAGE
    assert "--csv" in xml_all.stderr


def test_table_footer_and_sorted_endpoints(shell: Runner) -> None:
    one = shell.run("--sandbox", "artist", "search", "q=keane", "--table")
    assert one.stdout.splitlines()[-1].endswith("· 1 item"), one
    listed = shell.run("endpoints").stdout.splitlines()[1:]
    paths = [line.split()[0].lower() for line in listed]
    assert paths == sorted(paths)


def test_partner_key_flag_lets_userid_calls_through(shell: Runner) -> None:
    pytest.importorskip("uvicorn")
    proc = shell.popen(
        "sandbox",
        "--port",
        "0",
        "--user-management",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        env = {
            "PY7D_API_URL": url,
            "PY7D_CONSUMER_KEY": "sandbox-key",
            "PY7D_CONSUMER_SECRET": "sandbox-secret",
        }
        out = shell.run("user", "locker", "userId=1001", env=env)
        assert out.code == 0, out
    finally:
        proc.terminate()
        proc.wait(10)


def test_issue_access_token_takes_an_id_or_an_email() -> None:
    from py7D.sandbox import Sandbox

    box = Sandbox()
    key, secret = box.issue_access_token(1001)
    client = py7D.Client(
        box.consumer_key, box.consumer_secret, base_url=box.base_url, transport=box.transport()
    )
    with client:
        client.request("user", "locker", access_token=(key, secret))
    assert box.issue_access_token("ALICE@example.com")[0] != key
    with pytest.raises(LookupError, match="4242"):
        box.issue_access_token(4242)
    with pytest.raises(TypeError):
        box.issue_access_token(1001.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the seed's functions


def test_module_level_client_leaves_no_unclosed_socket(cli: Runner) -> None:
    code = "import py7D; py7D.request('artist', 'search', q='pink', pageSize=1)"
    proc = subprocess.run(
        [sys.executable, "-W", "always", "-X", "dev", "-c", code],
        capture_output=True,
        text=True,
        env=cli.env,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ResourceWarning" not in proc.stderr


# --------------------------------------------------------------------------- structure


def test_cli_modules_do_not_import_the_cli_module() -> None:
    """``py7D.cli`` imports ``_cli``; no ``_cli`` module imports ``py7D.cli`` back."""
    for path in (SRC / "py7D" / "_cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                assert target not in ("..cli", "py7D.cli"), f"{path.name} imports {target}"


def test_completion_offers_every_option_of_the_parsers() -> None:
    offered = set(candidates(["artist", "search", "--"]))
    declared = {o for a in main_parser()._actions for o in a.option_strings if o.startswith("--")}
    assert declared <= offered
    assert {"--csv", "--timeout", "--retries"} <= offered
    for name in COMMANDS:
        if name == "sandbox":
            pytest.importorskip("py7D.sandbox")
        own = {o for a in command_parser(name)._actions for o in a.option_strings}
        assert {o for o in own if o.startswith("--")} <= set(candidates([name, "--"])), name
    assert candidates(["sandbox", "r"]) == ["reset"]


def test_pytest_asyncio_loop_scope_is_set(pytestconfig: pytest.Config) -> None:
    """pytest-asyncio warns on every run while this option is unset."""
    assert pytestconfig.getini("asyncio_default_fixture_loop_scope") == "function"


def test_the_command_runs_quickly_enough_to_be_used_from_scripts(shell: Runner) -> None:
    """Not a timing test: the second --sandbox command reuses the kept catalogue."""
    shell.run("--sandbox", "artist", "search", "q=pink", "pageSize=1")
    cached = list(Path(shell.env["XDG_CACHE_HOME"]).glob("py7d/sandbox-catalogue-*.pickle"))
    assert len(cached) == 1


def test_library_hint_for_an_unknown_path_says_what_happened() -> None:
    from py7D.sandbox import Sandbox

    box = Sandbox()
    client = py7D.Client(
        box.consumer_key, box.consumer_secret, base_url=box.base_url, transport=box.transport()
    )
    with (
        client,
        pytest.warns(py7D.UnknownEndpointWarning),
        pytest.raises(py7D.ResponseParseError) as caught,
    ):
        client.request("frobnicate", "things")
    text = str(caught.value)
    assert "not in py7D's endpoint table" in text
    assert "HTTP 404" in text
    assert "changes state" not in text
