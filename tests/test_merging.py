"""One problem, one task: repeats merge, workers merge duplicates, merged tasks follow along.

A resident who reports the same problem again gets "已合并到工单 N" and no second card; a
grid worker merges two neighbours' reports of one burst pipe from the card; the merged task's
resident is told, and rates the result when the surviving task is done.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.context import Answer
from bot.desk.desk import Desk
from bot.domain import EventKind, Rating, TaskStatus
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    LI,
    NEIGHBOUR,
    RESIDENT,
    ZHANG,
    act,
    clock,
    desk,
    events_of,
    labels,
    latest_task,
    report,
    resolve,
    said,
    settings,
    store,
    task_of,
    to,
)

pytestmark = pytest.mark.asyncio

FIRST = "审计厅小区3号楼又停水了"
AGAIN = "审计厅小区3号楼还是没水啊，都一上午了"


async def test_a_repeat_is_merged_into_the_open_task(desk: Desk, store: SqlStore) -> None:
    """Same resident, category and place, alike words, within the window: one task, its card
    shows the added words, the resident is told which task it joined."""
    task = await report(desk, store, FIRST)
    await desk.private_message(RESIDENT, AGAIN, "photo-2", None)

    assert (await latest_task(store)) == await task_of(store, task.id)  # no second task
    messages = await said(store)
    [reply] = to(messages, RESIDENT.chat_id)
    assert reply.text == texts.MERGED_REPEAT.format(number=task.number, category="供水")
    [card] = to(messages, GRID1_CHAT)
    assert (card.card_of, card.edit_card_of) == (None, task.id)  # edited, not posted again
    assert "补充：审计厅小区3号楼还是没水啊" in card.text
    merged = await task_of(store, task.id)
    assert merged.text == f"{FIRST}\n补充：{AGAIN}"
    assert merged.photos == ("photo-2",)
    added = (await events_of(store, task.id))[-1]
    assert (added.kind, added.actor_id, added.note) == (EventKind.ADDED, RESIDENT.user_id, AGAIN)


async def test_the_claimer_hears_what_a_repeat_adds(desk: Desk, store: SqlStore) -> None:
    """When the task is claimed, the worker on it gets the added words privately."""
    task = await report(desk, store, FIRST)
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    await said(store)
    await desk.private_message(RESIDENT, AGAIN, None, None)
    [note] = to(await said(store), ZHANG.user_id)
    assert note.text == texts.ADDED_TO_CLAIMER.format(number=task.number, text=AGAIN)


@pytest.mark.parametrize(
    ("second", "later"),
    [
        ("审计厅小区5号楼又停水了", timedelta(0)),  # another building
        ("审计厅小区3号楼楼道灯坏了", timedelta(0)),  # another kind of problem
        (AGAIN, timedelta(hours=25)),  # after the window
    ],
    ids=["other-building", "other-category", "after-the-window"],
)
async def test_what_is_not_a_repeat_is_a_new_task(
    desk: Desk, store: SqlStore, clock: FakeClock, second: str, later: timedelta
) -> None:
    """A different building, a different kind, or a day later: a task of its own."""
    first = await report(desk, store, FIRST)
    clock.advance(later)
    second_task = await report(desk, store, second)
    assert second_task.id != first.id


async def test_a_repeat_of_a_closed_task_is_a_new_task(desk: Desk, store: SqlStore) -> None:
    """Withdrawn (or done) is not open: the same words again start a new task."""
    first = await report(desk, store, FIRST)
    await desk.withdrawal.cancel(RESIDENT, first.number, None)
    assert (await report(desk, store, AGAIN)).id != first.id


async def test_a_daily_cap_answers_kindly_and_posts_nothing(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Past ``tasks_per_day`` a resident hears why, no card reaches a group; urgent reports are
    never refused; the next day counts afresh."""
    capped = Desk(desk.context, tasks_per_day=2)
    for n in (1, 2):
        await capped.private_message(RESIDENT, f"审计厅小区{n}号楼停水了", None, None)
    await said(store)
    await capped.private_message(RESIDENT, "审计厅小区5号楼楼道灯坏了", None, None)
    messages = await said(store)
    assert [m.text for m in messages] == [texts.TOO_MANY_TODAY.format(count=2)]
    await capped.private_message(RESIDENT, "审计厅小区6号楼一股煤气味", None, None)
    urgent = await latest_task(store)
    assert urgent is not None
    assert urgent.urgent
    await said(store)
    clock.advance(timedelta(days=1))
    await capped.private_message(RESIDENT, "审计厅小区5号楼楼道灯坏了", None, None)
    assert [m.chat_id for m in await said(store) if m.card_of] == [GRID1_CHAT]


async def _two_reports(desk: Desk, store: SqlStore) -> tuple[int, int]:
    """The resident and a neighbour report one burst pipe in two words."""
    mine = await report(desk, store, "审计厅小区3号楼门口水管爆了")
    theirs = await report(desk, store, "审计厅小区3号楼门口水管破了，到处是水", NEIGHBOUR)
    return mine.id, theirs.id


async def test_a_worker_merges_a_duplicate_from_its_card(desk: Desk, store: SqlStore) -> None:
    """合并 lists the group's other tasks on the card; picking one merges into it: the merged
    card says where it went, the survivor carries both reports, the neighbour is told."""
    survivor_id, duplicate_id = await _two_reports(desk, store)
    assert await desk.press(ZHANG, act(Verb.MERGE, duplicate_id), None) == Answer(
        texts.ANSWER_MERGE_PICK
    )
    [picker] = await said(store)
    survivor = await task_of(store, survivor_id)
    assert labels(picker)[0].startswith(f"→ {survivor.number}（供水）")
    answer = await desk.press(ZHANG, picker.buttons[0][0].action, None)
    assert answer == Answer(texts.ANSWER_MERGED.format(number=survivor.number))

    duplicate = await task_of(store, duplicate_id)
    assert (duplicate.status, duplicate.merged_into) == (TaskStatus.MERGED, survivor.number)
    assert duplicate.next_followup_at is None
    survivor = await task_of(store, survivor_id)
    assert f"合并自工单 {duplicate.number}：审计厅小区3号楼门口水管破了" in survivor.text
    messages = await said(store)
    cards = {m.edit_card_of: m for m in to(messages, GRID1_CHAT)}
    assert texts.STATUS_MERGED.format(number=survivor.number) in cards[duplicate_id].text
    assert labels(cards[duplicate_id]) == []
    [told] = to(messages, NEIGHBOUR.chat_id)
    assert told.text == texts.NOTICE_MERGED.format(number=duplicate.number, into=survivor.number)
    kinds = [e.kind for e in await events_of(store, duplicate_id)]
    assert kinds[-1] is EventKind.MERGED


async def test_only_a_member_and_the_claimer_may_merge(desk: Desk, store: SqlStore) -> None:
    """A claimed task is merged by its claimer only; a task cannot merge into itself."""
    survivor_id, duplicate_id = await _two_reports(desk, store)
    await desk.press(ZHANG, act(Verb.CLAIM, duplicate_id), None)
    refused = await desk.press(LI, act(Verb.MERGE_INTO, duplicate_id, str(survivor_id)), None)
    assert refused == Answer(texts.ANSWER_NOT_CLAIMER.format(worker="张三"), alert=True)
    itself = await desk.press(ZHANG, act(Verb.MERGE_INTO, duplicate_id, str(duplicate_id)), None)
    assert itself == Answer(texts.ANSWER_EXPIRED, alert=True)
    assert (await task_of(store, duplicate_id)).status is TaskStatus.CLAIMED


async def test_merged_residents_rate_the_result_of_the_survivor(
    desk: Desk, store: SqlStore
) -> None:
    """办结 of the survivor resolves the merged task with the same result and asks its
    resident to rate it; their rating closes their own task."""
    survivor_id, duplicate_id = await _two_reports(desk, store)
    await desk.press(ZHANG, act(Verb.MERGE_INTO, duplicate_id, str(survivor_id)), None)
    await desk.press(ZHANG, act(Verb.CLAIM, survivor_id), None)
    await said(store)
    messages = await resolve(desk, store, survivor_id, "阀门换好了，已恢复供水")

    survivor, duplicate = await task_of(store, survivor_id), await task_of(store, duplicate_id)
    assert duplicate.status is TaskStatus.RESOLVED
    assert duplicate.result == "阀门换好了，已恢复供水"
    [request] = to(messages, NEIGHBOUR.chat_id)
    assert request.text.startswith(
        f"您反映的问题（{duplicate.number}，与工单 {survivor.number} 合并办理）已办结。"
    )
    assert labels(request) == ["满意", "基本满意", "不满意"]
    assert request.buttons[0][0].action == act(Verb.RATE, duplicate_id, "satisfied")
    await desk.press(NEIGHBOUR, request.buttons[0][0].action, None)
    rated = await task_of(store, duplicate_id)
    assert (rated.status, rated.rating) == (TaskStatus.CLOSED, Rating.SATISFIED)
    assert (await task_of(store, survivor_id)).status is TaskStatus.RESOLVED


async def test_a_withdrawn_survivor_releases_the_merged_task(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """The survivor's resident withdraws: the merged task goes on alone, open, with fresh
    deadlines and a new card, and its resident is told why."""
    survivor_id, duplicate_id = await _two_reports(desk, store)
    await desk.press(ZHANG, act(Verb.MERGE_INTO, duplicate_id, str(survivor_id)), None)
    clock.advance(timedelta(hours=5))
    survivor = await task_of(store, survivor_id)
    await said(store)
    await desk.withdrawal.cancel(RESIDENT, survivor.number, None)

    released = await task_of(store, duplicate_id)
    assert (released.status, released.merged_into) == (TaskStatus.OPEN, None)
    assert released.claim_due_at == clock.now + timedelta(hours=2)
    messages = await said(store)
    assert [m.card_of for m in to(messages, GRID1_CHAT) if m.card_of] == [duplicate_id]
    [told] = to(messages, NEIGHBOUR.chat_id)
    assert told.text == texts.NOTICE_UNMERGED.format(number=released.number, into=survivor.number)
