"""Digests with a fake clock on SQLite and PostgreSQL: each unit once per period, local days.

The morning digest goes to every grid group once per local day, the weekly figures to every
community group once per week, whoever calls and however often: the ledger row claimed in the
transaction that queues the message decides. The `[digests]` config is checked here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.channels import telegram, telegram_id
from bot.config.settings import DigestSettings, Settings, SettingsError, load_settings
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import Outgoing
from bot.followup.digests import Digests
from bot.language import Language
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (
    COMMUNITY_CHAT,
    GRID1_CHAT,
    GRID2_CHAT,
    SIQIANMI_CHAT,
    SIQIANMI_GRID_CHAT,
    ZHANG,
)
from tests.harness import EXAMPLE, World, world

ZONE = ZoneInfo("Asia/Shanghai")
RESIDENT = Actor(telegram(1001), telegram(1001), "王阿姨")
GRID_1, GRID_2, GRID_3 = GRID1_CHAT, GRID2_CHAT, SIQIANMI_GRID_CHAT
XINGAN, SIQIANMI = COMMUNITY_CHAT, SIQIANMI_CHAT


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(database_url, clock=clock) as opened:
        async with opened.transaction() as tx:
            await tx.sync_places([p for g in load_settings(EXAMPLE).require_org().grids()
                                  for p in g.places])  # fmt: skip
        yield opened


def make(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Digests:
    context = Context(
        store, settings.require_org(), language, settings.deadlines, settings.timezone, clock
    )
    return Digests(context, settings.digests)


@pytest.fixture
def digests(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Digests:
    return make(store, settings, language, clock)


async def said(store: SqlStore) -> list[Outgoing]:
    """The messages written since the last call."""
    async with store.transaction() as tx:
        items = await tx.pending_outbox(1000)
        for item in items:
            await tx.outbox_sent(item.id, None)
    return [item.message for item in items]


async def report(digests: Digests, text: str) -> None:
    await Desk(digests.ctx).private_message(RESIDENT, text, None, None)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


@pytest.mark.asyncio
async def test_morning_digest_lists_overdue_open_and_claimed(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """Each grid group: overdue first, then waiting, then in hand with the claimer's name."""
    await report(digests, "审计厅小区3号楼停水了，电话13804711234")  # 09:00, claim by 11:00
    await report(digests, "审计厅小区门口路灯不亮")
    clock.advance(timedelta(hours=2, minutes=30))
    await report(digests, "电影厂小区垃圾桶满了没人清")  # 11:30, claim by 13:30
    async with store.transaction() as tx:
        lights = await tx.task_by_number("20261122-0002")
    assert lights is not None
    await Desk(digests.ctx).press(ZHANG, Action(Verb.CLAIM, lights.id).encode(), None)
    await said(store)
    assert await digests.morning(clock()) == 3
    by_chat = {m.chat_id: m.text for m in await said(store)}
    assert by_chat[GRID_1].splitlines() == [
        "☀️ 兴安南路第一网格 今日待办（11月22日）",
        "⚠️ 已超时 1 件：",
        "• 20261122-0001｜供水｜审计厅小区 3号楼｜超时未认领（11月22日 11:00 前）",
        "待认领 1 件：",
        "• 20261122-0003｜环境卫生｜电影制片厂小区｜11月22日 13:30 前认领",
        "办理中 1 件：",
        "• 20261122-0002｜路灯照明｜审计厅小区｜张三办理，11月25日 09:00 前办结",
    ]
    assert by_chat[GRID_2] == "☀️ 兴安南路第二网格 今日待办（11月22日）\n目前没有待办工单。👍"
    assert set(by_chat) == {GRID_1, GRID_2, GRID_3}
    assert "1380471" not in by_chat[GRID_1]


@pytest.mark.asyncio
async def test_morning_digest_is_sent_once_a_day(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """A second call the same local day sends nothing; the next day sends again."""
    assert await digests.morning(clock()) == 3
    assert len(await said(store)) == 3
    clock.advance(timedelta(hours=14, minutes=59))  # 23:59 local
    assert await digests.morning(clock()) == 0
    assert await said(store) == []
    clock.advance(timedelta(minutes=1))  # midnight: another day
    assert await digests.morning(clock()) == 3


@pytest.mark.asyncio
async def test_the_local_day_boundary_not_the_utc_day(digests: Digests, store: SqlStore) -> None:
    """23:59 and 00:00 in Shanghai are one UTC day (15:59, 16:00 UTC) but two digest days."""
    before, after = local(22, 23, 59), local(23, 0)
    assert before.astimezone(ZoneInfo("UTC")).date() == after.astimezone(ZoneInfo("UTC")).date()
    assert await digests.morning(before) == 3
    assert await digests.morning(after) == 3
    days = sorted({m.text.splitlines()[0].split("今日待办")[1] for m in await said(store)})
    assert days == ["（11月22日）", "（11月23日）"]


@pytest.mark.asyncio
async def test_two_instances_send_each_digest_once(
    database_url: str, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """Two instances on two connections call at the same moment: one digest per unit."""
    async with (
        open_store(database_url, clock=clock) as first,
        open_store(database_url, clock=clock) as second,
    ):
        a, b = make(first, settings, language, clock), make(second, settings, language, clock)
        sent = await asyncio.gather(a.morning(clock()), b.morning(clock()))
        assert sum(sent) == 3
        weekly = await asyncio.gather(a.weekly(local(23, 8)), b.weekly(local(23, 8)))
        assert sum(weekly) == 2
        chats = sorted(m.chat_id for m in await said(first))
        assert chats == sorted([GRID_1, GRID_2, GRID_3, XINGAN, SIQIANMI])


@pytest.mark.asyncio
async def test_weekly_figures_per_community_once_a_week(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """Monday: each community gets the figures of Mon–Sun before; a second call sends nothing."""
    await report(digests, "审计厅小区3号楼停水了")
    clock.advance(timedelta(minutes=40))
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    await Desk(digests.ctx).press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await said(store)
    assert await digests.weekly(local(23, 8)) == 2
    by_chat = {m.chat_id: m.text for m in await said(store)}
    assert set(by_chat) == {XINGAN, SIQIANMI}
    lines = by_chat[XINGAN].splitlines()
    assert lines[:5] == [
        "📊 兴安南路社区 上周统计（11月16日—11月22日）",
        "【兴安南路第一网格】",
        "收到 1 件，按时认领 1 件（已到时限 1 件），办结 0 件，评价 0 件",
        "按期答复率 100%｜办结率 0%｜满意率 —",
        "用时中位数：认领 40分钟，办结 —",
    ]
    assert "【合计】" in lines
    assert "【四千米第一网格】" in by_chat[SIQIANMI]
    assert await digests.weekly(local(23, 9)) == 0
    assert await digests.weekly(local(30, 8)) == 2  # the next week: nothing received in it
    assert "收到 0 件" in next(m.text for m in await said(store) if m.chat_id == XINGAN)


@pytest.mark.asyncio
async def test_weekly_window_ends_at_local_midnight(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """A task at 23:59 on Sunday is in that week's figures; one at 00:00 Monday in the next."""
    clock.now = local(22, 23, 59)
    await report(digests, "审计厅小区3号楼停水了")
    clock.now = local(23, 0)
    await report(digests, "审计厅小区门口路灯不亮")
    await said(store)
    await digests.weekly(local(23, 8))
    week_1 = next(m.text for m in await said(store) if m.chat_id == XINGAN)
    await digests.weekly(local(30, 8))
    week_2 = next(m.text for m in await said(store) if m.chat_id == XINGAN)
    assert "【合计】\n收到 1 件" in week_1
    assert "【合计】\n收到 1 件" in week_2
    assert "上周统计（11月23日—11月29日）" in week_2


@pytest.mark.asyncio
async def test_the_store_reads_a_window_of_grids_with_events(
    digests: Digests, store: SqlStore
) -> None:
    """Tasks created in [since, until) in the grids asked, each with its events in order."""
    await report(digests, "审计厅小区3号楼停水了")
    await report(digests, "乳品厂小区路灯不亮")
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    await Desk(digests.ctx).press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    async with store.transaction() as tx:
        [(found, events)] = await tx.tasks_created_between(local(22, 9), local(23, 0), ["xingan-1"])
        both = await tx.tasks_created_between(
            local(22, 0), local(23, 0), ["xingan-1", "siqianmi-1"]
        )
        assert await tx.tasks_created_between(local(22, 0), local(22, 9), ["xingan-1"]) == []
        assert await tx.tasks_created_between(local(22, 0), local(23, 0), []) == []
    assert found.number == "20261122-0001"
    assert [e.kind.value for e in events] == ["created", "claimed"]
    assert [t.grid_id for t, _ in both] == ["xingan-1", "siqianmi-1"]


@pytest.mark.asyncio
async def test_the_job_queue_runs_the_digests_at_local_times(w: World) -> None:
    """Two daily jobs at the configured Shanghai time (weekly on Mondays); each posts once."""
    job_queue = w.bot.telegram.application.job_queue
    assert job_queue is not None
    jobs = {job.name: job for job in job_queue.jobs()}
    morning, weekly = jobs["griddesk-morning-digest"], jobs["griddesk-weekly-digest"]
    assert str(morning.job.trigger.timezone) == "Asia/Shanghai"
    assert "hour='9', minute='30'" in str(morning.job.trigger)  # tests.harness's setting
    assert "day_of_week='mon'" in str(weekly.job.trigger)
    await w.say(w.resident(), "审计厅小区3号楼停水了")
    await morning.run(w.bot.telegram.application)
    await w.bot.telegram.outbox.settled()
    digest = w.last(w.group("xingan-1")).content
    assert digest.startswith("☀️ 兴安南路第一网格 今日待办（11月22日）\n待认领 1 件：")
    await morning.run(w.bot.telegram.application)  # a retried job: nothing twice
    await w.bot.telegram.outbox.settled()
    assert w.last(w.group("xingan-1")).content == digest
    assert sum("今日待办" in m.content for m in w.chat(w.group("xingan-1"))) == 1


@pytest.mark.asyncio
async def test_a_new_install_after_the_digest_hour_posts_no_digests(
    database_url: str, cache_dir: Path
) -> None:
    """First start ever at 09:00, digests due at 08:00: no group is flooded with digests at
    once; the scheduler sends tomorrow's as usual."""
    at_8 = DigestSettings(weekly_day=6)  # Sunday 08:00 too: both due an hour before the start
    async with world(database_url, cache_dir, change=lambda s: replace(s, digests=at_8)) as w:
        await w.bot.telegram.outbox.settled()
        assert [m for g in w.org.grids() for m in w.chat(telegram_id(g.chat_id))] == []
        assert await w.bot.digests.catch_up(w.clock()) == 0
        assert await w.bot.digests.morning(local(23, 8)) == 3


@pytest.mark.asyncio
async def test_an_install_down_at_the_digest_hour_catches_up(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """Digests went out yesterday; started today after 08:00, today's morning digest goes out
    at once, and only once."""
    assert await digests.morning(clock() - timedelta(days=1)) == 3
    await said(store)
    assert await digests.catch_up(clock()) == 3
    assert {m.chat_id for m in await said(store)} == {GRID_1, GRID_2, GRID_3}
    assert await digests.catch_up(clock()) == 0


@pytest.mark.asyncio
async def test_a_new_install_catches_up_nothing(
    digests: Digests, store: SqlStore, clock: FakeClock
) -> None:
    """On a database that never recorded a digest, catching up sends nothing, not even the
    weekly figures on their day."""
    sunday = replace(digests.settings, weekly_day=6)
    assert await Digests(digests.ctx, sunday).catch_up(clock()) == 0
    assert await said(store) == []


# --- [digests] in the config -------------------------------------------------------------------


def _config(tmp_path: Path, digests: str) -> Path:
    """The example with its [digests] table replaced (a top-level key goes first)."""
    text = EXAMPLE.read_text("utf-8")
    start, end = text.index("[digests]"), text.index("# --- the organisation")
    text = text[:start] + text[end:]
    text = (
        text[:start] + digests + "\n" + text[start:]
        if digests[:1] == "["
        else digests + "\n" + text
    )
    path = tmp_path / "griddesk.toml"
    path.write_text(text, "utf-8")
    return path


def test_example_documents_the_digests() -> None:
    """config.example.toml has the [digests] table with both keys, at their defaults."""
    text = EXAMPLE.read_text("utf-8")
    assert "[digests]\n" in text
    assert 'morning = "08:00"' in text
    assert 'weekly = "mon 08:00"' in text
    assert load_settings(EXAMPLE).digests == DigestSettings()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("", DigestSettings()),
        ("[digests]\n", DigestSettings()),
        (
            '[digests]\nmorning = "7:30"\nweekly = "FRI 17:05"',
            DigestSettings(time(7, 30), 4, time(17, 5)),
        ),
        ('[digests]\nweekly = "sun 00:00"', DigestSettings(weekly_day=6, weekly_time=time(0))),
    ],
)
def test_digest_times_parse(tmp_path: Path, table: str, expected: DigestSettings) -> None:
    """Times are local HH:MM; the weekly day is mon…sun, case aside; both have defaults."""
    assert load_settings(_config(tmp_path, table)).digests == expected


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('morning = "8am"', "digests.morning: '8am' is not a time of day like \"08:00\""),
        ('morning = "24:00"', "digests.morning: '24:00' is not a time of day"),
        ("morning = 8", "digests.morning: must be a non-empty string, got 8"),
        ('weekly = "monday 08:00"', "digests.weekly: 'monday 08:00' is not a weekday and time"),
        ('weekly = "mon"', "digests.weekly: 'mon' is not a weekday and time like \"mon 08:00\""),
        ('weekly = "mon 8:60"', "digests.weekly: 'mon 8:60' is not a weekday and time"),
        ('evening = "20:00"', "digests.evening: unknown key (expected one of: morning, weekly)"),
    ],
)
def test_digest_mistakes_name_their_key(tmp_path: Path, table: str, message: str) -> None:
    """Each mistake in [digests] is reported with the key that is wrong."""
    path = _config(tmp_path, f"[digests]\n{table}")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_digests_must_be_a_table(tmp_path: Path) -> None:
    """`digests = …` at the top level instead of a [digests] table names the key."""
    with pytest.raises(SettingsError, match="digests: must be a table"):
        load_settings(_config(tmp_path, 'digests = "08:00"'))
