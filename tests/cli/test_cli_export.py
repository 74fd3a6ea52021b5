"""``py7d user locker --all --concurrency N``: a whole locker exported as JSON Lines, in order,
with the progress bar showing the API key's calls left."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import py7D

LOCKER_SIZE = 7


@pytest.fixture(scope="module")
def served() -> Iterator[Any]:
    """A served sandbox whose first seeded user owns ``LOCKER_SIZE`` releases (this module's
    ``served``, used by conftest's ``module_cli``)."""
    sandbox = pytest.importorskip("py7D.sandbox", reason="the sandbox is needed")
    pytest.importorskip("uvicorn", reason="serving the sandbox needs uvicorn")
    box = sandbox.Sandbox(seeded_locker=False)  # only the purchases below
    email, password = sandbox.SEEDED_USERS[0][:2]
    token = box.issue_access_token(email)
    with py7D.Client(
        box.consumer_key,
        box.consumer_secret,
        base_url=box.base_url,
        environ={},
        transport=box.transport(),
    ) as client:
        releases = client.items("release", "byDate", fromDate="20000101", limit=LOCKER_SIZE)
        for release in releases:
            details = client.request("release", "details", releaseId=release["@id"])
            client.request(
                "user/purchase/item",
                releaseId=release["@id"],
                price=details.data["price"]["value"],
                access_token=token,
            )
    with sandbox.running(box, "127.0.0.1", 0) as url:
        yield SimpleNamespace(
            url=url,
            consumer_key=box.consumer_key,
            consumer_secret=box.consumer_secret,
            email=email,
            password=password,
        )


@pytest.fixture(scope="module")
def logged_in(served: Any, module_cli: Any) -> Any:
    cli = module_cli
    out = cli.run(
        "login", "--username", served.email, "--password-stdin", input=served.password + "\n"
    )
    assert out.code == 0, out
    return cli


def _ids(lines: str) -> list[str]:
    return [json.loads(line)["release"]["@id"] for line in lines.splitlines()]


def test_all_exports_the_whole_locker_in_order(logged_in: Any) -> None:
    one_by_one = logged_in.run("user", "locker", "pageSize=2", "--all", "--concurrency", "1")
    assert one_by_one.code == 0, one_by_one
    out = logged_in.run("user", "locker", "pageSize=2", "--all", "--concurrency", "3")
    assert out.code == 0, out
    assert len(out.stdout.splitlines()) == LOCKER_SIZE  # 4 pages of 2, every release once
    assert _ids(out.stdout) == _ids(one_by_one.stdout)
    assert len(set(_ids(out.stdout))) == LOCKER_SIZE


def test_progress_shows_pages_items_and_calls_left(logged_in: Any) -> None:
    code, shown, piped = logged_in.run_on_tty("user", "locker", "pageSize=2", "--all")
    assert code == 0, shown
    assert re.search(r"\d+/7 items · page \d+/4 · [\d.]+ items/s · \d+ calls left", shown), shown
    assert len(piped.splitlines()) == LOCKER_SIZE


def test_concurrency_needs_all(logged_in: Any) -> None:
    out = logged_in.run("user", "locker", "--concurrency", "3")
    assert out.code == 2
    assert "--all" in out.stderr


def test_concurrency_must_be_positive(logged_in: Any) -> None:
    out = logged_in.run("user", "locker", "--all", "--concurrency", "0")
    assert out.code == 2
    assert "--concurrency" in out.stderr
