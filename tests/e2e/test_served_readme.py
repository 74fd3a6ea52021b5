"""The original py7D's README, run unchanged against ``py7d sandbox`` on a real port.

The sandbox runs as the real command in a subprocess; the seed's code runs in
another Python process configured only through ``PY7D_*`` environment
variables, as a user of the original py7D would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("uvicorn", reason="the served sandbox needs the sandbox extra (uvicorn)")

SRC = Path(__file__).resolve().parents[2] / "src"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PY7D_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "py7D", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    url = None
    lines = []
    for _ in range(50):
        line = proc.stdout.readline()
        lines.append(line)
        match = re.search(r"(http://127\.0\.0\.1:\d+/1\.2)", line)
        if match:
            url = match.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail("py7d sandbox did not print its URL: " + "".join(lines))
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def run_seed_script(url: str, code: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = _env(
        PY7D_API_URL=url,
        PY7D_CONSUMER_KEY="sandbox-key",
        PY7D_CONSUMER_SECRET="sandbox-secret",
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_seed_readme_catalogue_examples(served: str) -> None:
    proc = run_seed_script(
        served,
        """
        import json, py7D
        search = py7D.request('artist', 'search', q='pink', pageSize=3)
        details = py7D.request('artist', 'details', artistId=263)
        tags = py7D.request('tag', None)
        results = search['response']['searchResults']['searchResult']
        print(json.dumps({
            'names': [r['artist']['name'] for r in results],
            'status': search['http_headers']['status'],
            'limit': search['http_headers']['x-ratelimit-limit'],
            'details': details['response']['artist']['@id'],
            'tags': len(tags['response']['tags']['tag']),
        }))
        """,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out["names"]) == {"Pink", "Pink Floyd", "Pink Martini"}
    assert out["status"] == "200"
    assert out["limit"] == "4000"
    assert out["details"] == "263"
    assert out["tags"] > 0


def test_seed_readme_oauth_flow_with_the_browser_step(served: str) -> None:
    # The seed's flow prints the authorisation URL and waits for Enter; a
    # person logs in on the sandbox's page meanwhile. Here the test plays the
    # person: it reads the URL, posts the login form, then presses Enter.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-c",
            textwrap.dedent(
                """
                import py7D, oauth7digital as oa7d
                token = oa7d.request_token()
                oa7d.authorize_request_token(token)
                access_token = oa7d.request_access_token(token)
                locker = py7D.oauth_3legged_request('user', 'locker', access_token)
                print('LOCKER', locker['response']['@status'])
                basket = py7D.request('basket', 'create')['response']['basket']['@id']
                py7D.request('basket', 'addItem', basketId=basket, releaseId=100001)
                voucher = py7D.oauth_2legged_request(
                    'basket', 'applyVoucher', basketId=basket, voucherCode='SANDBOX-HALF')
                print('VOUCHER', voucher['response']['@status'])
                purchase = py7D.oauth_3legged_request(
                    'user', 'purchase/basket', access_token, basketId=basket)
                print('PURCHASE', purchase['response']['purchase']['@id'])
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(
            PY7D_API_URL=served,
            PY7D_CONSUMER_KEY="sandbox-key",
            PY7D_CONSUMER_SECRET="sandbox-secret",
        ),
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://\S+/oauth/authorise\?\S+)", line)
        assert match, line
        with httpx.Client() as browser:
            page = browser.get(match.group(1))
            assert page.status_code == 200
            assert "password" in page.text
            done = browser.post(
                match.group(1), data={"email": "alice@example.com", "password": "alice-password"}
            )
            assert done.status_code == 200, done.text
        out, err = proc.communicate("\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "LOCKER ok" in out
    assert "VOUCHER ok" in out
    assert re.search(r"PURCHASE \S+", out)


def test_py7d_sandbox_flag_prints_the_search_as_json() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "py7D", "--sandbox", "artist", "search", "q=pink", "pageSize=3"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    reply = json.loads(proc.stdout)
    names = [r["artist"]["name"] for r in reply["response"]["searchResults"]["searchResult"]]
    assert names == ["Pink", "Pink Floyd", "Pink Martini"]
