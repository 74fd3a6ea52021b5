"""MkDocs hooks: the reference pages that are written from the code when the site is built.

* ``reference/endpoints/``: one page per resource of the endpoint table
  (``py7D.ENDPOINTS``), every endpoint with its verb, signing, parameters,
  paging, Python method, command line and an example;
* ``reference/cli.md``: every command and option of ``py7d``, from its parsers;
* ``reference/api/``: every public name of ``py7D``, grouped by what it is for,
  each rendered by mkdocstrings from its docstring.

Nothing here is written to ``docs/``: the pages exist only in the build, so they
cannot drift from the code. ``mkdocs.yml`` names two placeholders in ``nav``
(``reference/endpoints/index.md`` and ``reference/api/index.md``) that this
hook expands into their generated pages.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # building from a checkout that is not installed
    sys.path.insert(0, str(ROOT / "src"))

import py7D  # noqa: E402
from py7D._endpoints import ENDPOINTS, MEDIA_ENDPOINTS, AuthLevel, Endpoint, ParamKind  # noqa: E402

ENDPOINTS_DIR = "reference/endpoints"
API_DIR = "reference/api"
CLI_PAGE = "reference/cli.md"

# -- the endpoint reference -------------------------------------------------------------------

_SIGNING = {
    AuthLevel.NONE: "unsigned (the consumer key goes in the query)",
    AuthLevel.CONSUMER: "2-legged: signed with your consumer key and secret",
    AuthLevel.USER: "3-legged: signed with your consumer key and secret and a user's access token",
}

# Example values, by parameter: ids of the sandbox's catalogue where there are such ids.
_EXAMPLE_VALUES: dict[str, Any] = {
    "q": "pink",
    "page": 1,
    "pageSize": 10,
    "imageSize": 350,
    "usageTypes": ["download"],
    "period": "week",
    "fromDate": "20240101",
    "toDate": "20240131",
    "type": "album",
    "sort": "purchaseDate desc",
    "artistId": 2,
    "releaseId": 100001,
    "trackId": 1000001,
    "releaseIds": [100001, 100002],
    "trackIds": [1000001, 1000002],
    "packageId": 2,
    "tags": ["rock"],
    "letter": "p",
    "mbIds": ["83d91898-7763-47d7-b03b-b92132375c47"],
    "sevenDigitalIds": [2],
    "basketId": "BASKET-ID",
    "itemId": 1,
    "voucherCode": "SANDBOX-HALF",
    "price": "0.99",
    "retailPrice": "0.99",
    "successUrl": "https://example.com/paid",
    "cancelUrl": "https://example.com/cancelled",
    "redirectUrl": "https://example.com/card-added",
    "token": "PAYPAL-TOKEN",
    "userId": "partner-user-17",
    "cardId": 1,
    "id": 1001,
    "emailAddress": "alice@example.com",
    "password": "alice-password",
    "username": "alice@example.com",
    "ipaddress": "81.2.69.160",
    "key": "tabAlbums",
    "artistSlug": "pink-floyd",
    "releaseSlug": "the-dark-side-of-the-moon",
    "cardNumber": "4111111111111111",
    "cardType": "VISA",
    "cardHolderName": "Alice Example",
    "cardExpiryDate": "203012",
}


def example_params(ep: Endpoint) -> dict[str, Any]:
    """Values for the parameters an example of ``ep`` must give (required, one of each group)."""
    names = [*ep.path_params, *ep.required, *(group[0] for group in ep.one_of)]
    if ep.auth is AuthLevel.USER:
        names = [n for n in names if n != "userId"]  # the access token names the user
    return {name: _EXAMPLE_VALUES.get(name, "VALUE") for name in dict.fromkeys(names)}


def _cli_value(value: Any) -> str:
    text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"'{text}'" if " " in text else text


def cli_form(ep: Endpoint, params: dict[str, Any] | None = None) -> str:
    """The ``py7d`` command line of ``ep`` with ``params`` (its example values by default)."""
    params = example_params(ep) if params is None else params
    words = ["py7d", ep.resource]
    if ep.action:
        words.append(ep.action)
    words += [f"{name}={_cli_value(value)}" for name, value in params.items()]
    if ep.method != "GET" and _shared_path(ep):
        words.append(f"--method {ep.method}")
    return " ".join(words)


def python_example(ep: Endpoint) -> str:
    """A whole program calling ``ep`` through its resource-style method."""
    args = [f"{ep.param(name).python_name}={value!r}" for name, value in example_params(ep).items()]
    lines = ["import py7D", ""]
    if ep.auth is AuthLevel.USER:
        lines += [
            "# The user's access token, from the token flow or `py7d login`",
            'token = py7D.Token("ACCESS-TOKEN-KEY", "ACCESS-TOKEN-SECRET")',
            "",
        ]
        args.append("access_token=token")
    call = f"client.{ep.resource}.{ep.method_name}({', '.join(args)})"
    lines += ["with py7D.Client() as client:", f"    reply = {call}", "    print(reply.data)"]
    if ep.paged:
        items = ", ".join(a for a in args if not a.startswith(("page=", "page_size=")))
        lines += [
            f"    for item in client.{ep.resource}.{ep.method_name}_items({items}):",
            "        print(item)",
        ]
    return "\n".join(lines)


def _allowed(ep: Endpoint, name: str) -> str:
    p = ep.param(name)
    parts: list[str] = []
    if p.choices:
        parts.append(", ".join(f"`{c}`" for c in p.choices))
    if p.kind is ParamKind.BOOL:
        parts.append("`true`, `false`")
    if p.minimum is not None or p.maximum is not None:
        low = "" if p.minimum is None else f"{p.minimum} ≤ "
        high = "" if p.maximum is None else f" ≤ {p.maximum}"
        parts.append(f"{low}n{high}")
    if p.kind is ParamKind.DATE:
        parts.append("`yyyyMMdd` or a `datetime.date`")
    if p.many:
        parts.append("a list (sent comma-separated)")
    return "; ".join(parts)


def _need(ep: Endpoint, name: str) -> str:
    if name in ep.path_params:
        return "required (in the path)"
    if name in ep.required:
        if name == "userId" and ep.auth is AuthLevel.USER:
            return "required, or an access token"
        return "required"
    for group in ep.one_of:
        if name in group:
            return "one of " + ", ".join(f"`{n}`" for n in group)
    return "optional"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _shared_path(ep: Endpoint) -> bool:
    """Whether another row has the same path with another verb (``user/unlimitedStreaming``)."""
    return any(e.path == ep.path and e.method != ep.method for e in ENDPOINTS)


def request_form(ep: Endpoint) -> str:
    """The ``client.request(...)`` spelling of ``ep`` (no parameters)."""
    args = [repr(ep.resource), repr(ep.action)]
    if _shared_path(ep) and ep.method != "GET":
        args.append(f"http_method={ep.method!r}")
    return f"client.request({', '.join(args)})"


def anchor(ep: Endpoint) -> str:
    """The HTML id of ``ep``'s section on its resource page."""
    return (ep.method + "-" + ep.path).lower().replace("/", "-").replace("{", "").replace("}", "")


def endpoint_section(ep: Endpoint) -> str:
    python = f"client.{ep.resource}.{ep.method_name}()"
    facts = [
        ("verb", f"`{ep.method}`"),
        ("signing", _SIGNING[ep.auth]),
        ("Python", f"`{python}` (awaitable on `AsyncClient`), or `{request_form(ep)}`"),
        ("command line", f"`{cli_form(ep, {})}`"),
    ]
    if ep.paged:
        facts.append(
            (
                "pages",
                f"yes: `{ep.items}` items, at most {ep.page_size_max} a page; "
                f"`{ep.method_name}_pages()` and `{ep.method_name}_items()` walk them",
            )
        )
    else:
        facts.append(("pages", "no"))
    if ep.root:
        facts.append(("reply", f"`<{ep.root}>`"))
    if ep.changes_state:
        money = " and moves money" if ep.moves_money else ""
        facts.append(("changes state", f"yes{money}: never retried automatically"))
    if ep.unconfirmed:
        facts.append(("unconfirmed", ", ".join(ep.unconfirmed)))
    out = [
        f"## {ep.method} `{ep.path}` {{#{anchor(ep)}}}",
        "",
        ep.description,
        "",
        *(f"- **{k}**: {v}" for k, v in facts),
        "",
    ]
    if ep.parameters:
        out += [
            "| API name | Python name | kind | needed | allowed values | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for name in ep.parameters:
            p = ep.param(name)
            out.append(
                f"| `{name}` | `{p.python_name}` | {p.kind.value} | {_need(ep, name)} | "
                f"{_cell(_allowed(ep, name))} | {_cell(p.description)} |"
            )
        out.append("")
    else:
        out += ["No parameters besides the ones every call takes (`country`, `shopId`).", ""]
    if ep.notes:
        out += [f"Notes: {ep.notes}", ""]
    out += ["Example:", "", "```py", python_example(ep), "```", ""]
    out += ["```console", f"$ {cli_form(ep)}", "```", ""]
    return "\n".join(out)


def resources() -> list[str]:
    return sorted({ep.resource for ep in ENDPOINTS}, key=str.lower)


def resource_page(resource: str) -> str:
    eps = [ep for ep in ENDPOINTS if ep.resource == resource]
    out = [
        f"# `{resource}`",
        "",
        f"The {len(eps)} endpoint{'s' if len(eps) != 1 else ''} under `{resource}/`, from "
        "py7D's endpoint table. Each one is a method of `client."
        f"{resource}` and a `py7d {resource} ...` command.",
        "",
        *(f"- [{ep.method} `{ep.path}`](#{anchor(ep)}): {ep.description}" for ep in eps),
        "",
    ]
    return "\n".join(out) + "\n" + "\n".join(endpoint_section(ep) for ep in eps)


def endpoints_index() -> str:
    out = [
        "# Endpoint reference",
        "",
        f"Every endpoint py7D knows: {len(ENDPOINTS)} rows of its endpoint table "
        "(`py7D.ENDPOINTS`), written into these pages when the site is built. "
        "Each endpoint shows its HTTP verb, how it is signed, its parameters (the API's "
        "name and the Python keyword), whether it pages, its Python method, its command "
        "line and an example. Examples use ids of the [sandbox](../../guides/sandbox.md)'s "
        "catalogue where there are such ids.",
        "",
        "Every call also takes `country` or `shopId`. Python methods also take "
        "`params={...}` (sent as given) and `normalize`; see "
        "[resource-style calls](../../guides/resources.md).",
        "",
        "| endpoint | verb | signing | pages | Python | description |",
        "|---|---|---|---|---|---|",
    ]
    for ep in ENDPOINTS:
        link = f"{ep.resource}.md#{anchor(ep)}"
        out.append(
            f"| [`{ep.path}`]({link}) | {ep.method} | {ep.auth.value} | "
            f"{'yes' if ep.paged else ''} | `{ep.resource}.{ep.method_name}` | "
            f"{_cell(ep.description)} |"
        )
    out += [
        "",
        "## Media downloads",
        "",
        "Files a user owns are fetched from a media host, signed 3-legged, outside the API's "
        "XML envelope (`py7D.MEDIA_ENDPOINTS`, apart from the table above). The clients stream "
        "them to disk with resumption and checks; `py7d download` does the same from the "
        "shell. See [backing up a locker](../../guides/backup-locker.md).",
        "",
        "| endpoint | host | signing | required | Python | file |",
        "|---|---|---|---|---|---|",
    ]
    for ep in MEDIA_ENDPOINTS:
        required = ", ".join(f"`{n}`" for n in (*ep.path_params, *ep.required))
        out.append(
            f"| `{ep.path}` | {ep.host} | {ep.auth.value} | {required} | "
            f"`client.{ep.method_name}()` | `{ep.media_type}` |"
        )
    out += ["", "As data, for tools: `py7d endpoints --json`, or:", ""]
    out += [
        "```py",
        "import json",
        "import py7D",
        "",
        "print(json.dumps([ep.to_dict() for ep in py7D.endpoints('artist')], indent=2))",
        "```",
        "",
    ]
    return "\n".join(out)


# -- the API reference ------------------------------------------------------------------------

# page file -> (title, intro, private modules whose public names it shows)
API_PAGES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "clients": (
        "Clients and results",
        "The two clients and what their calls return.",
        ("._client", "._async_client", "._result"),
    ),
    "calls": (
        "Module-level calls",
        "The original py7D's functions, sent through a default `Client`.",
        ("._legacy",),
    ),
    "users": (
        "Acting for a user",
        "The OAuth token flow, tokens and how they are kept.",
        ("._oauth_flow", "._auth", "._tokens"),
    ),
    "settings": (
        "Settings",
        "Where a client's key, secret, country, URL and timeout come from.",
        ("._config",),
    ),
    "reliability": (
        "Retries, rate limits and caching",
        "Retry policy, throttle and caches.",
        ("._retry", "._limits", "._cache"),
    ),
    "endpoint-table": (
        "The endpoint table",
        "Every endpoint as data: the table the clients, the CLI and these pages read.",
        ("._endpoints",),
    ),
    "errors": (
        "Errors and warnings",
        "Every error py7D raises derives from `py7D.Py7DError`.",
        ("._exceptions", "._validation"),
    ),
    "downloads": (
        "Downloads",
        "What downloading a user's locker reports; see "
        "[backing up a locker](../../guides/backup-locker.md).",
        ("._download",),
    ),
    "models": (
        "Reply types",
        "`TypedDict` views of the dicts replies are parsed into, for editors and type checkers.",
        ("._models",),
    ),
}
OTHER_PAGE = ("other", "More", "The remaining public names of `py7D`.")


def api_groups() -> dict[str, list[str]]:
    """Every name of ``py7D.__all__``, by the API reference page that shows it."""
    lazy: dict[str, str] = py7D._LAZY
    by_module = {m: page for page, (_, _, mods) in API_PAGES.items() for m in mods}
    groups: dict[str, list[str]] = {page: [] for page in API_PAGES}
    for name in py7D.__all__:
        page = by_module.get(lazy.get(name, ""), OTHER_PAGE[0])
        groups.setdefault(page, []).append(name)
    return {page: names for page, names in groups.items() if names}


def _error_classes() -> Iterator[tuple[type, int]]:
    """The public error classes, depth first from ``Py7DError``, with their depth."""
    errors = [getattr(py7D, n) for n in py7D.__all__]
    errors = [e for e in errors if isinstance(e, type) and issubclass(e, py7D.Py7DError)]

    def walk(cls: type, depth: int) -> Iterator[tuple[type, int]]:
        yield cls, depth
        for sub in sorted(
            (s for s in cls.__subclasses__() if s in errors), key=lambda s: s.__name__
        ):
            yield from walk(sub, depth + 1)

    return walk(py7D.Py7DError, 0)


def _error_tree() -> str:
    return "\n".join(
        f"{'    ' * depth}- [`{cls.__name__}`](#py7D.{cls.__name__})"
        for cls, depth in _error_classes()
    )


def api_page(page: str, names: list[str]) -> str:
    title, intro = (API_PAGES[page][:2]) if page in API_PAGES else OTHER_PAGE[1:]
    out = [f"# {title}", "", intro, ""]
    if page == "errors":
        out += ["The error tree:", "", _error_tree(), ""]
        tree = [cls.__name__ for cls, _ in _error_classes()]
        names = [n for n in tree if n in names] + [n for n in names if n not in tree]
    for name in names:
        out += [f"::: py7D.{name}", "    options:", f"      heading: py7D.{name}", ""]
    return "\n".join(out)


def api_index(groups: dict[str, list[str]]) -> str:
    out = [
        "# API reference",
        "",
        "Every public name of `py7D` (its `__all__`), from the docstrings. The sandbox and "
        "the pytest fixtures have pages of their own.",
        "",
    ]
    for page, names in groups.items():
        title = API_PAGES[page][0] if page in API_PAGES else OTHER_PAGE[1]
        out.append(f"- [{title}]({page}.md): " + ", ".join(f"`{n}`" for n in names))
    out += [
        "- [The sandbox](sandbox.md): `py7D.sandbox`",
        "- [pytest fixtures](pytest-plugin.md): `py7D.pytest_plugin`",
        "",
    ]
    return "\n".join(out)


SANDBOX_PAGE = """# The sandbox: `py7D.sandbox`

A local server that behaves like 7digital; see the [sandbox guide](../../guides/sandbox.md).

::: py7D.sandbox
    options:
      show_root_heading: false
      members_order: source
"""

PLUGIN_PAGE = """# pytest fixtures: `py7D.pytest_plugin`

Installed with py7D and loaded by pytest on its own; see
[testing your code](../../guides/testing.md).

::: py7D.pytest_plugin
    options:
      show_root_heading: false
      members_order: source
"""


# -- the hooks --------------------------------------------------------------------------------


def generated_pages() -> dict[str, str]:
    """Every generated page: path below ``docs/`` -> Markdown."""
    from py7D._cli.manual import markdown

    pages = {f"{ENDPOINTS_DIR}/index.md": endpoints_index()}
    pages.update({f"{ENDPOINTS_DIR}/{r}.md": resource_page(r) for r in resources()})
    pages[CLI_PAGE] = markdown()
    groups = api_groups()
    pages[f"{API_DIR}/index.md"] = api_index(groups)
    pages.update({f"{API_DIR}/{page}.md": api_page(page, names) for page, names in groups.items()})
    pages[f"{API_DIR}/sandbox.md"] = SANDBOX_PAGE
    pages[f"{API_DIR}/pytest-plugin.md"] = PLUGIN_PAGE
    return pages


def _expand(nav: list[Any]) -> list[Any]:
    """Replace the two placeholders of ``nav`` with sections of generated pages."""
    out: list[Any] = []
    for item in nav:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if value == f"{ENDPOINTS_DIR}/index.md":
                children = [{"All endpoints": value}]
                children += [{r: f"{ENDPOINTS_DIR}/{r}.md"} for r in resources()]
                item = {title: children}
            elif value == f"{API_DIR}/index.md":
                groups = api_groups()
                children = [{"Overview": value}]
                for page in groups:
                    name = API_PAGES[page][0] if page in API_PAGES else OTHER_PAGE[1]
                    children.append({name: f"{API_DIR}/{page}.md"})
                children += [
                    {"py7D.sandbox": f"{API_DIR}/sandbox.md"},
                    {"pytest fixtures": f"{API_DIR}/pytest-plugin.md"},
                ]
                item = {title: children}
            elif isinstance(value, list):
                item = {title: _expand(value)}
        out.append(item)
    return out


# Pages other work adds to docs/: each joins its nav section when its file exists and the
# nav does not list it yet, so the site builds (strictly) before and after they arrive.
OPTIONAL_PAGES: dict[str, list[tuple[str, str]]] = {
    "Guides": [
        ("Transports", "guides/transports.md"),
        ("Bulk calls and rate limits", "guides/bulk.md"),
        ("Backing up a locker", "guides/backup-locker.md"),
        ("A store in the shell", "guides/shell-store.md"),
        ("The sandbox's pages", "guides/sandbox-pages.md"),
    ],
    "Internals": [("Architecture", "internals/architecture.md")],
}


def _listed(nav: list[Any]) -> set[str]:
    found: set[str] = set()
    for item in nav:
        values = item.values() if isinstance(item, dict) else [item]
        for value in values:
            found |= _listed(value) if isinstance(value, list) else {str(value)}
    return found


def _add_optional(nav: list[Any], docs_dir: Path) -> list[Any]:
    listed = _listed(nav)
    for item in nav:
        if not isinstance(item, dict):
            continue
        ((title, value),) = item.items()
        if title in OPTIONAL_PAGES and isinstance(value, list):
            value += [
                {name: path}
                for name, path in OPTIONAL_PAGES[title]
                if path not in listed and (docs_dir / path).is_file()
            ]
    return nav


def on_config(config: Any) -> Any:
    nav = _add_optional(config["nav"], Path(config["docs_dir"]))
    config["nav"] = _expand(nav)
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    return files


if __name__ == "__main__":  # python docs/hooks.py: the generated pages' paths, as JSON
    print(json.dumps(sorted(generated_pages()), indent=1))
