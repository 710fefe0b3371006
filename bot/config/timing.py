"""When things are due: ``[deadlines]``, ``[followup]`` and ``[digests]``, and how they are read.

Each ``read_…`` function takes its table and the :class:`~bot.config.tomlcheck.Problems` of the
load, records every mistake with its key, and returns settings with the defaults standing in
for wrong values (the load fails at the end anyway). A check that compares two values (claim
before resolve) runs only when both were read: a wrong value must not be reported twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.tomlcheck import (
    Mistake,
    Problems,
    did_you_mean,
    duration,
    join,
    only_keys,
    string,
    strings,
    table,
)
from bot.config.workhours import WorkingHours
from bot.followup.notice_times import ScheduleError, parse_quiet_hours
from nlp.taxonomy import Category


@dataclass(frozen=True)
class Deadline:
    """How long a task may wait for a claim, and for its resolution, from its creation."""

    claim: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class DeadlineSettings:
    """``[deadlines]``: defaults from DESIGN.md §6, overridable per category."""

    normal: Deadline = Deadline(timedelta(hours=2), timedelta(days=3))
    urgent: Deadline = Deadline(timedelta(minutes=15), timedelta(hours=4))
    by_category: Mapping[tuple[Category, bool], Deadline] = field(default_factory=dict)
    working_hours: WorkingHours | None = None
    """When set, non-urgent deadlines count only working time; None: the wall clock."""

    def of(self, category: Category, urgent: bool) -> Deadline:
        """The deadline that applies to a task of this category and urgency."""
        default = self.urgent if urgent else self.normal
        return self.by_category.get((category, urgent), default)

    def due(self, start: datetime, span: timedelta, urgent: bool, timezone: ZoneInfo) -> datetime:
        """``start`` plus ``span``, in working time unless the task is urgent or none is set."""
        if urgent or self.working_hours is None:
            return start + span
        return self.working_hours.add(start, span, timezone)


@dataclass(frozen=True)
class FollowupSettings:
    """``[followup]``: the schedule the follow-up engine keeps (DESIGN.md §6)."""

    tick: timedelta = timedelta(minutes=1)
    """How often the engine asks the database what is due."""
    escalate_after: timedelta = timedelta(hours=1)
    """After a reminder, how long until a still unclaimed/unresolved task goes up a level."""
    urgent_escalate_after: timedelta = timedelta(minutes=15)
    ask_rating_again: timedelta = timedelta(days=1)
    """After 办结 without a rating, when to ask the resident once more."""
    close_unrated_after: timedelta = timedelta(days=15)
    """After 办结, when a task still without a rating is closed (15日回访)."""

    def escalation_wait(self, urgent: bool) -> timedelta:
        return self.urgent_escalate_after if urgent else self.escalate_after


@dataclass(frozen=True)
class DigestSettings:
    """``[digests]``: when the morning digest and the weekly figures go out (local time)."""

    morning: time = time(8, 0)
    """Every day: each grid group gets its open, overdue and claimed tasks."""
    weekly_day: int = 0
    """The weekday of the weekly figures, as :meth:`datetime.date.weekday` (0 = Monday)."""
    weekly_time: time = time(8, 0)
    """When on that day each community group gets its grids' figures of the week before."""


_SPANS = ("claim", "resolve", "urgent_claim", "urgent_resolve")


def read_deadlines(data: Mapping[str, Any], problems: Problems) -> DeadlineSettings:
    only_keys(data, "deadlines", {*_SPANS, "categories", "working_hours", "holidays",
                                  "workdays"}, problems)  # fmt: skip
    defaults = DeadlineSettings()
    normal, urgent = _deadlines(data, "deadlines", defaults.normal, defaults.urgent, problems)
    by_category: dict[tuple[Category, bool], Deadline] = {}
    categories = problems.read(table, data, "categories", "deadlines") or {}
    known = {category.value for category in Category}
    for name, value in categories.items():
        key = join("deadlines.categories", name)
        if not isinstance(value, dict):
            problems.add(key, "must be a table")
            continue
        if name not in known:
            problems.add(key, f"unknown category id{did_you_mean(name, known)}")
        normal_here, urgent_here = _deadlines(value, key, normal, urgent, problems)
        if name in known:
            by_category[Category(name), False] = normal_here
            by_category[Category(name), True] = urgent_here
    working_hours = _working_hours(data, problems)
    return DeadlineSettings(normal, urgent, by_category, working_hours)


def _deadlines(
    data: Mapping[str, Any], key: str, normal: Deadline, urgent: Deadline, problems: Problems
) -> tuple[Deadline, Deadline]:
    """The normal and urgent deadlines of a table, each span inherited when absent or wrong.

    A category's pair is compared only when the category sets one of the two: an inherited
    pair was compared where it was written.
    """
    if key != "deadlines":
        only_keys(data, key, set(_SPANS), problems)
    inherited = dict(zip(_SPANS, (normal.claim, normal.resolve, urgent.claim, urgent.resolve),
                         strict=True))  # fmt: skip
    spans = {name: problems.read(duration, data, name, key, inherited[name]) for name in _SPANS}
    for claim_key, resolve_key in (("claim", "resolve"), ("urgent_claim", "urgent_resolve")):
        claim, resolve = spans[claim_key], spans[resolve_key]
        written = key == "deadlines" or claim_key in data or resolve_key in data
        if written and claim is not None and resolve is not None and claim > resolve:
            problems.add(f"{key}.{claim_key}", f"longer than {resolve_key}")
    read = {name: spans[name] or inherited[name] for name in _SPANS}
    return (
        Deadline(read["claim"], read["resolve"]),
        Deadline(read["urgent_claim"], read["urgent_resolve"]),
    )


def _working_hours(data: Mapping[str, Any], problems: Problems) -> WorkingHours | None:
    """``working_hours = "08:30-17:30"`` with ``holidays`` and ``workdays`` (调休) dates."""
    days = {}
    for name in ("holidays", "workdays"):
        found = set()
        for i, value in enumerate(problems.read(strings, data, name, "deadlines") or []):
            try:
                found.add(date.fromisoformat(value))
            except ValueError:
                where = join(join("deadlines", name), i)
                problems.add(where, f"{value!r} is not a date like 2026-10-01")
        days[name] = frozenset(found)
    text = problems.read(string, data, "working_hours", "deadlines", default="")
    if not text:
        return None
    try:
        hours = parse_quiet_hours(text)  # the same "HH:MM-HH:MM" shape
    except ScheduleError:
        problems.add("deadlines.working_hours", f"{text!r} is not a range like 08:30-17:30")
        return None
    if hours.start >= hours.end:
        problems.add("deadlines.working_hours", "the day must start before it ends")
        return None
    return WorkingHours(
        hours.start, hours.end, holidays=days["holidays"], workdays=days["workdays"]
    )


def read_followup(data: Mapping[str, Any], problems: Problems) -> FollowupSettings:
    defaults = FollowupSettings()
    names = ("tick", "escalate_after", "urgent_escalate_after", "ask_rating_again",
             "close_unrated_after")  # fmt: skip
    only_keys(data, "followup", set(names), problems)
    read = {name: problems.read(duration, data, name, "followup", getattr(defaults, name))
            for name in names}  # fmt: skip
    again, close = read["ask_rating_again"], read["close_unrated_after"]
    if again is not None and close is not None and again >= close:
        problems.add("followup.ask_rating_again", "must be shorter than close_unrated_after")
    return FollowupSettings(**{name: value for name, value in read.items() if value is not None})


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def read_digests(data: Mapping[str, Any], problems: Problems) -> DigestSettings:
    only_keys(data, "digests", {"morning", "weekly"}, problems)
    defaults = DigestSettings()
    morning = problems.read(_morning, data)
    weekly = problems.read(_weekly, data)
    day, at = weekly or (defaults.weekly_day, defaults.weekly_time)
    return DigestSettings(morning or defaults.morning, day, at)


def _morning(data: Mapping[str, Any]) -> time:
    text = string(data, "morning", "digests", default="08:00")
    at = _clock(text)
    if at is None:
        raise Mistake("digests.morning", f'{text!r} is not a time of day like "08:00"')
    return at


def _weekly(data: Mapping[str, Any]) -> tuple[int, time]:
    text = string(data, "weekly", "digests", default="mon 08:00")
    day, _, clock = text.lower().partition(" ")
    at = _clock(clock.strip())
    if day not in _WEEKDAYS or at is None:
        raise Mistake(
            "digests.weekly",
            f'{text!r} is not a weekday and time like "mon 08:00" (days: {", ".join(_WEEKDAYS)})',
        )
    return _WEEKDAYS.index(day), at


def _clock(text: str) -> time | None:
    """``08:00`` → 08:00; None when it is not a time of day."""
    match = _CLOCK.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))
