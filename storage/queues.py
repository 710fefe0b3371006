"""The outbox: messages out, inside the caller's transaction; and the leases.

A queue in a table so that a crash loses nothing (DESIGN.md §7): an outgoing message is written
with the change that caused it and removed from the queue only when the platform has taken it.
The inbox, its counterpart for updates in, is :mod:`storage.inbox_rows`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Executable, ScalarResult, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.domain import Button, Outgoing, Task
from bot.ports import UNSENT_CHATS, OutboxItem
from storage import bulk, prepared, upsert
from storage.tables import CardRow, LeaseRow, OutboxRow, table_of

PENDING, SENT, FAILED, HELD = "pending", "sent", "failed", "held"
"""Outbox row statuses."""
UNREACHABLE = "unreachable"
"""Given up like ``failed``, but a card (or card edit) whose chat could not be reached: waiting
to be handed back, once, when that chat works again (:meth:`Queues.take_unreachable_cards`)."""
GIVEN_UP = (FAILED, UNREACHABLE)
"""The statuses operators count as given up (``griddesk doctor``)."""

_NEVER = datetime(9999, 12, 31, tzinfo=UTC)
_ALL = 2**31 - 1
"""``pending_outbox`` without ``due_at`` or ``per_chat``: a time no retry waits past, and more
messages than a chat ever has."""
DUE_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)
"""``next_attempt_at`` of a message never tried: earlier than any clock, real or fake.

Stamping a new message with the store's clock would make it "not yet due" to a dispatcher
whose clock runs behind (a fake clock in a test, another instance's skewed one), and the
port's ``enqueue`` passes no time; the row keeps NULL until a retry is scheduled."""


Row = TypeVar("Row", bound=SQLModel)


class Queues:
    """The outbox, card and lease part of :class:`storage.sql_store.SqlTransaction`."""

    def __init__(self, session: AsyncSession, clock: Callable[[], datetime]) -> None:
        self._session = session
        self._clock = clock
        self._connection: AsyncConnection | None = None
        self._dialect = session.get_bind().dialect.name
        self._without_draft: set[str] = set()
        """Residents whose draft this transaction read and found absent (and did not save)."""
        self._residents_tasks: dict[str, tuple[int, list[Task]]] = {}
        """Each resident's newest tasks read in this transaction, and how many were asked
        for: :meth:`~storage.sql_store.SqlTransaction.tasks_of_resident` serves them again
        until a task is written (:meth:`_tasks_written`)."""

    def _tasks_written(self) -> None:
        """Called by every write to the tasks table: what was read of it may be stale."""
        self._residents_tasks.clear()

    async def _rows(self, statement: SelectOfScalar[Row]) -> ScalarResult[Row]:
        """Run a SELECT of rows, refreshing any the session already holds.

        Rows are also written by plain statements (upserts, the conditional task update) that
        the session's identity map does not see. Its entries are weak references and usually
        gone by the next read, but while one lives a second read in the same transaction would
        return the row as it was first loaded.
        """
        return await self._session.exec(statement.execution_options(populate_existing=True))

    async def _run(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Any:
        """Run a prepared Core statement (:mod:`storage.prepared`) on the transaction's
        connection, once per parameter set given; its :class:`~sqlalchemy.engine.CursorResult`.

        Past the ORM session: nothing is ever left pending in it (rows are inserted at once,
        or added and flushed in one step), so no write can be overtaken."""
        if self._connection is None:
            self._connection = await self._session.connection()
        return await self._connection.execute(statement, params)

    async def _upsert(
        self, model: type[SQLModel], values: Mapping[str, Any], keys: tuple[str, ...]
    ) -> None:
        """Insert ``values``, or overwrite the row with the same ``keys`` with them: one
        statement, so two writers cannot both insert (:mod:`storage.upsert`)."""
        statement = upsert.replacing(self._dialect, table_of(model), tuple(values), keys)
        await self._run(statement, values)

    async def _get(self, model: type[Row], key: object) -> Row | None:
        """The row with primary key ``key``, read from the database (see :meth:`_rows`)."""
        return await self._session.get(model, key, populate_existing=True)

    # the outbox

    async def enqueue(self, message: Outgoing) -> None:
        """Queue ``message``, due at once whatever the reader's clock says."""
        if not message.chat_id.startswith(UNSENT_CHATS):
            await self._run(prepared.INSERT_OUTBOX, self._outbox_values(message))

    async def enqueue_many(self, messages: Sequence[Outgoing]) -> None:
        """Queue ``messages`` in order with one multi-row INSERT."""
        values = [
            self._outbox_values(message)
            for message in messages
            if not message.chat_id.startswith(UNSENT_CHATS)
        ]
        connection = await self._session.connection()
        await bulk.insert_rows(connection, table_of(OutboxRow), values)

    def _outbox_values(self, message: Outgoing) -> dict[str, Any]:
        return {
            "chat_id": message.chat_id,
            "text": message.text,
            "buttons": _buttons_json(message.buttons),
            "photo": message.photo,
            "mentions": _mentions_json(message.mentions),
            "card_of": message.card_of,
            "edit_card_of": message.edit_card_of,
            "live": message.live,
            "delete_message_id": message.delete_message_id,
            "status": PENDING if message.hold_until is None else HELD,
            "next_attempt_at": message.hold_until,
            "created_at": self._clock(),
        }

    async def release_held(self, now: datetime) -> int:
        """Make held notices whose time has come ordinary pending messages; how many.

        A held row is not pending, so it never holds back the messages after it in its chat
        (a receipt at 23:00 goes out while the claim notice written at 22:50 waits for 07:00).
        """
        result = await self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.status) == HELD, col(OutboxRow.next_attempt_at) <= now)
            .values(status=PENDING, next_attempt_at=None)
            .returning(col(OutboxRow.id))
        )
        return len(result.all())

    async def take_lease(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """One statement decides: insert, or take over only a lease that is ours or expired."""
        statement = (
            upsert.insert(self._session, LeaseRow)
            .values(name=name, holder=holder, until=until)
            .on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": holder, "until": until},
                where=(col(LeaseRow.holder) == holder) | (col(LeaseRow.until) <= now),
            )
            .returning(col(LeaseRow.name))
        )
        return (await self._session.exec(statement)).first() is not None

    async def renew_lease(self, name: str, holder: str, until: datetime) -> bool:
        """Extend the lease only while ``holder`` is named on it: one UPDATE decides."""
        params = {"lease": name, "owner": holder, "end": until}
        return (await self._run(prepared.RENEW_LEASE, params)).first() is not None

    async def release_lease(self, name: str, holder: str) -> None:
        await self._session.exec(
            update(LeaseRow)
            .where(col(LeaseRow.name) == name, col(LeaseRow.holder) == holder)
            .values(until=DUE_AT_ONCE)
        )

    async def pending_outbox(
        self,
        limit: int,
        *,
        due_at: datetime | None = None,
        per_chat: int | None = None,
        skip_chats: Collection[str] = (),
    ) -> Sequence[OutboxItem]:
        """Unsent messages, each chat's oldest first (see the port for ``due_at``/``per_chat``).

        Without either, every pending message in the order written. With them, one window
        query ranks each chat's pending messages (``row_number``) and counts how many up to
        each one wait for a retry (a running ``sum``): a row goes out only when it is among
        its chat's first ``per_chat`` and nothing before it in its chat waits; rows come
        ordered by rank, so every chat's head before any chat's second message. The ranking
        costs as many rows as are pending: ``skip_chats`` leaves a backlog the reader holds
        already (a group's cards waiting for its 20 a minute) out of it.
        """
        if due_at is None and per_chat is None:
            rows = await self._rows(
                select(OutboxRow)
                .where(
                    col(OutboxRow.status) == PENDING,
                    col(OutboxRow.chat_id).not_in(list(skip_chats)),
                )
                .order_by(col(OutboxRow.id))
                .limit(limit)
            )
            return [_outbox_item(row) for row in rows]
        params = {
            "pending": PENDING,
            "due_at": _NEVER if due_at is None else due_at,  # nothing waits past it
            "per_chat": _ALL if per_chat is None else per_chat,
            "limit": limit,
            "skip_chats": list(skip_chats),
        }
        return [_outbox_item(row) for row in await self._run(prepared.DUE_OUTBOX, params)]

    async def outbox_sent(self, item_id: int, message_id: int | None) -> None:
        """Mark sent; for a card (``card_of``), remember ``message_id`` for later edits."""
        sent = (
            await self._run(
                prepared.OUTBOX_SENT,
                {
                    "item_id": item_id,
                    "new_status": SENT,
                    "platform_id": message_id,
                    "at": self._clock(),
                },
            )
        ).one_or_none()
        if sent is not None and sent.card_of is not None and message_id is not None:
            await self.remember_card(sent.card_of, sent.chat_id, message_id)

    async def outbox_posting(self, item_id: int, since: datetime | None) -> None:
        """Note that a card is being posted (``since``), or that it surely was not (None)."""
        await self._run(prepared.OUTBOX_POSTING, {"item_id": item_id, "since": since})

    async def outbox_retry(
        self, item_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        """Try again at ``at``; ``counted``: the failed attempt adds to ``attempts``."""
        attempts = col(OutboxRow.attempts) + (1 if counted else 0)
        await self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == item_id)
            .values(attempts=attempts, next_attempt_at=at, last_error=error)
        )

    async def outbox_failed(self, item_id: int, error: str) -> None:
        """Give up on the message; the last attempt counts, and the row stays for operators."""
        await self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == item_id)
            .values(status=FAILED, attempts=col(OutboxRow.attempts) + 1, last_error=error)
        )

    async def outbox_unreachable(self, item_id: int, error: str) -> None:
        """Give up on a card whose chat could not be reached, to be handed back later."""
        await self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == item_id)
            .values(status=UNREACHABLE, attempts=col(OutboxRow.attempts) + 1, last_error=error)
        )

    async def unreachable_card_chats(self) -> Sequence[str]:
        """The chats with unreachable cards: a handful, found through the status index."""
        rows = await self._run(prepared.CHATS_WITH_STATUS, {"status_of": UNREACHABLE})
        return [chat_id for (chat_id,) in rows]

    async def take_unreachable_cards(self, chat_ids: Sequence[str]) -> Sequence[int]:
        """The tasks of the unreachable cards to ``chat_ids``, each once, in task order.

        One UPDATE both finds and settles them (they become ``failed``), so a card is handed
        back once however many sends to its chat succeed after it.
        """
        result = await self._session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.status) == UNREACHABLE, col(OutboxRow.chat_id).in_(chat_ids))
            .values(status=FAILED)
            .returning(col(OutboxRow.card_of), col(OutboxRow.edit_card_of))
        )
        tasks = {card if card is not None else edit for card, edit in result.all()}
        return sorted(task for task in tasks if task is not None)

    async def card_message_id(self, task_id: int, chat_id: str) -> int | None:
        """The platform message id of the task's card in ``chat_id``, once it was sent."""
        return await self._session.scalar(
            select(CardRow.message_id).where(CardRow.task_id == task_id, CardRow.chat_id == chat_id)
        )

    async def remember_card(self, task_id: int, chat_id: str, message_id: int) -> None:
        """Record (or replace) which platform message is the task's card in that chat."""
        values = {"task_id": task_id, "chat_id": chat_id, "message_id": message_id}
        await self._upsert(CardRow, values, keys=("task_id", "chat_id"))


def _buttons_json(rows: tuple[tuple[Button, ...], ...]) -> str:
    if not rows:
        return "[]"  # most messages: skip the encoder
    return json.dumps([[[b.text, b.action] for b in row] for row in rows], ensure_ascii=False)


def _mentions_json(mentions: tuple[tuple[str, str], ...]) -> str:
    if not mentions:
        return "[]"
    return json.dumps([list(m) for m in mentions], ensure_ascii=False)


def _buttons(text: str) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(Button(label, action) for label, action in row) for row in json.loads(text))


def _outbox_item(row: Any) -> OutboxItem:
    """An outbox row (a model, or a plain row of the table) as the dispatcher's item."""
    assert row.id is not None  # a row read back always has its key
    message = Outgoing(
        chat_id=row.chat_id,
        text=row.text,
        buttons=_buttons(row.buttons),
        photo=row.photo,
        mentions=tuple((str(user), str(name)) for user, name in json.loads(row.mentions)),
        card_of=row.card_of,
        edit_card_of=row.edit_card_of,
        live=row.live,
        delete_message_id=row.delete_message_id,
    )
    due = DUE_AT_ONCE if row.next_attempt_at is None else row.next_attempt_at
    return OutboxItem(
        row.id,
        message,
        row.attempts,
        due,
        maybe_posted=row.posting_since is not None,
        fan_out=row.dedupe_key is not None,
    )
