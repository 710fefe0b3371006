"""The follow-up engine through the real bot: PTB's JobQueue runs it, Telegram shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness import World

pytestmark = pytest.mark.asyncio


async def test_the_job_queue_tick_reminds_with_mentions(w: World) -> None:
    """The repeating job takes the due step; the reminder mentions the grid's workers."""
    resident = w.resident()
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼停水了")
    [job] = w.bot.telegram.application.job_queue.get_jobs_by_name("_on_tick")  # not digests
    assert job.job.trigger.interval == timedelta(minutes=1)  # the configured tick
    w.clock.advance(timedelta(hours=2))
    await job.run(w.bot.telegram.application)  # what the scheduler does every minute
    await w.bot.telegram.outbox.settled()
    reminder = next(m for m in w.chat(grid) if "已超过认领时限" in m.content)
    mentioned = [e["user"]["id"] for e in reminder.entities if e["type"] == "text_mention"]
    assert mentioned == [2001, 2002]
    assert "⚠️ 超时未认领" in w.card(grid, "20261122-0001").content
    w.clock.advance(timedelta(hours=1))
    await job.run(w.bot.telegram.application)
    await w.bot.telegram.outbox.settled()
    assert "⚠️ 超时未认领，已上报至兴安南路社区" in w.card(grid, "20261122-0001").content
    assert "已上报给兴安南路社区" in w.last(resident.id).content
    community = w.card(w.group("xingannanlu"), "20261122-0001")
    await w.press(w.people["刘书记"], community, "认领")
    assert "刘书记 于" in w.card(w.group("xingannanlu"), "20261122-0001").content
