"""The hot path's statements, built once and run as Core on the transaction's connection.

A resident's message runs a dozen statements, and the dispatcher two or three per send.
Building a statement costs more than SQLite takes to run it: measured on this machine, an
``UPDATE`` built per call from the model's attributes and run through the ORM session took
187 µs, the same statement built once with bound parameters and run as Core 38 µs; a row added
to the session and flushed 150 µs against a prepared ``INSERT`` at 46 µs; ``session.get`` 105 µs
against a prepared ``SELECT`` at 40 µs (issue 13, point 4). So the statements of intake, of the
inbox and of the outbox's sends live here, with named parameters (``bindparam``; in an INSERT
or UPDATE never a column's own name, which SQLAlchemy keeps for itself); SQLAlchemy
compiles each once per engine and caches it. Rows come back as plain rows, mapped to domain
values by the caller, never as model instances.

``INSERT … ON CONFLICT`` is spelled per dialect (:mod:`storage.upsert`), so those are built
once per dialect (:func:`store_updates`, :func:`store_message`, :func:`day_counter`,
:func:`storage.upsert.replacing`).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, insert, or_, select, update

from storage import task_rows
from storage import upsert as dialects
from storage.tables import (
    AwaitedNoteRow,
    CardRow,
    DayCounterRow,
    DraftRow,
    InboxRow,
    LeaseRow,
    OutboxRow,
    ResidentRow,
    TaskEventRow,
    TaskRow,
    table_of,
)

RESIDENTS = table_of(ResidentRow)
DRAFTS = table_of(DraftRow)
NOTES = table_of(AwaitedNoteRow)
TASKS = table_of(TaskRow)
EVENTS = table_of(TaskEventRow)
OUTBOX = table_of(OutboxRow)
INBOX = table_of(InboxRow)
LEASES = table_of(LeaseRow)
COUNTERS = table_of(DayCounterRow)
CARDS = table_of(CardRow)

TASK_COLUMNS = tuple(TASKS.c[name] for name in task_rows.COLUMNS)
"""The tasks table's columns in the order :func:`storage.task_rows.task_of` maps them."""

RESIDENT = select(
    RESIDENTS.c.user_id,
    RESIDENTS.c.chat_id,
    RESIDENTS.c.name,
    RESIDENTS.c.username,
    RESIDENTS.c.grid_id,
    RESIDENTS.c.place,
).where(RESIDENTS.c.user_id == bindparam("user_id"))
"""A resident's fields in :class:`bot.domain.Resident`'s order."""
DRAFT = select(DRAFTS).where(DRAFTS.c.resident_id == bindparam("resident_id"))
DELETE_DRAFT = delete(DRAFTS).where(DRAFTS.c.resident_id == bindparam("resident"))
NOTE = select(NOTES.c.task_id, NOTES.c.result, NOTES.c.result_photo).where(
    NOTES.c.worker_id == bindparam("worker_id")
)

TASKS_OF_RESIDENT = (
    select(*TASK_COLUMNS)
    .where(TASKS.c.resident_id == bindparam("resident_id"))
    .order_by(TASKS.c.id.desc())
    .limit(bindparam("limit"))
)
INSERT_TASK = insert(TASKS).returning(TASKS.c.id)
INSERT_EVENT = insert(EVENTS)

INSERT_OUTBOX = insert(OUTBOX)
OUTBOX_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("item_id"))
    .values(
        status=bindparam("new_status"), message_id=bindparam("platform_id"), sent_at=bindparam("at")
    )
    .returning(OUTBOX.c.card_of, OUTBOX.c.chat_id)
)
OUTBOX_POSTING = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("item_id"))
    .values(posting_since=bindparam("since"))
)
RENEW_LEASE = (
    update(LEASES)
    .where(LEASES.c.name == bindparam("lease"), LEASES.c.holder == bindparam("owner"))
    .values(until=bindparam("end"))
    .returning(LEASES.c.name)
)

MARK_PROCESSED = (
    update(INBOX)
    .where(INBOX.c.update_id == bindparam("update"), INBOX.c.processed.is_(False))
    .values(processed=True, raw="")
    .returning(INBOX.c.update_id)
)
IS_STORED = select(INBOX.c.update_id).where(INBOX.c.update_id == bindparam("update"))
MARK_DONE = (
    update(INBOX)
    .where(
        INBOX.c.update_id.in_(bindparam("updates", expanding=True)), INBOX.c.processed.is_(False)
    )
    .values(processed=True, raw="")
)


def _claim() -> Any:
    """Claim the first ``limit`` updates ``holder`` may handle at ``now``, until ``claim_end``
    (:meth:`storage.inbox_rows.InboxQueries.claim_updates` says which)."""
    candidate, earlier = INBOX.alias("candidate"), INBOX.alias("earlier")
    held_before = exists().where(
        earlier.c.processed.is_(False),
        earlier.c.lane == candidate.c.lane,
        earlier.c.update_id < candidate.c.update_id,
        earlier.c.claimed_until > bindparam("now"),
        earlier.c.claimed_by != bindparam("holder"),
    )
    free = or_(
        candidate.c.claimed_until.is_(None),
        candidate.c.claimed_until <= bindparam("now"),
        candidate.c.claimed_by == bindparam("holder"),
    )
    picked = (
        select(candidate.c.update_id)
        .where(candidate.c.processed.is_(False), free, ~held_before)
        .order_by(candidate.c.update_id)
        .limit(bindparam("limit"))
    )
    return (
        update(INBOX)
        .where(INBOX.c.update_id.in_(picked.scalar_subquery()))
        .values(claimed_by=bindparam("holder"), claimed_until=bindparam("claim_end"))
        .returning(INBOX.c.update_id, INBOX.c.raw, INBOX.c.lane)
    )


CLAIM = _claim()
CLAIM_LOCK = select(func.pg_advisory_xact_lock(bindparam("lock_key")))
"""PostgreSQL: one instance claims at a time (:mod:`storage.inbox_rows`)."""


def _pending() -> Any:
    """The dispatcher's read (:meth:`storage.queues.Queues.pending_outbox` with ``due_at`` and
    ``per_chat``): parameters ``pending`` (the status), ``due_at``, ``per_chat``, ``limit``
    and ``skip_chats``."""
    chat, order = OUTBOX.c.chat_id, OUTBOX.c.id
    waits = case((OUTBOX.c.next_attempt_at > bindparam("due_at"), 1), else_=0)
    ranked = (
        select(
            OUTBOX.c.id.label("id"),
            func.row_number().over(partition_by=chat, order_by=order).label("place"),
            func.sum(waits).over(partition_by=chat, order_by=order).label("waiting"),
        )
        .where(
            OUTBOX.c.status == bindparam("pending"),
            chat.not_in(bindparam("skip_chats", expanding=True)),
        )
        .subquery()
    )
    return (
        select(OUTBOX)
        .join(ranked, ranked.c.id == OUTBOX.c.id)
        .where(ranked.c.waiting == 0, ranked.c.place <= bindparam("per_chat"))
        .order_by(ranked.c.place, OUTBOX.c.id)
        .limit(bindparam("limit"))
    )


DUE_OUTBOX = _pending()
CHATS_WITH_STATUS = (
    select(OUTBOX.c.chat_id).where(OUTBOX.c.status == bindparam("status_of")).distinct()
)


@functools.cache
def store_updates(dialect: str) -> Any:
    """Insert updates (one parameter set each), ignoring an update id already stored."""
    return dialects.dialect_insert(dialect, INBOX).on_conflict_do_nothing(
        index_elements=["update_id"]
    )


@functools.cache
def store_message(dialect: str) -> Any:
    """Insert one message of a channel without update ids of its own, returning its update id;
    no row when its ``(channel, message_key)`` is stored already (nothing is changed then)."""
    return (
        dialects.dialect_insert(dialect, INBOX)
        .on_conflict_do_nothing(index_elements=["channel", "message_key"])
        .returning(INBOX.c.update_id)
    )


@functools.cache
def day_counter(dialect: str) -> Any:
    """The next task number of a day (parameter ``today``): one statement counts and returns."""
    statement = dialects.dialect_insert(dialect, COUNTERS).values(day=bindparam("today"), last=1)
    return statement.on_conflict_do_update(
        index_elements=["day"], set_={"last": COUNTERS.c.last + 1}
    ).returning(COUNTERS.c.last)
