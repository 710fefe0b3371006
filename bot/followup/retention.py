"""Keeping residents' data no longer than needed (PIPL art. 19): the retention sweep.

Once an hour, on the follow-up tick: tasks finished longer than ``[privacy] retention`` ago
are forgotten — words, photos, notes and owner erased, figures kept
(:mod:`storage.erasure_rows`) — a resident with nothing left but forgotten tasks loses their
record too, and messages sent and updates processed that long ago are deleted. Work is done in
batches, one transaction each, so a first sweep over years of tasks never holds the database
for long; the trail of each forgotten task records that it was erased, never what.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.desk.context import Context
from bot.domain import EventKind, TaskEvent

log = logging.getLogger(__name__)

EVERY = timedelta(hours=1)
_BATCH = 200


class Retention:
    """Erases what has been kept long enough."""

    def __init__(self, context: Context, period: timedelta) -> None:
        self.ctx = context
        self.period = period
        self._last: datetime | None = None

    async def tick(self, now: datetime) -> int:
        """Sweep if an hour has passed since the last sweep; how many tasks were forgotten."""
        if self._last is not None and now - self._last < EVERY:
            return 0
        self._last = now
        return await self.sweep(now)

    async def sweep(self, now: datetime) -> int:
        """Forget every task finished before ``now - period``; how many."""
        cutoff, forgotten = now - self.period, 0
        while True:
            async with self.ctx.store.transaction() as tx:
                task_ids = await tx.tasks_finished_before(cutoff, _BATCH)
                await tx.forget_tasks(task_ids)
                await tx.add_events([TaskEvent(i, EventKind.ERASED, None, now) for i in task_ids])
            forgotten += len(task_ids)
            if len(task_ids) < _BATCH:
                break
        async with self.ctx.store.transaction() as tx:
            dropped = await tx.drop_old_messages(cutoff)
            residents = await tx.forget_idle_residents(cutoff)
        if forgotten or dropped or residents:
            await self.ctx.store.reclaim()
            log.info(
                "retention: %d tasks forgotten, %d residents and %d old messages deleted",
                forgotten, residents, dropped,
            )  # fmt: skip
        return forgotten
