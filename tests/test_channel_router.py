"""One outbox, several channels: a message goes out on its chat's channel, or is given up with
the reason when this deployment does not run that channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram import Bot

from bot.channels import Channel, telegram
from bot.domain import Outgoing
from bot.sending.outbox import OutboxDispatcher
from bot.sending.router import ChannelRouter
from handlers.telegram.sender import TelegramSender
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.harness import PRESENTER
from tests.outbox_support import wall_clock

pytestmark = pytest.mark.asyncio

TOKEN = "1:ROUTER"


async def test_each_message_takes_its_channel_and_an_unserved_one_is_given_up_with_a_reason(
    database_url: str,
) -> None:
    """A Telegram resident gets their receipt; a WeCom member, with no WeCom set up here, is
    not sent to Telegram as a @username (what PTB would make of the text), and the outbox
    records why it was given up."""
    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        resident = standin.add_user(1001, "王阿姨")
        async with store.transaction() as tx:
            await tx.enqueue(Outgoing("wecom:zhangsan", "新工单待认领"))
            await tx.enqueue(Outgoing(telegram(resident.id), "已收到您的反映"))
            await tx.enqueue(Outgoing("nobody", "无处可去"))
        async with Bot(TOKEN, base_url=standin.base_url) as bot:
            router = ChannelRouter({Channel.TELEGRAM: TelegramSender(bot)})
            outbox = OutboxDispatcher(store, router, wall_clock, PRESENTER)
            await outbox.drain()
        assert [m.content for m in standin.chat(resident.id)] == ["已收到您的反映"]
        assert not [call for call in standin.calls if call.method == "sendMessage"][1:]
        now = wall_clock()
        async with store.transaction() as tx:
            health = await tx.outbox_health(now - timedelta(hours=1), now)
    assert health.pending == 0
    reasons = dict(health.failed)
    assert reasons["no wecom channel is set up here (running: telegram)"] == 1
    assert reasons["not a channel address: 'nobody'"] == 1
