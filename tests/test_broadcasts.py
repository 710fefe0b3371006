"""Scheduled notices: admins only, preview and confirm, quiet hours, cron, once per recipient.

The desk and the tick on a real database (SQLite and PostgreSQL) with a fake clock; one test
drives the same through the real bot and the Bot API stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot import texts
from bot.channels import telegram
from bot.config.settings import Settings, load_settings
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import Audience, BroadcastStatus, Outgoing, Resident
from bot.followup.notice_times import ConfiguredBroadcast, QuietHours, ScheduleError, parse_schedule
from bot.language import Language
from storage.bulk import insert_rows
from storage.engine import create_engine, open_store
from storage.sql_store import SqlStore
from storage.tables import ResidentRow
from tests.clock import FakeClock
from tests.desk_support import GRID1_CHAT, GRID2_CHAT, SIQIANMI_GRID_CHAT
from tests.harness import World

pytestmark = pytest.mark.asyncio
EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
ADMIN = Actor(telegram(9001), telegram(9001), "街道值班员")
WORKER = Actor(telegram(2001), telegram(2001), "张三")
GRIDS = {"xingan-1": GRID1_CHAT, "xingan-2": GRID2_CHAT, "siqianmi-1": SIQIANMI_GRID_CHAT}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(database_url, clock=clock) as opened:
        yield opened


def make_desk(store: SqlStore, language: Language, clock: FakeClock) -> Desk:
    settings: Settings = load_settings(EXAMPLE)
    org = settings.require_org()
    return Desk(
        Context(store, org, language, settings.deadlines, settings.timezone, clock,
                settings.followup, QuietHours())
    )  # fmt: skip


@pytest.fixture
def desk(store: SqlStore, language: Language, clock: FakeClock) -> Desk:
    return make_desk(store, language, clock)


async def said(store: SqlStore) -> list[Outgoing]:
    async with store.transaction() as tx:
        items = await tx.pending_outbox(20_000)
        for item in items:
            await tx.outbox_sent(item.id, None)
    return [item.message for item in items]


async def confirmed(desk: Desk, store: SqlStore, command: str, button: str = "确认发送") -> int:
    """Draft ``command`` as the admin and press the button starting with ``button``; the id."""
    await desk.broadcasts.draft(ADMIN, command, None)
    [preview] = await said(store)
    [confirm] = [b for row in preview.buttons for b in row if b.text.startswith(button)]
    answer = await desk.press(ADMIN, confirm.action, None)
    assert "已安排" in answer.text or "马上发出" in answer.text
    await said(store)
    return int(confirm.action.split(":")[1])


async def bind_residents(store: SqlStore, grid_id: str, count: int, first: int = 100_000) -> None:
    async with store.transaction() as tx:
        for n in range(first, first + count):
            await tx.save_resident(
                Resident(telegram(n), telegram(n), f"居民{n}", None, grid_id, "审计厅小区")
            )


async def bind_many_residents(database_url: str, grid_id: str, count: int) -> None:
    """The rows :func:`bind_residents` writes, in one bulk insert: 10,000 upserts one at a time
    take most of a minute, and how residents get stored is not what the fan-out test is about."""
    rows = [
        {"user_id": telegram(n), "chat_id": telegram(n), "name": f"居民{n}", "username": None,
         "grid_id": grid_id, "place": "审计厅小区"}
        for n in range(100_000, 100_000 + count)
    ]  # fmt: skip
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await insert_rows(connection, ResidentRow.__table__, rows)  # type: ignore[attr-defined]  # set by SQLModel
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("actor", "command", "expected"),
    [
        (WORKER, "现在 | 群:全部 | 开会", texts.BROADCAST_ONLY_ADMINS),
        (ADMIN, "现在 群:全部 开会", "发布通知的格式"),
        (ADMIN, "明天早上 | 群:全部 | 开会", "没看懂"),
        (ADMIN, "现在 | 群:xingan-9 | 开会", "没有找到“xingan-9”。您是不是要写：xingan-1"),
        (ADMIN, "现在 | 大家 | 开会", "对象“大家”"),
        (ADMIN, "2026-11-21 08:00 | 群:全部 | 开会", "这个时间（昨天 08:00）已经过去了"),
        (ADMIN, "2026-02-30 08:00 | 群:全部 | 开会", "时间“2026-02-30 08:00”"),
        (ADMIN, "现在 | 群:全部 | ", texts.BROADCAST_EMPTY),
    ],
)
async def test_refusals_answer_and_store_nothing(
    desk: Desk, store: SqlStore, actor: Actor, command: str, expected: str
) -> None:
    """Non-admins and malformed commands get a clear answer; no notice is stored."""
    await desk.broadcasts.draft(actor, command, None)
    [reply] = await said(store)
    assert expected in reply.text
    async with store.transaction() as tx:
        assert await tx.broadcasts(frozenset(BroadcastStatus)) == []


async def test_one_off_to_groups_goes_out_once_when_due(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Preview, confirm, nothing before the time, every chosen group at it, never again."""
    await desk.broadcasts.draft(ADMIN, "2026-11-23 08:00 | 群:xingan-1,xingan-2 | 明天停水", None)
    [preview] = await said(store)
    assert "发送时间：明天（11月23日 周一）08:00" in preview.text
    assert "兴安南路第一网格、兴安南路第二网格 的网格群" in preview.text
    assert [b.text for row in preview.buttons for b in row] == ["确认发送", "取消"]
    assert await desk.broadcasts.tick(clock()) == 0  # a draft is not sent
    await desk.press(ADMIN, preview.buttons[0][0].action, None)
    await said(store)
    clock.advance(timedelta(hours=22, minutes=59))
    assert await desk.broadcasts.tick(clock()) == 0
    clock.advance(timedelta(minutes=1))
    assert await desk.broadcasts.tick(clock()) == 2
    sent = await said(store)
    assert sorted(m.chat_id for m in sent) == sorted([GRIDS["xingan-1"], GRIDS["xingan-2"]])
    assert all(m.text == "📢 通知：明天停水" for m in sent)
    clock.advance(timedelta(days=8))
    assert await desk.broadcasts.tick(clock()) == 0
    async with store.transaction() as tx:
        [done] = await tx.broadcasts(frozenset({BroadcastStatus.DONE}))
    assert done.next_run_at is None


async def test_quiet_hours_hold_residents_until_morning_not_groups(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """At 23:00 a notice to residents waits until 07:00; one to groups goes at once."""
    await bind_residents(store, "xingan-1", 3)
    await bind_residents(store, "xingan-2", 2, first=200_000)
    clock.now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 23:00 local
    await confirmed(desk, store, "现在 | 居民:xingan-1 | 明早检修电梯", button="等到")
    await confirmed(desk, store, "现在 | 群:xingan-1 | 明早检修电梯")
    assert await desk.broadcasts.tick(clock()) == 1  # only the group
    clock.now = datetime(2026, 11, 22, 22, 59, tzinfo=UTC)  # 06:59 local
    assert await desk.broadcasts.tick(clock()) == 0
    await said(store)
    clock.now = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 07:00 local
    assert await desk.broadcasts.tick(clock()) == 3
    assert sorted(m.chat_id for m in await said(store)) == [
        telegram(n) for n in (100_000, 100_001, 100_002)
    ]


async def test_weekly_notice_recurs_and_a_long_outage_sends_it_once(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """每周一 08:00: sent each Monday; after three missed Mondays, sent once, then next week."""
    notice = await confirmed(desk, store, "每周一 08:00 | 群:siqianmi-1 | 安全提示：电动车不进楼道")
    clock.now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 local
    assert await desk.broadcasts.tick(clock()) == 1
    assert await desk.broadcasts.tick(clock()) == 0
    clock.now += timedelta(days=7 * 3, hours=5)  # down for three weeks
    assert await desk.broadcasts.tick(clock()) == 1
    assert await desk.broadcasts.tick(clock()) == 0
    async with store.transaction() as tx:
        scheduled = await tx.broadcast(notice)
    assert scheduled is not None
    assert scheduled.next_run_at == datetime(2026, 12, 21, 0, 0, tzinfo=UTC)


async def test_ten_thousand_residents_each_get_it_once(
    desk: Desk, store: SqlStore, clock: FakeClock, database_url: str, language: Language
) -> None:
    """A run fans out to 10,000 residents in one go; a second instance or a rerun adds nobody."""
    await bind_many_residents(database_url, "xingan-1", 10_000)
    async with store.transaction() as tx:
        assert await tx.resident(telegram(109_999)) == Resident(
            telegram(109_999), telegram(109_999), "居民109999", None, "xingan-1", "审计厅小区"
        )
    notice = await confirmed(desk, store, "2026-11-22 10:00 | 居民:xingan-1 | 今天下午停电")
    clock.advance(timedelta(hours=1))
    async with open_store(database_url, clock=clock) as other:
        second = make_desk(other, language, clock)
        counts = await asyncio.gather(
            desk.broadcasts.tick(clock()), second.broadcasts.tick(clock())
        )
    assert sorted(counts) == [0, 10_000]
    async with store.transaction() as tx:  # a run repeated for any reason
        broadcast = await tx.broadcast(notice)
        assert broadcast is not None
        assert broadcast.occurrence_at is not None
        key = f"broadcast:{notice}:{broadcast.occurrence_at.isoformat()}"
        again = [(Outgoing(chat, "x"), f"{key}:{chat}")
                 for chat in await tx.resident_chats(("xingan-1",))]  # fmt: skip
        assert await tx.enqueue_once(again) == 0
        pending = await tx.pending_outbox(20_000)
    chats = [item.message.chat_id for item in pending]
    assert len(chats) == len(set(chats)) == 10_000


async def test_listing_and_cancelling(desk: Desk, store: SqlStore, clock: FakeClock) -> None:
    """/broadcasts lists what is scheduled; 取消 #id stops it; a stale press is refused."""
    notice = await confirmed(desk, store, "每天 08:00 | 群:xingan-1 | 早安提醒")
    await desk.broadcasts.listing(ADMIN, None)
    [listing] = await said(store)
    assert f"#{notice}｜每天 08:00｜下次 明天（11月23日 周一）08:00" in listing.text
    stop = listing.buttons[0][0]
    assert stop.text == f"取消 #{notice}"
    assert (await desk.press(ADMIN, stop.action, None)).text == f"通知 #{notice} 已取消。"
    assert (await desk.press(ADMIN, stop.action, None)).text == texts.BROADCAST_GONE
    assert (await desk.press(WORKER, stop.action, None)).text == texts.BROADCAST_ONLY_ADMINS
    clock.advance(timedelta(days=2))
    assert await desk.broadcasts.tick(clock()) == 0
    await desk.broadcasts.listing(ADMIN, None)
    assert [m.text for m in await said(store)] == [f"通知 #{notice} 已取消。", texts.BROADCAST_NONE]


async def test_config_notices_are_synced(desk: Desk, store: SqlStore) -> None:
    """Config notices are scheduled once, rescheduled when changed, cancelled when removed."""
    weekly = ConfiguredBroadcast(
        "safety", "每周一 08:00", Audience.GROUPS, ("xingan-1",), "安全提示"
    )
    await desk.broadcasts.sync_config([weekly])
    await desk.broadcasts.sync_config([weekly])
    async with store.transaction() as tx:
        [first] = await tx.broadcasts(frozenset({BroadcastStatus.ACTIVE}))
    assert (first.source, first.cron) == ("config:safety", "0 8 * * mon")
    await desk.broadcasts.sync_config([ConfiguredBroadcast(
        "safety", "每周一 09:00", Audience.GROUPS, ("xingan-1",), "安全提示")])  # fmt: skip
    async with store.transaction() as tx:
        [changed] = await tx.broadcasts(frozenset({BroadcastStatus.ACTIVE}))
    assert (changed.id, changed.cron) == (first.id, "0 9 * * mon")
    await desk.broadcasts.sync_config([])
    async with store.transaction() as tx:
        assert await tx.broadcasts(frozenset({BroadcastStatus.ACTIVE})) == []


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("每天 08:00", "0 8 * * *"),
        ("每周日 18:30", "30 18 * * sun"),
        ("cron: 0 8 * * mon", "0 8 * * mon"),
    ],
)
async def test_schedules_are_read_as_people_write_them(text: str, cron: str) -> None:
    """Daily, weekly and cron schedules; a bad time of day is refused."""
    now = datetime(2026, 11, 22, 1, tzinfo=UTC)
    assert parse_schedule(text, now, SHANGHAI).cron == cron
    with pytest.raises(ScheduleError):
        parse_schedule("每天 25:00", now, SHANGHAI)


async def test_broadcast_through_the_bot(w: World) -> None:
    """The admin writes /broadcast in a private chat, confirms, and the group gets it."""
    admin = w.people["街道值班员"]
    replies = await w.say(admin, "/broadcast 现在 | 群:xingan-2 | 今晚7点社区议事会")
    preview = replies[-1]
    assert "通知预览" in preview.content
    await w.press(admin, preview, "确认发送")
    await w.bot.desk.broadcasts.tick(w.clock())
    await w.bot.telegram.outbox.settled()
    assert w.last(w.group("xingan-2")).content == "📢 通知：今晚7点社区议事会"
    refused = await w.say(w.people["张三"], "/broadcast 现在 | 群:全部 | 我也想发")
    assert refused[-1].content == texts.BROADCAST_ONLY_ADMINS
