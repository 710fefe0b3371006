"""Reading a parsed TOML document with errors that name the key (``people[2].units[0]: …``).

The config is written by operators, not programmers; every mistake must point at the exact key,
so every read goes through these helpers with the key path of what it reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any


class SettingsError(ValueError):
    """The config file is missing, unreadable or wrong; the message names the key."""


def join(parent: str, name: str | int) -> str:
    """``join("people", 2)`` → ``people[2]``; ``join("people[2]", "name")`` → ``people[2].name``."""
    if isinstance(name, int):
        return f"{parent}[{name}]"
    return f"{parent}.{name}" if parent else name


def table(data: Mapping[str, Any], name: str, parent: str = "") -> dict[str, Any]:
    """The sub-table ``name`` (empty when absent)."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise SettingsError(f"{join(parent, name)}: must be a table")
    return value


def tables(data: Mapping[str, Any], name: str, parent: str = "") -> list[dict[str, Any]]:
    """The array of tables ``name`` (``[[name]]``; empty when absent)."""
    value = data.get(name, [])
    key = join(parent, name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise SettingsError(f"{key}: must be an array of tables ([[{name}]])")
    return value


def only_keys(
    data: Mapping[str, Any], key: str, allowed: set[str], hints: Mapping[str, str] = {}
) -> None:
    """Refuse keys the program does not know (a typo must not be silently ignored)."""
    for name in data:
        if name in hints:
            raise SettingsError(f"{join(key, name)}: {hints[name]}")
        if name not in allowed:
            expected = ", ".join(sorted(allowed))
            raise SettingsError(f"{join(key, name)}: unknown key (expected one of: {expected})")


def string(data: Mapping[str, Any], name: str, key: str, default: str | None = None) -> str:
    """A non-empty string; required unless ``default`` is given."""
    if name not in data:
        if default is None:
            raise SettingsError(f"{join(key, name)}: missing")
        return default
    value = data[name]
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise SettingsError(f"{join(key, name)}: must be a non-empty string, got {value!r}")
    return value.strip()


def integer(data: Mapping[str, Any], name: str, key: str, default: int | None = None) -> int:
    """A whole number; required unless ``default`` is given."""
    if name not in data:
        if default is None:
            raise SettingsError(f"{join(key, name)}: missing")
        return default
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{join(key, name)}: must be a whole number, got {value!r}")
    return value


def strings(data: Mapping[str, Any], name: str, key: str) -> list[str]:
    """A list of non-empty strings (empty when absent)."""
    value = data.get(name, [])
    if not isinstance(value, list):
        raise SettingsError(f"{join(key, name)}: must be a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise SettingsError(f"{join(join(key, name), i)}: must be a non-empty string")
    return [item.strip() for item in value]


_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$")
_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1)}  # fmt: skip


def duration(data: Mapping[str, Any], name: str, key: str, default: timedelta) -> timedelta:
    """A positive duration written ``15m``, ``2h`` or ``3d``."""
    if name not in data:
        return default
    value = data[name]
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise SettingsError(
            f'{join(key, name)}: {value!r} is not a duration like "15m", "2h" or "3d"'
        )
    return int(match.group(1)) * _UNITS[match.group(2)]
