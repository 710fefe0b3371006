"""The health check's and the metrics' reads: what waits, and each grid's open work.

Load balancers ask ``/readyz`` every few seconds and Prometheus scrapes ``/metrics`` as often,
on every instance, so each read here is answered from an index and touches only rows that
are waiting: unprocessed updates (``ix_inbox_processed``), the first pending outbox row
(``ix_outbox_status_id``) and the tasks still somebody's job (``ix_tasks_status_grid``), never
the years of finished ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import col, select

from bot.domain import TaskStatus
from bot.ports import Backlog, GridLoad
from storage.queues import PENDING, Queues
from storage.tables import InboxRow, OutboxRow, TaskRow


class HealthRows(Queues):
    """The :class:`bot.ports.HealthQueries` of :class:`storage.sql_store.SqlTransaction`."""

    async def backlog(self) -> Backlog:
        """Unprocessed updates, and when the oldest pending message was written."""
        inbox = await self._session.scalar(
            select(func.count()).where(col(InboxRow.processed).is_(False))
        )
        oldest = await self._session.scalar(
            select(OutboxRow.created_at)
            .where(col(OutboxRow.status) == PENDING)
            .order_by(col(OutboxRow.id))
            .limit(1)
        )
        return Backlog(inbox or 0, oldest)

    async def grid_loads(self, now: datetime) -> Sequence[GridLoad]:
        """Per grid, the tasks open or claimed and how many of them are past their deadline."""
        status = col(TaskRow.status)
        overdue = or_(
            and_(status == TaskStatus.OPEN.value, col(TaskRow.claim_due_at) <= now),
            and_(status == TaskStatus.CLAIMED.value, col(TaskRow.resolve_due_at) <= now),
        )
        rows = await self._session.exec(
            select(col(TaskRow.grid_id), func.count(), func.count().filter(overdue))
            .where(status.in_([TaskStatus.OPEN.value, TaskStatus.CLAIMED.value]))
            .group_by(col(TaskRow.grid_id))
            .order_by(col(TaskRow.grid_id))
        )
        return [GridLoad(grid, total, late) for grid, total, late in rows]
