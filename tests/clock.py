"""A clock for tests: time moves only when a test says so (no sleeps, no real time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Callable like ``datetime.now(UTC)``; ``advance`` moves it forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def nine_am() -> FakeClock:
    """2026-11-22 09:00 in Hohhot (01:00 UTC)."""
    return FakeClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
