"""Two bot instances on one database (a rolling restart): every message is sent once.

Two dispatchers with their own connections drain the same outbox through the real Telegram
sender against the Bot API stand-in; only the holder of the outbox lease sends, and a
dispatcher that dies without letting go is replaced when its lease runs out.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Bot

from bot.domain import Outgoing
from bot.outbox import OutboxDispatcher
from handlers.botapi_standin import BotApiStandIn
from handlers.telegram.sender import TelegramSender
from storage.engine import open_store
from tests.clock import nine_am

pytestmark = pytest.mark.asyncio


async def test_two_dispatchers_send_each_message_once(database_url: str) -> None:
    """Both drain at the same moment; the stand-in receives every message exactly once."""
    clock = nine_am()
    async with (
        BotApiStandIn(token="1:TWO") as standin,
        open_store(database_url, clock=clock) as one,
        open_store(database_url, clock=clock) as two,
    ):
        residents = [standin.add_user(1000 + n, f"居民{n}") for n in range(40)]
        async with one.transaction() as tx:
            for user in residents:
                await tx.enqueue(Outgoing(user.id, f"通知 {user.id}"))
        async with Bot("1:TWO", base_url=standin.base_url) as bot:
            sender = TelegramSender(bot)
            first = OutboxDispatcher(one, sender, clock)
            second = OutboxDispatcher(two, sender, clock)
            sent = await asyncio.gather(first.drain(), second.drain())
            assert sorted(sent) == [0, 40]
            assert [len(standin.chat(user.id)) for user in residents] == [1] * 40

            # the holder dies without releasing: the other takes over once the lease is out
            async with one.transaction() as tx:
                await tx.enqueue(Outgoing(residents[0].id, "后来的通知"))
            idle = second if sent[0] else first
            assert await idle.drain() == 0
            clock.advance(timedelta(seconds=31))
            assert await idle.drain() == 1
            assert [m.content for m in standin.chat(residents[0].id)][-1] == "后来的通知"
