"""Where messages really go, and how delivery has fared: chat moves and outbox health.

A basic Telegram group that becomes a supergroup gets a new chat id; the old one answers every
send with ``migrate_to_chat_id``. The move is stored here, in ``chat_moves`` (old id → new id),
so the outbox sends to the new id from then on, also after a restart, while the organisation's
config can go on naming the old id. Outbox health is the operators' view of the queue: what is
waiting, and what was given up and why (``griddesk doctor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Text, func
from sqlmodel import Field, SQLModel, col, select

from bot.ports import OutboxHealth
from storage.queues import GIVEN_UP, PENDING, Queues
from storage.tables import OutboxRow, UtcDateTime, table_of


class ChatMoveRow(SQLModel, table=True):
    """A chat that now lives under another id (a group upgraded to a supergroup)."""

    __tablename__ = "chat_moves"

    old_id: str = Field(sa_type=Text, primary_key=True)
    new_id: str = Field(sa_type=Text)
    moved_at: datetime = Field(sa_type=UtcDateTime)


_MOVES = table_of(ChatMoveRow)
_CHAT_MOVES = select(_MOVES.c.old_id, _MOVES.c.new_id)
"""Read at every outbox read that finds work: prepared once (:mod:`storage.prepared`)."""


class DeliveryQueries(Queues):
    """The chat-move and outbox-health methods of :class:`bot.ports.Transaction`."""

    async def chat_moves(self) -> Mapping[str, str]:
        """Every stored move, old id → new id (a handful of rows: read whole)."""
        return dict((await self._run(_CHAT_MOVES)).all())

    async def record_chat_move(self, old_id: str, new_id: str) -> None:
        """Store (or correct) that chat ``old_id`` is now ``new_id``."""
        values = {"old_id": old_id, "new_id": new_id, "moved_at": self._clock()}
        await self._upsert(ChatMoveRow, values, keys=("old_id",))

    async def outbox_health(self, since: datetime, now: datetime) -> OutboxHealth:
        """Pending messages (due, or waiting for a retry at ``now``), and the messages written
        since ``since`` that were given up, counted by their last error, most first."""
        waiting = col(OutboxRow.next_attempt_at) > now
        pending = col(OutboxRow.status) == PENDING
        counts = await self._session.exec(
            select(func.count(), func.count().filter(waiting)).where(pending)
        )
        total, retrying = counts.one()
        failed = await self._session.exec(
            select(col(OutboxRow.last_error), func.count())
            .where(col(OutboxRow.status).in_(GIVEN_UP), col(OutboxRow.created_at) >= since)
            .group_by(col(OutboxRow.last_error))
            .order_by(func.count().desc(), col(OutboxRow.last_error))
        )
        reasons = tuple((reason or "?", count) for reason, count in failed)
        return OutboxHealth(pending=total, retrying=retrying, failed=reasons)
