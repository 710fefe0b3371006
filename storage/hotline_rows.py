"""12345 work orders: which task each imported order became (the ``hotline_orders`` table).

The hotline half of :class:`storage.sql_store.SqlTransaction` (:class:`bot.hotline.ledger.
OrderLedger`). An order is recorded in the transaction that files its task, so the two exist
together or not at all; the platform's number is the key, so a second import of the same order
records nothing (:meth:`HotlineQueries.add_hotline_order` says so, and the importer rolls back).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from bot.domain import Task, TaskEvent
from storage import task_rows, upsert
from storage.queues import Queues
from storage.tables import HotlineOrderRow, TaskEventRow, TaskRow


class HotlineQueries(Queues):
    """Recording imported orders and reading them back for the reply sheet."""

    async def hotline_task_number(self, order_number: str) -> str | None:
        """The number of the task the order ``order_number`` became; None: not imported."""
        statement = (
            select(TaskRow.number)
            .join(HotlineOrderRow, col(HotlineOrderRow.task_id) == col(TaskRow.id))
            .where(col(HotlineOrderRow.number) == order_number)
        )
        return (await self._session.exec(statement)).first()

    async def add_hotline_order(
        self,
        order_number: str,
        task_id: int,
        *,
        received_at: datetime,
        due_at: datetime,
        imported_at: datetime,
    ) -> bool:
        """Record that the order became task ``task_id``; False when it was recorded before
        (another import got there first), which leaves the row as it was."""
        statement = (
            upsert.insert(self._session, HotlineOrderRow)
            .values(
                number=order_number,
                task_id=task_id,
                received_at=received_at,
                due_at=due_at,
                imported_at=imported_at,
            )
            .on_conflict_do_nothing(index_elements=["number"])
            .returning(col(HotlineOrderRow.number))
        )
        return (await self._session.exec(statement)).first() is not None

    async def hotline_orders(
        self, since: datetime, until: datetime
    ) -> Sequence[tuple[str, datetime, Task, Sequence[TaskEvent]]]:
        """Orders received in ``[since, until)``, earliest first: (number, the order's own
        deadline, its task, the task's events in the order written)."""
        received: ColumnElement[bool] = (col(HotlineOrderRow.received_at) >= since) & (
            col(HotlineOrderRow.received_at) < until
        )
        rows = (
            await self._rows(
                select(HotlineOrderRow)
                .where(received)
                .order_by(col(HotlineOrderRow.received_at), col(HotlineOrderRow.number))
            )
        ).all()
        ordered = select(HotlineOrderRow.task_id).where(received)
        tasks = {
            row.id: task_rows.task(row)
            for row in await self._rows(select(TaskRow).where(col(TaskRow.id).in_(ordered)))
        }
        events: dict[int, list[TaskEvent]] = {task_id: [] for task_id in tasks if task_id}
        for event in await self._rows(
            select(TaskEventRow)
            .where(col(TaskEventRow.task_id).in_(ordered))
            .order_by(col(TaskEventRow.task_id), col(TaskEventRow.id))
        ):
            events.setdefault(event.task_id, []).append(task_rows.event(event))
        return [
            (row.number, row.due_at, tasks[row.task_id], events.get(row.task_id, []))
            for row in rows
            if row.task_id in tasks
        ]
