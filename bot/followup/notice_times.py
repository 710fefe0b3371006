"""When scheduled notices go out: one-off times, recurring schedules, and quiet hours.

Admins write schedules the way they speak — ``现在``, ``明天早上8点``, ``周五下午2点``,
``2026-11-23 08:00``, ``每天 08:00``, ``每周一上午9点`` — or as a cron line
(``cron: 0 8 * * mon``) in the config. Spoken one-off times are read by
:mod:`bot.followup.spoken_times` and kept as the moment they named (``2026-11-23 08:00``), so a
list read next week does not say "明天". Times are local (the configured zone) when written
and read, and UTC when stored. Cron arithmetic is
APScheduler's (already here as python-telegram-bot's JobQueue), so the one scheduler and the
notices agree on what "every Monday 8:00" means across daylight-saving changes.

A cron line means what standard cron means: in its day-of-week field 0 and 7 are Sunday and
1-5 is Monday to Friday. APScheduler 3 numbers Monday 0, so that field is rewritten as a list
of day names before APScheduler sees it; the line is stored as written. When both the
day-of-month and the day-of-week fields are restricted (``0 8 1 * mon``), cron fires on either
(the 1st, and every Monday); APScheduler would want both, so such a line becomes two triggers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.domain import Audience
from bot.followup.spoken_times import SpokenTimeError, parse_spoken_clock, parse_spoken_moment

_WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat",
             "日": "sun", "天": "sun"}  # fmt: skip
_AT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})$")
_DAILY = re.compile(r"^每天\s*(.+)$")
_WEEKLY = re.compile(r"^每(?:周|星期)([一二三四五六日天])\s*(.+)$")
_NOW = frozenset({"现在", "now", "马上", "立即", "立刻"})
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
# Standard cron's day-of-week numbering (0 and 7 = Sunday) and APScheduler's day names.
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_DAY_PART = re.compile(r"^(?:\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?$")


@dataclass(frozen=True)
class ConfiguredBroadcast:
    """A ``[[broadcasts]]`` entry of the config."""

    name: str
    schedule: str
    audience: Audience
    grid_ids: tuple[str, ...]
    text: str


class ScheduleError(ValueError):
    """A schedule or time of day that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Schedule:
    """Either one moment (``at``, UTC) or a recurring cron line in ``timezone``."""

    text: str
    """As written, for lists and previews."""
    at: datetime | None = None
    cron: str | None = None

    @property
    def recurring(self) -> bool:
        return self.cron is not None

    def first(self, now: datetime, timezone: ZoneInfo) -> datetime | None:
        """The first occurrence at or after ``now``; None for a one-off already past."""
        if self.at is not None:
            return self.at if self.at >= now - timedelta(minutes=1) else None
        return self.after(now - timedelta(microseconds=1), timezone)

    def after(self, moment: datetime, timezone: ZoneInfo) -> datetime | None:
        """The first occurrence strictly after ``moment``; None when there is none."""
        if self.cron is None:
            return None
        fires = [
            CronTrigger.from_crontab(line, timezone=timezone).get_next_fire_time(
                None, moment + timedelta(seconds=1)
            )
            for line in _apscheduler_crontabs(self.cron)
        ]
        found = [fire for fire in fires if fire is not None]
        return min(found).astimezone(moment.tzinfo) if found else None


def parse_schedule(text: str, now: datetime, timezone: ZoneInfo) -> Schedule:
    """Read ``现在`` / ``YYYY-MM-DD HH:MM`` / ``每天 HH:MM`` / ``每周一 HH:MM`` / ``cron: …``, or a
    moment in plain words (``明天早上8点``; see :mod:`bot.followup.spoken_times`)."""
    written = " ".join(text.split())
    if written in _NOW:
        return Schedule("现在", at=now)
    if match := _AT.match(written):
        year, month, day, hour, minute = (int(g) for g in match.groups())
        try:
            local = datetime(year, month, day, hour, minute, tzinfo=timezone)
        except ValueError:
            raise ScheduleError(f"{written!r} is not a real date and time") from None
        return Schedule(written, at=local.astimezone(now.tzinfo))
    if match := _DAILY.match(written):
        hour, minute = _time_of_day(match.group(1), written)
        return Schedule(written, cron=f"{minute} {hour} * * *")
    if match := _WEEKLY.match(written):
        hour, minute = _time_of_day(match.group(2), written)
        return Schedule(written, cron=f"{minute} {hour} * * {_WEEKDAYS[match.group(1)]}")
    if written.startswith("cron:"):
        line = written.removeprefix("cron:").strip()
        try:
            for crontab in _apscheduler_crontabs(line):
                CronTrigger.from_crontab(crontab, timezone=timezone)
        except ValueError as exc:  # ScheduleError included
            raise ScheduleError(f"{line!r} is not a cron line: {exc}") from None
        return Schedule(written, cron=line)
    try:
        spoken = parse_spoken_moment(written, now, timezone)
    except SpokenTimeError as exc:
        raise ScheduleError(str(exc)) from None
    if spoken is not None:
        return Schedule(f"{spoken.astimezone(timezone):%Y-%m-%d %H:%M}", at=spoken)
    raise ScheduleError(
        f"{written!r}: write 现在, 明天早上8点, 2026-11-23 08:00, 每天 08:00, 每周一 08:00 "
        "or cron: 0 8 * * mon"
    )


def _time_of_day(written: str, schedule: str) -> tuple[int, int]:
    """The hour and minute of a recurring schedule: ``08:00``, ``8:30``, ``早上8点``."""
    try:
        spoken = parse_spoken_clock(written)
    except SpokenTimeError as exc:
        raise ScheduleError(f"{schedule!r}: {exc}") from None
    if spoken is None:
        raise ScheduleError(f"{schedule!r}: {written!r} is not a time of day")
    return spoken.hour, spoken.minute


def _apscheduler_crontabs(line: str) -> list[str]:
    """A standard 5-field cron line as APScheduler 3 lines that fire, together, when it does.

    The weekdays are rewritten as names: ``0 8 * * 1-5`` → ``0 8 * * mon,tue,wed,thu,fri``,
    ``*/2`` → ``sun,tue,thu,sat``. A line restricting both the day of the month and the
    weekday fires on either, so it becomes one line for each.
    """
    fields = line.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"cron lines have 5 fields (minute hour day month weekday), not {len(fields)}"
        )
    days = _cron_weekdays(fields[4])
    if days is None:
        return [" ".join(fields)]
    weekdays = ",".join(_CRON_DAYS[d] for d in sorted(days))
    if fields[2].startswith("*") or fields[4].startswith("*"):  # cron's rule: then both apply
        return [" ".join([*fields[:4], weekdays])]
    return [" ".join([*fields[:4], "*"]), " ".join([*fields[:2], "*", fields[3], weekdays])]


def _cron_weekdays(field: str) -> set[int] | None:
    """The days (0 = Sunday … 6) a standard day-of-week field names; None for a bare ``*``."""
    if field == "*":
        return None
    days: set[int] = set()
    for part in field.lower().split(","):
        match = _CRON_DAY_PART.match(part)
        if match is None:
            raise ScheduleError(f"weekday {part!r}: write 0-7, sun-sat, a-b, */n or a-b/n")
        first, last, step = match.group("first", "last", "step")
        if first is None:
            low, high = 0, 6
        else:
            low = _cron_day(first)
            high = low if last is None else _cron_day(last)
            if last is not None and high == 0 and low > 0:
                high = 7  # "sat-sun", "5-0": to the end of the week
            if high < low:
                raise ScheduleError(f"weekday range {part!r} runs backwards")
            if step is not None and last is None:
                raise ScheduleError(f"weekday {part!r}: a step needs * or a range, as in 1-5/2")
        stride = 1 if step is None else int(step)
        if stride < 1:
            raise ScheduleError(f"weekday {part!r}: the step must be 1 or more")
        days.update(day % 7 for day in range(low, high + 1, stride))
    return days


def _cron_day(word: str) -> int:
    """``0``–``7`` (0 and 7 = Sunday) or ``sun``–``sat``."""
    if word in _CRON_DAYS:
        return _CRON_DAYS.index(word)
    if word.isascii() and word.isdigit() and int(word) <= 7:
        return int(word)
    raise ScheduleError(f"weekday {word!r}: write 0-7 (0 and 7 are Sunday) or sun-sat")


def parse_time_of_day(text: str) -> time:
    """``08:00`` → 08:00."""
    match = _HHMM.match(text.strip())
    if match is None:
        raise ScheduleError(f"{text!r} is not a time of day like 08:00")
    hour, minute = _clock(match.group(1), match.group(2), text)
    return time(hour, minute)


@dataclass(frozen=True)
class QuietHours:
    """Local hours in which residents are not messaged by schedule (default 22:00–07:00)."""

    start: time = time(22, 0)
    end: time = time(7, 0)

    def release(self, moment: datetime, timezone: ZoneInfo) -> datetime:
        """``moment``, or the end of the quiet hours it falls in (same zone as ``moment``)."""
        local = moment.astimezone(timezone)
        clock = local.time()
        if self.start <= self.end:
            quiet = self.start <= clock < self.end
        else:  # across midnight
            quiet = clock >= self.start or clock < self.end
        if not quiet:
            return moment
        day = local.date() if clock < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, timezone).astimezone(moment.tzinfo)


def parse_quiet_hours(text: str) -> QuietHours:
    """``22:00-07:00``."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ScheduleError(f"{text!r} is not a range like 22:00-07:00")
    return QuietHours(parse_time_of_day(start), parse_time_of_day(end))


def _clock(hour: str, minute: str, written: str) -> tuple[int, int]:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise ScheduleError(f"{written!r}: {h}:{m:02d} is not a time of day")
    return h, m
