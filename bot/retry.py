"""Redoing a unit of work the database could not take: bounded, with backoff, logged.

The store raises :class:`StoreBusy` only when it knows nothing was committed — SQLite's
"database is locked" past the busy timeout, a connection that died before ``COMMIT``, a
PostgreSQL serialization failure or deadlock. The transaction has been rolled back, so the
whole unit of work can run again from its start; redoing only part of it could write half a
change. That is why :func:`retrying` takes the work as a callable: a ``with`` block cannot be
re-entered, a function can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.errors import StoreBusy

__all__ = ["StoreBusy", "delay", "retrying"]

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 6
"""How many times a unit of work is tried before :class:`StoreBusy` reaches the caller."""
FIRST_DELAY = 0.05
"""Seconds before the second try; each further wait doubles, up to :data:`MAX_DELAY`."""
MAX_DELAY = 2.0


def delay(attempt: int) -> float:
    """The wait after failed try number ``attempt`` (1-based): 0.05, 0.1, 0.2 … 2 s."""
    return float(min(FIRST_DELAY * 2 ** (attempt - 1), MAX_DELAY))


async def retrying(
    work: Callable[[], Awaitable[T]],
    what: str,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``work``; when it raises :class:`StoreBusy`, wait and run it again from the start.

    After ``attempts`` tries the last :class:`StoreBusy` is raised. Every retry is logged at
    WARNING with ``what`` (e.g. ``"update 17"``), so trouble with the database is visible.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except StoreBusy as exc:
            if attempt == attempts:
                log.error("%s: database busy, gave up after %d tries (%s)", what, attempt, exc)
                raise
            wait = delay(attempt)
            log.warning(
                "%s: database busy (%s); try %d of %d again in %.2f s",
                what, exc, attempt + 1, attempts, wait,
            )  # fmt: skip
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
