"""The :class:`bot.ports.Store` on SQL: one transaction per unit of work, domain values out.

Rows never leave this package: every read is mapped to a frozen value of :mod:`bot.domain`
as it comes out of the session, so a caller cannot mutate a row by accident or trigger a
lazy load after the transaction ended.

Concurrency is settled by the database, not by reading first: a task changes through one
conditional ``UPDATE … WHERE status IN (…) RETURNING``, so of two racing claims the database
lets exactly one row change (PostgreSQL re-checks the condition after the first commit, SQLite
runs the two one after the other); numbers and replaced rows are ``INSERT … ON CONFLICT``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.domain import (
    Draft,
    DraftReason,
    NewTask,
    Resident,
    ResultNote,
    Stage,
    Task,
    TaskEvent,
    TaskStatus,
    UnitRef,
)
from bot.errors import StoreBusy
from bot.ports import TaskChange
from nlp.places import Place
from storage import bulk, prepared, task_rows
from storage.broadcast_rows import BroadcastQueries
from storage.card_rows import CardQueries
from storage.choice_rows import ChoiceQueries
from storage.delivery_rows import DeliveryQueries
from storage.erasure_rows import ErasureQueries
from storage.health_rows import HealthRows
from storage.hotline_rows import HotlineQueries
from storage.inbox_rows import InboxQueries
from storage.media_rows import MediaQueries
from storage.report_rows import ReportQueries
from storage.tables import (
    AwaitedNoteRow,
    DraftRow,
    PlaceRow,
    ResidentRow,
    TaskEventRow,
    TaskRow,
    table_of,
    utc_writer,
)
from storage.token_rows import TokenQueries
from storage.trouble import describe, nothing_committed
from storage.web_rows import WebQueries

if TYPE_CHECKING:
    from bot.ports import Store, Transaction


def utc_now() -> datetime:
    """The wall clock, in UTC: the default clock for rows the caller gives no time for."""
    return datetime.now(UTC)


class SqlStore:
    """Opens transactions on an engine it does not own (see :func:`storage.engine.open_store`).

    ``clock`` stamps the rows whose time the ports do not pass in (when an outbox message was
    written or sent, when an update arrived): record only, nothing is decided by it.
    """

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """One database transaction: committed when the block ends, rolled back if it raises.

        An error that means nothing was committed (see :func:`storage.trouble.nothing_committed`)
        is raised as :class:`~bot.errors.StoreBusy`, so the caller may redo the whole block.
        A connection lost during ``COMMIT`` is not: the commit may have happened.
        """
        committing = False
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            try:
                async with session.begin():
                    yield SqlTransaction(session, self._clock)
                    await session.flush()  # pending writes fail here, still safely uncommitted
                    committing = True
            except DBAPIError as exc:
                if nothing_committed(exc, committing=committing):
                    raise StoreBusy(describe(exc)) from exc
                raise
            except OSError as exc:
                # No connection could be opened (refused while PostgreSQL restarts, unreachable,
                # timed out): the driver's socket error reaches here unwrapped, before anything
                # was written — unless it broke the COMMIT itself.
                if committing:
                    raise
                raise StoreBusy(f"{type(exc).__name__}: {exc}") from exc

    async def reclaim(self) -> None:
        """After an erasure: make sure what was erased is gone from the files too.

        SQLite zeroes deleted content in the database file (``secure_delete``, set on every
        connection), but the write-ahead log still holds the pages as they were until a
        checkpoint copies them back and the log is truncated. PostgreSQL keeps dead row
        versions until VACUUM and its own WAL for as long as the server is configured to;
        those are the operator's (DEPLOY notes in the README), not something a client can do.
        """
        if self._engine.dialect.name != "sqlite":
            return
        async with self._engine.connect() as connection:
            # on the driver's connection: a checkpoint cannot run inside the BEGIN IMMEDIATE
            # that SQLAlchemy's first statement would open (storage.engine)
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None  # a pooled connection that is open
            await raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class SqlTransaction(
    BroadcastQueries,
    ReportQueries,
    DeliveryQueries,
    ErasureQueries,
    HealthRows,
    InboxQueries,
    ChoiceQueries,
    CardQueries,
    MediaQueries,
    TokenQueries,
    HotlineQueries,
    WebQueries,
):
    """Everything one unit of work reads and writes (:class:`bot.ports.Transaction`)."""

    # places

    async def sync_places(self, places: Sequence[Place]) -> None:
        """Make the places table equal to ``places`` (the configuration is the truth)."""
        names = [place.name for place in places]
        if len(set(names)) != len(names):
            raise ValueError("a place name is listed twice")
        await self._session.exec(delete(PlaceRow).where(col(PlaceRow.name).not_in(names)))
        for place in places:
            values = {
                "name": place.name,
                "grid_id": place.grid_id,
                "aliases": task_rows.json_words(place.aliases),
            }
            await self._upsert(PlaceRow, values, keys=("name",))

    async def places(self) -> list[Place]:
        """The places as last synchronised, by name (not a port method: for tests and tools)."""
        rows = await self._rows(select(PlaceRow).order_by(col(PlaceRow.name)))
        return [Place(row.name, row.grid_id, tuple(json.loads(row.aliases))) for row in rows]

    # residents and their pending messages

    async def resident(self, user_id: str) -> Resident | None:
        row = (await self._run(prepared.RESIDENT, {"user_id": user_id})).first()
        return None if row is None else Resident(*row)

    async def save_resident(self, resident: Resident) -> None:
        values = {
            "user_id": resident.user_id,
            "chat_id": resident.chat_id,
            "name": resident.name,
            "username": resident.username,
            "grid_id": resident.grid_id,
            "place": resident.place,
            "seen_at": self._clock(),
        }
        await self._upsert(ResidentRow, values, keys=("user_id",))

    async def draft(self, resident_id: str) -> Draft | None:
        row = (await self._run(prepared.DRAFT, {"resident_id": resident_id})).first()
        if row is None:
            self._without_draft.add(resident_id)
            return None
        return _draft(row)

    async def save_draft(self, draft: Draft) -> None:
        """Keep ``draft``, replacing the resident's earlier one (one question at a time)."""
        self._without_draft.discard(draft.resident_id)
        values = {
            "resident_id": draft.resident_id,
            "text": draft.text,
            "photo": None,
            "photos": task_rows.json_words(draft.photos),
            "reason": draft.reason.value,
            "created_at": draft.created_at,
            "alert_chat": draft.alert_chat,
            "asked_at": draft.asked_at,
            "reminded": draft.reminded,
            "community": draft.community,
        }
        await self._upsert(DraftRow, values, keys=("resident_id",))

    async def delete_draft(self, resident_id: str) -> None:
        """Drop the resident's draft; no statement when this transaction found none (a
        resident's messages are handled one at a time, so none appeared meanwhile)."""
        if resident_id not in self._without_draft:
            await self._run(prepared.DELETE_DRAFT, {"resident": resident_id})

    async def due_drafts(
        self, remind_before: datetime, expire_before: datetime, limit: int
    ) -> Sequence[Draft]:
        asked = col(DraftRow.asked_at)
        statement = (
            select(DraftRow)
            .where(
                or_(
                    and_(asked <= remind_before, col(DraftRow.reminded).is_(False)),
                    asked <= expire_before,
                )
            )
            .order_by(asked)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_draft(row) for row in await self._rows(statement)]

    # workers waiting to write a result note

    async def awaited_note(self, worker_id: str) -> int | None:
        note = await self.result_note(worker_id)
        return None if note is None else note.task_id

    async def await_note(self, worker_id: str, task_id: int) -> None:
        """Remember that the worker's next message is the result note for ``task_id``."""
        await self.save_result_note(worker_id, ResultNote(task_id))

    async def result_note(self, worker_id: str) -> ResultNote | None:
        row = (await self._run(prepared.NOTE, {"worker_id": worker_id})).first()
        return None if row is None else ResultNote(*row)

    async def save_result_note(self, worker_id: str, note: ResultNote) -> None:
        """Replace whatever the worker had awaited or written with ``note``."""
        values = {
            "worker_id": worker_id,
            "task_id": note.task_id,
            "result": note.result,
            "result_photo": note.photo,
        }
        await self._upsert(AwaitedNoteRow, values, keys=("worker_id",))

    async def clear_awaited_note(self, worker_id: str) -> None:
        await self._session.exec(
            delete(AwaitedNoteRow).where(col(AwaitedNoteRow.worker_id) == worker_id)
        )

    # tasks and their audit trail

    async def add_task(self, new: NewTask, day: str) -> Task:
        """Insert the task with the next number of ``day`` (``YYYYMMDD``, local)."""
        n = (await self._run(prepared.day_counter(self._dialect), {"today": day})).scalar_one()
        self._tasks_written()
        values = task_rows.new_task_values(new, f"{day}-{n:04d}")
        task_id = (await self._run(prepared.INSERT_TASK, values)).scalar_one()
        return task_rows.task_of((task_id, *(values[name] for name in task_rows.COLUMNS[1:])))

    async def task(self, task_id: int) -> Task | None:
        return await self._one(select(TaskRow).where(TaskRow.id == task_id))

    async def task_by_number(self, number: str) -> Task | None:
        return await self._one(select(TaskRow).where(TaskRow.number == number))

    async def change_task(
        self,
        task_id: int,
        change: TaskChange,
        *,
        only_if: frozenset[TaskStatus] | None = None,
        only_if_claimer: str | None = None,
    ) -> Task | None:
        """Apply ``change`` in one conditional UPDATE; None when the condition did not hold."""
        statement = update(TaskRow).where(col(TaskRow.id) == task_id)
        if only_if is not None:
            statement = statement.where(col(TaskRow.status).in_([s.value for s in only_if]))
        if only_if_claimer is not None:
            statement = statement.where(col(TaskRow.claimer_id) == only_if_claimer)
        statement = statement.values(task_rows.changed_columns(change)).returning(TaskRow)
        self._tasks_written()
        result = await self._session.exec(
            statement.execution_options(populate_existing=True, synchronize_session=False)
        )
        row = result.scalars().one_or_none()
        return None if row is None else task_rows.task(row)

    async def due_tasks(self, now: datetime, limit: int) -> Sequence[Task]:
        """Due follow-ups, earliest first, locked (PostgreSQL skips rows locked elsewhere).

        Read as plain driver rows (:func:`~storage.task_rows.task_of` converts them): the
        follow-up tick reads thousands, and SQLAlchemy's result processing would cost more
        than the query."""
        connection = await self._session.connection()
        dialect = connection.dialect
        since, limit_mark = bulk.placeholders(dialect, 2)
        lock = " FOR UPDATE SKIP LOCKED" if dialect.name == "postgresql" else ""
        sql = (
            f"SELECT {', '.join(task_rows.COLUMNS)} FROM tasks "
            f"WHERE next_followup_at <= {since} "
            f"ORDER BY next_followup_at, id LIMIT {limit_mark}{lock}"
        )
        result = await connection.exec_driver_sql(sql, (utc_writer(dialect)(now), limit))
        return [task_rows.task_of(row) for row in result.all()]

    async def move_schedules(self, moves: Sequence[tuple[int, Stage, datetime]]) -> None:
        rows = [
            {"id": task_id, "stage": stage.value, "next_followup_at": at}
            for task_id, stage, at in moves
        ]
        connection = await self._session.connection()
        self._tasks_written()
        await bulk.update_rows(connection, table_of(TaskRow), "id", rows)

    async def add_events(self, events: Sequence[TaskEvent]) -> None:
        """Append ``events`` in order with one multi-row INSERT."""
        rows = [task_rows.event_values(event) for event in events]
        connection = await self._session.connection()
        await bulk.insert_rows(connection, table_of(TaskEventRow), rows)

    async def add_event(self, event: TaskEvent) -> None:
        await self._run(prepared.INSERT_EVENT, task_rows.event_values(event))

    async def events(self, task_id: int) -> Sequence[TaskEvent]:
        """The task's audit trail in the order it was written."""
        rows = await self._rows(
            select(TaskEventRow)
            .where(TaskEventRow.task_id == task_id)
            .order_by(col(TaskEventRow.id))
        )
        return [task_rows.event(row) for row in rows]

    async def tasks_of_resident(self, resident_id: str, limit: int) -> Sequence[Task]:
        """The resident's tasks, newest first.

        Read once per transaction until a task is written: a resident's message asks up to
        four times (filing's merge window, feedback, asides), and each query costs more than
        the rows it returns."""
        known = self._residents_tasks.get(resident_id)
        if known is not None and (limit <= known[0] or len(known[1]) < known[0]):
            return known[1][:limit]  # asked for as many or more, or there are no more
        params = {"resident_id": resident_id, "limit": limit}
        rows = await self._run(prepared.TASKS_OF_RESIDENT, params)
        tasks = [task_rows.task_of(row) for row in rows]
        self._residents_tasks[resident_id] = (limit, tasks)
        return tasks

    async def tasks_held_by(
        self, holder: UnitRef, statuses: frozenset[TaskStatus], limit: int
    ) -> Sequence[Task]:
        """A unit's tasks in ``statuses``, oldest first (the longest waiting comes first)."""
        return await self._many(
            select(TaskRow)
            .where(
                TaskRow.holder == str(holder), col(TaskRow.status).in_([s.value for s in statuses])
            )
            .order_by(col(TaskRow.id))
            .limit(limit)
        )

    async def tasks_claimed_by(self, worker_id: str, limit: int) -> Sequence[Task]:
        """The tasks the worker holds a claim on now (status ``claimed``), oldest first."""
        return await self._many(
            select(TaskRow)
            .where(TaskRow.claimer_id == worker_id, TaskRow.status == TaskStatus.CLAIMED.value)
            .order_by(col(TaskRow.id))
            .limit(limit)
        )

    async def tasks_merged_into(self, number: str) -> Sequence[Task]:
        """The tasks merged into task ``number``, oldest first."""
        return await self._many(
            select(TaskRow)
            .where(TaskRow.merged_into == number, TaskRow.status == TaskStatus.MERGED.value)
            .order_by(col(TaskRow.id))
        )

    async def _one(self, statement: SelectOfScalar[TaskRow]) -> Task | None:
        row = (await self._rows(statement)).one_or_none()
        return None if row is None else task_rows.task(row)

    async def _many(self, statement: SelectOfScalar[TaskRow]) -> list[Task]:
        return [task_rows.task(row) for row in await self._rows(statement)]


def _draft(row: Any) -> Draft:
    """A draft from its row: a model, or a plain row of the drafts table."""
    return Draft(
        row.resident_id,
        row.text,
        task_rows.stored_photos(row.photos, row.photo),
        DraftReason(row.reason),
        row.created_at,
        row.alert_chat,
        row.asked_at,
        row.reminded,
        row.community,
    )


if TYPE_CHECKING:  # mypy proves here that the classes satisfy the ports they implement
    _store: type[Store] = SqlStore
    _transaction: type[Transaction] = SqlTransaction
