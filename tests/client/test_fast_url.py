"""The core builds the same URLs as ``httpx.Request(params=...)``, fast path or not."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from py7D import _fast_request

BASES = [
    "https://api.7digital.com/1.2",
    "http://127.0.0.1:8000/1.2",
    "http://localhost:8000/sandbox/1.2",
    "https://h.example/a%20b/1.2",
    "https://h.example/1.2?x=1",
]
paths = st.sampled_from(["artist/details", "tag", "users/42/update", "a b", "x{y}", "é/ü", "a~b"])
# Distinct names: httpx groups repeated names together, build_call never repeats one.
params = st.lists(
    st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=12)),
    max_size=5,
    unique_by=lambda pair: pair[0],
)


@given(base=st.sampled_from(BASES[:4]), path=paths, query=params)
def test_same_url_as_httpx_params(base: str, path: str, query: list[tuple[str, str]]) -> None:
    built = httpx.Request("GET", _fast_request.request_url(base, path, list(query)))
    expected = httpx.Request("GET", f"{base}/{path}", params=query)
    assert built.url == expected.url
    assert str(built.url) == str(expected.url)
    assert built.url.raw_path == expected.url.raw_path


def test_a_base_url_with_a_query_takes_the_slow_path() -> None:
    assert _fast_request._fast_url(BASES[4], "artist/details", "a=1") is None


def test_the_fast_path_switches_itself_off_when_httpx_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_fast_request, "_fast_urls_ok", None)
    monkeypatch.setattr(_fast_request, "_parsed_bases", {})
    monkeypatch.setattr(httpx.URL, "__eq__", lambda self, other: False)

    assert _fast_request._fast_url(BASES[0], "artist/details", "a=1") is None
    assert _fast_request._fast_urls_ok is False
    assert _fast_request.request_url(BASES[0], "tag", [("a", "1")]) == f"{BASES[0]}/tag?a=1"
