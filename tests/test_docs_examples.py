"""Every example of README.md and of the documentation site (``docs/**/*.md``) runs as written.

Each fenced ``python`` or ``sh`` block is one test, named after its file, its
section heading and its place in that section. The blocks of all pages run, in
order, against ONE sandbox served on a loopback port, as a reader who started
``py7d sandbox`` once and tried the examples one after another would: so an
example that left the sandbox changed for the next ones (a seeded user's e-mail
or password, Alice's card) fails here.

``python`` blocks run in an empty namespace (``__name__ == "__main__"``), with
py7D's settings pointed at the served sandbox through ``PY7D_API_URL``,
``PY7D_CONSUMER_KEY`` and ``PY7D_CONSUMER_SECRET``: every name a block uses
must be imported or defined in the block itself. How a block is checked
depends on what it shows:

* ``>>>`` blocks run through :mod:`doctest`: the outputs shown must be exact.
* A statement followed by a comment ``# SomeError: message`` must raise
  ``py7D.SomeError`` with exactly that message.
* Top-level ``await`` is refused: async examples define a coroutine and run it
  with ``asyncio.run``.
* Blocks that are pytest files (``# conftest.py``, ``def test_...``) run in a
  pytest session of their own, one per page, with py7D's plugin.
* ``input()`` (the token flow's "press Enter") is answered as a user in a
  browser would: the authorisation URL printed last is approved as Alice.

``sh`` blocks run through ``bash -e -o pipefail`` in a temporary directory and
home, with a ``py7d`` on PATH that runs this checkout and the same settings in
the environment. ``py7d sandbox ...`` lines serve until Ctrl-C: each is started
on a free port, waited for and stopped (``py7d sandbox SUBCOMMAND`` runs as any other
line); ``127.0.0.1:8000`` in the other lines
is the served sandbox. ``pip install`` cannot run in a test: the extras it
names must exist, and the rest of its line runs. The README's test command is
what ``.ci/run`` runs (checked by ``test_first_commands_are_what_ci_runs``).

A page whose ``sh`` blocks are one journey in one shell (``SH_SESSIONS``) has them
run together by the test named there.

A block preceded by ``<!-- not run: reason -->`` is skipped with that reason
(there may be only a few). Other fences (``console``, ``text``, ``toml``) are
shown, not run.
"""

from __future__ import annotations

import builtins
import doctest
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import httpx
import pytest

import py7D
from py7D.sandbox import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    SEEDED_USERS,
    Sandbox,
    running,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CI_RUN = ROOT / ".ci" / "run"
SRC = ROOT / "src"

ALICE = ("alice@example.com", "alice-password")
PYTEST_FILE_MARKERS = ("# conftest.py",)
# Pages whose sh blocks are one journey in one shell (a later block uses an earlier one's
# variables and state): the named test runs them together, in order.
SH_SESSIONS = {"docs/guides/shell-store.md": "tests/cli/test_cli_shell_store_doc.py"}
MAX_NOT_RUN = 6  # over README.md and every page of docs/
RUN_LANGS = ("python", "sh")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[ \t]*$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
_NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>.+?)\s*-->$")
# "py7d sandbox" with options only (a server), as opposed to "py7d --sandbox ..." or a subcommand.
_SERVES = re.compile(r"^py7d\s+(?:--?\S+\s+)*sandbox(?:\s+-\S+(?:\s+[^-\s]\S*)?)*\s*&?$")
_RAISES = re.compile(r"^#\s*(?P<error>[A-Z]\w*(?:Error|Exception|Warning)):\s(?P<message>.+)$")


def doc_files() -> list[Path]:
    """README.md, then every Markdown page of the site, in path order."""
    return [README, *sorted(DOCS.rglob("*.md"))]


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    path: Path
    lang: str
    section: str
    index: int  # 1-based, among the blocks of the same language in the section
    line: int  # 1-based line of the first code line
    code: str
    not_run: str | None

    @property
    def page(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")
        suffix = "" if self.lang == "python" else f"-{self.lang}"
        return f"{self.page}::{slug}-{self.index}{suffix}"

    @property
    def first_line(self) -> str:
        return self.code.lstrip().split("\n", 1)[0].strip()


def page_blocks(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of a page, with its section and any ``not run`` marker."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks: list[Block] = []
    counts: dict[tuple[str, str], int] = {}
    section = "(top)"
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            heading = _HEADING.match(lines[i])
            if heading:
                section = heading["title"]
            i += 1
            continue
        start, lang, indent = i, fence["lang"], fence["indent"]
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line
            for line in lines[start + 1 : i]
        )
        previous = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        marker = _NOT_RUN.match(previous)
        key = (section, lang)
        counts[key] = counts.get(key, 0) + 1
        blocks.append(
            Block(
                path=path,
                lang=lang,
                section=section,
                index=counts[key],
                line=start + 2,
                code=textwrap.dedent(body) + "\n",
                not_run=marker["reason"] if marker else None,
            )
        )
        i += 1
    return blocks


def all_blocks() -> list[Block]:
    return [b for path in doc_files() for b in page_blocks(path)]


def readme_blocks() -> list[Block]:
    return page_blocks(README)


def _is_pytest_file(block: Block) -> bool:
    return block.lang == "python" and (
        block.first_line in PYTEST_FILE_MARKERS
        or bool(re.search(r"^(async )?def test_", block.code, re.M))
    )


def _test_command() -> str:
    return readme_blocks()[1].code.strip()


def example_blocks() -> list[Block]:
    """The blocks run one by one, in page order."""
    return [
        b
        for b in all_blocks()
        if b.lang in RUN_LANGS
        and not _is_pytest_file(b)
        and b.code.strip() != _test_command()
        and not (b.lang == "sh" and b.page in SH_SESSIONS)
    ]


# -- one served sandbox for every example ------------------------------------------------------


@dataclass
class Served:
    url: str
    sandbox: Sandbox

    @property
    def netloc(self) -> str:
        return httpx.URL(self.url).netloc.decode("ascii")

    def environ(self) -> dict[str, str]:
        return {
            "PY7D_API_URL": self.url,
            "PY7D_CONSUMER_KEY": DEFAULT_CONSUMER_KEY,
            "PY7D_CONSUMER_SECRET": DEFAULT_CONSUMER_SECRET,
        }

    def seeded_state(self) -> object:
        """What later examples rely on: the seeded users' logins and cards, asked over its API."""
        box = self.sandbox
        seen: list[object] = []
        with py7D.Client(
            box.consumer_key,
            box.consumer_secret,
            base_url=box.base_url,
            transport=box.transport(),
            retries=None,
        ) as client:
            for email, password, _ in SEEDED_USERS:
                try:
                    seen.append(
                        client.user.authenticate(email_address=email, password=password).data
                    )
                    token = py7D.Token(*box.issue_access_token(email))
                    seen.append(client.user.payment_card(access_token=token, normalize=True).data)
                except py7D.Py7DError as exc:  # e.g. the e-mail address changed
                    seen.append(f"{email}: {exc}")
        return seen


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    sandbox = Sandbox()
    with running(sandbox) as url:
        yield Served(url, sandbox)


@pytest.fixture
def environ(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """py7D's settings point at the served sandbox; the default client is fresh."""
    for name in list(os.environ):
        if name.startswith("PY7D_"):
            monkeypatch.delenv(name)
    for name, value in served.environ().items():
        monkeypatch.setenv(name, value)
    _reset_default_client()
    before = served.seeded_state()
    yield served
    _reset_default_client()
    assert served.seeded_state() == before, (
        "the example changed the sandbox for the examples after it "
        "(a seeded user's e-mail, password or card): put it back at the end"
    )


def _reset_default_client() -> None:
    previous = py7D.set_default_client(None)
    if previous is not None:
        previous.close()


_AUTHORISE_URL = re.compile(r"https?://\S+/oauth/authorise\?\S+")


@pytest.fixture
def namespace(
    environ: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """The globals a python example runs in: nothing but builtins."""

    def approve_then_enter(prompt: object = "") -> str:
        """The user opens the authorisation URL printed last, logs in as Alice, presses Enter."""
        shown = capsys.readouterr().out
        sys.stdout.write(shown)  # keep it in the test's captured output
        urls = _AUTHORISE_URL.findall(shown)
        assert urls, f"input() called before an authorisation URL was printed: {shown!r}"
        email, password = ALICE
        page = httpx.post(urls[-1], data={"email": email, "password": password})
        assert page.status_code in (200, 302, 303), page.text
        print(prompt)
        return ""

    monkeypatch.setattr(builtins, "input", approve_then_enter)
    return {"__name__": "__main__", "__builtins__": builtins}


# -- running a python block --------------------------------------------------------------------


def _run_doctest(block: Block, ns: dict[str, Any]) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.code, ns, block.id, str(block.path), block.line - 1
    )
    out = io.StringIO()
    runner = doctest.DocTestRunner(verbose=False)
    runner.run(test, out=out.write, clear_globs=False)
    assert runner.failures == 0, out.getvalue()
    assert test.examples, "no >>> example in the block"


def _chunks(code: str) -> list[tuple[str, tuple[str, str] | None]]:
    """Code split before each ``# XError: message`` comment: (code, expected error or None)."""
    chunks: list[tuple[str, tuple[str, str] | None]] = []
    pending: list[str] = []
    for line in code.splitlines(keepends=True):
        raises = _RAISES.match(line.strip())
        if raises:
            chunks.append(("".join(pending), (raises["error"], raises["message"])))
            pending = []
        else:
            pending.append(line)
    chunks.append(("".join(pending), None))
    return chunks


def _run_python(block: Block, ns: dict[str, Any]) -> None:
    filename = f"{block.page}:{block.line}"
    offset = 0
    for code, expected in _chunks(block.code):
        padded = "\n" * (block.line - 1 + offset) + code
        offset += code.count("\n") + (1 if expected else 0)
        compiled = compile(padded, filename, "exec")  # top-level await is a SyntaxError
        if expected is None:
            exec(compiled, ns)
            continue
        name, message = expected
        error = getattr(py7D, name)
        with pytest.raises(error) as caught:
            exec(compiled, ns)
        assert str(caught.value) == message, f"{code.strip()} raised {caught.value!r}"


# -- running an sh block -----------------------------------------------------------------------


def _extras_exist(command: str) -> None:
    """``pip install ".[a,b]"`` / ``"py7D[a]"``: every extra named is one of pyproject's."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for group in re.findall(r"\[([\w,-]+)\]", command):
        for extra in group.split(","):
            assert extra in extras, f"{command!r} names an extra pyproject.toml lacks: {extra}"


def _shell_env(served: Served, home: Path) -> dict[str, str]:
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    shim = bin_dir / "py7d"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m py7D "$@"\n')
    shim.chmod(0o755)
    scrub = ("PY7D_", "XDG_CONFIG_HOME", "COLUMNS", "LINES")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrub)}
    env.update(served.environ())
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _serve_and_stop(line: str, env: dict[str, str], cwd: Path) -> None:
    command = re.sub(r"--port \d+", "--port 0", line.rstrip("&").strip())
    if "--port" not in command:
        command += " --port 0"
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = ""
    for _ in range(20):  # the line that says it serves (a blank line may come first)
        first += proc.stdout.readline()
        if "serving on http://" in first or proc.poll() is not None:
            break
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    assert "serving on http://" in first, f"{line!r} did not serve: {first}{err}"
    assert proc.returncode == 0, f"{line!r} exited {proc.returncode}: {err}"


def _script(block: Block, served: Served, env: dict[str, str], cwd: Path) -> str:
    """The block as a bash script: sandbox lines served and stopped, pip lines checked."""
    lines: list[str] = []
    for raw in re.sub(r"\\\n\s*", " ", block.code).splitlines():  # continuation lines joined
        line = raw.strip()
        if line.startswith("pip install"):
            install, _, rest = line.partition(" && ")
            _extras_exist(install)
            line = rest
        if _SERVES.match(line.split(" #")[0].strip()):
            _serve_and_stop(line.split(" #")[0], env, cwd)
            continue
        lines.append(line.replace("127.0.0.1:8000", served.netloc))
    return "\n".join(lines)


def _run_sh(block: Block, served: Served, tmp_path: Path) -> None:
    env = _shell_env(served, tmp_path / "home")
    work = tmp_path / "work"
    work.mkdir()
    script = _script(block, served, env, work)
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, (
        f"{block.page}:{block.line} exited {proc.returncode}\n{script}\n"
        f"stdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-1500:]}"
    )


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("block", example_blocks(), ids=lambda b: b.id)
def test_example(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if block.not_run is not None:
        pytest.skip(f"not run: {block.not_run}")
    if block.lang == "sh":
        _run_sh(block, request.getfixturevalue("environ"), tmp_path)
        return
    ns = request.getfixturevalue("namespace")
    try:
        if re.search(r"^>>> ", block.code, re.M):
            _run_doctest(block, ns)
        else:
            _run_python(block, ns)
    finally:
        for value in ns.values():
            if isinstance(value, py7D.Client):
                value.close()


def _pages_with_pytest_files() -> list[Path]:
    return [p for p in doc_files() if any(_is_pytest_file(b) for b in page_blocks(p))]


@pytest.mark.parametrize(
    "page", _pages_with_pytest_files(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_pytest_file_examples(page: Path, pytester: pytest.Pytester) -> None:
    """A page's conftest.py and test examples pass in a pytest session with py7D's plugin.

    As the docs say, async tests run with pytest-asyncio's ``asyncio_mode = "auto"``.
    """
    blocks = [b for b in page_blocks(page) if _is_pytest_file(b)]
    conftests = [b for b in blocks if b.first_line == "# conftest.py"]
    tests = [b for b in blocks if b not in conftests]
    assert len(conftests) <= 1, "one conftest.py example per page at most"
    assert tests, f"{page}: a conftest.py example without a test"
    if conftests:
        pytester.makeconftest(conftests[0].code)
    files = {f"test_doc_{i}": b.code for i, b in enumerate(tests, 1)}
    if conftests:
        # What the conftest.py example says it is for: a partner key calling userId= 2-legged.
        files["test_partner_key"] = PARTNER_KEY_TEST
    pytester.makepyfile(**files)
    expected = sum(len(re.findall(r"^(?:async )?def test_", code, re.M)) for code in files.values())
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        *([] if _plugin_installed() else ["-p", "py7D.pytest_plugin"]),
    )
    result.assert_outcomes(passed=expected)


PARTNER_KEY_TEST = """
def test_partner_key_reads_a_locker_by_user_id(py7d_client):
    reply = py7d_client.request("user", "locker", userId=1001)
    assert reply.status_code == 200
"""


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "py7D.pytest_plugin" for ep in entry_points(group="pytest11"))


# -- bookkeeping -------------------------------------------------------------------------------


def test_blocks_are_found() -> None:
    """The extraction sees the blocks it should, so a broken fence cannot hide examples."""
    examples = example_blocks()
    assert sum(b.lang == "python" for b in examples) >= 30
    assert sum(b.lang == "sh" for b in examples) >= 10
    assert {b.path for b in examples} >= {README, DOCS / "quickstart.md"}
    assert any(b.first_line in PYTEST_FILE_MARKERS for b in all_blocks())
    ids = [b.id for b in examples]
    assert len(ids) == len(set(ids))
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        assert text.count("```") % 2 == 0, f"{path}: an unclosed fence"


def test_sh_sessions_are_run_by_their_test() -> None:
    for page, test in SH_SESSIONS.items():
        assert (ROOT / page).is_file(), page
        assert page in (ROOT / test).read_text(encoding="utf-8"), f"{test} does not run {page}"


def test_few_examples_are_not_run() -> None:
    not_run = [b for b in all_blocks() if b.not_run is not None]
    assert len(not_run) <= MAX_NOT_RUN, [b.id for b in not_run]
    markers = sum(p.read_text(encoding="utf-8").count("<!-- not run:") for p in doc_files())
    assert markers == len(not_run), "a 'not run' marker not right before a block"


def test_first_commands_are_what_ci_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The README opens with a try-it command and the test command, which .ci/run runs verbatim."""
    blocks = readme_blocks()
    assert [b.lang for b in blocks[:2]] == ["sh", "sh"], "the README must open with two commands"
    try_it, test_command = (b.code.strip() for b in blocks[:2])
    assert "\n" not in try_it
    assert "\n" not in test_command
    ci_lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert test_command in ci_lines, f"{test_command!r} is not a line of .ci/run"
    development = [b.code.strip() for b in blocks if b.section == "Development" and b.lang == "sh"]
    assert development == [test_command], "the Development section repeats the test command"
    assert "mkdocs build --strict" in test_command.split(" && ")

    # The extras and the commands they name exist.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["py7d"] == "py7D.cli:console"
    extras = project["optional-dependencies"]
    install, _, call = try_it.partition(" && ")
    assert install == 'pip install ".[sandbox]"'
    assert "sandbox" in extras
    install_tests = test_command.split(" && ")[0]
    match = re.fullmatch(r'pip install -e "\.\[([\w,]+)\]"', install_tests)
    assert match, install_tests
    installed = match[1].split(",")
    tools = {
        re.split(r"[<>=;\[ ]", dep, maxsplit=1)[0] for extra in installed for dep in extras[extra]
    }
    for command in test_command.split(" && ")[1:]:
        tool = shlex.split(command)
        name = tool[2] if tool[:2] == ["python", "-m"] else tool[0]
        assert name in tools, f"{name} is run by the test command but in none of {installed}"

    # The try-it call answers with the search it promises.
    argv = shlex.split(call)
    assert argv[0] == "py7d"
    from py7D.cli import main

    assert main(argv[1:]) in (0, None)
    reply = json.loads(capsys.readouterr().out)
    results = reply["response"]["searchResults"]["searchResult"]
    assert [r["artist"]["name"] for r in results] == ["Pink", "Pink Floyd", "Pink Martini"]
