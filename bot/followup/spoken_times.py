"""Moments written the way people say them: 今晚8点, 明天早上8点, 周五下午2点, 12月8日 9点.

An admin scheduling a notice writes the time as they would say it on the phone, not as ISO.
This module turns such words into one moment, as a pure function of the words, ``now`` and the
configured zone, so every reading is pinned by a table of examples. It only reads: whether
the moment is already past is for the caller to judge (and to say so in words).

How the words are read (decisions a good 12345 operator would make, written down once):

- a day word (今天 明天 后天 大后天, 今晚 明早 明晚, 周五 / 星期五 / 礼拜五, 下周一, 本周三,
  12月8日, 2026年12月8日, 2026-12-08) is optional; without one the day is today;
- 周五 is the coming Friday, today included; 下周一 is the Monday of next week (weeks start
  on Monday); 12月8日 is the next 8 December, this year or, once it has passed, next year;
- a part of the day (凌晨 早上 上午 中午 下午 傍晚 晚上 夜里) sets the half of the day: 下午2点
  is 14:00, 晚上12点 midnight at the end of that day, 中午1点 13:00;
- an hour 1–11 with no part of the day is the morning hour, except for today when that hour
  has already passed and the evening one has not (at 14:00, "8点" means 20:00); another day's
  "8点" is 08:00. The preview states the moment in full, so the admin sees which was taken;
- the hour may be followed by 半, 一刻, 三刻, minutes (8点30, 8点30分) or written 8:30.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nlp.normalize import normalize

_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
       "八": 8, "九": 9}  # fmt: skip
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}  # fmt: skip
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_SHORT = {"今早": (0, "早上"), "今晚": (0, "晚上"), "明早": (1, "早上"), "明晚": (1, "晚上")}
_PARTS = "凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|早|晚"
_NUMBER = r"\d{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_DAY = (
    r"(?:(?P<short>今早|今晚|明早|明晚)"
    r"|(?P<relative>大后天|今天|今日|明天|明日|后天)"
    r"|(?P<which>下个?|本|这个?)?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天1-7])"
    r"|(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号]"
    r"|(?P<iso>\d{4}-\d{1,2}-\d{1,2}))?"
)
_CLOCK = (
    rf"(?P<part>{_PARTS})?"
    rf"(?:(?P<hour>{_NUMBER})(?:[点时](?:(?P<half>半)|(?P<quarter>一刻|三刻)|整"
    rf"|(?P<minute>{_NUMBER})分?)?)|(?P<hh>\d{{1,2}}):(?P<mm>\d{{2}}))"
)
_SPOKEN = re.compile(f"^{_DAY}{_CLOCK}$")
_DAY_CLOCK = re.compile(f"^{_CLOCK}$")
_EVENING = {"下午", "傍晚", "晚上", "夜里", "夜间", "晚"}


class SpokenTimeError(ValueError):
    """Words that read as a time but name none (32号, 25点, 2月30日)."""


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    part: str | None


def parse_spoken_moment(text: str, now: datetime, timezone: ZoneInfo) -> datetime | None:
    """The moment ``text`` names, in ``now``'s zone; None when it is not a spoken time at all.

    Raises :class:`SpokenTimeError` for words shaped like a time that name no real one.
    """
    written = normalize(text).replace(" ", "")
    match = _SPOKEN.match(written)
    if match is None:
        return None
    local_now = now.astimezone(timezone)
    named, part = _day(match, local_now.date())
    day = named or local_now.date()
    clock = _clock(match, part)
    if day == local_now.date() and clock.part is None and 1 <= clock.hour <= 11:
        morning = datetime.combine(day, time(clock.hour, clock.minute), timezone)
        if morning < local_now - timedelta(minutes=1):  # this morning's hour is gone: tonight's
            clock = _Clock(clock.hour + 12, clock.minute, "下午")
    return _at(day, clock, timezone).astimezone(now.tzinfo)


def parse_spoken_clock(text: str) -> time | None:
    """A time of day for recurring notices (早上8点, 8:30, 下午3点半); None when not one.

    A bare hour is taken as written (每天8点 is 08:00): there is no "already past" to weigh.
    """
    match = _DAY_CLOCK.match(normalize(text).replace(" ", ""))
    if match is None:
        return None
    clock = _clock(match, None)
    moment = _at(date(2000, 1, 1), clock, ZoneInfo("UTC"))
    if moment.date() != date(2000, 1, 1):
        raise SpokenTimeError(f"{text!r}: midnight belongs to no day here; write 0点")
    return moment.time()


def _day(match: re.Match[str], today: date) -> tuple[date | None, str | None]:
    """The day named (None when none) and the part of the day a short word carries (今晚)."""
    if short := match.group("short"):
        offset, part = _SHORT[short]
        return today + timedelta(days=offset), part
    if relative := match.group("relative"):
        return today + timedelta(days=_RELATIVE[relative]), None
    if weekday := match.group("weekday"):
        return _weekday(_WEEKDAY[weekday], match.group("which") or "", today), None
    if month := match.group("month"):
        return _calendar_day(match.group("year"), int(month), int(match.group("day")), today), None
    if iso := match.group("iso"):
        return _date(*(int(part) for part in iso.split("-"))), None
    return None, None


def _weekday(wanted: int, which: str, today: date) -> date:
    """周五: the coming one, today included; 下周五: next week's; 本周五: this week's."""
    monday = today - timedelta(days=today.weekday())
    if which.startswith("下"):
        return monday + timedelta(days=7 + wanted)
    if which:
        return monday + timedelta(days=wanted)
    return today + timedelta(days=(wanted - today.weekday()) % 7)


def _calendar_day(year: str | None, month: int, day: int, today: date) -> date:
    """12月8日: this year's, or next year's once this year's has passed."""
    found = _date(int(year or today.year), month, day)
    if year is None and found < today:
        found = _date(today.year + 1, month, day)
    return found


def _clock(match: re.Match[str], part: str | None) -> _Clock:
    part = match.group("part") or part
    if match.group("hh") is not None:
        hour, minute = int(match.group("hh")), int(match.group("mm"))
    else:
        hour = _number(match.group("hour"))
        if match.group("half"):
            minute = 30
        elif quarter := match.group("quarter"):
            minute = 15 if quarter == "一刻" else 45
        else:
            minute = _number(match.group("minute")) if match.group("minute") else 0
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise SpokenTimeError(f"{hour}:{minute:02d} is not a time of day")
    return _Clock(hour, minute, part)


def _at(day: date, clock: _Clock, timezone: ZoneInfo) -> datetime:
    """``clock`` on ``day``, its part of the day applied (晚上12点 and 24点: that night's end)."""
    hour = clock.hour
    afternoon = (clock.part in _EVENING and hour < 12) or (clock.part == "中午" and hour <= 3)
    if afternoon and hour >= 1:
        hour += 12
    elif clock.part in _EVENING and hour == 12:
        hour = 24
    elif clock.part == "凌晨" and hour == 12:
        hour = 0
    return datetime.combine(day, time(0), timezone) + timedelta(hours=hour, minutes=clock.minute)


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise SpokenTimeError(f"{year}-{month}-{day} is not a real date") from None


def _number(written: str) -> int:
    """``8`` / ``08`` / ``八`` / ``十`` / ``十二`` / ``二十三`` → the number."""
    if written.isdigit():
        return int(written)
    if "十" in written:
        tens, _, ones = written.partition("十")
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    if len(written) == 1:
        return _CN[written]
    raise SpokenTimeError(f"{written!r} is not a number of hours or minutes")
