"""Statistics reads and the digest ledger: its table, and the report half of the SQL transaction.

Figures are computed in bot/stats.py from tasks and their events; storage only hands them over,
in two queries however many tasks there are (the tasks, then all their events by a subquery on
the same condition). The ledger ``digests_sent`` holds one row per (unit, period): the digest's
claim is an ``INSERT … ON CONFLICT DO NOTHING`` in the transaction that queues the digest, so of
two instances (or a job run twice) exactly one inserts, and only that one sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Field, SQLModel, col, select

from bot.domain import Task, TaskEvent, UnitRef
from storage import task_rows, upsert
from storage.queues import Queues
from storage.tables import TaskEventRow, TaskRow, UtcDateTime


class DigestRow(SQLModel, table=True):
    """A digest that went out (or is in the outbox): one per unit and period."""

    __tablename__ = "digests_sent"

    unit: str = Field(primary_key=True)
    """``UnitRef`` as text, ``grid:xingan-1``."""
    period: str = Field(primary_key=True)
    """Which digest for which days, ``morning:2026-11-23`` or ``week:2026-11-16``."""
    sent_at: datetime = Field(sa_type=UtcDateTime)


class ReportQueries(Queues):
    """The statistics and digest methods of :class:`bot.ports.Transaction`."""

    async def tasks_created_between(
        self, since: datetime, until: datetime, grid_ids: Sequence[str]
    ) -> Sequence[tuple[Task, Sequence[TaskEvent]]]:
        """Tasks created in ``[since, until)`` in these grids, oldest first, with their events."""
        if not grid_ids:
            return []
        created: ColumnElement[bool] = (
            (col(TaskRow.created_at) >= since)
            & (col(TaskRow.created_at) < until)
            & col(TaskRow.grid_id).in_(list(grid_ids))
        )
        tasks = [
            task_rows.task(row)
            for row in await self._rows(select(TaskRow).where(created).order_by(col(TaskRow.id)))
        ]
        events: dict[int, list[TaskEvent]] = {task.id: [] for task in tasks}
        rows = await self._rows(
            select(TaskEventRow)
            .where(col(TaskEventRow.task_id).in_(select(TaskRow.id).where(created)))
            .order_by(col(TaskEventRow.task_id), col(TaskEventRow.id))
        )
        for row in rows:
            # a task committed by another transaction between the two reads is not in `tasks`
            if row.task_id in events:
                events[row.task_id].append(task_rows.event(row))
        return [(task, events[task.id]) for task in tasks]

    async def claim_digest(self, unit: UnitRef, period: str, at: datetime) -> bool:
        """Insert the ledger row; False when (unit, period) is there already."""
        statement = (
            upsert.insert(self._session, DigestRow)
            .values(unit=str(unit), period=period, sent_at=at)
            .on_conflict_do_nothing(index_elements=["unit", "period"])
            .returning(col(DigestRow.unit))
        )
        return (await self._session.exec(statement)).first() is not None

    async def any_digest_claimed(self) -> bool:
        """Whether the ledger has any row at all."""
        statement = select(col(DigestRow.unit)).limit(1)
        return (await self._session.exec(statement)).first() is not None
