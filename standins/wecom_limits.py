"""How often one WeCom app may message its members, as the WeCom stand-in enforces it.

Why it matters: griddesk's reminders and card fan-out can hit these limits in production, and
the two limits fail differently — one loudly, one silently — so the code that sends must be
tested against both. Doc 90236 (发送应用消息, 频率限制) and Doc 90312 (访问频率限制, updated
2023-08-28) say:

- "每应用不可超过账号上限数*200人次/天": a send to 1000 members counts 1000. Exceeding it is
  refused with an error code (Doc 90312: "当超过此限制时，调用对应接口会收到相应错误码"; 45009 is
  Doc 90313's "接口调用超过限制"), and "按天拦截则被屏蔽一天（自然天）": the app stays refused for
  the rest of that calendar day, taken here as Beijing's (UTC+8).
- "每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被丢弃不下发": the call succeeds,
  the message never arrives.

The docs do not say whether the windows are sliding or fixed; they are sliding here. Whether a
dropped message counts towards the member's limits is not said either; it does not here.
Like every schedule in griddesk, :class:`SendingLimits` takes ``now`` as an argument.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from standins.wecom_errors import WeComError

__all__ = ["Limit", "SendingLimits"]

Limit = Literal["30/minute", "1000/hour"]

PER_MEMBER_MINUTE = 30
PER_MEMBER_HOUR = 1000
PERSON_TIMES_PER_SEAT = 200
BEIJING = 8 * 3600
DAY = 86400


class SendingLimits:
    """The counters of one app: person-times per Beijing day, deliveries per member."""

    def __init__(self, seats: int) -> None:
        self.daily_quota = seats * PERSON_TIMES_PER_SEAT
        self._person_times: dict[int, int] = {}  # Beijing day number: recipients counted
        self._blocked_day: int | None = None
        self._recent: dict[str, deque[float]] = {}  # member: delivery times in the last hour

    def charge(self, now: float, person_times: int) -> None:
        """Count a send to ``person_times`` members, or refuse it (45009) and every later
        send of the same day."""
        day = int((now + BEIJING) // DAY)
        sent = self._person_times.get(day, 0)
        if self._blocked_day == day or sent + person_times > self.daily_quota:
            self._blocked_day = day
            raise WeComError(45009)
        self._person_times[day] = sent + person_times

    def admit(self, now: float, member: str) -> Limit | None:
        """Record a delivery to ``member``, or name the limit that drops it instead."""
        times = self._recent.setdefault(member, deque())
        while times and times[0] <= now - 3600:
            times.popleft()
        if sum(1 for t in times if t > now - 60) >= PER_MEMBER_MINUTE:
            return "30/minute"
        if len(times) >= PER_MEMBER_HOUR:
            return "1000/hour"
        times.append(now)
        return None
