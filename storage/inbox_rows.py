"""The inbox: updates stored before the platform hears they arrived, handled once by one instance.

An update is stored (deduplicated by its id) before the platform is told it arrived, claimed by
the instance about to handle it, and marked processed in the transaction that acts on it
(DESIGN.md §7, §8, §9). Two guards make "exactly once" hold with any number of instances:

- **The claim** (``claimed_by``, ``claimed_until``) keeps instances from handling the same
  update at all: an instance hands out only what nobody else holds. A claim runs out, so a
  dead instance's updates are taken over; the living renew theirs as they go.
- **The conditional mark** (``UPDATE … WHERE processed = false``) is the fence should two
  handle one update anyway (a claim that ran out mid-handling): the second transaction finds
  the row marked, raises :class:`~bot.errors.AlreadyProcessed`, and rolls back its effects.
  On PostgreSQL the second UPDATE waits for the first's row lock and re-reads the row after
  that commit; on SQLite the write lock makes them take turns.

Order: updates are handed out lowest id first, and none is handed out while an earlier one of
its *lane* (the chat, for Telegram) is held by another instance. So one chat's updates are
handled in the order they arrived, whichever instances handle them — as long as each instance
finishes an update within its claim (:data:`handlers.telegram.inbox.CLAIM_TIME`); an update
whose handling outlasts it may be overtaken by the next of its chat (still handled once).
Updates of different chats may be handled by different instances at the same time, so there is
no order across chats. Claiming itself is serialised: row locks taken with ``SKIP LOCKED``
would keep two claimers off the same rows, but not off two rows of one lane, and a row lock
cannot be held across the desk's own transactions anyway; so on PostgreSQL a claim takes a
transaction-level advisory lock (:data:`CLAIM_LOCK`) for its one short UPDATE, and SQLite's
``BEGIN IMMEDIATE`` already gives it the write lock.

Channels: Telegram numbers its updates, and its ``update_id`` is both the key and the poll
offset. WeChat and WeCom callbacks carry only their own dedupe key (a MsgId, or sender and
CreateTime), so such a message is deduplicated by ``(channel, message_key)`` and given an update
id of ours from a counter (:class:`IdCounterRow`) starting at :data:`bot.ports.CHANNEL_UPDATE_IDS`,
far above Telegram's: the claim, the lanes and the conditional mark then work on every channel's
messages alike. Only ``telegram`` rows are the poll offset (:meth:`InboxQueries.last_update_id`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Text, bindparam, func, update
from sqlmodel import Field, SQLModel, col, select

from bot.errors import AlreadyProcessed
from bot.ports import CHANNEL_UPDATE_IDS, PollConflict
from storage import prepared, upsert
from storage.queues import Queues
from storage.tables import InboxRow, UtcDateTime, table_of

CLAIM_LOCK = int.from_bytes(b"gd-inbox", "big")
"""The PostgreSQL advisory lock key held while an instance claims updates (see the docstring)."""

TELEGRAM = "telegram"
"""The channel whose own update ids are the poll offset (``bot.channels.Channel.TELEGRAM``)."""
_POLL = "poll"
_CHANNEL_UPDATES = "channel_updates"
"""The counter of :data:`CHANNEL_UPDATE_IDS` in ``id_counters``."""


class PollConflictRow(SQLModel, table=True):
    """The last time the platform refused our long poll (Telegram's 409): one row, replaced."""

    __tablename__ = "poll_conflicts"

    name: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime)
    webhook: bool = False


class IdCounterRow(SQLModel, table=True):
    """The last id handed out by a named counter. The row is never deleted, so no id is given
    twice, even after the rows that carried the earlier ones are gone."""

    __tablename__ = "id_counters"

    name: str = Field(sa_type=Text, primary_key=True)
    value: int = Field(sa_type=BigInteger)


_COUNTERS = table_of(IdCounterRow)


@functools.cache
def _next_id(dialect: str) -> Any:
    """Count counter ``counter`` up and return its new value (``first`` the first time): one
    statement, so two instances never read the same value. On PostgreSQL the row stays locked
    until the transaction ends, and the other waits and counts on from the committed value; on
    SQLite the transaction holds the write lock from its start (``BEGIN IMMEDIATE``)."""
    statement = upsert.dialect_insert(dialect, _COUNTERS).values(
        name=bindparam("counter"), value=bindparam("first")
    )
    return statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": _COUNTERS.c.value + 1}
    ).returning(_COUNTERS.c.value)


class InboxQueries(Queues):
    """The inbox methods of :class:`bot.ports.Transaction` (:class:`bot.ports.InboxTransaction`)."""

    async def store_updates(
        self, updates: Sequence[tuple[int, str]], lanes: Mapping[int, str] | None = None
    ) -> None:
        """Insert (update_id, raw JSON) pairs, each in its lane (the empty lane when not
        given); an update id already stored is ignored."""
        if not updates:
            return
        now, lanes = self._clock(), lanes or {}
        rows = [
            {
                "update_id": uid,
                "raw": raw,
                "processed": False,
                "received_at": now,
                "lane": lanes.get(uid, ""),
                "channel": TELEGRAM,
            }
            for uid, raw in updates
        ]
        await self._run(prepared.store_updates(self._dialect), rows)

    async def store_message(self, channel: str, key: str, raw: str, lane: str) -> int | None:
        """Store a message of a channel without update ids (see the port); its new id, or None
        for a key stored before. A retry's message consumes a counter value, never a row.

        The counter row stays locked until this transaction ends (see :func:`_next_id`): store
        and commit, and handle the message in a transaction of its own."""
        counted = await self._run(
            _next_id(self._dialect), {"counter": _CHANNEL_UPDATES, "first": CHANNEL_UPDATE_IDS}
        )
        values = {
            "update_id": counted.scalar_one(),
            "raw": raw,
            "processed": False,
            "received_at": self._clock(),
            "lane": lane,
            "channel": channel,
            "message_key": key,
        }
        stored = await self._run(prepared.store_message(self._dialect), values)
        update_id: int | None = stored.scalar_one_or_none()
        return update_id

    async def claim_updates(
        self, holder: str, until: datetime, now: datetime, limit: int
    ) -> Sequence[tuple[int, str, str]]:
        """Claim and return the first ``limit`` updates ``holder`` may handle (see the port).

        One UPDATE picks and claims them. An update is free when nobody's claim on it runs
        past ``now`` (or the claim is ``holder``'s own) and no earlier unprocessed update of
        its lane is held by another.
        """
        if self._dialect == "postgresql":
            await self._run(prepared.CLAIM_LOCK, {"lock_key": CLAIM_LOCK})
        params = {"holder": holder, "now": now, "claim_end": until, "limit": limit}
        result = await self._run(prepared.CLAIM, params)
        return sorted((update_id, raw, lane) for update_id, raw, lane in result.all())

    async def release_updates(self, holder: str) -> None:
        """End ``holder``'s claims on what it did not process, for the others to take now."""
        await self._session.exec(
            update(InboxRow)
            .where(col(InboxRow.claimed_by) == holder, col(InboxRow.processed).is_(False))
            .values(claimed_by=None, claimed_until=None)
        )

    async def unprocessed_updates(self, limit: int) -> Sequence[tuple[int, str]]:
        """Stored updates not yet acted on, oldest (lowest id) first, claimed or not."""
        rows = await self._session.exec(
            select(InboxRow.update_id, InboxRow.raw)
            .where(col(InboxRow.processed).is_(False))
            .order_by(col(InboxRow.update_id))
            .limit(limit)
        )
        return [(update_id, raw) for update_id, raw in rows]

    async def last_update_id(self) -> int | None:
        """The highest Telegram update id stored: where to resume polling after a restart (the
        other channels' ids are ours, and far higher)."""
        return await self._session.scalar(
            select(func.max(InboxRow.update_id)).where(col(InboxRow.channel) == TELEGRAM)
        )

    async def mark_update_processed(self, update_id: int) -> None:
        """Mark an update as acted on (in the transaction that acted on it), only if nobody did
        before: otherwise raise :class:`AlreadyProcessed`, so that transaction rolls back.

        Its raw JSON goes too: once acted on, an update is needed only as the poll offset, and
        its text, name and phone number are the resident's, not ours to keep. An update that
        was never stored (handed to the handlers directly, as adapter tests do) has nothing to
        mark and nobody to race.
        """
        params = {"update": update_id}
        if (await self._run(prepared.MARK_PROCESSED, params)).first() is not None:
            return
        if (await self._run(prepared.IS_STORED, params)).first() is not None:
            raise AlreadyProcessed(update_id)

    async def mark_updates_done(self, update_ids: Sequence[int]) -> None:
        if update_ids:
            await self._run(prepared.MARK_DONE, {"updates": list(update_ids)})

    async def record_poll_conflict(self, at: datetime, *, webhook: bool) -> None:
        values = {"name": _POLL, "at": at, "webhook": webhook}
        await self._upsert(PollConflictRow, values, keys=("name",))

    async def poll_conflict(self) -> PollConflict | None:
        row = await self._get(PollConflictRow, _POLL)
        return None if row is None else PollConflict(row.at, row.webhook)
