"""``py7d RESOURCE ACTION ...`` against a served sandbox: output modes and ways to write a call."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest


def _search(cli, *extra: str):
    return cli.run("artist", "search", "q=pink", "pageSize=3", *extra)


def test_piped_output_is_compact_json(module_cli) -> None:
    out = _search(module_cli)
    assert out.code == 0, out
    assert out.stdout.count("\n") == 1
    doc = json.loads(out.stdout)
    results = doc["response"]["searchResults"]
    assert doc["response"]["@status"] == "ok"
    assert results["pageSize"] == "3"
    names = [r["artist"]["name"] for r in results["searchResult"]]
    assert "Pink Floyd" in names


def test_terminal_output_is_indented_json(module_cli) -> None:
    code, shown, _ = module_cli.run_on_tty("artist", "search", "q=pink", stream="stdout")
    assert code == 0
    assert '\n  "response": {' in shown
    assert json.loads(shown)["response"]["searchResults"]["totalItems"]


def test_pretty_and_compact_override_the_terminal_test(module_cli) -> None:
    assert _search(module_cli, "--pretty").stdout.startswith('{\n  "response"')
    code, shown, _ = module_cli.run_on_tty(
        "artist", "search", "q=pink", "--compact", stream="stdout"
    )
    assert code == 0
    assert shown.strip().count("\n") == 0


def test_option_style_parameters_equal_key_value(module_cli) -> None:
    key_value = _search(module_cli)
    options = module_cli.run("artist", "search", "--q", "pink", "--page-size", "3")
    mixed = module_cli.run("artist", "search", "--q=pink", "pagesize=3")
    assert options.code == mixed.code == 0, (options, mixed)
    assert json.loads(options.stdout) == json.loads(key_value.stdout) == json.loads(mixed.stdout)


def test_path_may_be_written_with_a_slash(module_cli) -> None:
    out = module_cli.run("artist/details", "artistId=2")
    assert out.code == 0, out
    assert json.loads(out.stdout)["response"]["artist"]["name"] == "Pink Floyd"


def test_xml_prints_the_raw_reply(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=2", "--xml")
    assert out.code == 0, out
    assert out.stdout.lstrip().startswith("<?xml") or out.stdout.lstrip().startswith("<response")
    assert "<name>Pink Floyd</name>" in out.stdout


def test_xml_with_headers_is_like_curl_include(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=2", "--xml", "--headers")
    assert out.code == 0, out
    head, _, body = out.stdout.partition("\n\n")
    assert head.splitlines()[0] == "HTTP 200"
    assert any(line.lower().startswith("content-type:") for line in head.splitlines())
    assert "<name>Pink Floyd</name>" in body


def test_headers_adds_the_seeds_http_headers(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=2", "--headers")
    assert out.code == 0, out
    doc = json.loads(out.stdout)
    assert doc["http_headers"]["status"] == "200"
    assert "content-type" in doc["http_headers"]
    assert set(doc) == {"response", "http_headers"}


def test_table_of_search_results(module_cli) -> None:
    out = _search(module_cli, "--table")
    assert out.code == 0, out
    rows = out.stdout.splitlines()
    assert rows[0].split()[:2] == ["id", "name"]
    assert set(rows[1]) <= {"─", " "}
    assert any("Pink Floyd" in row for row in rows[2:])
    assert rows[-1].startswith("page 1 of ")


def test_table_of_a_details_reply_lists_fields(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=2", "--table")
    assert out.code == 0, out
    fields = {line.split()[0]: line.split(None, 1)[1] for line in out.stdout.splitlines()}
    assert fields["id"] == "2"
    assert fields["name"] == "Pink Floyd"


def test_normalize_makes_repeating_elements_lists(module_cli) -> None:
    from py7D import _xml

    try:
        _xml.normalize({}, ())
    except NotImplementedError:
        pytest.skip("py7D._xml.normalize is not implemented yet (branch xml)")
    plain = json.loads(module_cli.run("artist", "search", "q=pink floyd", "pageSize=1").stdout)
    out = module_cli.run("artist", "search", "q=pink floyd", "pageSize=1", "--normalize")
    assert out.code == 0, out
    assert isinstance(plain["response"]["searchResults"]["searchResult"], dict)
    assert isinstance(json.loads(out.stdout)["response"]["searchResults"]["searchResult"], list)


def test_empty_action_endpoints(module_cli) -> None:
    tags = module_cli.run("tag", "pageSize=2")
    assert tags.code == 0, tags
    assert len(json.loads(tags.stdout)["response"]["tags"]["tag"]) == 2
    created = module_cli.run("basket", "create")
    basket_id = json.loads(created.stdout)["response"]["basket"]["@id"]
    out = module_cli.run("basket", f"basketId={basket_id}")
    assert out.code == 0, out
    assert json.loads(out.stdout)["response"]["basket"]["@id"] == basket_id


def test_two_legged_endpoint_is_signed_automatically(module_cli) -> None:
    out = module_cli.run("artist", "match/byId", "sevenDigitalIds=2")
    assert out.code == 0, out
    assert "matches" in json.loads(out.stdout)["response"]


def test_free_form_path_is_sent_with_a_note(module_cli) -> None:
    out = module_cli.run("playlists", "details", "playlistId=1")
    lines = out.stderr.splitlines()
    assert lines[0].startswith("py7d: note: playlists/details is not in the endpoint table")
    assert "Resource not found" in lines[1]  # it was sent: the sandbox does not know it
    assert out.code == 7


def test_country_option_is_sent(module_cli) -> None:
    out = module_cli.run("--debug", "--country", "US", "artist", "details", "artistId=2")
    assert out.code == 0, out
    assert "country=US" in out.stderr


def test_help_of_an_endpoint_comes_from_the_table(module_cli) -> None:
    out = module_cli.run("artist", "search", "--help")
    assert out.code == 0
    assert "GET artist/search" in out.stdout
    assert "q=" in out.stdout
    assert "paged" in out.stdout


def test_main_help_has_examples_and_exit_codes(module_cli) -> None:
    out = module_cli.run("--help")
    assert out.code == 0
    for text in ("examples:", "exit status:", "py7d artist search", "login", "completion"):
        assert text in out.stdout


@pytest.mark.parametrize(
    "command", ["endpoints", "login", "logout", "whoami", "sign", "completion", "sandbox"]
)
def test_every_command_has_help_with_examples(module_cli, command: str) -> None:
    out = module_cli.run(command, "--help")
    assert out.code == 0, out
    assert f"usage: py7d {command}" in out.stdout
    assert "examples:" in out.stdout
    assert "exit status:" in out.stdout


def test_installed_entry_point(module_cli) -> None:
    exe = shutil.which("py7d")
    if exe is None:
        pytest.skip("py7D is not installed here (no py7d on PATH)")
    proc = subprocess.run(
        [exe, "--version"], capture_output=True, text=True, env=module_cli.env, timeout=30
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("py7d (py7D)")


def test_sandbox_flag_runs_an_embedded_sandbox(module_cli) -> None:
    out = module_cli.run(
        "--sandbox",
        "artist",
        "details",
        "artistId=2",
        env={"PY7D_API_URL": "http://127.0.0.1:9/1.2"},  # must not be used
    )
    assert out.code == 0, out
    assert json.loads(out.stdout)["response"]["artist"]["name"] == "Pink Floyd"


def test_non_utf8_stdout_gets_escaped_json(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=5", env={"PYTHONIOENCODING": "ascii"})
    assert out.code == 0, out
    assert "\\u00f3" in out.stdout
    assert json.loads(out.stdout)["response"]["artist"]["name"] == "Sigur Rós"
    table = module_cli.run(
        "artist", "details", "artistId=5", "--table", env={"PYTHONIOENCODING": "ascii"}
    )
    assert table.code == 0, table
    assert "Sigur R?s" in table.stdout


def test_sandbox_command_serves_for_other_calls(cli) -> None:
    import signal

    proc = cli.popen(
        "sandbox",
        "--port",
        "0",
        "--user",
        "carol@example.com:carol-pw",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        url = first.split("serving on ", 1)[1].strip()
        out = cli.run("--api-url", url, "artist", "details", "artistId=2")
        assert out.code == 0, out
        assert json.loads(out.stdout)["response"]["artist"]["name"] == "Pink Floyd"
        login = cli.run(
            "--api-url",
            url,
            "login",
            "--username",
            "carol@example.com",
            "--password-stdin",
            input="carol-pw\n",
        )
        assert login.code == 0, login
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_endpoints_added_from_7digitals_sources(module_cli) -> None:
    """artist/recommend, merchandising/list/details and a templated basket path, by CLI."""
    recommended = module_cli.run("artist", "recommend", "artistId=2", "pageSize=2")
    assert recommended.code == 0, recommended
    items = json.loads(recommended.stdout)["response"]["recommendations"]["recommendedItem"]
    assert len(items) == 2
    listed = module_cli.run("merchandising", "list/details", "key=hmv1")
    assert listed.code == 0, listed
    assert json.loads(listed.stdout)["response"]["list"]["key"] == "hmv1"
    created = module_cli.run("basket", "create")
    basket_id = json.loads(created.stdout)["response"]["basket"]["@id"]
    status = module_cli.run(f"basket/{basket_id}/status")
    assert status.code == 0, status
    assert json.loads(status.stdout)["response"]["paymentStatus"] == "Failure"
