"""Deadlines counted in working hours, skipping nights, weekends and holidays.

A community desk that works 08:30–17:30 on weekdays should not see a task reported at 17:00 on
Friday as "overdue" at 19:00 the same evening: two working hours from then is Monday 09:30.
Urgent tasks never wait for office hours; the caller decides which deadlines use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MAX_DAYS = 3660  # ten years of calendar: a guard against a calendar with no working time


@dataclass(frozen=True)
class WorkingHours:
    """Local working time: daily hours, working weekdays (0 = Monday) and holidays."""

    start: time
    end: time
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    """Weekend days that are worked (调休), which China's calendar has every year."""

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def add(self, moment: datetime, span: timedelta, timezone: ZoneInfo) -> datetime:
        """``moment`` plus ``span``: whole days are working days, the rest working time.

        "3d" is three working days (Friday 10:00 → Wednesday 10:00), not 72 working hours.
        """
        later = self._add_time(moment, span - timedelta(days=span.days), timezone)
        local = later.astimezone(timezone)
        for _ in range(span.days):
            day = local.date() + timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = datetime.combine(day, local.timetz().replace(tzinfo=None), timezone)
        return local.astimezone(moment.tzinfo)

    def _add_time(self, moment: datetime, span: timedelta, timezone: ZoneInfo) -> datetime:
        local = moment.astimezone(timezone)
        if not span:
            return moment
        remaining = span
        day = local.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                opens = datetime.combine(day, self.start, timezone)
                closes = datetime.combine(day, self.end, timezone)
                begin = max(opens, local)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(moment.tzinfo)
                    remaining -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), timezone)
        raise ValueError("the working calendar has no working time in ten years")
