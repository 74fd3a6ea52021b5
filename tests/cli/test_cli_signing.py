"""``py7d sign URL``: signed media URLs the sandbox accepts, and ``--explain`` step by step."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx

TRACK = "1000001"


def _clip(served) -> str:
    return served.url.rsplit("/1.2", 1)[0] + f"/clip/{TRACK}"


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_signed_url_is_accepted_by_the_sandbox(module_cli, served) -> None:
    out = module_cli.run("sign", _clip(served), "country=GB")
    assert out.code == 0, out
    url = out.stdout.strip()
    query = _query(url)
    assert query["oauth_consumer_key"] == served.consumer_key
    assert query["oauth_signature_method"] == "HMAC-SHA1"
    assert query["country"] == "GB"
    assert "oauth_token" not in query
    assert httpx.get(url, timeout=10).status_code == 200
    assert served.consumer_secret not in out.stdout


def test_explain_shows_each_step_with_secrets_masked(module_cli, served) -> None:
    out = module_cli.run("sign", _clip(served), "country=GB", "--explain")
    assert out.code == 0, out
    text = out.stdout
    for step in range(1, 8):
        assert f"\n{step}. " in text
    assert "country = GB" in text
    assert re.search(
        r"^     GET&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fclip%2F" + TRACK + "&", text, re.M
    )
    assert "***&   (2-legged" in text
    assert "-> matches" in text
    assert served.consumer_secret not in text
    signed = text.split("URL\n  ", 1)[1].split("\n", 1)[0]
    assert httpx.get(signed, timeout=10).status_code == 200


def test_explain_checks_an_already_signed_url(module_cli, served) -> None:
    signed = module_cli.run("sign", _clip(served)).stdout.strip()
    ok = module_cli.run("sign", signed, "--explain")
    assert ok.code == 0, ok
    assert "-> matches" in ok.stdout
    bad = module_cli.run("sign", signed, "--explain", env={"PY7D_CONSUMER_SECRET": "s3cr3t-x"})
    assert bad.code == 6, bad
    assert "DOES NOT MATCH" in bad.stdout
    assert "does not match" in bad.stderr
    assert "s3cr3t-x" not in bad.stdout + bad.stderr


def test_already_signed_url_is_not_signed_twice(module_cli, served) -> None:
    signed = module_cli.run("sign", _clip(served)).stdout.strip()
    out = module_cli.run("sign", signed)
    assert out.code == 2
    assert "already signed" in out.stderr


def test_token_signs_three_legged(cli, served) -> None:
    assert (
        cli.run(
            "login", "--username", served.email, "--password-stdin", input=served.password + "\n"
        ).code
        == 0
    )
    out = cli.run("sign", _clip(served), "--token", "--explain")
    assert out.code == 0, out
    assert "oauth_token = " in out.stdout
    assert "***&***   (3-legged)" in out.stdout
    explicit = cli.run("sign", _clip(served), "--token", "-", input="tok-key:tok-secret\n")
    assert explicit.code == 0, explicit
    assert _query(explicit.stdout.strip())["oauth_token"] == "tok-key"
    assert "tok-secret" not in explicit.stdout
