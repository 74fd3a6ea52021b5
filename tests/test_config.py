"""Settings resolution: argument > environment > config file > api_settings > defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from py7D import DEFAULT_API_URL, ConfigurationError, Settings, resolve_settings

FIELDS = ("consumer_key", "consumer_secret", "country", "api_url", "timeout")
ENV_NAMES = {
    "consumer_key": "PY7D_CONSUMER_KEY",
    "consumer_secret": "PY7D_CONSUMER_SECRET",
    "country": "PY7D_COUNTRY",
    "api_url": "PY7D_API_URL",
    "timeout": "PY7D_TIMEOUT",
}
# One distinct value per field and per source, so a wrong source is visible.
ARG = {
    "consumer_key": "arg-key",
    "consumer_secret": "arg-secret",
    "country": "AR",
    "api_url": "https://arg.example/1.2",
    "timeout": 1.0,
}
ENV = {
    "consumer_key": "env-key",
    "consumer_secret": "env-secret",
    "country": "EN",
    "api_url": "https://env.example/1.2",
    "timeout": "2",
}
FILE = {
    "consumer_key": "file-key",
    "consumer_secret": "file-secret",
    "country": "FI",
    "api_url": "https://file.example/1.2",
    "timeout": 3,
}
LEGACY = {"consumer_key": "legacy-key", "consumer_secret": "legacy-secret", "country": "LE"}
DEFAULTS = {
    "consumer_key": None,
    "consumer_secret": None,
    "country": "GB",
    "api_url": DEFAULT_API_URL,
    "timeout": 30.0,
}


def config_path() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "py7d" / "config.toml"


def toml_line(name: str, value: object) -> str:
    return f"{name} = {value!r}".replace("'", '"')


def write_config(text: str, path: Path | None = None) -> Path:
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    folder = tmp_path / "legacy"
    folder.mkdir(exist_ok=True)
    (folder / "api_settings.py").write_text(body, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))


def full_legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_legacy(
        tmp_path,
        monkeypatch,
        f"oauthkey = {LEGACY['consumer_key']!r}\n"
        f"secret = {LEGACY['consumer_secret']!r}\n"
        f"country = {LEGACY['country']!r}\n",
    )


def full_file() -> Path:
    return write_config("\n".join(toml_line(k, v) for k, v in FILE.items()) + "\n")


def full_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(ENV_NAMES[name], str(value))


def expected(source: dict[str, object], name: str) -> object:
    value = source[name]
    return float(value) if name == "timeout" else value  # type: ignore[arg-type]


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize("name", FIELDS)
def test_argument_beats_every_other_source(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_env(monkeypatch)
    full_file()
    full_legacy(tmp_path, monkeypatch)

    settings = resolve_settings(**{name: ARG[name]})  # type: ignore[arg-type]

    assert getattr(settings, name) == expected(ARG, name)
    assert settings.sources[name] == "argument"


@pytest.mark.parametrize("name", FIELDS)
def test_environment_beats_file_legacy_and_default(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_NAMES[name], str(ENV[name]))
    full_file()
    full_legacy(tmp_path, monkeypatch)

    settings = resolve_settings()

    assert getattr(settings, name) == expected(ENV, name)
    assert settings.sources[name] == f"${ENV_NAMES[name]}"


@pytest.mark.parametrize("name", FIELDS)
def test_config_file_default_profile_beats_legacy_and_default(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(toml_line(name, FILE[name]) + "\n")
    full_legacy(tmp_path, monkeypatch)

    settings = resolve_settings()

    assert getattr(settings, name) == expected(FILE, name)
    assert settings.sources[name] == f"{path} [default]"


@pytest.mark.parametrize("name", FIELDS)
def test_named_profile_supplies_each_field(name: str) -> None:
    path = write_config(
        'consumer_key = "top-level"\n\n[profiles.x]\n' + toml_line(name, FILE[name]) + "\n"
    )

    settings = resolve_settings(profile="x")

    assert getattr(settings, name) == expected(FILE, name)
    assert settings.sources[name] == f"{path} [x]"
    assert settings.profile == "x"


def test_named_profile_does_not_inherit_top_level_keys() -> None:
    write_config('consumer_key = "top-level"\n\n[profiles.x]\ncountry = "FR"\n')

    settings = resolve_settings(profile="x")

    assert settings.consumer_key is None
    assert settings.sources["consumer_key"] == "default"


def test_default_profile_ignores_named_profile_tables() -> None:
    write_config('country = "DE"\n\n[profiles.x]\nconsumer_key = "x-key"\n')

    settings = resolve_settings()

    assert settings.country == "DE"
    assert settings.consumer_key is None


@pytest.mark.parametrize("name", ["consumer_key", "consumer_secret", "country"])
def test_legacy_api_settings_beats_defaults(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_legacy(tmp_path, monkeypatch)

    settings = resolve_settings()

    assert getattr(settings, name) == LEGACY[name]
    assert settings.sources[name] == "api_settings"


def test_legacy_api_settings_is_not_read_when_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_legacy(tmp_path, monkeypatch)

    settings = resolve_settings(use_legacy=False)

    assert settings.consumer_key is None
    assert settings.sources["consumer_key"] == "default"


def test_broken_legacy_module_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_legacy(tmp_path, monkeypatch, "raise RuntimeError('broken user module')\n")

    assert resolve_settings().consumer_key is None


def test_defaults_when_nothing_is_set() -> None:
    settings = resolve_settings()

    for name in FIELDS:
        assert getattr(settings, name) == DEFAULTS[name]
        assert settings.sources[name] == "default"
    assert settings.profile == "default"


def test_sources_are_reported_per_field_from_mixed_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PY7D_CONSUMER_SECRET", "env-secret")
    path = write_config('country = "FR"\n')
    write_legacy(tmp_path, monkeypatch, "oauthkey = 'legacy-key'\n")

    settings = resolve_settings(timeout=5)

    assert settings.sources == {
        "consumer_key": "api_settings",
        "consumer_secret": "$PY7D_CONSUMER_SECRET",
        "country": f"{path} [default]",
        "api_url": "default",
        "timeout": "argument",
    }
    assert (settings.consumer_key, settings.consumer_secret) == ("legacy-key", "env-secret")
    assert (settings.country, settings.timeout) == ("FR", 5.0)


def test_empty_environment_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PY7D_COUNTRY", "")
    write_config('country = "FR"\n')

    assert resolve_settings().country == "FR"


def test_environ_argument_replaces_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PY7D_CONSUMER_KEY", "from-os-environ")

    settings = resolve_settings(environ={"PY7D_CONSUMER_KEY": "from-mapping"})

    assert settings.consumer_key == "from-mapping"


# --------------------------------------------------------------------------- where the file is


def test_xdg_config_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "elsewhere"
    write_config('consumer_key = "xdg-key"\n', xdg / "py7d" / "config.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))

    settings = resolve_settings()

    assert settings.consumer_key == "xdg-key"
    assert settings.config_file == xdg / "py7d" / "config.toml"


def test_home_dot_config_without_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    path = Path(os.environ["HOME"]) / ".config" / "py7d" / "config.toml"
    write_config('consumer_key = "home-key"\n', path)

    assert resolve_settings().consumer_key == "home-key"


def test_py7d_config_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('consumer_key = "xdg-key"\n')
    other = write_config('consumer_key = "other-key"\n', tmp_path / "other.toml")
    monkeypatch.setenv("PY7D_CONFIG", str(other))

    settings = resolve_settings()

    assert settings.consumer_key == "other-key"
    assert settings.sources["consumer_key"] == f"{other} [default]"


def test_config_file_argument_beats_py7d_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = write_config('consumer_key = "env-file"\n', tmp_path / "env.toml")
    arg_file = write_config('consumer_key = "arg-file"\n', tmp_path / "arg.toml")
    monkeypatch.setenv("PY7D_CONFIG", str(env_file))

    assert resolve_settings(config_file=arg_file).consumer_key == "arg-file"


def test_py7d_profile_chooses_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('consumer_key = "default-key"\n[profiles.sandbox]\nconsumer_key = "sb-key"\n')
    monkeypatch.setenv("PY7D_PROFILE", "sandbox")

    settings = resolve_settings()

    assert settings.consumer_key == "sb-key"
    assert settings.profile == "sandbox"


def test_profile_argument_beats_py7d_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('[profiles.a]\ncountry = "AA"\n[profiles.b]\ncountry = "BB"\n')
    monkeypatch.setenv("PY7D_PROFILE", "a")

    assert resolve_settings(profile="b").country == "BB"


# --------------------------------------------------------------------------- refused settings


def test_unknown_profile_names_the_known_profiles() -> None:
    path = write_config('[profiles.sandbox]\ncountry = "GB"\n[profiles.live]\ncountry = "US"\n')

    with pytest.raises(ConfigurationError) as info:
        resolve_settings(profile="nope")

    message = str(info.value)
    assert "'nope'" in message
    assert "live, sandbox" in message
    assert str(path) in message


def test_named_profile_without_a_config_file_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="sandbox"):
        resolve_settings(profile="sandbox")


def test_named_profile_in_an_empty_config_file_is_refused_without_claiming_it_is_missing() -> None:
    path = write_config("")

    with pytest.raises(ConfigurationError) as info:
        resolve_settings(profile="x")

    assert "does not exist" not in str(info.value)
    assert "known profiles: none" in str(info.value)
    assert str(path) in str(info.value)


def test_bad_toml_is_a_configuration_error() -> None:
    path = write_config('consumer_key = "unterminated\n')

    with pytest.raises(ConfigurationError) as info:
        resolve_settings()

    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize("api_url", ["ftp://api.example/1.2", "api.7digital.com/1.2", ""])
def test_bad_api_url_is_refused(api_url: str) -> None:
    write_config(toml_line("api_url", api_url) + "\n")

    with pytest.raises(ConfigurationError, match="api_url"):
        resolve_settings()


def test_bad_api_url_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PY7D_API_URL", "not-a-url")

    with pytest.raises(ConfigurationError, match=r"\$PY7D_API_URL"):
        resolve_settings()


def test_api_url_trailing_slash_is_dropped() -> None:
    assert resolve_settings(api_url="https://api.example/1.2/").api_url == "https://api.example/1.2"


@pytest.mark.parametrize("timeout", ["soon", "0", "-1"])
def test_bad_timeout_is_refused(timeout: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PY7D_TIMEOUT", timeout)

    with pytest.raises(ConfigurationError, match="timeout"):
        resolve_settings()


def test_non_string_key_in_the_file_is_refused() -> None:
    write_config("consumer_key = 12345\n")

    with pytest.raises(ConfigurationError, match="consumer_key"):
        resolve_settings()


# --------------------------------------------------------------------------- missing values


def test_require_key_names_every_way_to_set_it() -> None:
    settings = resolve_settings()

    with pytest.raises(ConfigurationError) as info:
        settings.require_key()

    message = str(info.value)
    assert "consumer_key=" in message
    assert "PY7D_CONSUMER_KEY" in message
    assert str(config_path()) in message
    assert "api_settings" in message
    assert "oauthkey" in message


def test_require_secret_names_the_secret_variable() -> None:
    settings = resolve_settings(consumer_key="k")

    assert settings.require_key() == "k"
    with pytest.raises(ConfigurationError, match="PY7D_CONSUMER_SECRET"):
        settings.require_secret()


def test_require_key_message_names_the_profile_and_py7d_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = write_config('[profiles.x]\ncountry = "FR"\n', tmp_path / "custom.toml")
    monkeypatch.setenv("PY7D_CONFIG", str(other))

    with pytest.raises(ConfigurationError) as info:
        resolve_settings(profile="x").require_key()

    assert str(other) in str(info.value)
    assert "[x]" in str(info.value)


# --------------------------------------------------------------------------- repr


def test_settings_repr_never_contains_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PY7D_CONSUMER_SECRET", "s3cr3t-from-env")

    settings = resolve_settings(consumer_key="visible-key")

    assert "s3cr3t-from-env" not in repr(settings)
    assert "s3cr3t-from-env" not in str(settings)
    assert "visible-key" in repr(settings)
    assert "***" in repr(settings)


def test_settings_repr_of_a_direct_instance_masks_the_secret() -> None:
    settings = Settings(consumer_key="k", consumer_secret="direct-secret")

    assert "direct-secret" not in repr(settings)
    assert settings.require_secret() == "direct-secret"
