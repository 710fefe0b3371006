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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Field, SQLModel, col, select

from bot.errors import AlreadyProcessed
from bot.ports import PollConflict
from storage import prepared
from storage.queues import Queues
from storage.tables import InboxRow, UtcDateTime

CLAIM_LOCK = int.from_bytes(b"gd-inbox", "big")
"""The PostgreSQL advisory lock key held while an instance claims updates (see the docstring)."""

_POLL = "poll"


class PollConflictRow(SQLModel, table=True):
    """The last time the platform refused our long poll (Telegram's 409): one row, replaced."""

    __tablename__ = "poll_conflicts"

    name: str = Field(primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime)
    webhook: bool = False


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
            }
            for uid, raw in updates
        ]
        await self._run(prepared.store_updates(self._dialect), rows)

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
        """The highest update id stored: where to resume polling after a restart."""
        return await self._session.scalar(select(func.max(InboxRow.update_id)))

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
