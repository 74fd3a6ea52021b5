"""The pytest plugin, tested the way users meet it: in a separate pytest run (pytester)."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("_fresh_warnings")

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


# Other plugins of this environment only slow the inner runs down.
_QUIET = [
    "-p",
    "no:cacheprovider",
    *("-p", "no:asyncio", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:respx"),
    *("-W", "ignore::pytest.PytestAssertRewriteWarning"),
]


def _plugin_args() -> list[str]:
    """Load the plugin by name unless the installed entry point already does."""
    installed = any(ep.value == "py7D.pytest_plugin" for ep in entry_points(group="pytest11"))
    return _QUIET + ([] if installed else ["-p", "py7D.pytest_plugin"])


def test_entry_point_is_declared() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"py7D": "py7D.pytest_plugin"}


def test_importing_the_plugin_needs_no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # "import uvicorn" now fails
    monkeypatch.delitem(sys.modules, "py7D.pytest_plugin", raising=False)
    module = importlib.import_module("py7D.pytest_plugin")
    assert callable(module.py7d_client)


def test_in_process_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import py7D

        def test_client(py7d_client):
            result = py7d_client.artist.search(q="pink", page_size=2)
            assert result.page_info.page_size == 2
            assert isinstance(py7d_client, py7D.Client)

        def test_user(py7d_client, py7d_user):
            locker = py7d_client.user.locker(access_token=py7d_user.token)
            assert locker["response"]["@status"] == "ok"
            assert py7d_user.email == "alice@example.com"
            assert py7d_user.token.secret not in repr(py7d_user)

        def test_credentials(py7d_credentials):
            key, secret = py7d_credentials
            assert (key, secret) == ("sandbox-key", "sandbox-secret")

        def test_state_is_fresh_per_test_1(py7d_client, py7d_user):
            py7d_client.user.deliver_item(
                access_token=py7d_user.token, release_id=100007, transaction_id="t1"
            )
            assert py7d_client.user.locker(access_token=py7d_user.token).page_info.total_items == 1

        def test_state_is_fresh_per_test_2(py7d_client, py7d_user):
            assert py7d_client.user.locker(access_token=py7d_user.token).page_info.total_items == 0

        def test_users_tests_read_the_sandbox_state(py7d_sandbox, py7d_client, py7d_user):
            py7d_client.user.deliver_item(
                access_token=py7d_user.token, release_id=100007, transaction_id="t2"
            )
            [record] = py7d_sandbox.state.purchases
            assert (record.kind, record.user_id) == ("deliveritem", py7d_user.user_id)
            assert {e.release_id for e in py7d_sandbox.state.locker(py7d_user.user_id)} == {100007}

        def test_default_client(py7d_default_client):
            assert py7D.request("artist", "details", artistId=2)["response"]["artist"]["name"]

        def test_async_client(py7d_async_client):
            import asyncio

            async def go():
                return await py7d_async_client.artist.details(artist_id=2)

            assert asyncio.run(go()).data["name"] == "Pink Floyd"
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=8)


def test_served_fixtures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("uvicorn")
    pytester.makepyfile(
        """
        import os
        import httpx
        import py7D

        def test_url(py7d_sandbox_url, py7d_credentials, py7d_user):
            with py7D.Client(*py7d_credentials, base_url=py7d_sandbox_url, environ={}) as c:
                assert c.artist.details(artist_id=2).data["name"] == "Pink Floyd"
                assert c.user.details(access_token=py7d_user.token).data["@id"] == "1001"

        def test_each_test_has_its_own_sandbox(py7d_sandbox, py7d_sandbox_url):
            py7d_sandbox.add_user("zed@example.com", "pw")
            reply = httpx.get(
                py7d_sandbox_url + "/status", params={"oauth_consumer_key": "sandbox-key"}
            )
            assert reply.status_code == 200

        def test_environ(py7d_environ):
            assert os.environ["PY7D_API_URL"] == py7d_environ["PY7D_API_URL"]
            with py7D.Client() as c:
                assert c.base_url == py7d_environ["PY7D_API_URL"]
                assert c.status.get()["response"]["@status"] == "ok"
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=3)


def test_served_fixtures_skip_without_uvicorn(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys
        import pytest

        @pytest.fixture(autouse=True, scope="session")
        def _no_uvicorn():
            saved = sys.modules.get("uvicorn")
            sys.modules["uvicorn"] = None
            yield
            if saved is None:
                del sys.modules["uvicorn"]
            else:
                sys.modules["uvicorn"] = saved
        """
    )
    pytester.makepyfile(
        """
        def test_served(py7d_sandbox_url):
            raise AssertionError("should have been skipped")

        def test_in_process_still_works(py7d_client):
            assert py7d_client.status.get()["response"]["@status"] == "ok"
        """
    )
    result = pytester.runpytest(*_plugin_args(), "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    assert "needs uvicorn: pip install 'py7D[sandbox]'" in result.stdout.str()


def test_overriding_the_sandbox_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from py7D.sandbox import Sandbox

        @pytest.fixture
        def py7d_sandbox():
            return Sandbox(user_management=True)
        """
    )
    pytester.makepyfile(
        """
        def test_partner_call(py7d_client):
            reply = py7d_client.user.create(user_id="p-1", email_address="p1@example.com")
            assert reply["response"]["@status"] == "ok"
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=1)


def test_docs_example_runs(pytester: pytest.Pytester) -> None:
    """The example test of the guide "Testing your code" passes without the conftest example."""
    text = (ROOT / "docs" / "guides" / "testing.md").read_text(encoding="utf-8")
    start = text.index("```python\n# test_shop.py") + len("```python\n")
    example = text[start : text.index("```", start)]
    pytester.makepyfile(test_shop=example)
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=example.count("\ndef test_"))
