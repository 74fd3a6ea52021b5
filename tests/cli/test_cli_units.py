"""The command's pure parts, in-process: argument handling, tables, the progress bar, --explain."""

from __future__ import annotations

import io
import subprocess
import sys
from urllib.parse import quote

import pytest

from py7D._cli.call import canonical_params, parse_targets, split_call_argv, to_camel
from py7D._cli.errors import describe
from py7D._cli.progress import Progress
from py7D._cli.signing import explain
from py7D._cli.table import TableWriter, choose_columns, flatten_item
from py7D._endpoints import find_endpoint
from py7D.cli import ExitCode, UsageError, find_command, main, main_parser


@pytest.mark.parametrize(
    ("argv", "options", "targets"),
    [
        (["artist", "search", "q=pink"], [], ["artist", "search", "q=pink"]),
        (["a", "b", "--q", "pink", "--page-size", "3"], [], ["a", "b", "q=pink", "pageSize=3"]),
        (["artist", "search", "--q=pink floyd"], [], ["artist", "search", "q=pink floyd"]),
        (["--limit", "5", "tag", "--all"], ["--limit", "5", "--all"], ["tag"]),
        (["tag", "--show-errors", "--table"], ["--table"], ["tag", "showErrors=true"]),
        (["x", "--page-size", "-1"], [], ["x", "pageSize=-1"]),
        (["x", "--", "--not-an-option=1"], [], ["x", "--not-an-option=1"]),
        (["x", "-h"], ["-h"], ["x"]),
        (["--profile", "work", "user", "locker"], ["--profile", "work"], ["user", "locker"]),
    ],
)  # fmt: skip
def test_split_call_argv(argv: list[str], options: list[str], targets: list[str]) -> None:
    assert split_call_argv(argv, main_parser()) == (options, targets)


def test_to_camel() -> None:
    assert to_camel("page-size") == "pageSize"
    assert to_camel("q") == "q"
    assert to_camel("seven-digital-ids") == "sevenDigitalIds"


def test_parse_targets() -> None:
    assert parse_targets(["tag"]) == ("tag", {})
    assert parse_targets(["basket", "basketId=1"]) == ("basket", {"basketId": "1"})
    assert parse_targets(["artist", "bytag/top", "tags=rock", "tags=pop"]) == (
        "artist/bytag/top",
        {"tags": "rock,pop"},
    )
    assert parse_targets(["release/details", "releaseId=1"])[0] == "release/details"
    assert parse_targets(["x", "y", "k=a=b"])[1] == {"k": "a=b"}
    for bad in ([], ["q=pink"], ["artist", "search", "pink"], ["artist", "search", "=x"]):
        with pytest.raises(UsageError):
            parse_targets(bad)


def test_canonical_params_spell_names_as_the_table() -> None:
    ep = find_endpoint("artist/releases")
    got = canonical_params({"artistid": "1", "page_size": "2", "other": "x"}, ep)
    assert got == {"artistId": "1", "pageSize": "2", "other": "x"}
    assert canonical_params({"ArtistId": "1"}, None) == {"ArtistId": "1"}


def test_find_command_skips_global_options() -> None:
    assert find_command(["--profile", "login", "whoami"]) == 2
    assert find_command(["--sandbox", "login"]) == 1
    assert find_command(["artist", "search"]) is None
    assert find_command(["--", "login"]) is None


def test_flatten_unwraps_search_results() -> None:
    item = {"type": "artist", "score": "4.4", "artist": {"@id": "2", "name": "Pink Floyd"}}
    assert flatten_item(item) == {
        "type": "artist",
        "score": "4.4",
        "@id": "2",
        "name": "Pink Floyd",
    }
    nested = {"@id": "1", "artist": {"name": "A"}, "label": {"name": "L"}, "tags": [1, 2]}
    assert flatten_item(nested) == {"@id": "1", "artist.name": "A", "label.name": "L"}


def test_columns_prefer_ids_and_names_and_fit_the_width() -> None:
    rows = [{"url": "http://x/" + "a" * 50, "name": "Pink", "@id": "3", "popularity": "0.9"}]
    columns = [key for key, _ in choose_columns(rows, 30)]
    assert columns[:2] == ["@id", "name"]
    assert "url" not in columns


def test_table_writer_truncates_long_cells() -> None:
    out = io.StringIO()
    writer = TableWriter(out, width=80)
    writer.write([{"@id": "1", "title": "x" * 100}])
    writer.write([{"@id": "2", "title": "short"}])
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "title"]
    assert lines[2].endswith("…")
    assert lines[3].split() == ["2", "short"]
    assert writer.count == 2


def test_progress_line_and_throttle() -> None:
    now = [100.0]
    out = io.StringIO()
    bar = Progress(out, enabled=True, clock=lambda: now[0])
    now[0] = 102.0
    assert (
        bar.line(50, 2, 10, 500) == "[##..................] 50/500 items · page 2/10 · 25.0 items/s"
    )
    assert bar.line(50, 2, None, None) == "50 items · page 2 · 25.0 items/s"
    bar.update(50, 2, 10, 500)
    bar.update(60, 3, 10, 500)  # within the interval: not drawn
    assert out.getvalue().count("\r\x1b[K") == 1
    bar.close()
    assert out.getvalue().endswith("\r\x1b[K")


def test_progress_draws_nothing_when_disabled() -> None:
    out = io.StringIO()  # not a terminal
    bar = Progress(out)
    bar.update(1, 1, 1, 1)
    bar.close()
    assert out.getvalue() == ""


# OAuth Core 1.0 Appendix A (see /work/shared/api/oauth-vectors.md): a published answer.
VECTOR_URL = (
    "http://photos.example.net/photos?file=vacation.jpg&size=original"
    "&oauth_consumer_key=dpf43f3p2l4k3l03&oauth_token=nnch734d00sl2jdk"
    "&oauth_nonce=kllo9940pd9333jh&oauth_timestamp=1191242096"
    "&oauth_signature_method=HMAC-SHA1&oauth_version=1.0"
    "&oauth_signature=" + quote("tR3+Ty81lMeYAr/Fid0kMTYa/WM=", safe="")
)
VECTOR_BASE = (
    "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg"
    "%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh"
    "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
    "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
)


def test_explain_reproduces_the_published_vector() -> None:
    steps = explain(VECTOR_URL, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00")
    assert steps.base_uri == "http://photos.example.net/photos"
    assert steps.base_string == VECTOR_BASE
    assert steps.expected == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
    assert steps.matches
    assert not steps.two_legged
    assert steps.encoded[0] == ("file", "vacation.jpg")
    assert "oauth_signature" not in dict(steps.parameters)


def test_explain_command_checks_the_vector(plain_env) -> None:
    env = plain_env
    env.update(PY7D_CONSUMER_KEY="dpf43f3p2l4k3l03", PY7D_CONSUMER_SECRET="kd94hf93k423kf44")
    proc = subprocess.run(
        [sys.executable, "-m", "py7D", "sign", VECTOR_URL, "--explain", "--token", "-"],
        input="nnch734d00sl2jdk:pfkkdhi9sl3r4s00\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert VECTOR_BASE in proc.stdout
    assert "-> matches" in proc.stdout
    assert "kd94hf93k423kf44" not in proc.stdout
    assert "pfkkdhi9sl3r4s00" not in proc.stdout


def test_describe_maps_each_error_class_to_its_status() -> None:
    import py7D

    cases = [
        (py7D.ConfigurationError("no key"), ExitCode.CONFIG),
        (py7D.ValidationError("bad"), ExitCode.USAGE),
        (py7D.ResourceNotFoundError(2001, "Artist not found"), ExitCode.API),
        (py7D.RateLimitedError(7001, "slow down", retry_after=3), ExitCode.API),
        (py7D.OAuthError("Invalid signature"), ExitCode.AUTH),
        (py7D.TransportError("network error: ConnectError"), ExitCode.NETWORK),
        (py7D.RequestTimeoutError("timed out"), ExitCode.NETWORK),
        (py7D.ResponseParseError("not XML"), ExitCode.REPLY),
    ]
    for exc, code in cases:
        found = describe(exc)
        assert found is not None
        assert found[0] == code, exc
    assert describe(ValueError("bug")) is None
    assert "wait 3 s" in describe(cases[3][0])[1]


def test_internal_errors_are_one_line_without_debug(monkeypatch, capsys) -> None:
    def boom(argv, parser):
        raise ValueError("unexpected")

    monkeypatch.setattr("py7D._cli.call.run_call", boom)
    assert main(["artist", "search"]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("py7d: internal error: ValueError: unexpected")
    assert err.count("\n") == 1
    with pytest.raises(ValueError, match="unexpected"):
        main(["--debug", "artist", "search"])


HEAVY = ("httpx", "oauthlib", "xmltodict", "py7D.sandbox", "py7D._client")


def _loaded_by(statement: str, env: dict[str, str]) -> set[str]:
    code = (
        f"import sys; before = set(sys.modules); {statement}; print(*(set(sys.modules) - before))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_cli_module_adds_no_heavy_import(plain_env) -> None:
    # Whatever ``import py7D`` itself loads, py7D.cli must not add the heavy dependencies.
    added = _loaded_by("import py7D; before = set(sys.modules); import py7D.cli", plain_env)
    assert not {m for m in added if m.split(".")[0] in HEAVY or m in HEAVY}


def test_help_imports_no_heavy_dependency(plain_env) -> None:
    if {"httpx"} & _loaded_by("import py7D", plain_env):
        pytest.skip("py7D/__init__.py imports httpx eagerly (the lazy __init__ is on branch perf)")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "py7D", "--help"],
        capture_output=True,
        text=True,
        env=plain_env,
        timeout=30,
    )
    assert proc.returncode == 0
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    assert not set(HEAVY) & imported


def _imported(importtime: str) -> set[str]:
    """The modules named in ``python -X importtime``'s report (its standard error)."""
    return {
        line.split("|")[-1].strip()
        for line in importtime.splitlines()
        if line.startswith("import time:")
    }


#: What an in-process sandbox call has no use for: the servers and the async stack.
NOT_FOR_IN_PROCESS = ("uvicorn", "starlette", "aiohttp", "httpx_aiohttp", "anyio", "asyncio")


def test_in_process_sandbox_call_imports_no_server_or_async_stack(plain_env, tmp_path) -> None:
    pytest.importorskip("py7D.sandbox", reason="the sandbox is needed")
    env = {
        **plain_env,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    command = ["-m", "py7D", "--sandbox", "artist", "search", "q=pink", "pageSize=3"]
    # The first run builds and keeps the catalogue, the second reads it back.
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert '"name":"Pink Floyd"' in proc.stdout
        imported = _imported(proc.stderr)
        assert "py7D.sandbox" in imported  # the check below looks at the right process
        assert not {m for m in imported if m.split(".")[0] in NOT_FOR_IN_PROCESS}
        assert "py7D._async_client" not in imported


def test_the_command_never_imports_trio(cli) -> None:
    """httpcore imports trio at start-up when it is installed; the py7d command, which
    never runs under trio, marks it absent (a third of a short command's time)."""
    pytest.importorskip("trio", reason="only matters where trio is installed")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "py7D", "artist", "details", "artistId=1"],
        capture_output=True,
        text=True,
        env=cli.environ(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = _imported(proc.stderr)
    assert "httpcore" in imported  # the call went through httpx's transport
    # ("trio" itself is listed: the attempt that stops at once.)
    assert not {m for m in imported if m.startswith("trio.")}
    # The library itself leaves trio alone: AsyncClient runs under trio.
    assert sys.modules.get("trio", True) is not None
