"""The outbox's fair batch, chat moves and outbox health, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels import telegram
from bot.domain import Outgoing
from bot.ports import OutboxHealth
from storage.sql_store import SqlStore

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
A, B, C = telegram(-1001), telegram(-1002), telegram(1003)


async def test_fair_batch_takes_due_heads_round_robin_in_order(store: SqlStore) -> None:
    """Every chat's first message before any chat's second, at most per_chat each, and a chat
    whose head waits for a retry contributes nothing (its later messages must not overtake)."""
    messages = [Outgoing(A, "a1"), Outgoing(A, "a2"), Outgoing(A, "a3"), Outgoing(B, "b1")]
    messages += [Outgoing(B, "b2"), Outgoing(C, "c1")]
    async with store.transaction() as tx:
        await tx.enqueue_many(messages)
        everything = await tx.pending_outbox(10)
        b1 = next(item for item in everything if item.message.text == "b1")
        await tx.outbox_retry(b1.id, "retry after 30 s", NOW + timedelta(seconds=30))
    async with store.transaction() as tx:
        batch = await tx.pending_outbox(10, due_at=NOW, per_chat=2)
        assert [item.message.text for item in batch] == ["a1", "c1", "a2"]
        later = await tx.pending_outbox(10, due_at=NOW + timedelta(seconds=30), per_chat=2)
        assert [item.message.text for item in later] == ["a1", "b1", "c1", "a2", "b2"]
        assert len(await tx.pending_outbox(2, due_at=NOW, per_chat=2)) == 2
        assert len(await tx.pending_outbox(10)) == 6  # no options: every pending message
        # a chat the reader holds all it can of is left out; the others rank as before
        skipping = await tx.pending_outbox(10, due_at=NOW, per_chat=2, skip_chats=[A])
        assert [item.message.text for item in skipping] == ["c1"]
        assert [item.message.text for item in await tx.pending_outbox(10, skip_chats=[A, C])] == [
            "b1",
            "b2",
        ]


async def test_chat_moves_are_stored_and_corrected(store: SqlStore) -> None:
    """A move old → new is kept (addresses of Telegram's 64-bit supergroup ids fit) and can be
    corrected."""
    async with store.transaction() as tx:
        assert await tx.chat_moves() == {}
        await tx.record_chat_move(A, telegram(-1009876543210))
    async with store.transaction() as tx:
        await tx.record_chat_move(A, telegram(-1009876543211))
    async with store.transaction() as tx:
        assert await tx.chat_moves() == {A: telegram(-1009876543211)}


async def test_outbox_health_counts_pending_retrying_and_failures_by_reason(
    store: SqlStore,
) -> None:
    """Pending and retrying are counted now; failures since the window start, most first."""
    async with store.transaction() as tx:
        await tx.enqueue_many([Outgoing(C, str(i)) for i in range(5)])
        items = await tx.pending_outbox(10)
        await tx.outbox_failed(items[0].id, "Forbidden: bot was blocked by the user")
        await tx.outbox_failed(items[1].id, "Forbidden: bot was blocked by the user")
        await tx.outbox_failed(items[2].id, "Chat not found")
        await tx.outbox_retry(items[3].id, "retry after 30 s", NOW + timedelta(seconds=30))
    async with store.transaction() as tx:
        health = await tx.outbox_health(datetime.now(UTC) - timedelta(days=7), NOW)
        assert health == OutboxHealth(
            pending=2,
            retrying=1,
            failed=(("Forbidden: bot was blocked by the user", 2), ("Chat not found", 1)),
        )
        future = await tx.outbox_health(datetime.now(UTC) + timedelta(days=1), NOW)
        assert future.failed == ()
