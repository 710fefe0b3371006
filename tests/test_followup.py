"""The follow-up engine with a fake clock: reminders, escalation, 回访, catch-up, two instances.

The desk and the engine run on a real database (SQLite and PostgreSQL) with no Telegram; time
moves only when a test advances the clock, and ``tick(now)`` is called directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.channels import telegram
from bot.config.settings import Settings
from bot.config.workhours import WorkingHours
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import EventKind, Outgoing, Stage, Task, TaskStatus, UnitRef
from bot.followup.engine import FollowUp
from bot.language import Language
from bot.ports import Transaction
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (
    COMMUNITY_CHAT,
    GRID1_CHAT,
    LI,
    LIU,
    STREET_CHAT,
    WATER_CHAT,
    ZHANG,
    private,
)
from tests.harness import PRESENTER

pytestmark = pytest.mark.asyncio
EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
RESIDENT = Actor(telegram(1001), telegram(1001), "王阿姨")
GRID, COMMUNITY, STREET = GRID1_CHAT, COMMUNITY_CHAT, STREET_CHAT
WATER = WATER_CHAT


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(database_url, clock=clock) as opened:
        yield opened


def make(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> FollowUp:
    org = settings.require_org()
    context = Context(
        store, org, language, settings.deadlines, settings.timezone, clock, settings.followup
    )
    return FollowUp(context, Desk(context).work)


@pytest.fixture
def engine(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> FollowUp:
    return make(store, settings, language, clock)


def desk_of(engine: FollowUp) -> Desk:
    return Desk(engine.ctx)


async def said(store: SqlStore) -> list[Outgoing]:
    """The messages written since the last call, live cards rendered as the outbox would."""
    async with store.transaction() as tx:
        items = await tx.pending_outbox(1000)
        messages = [await _as_sent(tx, item.message) for item in items]
        for item in items:
            await tx.outbox_sent(item.id, None)
    return messages


async def _as_sent(tx: Transaction, message: Outgoing) -> Outgoing:
    """A live card (:attr:`Outgoing.live`) as the task stands now; any other message as is."""
    if not message.live or message.edit_card_of is None:
        return message
    task = await tx.task(message.edit_card_of)
    assert task is not None
    return replace(PRESENTER.live_card(task), chat_id=message.chat_id)


async def report(engine: FollowUp, store: SqlStore, text: str) -> Task:
    await desk_of(engine).private_message(RESIDENT, text, None, None)
    async with store.transaction() as tx:
        [task] = await tx.tasks_of_resident(RESIDENT.user_id, 1)
    await said(store)
    return task


async def resolved(engine: FollowUp, store: SqlStore) -> Task:
    """A task reported, claimed by 张三 and resolved (办结 with a note), now."""
    task = await report(engine, store, "审计厅小区垃圾桶满了没人清")
    desk = desk_of(engine)
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await desk.press(ZHANG, Action(Verb.RESOLVE, task.id).encode(), None)
    await desk.private_message(private(ZHANG), "已清运", None, None)
    await confirm_result(desk, store)
    return task


async def confirm_result(desk: Desk, store: SqlStore) -> None:
    """张三 presses 确认 on the preview of his result note (the latest message with buttons)."""
    async with store.transaction() as tx:
        items = await tx.pending_outbox(1000)
    preview = next(i.message for i in reversed(items) if i.message.chat_id == ZHANG.user_id)
    await desk.press(private(ZHANG), preview.buttons[0][0].action, None)


async def current(store: SqlStore, task_id: int) -> Task:
    async with store.transaction() as tx:
        task = await tx.task(task_id)
    assert task is not None
    return task


async def kinds(store: SqlStore, task_id: int) -> list[tuple[EventKind, str]]:
    async with store.transaction() as tx:
        return [(e.kind, e.note) for e in await tx.events(task_id)]


async def test_unclaimed_is_reminded_then_climbs_the_chain(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Past the claim deadline: a reminder naming the workers, then community, then the top."""
    task = await report(engine, store, "审计厅小区3号楼停水了")
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert await engine.tick(clock()) == 0
    clock.advance(timedelta(seconds=1))
    assert await engine.tick(clock()) == 1
    messages = await said(store)
    reminder = next(m for m in messages if m.chat_id == GRID and m.card_of is None
                    and m.edit_card_of is None)  # fmt: skip
    assert "已超过认领时限" in reminder.text
    assert reminder.mentions == ((ZHANG.user_id, "张三"), (LI.user_id, "李四"))
    card = next(m for m in messages if m.edit_card_of == task.id)
    assert "⚠️ 超时未认领" in card.text
    clock.advance(timedelta(hours=1))
    assert await engine.tick(clock()) == 1
    escalated = await current(store, task.id)
    assert escalated.holder == UnitRef.parse("community:xingannanlu")
    assert escalated.stage is Stage.CLAIM_DUE
    messages = await said(store)
    assert any(
        "⚠️ 超时未认领，已上报至兴安南路社区" in m.text for m in messages if m.chat_id == GRID
    )
    assert any(m.card_of == task.id for m in messages if m.chat_id == COMMUNITY)
    [slipped] = [m.text for m in messages if m.chat_id == RESIDENT.chat_id]
    assert "没能在约定时间内安排上人员，很抱歉，已上报兴安南路社区，由他们安排人员处理" in slipped
    clock.advance(timedelta(hours=3))  # the community's claim window (2 h) and interval (1 h)
    assert await engine.tick(clock()) == 2
    assert (await current(store, task.id)).holder == UnitRef.parse("department:water")
    clock.advance(timedelta(hours=3))
    assert await engine.tick(clock()) == 2
    assert (await current(store, task.id)).holder == UnitRef.parse("street:daxuexilu")
    clock.advance(timedelta(hours=3))
    assert await engine.tick(clock()) == 2  # the street is reminded; there is nowhere higher
    top = await current(store, task.id)
    assert (top.holder.kind.value, top.next_followup_at) == ("street", None)
    clock.advance(timedelta(days=5))
    assert await engine.tick(clock()) == 0
    assert [k for k, _ in await kinds(store, task.id)] == [
        EventKind.CREATED,
        *[EventKind.REMINDED, EventKind.ESCALATED] * 3,
        EventKind.REMINDED,
    ]


async def test_urgent_tasks_move_in_minutes(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """A gas smell: reminded after 15 minutes, escalated 15 minutes later."""
    task = await report(engine, store, "华建小区5号楼楼道一股煤气味")
    clock.advance(timedelta(minutes=15))
    assert await engine.tick(clock()) == 1
    clock.advance(timedelta(minutes=15))
    assert await engine.tick(clock()) == 1
    assert (await current(store, task.id)).holder == UnitRef.parse("community:xingannanlu")


async def test_claimed_but_unresolved_reminds_the_claimer_then_escalates(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Past the resolve deadline the claimer is reminded privately and in the group."""
    task = await report(engine, store, "审计厅小区门口路灯不亮")
    desk = desk_of(engine)
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await said(store)
    clock.advance(timedelta(hours=2, minutes=30))
    assert await engine.tick(clock()) == 0  # claimed in time: no claim reminder
    clock.advance(timedelta(days=3) - timedelta(hours=2, minutes=30))  # the resolve deadline
    assert await engine.tick(clock()) == 1
    messages = await said(store)
    assert any("您认领的工单" in m.text for m in messages if m.chat_id == ZHANG.user_id)
    group = next(m for m in messages if m.chat_id == GRID and m.mentions)
    assert group.mentions == ((ZHANG.user_id, "张三"),)
    assert any("⚠️ 超时未办结" in m.text for m in messages if m.edit_card_of == task.id)
    clock.advance(timedelta(hours=1))
    assert await engine.tick(clock()) == 1
    moved = await current(store, task.id)
    assert (moved.status, moved.claimer_id) == (TaskStatus.OPEN, None)
    assert moved.holder == UnitRef.parse("community:xingannanlu")


async def test_followup_visit_asks_again_then_closes_unrated(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """回访: a day after 办结 the resident is asked again; on day 15 the task closes unrated."""
    task = await resolved(engine, store)
    await said(store)
    clock.advance(timedelta(days=1))
    assert await engine.tick(clock()) == 1
    [again] = [m for m in await said(store) if m.chat_id == RESIDENT.chat_id]
    assert "还没收到您的评价" in again.text
    assert [b.text for row in again.buttons for b in row] == ["满意", "基本满意", "不满意"]
    clock.advance(timedelta(days=13, hours=23))
    assert await engine.tick(clock()) == 0
    clock.advance(timedelta(hours=1))
    assert await engine.tick(clock()) == 1
    closed = await current(store, task.id)
    assert (closed.status, closed.next_followup_at) == (TaskStatus.CLOSED, None)
    assert (await kinds(store, task.id))[-1] == (EventKind.CLOSED, "unrated")
    assert any("回访期满" in m.text for m in await said(store) if m.edit_card_of == task.id)


async def test_a_rated_task_needs_no_followup(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """满意 ends the schedule: nothing is due afterwards."""
    task = await resolved(engine, store)
    await desk_of(engine).press(RESIDENT, Action(Verb.RATE, task.id, "satisfied").encode(), None)
    clock.advance(timedelta(days=30))
    assert await engine.tick(clock()) == 0
    assert (await kinds(store, task.id))[-1] == (EventKind.CLOSED, "")


async def test_a_restart_after_hours_replays_each_missed_step_once_in_order(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Ten hours down: one tick takes every missed step once, in order; the next takes none."""
    task = await report(engine, store, "林业厅小区楼上天天半夜剁肉")
    clock.advance(timedelta(hours=10))
    assert await engine.tick(clock()) == 6
    assert await engine.tick(clock()) == 0
    steps = [(k, n) for k, n in await kinds(store, task.id) if k is not EventKind.CREATED]
    # noise has no department: grid → community → street, the street being the top
    assert steps == [
        (EventKind.REMINDED, "claim"),  # 11:00 the grid
        (EventKind.ESCALATED, "⚠️ 超时未认领"),  # 12:00 to the community
        (EventKind.REMINDED, "claim"),  # 14:00 the community
        (EventKind.ESCALATED, "⚠️ 超时未认领"),  # 15:00 to the street
        (EventKind.REMINDED, "claim"),  # 17:00 the street; at 18:00 nowhere higher: stop
    ]
    top = await current(store, task.id)
    assert (top.holder, top.next_followup_at) == (UnitRef.parse("street:daxuexilu"), None)


async def test_two_instances_take_each_step_once(
    database_url: str, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """Two engines on two connections tick at the same moment: every step happens once."""
    async with (
        open_store(database_url, clock=clock) as first,
        open_store(database_url, clock=clock) as second,
    ):
        a, b = make(first, settings, language, clock), make(second, settings, language, clock)
        tasks = [await report(a, first, f"审计厅小区{n}号楼停水了") for n in range(1, 31)]
        clock.advance(timedelta(hours=2))
        taken = await asyncio.gather(a.tick(clock()), b.tick(clock()))
        assert sum(taken) == len(tasks)
        for task in tasks:
            assert [k for k, _ in await kinds(first, task.id)] == [
                EventKind.CREATED,
                EventKind.REMINDED,
            ]
        reminders = [m.text for m in await said(first) if "已超过认领时限" in m.text]
        named = [t.number for t in tasks for text in reminders if t.number in text]
        assert sorted(named) == sorted(t.number for t in tasks)  # each task in one reminder


async def test_a_rescheduled_task_equals_the_replaced_one(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """The engine's fast copy is exactly ``dataclasses.replace``, and the original is kept."""
    task = await report(engine, store, "审计厅小区3号楼停水了")
    later = clock() + timedelta(hours=1)
    moved = task.rescheduled(Stage.CLAIM_REMINDED, later)
    assert moved == replace(task, stage=Stage.CLAIM_REMINDED, next_followup_at=later)
    assert hash(moved) == hash(replace(task, stage=Stage.CLAIM_REMINDED, next_followup_at=later))
    assert (task.stage, task.next_followup_at) == (Stage.CLAIM_DUE, task.claim_due_at)


async def test_many_overdue_tasks_of_one_group_get_one_reminder(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """35 tasks overdue at once: the group gets one reminder naming 30 and counting 5 (not 35
    messages ringing the workers' phones), and every card still shows it is overdue."""
    tasks = [await report(engine, store, f"审计厅小区{n}号楼停水了") for n in range(1, 36)]
    clock.advance(timedelta(hours=2))
    assert await engine.tick(clock()) == 35
    messages = await said(store)
    [reminder] = [m for m in messages if "已超过认领时限" in m.text]
    assert reminder.chat_id == GRID
    assert reminder.text.startswith("⚠️ 以下 35 件工单已超过认领时限")
    assert [t.number for t in tasks if t.number in reminder.text] == [t.number for t in tasks[:30]]
    assert "另有 5 件" in reminder.text
    # each worker rung once
    assert reminder.mentions == ((ZHANG.user_id, "张三"), (LI.user_id, "李四"))
    edited = [m.edit_card_of for m in messages if m.edit_card_of and "⚠️ 超时未认领" in m.text]
    assert edited == [t.id for t in tasks]


async def test_overdue_claims_of_one_worker_are_one_private_reminder(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Three claimed tasks past the resolve deadline: one private reminder listing all three,
    one group reminder naming the claimer once."""
    desk = desk_of(engine)
    tasks = [await report(engine, store, f"审计厅小区{n}号楼垃圾桶满了") for n in (1, 2, 3)]
    for task in tasks:
        await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await said(store)
    clock.advance(timedelta(days=3))  # past every resolve deadline, not yet at escalation
    steps = await engine.tick(clock())
    messages = await said(store)
    [private] = [m for m in messages if m.chat_id == ZHANG.user_id]
    assert private.text.startswith("⚠️ 您认领的 3 件工单已超过办结时限")
    assert all(t.number in private.text for t in tasks)
    [group] = [m for m in messages if m.chat_id == GRID and "已超过办结时限" in m.text]
    assert group.mentions == ((ZHANG.user_id, "张三"),)
    assert steps == 3


async def test_the_second_rating_ask_waits_for_morning(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Resolved at 23:00: the ask a day later is held until 07:00 (quiet hours)."""
    task = await report(engine, store, "审计厅小区垃圾桶满了没人清")
    desk = desk_of(engine)
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    clock.now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 23:00 local
    await desk.press(ZHANG, Action(Verb.RESOLVE, task.id).encode(), None)
    await desk.private_message(private(ZHANG), "已清运", None, None)
    await confirm_result(desk, store)
    await said(store)
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a day later, 23:00 local
    assert await engine.tick(clock()) == 1  # the step moved the ask to the morning…
    assert [m for m in await said(store) if m.chat_id == RESIDENT.chat_id] == []
    clock.now = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # 07:00 local
    assert await engine.tick(clock()) == 1  # …and asks then
    [ask] = [m for m in await said(store) if m.chat_id == RESIDENT.chat_id]
    assert "还没收到您的评价" in ask.text


async def test_working_hours_push_deadlines_past_the_weekend(
    store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """With 08:30-17:30 working hours, a Friday-evening report is due for a claim on Monday."""
    office = replace(settings.deadlines, working_hours=WorkingHours(time(8, 30), time(17, 30)))
    engine = make(store, replace(settings, deadlines=office), language, clock)
    clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 17:00 local
    task = await report(engine, store, "审计厅小区门口路灯不亮")
    hohhot = ZoneInfo("Asia/Shanghai")
    assert task.claim_due_at.astimezone(hohhot) == datetime(2026, 11, 23, 10, 0, tzinfo=hohhot)
    urgent = await report(engine, store, "华建小区5号楼楼道一股煤气味")
    assert urgent.claim_due_at == clock.now + timedelta(minutes=10)  # gas, urgent: wall clock


async def test_an_escalated_task_gets_fresh_deadlines_at_its_new_level(
    engine: FollowUp, store: SqlStore, clock: FakeClock
) -> None:
    """Unresolved past its deadline, the task goes to the community with a full claim window
    and resolve time of its own: the community member who takes it over is not told it is
    overdue a minute later, nor loses it within the hour."""
    task = await report(engine, store, "审计厅小区垃圾桶满了没人清")
    desk = desk_of(engine)
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    clock.advance(timedelta(days=3))
    assert await engine.tick(clock()) == 1  # the claimer is reminded
    clock.advance(timedelta(hours=1))
    assert await engine.tick(clock()) == 1  # up to the community
    escalated_at = clock()
    moved = await current(store, task.id)
    assert moved.holder == UnitRef.parse("community:xingannanlu")
    assert moved.claim_due_at == escalated_at + timedelta(hours=2)
    assert moved.resolve_due_at == escalated_at + timedelta(days=3)
    async with store.transaction() as tx:
        escalation = (await tx.events(task.id))[-1]
    assert (escalation.kind, escalation.due_at) == (EventKind.ESCALATED, moved.claim_due_at)

    await desk.press(LIU, Action(Verb.CLAIM, task.id).encode(), None)
    await said(store)
    for _ in range(60):  # the next hour, minute by minute: nothing is due
        clock.advance(timedelta(minutes=1))
        assert await engine.tick(clock()) == 0
    claimed = await current(store, task.id)
    assert (claimed.status, claimed.claimer_id) == (TaskStatus.CLAIMED, LIU.user_id)
    assert claimed.next_followup_at == escalated_at + timedelta(days=3)
    assert not [m for m in await said(store) if "超过办结时限" in m.text]
