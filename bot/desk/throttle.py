"""A flood guard for residents' messages: a token bucket per resident, on the desk's clock.

A resident may send ``burst`` messages at once and then ``per_minute`` a minute, texts and
commands alike; what comes faster is dropped before the desk acts on it (no task, no draft, no
reply, no database write) and answered, once per minute of flooding, with a kind message.
Everyone has their own bucket, so one resident's flood costs nobody else anything. Which
messages are counted is the desk's call (:meth:`bot.desk.desk.Desk.admit`); the Telegram side asks
it for every private message before any feature handler runs (:mod:`handlers.telegram.guard`).

The buckets live in memory in one process: a flood guard, not an account. After a restart, or
on another instance, a resident starts with a full bucket, which is the generous side to err on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

WINDOW = timedelta(minutes=1)
"""The throttle message is sent at most once per window, however many messages are dropped."""
_PRUNE_AT = 10_000
_REMEMBERED = 1_000
"""Verdicts kept for messages that may be handled again (an update redone within seconds)."""
"""Forget residents with a full bucket once this many are tracked (memory stays bounded)."""


class Verdict(Enum):
    """What to do with one message."""

    ACCEPT = "accept"
    WARN = "warn"
    """Drop it, and tell the resident to slow down."""
    DROP = "drop"
    """Drop it silently: the resident was told less than a window ago."""


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    warned_at: datetime | None = None


class Throttle:
    """Token buckets by user id; ``per_minute = 0`` switches the guard off."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self.burst = max(burst, 1)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._verdicts: dict[int, Verdict] = {}
        """The latest messages' verdicts by update id, oldest first (see :meth:`check`)."""

    def check(
        self, user_id: str, sent_at: datetime | None = None, *, message: int | None = None
    ) -> Verdict:
        """Take one token for ``user_id``'s message sent at ``sent_at``, or say why not.

        Counted by when the resident sent it (default: now), not when it is processed: after
        an outage the backlog is read at once, and a resident who wrote a few messages an
        hour apart while the bot was down is no flood. ``message`` (the update id) makes the
        check idempotent: a message handled again — the inbox redoes an update whose
        transaction met a busy database — gets its first verdict and takes no second token.
        """
        if message is not None and (verdict := self._verdicts.get(message)) is not None:
            return verdict
        verdict = self._check(user_id, sent_at)
        if message is not None:
            self._verdicts[message] = verdict
            if len(self._verdicts) > _REMEMBERED:
                del self._verdicts[next(iter(self._verdicts))]  # the oldest
        return verdict

    def _check(self, user_id: str, sent_at: datetime | None) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.ACCEPT
        now = sent_at or self._clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        bucket.tokens = self._level(bucket, now)
        bucket.at = max(bucket.at, now)  # messages may arrive slightly out of order
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ACCEPT
        if bucket.warned_at is not None and now - bucket.warned_at < WINDOW:
            return Verdict.DROP
        bucket.warned_at = now
        return Verdict.WARN

    def _level(self, bucket: _Bucket, now: datetime) -> float:
        refill = max((now - bucket.at) / WINDOW, 0.0) * self.per_minute
        return min(bucket.tokens + refill, float(self.burst))

    def _prune(self, now: datetime) -> None:
        full = [uid for uid, b in self._buckets.items() if self._level(b, now) >= self.burst]
        for user_id in full:
            del self._buckets[user_id]
