"""Whatever a client sends, the sandbox answers (no 500s, no exceptions)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_support import KEY, Clock

from py7D._endpoints import ENDPOINTS
from py7D.sandbox import Sandbox

_SANDBOX = Sandbox(clock=Clock())
_NAMES = sorted({p for e in ENDPOINTS for p in e.parameters} | {"page", "pageSize", "country"})
_PATHS = sorted({e.path.replace("{id}", "123") for e in ENDPOINTS})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(_PATHS),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    params=st.dictionaries(st.sampled_from(_NAMES), st.text(max_size=12), max_size=4),
)
def test_random_parameters_never_crash(path: str, method: str, params: dict[str, str]) -> None:
    query = {"oauth_consumer_key": KEY, **params}
    request = httpx.Request(
        method, f"{_SANDBOX.base_url}/{path}", params=query, data=params or None
    )
    response = _SANDBOX.handle(request)
    assert response.status_code < 500, response.text


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=60), header=st.text(max_size=40))
def test_garbage_urls_bodies_and_headers_never_crash(raw: bytes, header: str) -> None:
    text = raw.decode("latin-1")
    url = httpx.URL(f"{_SANDBOX.base_url}/artist/search").copy_with(
        query=raw.hex().encode() + b"&q=%zz"
    )
    for request in (
        httpx.Request(
            "POST", url, content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        httpx.Request(
            "GET",
            url,
            headers={"Authorization": "OAuth " + header.encode("ascii", "ignore").decode()},
        ),
        httpx.Request("GET", f"{_SANDBOX.base_url}/{quote(text, safe='/%')}"),
    ):
        assert _SANDBOX.handle(request).status_code < 500
