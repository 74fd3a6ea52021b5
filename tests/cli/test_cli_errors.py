"""Each class of failure: one line on stderr, its own exit status, no traceback unless --debug."""

from __future__ import annotations

import socket

import pytest

USAGE, API, NETWORK, CONFIG, AUTH, REPLY = 2, 3, 4, 5, 6, 7


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert lines[0].startswith("py7d: ")
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "name an endpoint"),
        (("artist", "search", "pink"), "expected key=value"),
        (("artist", "search", "q=pink", "--limit", "0"), "--limit"),
        (("artist", "search", "q=pink", "-x"), "unrecognized arguments: -x"),
        (("completion", "tcsh"), "invalid choice"),
        (("endpoints", "artsit"), "did you mean artist"),
        (("sign", "not-a-url"), "http://"),
        (("artist",), "artist needs an action: browse, chart, details"),
    ],
)
def test_usage_errors(module_cli, args: tuple[str, ...], needle: str) -> None:
    out = module_cli.run(*args)
    assert out.code == USAGE, out
    assert needle in _one_line(out.stderr)


def test_api_error_shows_the_code_and_what_to_do(module_cli) -> None:
    out = module_cli.run("artist", "details", "artistId=999999")
    assert out.code == API, out
    line = _one_line(out.stderr)
    assert "API error 2001" in line
    assert "check the id" in line
    assert out.stdout == ""


def test_invalid_parameter_is_refused_before_sending(module_cli) -> None:
    out = module_cli.run("artist", "search", "q=pink", "pageSize=500")
    assert out.code == USAGE, out
    assert "pageSize must be at most 50" in _one_line(out.stderr)


def test_typo_of_an_endpoint_is_a_usage_error_with_a_suggestion(module_cli) -> None:
    out = module_cli.run("artist", "detials", "artistId=2")
    assert out.code == USAGE, out
    line = _one_line(out.stderr)
    assert "did you mean 'artist/details'" in line
    assert "--no-validate" in line


def test_network_error(module_cli) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = module_cli.run("tag", env={"PY7D_API_URL": f"http://127.0.0.1:{port}/1.2"})
    assert out.code == NETWORK, out
    line = _one_line(out.stderr)
    assert "network error" in line
    assert "API URL" in line


def test_missing_consumer_key_is_a_config_error(module_cli) -> None:
    out = module_cli.run("tag", env={"PY7D_CONSUMER_KEY": None})
    assert out.code == CONFIG, out
    assert "PY7D_CONSUMER_KEY" in _one_line(out.stderr)


def test_unknown_profile_is_a_config_error(module_cli) -> None:
    out = module_cli.run("--profile", "nope", "tag")
    assert out.code == CONFIG, out
    assert "profile 'nope'" in _one_line(out.stderr)


def test_refused_signature_is_an_auth_error(module_cli, served) -> None:
    out = module_cli.run(
        "artist", "match/byId", "sevenDigitalIds=2", env={"PY7D_CONSUMER_SECRET": "wrong"}
    )
    assert out.code == AUTH, out
    line = _one_line(out.stderr)
    assert "OAuth" in line
    assert "wrong" not in line


def test_reply_that_is_not_xml(module_cli) -> None:
    out = module_cli.run("artist", "detials", "artistId=2", "--no-validate")
    assert out.code == REPLY, out
    assert "not a 7digital XML envelope" in _one_line(out.stderr)


def test_debug_logs_requests_without_secrets(module_cli, served) -> None:
    out = module_cli.run("--debug", "artist", "match/byId", "sevenDigitalIds=2")
    assert out.code == 0, out
    assert "py7d: debug:" in out.stderr
    assert "GET " in out.stderr
    assert "match/byId" in out.stderr
    assert served.consumer_secret not in out.stderr
    assert "oauth_signature" not in out.stderr
    assert "authorization" not in out.stderr.lower()


def test_debug_shows_the_traceback(module_cli) -> None:
    out = module_cli.run("--debug", "artist", "details", "artistId=999999")
    assert out.code == API
    assert "Traceback" in out.stderr
    assert out.stderr.rstrip().splitlines()[-1].startswith("py7d: API error 2001")


def test_debug_never_shows_the_users_token_secret(cli, served) -> None:
    login = cli.run(
        "login", "--username", served.email, "--password-stdin", input=served.password + "\n"
    )
    assert login.code == 0, login
    import json
    from pathlib import Path

    record = json.loads((Path(cli.config_dir) / "tokens" / "default.json").read_text())
    out = cli.run("--debug", "user", "locker")
    assert out.code == 0, out
    assert record["secret"] not in out.stderr + out.stdout
    assert served.password not in out.stderr
