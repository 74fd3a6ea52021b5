"""The documentation site's generated pages cover the code: every endpoint, public name and option.

``mkdocs build --strict`` (in the test command) builds the site and fails on any
warning or broken link; these tests check what the build cannot: that the pages
written by ``docs/hooks.py`` name everything they should, and that their examples
are calls the endpoint table accepts.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

import py7D
from py7D._cli.manual import roff
from py7D._endpoints import MEDIA_ENDPOINTS, AuthLevel
from py7D._validation import check_call

ROOT = Path(__file__).resolve().parents[1]


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("py7d_docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()
PAGES: dict[str, str] = hooks.generated_pages()


def test_every_endpoint_has_a_section_on_its_resource_page() -> None:
    index = PAGES["reference/endpoints/index.md"]
    for ep in py7D.ENDPOINTS:
        page = PAGES[f"reference/endpoints/{ep.resource}.md"]
        section = page.split(f"{{#{hooks.anchor(ep)}}}", 1)[1].split("\n## ", 1)[0]
        assert f"## {ep.method} `{ep.path}`" in page
        assert f"client.{ep.resource}.{ep.method_name}(" in section
        assert f"`{hooks.cli_form(ep, {})}`" in section
        assert ep.description in section
        for name in ep.parameters:
            assert f"| `{name}` | `{ep.param(name).python_name}` |" in section, (ep.path, name)
        assert ("`" + ep.method_name + "_items()`" in section) == ep.paged
        assert f"`{ep.path}`" in index
    for media in MEDIA_ENDPOINTS:
        assert f"| `{media.path}` |" in index
        assert f"`client.{media.method_name}()`" in index
    anchors = [hooks.anchor(ep) for ep in py7D.ENDPOINTS]
    assert len(anchors) == len(set(anchors))


@pytest.mark.parametrize("ep", py7D.ENDPOINTS, ids=lambda ep: f"{ep.method} {ep.path}")
def test_endpoint_examples_are_calls_the_table_accepts(ep: py7D.Endpoint) -> None:
    params = hooks.example_params(ep)
    check_call(ep.path, ep, params, has_token=ep.auth is AuthLevel.USER)
    example = hooks.python_example(ep)
    compile(example, f"{ep.path} example", "exec")
    with py7D.Client("key", "secret") as client:  # sends nothing
        assert callable(getattr(getattr(client, ep.resource), ep.method_name))
    for name in params:
        assert f"{ep.param(name).python_name}=" in example


def test_every_public_name_is_in_the_api_reference() -> None:
    shown = {
        name
        for path, text in PAGES.items()
        if path.startswith("reference/api/") and "sandbox" not in path and "pytest" not in path
        for name in re.findall(r"^::: py7D\.(\w+)$", text, re.M)
    }
    assert shown == set(py7D.__all__)
    assert "::: py7D.sandbox" in PAGES["reference/api/sandbox.md"]
    assert "::: py7D.pytest_plugin" in PAGES["reference/api/pytest-plugin.md"]
    errors = PAGES["reference/api/errors.md"]
    for name in py7D.__all__:
        value = getattr(py7D, name)
        if isinstance(value, type) and issubclass(value, py7D.Py7DError):
            assert f"- [`{name}`](#py7D.{name})" in errors, name


def test_the_man_page_renders_without_warnings() -> None:
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed")
    proc = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z"],
        input=roff(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_pages_of_other_work_join_the_nav_once_they_exist(tmp_path: Path) -> None:
    nav = [{"Guides": [{"Caching": "guides/caching.md"}]}, {"Internals": []}]
    (tmp_path / "guides").mkdir()
    assert hooks._add_optional([dict(d) for d in nav], tmp_path) == nav  # nothing there yet
    (tmp_path / "guides" / "bulk.md").write_text("# Bulk\n")
    added = hooks._add_optional(nav, tmp_path)
    assert {"Bulk calls and rate limits": "guides/bulk.md"} in added[0]["Guides"]
    assert added[1] == {"Internals": []}
    again = hooks._add_optional(added, tmp_path)
    assert again[0]["Guides"].count({"Bulk calls and rate limits": "guides/bulk.md"}) == 1
