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
from bot.sending.outbox import OutboxDispatcher
from handlers.telegram.sender import TelegramSender
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.clock import FakeClock, nine_am
from tests.harness import PRESENTER

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
            first = OutboxDispatcher(one, sender, clock, PRESENTER)
            second = OutboxDispatcher(two, sender, clock, PRESENTER)
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


class SlowChannel:
    """A channel where each send takes ten seconds (Telegram's per-group pace under a
    backlog), and where, during the third, the other instance tries to drain."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[str] = []
        self.other: OutboxDispatcher | None = None
        self.other_sent: int | None = None

    async def send(self, message: Outgoing, edit_message_id: int | None) -> int:
        self.sent.append(message.text)
        self.clock.advance(timedelta(seconds=10))
        if len(self.sent) == 3 and self.other is not None:
            self.other_sent = await self.other.drain()
        return len(self.sent)


async def test_a_long_drain_keeps_its_lease_so_nothing_is_sent_twice(database_url: str) -> None:
    """Six messages at ten seconds each outlast the 15-second lease: the sender renews it
    between sends, so the other instance, trying mid-drain, sends nothing."""
    clock = nine_am()
    async with (
        open_store(database_url, clock=clock) as one,
        open_store(database_url, clock=clock) as two,
    ):
        async with one.transaction() as tx:
            for n in range(6):
                await tx.enqueue(Outgoing(1001, f"第{n}条"))
        channel = SlowChannel(clock)
        first = OutboxDispatcher(one, channel, clock, PRESENTER)
        channel.other = OutboxDispatcher(two, channel, clock, PRESENTER)
        assert await first.drain() == 6
        assert channel.other_sent == 0
        assert channel.sent == [f"第{n}条" for n in range(6)]
