"""Resource-style calls, ``client.artist.search(q="pink")``, built from the endpoint table.

Every row of the table (``_endpoints.py``) becomes a method of the class of
its resource; the methods are made here when a resource is first used, so
adding an endpoint to the table is all it takes. Type checkers and editors read
``_resources.pyi``, which ``scripts/gen_resources.py`` writes from the same
functions (a test checks it is current, another runs ``mypy.stubtest`` on it).

Naming:

- ``client.<resource>`` is the first segment of the path (``artist``,
  ``user``, ``users``, ``basket`` ...), the same object on every access;
- the method is :attr:`Endpoint.method_name <py7D.Endpoint.method_name>`
  (``bytag/top`` -> ``bytag_top``, ``match/byId`` -> ``match_by_id``; an empty
  action is ``get``);
- parameters are snake_case of the API names (``artistId`` -> ``artist_id``),
  with a trailing ``_`` where the name is a builtin (``type_``, ``id_``);
  ``None`` means "not sent";
- every method also takes ``country``, ``shop_id``, ``params`` (further API
  parameters, sent as given) and ``normalize``; 3-legged ones take
  ``access_token`` (and ``user_id`` for keys that manage their users);
- a paged endpoint also has ``<method>_pages()`` (every page, lazily) and
  ``<method>_items()`` (every item, one by one), both with ``limit`` and ``concurrency``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from ._endpoints import COMMON_PARAMS, ENDPOINTS, TOKEN_STANDS_FOR, AuthLevel, Endpoint, Param
from ._endpoints import ParamKind as Kind

__all__ = [
    "Arg",
    "AsyncResources",
    "Resources",
    "api_args",
    "class_doc",
    "class_name",
    "enum_aliases",
    "method_doc",
    "module_attribute",
    "resources",
]

AUTH_TEXT = {
    AuthLevel.NONE: "unsigned",
    AuthLevel.CONSUMER: "signed 2-legged (consumer key and secret)",
    AuthLevel.USER: "signed 3-legged (needs a user's access token)",
}

# The kinds of method one endpoint gets: the call itself, then (paged) its pages and items.
CALL, PAGES, ITEMS = "", "_pages", "_items"


@dataclass(frozen=True)
class Arg:
    """One keyword argument of a resource-style method."""

    py: str
    api: str | None  # None: an option of the call, not an API parameter
    annotation: str
    required: bool
    doc: str


TAIL_ARGS = (
    Arg(
        "params",
        None,
        "Mapping[str, Any]",
        False,
        "Further API parameters, sent as given (e.g. ``{'tag_campaign': 'x'}``).",
    ),
    Arg(
        "normalize",
        None,
        "bool",
        False,
        "Make every repeating element a list (default: the client's setting).",
    ),
)
LIMIT_ARG = Arg("limit", None, "int", False, "Stop after this many items.")
CONCURRENCY_ARG = Arg(
    "concurrency", None, "int", False, "Pages fetched at once (default 8; 1: one after another)."
)
#: The arguments ``<method>_pages`` and ``<method>_items`` add to ``<method>``'s.
PAGING_ARGS = (LIMIT_ARG, CONCURRENCY_ARG)
TOKEN_ARG = Arg(
    "access_token",
    None,
    "TokenLike",
    False,
    "A user's access token, ``py7D.Token(key, secret)`` (3-legged signing).",
)


def class_name(resource: str, is_async: bool) -> str:
    """``artist`` -> ``ArtistResource`` (``AsyncArtistResource``)."""
    base = "".join(part.capitalize() for part in resource.split("-")) + "Resource"
    return ("Async" + base) if is_async else base


def alias_of(param: Param) -> str:
    """The Literal alias of an enumerated parameter (``usageTypes`` -> ``UsageTypeValue``)."""
    base = param.name[0].upper() + param.name[1:]
    return (base[:-1] if param.many and base.endswith("s") else base) + "Value"


def literal_values(param: Param) -> tuple[str, ...]:
    """The values a type checker accepts: the choices, then the table's other spellings.

    The API (and validation) take enumerated values in any case; the hints also take
    the casings 7digital's replies use, so ``type_="Album"`` type-checks like ``"album"``.
    """
    return (*param.choices, *(s for s in param.spellings if s not in param.choices))


def type_of(param: Param) -> str:
    """The type hint of a parameter, as source text."""
    kind = param.kind
    if kind is Kind.ENUM and param.choices:
        alias = alias_of(param)
        return f"str | Sequence[{alias}]" if param.many else alias
    single = {
        Kind.TEXT: "str",
        Kind.ID: "int | str",
        Kind.INT: "int",
        Kind.BOOL: "bool",
        Kind.DATE: "datetime.date | str",
        Kind.ENUM: "str",
        Kind.DECIMAL: "decimal.Decimal | float | str",
    }[kind]
    if param.many:
        return f"{single} | Sequence[int | str]" if kind is Kind.ID else "str | Sequence[str]"
    return single


def sentence(text: str) -> str:
    """``text`` with a capital and a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def resources() -> dict[str, list[Endpoint]]:
    """The table's endpoints by resource, checked for method names that would clash."""
    out: dict[str, list[Endpoint]] = {}
    for ep in ENDPOINTS:
        out.setdefault(ep.resource, []).append(ep)
    for resource, eps in out.items():
        seen: set[str] = set()
        for ep in eps:
            name = ep.method_name
            if name in seen or name.endswith((PAGES, ITEMS)) or name + PAGES in seen:
                raise ValueError(f"method name clash in {resource}: {name} ({ep.path})")
            seen.add(name)
    return out


def enum_aliases() -> dict[str, Param]:
    """Alias name -> enumerated parameter, for every enumeration an endpoint takes."""
    enums: dict[str, Param] = {}
    for ep in ENDPOINTS:
        for name in ep.parameters:
            param = ep.param(name)
            if param.kind is Kind.ENUM and param.choices:
                known = enums.setdefault(alias_of(param), param)
                if known.choices != param.choices:
                    raise ValueError(f"two different enumerations are called {alias_of(param)}")
    return dict(sorted(enums.items()))


def takes_token(ep: Endpoint) -> bool:
    """Whether the method has ``access_token`` (3-legged, or a token names the user)."""
    return ep.auth is AuthLevel.USER or TOKEN_STANDS_FOR in ep.parameters


def _param_doc(ep: Endpoint, name: str, needed: bool) -> str:
    param = ep.param(name)
    if name == TOKEN_STANDS_FOR and ep.auth is AuthLevel.USER and name not in ep.parameters:
        return (
            "The partner's id of a managed user, instead of ``access_token`` (keys with "
            "user-management rights)."
        )
    doc = sentence(param.description)
    if name in ep.path_params:
        doc += f" Goes into the path ``{ep.path}``."
    if needed:
        doc += " Required."
    elif name in ep.path_params or name in ep.required:
        doc += " Required unless ``access_token`` is given."
    else:
        group = next((g for g in ep.one_of if name in g), None)
        if group:
            doc += " One of " + ", ".join(f"``{ep.param(n).python_name}``" for n in group)
            doc += " is required."
    if param.kind is Kind.ENUM and param.choices:
        doc += " One of: " + ", ".join(param.choices) + "."
    if param.many:
        doc += " A list, or a comma list."
    if param.kind is Kind.INT and param.maximum is not None:
        doc += f" At most {param.maximum}."
    return doc


@functools.cache
def api_args(ep: Endpoint) -> tuple[Arg, ...]:
    """The endpoint's own arguments, required ones first (``params``/``normalize`` not included).

    The table's parameters, then ``country``/``shop_id``, ``user_id`` on
    3-legged calls outside ``oauth``, and ``access_token`` where a token signs.
    """
    has_token = takes_token(ep)
    required = {*ep.path_params, *ep.required}
    names = list(ep.parameters)
    names += [n for n in COMMON_PARAMS if n not in names]
    if ep.auth is AuthLevel.USER and ep.resource != "oauth" and TOKEN_STANDS_FOR not in names:
        names.append(TOKEN_STANDS_FOR)
    args = []
    for name in names:
        param = ep.param(name)
        needed = name in required and not (has_token and name == TOKEN_STANDS_FOR)
        args.append(
            Arg(param.python_name, name, type_of(param), needed, _param_doc(ep, name, needed))
        )
    if has_token:
        args.append(TOKEN_ARG)
    args.sort(key=lambda a: not a.required)  # keyword-only: the order is for the reader
    return tuple(args)


def all_args(ep: Endpoint, kind: str) -> tuple[Arg, ...]:
    """Every keyword argument of the ``kind`` method of ``ep``."""
    return (*api_args(ep), *(PAGING_ARGS if kind else ()), *TAIL_ARGS)


def method_doc(ep: Endpoint, kind: str = CALL, *, with_params: bool = True) -> str:
    """The docstring of a method; ``with_params`` adds the Parameters section."""
    name = ep.method_name
    if kind:
        what = "Every page of" if kind == PAGES else f"Every item (``{ep.items}``) of"
        text = (
            f"{what} :meth:`{name}`, in order; ``limit`` stops after that many items, "
            "``concurrency`` pages are fetched at once."
        )
        if with_params:
            text += f"\n\nOther parameters as in :meth:`{name}`."
        return text
    head = f"``{ep.method} /1.2/{ep.path}``, {AUTH_TEXT[ep.auth]}"
    if ep.paged:
        head += f"; paged (items: ``{ep.items}``, see :meth:`{name}_items`)"
    parts = [sentence(ep.description), head + "."]
    if ep.notes:
        parts.append(sentence("Notes: " + ep.notes))
    if ep.moves_money:
        parts.append("This call charges money or registers a payment; it is never retried.")
    elif ep.changes_state:
        parts.append("This call changes state on the server; it is never retried.")
    if with_params:
        listed = "\n".join(f"{a.py}:\n    {a.doc}" for a in all_args(ep, kind))
        parts.append("Parameters\n----------\n" + listed)
    return "\n\n".join(parts)


def class_doc(resource: str, eps: list[Endpoint]) -> str:
    """The docstring of a resource class."""
    paths = ", ".join(ep.path for ep in eps)
    return f"``client.{resource}``: {paths}."


# --------------------------------------------------------------------------- runtime


def _unexpected(method: str, given: Mapping[str, object], args: tuple[Arg, ...]) -> TypeError:
    import difflib

    known = [a.py for a in args]
    missing = [a.py for a in args if a.required and a.py not in given]
    if missing:
        return TypeError(f"{method}() missing required keyword argument(s): {', '.join(missing)}")
    bad = next(k for k in given if k not in known)
    close = difflib.get_close_matches(bad, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(known)}"
    return TypeError(f"{method}() got an unexpected keyword argument {bad!r}{hint}")


def _make_method(ep: Endpoint, kind: str, is_async: bool) -> Callable[..., Any]:
    """One method: checks its keywords, maps them to API names and calls the client."""
    import inspect  # only once a resource is first used: ``import py7D`` stays light

    args = all_args(ep, kind)
    names = frozenset(a.py for a in args)
    required = frozenset(a.py for a in args if a.required)
    api = tuple((a.py, a.api) for a in args if a.api is not None)
    path = ep.path
    # A path two rows share (GET and POST ``user/unlimitedStreaming``) names its verb.
    verb = ep.method if sum(other.key == ep.key for other in ENDPOINTS) > 1 else None
    qualname = f"{class_name(ep.resource, is_async)}.{ep.method_name}{kind}"
    target = {CALL: "request", PAGES: "pages", ITEMS: "items"}[kind]

    def call(self: Any, **given: Any) -> Any:
        if not (given.keys() <= names and required <= given.keys()):
            raise _unexpected(qualname, given, args)
        params = dict(given.get("params") or {})
        for py, api_name in api:
            value = given.get(py)
            if value is not None:
                params[api_name] = value
        options = {
            k: given[k] for k in ("access_token", "normalize", "limit", "concurrency") if k in given
        }
        return getattr(self._client, target)(path, http_method=verb, params=params, **options)

    method: Callable[..., Any] = call
    if is_async and kind == CALL:

        async def acall(self: Any, **given: Any) -> Any:
            return await call(self, **given)

        method = acall
    method.__name__ = ep.method_name + kind
    method.__qualname__ = qualname
    method.__doc__ = method_doc(ep, kind)
    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(
                a.py,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if a.required else None,
                annotation=a.annotation if a.required else f"{a.annotation} | None",
            )
            for a in args
        ]
    )
    return method


@functools.cache
def resource_class(resource: str, is_async: bool) -> type:
    """The class of ``client.<resource>`` (built once, on first use)."""
    eps = resources()[resource]
    namespace: dict[str, Any] = {
        "__slots__": ("_client",),
        "__doc__": class_doc(resource, eps),
        "__module__": "py7D._resources",
        "__init__": _init,
    }
    for ep in eps:
        for kind in (CALL, PAGES, ITEMS) if ep.paged else (CALL,):
            namespace[ep.method_name + kind] = _make_method(ep, kind, is_async)
    return type(class_name(resource, is_async), (), namespace)


def _init(self: Any, client: Any) -> None:
    self._client = client


def _namespace(resource: str, is_async: bool) -> functools.cached_property[Any]:
    def get(self: Any) -> Any:
        return resource_class(resource, is_async)(self)

    get.__name__ = resource
    get.__doc__ = f"``{resource}`` endpoints (:class:`{class_name(resource, is_async)}`)."
    return functools.cached_property(get)


def _mixin(is_async: bool) -> type:
    client = "AsyncClient" if is_async else "Client"
    namespace: dict[str, Any] = {
        "__doc__": f"The resource-style namespaces of :class:`py7D.{client}`.",
        "__module__": "py7D._resources",
    }
    namespace.update((r, _namespace(r, is_async)) for r in resources())
    return type("AsyncResources" if is_async else "Resources", (), namespace)


Resources = _mixin(is_async=False)
AsyncResources = _mixin(is_async=True)


def module_attribute(name: str) -> object:
    """A resource class or an enumeration alias of ``py7D._resources``, by name."""
    aliases = enum_aliases()
    if name in aliases:
        # A Union of one-value Literals: equal to Literal[a, b, ...], and what stubtest expects.
        return Union[tuple(Literal[v] for v in literal_values(aliases[name]))]  # noqa: UP007
    for is_async in (False, True):
        for resource in resources():
            if class_name(resource, is_async) == name:
                return resource_class(resource, is_async)
    raise AttributeError(f"module 'py7D._resources' has no attribute {name!r}")


def public_names() -> list[str]:
    """What ``py7D._resources`` exports."""
    classes = [class_name(r, a) for a in (False, True) for r in resources()]
    return sorted([*classes, *enum_aliases(), "AsyncResources", "Resources"])
