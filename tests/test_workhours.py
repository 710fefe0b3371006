"""Deadlines in working hours: nights, weekends, holidays and 调休 are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.workhours import WorkingHours

HOHHOT = ZoneInfo("Asia/Shanghai")
OFFICE = WorkingHours(
    time(8, 30),
    time(17, 30),
    holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
    workdays=frozenset({date(2026, 9, 27)}),  # a Sunday worked in exchange (调休)
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HOHHOT)


@pytest.mark.parametrize(
    ("start", "span", "due"),
    [
        (local(2026, 11, 23, 9, 0), timedelta(hours=2), local(2026, 11, 23, 11, 0)),  # Monday
        (local(2026, 11, 20, 17, 0), timedelta(hours=2), local(2026, 11, 23, 10, 0)),  # Fri eve
        (local(2026, 11, 22, 11, 0), timedelta(minutes=30), local(2026, 11, 23, 9, 0)),  # Sunday
        (local(2026, 11, 23, 6, 0), timedelta(minutes=15), local(2026, 11, 23, 8, 45)),  # dawn
        (local(2026, 9, 30, 17, 0), timedelta(hours=1), local(2026, 10, 5, 9, 0)),  # holidays
        (local(2026, 9, 26, 12, 0), timedelta(hours=1), local(2026, 9, 27, 9, 30)),  # 调休
        (local(2026, 11, 20, 10, 0), timedelta(days=3), local(2026, 11, 25, 10, 0)),  # days
        (local(2026, 11, 23, 17, 30), timedelta(0), local(2026, 11, 23, 17, 30)),
    ],
)
def test_working_time_is_added(start: datetime, span: timedelta, due: datetime) -> None:
    """Hours count only inside working hours; whole days are working days."""
    assert OFFICE.add(start, span, HOHHOT) == due


def test_the_result_keeps_the_callers_zone() -> None:
    """A UTC moment in, a UTC moment out (times are stored in UTC)."""
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Hohhot
    assert OFFICE.add(start, timedelta(hours=1), HOHHOT) == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_calendar_without_working_time_is_an_error() -> None:
    """No working weekday at all cannot produce a deadline."""
    never = WorkingHours(time(8, 30), time(17, 30), weekdays=frozenset())
    with pytest.raises(ValueError, match="no working time"):
        never.add(local(2026, 11, 23, 9, 0), timedelta(hours=1), HOHHOT)
