"""Settings and where they come from.

Each setting is resolved on its own, first match wins:

1. an explicit argument (``py7D.Client(consumer_key=...)``),
2. the environment (``PY7D_CONSUMER_KEY``, ``PY7D_CONSUMER_SECRET``, ``PY7D_COUNTRY``,
   ``PY7D_API_URL``, ``PY7D_TIMEOUT``),
3. the config file (``$XDG_CONFIG_HOME/py7d/config.toml``, else
   ``~/.config/py7d/config.toml``; ``PY7D_CONFIG`` names another file), in the
   profile chosen by ``profile=`` or ``PY7D_PROFILE`` (default ``default``),
4. a legacy ``api_settings`` module on ``sys.path`` with ``oauthkey``,
   ``secret`` and ``country`` (how the original py7D was configured),
5. the defaults below.

The config file::

    consumer_key = "..."          # the default profile: top-level keys
    consumer_secret = "..."
    country = "GB"

    [profiles.sandbox]            # a named profile, chosen with profile="sandbox"
    api_url = "http://127.0.0.1:8000/1.2"
    consumer_key = "sandbox-key"
    consumer_secret = "sandbox-secret"
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import ConfigurationError

__all__ = ["DEFAULT_API_URL", "Settings", "config_dir", "is_live_api", "resolve_settings"]

DEFAULT_API_URL = "https://api.7digital.com/1.2"


def is_live_api(api_url: str) -> bool:
    """Whether ``api_url`` is 7digital's own API (http or https), not a sandbox or proxy."""
    if api_url == DEFAULT_API_URL:
        return True
    from urllib.parse import urlsplit

    return urlsplit(api_url).hostname == "api.7digital.com"


DEFAULT_COUNTRY = "GB"
DEFAULT_TIMEOUT = 30.0

# logical name: (config-file key, environment variable, legacy api_settings attribute, default)
_SETTINGS: dict[str, tuple[str, str, str | None, Any]] = {
    "consumer_key": ("consumer_key", "PY7D_CONSUMER_KEY", "oauthkey", None),
    "consumer_secret": ("consumer_secret", "PY7D_CONSUMER_SECRET", "secret", None),
    "country": ("country", "PY7D_COUNTRY", "country", DEFAULT_COUNTRY),
    "api_url": ("api_url", "PY7D_API_URL", None, DEFAULT_API_URL),
    "timeout": ("timeout", "PY7D_TIMEOUT", None, DEFAULT_TIMEOUT),
}


@dataclass(frozen=True)
class Settings:
    """The resolved settings of a client. ``sources`` tells where each came from."""

    consumer_key: str | None = None
    consumer_secret: str | None = field(default=None, repr=False)
    country: str | None = DEFAULT_COUNTRY
    api_url: str = DEFAULT_API_URL
    timeout: float = DEFAULT_TIMEOUT
    profile: str = "default"
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        secret = "***" if self.consumer_secret else None
        return (
            f"Settings(consumer_key={self.consumer_key!r}, consumer_secret={secret!r}, "
            f"country={self.country!r}, api_url={self.api_url!r}, timeout={self.timeout!r}, "
            f"profile={self.profile!r})"
        )

    def require_key(self) -> str:
        """The consumer key, or a :class:`ConfigurationError` naming every way to set it."""
        if not self.consumer_key:
            raise ConfigurationError(_missing_message("consumer key", "consumer_key", self))
        return self.consumer_key

    def require_secret(self) -> str:
        """The consumer secret (needed for signed calls), or a :class:`ConfigurationError`."""
        if not self.consumer_secret:
            raise ConfigurationError(
                _missing_message("consumer secret (needed to sign)", "consumer_secret", self)
            )
        return self.consumer_secret


def _missing_message(what: str, name: str, settings: Settings) -> str:
    file_key, env, legacy, _ = _SETTINGS[name]
    path = settings.config_file or default_config_file(os.environ)
    return (
        f"No 7digital {what} is set. Set it in one of these ways: "
        f"pass {name}=... to py7D.Client(...); "
        f"export {env}=...; "
        f'put {file_key} = "..." in {path} (profile [{settings.profile}]); '
        f"or define {legacy} in an api_settings.py module on sys.path (the original py7D's way)."
    )


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """py7D's config directory: ``$XDG_CONFIG_HOME/py7d`` or ``~/.config/py7d``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME")
    root = Path(base) if base else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "py7d"


def default_config_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get("PY7D_CONFIG")
    return Path(explicit) if explicit else config_dir(env) / "config.toml"


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:  # no file: nothing to parse (and no parser to import)
        return {}
    except OSError as exc:
        raise ConfigurationError(f"cannot read the config file {path}: {exc}") from exc
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode())
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"cannot read the config file {path}: {exc}") from exc


def _profile_table(data: dict[str, Any], profile: str, path: Path) -> dict[str, Any]:
    if profile == "default":
        return {k: v for k, v in data.items() if not isinstance(v, dict)}
    profiles = data.get("profiles", {})
    table = profiles.get(profile) if isinstance(profiles, dict) else None
    if not isinstance(table, dict):
        known = sorted(profiles) if isinstance(profiles, dict) else []
        raise ConfigurationError(
            f"profile {profile!r} is not in {path}; known profiles: {', '.join(known) or 'none'}. "
            f"Add a [profiles.{profile}] table or choose another profile."
        )
    return table


def _load_legacy() -> dict[str, Any]:
    """Read the seed's ``api_settings`` module if one is importable; never fail."""
    module = sys.modules.get("api_settings")
    if module is None:
        try:
            if importlib.util.find_spec("api_settings") is None:
                return {}
            import api_settings as module  # type: ignore[import-not-found, no-redef]
        except Exception:  # a broken user module must not break py7D
            return {}
    return {k: getattr(module, k) for k in ("oauthkey", "secret", "country") if hasattr(module, k)}


def _convert(name: str, value: Any, source: str) -> Any:
    if value is None:
        return None
    if name == "timeout":
        try:
            timeout = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"timeout from {source} must be a number of seconds, got {value!r}"
            ) from None
        if timeout <= 0:
            raise ConfigurationError(f"timeout from {source} must be positive, got {value!r}")
        return timeout
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{name} from {source} must be a string, got {type(value).__name__}"
        )
    if name == "api_url":
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"api_url from {source} must start with http:// or https://, got {value!r}"
            )
    return value


def resolve_settings(
    *,
    consumer_key: str | None = None,
    consumer_secret: str | None = None,
    country: str | None = None,
    api_url: str | None = None,
    timeout: float | None = None,
    profile: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    use_legacy: bool = True,
) -> Settings:
    """Resolve every setting from arguments > environment > config file > api_settings > defaults.

    ``environ`` defaults to ``os.environ``; tests pass their own mapping.
    """
    env = os.environ if environ is None else environ
    explicit = {
        "consumer_key": consumer_key,
        "consumer_secret": consumer_secret,
        "country": country,
        "api_url": api_url,
        "timeout": timeout,
    }
    chosen_profile = profile or env.get("PY7D_PROFILE") or "default"
    path = Path(config_file) if config_file is not None else default_config_file(env)
    file_data = _load_toml(path)
    file_table = _profile_table(file_data, chosen_profile, path) if file_data else {}
    # An existing but empty file is not a missing one: _profile_table's message
    # ("known profiles: none") fits it; "does not exist" was wrong.
    if not file_data and chosen_profile != "default" and path.is_file():
        _profile_table(file_data, chosen_profile, path)
    if not file_data and chosen_profile != "default":
        raise ConfigurationError(
            f"profile {chosen_profile!r} was asked for but {path} does not exist; "
            f"create it with a [profiles.{chosen_profile}] table."
        )
    legacy: dict[str, Any] | None = None

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, (file_key, env_var, legacy_attr, default) in _SETTINGS.items():
        if explicit[name] is not None:
            values[name], sources[name] = _convert(name, explicit[name], "argument"), "argument"
            continue
        if env.get(env_var):
            values[name] = _convert(name, env[env_var], f"${env_var}")
            sources[name] = f"${env_var}"
            continue
        if file_key in file_table:
            where = f"{path} [{chosen_profile}]"
            values[name], sources[name] = _convert(name, file_table[file_key], where), where
            continue
        if legacy_attr and use_legacy:
            if legacy is None:
                legacy = _load_legacy()
            if legacy.get(legacy_attr) is not None:
                values[name] = _convert(name, legacy[legacy_attr], "api_settings")
                sources[name] = "api_settings"
                continue
        values[name], sources[name] = default, "default"

    return Settings(
        consumer_key=values["consumer_key"],
        consumer_secret=values["consumer_secret"],
        country=values["country"],
        api_url=values["api_url"],
        timeout=values["timeout"],
        profile=chosen_profile,
        config_file=path,
        sources=sources,
    )
