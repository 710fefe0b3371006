"""Notices in the config: ``[[broadcasts]]`` and ``quiet_hours``, and how they are read.

The config's notices are synced at start-up (:mod:`bot.followup.broadcasts`); here they are only
checked — each schedule parsed, each grid known — with every mistake recorded by key and an
unknown grid reported with the nearest declared one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.tomlcheck import (
    Mistake,
    Problems,
    did_you_mean,
    join,
    only_keys,
    string,
    strings,
    tables,
)
from bot.domain import Audience
from bot.followup.notice_times import (
    ConfiguredBroadcast,
    QuietHours,
    ScheduleError,
    parse_quiet_hours,
    parse_schedule,
)


def read_quiet_hours(data: Mapping[str, Any]) -> QuietHours:
    text = string(data, "quiet_hours", "", default="22:00-07:00")
    try:
        return parse_quiet_hours(text)
    except ScheduleError as exc:
        raise Mistake("quiet_hours", str(exc)) from None


def read_broadcasts(
    data: Mapping[str, Any], zone: ZoneInfo, grids: set[str], problems: Problems
) -> tuple[ConfiguredBroadcast, ...]:
    """``[[broadcasts]]`` entries; grids are checked against the ones the config declares."""
    found: list[ConfiguredBroadcast] = []
    names: set[str] = set()
    now = datetime.now(UTC)
    for i, entry in enumerate(problems.read(tables, data, "broadcasts") or []):
        key = join("broadcasts", i)
        only_keys(entry, key, {"name", "schedule", "audience", "grids", "text"}, problems)
        name = problems.read(string, entry, "name", key)
        if name is not None and name in names:
            problems.add(join(key, "name"), f"{name!r} is used twice")
        names.add(name or "")
        schedule = problems.read(_schedule, entry, key, now, zone)
        audience = problems.read(_audience, entry, key)
        chosen = _grids(entry, key, grids, problems)
        text = problems.read(string, entry, "text", key)
        if name and schedule and audience is not None and chosen and text:
            found.append(ConfiguredBroadcast(name, schedule, audience, chosen, text))
    return tuple(found)


def _schedule(entry: Mapping[str, Any], key: str, now: datetime, zone: ZoneInfo) -> str:
    schedule = string(entry, "schedule", key)
    try:
        parse_schedule(schedule, now, zone)
    except ScheduleError as exc:
        raise Mistake(join(key, "schedule"), str(exc)) from None
    return schedule


def _audience(entry: Mapping[str, Any], key: str) -> Audience:
    try:
        return Audience(string(entry, "audience", key))
    except ValueError:
        raise Mistake(join(key, "audience"), "must be groups or residents") from None


def _grids(
    entry: Mapping[str, Any], key: str, grids: set[str], problems: Problems
) -> tuple[str, ...] | None:
    """The grids a notice goes to, or None when one is unknown (each recorded)."""
    wanted = problems.read(strings, entry, "grids", key)
    if wanted is None:
        return None
    chosen: Sequence[str] = sorted(grids) if wanted == ["all"] else wanted
    if not chosen:
        problems.add(join(key, "grids"), 'name the grids, or ["all"]')
        return None
    unknown = [(j, grid) for j, grid in enumerate(chosen) if grid not in grids]
    for j, grid in unknown:
        hint = did_you_mean(grid, grids)
        problems.add(join(join(key, "grids"), j), f"unknown grid {grid!r}{hint}")
    return None if unknown else tuple(chosen)
