"""Helpers for tests that run outbox dispatchers directly (outside a running bot)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bot.sending.outbox import OutboxDispatcher


def wall_clock() -> datetime:
    """The real time, for tests that measure on it (failover, rate limits)."""
    return datetime.now(UTC)


@asynccontextmanager
async def running(dispatcher: OutboxDispatcher) -> AsyncIterator[asyncio.Task[None]]:
    """``dispatcher.run()`` as a task, cancelled when the block ends — killed, as by a crash:
    the lease is not released."""
    task = asyncio.create_task(dispatcher.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
