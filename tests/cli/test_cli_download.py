"""``py7d download``: the whole locker from a served sandbox, names, manifest, resume, exits."""

from __future__ import annotations

import _thread
import functools
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Runner, Served, runner_for

from py7D import cli
from py7D._cli import download as command
from py7D._cli.download import Item, assign_paths, choose_format
from py7D.sandbox._catalogue import Catalogue

pytest.importorskip("uvicorn", reason="serving the sandbox needs uvicorn")

# What alice's seeded locker holds, as py7d names it: path -> track id.
EXPECTED = {
    "Keane/Night Train/01 - Stop for a Minute.mp3": 1000024,
    "Keane/Night Train/02 - Clear Skies.mp3": 1000025,
    "Keane/Night Train/03 - Your Love.mp3": 1000026,
    "Pink Martini/Hang On Little Tomato/11 - Where Are You_ (Paris_Tokyo Mix).mp3": 1000140,
    "Sigur Rós/Takk/01 - Takk.mp3": 1000152,
}


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return Catalogue()


def expected_bytes(track_id: int, format_id: int = 17) -> bytes:
    from py7D.sandbox._media_download import track_file

    track = catalogue().track(track_id)
    assert track is not None
    file = track_file(track, format_id)
    return file.read(0, file.size)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """In-process runs of ``py7d`` set up the "py7D" logger for a terminal: undo that."""
    logger = logging.getLogger("py7D")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture(scope="module")
def locker_served() -> Iterator[Served]:
    from py7D import sandbox

    box = sandbox.Sandbox(seeded_locker=True)
    with sandbox.running(box, "127.0.0.1", 0) as url:
        yield Served(url, box.consumer_key, box.consumer_secret, *sandbox.SEEDED_USERS[0][:2])


@pytest.fixture(scope="module")
def logged_in(locker_served: Served, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    runner = runner_for(locker_served, tmp_path_factory.mktemp("home"))
    login = runner.run(
        "login", "--username", locker_served.email, "--password-stdin", input="alice-password\n"
    )
    assert login.code == 0, login
    return runner


def files_under(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file() and p.name != command.MANIFEST_NAME
    }


def test_login_then_download_all_fetches_the_whole_locker(
    logged_in: Runner, tmp_path: Path
) -> None:
    out = tmp_path / "music"
    first = logged_in.run("download", "--all", "--to", str(out))
    assert first.code == 0, first
    assert "\x1b[" not in first.stderr  # piped: no progress bar drawn
    assert "5 files fetched" in first.stderr
    sizes = files_under(out)
    assert set(sizes) == set(EXPECTED)
    for path, track_id in EXPECTED.items():
        assert (out / path).read_bytes() == expected_bytes(track_id), path
    manifest = json.loads((out / command.MANIFEST_NAME).read_text())
    entry = next(e for e in manifest["files"] if e["trackId"] == "1000140")
    assert (
        entry["path"]
        == "Pink Martini/Hang On Little Tomato/11 - Where Are You_ (Paris_Tokyo Mix).mp3"
    )
    assert (entry["formatId"], entry["format"], entry["releaseId"]) == ("17", "MP3 320", "100013")
    assert entry["size"] == sizes[entry["path"]]
    assert len(entry["sha256"]) == 64

    again = logged_in.run("download", "--all", "--to", str(out))
    assert again.code == 0, again
    assert "0 files fetched" in again.stderr
    assert "5 already" in again.stderr

    # A missing file and a damaged one are fetched again, and only they.
    (out / "Keane/Night Train/02 - Clear Skies.mp3").unlink()
    with (out / "Sigur Rós/Takk/01 - Takk.mp3").open("r+b") as damaged:
        damaged.truncate(1000)
    dry = logged_in.run("download", "--all", "--to", str(out), "--dry-run")
    assert dry.code == 0, dry
    assert [line.split()[0] for line in dry.stdout.splitlines()[:-1]].count("fetch") == 2
    third = logged_in.run("download", "--all", "--to", str(out))
    assert "2 files fetched" in third.stderr
    assert (out / "Sigur Rós/Takk/01 - Takk.mp3").read_bytes() == expected_bytes(1000152)


def test_release_and_track_ids_and_formats(logged_in: Runner, tmp_path: Path) -> None:
    out = tmp_path / "some"
    release = logged_in.run("download", "release", "100003", "--to", str(out), "--format", "aac")
    assert release.code == 0, release
    assert sorted(files_under(out)) == [
        "Keane/Night Train/01 - Stop for a Minute.m4a",
        "Keane/Night Train/02 - Clear Skies.m4a",
        "Keane/Night Train/03 - Your Love.m4a",
    ]
    track = logged_in.run("download", "track", "1000152", "--to", str(out), "--format", "17")
    assert track.code == 0, track
    assert "Sigur Rós/Takk/01 - Takk.mp3" in files_under(out)
    flac = logged_in.run("download", "--all", "--to", str(tmp_path / "flac"), "--format", "flac")
    assert flac.code == 3, flac
    assert flac.stderr.count("failed:") == 5  # each one listed
    assert "format 'flac' is not offered" in flac.stderr
    missing = logged_in.run("download", "track", "1000030", "--to", str(out))
    assert missing.code == 2
    assert "not in the user's locker" in missing.stderr


def test_the_progress_bar_is_drawn_on_a_terminal_and_erased(
    logged_in: Runner, tmp_path: Path
) -> None:
    code, shown, _ = logged_in.run_on_tty(
        "download", "--all", "--to", str(tmp_path / "tty"), stream="stderr"
    )
    assert code == 0
    assert " files · " in shown
    assert "\x1b[J" in shown  # erased at the end
    assert "5 files fetched" in shown.rsplit("\x1b[J", 1)[-1]


def test_usage_errors() -> None:
    assert cli.main(["download"]) == 2
    assert cli.main(["download", "--all", "track", "1"]) == 2
    assert cli.main(["download", "track"]) == 2
    assert cli.main(["download", "track", "abc"]) == 2


def test_ctrl_c_keeps_partial_files_and_the_next_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "music"
    real_update = command.Board.update
    interrupted: list[int] = []

    def update(self: command.Board, key: str, name: str, done: int, total: int | None) -> None:
        real_update(self, key, name, done, total)
        if not interrupted and done > 3_000_000:
            interrupted.append(done)
            _thread.interrupt_main()  # what Ctrl-C does
            time.sleep(1)  # this download is still running when the main thread sees it

    monkeypatch.setattr(command.Board, "update", update)
    assert cli.main(["--sandbox", "download", "--all", "--to", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    partial = {p.name: p.stat().st_size for p in out.rglob("*.part")}
    assert partial
    assert all(size > 0 for size in partial.values())

    monkeypatch.setattr(command.Board, "update", real_update)
    assert cli.main(["--sandbox", "download", "--all", "--to", str(out)]) == 0
    err = capsys.readouterr().err
    assert "already on disk" in err  # the partial files were resumed, not fetched again
    assert not list(out.rglob("*.part*"))
    for path, track_id in EXPECTED.items():
        assert (out / path).read_bytes() == expected_bytes(track_id), path


# -------------------------------------------------------------------------- units


def item(track: int, title: str, *, artist: str = "A", release: str = "R", rel: int = 1) -> Item:
    return Item(str(track), str(rel), artist, release, track % 100, 1, title, (("17", "MP3 320"),))


def test_paths_are_safe_and_collisions_resolved() -> None:
    planned = [
        (item(1, "../../etc/passwd"), ".mp3"),
        (item(2, "Intro"), ".mp3"),
        (item(102, "INTRO"), ".mp3"),  # the same number and title but for case
        (item(3, "x", artist="..", release="/"), ".mp3"),
        (item(4, "y", artist="pink", rel=2), ".mp3"),
        (item(5, "z", artist="Pink", rel=3), ".mp3"),
    ]
    paths = assign_paths(planned)
    assert paths["1/1"] == "A/R/01 - etc_passwd.mp3"
    assert paths["1/2"] == "A/R/02 - Intro.mp3"
    assert paths["1/102"] == "A/R/02 - INTRO (2).mp3"
    assert paths["1/3"] == "_/_/03 - x.mp3"
    assert {paths["2/4"].split("/")[0], paths["3/5"].split("/")[0]} == {"pink", "Pink (2)"}
    for path in paths.values():
        assert ".." not in path.split("/")
    # A manifest's names are kept, even when the new order would give them to another.
    remembered = {"3/5": "Pink/R/05 - z.mp3"}
    again = assign_paths(planned, remembered)
    assert again["3/5"] == "Pink/R/05 - z.mp3"
    assert again["2/4"].startswith("pink (2)/")
    # ... unless the manifest was tampered with.
    assert ".." not in assign_paths(planned, {"1/1": "../../x/y.mp3"})["1/1"]


def test_format_choice() -> None:
    offered = [
        ("17", "MP3 320"),
        ("33", "AAC 320"),
        ("45", "FLAC 16-bit 44.1kHz"),
        ("48", "MP3 256"),
    ]
    assert choose_format(offered, None) == ("45", "FLAC 16-bit 44.1kHz")
    assert choose_format(offered[:2], None) == ("17", "MP3 320")
    assert choose_format(offered, "mp3-320") == ("17", "MP3 320")
    assert choose_format(offered, "mp3") == ("17", "MP3 320")
    assert choose_format(offered, "aac") == ("33", "AAC 320")
    assert choose_format(offered, "flac-16") == ("45", "FLAC 16-bit 44.1kHz")
    assert choose_format(offered, "48") == ("48", "MP3 256")
    assert choose_format(offered, "flac-24") is None
    assert choose_format([*offered, ("52", "FLAC 24-bit 44.1kHz")], "flac")[0] == "52"


def test_the_board_draws_only_on_a_terminal() -> None:
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped = io.StringIO()
    board = command.Board(piped, 2)
    board.update("a", "a.mp3", 10, 100)
    board.close()
    assert piped.getvalue() == ""
    tty = Tty()
    now = [0.0]
    board = command.Board(tty, 2, clock=lambda: now[0])
    now[0] = 1.0
    board.update("a", "a.mp3", 500_000, 1_000_000)
    assert "0/2 files" in tty.getvalue()
    assert "a.mp3" in tty.getvalue()
    board.done("a", 1_000_000)
    assert "1/2 files" in tty.getvalue()
    board.close()
    assert tty.getvalue().endswith("\x1b[J")
