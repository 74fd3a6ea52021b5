#!/usr/bin/env python3
"""Take the screenshots of the sandbox's web pages shown in docs/guides/sandbox-pages.md.

    python scripts/screenshot_sandbox_pages.py            # writes docs/img/sandbox-login.png

Needs Chromium (Debian: ``apt-get install chromium``), playwright and uvicorn
(both in the ``[test]`` extra). Serves a fresh sandbox on a free port, asks it
for a request token and photographs the login page that token opens, once
empty and once after a wrong password.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

import py7D
from py7D.sandbox import Sandbox, running

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    out: Path = parser.parse_args().out
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium not found: apt-get install chromium")
    out.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox()
    with running(sandbox) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 640, "height": 480})
        with py7D.Client(sandbox.consumer_key, sandbox.consumer_secret, base_url=url) as client:
            page.goto(py7D.authorize_url(client, py7D.get_request_token(client)))
        page.wait_for_function("document.activeElement && document.activeElement.id === 'email'")
        page.screenshot(path=str(out / "sandbox-login.png"))
        page.keyboard.type("alice@example.com")
        page.keyboard.press("Tab")
        page.keyboard.type("wrong")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        page.screenshot(path=str(out / "sandbox-login-error.png"))
        browser.close()
    print(f"wrote {out / 'sandbox-login.png'} and {out / 'sandbox-login-error.png'}")


if __name__ == "__main__":
    main()
