"""No chat holds another back (issue 13, point 5): per-chat lanes, and deletions by the outbox.

A group held to Telegram's 20 messages a minute (PTB's rate limiter, as in production) sends at
that pace while a resident's receipt goes out at once; a button press on an old copy of a card
queues the copy's deletion instead of waiting for Telegram, so neither the press nor anything
behind it waits on the group.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bot import texts
from bot.channels import telegram
from bot.config.settings import Settings
from bot.domain import Outgoing
from bot.sending.outbox import OutboxDispatcher
from handlers.telegram.sender import TelegramSender
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.harness import PRESENTER, world
from tests.outbox_support import running, wall_clock

pytestmark = pytest.mark.asyncio

TOKEN = "1:LANES"
GROUP = -100_500  # Telegram's id, as the stand-in knows it; the desk's is telegram(GROUP)
NUMBER = "20261122-0001"
COMPLAINT = "审计厅小区3号楼停水了"


async def test_a_receipt_does_not_wait_behind_a_group_at_its_rate_limit(database_url: str) -> None:
    """60 messages for one group: the limiter lets 20 through, then one every 3 s. A receipt
    written for a resident meanwhile goes out within a second, while the group waits its
    turn."""
    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        resident = standin.add_user(1001, "王阿姨")
        standin.add_group(GROUP, "兴安南路1网格")
        async with store.transaction() as tx:
            await tx.enqueue_many([Outgoing(telegram(GROUP), f"通知 {n}") for n in range(60)])
        limited = AIORateLimiter(max_retries=0)  # as griddesk run has it
        async with ExtBot(TOKEN, base_url=standin.base_url, rate_limiter=limited) as bot:
            outbox = OutboxDispatcher(store, TelegramSender(bot), wall_clock, PRESENTER)
            async with running(outbox):
                # 20 at once, then one every 3 s: the group's lane is held back now
                await standin.wait_for(lambda m: m.content == "通知 20", timeout=10)
                async with store.transaction() as tx:
                    await tx.enqueue(Outgoing(telegram(resident.id), "已收到您的反映"))
                outbox.wake()
                written = time.monotonic()
                await standin.wait_for(lambda m: m.chat_id == resident.id, timeout=5)
                took = time.monotonic() - written
                in_group = [m.content for m in standin.chat(GROUP)]
        assert took < 1.0, f"the receipt took {took:.2f} s"
        assert len(in_group) < 25  # the group was still being held back
        assert in_group == [f"通知 {n}" for n in range(len(in_group))]  # in order


async def test_a_deletion_goes_out_through_the_outbox(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A queued deletion removes the bot's message; deleting it again (gone already) counts as
    done, with an INFO line, and is not retried."""
    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        standin.add_group(GROUP, "兴安南路1网格")
        async with Bot(TOKEN, base_url=standin.base_url) as bot:
            old = await bot.send_message(GROUP, "旧卡片")
            outbox = OutboxDispatcher(store, TelegramSender(bot), wall_clock, PRESENTER)
            async with store.transaction() as tx:
                await tx.enqueue(Outgoing(telegram(GROUP), "", delete_message_id=old.message_id))
                await tx.enqueue(Outgoing(telegram(GROUP), "", delete_message_id=old.message_id))
            with caplog.at_level(logging.INFO, logger="handlers.telegram.sender"):
                assert await outbox.drain() == 2
        assert standin.chat(GROUP) == []
        assert [c.method for c in standin.calls].count("deleteMessage") == 2
        assert any(
            f"message {old.message_id} in chat {telegram(GROUP)} not deleted" in r.getMessage()
            and "not found" in r.getMessage()
            for r in caplog.records
        )
        async with store.transaction() as tx:
            assert await tx.pending_outbox(10) == []
            health = await tx.outbox_health(wall_clock() - timedelta(days=1), wall_clock())
        assert health.failed == ()


STALL = 4
"""Seconds the bot waits for Telegram's answer (not 5): a stalled call times out soon, and what
waits behind it would come STALL seconds late: told apart by seconds from what comes at once
(DONE_WITHIN), however busy the machine (on PostgreSQL a resident's message under a full
parallel test run took over 0.5 s)."""
DONE_WITHIN = 2.0


def _quick(settings: Settings) -> Settings:
    """The bot waits STALL seconds for an answer, so a stalled call times out fast."""
    return replace(settings, telegram=replace(settings.telegram, send_timeout=STALL))


async def test_a_press_on_an_old_copy_does_not_wait_for_its_deletion(
    database_url: str, cache_dir: Path
) -> None:
    """Telegram does not answer the deletion of an old copy of a card (a group at its limit):
    the press is handled at once and a resident's next message is answered at once; the copy
    is deleted when the outbox's retry gets through."""
    async with world(database_url, cache_dir, change=_quick) as w:
        grid, zhang = w.group("xingan-1"), w.people["张三"]
        w.standin.lose_reply_next("sendMessage", chat_id=grid)
        await w.say(w.resident(), COMPLAINT)
        w.clock.advance(timedelta(seconds=1))  # the first backoff: the card is posted again
        await w.bot.telegram.outbox.settled()
        first, second = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
        assert second.content.startswith(texts.CARD_REPOSTED)

        w.standin.stall_next("deleteMessage", chat_id=grid)  # until the bot's STALL s timeout
        data = next(d for row in first.buttons for label, d in row if label == "认领")
        assert data is not None
        pressed = time.monotonic()
        w.standin.press(zhang, first, data)
        press = max(u["update_id"] for u in w.standin.pending_updates)
        async with asyncio.timeout(5):
            await w.bot.telegram.inbox.processed(press)
        took = time.monotonic() - pressed
        assert took < DONE_WITHIN, f"the press was handled {took:.2f} s after it came"
        assert [a.text for a in w.standin.callback_answers] == [texts.ANSWER_CLAIMED]
        other = w.resident(1002, "李大爷")
        w.standin.send_text(other, "审计厅小区5号楼电梯坏了")
        await w.standin.wait_for(
            lambda m: m.chat_id == other.id and "工单号" in m.content, DONE_WITHIN
        )

        async with asyncio.timeout(10):
            await w.bot.telegram.outbox.settled()  # the deletion timed out: a retry in 1 s
        w.clock.advance(timedelta(seconds=1))
        async with asyncio.timeout(10):
            await w.bot.telegram.outbox.settled()
        cards = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
        assert [m.message_id for m in cards] == [second.message_id]
