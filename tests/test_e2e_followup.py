"""The follow-up engine through the real bot: PTB's JobQueue runs it, Telegram shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from standins.telegram import BotApiStandIn
from tests.clock import nine_am
from tests.harness import TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio


async def test_the_job_queue_tick_reminds_with_mentions(w: World) -> None:
    """The repeating job takes the due step; the reminder mentions the grid's workers."""
    resident = w.resident()
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼停水了")
    job_queue = w.bot.telegram.application.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("_on_tick")  # not digests
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
    assert "没能在约定时间内安排上人员，很抱歉，已上报兴安南路社区" in w.last(resident.id).content
    community = w.card(w.group("xingannanlu"), "20261122-0001")
    await w.press(w.people["刘书记"], community, "认领")
    assert "刘书记 于" in w.card(w.group("xingannanlu"), "20261122-0001").content


async def _tick(w: World) -> None:
    """What the repeating job does, at the fake clock's now."""
    await w.bot.followup.tick(w.clock())
    await w.bot.desk.broadcasts.tick(w.clock())
    await w.bot.telegram.outbox.settled()


async def test_every_step_to_the_top_then_a_full_followup_cycle(w: World) -> None:
    """Unclaimed: reminders and escalations up to the street; then 报到, 办结, 15-day 回访."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼停水了")
    chain = [("xingan-1", "xingannanlu"), ("xingannanlu", "water"), ("water", "daxuexilu")]
    for here, there in chain:
        w.clock.advance(timedelta(hours=2))  # the claim window at this level
        await _tick(w)
        assert "已超过认领时限" in w.last(w.group(here)).content
        assert "⚠️ 超时未认领" in w.card(w.group(here), "20261122-0001").content
        w.clock.advance(timedelta(hours=1))  # the interval after the reminder
        await _tick(w)
        assert "已上报至" in w.card(w.group(here), "20261122-0001").content
        assert "待认领" in w.card(w.group(there), "20261122-0001").content
    street = w.card(w.group("daxuexilu"), "20261122-0001")
    admin = w.people["街道值班员"]
    await w.press(admin, street, "认领")
    await w.resolve(
        admin, w.card(w.group("daxuexilu"), "20261122-0001"), "已协调供水公司抢修，恢复供水"
    )
    assert "请您对这次办理做个评价" in w.last(resident.id).content
    w.clock.advance(timedelta(days=1))
    await _tick(w)
    assert "还没收到您的评价" in w.last(resident.id).content
    w.clock.advance(timedelta(days=14))
    await _tick(w)
    assert "回访期满，居民未评价" in w.card(w.group("daxuexilu"), "20261122-0001").content


async def test_a_weekly_notice_survives_a_restart_and_respects_quiet_hours(
    database_url: str, cache_dir: Path
) -> None:
    """每周一 08:00 to a grid's residents: sent Monday, kept across a restart, sent next Monday;
    a notice to residents due at 23:00 waits for 07:00."""
    async with BotApiStandIn(token=TOKEN) as standin:
        people = populate(standin, example_settings(database_url, cache_dir, "x").require_org())
        clock = nine_am()
        resident = standin.add_user(1001, "王阿姨")
        async with world(database_url, cache_dir, standin=standin, people=people,
                         clock=clock) as first:  # fmt: skip
            await first.say(resident, "/start")
            await first.press(resident, first.last(resident.id), "兴安南路社区")
            await first.press(resident, first.last(resident.id), "审计厅小区")
            admin = people["街道值班员"]
            await first.say(
                admin, "/broadcast 每周一 08:00 | 居民:xingan-1 | 安全提示：电动车不进楼道"
            )
            await first.press(admin, first.last(admin.id), "确认发送")
            clock.now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 local
            await _tick(first)
            assert first.last(resident.id).content == "📢 通知：安全提示：电动车不进楼道"
            await first.say(admin, "/broadcast 现在 | 居民:xingan-1 | 今晚停电检修")
            await first.press(admin, first.last(admin.id), "确认发送")
        clock.now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # the next Monday, after a restart
        async with world(database_url, cache_dir, standin=standin, people=people,
                         clock=clock) as second:  # fmt: skip
            await _tick(second)
            notices = [m.content for m in second.chat(resident.id) if m.content.startswith("📢")]
            assert notices.count("📢 通知：安全提示：电动车不进楼道") == 2
            assert notices.count("📢 通知：今晚停电检修") == 1
            clock.now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 local
            admin = people["街道值班员"]
            await second.say(admin, "/broadcast 现在 | 居民:xingan-1 | 明早8点开始停水")
            await second.press(admin, second.last(admin.id), "等到明天 07:00再发")
            await _tick(second)
            assert "明早8点开始停水" not in second.last(resident.id).content
            clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 local
            await _tick(second)
            assert second.last(resident.id).content == "📢 通知：明早8点开始停水"


async def test_the_job_queue_tick_reminds_an_unanswered_question(w: World) -> None:
    """The repeating job also reminds a resident whose report waits for its place."""
    resident = w.resident()
    await w.say(resident, "楼道里的灯坏了好几天了")
    job_queue = w.bot.telegram.application.job_queue
    assert job_queue is not None
    [job] = job_queue.get_jobs_by_name("_on_tick")
    w.clock.advance(timedelta(minutes=30))
    await job.run(w.bot.telegram.application)
    await w.bot.telegram.outbox.settled()
    reminder = w.last(resident.id)
    assert reminder.content.startswith("您好，您刚才反映的问题（楼道里的灯坏了好几天了）还差一步")
    assert [t for row in reminder.buttons for t, _ in row] == ["兴安南路社区", "四千米社区"]
