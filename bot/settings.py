"""The one frozen :class:`Settings`, loaded from TOML and validated at start-up.

Every mistake is reported with its key (``classifier.ask_below: must be …``) so an operator can
fix the file without reading code. Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """The config file is missing, unreadable or wrong; the message names the key."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/griddesk``, or ``~/.cache/griddesk``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "griddesk"


@dataclass(frozen=True)
class ClassifierSettings:
    """``[classifier]``: which rules to use and where the tokenizer keeps its cache."""

    rules_file: Path | None = None
    """None: the rules shipped with the package."""
    ask_below: float | None = None
    """None: the rules file's own ``scoring.ask_below``."""
    cache_dir: Path = field(default_factory=default_cache_dir)


@dataclass(frozen=True)
class Settings:
    """Everything griddesk is configured with."""

    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)


def load_settings(path: Path | None) -> Settings:
    """Read ``path``, or return the defaults when no config file is given."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return _settings(data, path.parent)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _settings(data: Mapping[str, Any], base: Path) -> Settings:
    _only_keys(data, "", {"classifier"})
    table = data.get("classifier", {})
    if not isinstance(table, dict):
        raise SettingsError("classifier: must be a table")
    _only_keys(table, "classifier", {"rules_file", "ask_below", "cache_dir"})
    rules_file = _path(table.get("rules_file", ""), "classifier.rules_file", base)
    cache_dir = _path(table.get("cache_dir", ""), "classifier.cache_dir", base)
    ask_below = table.get("ask_below")
    if ask_below is not None and (
        isinstance(ask_below, bool)
        or not isinstance(ask_below, int | float)
        or not 0 <= ask_below <= 1
    ):
        raise SettingsError(
            f"classifier.ask_below: must be a number from 0 to 1, got {ask_below!r}"
        )
    return Settings(
        ClassifierSettings(
            rules_file=rules_file,
            ask_below=None if ask_below is None else float(ask_below),
            cache_dir=cache_dir or default_cache_dir(),
        )
    )


def _path(value: Any, key: str, base: Path) -> Path | None:
    if not isinstance(value, str):
        raise SettingsError(f"{key}: must be a string (a path), got {value!r}")
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _only_keys(table: Mapping[str, Any], key: str, allowed: set[str]) -> None:
    for name in table:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            raise SettingsError(
                f"{where}: unknown key (expected one of: {', '.join(sorted(allowed))})"
            )
