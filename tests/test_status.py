"""Residents asking where their reports stand: /my, and the same question in plain words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.desk import Desk
from bot.desk.status import asks_status
from bot.domain import DraftReason, TaskStatus
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1,
    GRID1_CHAT,
    RESIDENT,
    act,
    claimed,
    desk,
    draft_of,
    labels,
    latest_task,
    report,
    resolved,
    said,
    settings,
    store,
    task_of,
    to,
)
from tests.harness import World

STATUS_QUESTIONS = [
    "进度",
    "进度？",
    "我那个事咋样了",
    "有人管吗",
    "怎么样了",
    "有人来吗？",
    "请问我反映的问题处理了吗",
    "查一下进度",
    "我的工单怎么样了",
    "怎么还没人来",
    "到底有人管没有",
    "暖气的事什么时候来修",
    "修好了吗",
    "有消息了吗",
    "你好，那个事有进展吗",
    "现在什么情况啊",
    "我那个单子到哪一步了",
    "昨天那个事有人管吗？谢谢",
]
NOT_STATUS = [
    "水管爆了有人来吗",
    "楼道灯坏了，有人管吗",
    "暖气不热什么时候来修",
    "进度太慢了三天了还没人来修水管",
    "怎么样才能申请低保",
    "有人在楼道里抽烟",
    "什么时候停水通知一下",
    "有消息说明天停电是真的吗",
    "处理一下楼下的垃圾",
    "电梯到底什么时候修好",
    "谢谢",
    "在吗",
    "不用了",
]


@pytest.mark.parametrize("text", STATUS_QUESTIONS)
def test_status_questions_are_recognised(text: str) -> None:
    """A short message whose whole point is "how is my report going" is a status question."""
    assert asks_status(text)


@pytest.mark.parametrize("text", NOT_STATUS)
def test_reports_and_chat_are_not_status_questions(text: str) -> None:
    """A report that also asks ("水管爆了有人来吗"), a consultation or a greeting is not one."""
    assert not asks_status(text)


@pytest.mark.asyncio
async def test_my_says_who_holds_each_open_task_and_until_when(desk: Desk, store: SqlStore) -> None:
    """/my: an unclaimed task names its grid (待认领) and the claim deadline; a claimed one the
    worker and the resolve deadline, in local time."""
    await claimed(desk, store)
    await report(desk, store, "审计厅小区3号楼暖气不热")
    await desk.status.my_tasks(RESIDENT, None)
    [reply] = await said(store)
    open_line = texts.HOLDER_OPEN.format(unit=GRID1, due="今天 10:00")
    claimed_line = texts.HOLDER_CLAIMED.format(worker="张三", unit=GRID1, due="11月25日 09:00")
    assert f"｜供暖｜待认领\n  {open_line}\n" in reply.text
    assert f"｜供水｜办理中\n  {claimed_line}\n" in reply.text
    assert "前有人接单" in open_line
    assert "前办好" in claimed_line


@pytest.mark.asyncio
async def test_my_says_a_late_task_is_being_chased(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Past the deadline that applies, /my says so and that it is being chased."""
    task = await report(desk, store)
    clock.advance(task.claim_due_at - clock() + timedelta(minutes=1))
    await desk.status.my_tasks(RESIDENT, None)
    [reply] = await said(store)
    assert texts.HOLDER_LATE in reply.text


@pytest.mark.asyncio
async def test_my_shows_a_report_still_waiting_for_an_answer(desk: Desk, store: SqlStore) -> None:
    """A report the bot is asking "where?" about is shown as unfinished, with what it awaits
    (it used to say "您还没有反映过问题")."""
    await desk.private_message(RESIDENT, "楼道里的灯坏了好几天了", None, None)
    draft = await draft_of(store)
    assert draft is not None
    assert draft.reason is DraftReason.NEED_PLACE
    await said(store)
    await desk.status.my_tasks(RESIDENT, None)
    [reply] = await said(store)
    assert reply.text != texts.NO_TASKS
    assert "还没转出去：楼道里的灯坏了好几天了" in reply.text
    assert texts.DRAFT_STILL_NEEDS[DraftReason.NEED_PLACE] in reply.text
    assert labels(reply) == ["兴安南路社区", "四千米社区"]  # the buttons that answer it


@pytest.mark.asyncio
async def test_status_question_answers_with_open_tasks_and_files_nothing(
    desk: Desk, store: SqlStore
) -> None:
    """ "我那个事咋样了": the open tasks with who and when; no new task, no card, no hint."""
    done = await resolved(desk, store)
    await desk.press(RESIDENT, act(Verb.RATE, done.id, "satisfied"), None)
    heating = await report(desk, store, "审计厅小区3号楼暖气不热")
    await desk.private_message(RESIDENT, "我那个事咋样了", None, None)
    messages = await said(store)
    [reply] = messages
    assert reply.chat_id == RESIDENT.chat_id
    assert reply.text.startswith(texts.OPEN_TASKS_OF_RESIDENT.format(count=1))
    assert heating.number in reply.text
    assert done.number not in reply.text  # closed: not open any more
    assert (await latest_task(store)) == heating
    assert to(messages, GRID1_CHAT) == []


@pytest.mark.asyncio
async def test_status_question_with_nothing_open(desk: Desk, store: SqlStore) -> None:
    """No task at all: "not reported anything"; only finished ones: "nothing open"."""
    await desk.private_message(RESIDENT, "进度？", None, None)
    assert [m.text for m in await said(store)] == [texts.NO_TASKS]
    task = await report(desk, store)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    await said(store)
    await desk.private_message(RESIDENT, "有人管吗", None, None)
    assert [m.text for m in await said(store)] == [texts.NOTHING_OPEN]
    assert (await task_of(store, task.id)).status is TaskStatus.CANCELLED


@pytest.mark.asyncio
async def test_report_with_a_question_is_still_filed(desk: Desk, store: SqlStore) -> None:
    """ "审计厅小区水管爆了有人来吗" is a report: filed, with its card."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼水管爆了有人来吗", None, None)
    messages = await said(store)
    task = await latest_task(store)
    assert task is not None
    assert [m.card_of for m in to(messages, GRID1_CHAT)] == [task.id]


@pytest.mark.asyncio
async def test_status_question_end_to_end(w: World) -> None:
    """Through the Telegram stand-in: "进度？" after a claim says who has it and by when."""
    resident, zhang = w.resident(), w.people["张三"]
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼又停水了")
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    replies = await w.say(resident, "进度？")
    [reply] = replies
    assert reply.chat_id == resident.id
    assert "20261122-0001｜供水｜办理中" in reply.content
    assert "张三（兴安南路第一网格）在办" in reply.content
    assert "前办好" in reply.content
    assert len([m for m in w.chat(grid) if "工单 20261122-0002" in m.content]) == 0
