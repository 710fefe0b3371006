"""受理告知 and the promise kept: what a resident is told about their task, and when.

The receipt names who handles it, by when someone takes it up and by when it should be done,
and that they may be called back; a report at night is answered for the morning; a slipped
deadline is told once, with the reason and the new time; and notices that are not urgent wait
for the end of quiet hours without holding back the replies to what the resident writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.desk import Desk
from bot.desk.notices import ResidentNotices
from bot.domain import TaskStatus
from bot.followup.engine import FollowUp
from nlp.danger import Danger
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    RESIDENT,
    ZHANG,
    act,
    clock,
    desk,
    labels,
    latest_task,
    resolve,
    said,
    settings,
    store,
    task_of,
    to,
)

pytestmark = pytest.mark.asyncio

BEIJING_2330 = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Hohhot, in quiet hours


async def receipt_of(desk: Desk, store: SqlStore, text: str) -> str:
    await desk.private_message(RESIDENT, text, None, None)
    [receipt] = to(await said(store), RESIDENT.chat_id)
    return receipt.text


async def test_the_receipt_says_who_by_when_and_that_they_may_be_called(
    desk: Desk, store: SqlStore
) -> None:
    """At 09:00: the grid and its workers by name, claim and resolve times in the resident's
    words (今天 / a date), and that someone may call."""
    assert await receipt_of(desk, store, "审计厅小区3号楼又停水了") == (
        "已收到您反映的问题，已转给网格员处理。\n"
        "工单号：20261122-0001\n"
        "类别：供水\n"
        "负责：兴安南路第一网格（网格员：张三、李四）\n"
        "时限：今天 11:00前有人接单，11月25日 09:00前办好\n"
        "工作人员可能会打电话或发消息向您了解情况，请留意；办理进度我会随时告诉您。"
    )


async def test_what_no_grid_handles_names_the_community(desk: Desk, store: SqlStore) -> None:
    """Not a grid matter (`other`): the community desk handles it, and the receipt says so."""
    text = await receipt_of(desk, store, "审计厅小区想问问社区有没有老年大学的报名")
    assert "负责：兴安南路社区\n" in text


async def test_a_report_the_community_desk_holds_is_not_said_to_be_with_grid_workers(
    desk: Desk, store: SqlStore
) -> None:
    """A report in words no grid kind knows goes to the community desk: the receipt's first
    line does not say 网格员, and the handler line names the community."""
    text = await receipt_of(desk, store, "审计厅小区3号楼有人在家里养了一大群鸡")
    first, *_ = text.split("\n")
    assert first == "已收到您反映的问题，已转给工作人员处理。"
    assert "负责：兴安南路社区\n" in text


async def test_a_report_at_night_is_answered_for_the_morning(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """At 23:30 a report that is not urgent gets its clock from 07:00: "明天 09:00前有人联系您"."""
    clock.now = BEIJING_2330
    text = await receipt_of(desk, store, "审计厅小区3号楼楼道灯坏了好几天了")
    assert text.splitlines()[0] == "夜间已收到您反映的问题，明天 09:00前有人联系您。"
    assert "时限：明天 09:00前有人接单，11月26日 07:00前办好" in text
    task = await latest_task(store)
    assert task is not None
    assert task.claim_due_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Hohhot


async def test_an_urgent_report_at_night_is_not_put_off(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Gas at 23:30: advice first, the clock runs now, nothing says "tomorrow"."""
    clock.now = BEIJING_2330
    text = await receipt_of(desk, store, "审计厅小区3号楼楼道里一股煤气味，好像漏气了")
    assert text.startswith(texts.ADVICE[Danger.GAS])
    assert "夜间已收到" not in text
    assert "时限：今天 23:40前有人接单，明天 03:30前办好" in text, text
    task = await latest_task(store)
    assert task is not None
    assert task.urgent
    assert task.claim_due_at < clock.now + timedelta(hours=1)


async def test_a_notice_at_night_waits_for_the_morning_without_holding_back_replies(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """A claim at 23:10 tells the worker at once and the resident at 07:00; a report the
    resident sends at 23:20 is answered at once all the same."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼又停水了", None, None)
    task = await latest_task(store)
    assert task is not None
    await said(store)
    clock.now = datetime(2026, 11, 22, 15, 10, tzinfo=UTC)  # 23:10
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    tonight = await said(store)
    assert to(tonight, RESIDENT.chat_id) == []
    assert to(tonight, GRID1_CHAT)  # the card
    assert to(tonight, ZHANG.user_id)  # the contact

    clock.now += timedelta(minutes=10)
    text = await receipt_of(desk, store, "审计厅小区3号楼楼道灯也坏了")
    assert text.startswith("夜间已收到")

    notices = ResidentNotices(desk.context)
    assert await notices.release(datetime(2026, 11, 22, 22, 59, tzinfo=UTC)) == 0
    assert await said(store) == []
    assert await notices.release(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == 1  # 07:00
    [morning] = to(await said(store), RESIDENT.chat_id)
    assert morning.text == (
        "您反映的问题（20261122-0001）已由张三接单，正在处理，11月25日 09:00前办好。"
    )


async def test_a_slipped_deadline_is_told_once_with_the_reason_and_the_new_time(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Nobody claims by 11:00; reminded, then at 12:00 up to the community with a fresh
    window: the resident hears that, once, with why and the new times."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼又停水了", None, None)
    await said(store)
    engine = FollowUp(desk.context, desk.work)
    heard = []
    for _ in range(4):  # 11:00 reminder, 12:00 escalation, then nothing new for the resident
        clock.advance(timedelta(hours=1, minutes=1))
        await engine.tick(clock.now)
        heard += [m.text for m in to(await said(store), RESIDENT.chat_id)]
    assert heard == [
        "您反映的问题（20261122-0001）没能在约定时间内安排上人员，很抱歉，已上报兴安南路社区，"
        "由他们安排人员处理，今天 14:00前有人接单、11月25日 12:00前办好。"
    ]


async def test_a_late_result_says_so(desk: Desk, store: SqlStore, clock: FakeClock) -> None:
    """Claimed and not done by the resolve deadline: the reason is the lateness, not a claim."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼又停水了", None, None)
    task = await latest_task(store)
    assert task is not None
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    await said(store)
    engine = FollowUp(desk.context, desk.work)
    clock.now = task.resolve_due_at + timedelta(hours=2)
    await engine.tick(clock.now)
    [slipped] = to(await said(store), RESIDENT.chat_id)
    assert slipped.text.startswith(
        "您反映的问题（20261122-0001）没能在约定时间内办好，很抱歉，已上报兴安南路社区，"
    )
    assert (await task_of(store, task.id)).status is TaskStatus.OPEN


async def test_a_result_written_at_night_reaches_the_resident_in_the_morning(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """办结 confirmed at 23:00: the worker is thanked at once, the resident is asked to rate at
    07:00, with the rating buttons."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼又停水了", None, None)
    task = await latest_task(store)
    assert task is not None
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    await said(store)
    clock.now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 23:00
    tonight = await resolve(desk, store, task.id)
    assert to(tonight, RESIDENT.chat_id) == []
    assert await ResidentNotices(desk.context).release(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    [morning] = to(await said(store), RESIDENT.chat_id)
    assert morning.text.startswith("您反映的问题（20261122-0001）已办结。")
    assert labels(morning) == ["满意", "基本满意", "不满意"]
