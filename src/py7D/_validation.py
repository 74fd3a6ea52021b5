"""Check a call against the endpoint table before anything is sent.

Sans-I/O and called from ``BaseClient._prepare`` right after the request is
built, so ``Client``, ``AsyncClient``, the module-level calls and the CLI all
get the same checks before anything is sent; ``build_call`` itself stays a
plain request builder.
Every finding of one call is reported in one :class:`ValidationError`.

What counts as a mistake, and what as a new endpoint
----------------------------------------------------
py7D must not stand in the way of endpoints 7digital adds after the table was
written, yet a typo should fail fast instead of earning an opaque
"Resource not found" from the server. The rule, on the lower-cased path:

1. In the table (case-insensitive, ``users/123/update`` matches
   ``users/{id}/update``): checked as below.
2. Known resource, unknown action: if the action is close to one of that
   resource's actions (difflib ratio >= 0.8: ``artist/serach``,
   ``release/bytag/topp``) it is a typo -> ``ValidationError`` with "did you
   mean". Otherwise (``artist/recommend``) it is a new action -> sent as given
   with a one-time :class:`UnknownEndpointWarning`.
3. Unknown resource: a typo if close to a known resource (``artst/search``,
   ``tags``) -> ``ValidationError``; otherwise (``playlists``) -> sent with the
   warning.

A genuinely new endpoint that happens to look like a typo (``track/search2``)
goes through with ``validate=False``.

Parameters of a known endpoint
------------------------------
- Names match case-insensitively, as the API's do (``artistid`` is
  ``artistId``).
- Names the table does not list are sent: the API accepts extras on every call
  (``country``, ``shopId``, ``imageSize``, ``tag_*`` on purchases, ...). Only a
  *near miss* of one of the endpoint's own parameters or of a common one
  (``artistIdd``, ``pagesize2``, ``pageSise``) is refused with "did you mean":
  it would be silently ignored by the server and the call would fail (or, worse,
  succeed with defaults) for a reason that is hard to see.
- Required parameters, ``one_of`` groups and path parameters must be given
  (not None). ``userId`` counts as given when the call carries a user's access
  token: the token names the user (``user/details``).
- Values are checked by kind: numeric ids (``artistId``, ``releaseIds``...) are
  whole numbers, one per parameter unless it takes a list
  (``artistId=abc``, ``-1``, ``2.5`` and ``[1, 2]`` are refused, naming the
  parameter); whole numbers within bounds (``pageSize`` at most
  50 on catalogue lists), ``true``/``false``, dates (``yyyyMMdd`` or a
  ``date``), prices, and enumerations (``period``, ``type``, ``sort``,
  ``usageTypes``; compared case-insensitively).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import difflib
import enum
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ._endpoints import (
    ENDPOINTS,
    PARAMS,
    TOKEN_STANDS_FOR,
    Endpoint,
    Param,
    ParamKind,
    find_endpoints,
)
from ._exceptions import Py7DError, ValidationError

__all__ = [
    "Py7DWarning",
    "UnknownEndpointWarning",
    "check_call",
    "suggest_paths",
    "warn_unknown_endpoint",
]

#: difflib ratio from which an unknown name counts as a typo of a known one.
NEAR_MISS_RATIO = 0.8

_DATE = re.compile(r"^\d{8}$")
_INT = re.compile(r"^[+-]?\d+$")


class Py7DWarning(Py7DError, UserWarning):  # noqa: N818 - a warning, not an error
    """Base class of the warnings py7D issues.

    Also a :class:`py7D.Py7DError`, so that under ``-W error`` (warnings raised
    as exceptions) ``except py7D.Py7DError`` still catches everything py7D raises.
    """


class UnknownEndpointWarning(Py7DWarning):
    """A call to a path the endpoint table does not know; it is sent as given.

    Issued once per path and process. The table decides signing and verb for
    known endpoints; an unknown one is sent as a GET, unsigned unless the call
    says ``auth=``. Silence it with ``warnings.filterwarnings("ignore",
    category=py7D.UnknownEndpointWarning)``.
    """


_warned: set[str] = set()
_warned_lock = threading.Lock()

_RESOURCES: dict[str, tuple[str, ...]] = {}
for _ep in ENDPOINTS:
    _res = _ep.resource.lower()
    _RESOURCES[_res] = (*_RESOURCES.get(_res, ()), _ep.path)


def _close(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=NEAR_MISS_RATIO)


def suggest_paths(path: str) -> list[str]:
    """Table paths that ``path`` is probably a typo of (empty: not a near miss)."""
    lowered = path.strip("/").lower()
    resource, _, action = lowered.partition("/")
    if resource in _RESOURCES:
        known = {p.lower().partition("/")[2]: p for p in _RESOURCES[resource]}
        return [known[a] for a in _close(action, known)]
    near = _close(resource, _RESOURCES)
    out: list[str] = []
    for res in near:
        paths = {p.lower().partition("/")[2]: p for p in _RESOURCES[res]}
        best = _close(action, paths, n=1)
        if best:
            out.append(paths[best[0]])
        elif not action:
            out.append(res)
        else:
            out.extend(p for p in _RESOURCES[res][:2])
    return out


def _user_stacklevel() -> int:
    """The ``stacklevel`` (for a ``warn`` in our caller) of the first frame outside py7D."""
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the function that will call warnings.warn: level 1
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame = frame.f_back
        level += 1
    return level


def _warn_unknown(path: str) -> None:
    warn_unknown_endpoint(path)


def warn_unknown_endpoint(path: str, suggestions: Iterable[str] = ()) -> None:
    """Warn (once per path) that ``path`` is sent although the table does not know it."""
    key = path.strip("/").lower()
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    near = list(suggestions)
    hint = f"did you mean {_or(near)}? " if near else "If it is a typo, "
    warnings.warn(
        f"{path!r} is not in py7D's endpoint table; sending it as given (GET, unsigned "
        f"unless auth= says otherwise). {hint}see py7D.endpoints().",
        UnknownEndpointWarning,
        stacklevel=_user_stacklevel(),
    )


def _reset_warnings() -> None:
    """Forget which unknown paths were warned about (for tests)."""
    with _warned_lock:
        _warned.clear()


def check_call(
    path: str,
    endpoint: Endpoint | None,
    params: Mapping[str, Any],
    *,
    has_token: bool = False,
) -> None:
    """Raise :class:`ValidationError` for a call that cannot be right; warn on unknown paths.

    ``path`` is the path as the caller wrote it, ``endpoint`` the table row
    chosen for it (None when none fits the path and verb).
    """
    if endpoint is None:
        if find_endpoints(path):
            return  # a known path with an explicit, different verb: the caller knows best
        suggestions = suggest_paths(path)
        if suggestions:
            raise ValidationError(
                f"unknown endpoint {path!r}; did you mean {_or(suggestions)}? "
                "(if it is a new 7digital endpoint, pass validate=False)"
            )
        _warn_unknown(path)
        return

    problems: list[str] = []
    given: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        lowered = name.lower()
        if lowered in given:
            problems.append(f"{given[lowered]!r} and {name!r} are the same parameter")
            continue
        given[lowered] = name
    near_misses, meant = _unknown_names(endpoint, given)
    problems.extend(near_misses)
    # A near miss of a required name already explains why that name is "missing".
    problems.extend(
        m for m, name in _missing(endpoint, path, given, has_token) if name not in meant
    )
    for name in given.values():
        problem = _check_value(endpoint.param(name), params[name])
        if problem:
            problems.append(problem)
    if problems:
        raise ValidationError(f"{endpoint.path}: " + "; ".join(problems))


def _or(words: list[str]) -> str:
    quoted = [repr(w) for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


_ALL_NAMES = frozenset(n.lower() for n in PARAMS)


def _unknown_names(endpoint: Endpoint, given: Mapping[str, str]) -> tuple[list[str], set[str]]:
    """Messages for near misses of known names, and the names they were probably meant as."""
    own = endpoint._own_names
    out: list[str] = []
    meant: set[str] = set()
    for lowered, name in given.items():
        if lowered in own or lowered in _ALL_NAMES or lowered.startswith("oauth_"):
            continue
        near = _close(lowered, own)
        if near:
            meant.update(own[n] for n in near)
            out.append(f"unknown parameter {name!r}; did you mean {_or([own[n] for n in near])}?")
    return out, meant


def _missing(
    endpoint: Endpoint, path: str, given: Mapping[str, str], has_token: bool
) -> list[tuple[str, str]]:
    """(message, parameter name) for each required parameter that is not there."""
    out: list[tuple[str, str]] = []
    if path.strip("/").lower() == endpoint.key:  # the template itself: fill from params
        for name in endpoint.path_params:
            if name.lower() not in given:
                out.append(
                    (f"missing path parameter {name}=... (it goes into {endpoint.path})", name)
                )
    for name in endpoint.required:
        if name.lower() in given:
            continue
        if has_token and name == TOKEN_STANDS_FOR:
            continue
        out.append((f"missing required parameter {name}", name))
    for group in endpoint.one_of:
        if not any(n.lower() in given for n in group):
            out.append((f"needs one of {', '.join(group)}", ""))
    return out


def _text(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _check_value(param: Param, value: Any) -> str | None:
    """A message when ``value`` cannot be right for ``param``; None when it can."""
    value = _text(value)
    kind = param.kind
    if kind is ParamKind.ID:
        return _check_id(param, value)
    if kind is ParamKind.INT:
        return _check_int(param, value)
    if kind is ParamKind.BOOL:
        if isinstance(value, bool) or (
            isinstance(value, str) and value.lower() in ("true", "false")
        ):
            return None
        return f"{param.name} must be true or false, not {value!r}"
    if kind is ParamKind.DATE:
        if isinstance(value, _dt.date):
            return None
        if isinstance(value, str) and _DATE.match(value):
            try:
                _dt.datetime.strptime(value, "%Y%m%d")
            except ValueError:
                pass
            else:
                return None
        return f"{param.name} must be a date (datetime.date or 'yyyyMMdd'), not {value!r}"
    if kind is ParamKind.DECIMAL:
        if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                decimal.Decimal(value)
            except decimal.InvalidOperation:
                pass
            else:
                return None
        return f"{param.name} must be a price such as 0.99, not {value!r}"
    if kind is ParamKind.ENUM and param.choices:
        return _check_choice(param, value)
    return None


_LISTS = (list, tuple, set, frozenset)


def _check_id(param: Param, value: Any) -> str | None:
    """One id (or, for a list parameter, several); numeric ids must be whole numbers >= 1."""
    if isinstance(value, _LISTS):
        if not param.many:
            return f"{param.name} takes one id, not a list ({value!r})"
        values = [_text(v) for v in value]
    elif param.many and isinstance(value, str):
        values = [v.strip() for v in value.split(",")]
    else:
        values = [value]
    if not param.numeric:
        return None
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            continue
        if isinstance(v, str) and v.isascii() and v.isdecimal():
            continue
        shown = f"{v!r} in {value!r}" if len(values) > 1 or v is not value else repr(v)
        return f"{param.name} must be a 7digital id (a whole number such as 12345), not {shown}"
    return None


def _check_int(param: Param, value: Any) -> str | None:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _INT.match(value.strip())
    ):
        number = int(value)
    if number is None:
        return f"{param.name} must be a whole number, not {value!r}"
    if param.minimum is not None and number < param.minimum:
        return f"{param.name} must be at least {param.minimum}, not {number}"
    if param.maximum is not None and number > param.maximum:
        return f"{param.name} must be at most {param.maximum}, not {number}"
    return None


def _check_choice(param: Param, value: Any) -> str | None:
    if param.many and isinstance(value, str):
        values: list[Any] = [v.strip() for v in value.split(",") if v.strip()]
    elif param.many and isinstance(value, list | tuple | set | frozenset):
        values = [_text(v) for v in value]
    else:
        values = [value]
    allowed = {c.lower(): c for c in param.choices}
    for v in values:
        if isinstance(v, str) and v.lower() in allowed:
            continue
        hint = ""
        if isinstance(v, str):
            near = difflib.get_close_matches(v.lower(), list(allowed), n=1, cutoff=0.6)
            if near:
                hint = f" (did you mean {allowed[near[0]]!r}?)"
        return f"{param.name} must be one of {', '.join(param.choices)}; got {v!r}{hint}"
    return None
