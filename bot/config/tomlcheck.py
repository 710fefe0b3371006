"""Reading a parsed TOML document with errors that name the key (``people[2].units[0]: …``).

The config is written by operators, not programmers; every mistake must point at the exact key,
so every read goes through these helpers with the key path of what it reads. A reader raises
:class:`Mistake` for the one key it reads; the loader wraps each read in
:meth:`Problems.read`, which records the mistake and goes on, so one run reports them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from bot import channels

P = ParamSpec("P")
T = TypeVar("T")


class SettingsError(ValueError):
    """The config file is missing, unreadable or wrong: one line per mistake, each naming its
    key."""


class Mistake(SettingsError):
    """One mistake at one key, raised by a reader and collected by :class:`Problems`."""

    def __init__(self, key: str, what: str) -> None:
        super().__init__(f"{key}: {what}" if key else what)
        self.key = key
        self.what = what


class Problems:
    """The mistakes found so far, one line per key, reported together at the end.

    Loading goes on after a mistake so the operator fixes the file in one round, not one run
    per mistake. A key keeps the first mistake found at it: a later check of the same key (an
    unknown key that is also a secret) would only repeat it in other words.
    """

    def __init__(self) -> None:
        self._lines: dict[str, str] = {}

    def add(self, key: str, what: str) -> None:
        self._lines.setdefault(key or what, f"{key}: {what}" if key else what)

    def read(self, reader: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """``reader(*args, **kwargs)``, or None when it found a mistake (recorded here)."""
        try:
            return reader(*args, **kwargs)
        except Mistake as mistake:
            self.add(mistake.key, mistake.what)
            return None

    def __len__(self) -> int:
        return len(self._lines)

    def lines(self) -> list[str]:
        """``key: what is wrong``, in the order found."""
        return list(self._lines.values())


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'xingan-1'?)`` for a misspelt ``word``, or "" when nothing is close.

    Compared with look-alike characters made equal (l, i and 1; o and 0), the usual slips in
    ids copied by eye, so ``xingan-l`` finds ``xingan-1`` rather than ``xingan-2``.
    """
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(_fold(choice), choice)
    close = difflib.get_close_matches(_fold(word), list(folded), n=1)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


_LOOKALIKES = str.maketrans("lio", "110")


def _fold(word: str) -> str:
    return word.lower().translate(_LOOKALIKES)


def join(parent: str, name: str | int) -> str:
    """``join("people", 2)`` → ``people[2]``; ``join("people[2]", "name")`` → ``people[2].name``."""
    if isinstance(name, int):
        return f"{parent}[{name}]"
    return f"{parent}.{name}" if parent else name


def table(data: Mapping[str, Any], name: str, parent: str = "") -> dict[str, Any]:
    """The sub-table ``name`` (empty when absent)."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise Mistake(join(parent, name), "must be a table")
    return value


def tables(data: Mapping[str, Any], name: str, parent: str = "") -> list[dict[str, Any]]:
    """The array of tables ``name`` (``[[name]]``; empty when absent)."""
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Mistake(join(parent, name), f"must be an array of tables ([[{name}]])")
    return value


def only_keys(
    data: Mapping[str, Any],
    key: str,
    allowed: set[str],
    problems: Problems,
    hints: Mapping[str, str] = {},
) -> None:
    """Record every key the program does not know (a typo must not be silently ignored)."""
    for name in data:
        if name in hints:
            problems.add(join(key, name), hints[name])
        elif name not in allowed:
            nearest = did_you_mean(name, allowed)
            expected = nearest or f" (expected one of: {', '.join(sorted(allowed))})"
            problems.add(join(key, name), f"unknown key{expected}")


def string(data: Mapping[str, Any], name: str, key: str, default: str | None = None) -> str:
    """A non-empty string; required unless ``default`` is given."""
    if name not in data:
        if default is None:
            raise Mistake(join(key, name), "missing")
        return default
    value = data[name]
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise Mistake(join(key, name), f"must be a non-empty string, got {value!r}")
    return value.strip()


def integer(
    data: Mapping[str, Any],
    name: str,
    key: str,
    default: int | None = None,
    *,
    least: int | None = None,
    most: int | None = None,
    unit: str = "",
) -> int:
    """A whole number, from ``least`` to ``most`` when given; required unless ``default`` is."""
    if name not in data:
        if default is None:
            raise Mistake(join(key, name), "missing")
        return default
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise Mistake(join(key, name), f"must be a whole number, got {value!r}")
    if (least is not None and value < least) or (most is not None and value > most):
        span = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise Mistake(join(key, name), f"must be {span}{unit}, got {value}")
    return value


def channel_address(data: Mapping[str, Any], name: str, key: str) -> str:
    """A person's or chat's id on its channel, kept as ``channel:id`` (:mod:`bot.channels`).

    A whole number is a Telegram id (configs written before other channels existed);
    ``"wecom:zhangsan"`` or ``"wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"`` name another channel."""
    if name not in data:
        raise Mistake(join(key, name), "missing")
    value = data[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return channels.telegram(value)
    if not isinstance(value, str):
        raise Mistake(
            join(key, name), f'must be a Telegram id or a text like "wecom:id", got {value!r}'
        )
    try:
        channel, external = channels.parse(value.strip())
        if channel is channels.Channel.HOTLINE:  # 12345 callers' (bot.hotline), nobody's here
            raise ValueError(value)
    except ValueError:
        known = ", ".join(c.value for c in channels.Channel if c is not channels.Channel.HOTLINE)
        raise Mistake(
            join(key, name), f"must start with its channel ({known}) and a colon, got {value!r}"
        ) from None
    if channel is channels.Channel.TELEGRAM and not re.fullmatch(r"-?\d+", external):
        raise Mistake(join(key, name), f"a Telegram id is a whole number, got {value!r}")
    return channels.address(channel, external)


def strings(data: Mapping[str, Any], name: str, key: str) -> list[str]:
    """A list of non-empty strings (empty when absent)."""
    value = data.get(name, [])
    if not isinstance(value, list):
        raise Mistake(join(key, name), "must be a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise Mistake(join(join(key, name), i), "must be a non-empty string")
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
        raise Mistake(join(key, name), f'{value!r} is not a duration like "15m", "2h" or "3d"')
    return int(match.group(1)) * _UNITS[match.group(2)]
