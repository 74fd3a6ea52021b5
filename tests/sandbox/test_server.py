"""The sandbox on a real port: ``running()``, and ``python -m py7D.sandbox`` in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

import httpx
import pytest
from sandbox_support import ALICE, KEY, Clock, Signer, access_token, content

from py7D.sandbox import Sandbox, running

SRC = Path(__file__).resolve().parents[2] / "src"


def test_running_serves_signed_and_unsigned_calls() -> None:
    clock = Clock(time.time())
    sandbox = Sandbox(clock=clock)
    with running(sandbox) as url:
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/1.2")
        with httpx.Client(base_url=url, timeout=10) as client:
            plain = client.get("artist/details", params={"artistId": 2, "oauth_consumer_key": KEY})
            assert plain.status_code == 200
            assert content(plain).findtext("name") == "Pink Floyd"
            assert plain.headers["x-ratelimit-limit"] == "4000"
            # Signed for http://127.0.0.1:<port>/1.2/...: the Host header makes the base string.
            signer = Signer(clock, url)
            token = access_token(sandbox, ALICE)
            signed = signer.request("GET", "user/locker", token=token)
            assert client.send(signed).status_code == 200
            posted = signer.request(
                "POST",
                "user/authenticate",
                data={"emailAddress": ALICE, "password": "alice-password"},
            )
            assert client.send(posted).status_code == 200
            forged = signer.request("GET", "user/locker", token=(token[0], "wrong"))
            refused = client.send(forged)
            assert refused.status_code == 401
            assert refused.text == "OAuth authentication error: Invalid signature"
            head = client.head("artist/details", params={"artistId": 2, "oauth_consumer_key": KEY})
            assert (head.status_code, head.content) == (200, b"")
            assert head.headers["content-length"] == str(len(plain.content))
            missing = client.get("nothing", params={"oauth_consumer_key": KEY})
            assert (missing.status_code, missing.text) == (404, "Resource not found")
            preview = client.get(
                "track/preview",
                params={"trackId": 1000030, "oauth_consumer_key": KEY},
                follow_redirects=True,
            )
            assert preview.status_code == 200
            assert preview.headers["content-type"] == "audio/mpeg"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/status", params={"oauth_consumer_key": KEY}, timeout=2)


async def test_running_with_an_async_client() -> None:
    with running() as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            response = await client.get(
                "artist/search", params={"q": "pink", "oauth_consumer_key": KEY}
            )
    assert content(response).findtext("searchResult/artist/name") == "Pink"


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "py7D.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # A reader thread: select() on a buffered text pipe misses lines already read ahead.
    queue: Queue[str | None] = Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def pump() -> None:
        for line in stdout:
            queue.put(line)
        queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            line = queue.get(timeout=0.5)
        except Empty:
            continue
        if line is None:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("stop with"):
            return proc, lines
    proc.kill()
    raise AssertionError(f"no start-up banner: {lines} {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_main_prints_the_url_and_stops_cleanly(stop: signal.Signals) -> None:
    proc, lines = _start(
        "--consumer-key", "k1", "--consumer-secret", "s1", "--user", "zed@example.com:pw"
    )
    try:
        banner = "\n".join(lines)
        assert lines[0].startswith("py7D sandbox serving on http://127.0.0.1:")
        url = lines[0].rsplit(" ", 1)[1]
        assert "consumer key: k1" in banner
        assert "consumer secret: s1" in banner
        assert "alice@example.com / alice-password" in banner
        assert "zed@example.com / pw" in banner
        assert f"export PY7D_API_URL={url} PY7D_CONSUMER_KEY=k1 PY7D_CONSUMER_SECRET=s1" in banner
        response = httpx.get(f"{url}/status", params={"oauth_consumer_key": "k1"}, timeout=10)
        assert response.status_code == 200
        proc.send_signal(stop)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_importing_the_sandbox_does_not_import_uvicorn() -> None:
    code = "import sys, py7D.sandbox; assert 'uvicorn' not in sys.modules, 'uvicorn imported'"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
