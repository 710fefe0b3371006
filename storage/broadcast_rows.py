"""Scheduled notices: their table, and the broadcast half of the SQL transaction.

A run of a broadcast is fanned out to its recipients inside one transaction, as outbox rows
keyed by (broadcast, occurrence, chat): a run is queued completely or not at all, and a run
repeated for any reason (two instances, a retry after a crash) queues nobody twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Index, Text, or_
from sqlmodel import Field, SQLModel, col, select

from bot.domain import Audience, Broadcast, BroadcastStatus, Outgoing
from storage import upsert
from storage.queues import Queues
from storage.tables import ID, OutboxRow, ResidentRow, UtcDateTime

_CHUNK = 500


class BroadcastRow(SQLModel, table=True):
    """A notice scheduled by an admin or the config."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_due", "status", "next_run_at"),)

    id: int | None = Field(default=None, sa_type=ID, primary_key=True)
    text: str = Field(sa_type=Text)
    audience: str
    grid_ids: str = Field(sa_type=Text)
    """JSON list of grid ids."""
    schedule: str
    cron: str | None = None
    occurrence_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    next_run_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    status: str
    created_by: str | None = Field(default=None, sa_type=Text)
    source: str
    places: str = Field(default="[]", sa_type=Text, sa_column_kwargs={"server_default": "[]"})
    """JSON list of 小区 names whose residents are meant, beyond whole grids."""


class BroadcastQueries(Queues):
    """The :class:`bot.ports.BroadcastTransaction` methods."""

    async def add_broadcast(self, broadcast: Broadcast) -> Broadcast:
        row = BroadcastRow(**_columns(broadcast))
        self._session.add(row)
        await self._session.flush()
        return _broadcast(row)

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        rows = await self._rows(select(BroadcastRow).where(BroadcastRow.id == broadcast_id))
        row = rows.one_or_none()
        return None if row is None else _broadcast(row)

    async def broadcasts(self, statuses: frozenset[BroadcastStatus]) -> Sequence[Broadcast]:
        rows = await self._rows(
            select(BroadcastRow)
            .where(col(BroadcastRow.status).in_([s.value for s in statuses]))
            .order_by(col(BroadcastRow.id))
        )
        return [_broadcast(row) for row in rows]

    async def save_broadcast(
        self, broadcast: Broadcast, *, only_if: BroadcastStatus | None = None
    ) -> bool:
        rows = await self._rows(
            select(BroadcastRow).where(BroadcastRow.id == broadcast.id).with_for_update()
        )
        row = rows.one_or_none()
        if row is None or (only_if is not None and row.status != only_if.value):
            return False
        for name, value in _columns(broadcast).items():
            setattr(row, name, value)
        await self._session.flush()
        return True

    async def due_broadcasts(self, now: datetime, limit: int) -> Sequence[Broadcast]:
        statement = (
            select(BroadcastRow)
            .where(BroadcastRow.status == BroadcastStatus.ACTIVE.value)
            .where(col(BroadcastRow.next_run_at) <= now)
            .order_by(col(BroadcastRow.next_run_at), col(BroadcastRow.id))
            .limit(limit)
        )
        if self._dialect == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return [_broadcast(row) for row in await self._rows(statement)]

    async def resident_chats(
        self, grid_ids: Sequence[str], places: Sequence[str] = ()
    ) -> Sequence[str]:
        bound: ColumnElement[bool] = col(ResidentRow.grid_id).in_(list(grid_ids))
        if places:
            bound = or_(bound, col(ResidentRow.place).in_(list(places)))
        rows = await self._rows(select(ResidentRow).where(bound).order_by(col(ResidentRow.user_id)))
        return [row.chat_id for row in rows]

    async def enqueue_once(self, messages: Sequence[tuple[Outgoing, str]]) -> int:
        queued = 0
        now = self._clock()
        for start in range(0, len(messages), _CHUNK):
            values = [
                {
                    "chat_id": message.chat_id,
                    "text": message.text,
                    "buttons": "[]",
                    "mentions": "[]",
                    "photo": message.photo,
                    "created_at": now,
                    "dedupe_key": key,
                }
                for message, key in messages[start : start + _CHUNK]
            ]
            statement = (
                upsert.insert(self._session, OutboxRow)
                .values(values)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
            )
            result = await self._session.exec(statement)
            queued += max(result.rowcount, 0)
        return queued


def _columns(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "text": broadcast.text,
        "audience": broadcast.audience.value,
        "grid_ids": json.dumps(list(broadcast.grid_ids)),
        "schedule": broadcast.schedule,
        "cron": broadcast.cron,
        "occurrence_at": broadcast.occurrence_at,
        "next_run_at": broadcast.next_run_at,
        "status": broadcast.status.value,
        "created_by": broadcast.created_by,
        "source": broadcast.source,
        "places": json.dumps(list(broadcast.places), ensure_ascii=False),
    }


def _broadcast(row: BroadcastRow) -> Broadcast:
    assert row.id is not None  # a row read back always has its key
    return Broadcast(
        id=row.id,
        text=row.text,
        audience=Audience(row.audience),
        grid_ids=tuple(json.loads(row.grid_ids)),
        schedule=row.schedule,
        cron=row.cron,
        occurrence_at=row.occurrence_at,
        next_run_at=row.next_run_at,
        status=BroadcastStatus(row.status),
        created_by=row.created_by,
        source=row.source,
        places=tuple(json.loads(row.places or "[]")),
    )
