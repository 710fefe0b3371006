"""A cooperative stop for the bot's long-running loops (the inbox poller, the outbox dispatcher).

Cancelling a task in the middle of database work cuts a query off mid-protocol: asyncpg's
connection is left with an operation in progress, SQLAlchemy cannot reset it and logs "Exception
closing connection" with a traceback, and the unit of work in hand is abandoned. So a stopping
bot does not cancel its loops. It sets a :class:`StopSignal`; each loop finishes what it holds —
the update being handled, the message being sent — and returns at its next safe point. Only
waits that hold nothing (a long poll, an idle wait, a backoff sleep) are cut short, through
:meth:`StopSignal.interrupting`, which raises :class:`Stopped` for the loop to return on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """A wait was cut short because the bot is stopping: the loop should return."""


class StopSignal:
    """Set once when the bot stops; loops check it between units of work."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Stopped` if the bot is stopping (call it between units of work)."""
        if self._event.is_set():
            raise Stopped

    async def interrupting(self, awaitable: Awaitable[T]) -> T:
        """``awaitable``'s result, unless the bot stops first: then it is cancelled, and
        :class:`Stopped` is raised. Only for waits that are safe to cut (no database work)."""
        work = asyncio.ensure_future(awaitable)
        if self._event.is_set():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            raise Stopped
        stopping = asyncio.ensure_future(self._event.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not work.done():  # stopped, or this task itself was cancelled
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        if work.cancelled():
            raise Stopped
        return work.result()

    async def doze(self, wake: asyncio.Event, seconds: float) -> None:
        """Return when ``wake`` is set or ``seconds`` pass; raise :class:`Stopped` when the bot
        stops first. ``wake.wait()`` is made inside the wait, never before it: a wait made and
        then cut before it started would be left un-awaited (a RuntimeWarning at collection)."""

        async def waiting() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), seconds)

        self.check()
        await self.interrupting(waiting())

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or raise :class:`Stopped` as soon as the bot stops."""
        await self.interrupting(asyncio.sleep(seconds))
