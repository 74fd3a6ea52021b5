"""The generated resource-style methods: names, snake->camel mapping, docs, freshness."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import py7D
from py7D import _resources
from py7D._endpoints import ENDPOINTS, PARAMS, Endpoint, python_name

pytestmark = pytest.mark.usefixtures("_fresh_warnings")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gen_resources.py"


@functools.cache
def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_resources", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_resources", module)
    spec.loader.exec_module(module)
    return module


def test_generated_module_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert _generator().main(["--check"]) == 0, capsys.readouterr().err


def test_check_mode_notices_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    stale = tmp_path / "_resources.py"
    stale.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(gen, "TARGET", stale)  # the module is cached: undo after the test
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0


# --------------------------------------------------------------------------- naming


@pytest.mark.parametrize(
    ("api", "python"),
    [
        ("artistId", "artist_id"),
        ("pageSize", "page_size"),
        ("sevenDigitalIds", "seven_digital_ids"),
        ("mbIds", "mb_ids"),
        ("ipaddress", "ipaddress"),
        ("cardHolderName", "card_holder_name"),
        ("type", "type_"),
        ("id", "id_"),
        ("artist-byurl", "artist_byurl"),
    ],
)
def test_python_names(api: str, python: str) -> None:
    assert python_name(api) == python


@pytest.mark.parametrize(
    ("path", "method", "python"),
    [
        ("artist/search", "GET", "artist.search"),
        ("artist/topTracks", "GET", "artist.top_tracks"),
        ("release/bytag/top", "GET", "release.bytag_top"),
        ("release/match/byId", "GET", "release.match_by_id"),
        ("user/payment/card/select", "POST", "user.payment_card_select"),
        ("basket/addItem", "GET", "basket.add_item"),
        ("basket/addpriceditem", "GET", "basket.add_priced_item"),
        ("tag", "GET", "tag.get"),
        ("users/{id}/update", "PUT", "users.update"),
        ("user/payment/cardregistration/{id}", "GET", "user.payment_card_registration_status"),
        ("user/unlimitedStreaming", "GET", "user.unlimited_streaming"),
        ("user/unlimitedStreaming", "POST", "user.update_unlimited_streaming"),
        ("oauth/requestToken", "GET", "oauth.request_token"),
    ],
)
def test_method_names(path: str, method: str, python: str) -> None:
    ep = py7D._endpoints.find_endpoint(path, method)
    assert ep is not None
    assert f"{ep.resource}.{ep.method_name}" == python


@pytest.mark.parametrize("cls", [py7D.Client, py7D.AsyncClient])
def test_every_endpoint_has_a_method_with_a_docstring(cls: type) -> None:
    client = cls("key", "secret")
    for ep in ENDPOINTS:
        resource = getattr(client, ep.resource)
        method = getattr(resource, ep.method_name)
        doc = inspect.getdoc(method)
        assert doc is not None
        assert doc.startswith(ep.description), ep.path
        assert f"{ep.method} /1.2/{ep.path}" in doc
        for name in ep.parameters:
            assert f"\n{PARAMS.get(name, py7D.Param(name)).python_name}:" in "\n" + doc, name
        assert inspect.getdoc(type(resource))
        if ep.paged:
            assert inspect.getdoc(getattr(resource, ep.method_name + "_pages"))
            assert inspect.getdoc(getattr(resource, ep.method_name + "_items"))
        else:
            assert not hasattr(resource, ep.method_name + "_pages")


def _method(ep: Endpoint, is_async: bool) -> Any:
    cls = getattr(_resources, _generator().class_name(ep.resource, is_async))
    return getattr(cls, ep.method_name)


def test_async_methods_are_coroutines_and_sync_ones_are_not() -> None:
    for ep in ENDPOINTS:
        assert inspect.iscoroutinefunction(_method(ep, True))
        assert not inspect.iscoroutinefunction(_method(ep, False))


def test_signatures_are_keyword_only_and_required_where_the_table_says() -> None:
    for ep in ENDPOINTS:
        params = dict(inspect.signature(_method(ep, False)).parameters)
        assert inspect.signature(_method(ep, True)).parameters.keys() == params.keys()
        del params["self"]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
        required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
        expected = {
            python_name(n)
            for n in (*ep.path_params, *ep.required)
            if not (n == "userId" and "access_token" in params)
        }
        assert required == expected, ep.path


# --------------------------------------------------------------------------- calls


class Recorder:
    def __init__(self, body: str = '<response status="ok" version="1.2"/>') -> None:
        self.body = body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, text=self.body)

    def params(self, n: int = -1) -> dict[str, str]:
        request = self.requests[n]
        if request.method in ("GET", "DELETE"):
            return dict(request.url.params)
        return dict(httpx.QueryParams(request.content.decode()))


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def mock_client(rec: Recorder) -> py7D.Client:
    return py7D.Client("key", "secret", transport=httpx.MockTransport(rec), environ={})


def test_snake_case_maps_to_camel_case(rec: Recorder, mock_client: py7D.Client) -> None:
    mock_client.release.search(
        q="wall", type_="album", page_size=3, usage_types=["download"], image_size=350
    )
    assert rec.params() == {
        "oauth_consumer_key": "key",
        "country": "GB",
        "q": "wall",
        "type": "album",
        "pageSize": "3",
        "usageTypes": "download",
        "imageSize": "350",
    }
    mock_client.release.match_by_id(seven_digital_ids=[1, 2])
    assert rec.params()["sevenDigitalIds"] == "1,2"
    assert "authorization" in rec.requests[-1].headers  # 2-legged from the table


def test_none_is_not_sent_and_params_pass_extras(rec: Recorder, mock_client: py7D.Client) -> None:
    mock_client.artist.details(artist_id=1, image_size=None, params={"tag_x": "y"}, country="US")
    assert rec.params() == {
        "oauth_consumer_key": "key",
        "artistId": "1",
        "country": "US",
        "tag_x": "y",
    }


def test_verbs_path_params_and_tokens(rec: Recorder, mock_client: py7D.Client) -> None:
    token = py7D.Token("tok", "sec")
    mock_client.users.update(id_=42, email_address="a@b.c", access_token=token)
    request = rec.requests[-1]
    assert (request.method, request.url.path) == ("PUT", "/1.2/users/42/update")
    assert rec.params() == {"country": "GB", "emailAddress": "a@b.c"}
    assert 'oauth_token="tok"' in request.headers["authorization"]

    mock_client.user.payment_card_registration_status(id_="abc", access_token=token)
    assert rec.requests[-1].url.path == "/1.2/user/payment/cardregistration/abc"

    mock_client.user.update_unlimited_streaming(user_id=7)
    assert rec.requests[-1].method == "POST"
    mock_client.user.unlimited_streaming(access_token=token)
    assert rec.requests[-1].method == "GET"

    mock_client.basket.apply_voucher(basket_id="b", voucher_code="V")
    assert rec.requests[-1].method == "POST"
    assert rec.params() == {"country": "GB", "basketId": "b", "voucherCode": "V"}


def test_managed_user_id_signs_two_legged(rec: Recorder, mock_client: py7D.Client) -> None:
    mock_client.user.locker(user_id=5, page_size=2)
    request = rec.requests[-1]
    assert "oauth_token" not in request.headers["authorization"]
    assert rec.params()["userId"] == "5"


def test_result_is_the_same_object_as_request(rec: Recorder, mock_client: py7D.Client) -> None:
    result = mock_client.status.get()
    assert isinstance(result, py7D.Result)
    assert result.endpoint is py7D._endpoints.find_endpoint("status")


async def test_async_resource_calls(rec: Recorder) -> None:
    async with py7D.AsyncClient("key", "secret", transport=httpx.MockTransport(rec)) as client:
        result = await client.artist.browse(letter="p", page_size=2)
        assert isinstance(result, py7D.Result)
    assert rec.params()["letter"] == "p"
    assert rec.params()["pageSize"] == "2"


def test_against_the_sandbox(client: py7D.Client, alice: py7D.Token) -> None:
    hits = client.artist.search(q="pink", page_size=3)
    assert hits.page_info is not None
    assert hits.page_info.page_size == 3
    basket = client.basket.create().data["@id"]
    tracks = client.release.tracks(release_id=100007, page_size=2, normalize=True).data["track"]
    client.basket.add_item(basket_id=basket, release_id=100007, track_id=tracks[0]["@id"])
    items = client.basket.get(basket_id=basket, normalize=True).data["basketItems"]["basketItem"]
    assert [item["trackId"] for item in items] == [tracks[0]["@id"]]
    me = client.user.details(access_token=alice).data
    assert me["emailAddress"] == "alice@example.com"


# --------------------------------------------------------------------------- the listing


def test_endpoints_listing_for_people_and_tools() -> None:
    assert py7D.endpoints() == py7D.ENDPOINTS
    assert len(py7D.ENDPOINTS) == 76
    artist = py7D.endpoints("ARTIST")
    assert artist
    assert all(ep.resource == "artist" for ep in artist)
    rows = json.loads(json.dumps([ep.to_dict() for ep in py7D.endpoints()]))
    search = next(r for r in rows if r["path"] == "artist/search")
    assert search["python"] == "artist.search"
    assert search["paged"] is True
    assert search["description"]
    assert py7D.endpoints("nothing") == ()


def test_type_hints_take_the_reply_spellings_and_refuse_other_values(tmp_path: Path) -> None:
    """mypy --strict accepts ``type_="Album"`` (how replies spell it) and refuses a typo."""
    mypy_api = pytest.importorskip("mypy.api")
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import py7D\n"
        "def ok(client: py7D.Client) -> None:\n"
        '    client.release.search(q="x", type_="Album")\n'
        '    client.release.search(q="x", type_="album")\n'
        '    client.release.details(release_id=1, usage_types=["subscriptionStreaming"])\n'
        "def typo(client: py7D.Client) -> None:\n"
        '    client.release.search(q="x", type_="Albm")\n'
    )
    stdout, _, status = mypy_api.run(
        [
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(sample),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1
    assert len(errors) == 1, stdout
    assert "sample.py:7:" in errors[0]
    assert "Albm" in errors[0]


# Lines ending in "# error: <text>" must draw a mypy --strict error mentioning <text>;
# every other line must pass.
USER_CODE = """\
import py7D


def right(client: py7D.Client, token: py7D.Token) -> None:
    client.release.search(q="x", type_="Album", page_size=None)
    client.release.details(release_id=1, usage_types=["subscriptionStreaming"])
    client.user.locker(access_token=token, page_size=3, sort="artistName asc")
    client.user.locker(access_token=("key", "secret"))
    client.users.update(id_=42, email_address="a@b.c", params={"x": 1}, normalize=True)
    for item in client.artist.search_items(q="pink", limit=3):
        print(item)
    assert client.artist is client.artist


def right_options() -> None:
    py7D.Client("key", "secret", retries=3, cache=True, rate_limit=5.0, environ={}).close()
    py7D.Client(profile="work", normalize=True, verify="ca.pem", max_response_bytes=None)
    py7D.AsyncClient(retries=None, cache=py7D.MemoryCache(), event_hooks={"request": []})


async def right_async(client: py7D.AsyncClient) -> None:
    result: py7D.Result = await client.artist.search(q="x", country="US")
    async for page in client.artist.search_pages(q="x", limit=2):
        print(page, result)


def wrong(client: py7D.Client) -> None:
    client.artist.search(q="pink", page_sise=3)  # error: "page_sise"
    client.artist.search(q="pink", page_size="3")  # error: "page_size"
    client.release.search(q="x", type_="Albm")  # error: "Albm"
    client.release.details()  # error: "release_id"
    client.artist.search_items(q="x", limit="3")  # error: "limit"
    client.user.locker(sort="artistName")  # error: "sort"
    client.artist.search(q="x", normalise=True)  # error: "normalise"
    client.user.locker(access_token=42)  # error: "access_token"
    client.user.locker(access_token=("key", 1))  # error: "access_token"


def wrong_options() -> None:
    py7D.Client(retires=3)  # error: "retires"
    py7D.Client(cache="yes")  # error: "cache"
    py7D.AsyncClient(normalise=True)  # error: "normalise"
    py7D.AsyncClient(max_response_bytes="1MB")  # error: "max_response_bytes"


async def wrong_async(client: py7D.AsyncClient) -> None:
    client.artist.search_items(q="x", limit=1).__next__()  # error: "__next__"
    await client.artist.search(qq="x")  # error: "qq"
"""


def _mypy_errors(tmp_path: Path, code: str) -> dict[int, str]:
    mypy_api = pytest.importorskip("mypy.api")
    sample = tmp_path / "user_code.py"
    sample.write_text(code, encoding="utf-8")
    stdout, _, _ = mypy_api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(sample)]
    )
    errors: dict[int, str] = {}
    for line in stdout.splitlines():
        if ": error:" in line:
            number = int(line.split(":")[1])
            errors[number] = errors.get(number, "") + line
    return errors


def test_mypy_rejects_wrong_calls_and_passes_right_ones(tmp_path: Path) -> None:
    errors = _mypy_errors(tmp_path, USER_CODE)
    for number, line in enumerate(USER_CODE.splitlines(), start=1):
        if "# error: " in line:
            expected = line.split("# error: ")[1]
            assert number in errors, f"mypy accepted line {number}: {line.strip()}"
            assert expected.strip('"') in errors[number], errors[number]
        else:
            assert number not in errors, errors[number]


def test_stub_matches_the_runtime_methods(tmp_path: Path) -> None:
    """``mypy.stubtest``: the classes, methods, signatures and aliases of the stub exist."""
    stubtest = pytest.importorskip("mypy.stubtest")
    # The stub's own TypedDicts and signatures are what is compared; skipping the
    # modules it imports keeps the check to about a second.
    config = tmp_path / "stubtest.ini"
    config.write_text("[mypy]\nfollow_imports = skip\nfollow_imports_for_stubs = True\n")
    options = stubtest.parse_options(["py7D._resources", "--mypy-config-file", str(config)])
    assert stubtest.test_stubs(options) == 0


def test_client_options_list_every_keyword_option_of_the_base_client() -> None:
    """``ClientOptions`` (what mypy checks) and ``BaseClient`` (what runs) take the same options."""
    from py7D._client import BaseClient, ClientOptions

    keyword_only = {
        name
        for name, p in inspect.signature(BaseClient.__init__).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert keyword_only == set(ClientOptions.__annotations__)


def test_a_namespace_is_the_same_object_on_every_access() -> None:
    client = py7D.Client("key", "secret", environ={})
    assert client.artist is client.artist
    assert client.artist._client is client  # type: ignore[attr-defined]
    assert py7D.Client("key", "secret", environ={}).artist is not client.artist


def test_a_wrong_keyword_is_a_type_error_that_says_what_to_do(mock_client: py7D.Client) -> None:
    with pytest.raises(TypeError, match="'page_sise'; did you mean 'page_size'"):
        mock_client.artist.search(q="x", page_sise=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"missing required keyword argument.*release_id"):
        mock_client.release.details()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="it takes q, page"):
        mock_client.artist.search(q="x", zzz=1)  # type: ignore[call-arg]


def test_resources_import_no_client_module() -> None:
    """No import cycle: the resource module does not need either client module."""
    code = "import sys, py7D._resources; print(sorted(m for m in sys.modules if 'client' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "py7D._client" not in out.stdout
    assert "py7D._async_client" not in out.stdout
