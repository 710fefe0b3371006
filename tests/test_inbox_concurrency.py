"""One instance handles several chats at once on PostgreSQL, each chat in order (issue 13,
point 4).

A resident whose transaction waits (here on a row lock another connection holds, as it would
on a slow disk or a long lock) must not hold back everybody else's messages: on PostgreSQL the
inbox runs several chats' updates at the same time. The waiting resident's own later message
waits behind the first, since one chat's updates keep their order. On SQLite one write lock
serialises transactions anyway, so the inbox there takes one chat at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from bot.channels import telegram
from standins.telegram import BotMessage
from storage.engine import transactions_at_once
from tests.harness import STEP_TIMEOUT, world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


def _receipt_to(chat_id: int) -> Callable[[BotMessage], bool]:
    return lambda m: m.chat_id == chat_id and "工单号" in m.content


async def test_a_waiting_chat_holds_no_other_chat_back(database_url: str, cache_dir: Path) -> None:
    if not database_url.startswith("postgresql"):
        assert transactions_at_once(database_url) == 1  # SQLite: one chat at a time
        pytest.skip("several chats at once is PostgreSQL's (SQLite has one write lock)")
    assert transactions_at_once(database_url) > 1
    async with world(database_url, cache_dir) as w:
        waiting, other = w.resident(71_001, "王阿姨"), w.resident(71_002, "李大爷")
        lock = await asyncpg.connect(database_url)
        try:
            # another connection creates the waiting resident's row and keeps it uncommitted:
            # the bot's insert of the same resident waits for that transaction to end
            transaction = lock.transaction()
            await transaction.start()
            await lock.execute(
                "INSERT INTO residents (user_id, chat_id, name, seen_at)"
                " VALUES ($1, $1, 'x', now())",
                telegram(waiting.id),
            )
            w.standin.send_text(waiting, "审计厅小区3号楼停水了")
            second = w.standin.send_text(waiting, "审计厅小区5号楼路灯坏了")
            w.standin.send_text(other, "审计厅小区1号楼暖气不热")
            await w.standin.wait_for(_receipt_to(other.id), timeout=STEP_TIMEOUT)
            assert [m for m in w.standin.chat(waiting.id) if "工单号" in m.content] == []
            await transaction.rollback()
        finally:
            await lock.close()
        await asyncio.wait_for(w.bot.telegram.inbox.processed(second), STEP_TIMEOUT)
        await asyncio.wait_for(w.bot.telegram.outbox.settled(), STEP_TIMEOUT)
        async with w.bot.store.transaction() as tx:
            filed = await tx.tasks_of_resident(telegram(waiting.id), 5)  # newest first
        assert [task.text for task in reversed(filed)] == [
            "审计厅小区3号楼停水了",
            "审计厅小区5号楼路灯坏了",
        ]  # both filed, in the order they were sent
