"""Every Python example in README.md runs as written, against a sandbox.

Each fenced ``python`` block is one test, named after its section heading and
its place in that section. A block runs in a namespace like a user's session:
``py7D`` and ``json`` imported, ``py7D.Client()``, ``py7D.AsyncClient()`` and
the module-level calls pointed at a served sandbox through ``PY7D_API_URL``,
``PY7D_CONSUMER_KEY`` and ``PY7D_CONSUMER_SECRET`` (so ``py7D.Client()`` with
no arguments works exactly as a user writes it), and the free variables the
examples use defined with real values from that sandbox: ``access_token`` and
``token`` (Alice's access token, obtained through the token flow),
``basket_id`` (a new basket) and ``client`` (an open ``py7D.Client()``).

How a block is checked depends on what it shows:

* ``>>>`` blocks run through :mod:`doctest`: the outputs shown must be exact.
* A statement followed by a comment ``# SomeError: message`` must raise
  ``py7D.SomeError`` with exactly that message.
* ``await``, ``async with`` and ``async for`` at the top level run inside a
  coroutine on asyncio (compiled as the asyncio REPL does).
* Blocks that are pytest files (``# conftest.py``, ``def test_...``) run in a
  pytest session of their own; ``# test_shop.py`` is already run by
  ``tests/table/test_pytest_plugin.py``, and the ``sh`` blocks of "Command
  line" by ``tests/cli/test_cli_docs.py``.
* A block preceded by ``<!-- not run: reason -->`` is skipped with that reason
  (there may be only a few).

``oauth7digital.authorize_request_token(token)`` waits for Enter: ``input`` is
replaced by a function that authorises ``token`` as Alice first, as a user in
a browser would.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import doctest
import inspect
import io
import json
import re
import shlex
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
from py7D.sandbox import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, Sandbox, running

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"

ALICE = ("alice@example.com", "alice-password")
# Blocks run elsewhere, recognised by their first line.
COVERED_ELSEWHERE = {"# test_shop.py": "tests/table/test_pytest_plugin.py"}
# Blocks that are files of a pytest suite, recognised by their first line or a test function.
PYTEST_FILE_MARKERS = ("# conftest.py",)
MAX_NOT_RUN = 3

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[ \t]*$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
_NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>.+?)\s*-->$")
_RAISES = re.compile(r"^#\s*(?P<error>[A-Z]\w*(?:Error|Exception|Warning)):\s(?P<message>.+)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    lang: str
    section: str
    index: int  # 1-based, among the blocks of the same language in the section
    line: int  # 1-based line of the first code line
    code: str
    not_run: str | None

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")
        return f"{slug}-{self.index}"

    @property
    def first_line(self) -> str:
        return self.code.lstrip().split("\n", 1)[0].strip()


def readme_blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of the README, with its section and any ``not run`` marker."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
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


def _is_pytest_file(block: Block) -> bool:
    return block.first_line in PYTEST_FILE_MARKERS or bool(
        re.search(r"^(async )?def test_", block.code, re.M)
    )


def python_blocks() -> list[Block]:
    return [b for b in readme_blocks() if b.lang == "python"]


def example_blocks() -> list[Block]:
    """The blocks this module runs one by one."""
    return [
        b
        for b in python_blocks()
        if b.first_line not in COVERED_ELSEWHERE and not _is_pytest_file(b)
    ]


# -- the prelude: a sandbox, settings in the environment, real free variables -----------------


@pytest.fixture
def sandbox_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh sandbox on a free port; py7D's settings point at it through the environment."""
    with running(Sandbox()) as url:
        monkeypatch.setenv("PY7D_API_URL", url)
        monkeypatch.setenv("PY7D_CONSUMER_KEY", DEFAULT_CONSUMER_KEY)
        monkeypatch.setenv("PY7D_CONSUMER_SECRET", DEFAULT_CONSUMER_SECRET)
        previous = py7D.set_default_client(None)
        if previous is not None:
            previous.close()
        yield url
        previous = py7D.set_default_client(None)
        if previous is not None:
            previous.close()


_AUTHORISE_URL = re.compile(r"https?://\S+/oauth/authorise\?\S+")


@pytest.fixture
def namespace(
    sandbox_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[dict[str, Any]]:
    """The globals an example runs in."""
    client = py7D.Client()
    request_token = py7D.get_request_token(client)
    py7D.authorise_request_token(client, request_token, *ALICE)
    access_token = py7D.exchange_access_token(client, request_token)
    basket_id = client.request("basket", "create")["response"]["basket"]["@id"]
    ns: dict[str, Any] = {
        "__name__": "__readme__",
        "__builtins__": builtins,
        "py7D": py7D,
        "json": json,
        "client": client,
        "access_token": access_token,
        "token": access_token,
        "basket_id": basket_id,
    }

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
    yield ns
    for value in ns.values():
        if isinstance(value, py7D.Client):
            value.close()


# -- running a block --------------------------------------------------------------------------


def _run_doctest(block: Block, ns: dict[str, Any]) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.code, ns, f"README.md[{block.id}]", str(README), block.line - 1
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


def _execute(code: str, ns: dict[str, Any], filename: str) -> None:
    """Run ``code`` in ``ns``; top-level ``await``/``async with``/``async for`` on asyncio."""
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, ns))  # the block's statements, awaited
    else:
        exec(compiled, ns)


def _run_block(block: Block, ns: dict[str, Any]) -> None:
    filename = f"README.md:{block.line}"
    offset = 0
    for code, expected in _chunks(block.code):
        padded = "\n" * (block.line - 1 + offset) + code
        offset += code.count("\n") + (1 if expected else 0)
        if expected is None:
            _execute(padded, ns, filename)
            continue
        name, message = expected
        error = getattr(py7D, name)
        with pytest.raises(error) as caught:
            _execute(padded, ns, filename)
        assert str(caught.value) == message, f"{code.strip()} raised {caught.value!r}"


@pytest.mark.parametrize("block", example_blocks(), ids=lambda b: b.id)
def test_example(block: Block, namespace: dict[str, Any]) -> None:
    if block.not_run is not None:
        pytest.skip(f"not run: {block.not_run}")
    if re.search(r"^>>> ", block.code, re.M):
        _run_doctest(block, namespace)
    else:
        _run_block(block, namespace)


# -- the blocks that are pytest files ---------------------------------------------------------


def test_pytest_file_examples(pytester: pytest.Pytester) -> None:
    """The README's conftest.py and async test run in a pytest session with the plugin.

    As the README says, the async test runs with pytest-asyncio's ``asyncio_mode = "auto"``.
    """
    blocks = [
        b for b in python_blocks() if _is_pytest_file(b) and b.first_line not in COVERED_ELSEWHERE
    ]
    conftests = [b for b in blocks if b.first_line == "# conftest.py"]
    tests = [b for b in blocks if b not in conftests]
    assert len(conftests) <= 1, "one conftest.py example at most"
    assert tests, "no test example found in the README"
    if conftests:
        pytester.makeconftest(conftests[0].code)
    files = {f"test_readme_{i}": b.code for i, b in enumerate(tests, 1)}
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


# -- the README's own bookkeeping -------------------------------------------------------------


def test_blocks_are_found() -> None:
    """The extraction sees the blocks it should, so a broken fence cannot hide examples."""
    blocks = python_blocks()
    assert len(example_blocks()) >= 10
    firsts = {b.first_line for b in blocks}
    for marker in (*COVERED_ELSEWHERE, *PYTEST_FILE_MARKERS):
        assert marker in firsts, f"no README block starts with {marker!r}"
    ids = [b.id for b in example_blocks()]
    assert len(ids) == len(set(ids))


def test_few_examples_are_not_run() -> None:
    not_run = [b for b in readme_blocks() if b.not_run is not None]
    assert len(not_run) <= MAX_NOT_RUN, [b.id for b in not_run]
    text = README.read_text(encoding="utf-8")
    assert text.count("<!-- not run:") == len(not_run), "a 'not run' marker not before a block"


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

    # The extras and the command they name exist.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["py7d"] == "py7D.cli:main"
    extras = project["optional-dependencies"]
    install, _, call = try_it.partition(" && ")
    assert install == 'pip install ".[sandbox]"'
    assert "sandbox" in extras
    assert test_command.startswith('pip install -e ".[test]" && ')
    tools = {re.split(r"[<>=;\[ ]", dep, maxsplit=1)[0] for dep in extras["test"]}
    for command in test_command.split(" && ")[1:]:
        tool = shlex.split(command)
        name = tool[2] if tool[:2] == ["python", "-m"] else tool[0]
        assert name in tools, f"{name} is run by the test command but not in the test extra"

    # The try-it call answers with the search it promises.
    argv = shlex.split(call)
    assert argv[0] == "py7d"
    from py7D.cli import main

    assert main(argv[1:]) in (0, None)
    reply = json.loads(capsys.readouterr().out)
    results = reply["response"]["searchResults"]["searchResult"]
    assert [r["artist"]["name"] for r in results] == ["Pink", "Pink Floyd", "Pink Martini"]
