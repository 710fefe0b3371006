"""How often one address may fail to sign in: a guard against guessing links.

A link's token has 256 random bits, so guessing is hopeless anyway; the guard keeps a scanner
from filling logs and the database with lookups. Failures are counted per address in this
process over a sliding window (each instance counts its own: the bound is per instance, which
is enough for this purpose); a success does not reset them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta


class FailedSignIns:
    """At most ``most`` failed sign-ins per address within ``window``."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        most: int = 5,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        self._clock = clock
        self._most = most
        self._window = window
        self._failures: dict[str, deque[datetime]] = {}

    def blocked(self, address: str) -> bool:
        """Whether ``address`` used up its failures; checked before a link is looked at."""
        return len(self._recent(address)) >= self._most

    def failed(self, address: str) -> None:
        self._recent(address).append(self._clock())

    def _recent(self, address: str) -> deque[datetime]:
        """The address's failures still inside the window (older ones are forgotten here, and
        addresses with none left are dropped, so the table never grows without bound)."""
        since = self._clock() - self._window
        for other in [a for a, times in self._failures.items() if not times or times[-1] < since]:
            del self._failures[other]
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] < since:
            failures.popleft()
        return failures
