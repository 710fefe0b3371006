"""Residents calling off a report: in plain words, with /cancel alone, and by button."""

from __future__ import annotations

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.context import Answer
from bot.desk.desk import Desk
from bot.desk.withdrawal import calls_off
from bot.domain import EventKind, TaskStatus
from storage.sql_store import SqlStore
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    NEIGHBOUR,
    RESIDENT,
    ZHANG,
    act,
    actions,
    claimed,
    desk,
    draft_of,
    events_of,
    labels,
    latest_task,
    report,
    said,
    settings,
    snapshot,
    store,
    task_of,
    to,
)
from tests.harness import World

WITHDRAWALS = [
    "撤回",
    "不用了",
    "已经好了",
    "修好了不用来了",
    "不用了谢谢",
    "取消",
    "我想撤回那个工单",
    "算了",
    "没事了",
    "已经来水了",
    "已经修好了，不用来了，谢谢",
    "撤回吧",
    "那个事不用了",
    "已经解决了",
    "不需要了",
    "撤销我的报修",
]
NOT_WITHDRAWALS = [
    "水管又坏了，撤回不了",
    "取消的车位还在占着",
    "不用的旧家具堆在楼道里",
    "已经好了三天又坏了",
    "修好了没两天又漏了",
    "算了不说了楼上天天半夜装修太吵",
    "楼上漏水物业说不用管",
    "怎么取消物业的自动扣费",
    "好的",
    "谢谢",
    "好了",
    "修好了吗",
    "进度",
]
REASONS = ["已解决", "不需要了", "其他原因"]


@pytest.mark.parametrize("text", WITHDRAWALS)
def test_withdrawals_are_recognised(text: str) -> None:
    """A short message whose whole point is calling a report off is a withdrawal."""
    assert calls_off(text)


@pytest.mark.parametrize("text", NOT_WITHDRAWALS)
def test_reports_and_chat_are_not_withdrawals(text: str) -> None:
    """A report that mentions 撤回/取消/不用, an acknowledgement or a question is not one."""
    assert not calls_off(text)


@pytest.mark.asyncio
async def test_words_offer_the_latest_task_with_reasons(desk: Desk, store: SqlStore) -> None:
    """ "不用了": the latest open task is offered, with the three reasons and 不撤回; nothing
    changes until a button is pressed."""
    await report(desk, store, "审计厅小区3号楼暖气不热")
    task = await report(desk, store)
    await desk.private_message(RESIDENT, "不用了，谢谢", None, None)
    [offer] = await said(store)
    assert offer.chat_id == RESIDENT.chat_id
    assert offer.text.startswith(f"要撤回工单 {task.number}（供水：")
    assert labels(offer) == [*REASONS, texts.WITHDRAW_KEEP]
    assert actions(offer)[0] == act(Verb.WITHDRAW, task.id, "solved")
    assert (await task_of(store, task.id)).status is TaskStatus.OPEN
    assert await latest_task(store) == task  # not filed as a new task


@pytest.mark.asyncio
async def test_reason_withdraws_and_the_card_says_why(desk: Desk, store: SqlStore) -> None:
    """已解决 pressed: withdrawn with the reason in its trail; the unclaimed card tells the group
    why; the resident hears it is done."""
    task = await report(desk, store)
    await desk.private_message(RESIDENT, "已经好了", None, None)
    await said(store)
    assert await desk.press(RESIDENT, act(Verb.WITHDRAW, task.id, "solved"), None) == Answer("")
    assert (await task_of(store, task.id)).status is TaskStatus.CANCELLED
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id, last.note) == (
        EventKind.CANCELLED,
        RESIDENT.user_id,
        "已解决",
    )
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert card.edit_card_of == task.id
    assert "状态：居民已撤回（原因：已解决）" in card.text
    assert card.buttons == ()
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.WITHDRAWN.format(number=task.number, reason="已解决")
    ]


@pytest.mark.asyncio
async def test_claimed_task_can_be_withdrawn_and_the_claimer_hears_why(
    desk: Desk, store: SqlStore
) -> None:
    """The offer says the worker is already on it; withdrawing tells them privately why."""
    task = await claimed(desk, store)
    await desk.private_message(RESIDENT, "修好了不用来了", None, None)
    [offer] = await said(store)
    assert "张三已经在办了" in offer.text
    await desk.press(RESIDENT, act(Verb.WITHDRAW, task.id, "unneeded"), None)
    messages = await said(store)
    assert [m.text for m in to(messages, ZHANG.user_id)] == [
        texts.NOTICE_WITHDRAWN_TO_WORKER.format(number=task.number, reason="不需要了")
    ]
    assert (await task_of(store, task.id)).status is TaskStatus.CANCELLED


@pytest.mark.asyncio
async def test_keep_and_foreign_or_stale_presses_change_nothing(
    desk: Desk, store: SqlStore
) -> None:
    """不撤回, a neighbour's press, a forged reason and a second press leave the task alone."""
    task = await report(desk, store)
    before = await snapshot(store, task.id)
    kept = await desk.press(RESIDENT, act(Verb.WITHDRAW_KEEP, task.id), None)
    assert kept == Answer(texts.WITHDRAW_KEPT.format(number=task.number))
    foreign = await desk.press(NEIGHBOUR, act(Verb.WITHDRAW, task.id, "solved"), None)
    assert foreign == Answer(texts.ANSWER_NOT_YOURS, alert=True)
    forged = await desk.press(RESIDENT, act(Verb.WITHDRAW, task.id, "whatever"), None)
    assert forged == Answer(texts.ANSWER_EXPIRED)
    assert await snapshot(store, task.id) == before
    await desk.press(RESIDENT, act(Verb.WITHDRAW, task.id, "other"), None)
    await said(store)
    again = await desk.press(RESIDENT, act(Verb.WITHDRAW, task.id, "solved"), None)
    assert again.alert
    assert "不能再撤回" in again.text
    assert (await events_of(store, task.id))[-1].note == "其他原因"


@pytest.mark.asyncio
async def test_cancel_alone_lists_what_can_be_withdrawn(desk: Desk, store: SqlStore) -> None:
    """/cancel alone: nothing to withdraw says so; one task is offered at once; several are
    listed as buttons, and a pick offers that one."""
    await desk.withdrawal.cancel(RESIDENT, "", None)
    assert [m.text for m in await said(store)] == [texts.NOTHING_TO_WITHDRAW]
    water = await report(desk, store)
    await desk.withdrawal.cancel(RESIDENT, "  ", None)
    [offer] = await said(store)
    assert offer.text.startswith(f"要撤回工单 {water.number}")
    heating = await report(desk, store, "审计厅小区3号楼暖气不热")
    await desk.withdrawal.cancel(RESIDENT, "", None)
    [listing] = await said(store)
    assert listing.text == texts.CANCEL_PICK.format(count=2)
    assert actions(listing) == [
        act(Verb.WITHDRAW_PICK, heating.id),
        act(Verb.WITHDRAW_PICK, water.id),
    ]
    assert labels(listing)[0].startswith(f"{heating.number}｜供暖｜")
    assert await desk.press(RESIDENT, act(Verb.WITHDRAW_PICK, water.id), None) == Answer("")
    [offer] = await said(store)
    assert offer.text.startswith(f"要撤回工单 {water.number}")
    assert (await task_of(store, water.id)).status is TaskStatus.OPEN


@pytest.mark.asyncio
async def test_words_drop_a_report_still_waiting_for_an_answer(desk: Desk, store: SqlStore) -> None:
    """ "不用了" while the bot asks where a report is: that report is dropped, saying so."""
    await desk.private_message(RESIDENT, "楼道里的灯坏了好几天了", None, None)
    await said(store)
    await desk.private_message(RESIDENT, "算了，不用了", None, None)
    assert [m.text for m in await said(store)] == [
        texts.DRAFT_DROPPED.format(text="楼道里的灯坏了好几天了")
    ]
    assert await draft_of(store) is None
    assert await latest_task(store) is None


@pytest.mark.asyncio
async def test_nothing_to_withdraw(desk: Desk, store: SqlStore) -> None:
    """ "不用了" with nothing open: a kind word, nothing filed."""
    await desk.private_message(RESIDENT, "不用了", None, None)
    assert [m.text for m in await said(store)] == [texts.NOTHING_TO_WITHDRAW]
    assert await latest_task(store) is None


@pytest.mark.asyncio
async def test_report_that_mentions_withdrawing_is_filed(desk: Desk, store: SqlStore) -> None:
    """ "水管又坏了，撤回不了" is a report: it becomes a task with its card, no offer."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼水管又坏了，撤回不了", None, None)
    messages = await said(store)
    task = await latest_task(store)
    assert task is not None
    assert [m.card_of for m in to(messages, GRID1_CHAT)] == [task.id]
    assert not any(m.text.startswith("要撤回") for m in messages)


@pytest.mark.asyncio
async def test_withdrawal_end_to_end(w: World) -> None:
    """Through the stand-in: "不用了" → 已解决 → the claimer and the card hear why."""
    resident, zhang = w.resident(), w.people["张三"]
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼又停水了")
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    [offer] = await w.say(resident, "已经来水了，不用来了")
    assert offer.content.startswith("要撤回工单 20261122-0001")
    await w.press(resident, offer, "已解决")
    assert "已撤回（已解决）" in w.last(resident.id).content
    assert "原因：已解决" in w.last(zhang.id).content
    assert "居民已撤回（原因：已解决）" in w.card(grid, "20261122-0001").content
