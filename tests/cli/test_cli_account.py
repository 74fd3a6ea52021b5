"""``py7d login``/``whoami``/``logout`` and 3-legged calls with the stored token."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import time
from pathlib import Path


def _token_path(cli, profile: str = "default") -> Path:
    return Path(cli.config_dir) / "tokens" / f"{profile}.json"


def _login(cli, served, *extra: str):
    return cli.run(
        *extra,
        "login",
        "--username",
        served.email,
        "--password-stdin",
        input=served.password + "\n",
    )


def test_login_whoami_user_call_logout(cli, served) -> None:
    out = _login(cli, served)
    assert out.code == 0, out
    path = _token_path(cli)
    assert str(path) in out.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert served.password not in path.read_text()

    who = cli.run("whoami")
    assert who.code == 0, who
    assert f"stored in {path}" in who.stdout
    assert served.consumer_secret not in who.stdout + who.stderr

    locker = cli.run("user", "locker")
    assert locker.code == 0, locker
    assert "locker" in json.loads(locker.stdout)["response"]

    gone = cli.run("logout")
    assert gone.code == 0
    assert not path.exists()
    assert "none (run 'py7d login')" in cli.run("whoami").stdout
    after = cli.run("user", "locker")
    assert after.code == 5
    assert "py7d login" in after.stderr


def test_whoami_json_shows_sources_and_no_secret(cli, served) -> None:
    out = cli.run("--country", "DE", "whoami", "--json")
    assert out.code == 0, out
    info = json.loads(out.stdout)
    assert info["api_url"] == {"value": served.url, "source": "$PY7D_API_URL"}
    assert info["consumer_key"]["source"] == "$PY7D_CONSUMER_KEY"
    assert info["consumer_secret"]["value"] == "set (hidden)"
    assert info["country"] == {"value": "DE", "source": "--country"}
    assert info["profile"] == {"value": "default", "source": "default"}
    assert info["token"]["stored"] is False
    assert served.consumer_secret not in out.stdout


def test_profiles_keep_their_own_token(cli, served) -> None:
    config = Path(cli.config_dir) / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[profiles.work]\n"
        f'api_url = "{served.url}"\n'
        f'consumer_key = "{served.consumer_key}"\n'
        f'consumer_secret = "{served.consumer_secret}"\n'
    )
    env = {"PY7D_API_URL": None, "PY7D_CONSUMER_KEY": None, "PY7D_CONSUMER_SECRET": None}
    out = cli.run(
        "--profile",
        "work",
        "login",
        "--username",
        served.email,
        "--password-stdin",
        input=served.password + "\n",
        env=env,
    )
    assert out.code == 0, out
    assert _token_path(cli, "work").exists()
    assert not _token_path(cli).exists()
    who = json.loads(cli.run("--profile", "work", "whoami", "--json", env=env).stdout)
    assert who["profile"] == {"value": "work", "source": "--profile"}
    assert who["consumer_key"]["source"] == f"{config} [work]"
    assert who["token"]["usable"] is True
    assert cli.run("--profile", "work", "user", "locker", env=env).code == 0


def test_wrong_password_is_an_auth_error(cli, served) -> None:
    out = cli.run(
        "login", "--username", served.email, "--password-stdin", input="not-the-password\n"
    )
    assert out.code == 6, out
    assert not _token_path(cli).exists()
    assert "not-the-password" not in out.stderr


def test_password_prompt_needs_a_terminal(cli, served) -> None:
    out = cli.run("login", "--username", served.email)
    assert out.code == 2
    assert "--password-stdin" in out.stderr


def test_browser_flow_prints_the_url_and_waits_for_enter(cli, served) -> None:
    import py7D

    proc = cli.popen("login", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert "/oauth/authorise?oauth_token=" in url
    request_key = url.split("oauth_token=", 1)[1].split("&", 1)[0]
    # The user approves in the browser; here the partner call does the same.
    with py7D.Client(served.consumer_key, served.consumer_secret, base_url=served.url) as client:
        py7D.authorise_request_token(
            client, py7D.Token(request_key, "unused"), served.email, served.password
        )
    out, err = proc.communicate("\n", timeout=30)
    assert proc.returncode == 0, err
    assert "saved in" in out
    assert _token_path(cli).exists()


def test_ctrl_c_exits_quietly_with_130(cli) -> None:
    proc = cli.popen("login", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("http")  # now waiting for Enter
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err


def test_sandbox_login_and_whoami(cli) -> None:
    out = cli.run("--sandbox", "login")
    assert out.code == 0, out
    assert "embedded sandbox" in out.stdout
    assert not _token_path(cli).exists()
    who = json.loads(cli.run("--sandbox", "whoami", "--json").stdout)
    assert who["api_url"]["source"].startswith("--sandbox")
    user = cli.run("--sandbox", "user", "locker")
    assert user.code == 0, user


def test_damaged_token_file_is_a_config_error(cli, served) -> None:
    assert _login(cli, served).code == 0
    _token_path(cli).write_text("not json")
    out = cli.run("user", "locker")
    assert out.code == 5, out
    assert "token file" in out.stderr


def test_token_of_another_server_is_not_sent(cli, served) -> None:
    assert _login(cli, served).code == 0
    other = {"PY7D_API_URL": served.url.replace("127.0.0.1", "localhost")}
    out = cli.run("user", "locker", env=other)
    assert out.code == 5, out
    assert "log in again" in out.stderr
    assert "not usable here" in cli.run("whoami", env=other).stdout


def test_open_hands_the_url_to_the_browser(cli, tmp_path) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)
    out = cli.run("login", "--open", input="\n", env={"BROWSER": f"{browser} %s"})
    url = out.stdout.splitlines()[0]
    assert "/oauth/authorise?oauth_token=" in url
    deadline = time.monotonic() + 10
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert opened.read_text() == url
    # Enter was pressed without approving: the access-token step is refused.
    assert out.code == 6, out
    assert "approve access on the authorisation page before pressing Enter" in out.stderr
    assert not _token_path(cli).exists()
