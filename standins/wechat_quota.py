"""How many customer-service messages one follower may receive now, for :mod:`standins.wechat`.

The rule (docs sendCustomMessage, service/api/customer/message/api_sendcustommessage, checked
2026-12; the 5-in-48-hours figure since mid-2023, IT之家 2023-05-30):

=================================  ===========  ==========
Trigger                            Sends        Valid for
=================================  ===========  ==========
the user sends a message           5            48 hours
click / scancode menu, subscribe,  3            1 minute
QR-code scan
=================================  ===========  ==========

A send when no window is open answers 45015 (``response out of time limit or subscription is
canceled``); a send when windows are open but used up answers 45047 (``out of response count
limit``). What the docs leave open, and how it is modelled here:

- a new user message replaces the message window with a fresh one (5 sends, 48 hours from
  now), whatever was left of the old one, as WeCom's equivalent doc says ("若用户继续发送消息,
  企业可再次下发消息") and practice reports; it is not added to what was left;
- likewise a new event replaces the event window;
- the two windows are independent; a send draws on the one that closes first, so an event's
  three sends are spent before the 48-hour ones;
- unfollowing closes both windows.

Pure: every method takes ``now`` (seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MESSAGE_SENDS = 5
MESSAGE_WINDOW = 48 * 3600
EVENT_SENDS = 3
EVENT_WINDOW = 60


class Refusal(Enum):
    """Why a customer-service send is refused."""

    OUT_OF_TIME = 45015
    OUT_OF_COUNT = 45047


@dataclass(slots=True)
class _Window:
    closes: float
    allowance: int
    used: int = 0


class CustomQuota:
    """One follower's open windows for customer-service messages."""

    def __init__(self) -> None:
        self._message: _Window | None = None
        self._event: _Window | None = None

    def user_message(self, now: float) -> None:
        """The user wrote (or tapped a ``msgmenu`` item, which arrives as a text message)."""
        self._message = _Window(now + MESSAGE_WINDOW, MESSAGE_SENDS)

    def event(self, now: float) -> None:
        """The user followed, clicked a ``click``/``scancode_*`` menu, or scanned a QR code."""
        self._event = _Window(now + EVENT_WINDOW, EVENT_SENDS)

    def close(self) -> None:
        """The user unfollowed: nothing may be sent until they interact again."""
        self._message = self._event = None

    def left(self, now: float) -> int:
        """How many sends would be accepted now."""
        return sum(w.allowance - w.used for w in self._open(now))

    def take(self, now: float) -> Refusal | None:
        """Spend one send; None when it is allowed, else why WeChat refuses it."""
        windows = self._open(now)
        if not windows:
            return Refusal.OUT_OF_TIME
        for window in windows:
            if window.used < window.allowance:
                window.used += 1
                return None
        return Refusal.OUT_OF_COUNT

    def _open(self, now: float) -> list[_Window]:
        """Open windows, the one that closes first first."""
        windows = [w for w in (self._event, self._message) if w is not None and now < w.closes]
        return sorted(windows, key=lambda w: w.closes)
