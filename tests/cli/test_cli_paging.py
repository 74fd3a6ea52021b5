"""``--all`` and ``--limit``: JSON Lines on stdout, a progress bar on a terminal's stderr only."""

from __future__ import annotations

import json
import re

# artist 2 (Pink Floyd) has 5 releases in the sandbox's catalogue; 2 per page -> 3 pages.
RELEASES = ("artist", "releases", "artistId=2", "pageSize=2")


def _total(cli) -> int:
    out = cli.run(*RELEASES)
    return int(json.loads(out.stdout)["response"]["releases"]["totalItems"])


def test_all_writes_one_json_object_per_item(module_cli) -> None:
    total = _total(module_cli)
    assert total > 2  # more than one page
    out = module_cli.run(*RELEASES, "--all")
    assert out.code == 0, out
    items = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(items) == total
    assert len({item["@id"] for item in items}) == total
    assert all("title" in item for item in items)


def test_no_progress_bar_when_stderr_is_not_a_terminal(module_cli) -> None:
    out = module_cli.run(*RELEASES, "--all")
    assert out.code == 0
    assert out.stderr == ""


def test_progress_bar_on_a_terminal_then_erased(module_cli) -> None:
    code, shown, piped = module_cli.run_on_tty(*RELEASES, "--all", stream="stderr")
    assert code == 0, shown
    assert re.search(r"\d+/\d+ items · page \d+/\d+ · [\d.]+ items/s", shown), shown
    assert shown.endswith("\r\x1b[K")  # the bar is erased at the end
    assert len(piped.splitlines()) == _total(module_cli)  # stdout still has only items


def test_no_progress_flag_silences_the_bar(module_cli) -> None:
    code, shown, _ = module_cli.run_on_tty(*RELEASES, "--all", "--no-progress")
    assert code == 0
    assert shown == ""


def test_limit_stops_early(module_cli) -> None:
    out = module_cli.run(*RELEASES, "--limit", "3")
    assert out.code == 0, out
    assert len(out.stdout.splitlines()) == 3


def test_all_with_table_streams_rows_under_one_header(module_cli) -> None:
    out = module_cli.run(*RELEASES, "--all", "--table")
    assert out.code == 0, out
    rows = out.stdout.splitlines()
    assert rows[0].split()[:2] == ["id", "title"]
    assert len(rows) == 2 + _total(module_cli)


def test_all_on_an_endpoint_without_pages_is_a_usage_error(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=2", "--all")
    assert out.code == 2
    assert "not a paged endpoint" in out.stderr


def test_all_with_xml_is_a_usage_error(module_cli) -> None:
    out = module_cli.run(*RELEASES, "--all", "--xml")
    assert out.code == 2
    assert "--xml" in out.stderr


def test_closed_stdout_ends_quietly(module_cli) -> None:
    import subprocess

    proc = module_cli.popen(
        "tag", "pageSize=1", "--all", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert json.loads(proc.stdout.readline())
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == 141
    assert "Traceback" not in err
