"""Notices an admin writes in plain words: spoken times, 小区 and 社区 names, the night choice.

Spoken times are pinned from fixed moments on both sides of midnight and of the quiet hours
(a pure function, no database); names are read against the example organisation; the
quiet-hours choice runs through the desk on a real SQLite store with a fake clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.channels import telegram
from bot.config.settings import Settings
from bot.desk.desk import Desk
from bot.domain import Audience, BroadcastStatus, Outgoing, Resident
from bot.followup.notice_targets import TargetProblem, Targets, read_targets
from bot.followup.notice_times import ScheduleError, parse_schedule
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    ADMIN,
    clock,
    desk,
    labels,
    said,
    settings,
    store,
)
from tests.harness import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in Hohhot in November 2026 (22nd: a Sunday), as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


SUNDAY_2PM = local(22, 14)
SUNDAY_2330 = local(22, 23, 30)  # quiet hours, before midnight
MONDAY_0030 = local(23, 0, 30)  # quiet hours, after midnight
MONDAY_0630 = local(23, 6, 30)  # the last half hour of quiet


@pytest.mark.parametrize(
    ("now", "written", "expected"),
    [
        (SUNDAY_2PM, "现在", "Sun 22 14:00"),
        (SUNDAY_2PM, "今天下午3点", "Sun 22 15:00"),
        (SUNDAY_2PM, "今晚8点", "Sun 22 20:00"),
        (SUNDAY_2PM, "今晚八点半", "Sun 22 20:30"),
        (SUNDAY_2PM, "明天早上8点", "Mon 23 08:00"),
        (SUNDAY_2PM, "明天8:30", "Mon 23 08:30"),
        (SUNDAY_2PM, "明天 8：30", "Mon 23 08:30"),
        (SUNDAY_2PM, "明早7点", "Mon 23 07:00"),
        (SUNDAY_2PM, "后天上午10点", "Tue 24 10:00"),
        (SUNDAY_2PM, "周五下午2点", "Fri 27 14:00"),
        (SUNDAY_2PM, "星期五下午两点一刻", "Fri 27 14:15"),
        (SUNDAY_2PM, "下周一9点", "Mon 23 09:00"),  # weeks start on Monday: Sunday's 下周一
        (SUNDAY_2PM, "下周三上午9点", "Wed 25 09:00"),
        (SUNDAY_2PM, "12月8日 9点", "Tue 08 09:00"),
        (SUNDAY_2PM, "12月8号上午9点30分", "Tue 08 09:30"),
        (SUNDAY_2PM, "2026-12-01 下午3点", "Tue 01 15:00"),
        (SUNDAY_2PM, "中午12点", "Sun 22 12:00"),  # past: refused by the caller
        # 8点 with no 上午/下午: 08:00, unless this morning's 8 is gone (then 20:00 tonight)
        (SUNDAY_2PM, "8点", "Sun 22 20:00"),
        (SUNDAY_2PM, "今天8点", "Sun 22 20:00"),
        (SUNDAY_2PM, "明天8点", "Mon 23 08:00"),
        (SUNDAY_2PM, "3点", "Sun 22 15:00"),
        (SUNDAY_2330, "明天早上8点", "Mon 23 08:00"),
        (SUNDAY_2330, "晚上12点", "Mon 23 00:00"),
        (SUNDAY_2330, "8点", "Sun 22 20:00"),  # both 08:00 and 20:00 past: refused
        # after midnight 明天 is the calendar's tomorrow; the preview says which day in full
        (MONDAY_0030, "明天早上8点", "Tue 24 08:00"),
        (MONDAY_0030, "今天早上8点", "Mon 23 08:00"),
        (MONDAY_0030, "8点", "Mon 23 08:00"),
        (MONDAY_0030, "今晚8点", "Mon 23 20:00"),
        (MONDAY_0030, "凌晨1点", "Mon 23 01:00"),
        (MONDAY_0630, "7点", "Mon 23 07:00"),
        (MONDAY_0630, "周一下午2点", "Mon 23 14:00"),  # 周一 on a Monday: today
        (local(1, 10, month=12), "1月5日8点", "Tue 05 08:00"),  # already past this year
    ],
)
def test_spoken_times_are_read_as_meant(now: datetime, written: str, expected: str) -> None:
    """Plain-word times name the local moment an operator would take them to mean."""
    schedule = parse_schedule(written, now, SHANGHAI)
    assert schedule.at is not None
    assert schedule.at.astimezone(SHANGHAI).strftime("%a %d %H:%M") == expected


@pytest.mark.parametrize(
    ("now", "written"),
    [(SUNDAY_2330, "今晚8点"), (SUNDAY_2330, "8点"), (SUNDAY_2PM, "中午12点")],
)
def test_past_spoken_times_have_no_first_run(now: datetime, written: str) -> None:
    """A spoken time already past gives no first run, which the desk refuses in words."""
    assert parse_schedule(written, now, SHANGHAI).first(now, SHANGHAI) is None


def test_next_year_is_stated() -> None:
    """12月 dates written in December after they passed mean next year."""
    schedule = parse_schedule("1月5日8点", local(1, 10, month=12), SHANGHAI)
    assert schedule.at is not None
    assert schedule.at.astimezone(SHANGHAI).year == 2027
    assert schedule.text == "2027-01-05 08:00"


@pytest.mark.parametrize(
    ("written", "cron"),
    [("每天早上8点", "0 8 * * *"), ("每周一上午9点半", "30 9 * * mon"), ("每天 8:05", "5 8 * * *")],
)
def test_recurring_schedules_take_spoken_times(written: str, cron: str) -> None:
    """每天早上8点 / 每周一上午9点半 are daily and weekly schedules like 每天 08:00."""
    assert parse_schedule(written, SUNDAY_2PM, SHANGHAI).cron == cron


@pytest.mark.parametrize(
    "written", ["明天早上", "明天下午", "25点", "2月30日 9点", "32号", "下午3点1分钟", "每天24点"]
)
def test_words_that_name_no_time_are_refused(written: str) -> None:
    """A day without an hour, an hour or a date that does not exist: not a time."""
    with pytest.raises(ScheduleError):
        parse_schedule(written, SUNDAY_2PM, SHANGHAI)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("居民:审计厅小区", Targets(Audience.RESIDENTS, (), ("审计厅小区",))),
        ("居民：审计厅", Targets(Audience.RESIDENTS, (), ("审计厅小区",))),
        ("居民:电影厂家属院", Targets(Audience.RESIDENTS, (), ("电影制片厂小区",))),
        ("居民:兴安南路社区", Targets(Audience.RESIDENTS, ("xingan-1", "xingan-2"))),
        (
            "居民:审计厅小区、华建小区，四千米社区",
            Targets(Audience.RESIDENTS, ("siqianmi-1",), ("审计厅小区", "华建小区")),
        ),
        ("居民:审计厅小区 兴安南路第一网格", Targets(Audience.RESIDENTS, ("xingan-1",))),
        ("群:审计厅小区、华建小区", Targets(Audience.GROUPS, ("xingan-1", "xingan-2"))),
        ("群:四千米社区", Targets(Audience.GROUPS, ("siqianmi-1",))),
        ("群:xingan-1,xingan-2", Targets(Audience.GROUPS, ("xingan-1", "xingan-2"))),
        ("居民:全部", Targets(Audience.RESIDENTS, ("xingan-1", "xingan-2", "siqianmi-1"))),
    ],
)
def test_names_become_targets(settings: Settings, target: str, expected: Targets) -> None:
    """小区 (with or without 小区, or an alias), 社区, 网格 names and ids, mixed and separated."""
    assert read_targets(target, settings.require_org()) == expected


@pytest.mark.parametrize(
    ("target", "answer"),
    [
        ("居民:审计小区", "没有找到“审计小区”。您是不是要写：审计厅小区？"),
        ("群:兴安路社区", "没有找到“兴安路社区”。您是不是要写：兴安南路社区"),
        ("居民:火星小区", "没有找到“火星小区”。可以写小区、社区或网格的名称，社区有：兴安南路"),
        ("审计厅小区", "对象“审计厅小区”"),
    ],
)  # fmt: skip
def test_unknown_names_are_answered_with_the_nearest(
    settings: Settings, target: str, answer: str
) -> None:
    """An unknown name is answered with the nearest known names, or the communities."""
    problem = read_targets(target, settings.require_org())
    assert isinstance(problem, TargetProblem)
    assert problem.text.startswith(answer)


@pytest.mark.asyncio
async def test_unknown_name_schedules_nothing(desk: Desk, store: SqlStore) -> None:
    """/broadcast with a misspelt 小区 answers with the right name and stores no notice."""
    await desk.broadcasts.draft(ADMIN, "明天早上8点 | 居民:审计厅，林业小区 | 停水", None)
    [reply] = await said(store)
    assert reply.text == "没有找到“林业小区”。您是不是要写：林业厅小区？"
    async with store.transaction() as tx:
        assert await tx.broadcasts(frozenset(BroadcastStatus)) == []


async def bind_residents(store: SqlStore) -> None:
    """Two residents of 审计厅小区, one of 电影制片厂小区 (same grid), one of 华建小区."""
    homes = [("xingan-1", "审计厅小区"), ("xingan-1", "审计厅小区"),
             ("xingan-1", "电影制片厂小区"), ("xingan-2", "华建小区")]  # fmt: skip
    async with store.transaction() as tx:
        for n, (grid, place) in enumerate(homes, start=1):
            await tx.save_resident(
                Resident(telegram(100 + n), telegram(100 + n), f"居民{n}", None, grid, place)
            )


async def draft(desk: Desk, store: SqlStore, command: str) -> Outgoing:
    await desk.broadcasts.draft(ADMIN, command, None)
    [preview] = await said(store)
    return preview


def button(message: Outgoing, label: str) -> str:
    [found] = [b.action for row in message.buttons for b in row if b.text == label]
    return found


@pytest.mark.asyncio
async def test_a_xiaoqu_notice_reaches_only_that_xiaoqu(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """明天早上8点 | 居民:审计厅小区: the preview says where and when; only its residents get it."""
    await bind_residents(store)
    preview = await draft(desk, store, "明天早上8点 | 居民:审计厅小区 | 明天9点到17点停水")
    assert "发送时间：明天（11月23日 周一）08:00" in preview.text
    assert "对象：审计厅小区（兴安南路第一网格） 的居民（现有 2 人）" in preview.text
    assert labels(preview) == ["确认发送", "取消"]
    answer = await desk.press(ADMIN, button(preview, "确认发送"), None)
    assert answer.text == "已安排：通知 #1，明天（11月23日 周一）08:00发出。"
    await said(store)
    clock.now = local(23, 7, 59)
    assert await desk.broadcasts.tick(clock()) == 0
    clock.now = local(23, 8)
    assert await desk.broadcasts.tick(clock()) == 2
    assert sorted(m.chat_id for m in await said(store)) == ["telegram:101", "telegram:102"]


@pytest.mark.asyncio
async def test_now_at_night_offers_now_or_morning_and_now_goes_now(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """现在 at 23:00 to residents warns; 现在就发 sends it at once, not at 07:00."""
    await bind_residents(store)
    clock.now = local(22, 23)
    preview = await draft(desk, store, "现在 | 居民:华建小区 | 今晚停电抢修，请注意安全")
    assert "⚠️ 现在正在夜间休息时段（22:00–07:00）" in preview.text
    assert "通知默认等到明天（11月23日 周一）07:00再发" in preview.text
    assert "确认后按时发送" not in preview.text
    assert labels(preview) == ["现在就发", "等到明天 07:00再发", "取消"]
    answer = await desk.press(ADMIN, button(preview, "现在就发"), None)
    assert answer.text == "好的，通知 #1 马上发出。"
    await said(store)
    assert await desk.broadcasts.tick(clock()) == 1
    [sent] = await said(store)
    assert (sent.chat_id, sent.text) == ("telegram:104", "📢 通知：今晚停电抢修，请注意安全")


@pytest.mark.asyncio
async def test_now_at_night_can_wait_for_the_morning(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """The other choice: 等到明天 07:00再发 holds it until the quiet hours end."""
    await bind_residents(store)
    clock.now = local(22, 23)
    preview = await draft(desk, store, "现在 | 居民:华建小区 | 明天上午检修电梯")
    answer = await desk.press(ADMIN, button(preview, "等到明天 07:00再发"), None)
    assert answer.text == "已安排：通知 #1，明天（11月23日 周一）07:00发出。"
    assert await desk.broadcasts.tick(clock()) == 0
    clock.now = local(23, 7)
    assert await desk.broadcasts.tick(clock()) == 1


@pytest.mark.asyncio
async def test_a_time_tonight_inside_quiet_hours_is_a_choice_too(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """今晚11点 written at 21:00: the admin is asked, not silently moved to the morning."""
    await bind_residents(store)
    clock.now = local(22, 21)
    preview = await draft(desk, store, "今晚11点 | 居民:审计厅小区 | 23点起停水")
    assert "⚠️ 今天（11月22日 周日）23:00正在夜间休息时段" in preview.text
    assert labels(preview) == ["仍在今天 23:00发", "等到明天 07:00再发", "取消"]
    await desk.press(ADMIN, button(preview, "仍在今天 23:00发"), None)
    clock.now = local(22, 22, 59)
    assert await desk.broadcasts.tick(clock()) == 0
    clock.now = local(22, 23)
    assert await desk.broadcasts.tick(clock()) == 2


@pytest.mark.asyncio
async def test_groups_and_recurring_notices_are_not_asked(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Groups are never held; a recurring notice keeps the morning rule; a forged 现在就发
    press on a recurring notice changes nothing."""
    clock.now = local(22, 23)
    to_groups = await draft(desk, store, "现在 | 群:兴安南路社区 | 明早检修")
    assert labels(to_groups) == ["确认发送", "取消"]
    assert "夜间" not in to_groups.text
    daily = await draft(desk, store, "每天晚上11点 | 居民:审计厅小区 | 关好门窗")
    assert labels(daily) == ["确认发送", "取消"]
    forged = button(daily, "确认发送").replace("bc:", "bn:")
    assert (await desk.press(ADMIN, forged, None)).text == texts.BROADCAST_GONE
    async with store.transaction() as tx:
        assert [b.status for b in await tx.broadcasts(frozenset(BroadcastStatus))] == [
            BroadcastStatus.DRAFT,
            BroadcastStatus.DRAFT,
        ]


@pytest.mark.asyncio
async def test_past_spoken_time_is_refused_in_words(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """今晚8点 written at 23:30 is refused, naming the moment it was taken to mean."""
    clock.now = SUNDAY_2330
    await desk.broadcasts.draft(ADMIN, "今晚8点 | 群:全部 | 开会", None)
    [reply] = await said(store)
    assert reply.text == "这个时间（今天 20:00）已经过去了，请换一个以后的时间。"
    async with store.transaction() as tx:
        assert await tx.broadcasts(frozenset(BroadcastStatus)) == []


@pytest.mark.asyncio
async def test_tonight_notice_through_the_bot(w: World) -> None:
    """Through Telegram: at 23:00 the admin names a 小区, picks 现在就发, the resident has it."""
    resident = w.resident()
    await w.say(resident, "/start")
    await w.press(resident, w.last(resident.id), "兴安南路社区")
    await w.press(resident, w.last(resident.id), "审计厅小区")
    w.clock.now = local(22, 23)
    admin = w.people["街道值班员"]
    preview = (await w.say(admin, "/broadcast 现在 | 居民:审计厅 | 今晚11点半停水抢修"))[-1]
    assert "审计厅小区（兴安南路第一网格） 的居民（现有 1 人）" in preview.content
    assert "⚠️ 现在正在夜间休息时段" in preview.content
    await w.press(admin, preview, "现在就发")
    await w.bot.desk.broadcasts.tick(w.clock())
    await w.bot.telegram.outbox.settled()
    assert w.last(resident.id).content == "📢 通知：今晚11点半停水抢修"
