"""The endpoint table itself: complete, consistent with endpoints.json, and self-consistent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import py7D
from py7D._endpoints import ENDPOINTS, PARAMS, Endpoint, ParamKind, find_endpoint, find_endpoints

pytestmark = pytest.mark.usefixtures("_fresh_warnings")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "api" / "endpoints.json"


def _rows() -> list[dict[str, Any]]:
    if not SHARED.is_file():
        pytest.skip("endpoints.json not available")
    rows: list[dict[str, Any]] = json.loads(SHARED.read_text(encoding="utf-8"))
    return rows


def _row_key(row: dict[str, Any]) -> tuple[str, str]:
    return row["path"].replace(":id", "{id}"), row["http_method"]


def test_the_61_actions_are_in_the_table_as_documented() -> None:
    rows = _rows()
    assert len(rows) == 61
    for row in rows:
        path, method = _row_key(row)
        ep = find_endpoint(path, method)
        assert ep is not None, (path, method)
        assert ep.path == path
        assert ep.auth.value == row["auth"], path
        assert list(ep.required) == row["required_params"], path
        one_of = row["required_one_of"]
        assert [list(g) for g in ep.one_of] == ([one_of] if one_of else []), path
        assert list(ep.optional) == row["optional_params"], path
        assert list(ep.path_params) == row["path_params"], path
        root = row["reply_root"]
        if root.startswith("("):  # "(unconfirmed)", "(empty)": the table does not guess
            assert ep.root is None, path
        else:
            assert ep.root == root, path
        assert [f"{root}.{p}" for p in ep.lists] == row["list_elements"], path


def test_every_row_is_described_and_named() -> None:
    names: set[tuple[str, str]] = set()
    for ep in ENDPOINTS:
        assert ep.description, ep.path
        assert ep.description.endswith("."), ep.path
        assert len(ep.description) <= 90, ep.path
        assert ep.method_name.isidentifier(), ep.path
        assert (ep.resource, ep.method_name) not in names, ep.path
        names.add((ep.resource, ep.method_name))


def test_every_parameter_is_in_the_catalogue() -> None:
    for ep in ENDPOINTS:
        for name in ep.parameters:
            assert name in PARAMS or any(p.name == name for p in ep.params), (ep.path, name)
            param = ep.param(name)
            assert param.description, (ep.path, name)
            if param.kind is ParamKind.ENUM:
                assert param.choices, name


def test_items_are_among_the_lists() -> None:
    for ep in ENDPOINTS:
        if ep.items is not None:
            assert ep.items in ep.lists, ep.path
            assert "page" in ep.parameters
            assert "pageSize" in ep.parameters


def test_lookups_are_case_insensitive_and_know_templates() -> None:
    assert find_endpoint("ARTIST/TOPTRACKS") is find_endpoint("artist/topTracks")
    assert find_endpoint("users/123/update") is find_endpoint("users/{id}/update")
    assert find_endpoint("user/payment/cardregistration/a-b-c") is not None
    assert len(find_endpoints("user/unlimitedStreaming")) == 2
    assert find_endpoint("user/unlimitedStreaming", "post") is not None
    assert find_endpoint("nothing/here") is None


def test_param_lookup_prefers_the_endpoint_override() -> None:
    update = find_endpoint("users/{id}/update")
    registration = find_endpoint("user/payment/cardregistration/{id}")
    assert isinstance(update, Endpoint)
    assert isinstance(registration, Endpoint)
    assert update.param("ID").description != registration.param("id").description
    assert update.param("emailAddress") is PARAMS["emailAddress"]
    assert update.param("unknownThing").name == "unknownThing"


def test_public_names() -> None:
    assert py7D.PARAMS["pageSize"].maximum == 50
    assert py7D.ParamKind.DATE.value == "date"
    assert py7D.endpoints("user")[0].auth is py7D.AuthLevel.USER


def test_media_downloads_are_signed_urls_apart_from_the_api_calls() -> None:
    from py7D._endpoints import MEDIA_ENDPOINTS, find_media_endpoint

    paths = [ep.path for ep in MEDIA_ENDPOINTS]
    assert paths == [
        "media/user/downloadtrack",
        "media/user/download/release",
        "media/user/download/purchase",
    ]
    for ep in MEDIA_ENDPOINTS:
        assert ep.media
        assert ep.auth.value == "3-legged"
        assert ep.host is not None
        assert ep.host.startswith("http")
        assert ep.media_type in ("audio/mpeg", "application/zip")
        assert "formatId" in ep.required
        assert find_media_endpoint(ep.path.upper()) is ep
        assert find_endpoint(ep.path) is None  # not a /1.2 call
    assert not any(ep.media for ep in ENDPOINTS)
    assert find_media_endpoint("media/user/streamtrack") is None
