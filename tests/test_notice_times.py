"""Cron lines in notice schedules mean what standard cron means, weekdays above all.

APScheduler 3 numbers Monday 0; a cron line written by an admin numbers Sunday 0 (and 7). The
schedule is a pure function of the line and ``now``, so these tests need no database.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.followup.notice_times import ScheduleError, parse_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNDAY_NINE = datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI)


def fires(written: str, count: int) -> list[str]:
    """The first ``count`` fire times of ``written`` from Sunday 2026-11-22 09:00, local."""
    schedule = parse_schedule(written, SUNDAY_NINE, SHANGHAI)
    moment = schedule.first(SUNDAY_NINE, SHANGHAI)
    found: list[str] = []
    while moment is not None and len(found) < count:
        found.append(moment.astimezone(SHANGHAI).strftime("%a %d %H:%M"))
        moment = schedule.after(moment, SHANGHAI)
    return found


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("cron: 0 8 * * 1-5", ["Mon 23 08:00", "Tue 24 08:00", "Wed 25 08:00", "Thu 26 08:00",
                               "Fri 27 08:00", "Mon 30 08:00"]),
        ("cron: 0 8 * * 0", ["Sun 29 08:00", "Sun 06 08:00"]),
        ("cron: 0 8 * * 7", ["Sun 29 08:00", "Sun 06 08:00"]),
        ("cron: 0 8 * * 6,0", ["Sat 28 08:00", "Sun 29 08:00", "Sat 05 08:00"]),
        ("cron: 0 8 * * */2", ["Tue 24 08:00", "Thu 26 08:00", "Sat 28 08:00", "Sun 29 08:00",
                               "Tue 01 08:00"]),
        ("cron: 0 8 * * mon-fri", ["Mon 23 08:00", "Tue 24 08:00", "Wed 25 08:00",
                                   "Thu 26 08:00", "Fri 27 08:00", "Mon 30 08:00"]),
        ("cron: 0 8 * * 1-5/2", ["Mon 23 08:00", "Wed 25 08:00", "Fri 27 08:00"]),
        ("cron: 0 8 * * SAT-SUN", ["Sat 28 08:00", "Sun 29 08:00", "Sat 05 08:00"]),
        ("cron: 0 8 * * 5-7", ["Fri 27 08:00", "Sat 28 08:00", "Sun 29 08:00"]),
        ("cron: 30 9 * * *", ["Sun 22 09:30", "Mon 23 09:30"]),
        # Day of month and weekday both restricted: either one (the 1st, and every Monday).
        ("cron: 0 8 1 * 1", ["Mon 23 08:00", "Mon 30 08:00", "Tue 01 08:00", "Mon 07 08:00"]),
        ("cron: 0 8 25 * 0", ["Wed 25 08:00", "Sun 29 08:00", "Sun 06 08:00"]),
        # A weekday field starting with * narrows the days of the month instead.
        ("cron: 0 8 1-10 * */3", ["Wed 02 08:00", "Sat 05 08:00"]),
    ],
)  # fmt: skip
def test_cron_weekdays_are_standard_cron(written: str, expected: list[str]) -> None:
    """Cron weekday fields count Sunday as 0 and 7, Monday as 1, from a Sunday morning."""
    assert fires(written, len(expected)) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("每周一 08:00", ["Mon 23 08:00", "Mon 30 08:00"]),
        ("每周日 18:30", ["Sun 22 18:30", "Sun 29 18:30"]),
        ("每周天 08:00", ["Sun 29 08:00"]),
        ("每天 08:00", ["Mon 23 08:00", "Tue 24 08:00"]),
    ],
)
def test_spoken_schedules_keep_their_days(written: str, expected: list[str]) -> None:
    """每周一 / 每周日 / 每天 fire on the day they name."""
    assert fires(written, len(expected)) == expected


@pytest.mark.parametrize(
    "line",
    [
        "0 8 * * 8",
        "0 8 * * 1-",
        "0 8 * * 5-1",
        "0 8 * * */0",
        "0 8 * * 1,,2",
        "0 8 * * funday",
        "0 8 * * 1/2",
        "0 8 * *",
        "0 8 * * 1 2",
        "0 25 * * 1",
    ],
)
def test_malformed_cron_lines_are_refused(line: str) -> None:
    """A cron line with a bad weekday field, a wrong field count or a bad hour is refused."""
    with pytest.raises(ScheduleError, match="cron"):
        parse_schedule(f"cron: {line}", SUNDAY_NINE, SHANGHAI)


def test_the_line_is_kept_as_written() -> None:
    """The stored cron line is the admin's own (standard) line, not APScheduler's spelling."""
    assert parse_schedule("cron: 0 8 * * 1-5", SUNDAY_NINE, SHANGHAI).cron == "0 8 * * 1-5"
