"""Cards and lists a worker can act on (issue 11, point 10): when the report came in and how to
call back, reminders that name the place, /tasks with the deadline that applies now, who
transferred a task, and no internal words ("已上报 1 级") where a person reads.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb, person_key
from bot.desk.context import Actor
from bot.desk.desk import Desk
from bot.followup.reminders import Reminders
from nlp.privacy import mask_phone, phone_number
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY,
    COMMUNITY_CHAT,
    GRID1_CHAT,
    LI,
    PHONE,
    RESIDENT,
    WATER_TEXT,
    ZHANG,
    act,
    claimed,
    clock,
    desk,
    latest_task,
    report,
    said,
    settings,
    store,
    to,
)
from tests.harness import World

pytestmark = pytest.mark.asyncio

NO_PHONE = "审计厅小区3号楼2单元楼道灯坏了"
PLACE = "审计厅小区 3号楼2单元"


async def test_the_card_says_when_it_came_in_and_the_number_to_call_masked(
    desk: Desk, store: SqlStore
) -> None:
    """The card shows 收到 and the resident's number as 138****1234; the whole number goes
    only to the claimer, privately."""
    await desk.private_message(RESIDENT, WATER_TEXT, None, None)
    [card] = to(await said(store), GRID1_CHAT)
    assert "收到：11月22日 09:00" in card.text
    assert "电话：138****1234（认领后私信发完整号码）" in card.text
    assert PHONE not in card.text

    task = await latest_task(store)
    assert task is not None
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    messages = await said(store)
    [contact] = to(messages, ZHANG.user_id)
    assert f"电话：{PHONE}" in contact.text
    assert all(PHONE not in m.text for m in to(messages, GRID1_CHAT))


async def test_a_card_without_a_number_says_how_to_reach_the_resident(
    desk: Desk, store: SqlStore
) -> None:
    """No number in the report: the card says the contact comes privately with the claim."""
    await desk.private_message(RESIDENT, NO_PHONE, None, None)
    [card] = to(await said(store), GRID1_CHAT)
    assert texts.CARD_NO_PHONE in card.text
    assert "电话：" not in card.text


async def test_a_card_promises_no_contact_it_cannot_give(desk: Desk, store: SqlStore) -> None:
    """A WeChat follower with no number: WeChat opens no profile, so the card does not promise
    the claimer a way to reach her; it says the platform tells her the result."""
    follower = Actor("wechat:oRES1", "wechat:oRES1", "微信用户")
    await desk.private_message(follower, NO_PHONE, None, None)
    [card] = to(await said(store), GRID1_CHAT)
    assert texts.CARD_NO_CONTACT in card.text
    assert texts.CARD_NO_PHONE not in card.text


async def test_phone_numbers_are_found_and_masked() -> None:
    """Mobile numbers (spaced, +86), landlines and numbers named as a phone; ID cards are not."""
    assert phone_number("电话 +86 138 0471 1234") == "13804711234"
    assert phone_number("座机0471-6661234") == "0471-6661234"
    assert phone_number("身份证150102199001011234，没留电话") is None
    assert mask_phone("13804711234") == "138****1234"
    assert mask_phone("0471-6661234") == "0471-****1234"


async def test_reminders_name_the_place(desk: Desk, store: SqlStore) -> None:
    """One overdue task or several: each is named with its place, so nobody opens the card to
    know where to go."""
    first = await report(desk, store, NO_PHONE)
    second = await report(desk, store, "华建小区5号楼门口垃圾没人清")
    reminders = Reminders()
    reminders.add(GRID1_CHAT, texts.REMIND_CLAIM, texts.REMIND_CLAIM_MANY, first, names=("张三",))
    [one] = reminders.take()
    assert f"工单 {first.number}（路灯照明，{PLACE}）已超过认领时限" in one.text
    for task in (first, second):
        reminders.add(GRID1_CHAT, texts.REMIND_CLAIM, texts.REMIND_CLAIM_MANY, task)
    [many] = reminders.take()
    assert f"• {first.number}（路灯照明，{PLACE}）" in many.text
    assert f"• {second.number}（环境卫生，华建小区 5号楼）" in many.text


async def test_tasks_shows_the_deadline_that_applies_now(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """/tasks: the claim deadline while 待认领, the claimer and resolve deadline once claimed,
    and ⚠️ once a deadline has passed."""
    taken = await claimed(desk, store)
    waiting = await report(desk, store, NO_PHONE)
    await desk.listings.open_tasks(ZHANG, None)
    [listing] = await said(store)
    assert f"{taken.number}｜供水｜办理中｜张三，11月25日 09:00 前办结" in listing.text
    assert f"{waiting.number}｜路灯照明｜待认领｜11月22日 11:00 前认领" in listing.text

    clock.advance(timedelta(hours=3))
    await desk.listings.open_tasks(ZHANG, None)
    [late] = await said(store)
    assert "待认领｜⚠️ 已超时：11月22日 11:00 前认领" in late.text
    assert "⚠️ 已超时：张三" not in late.text


async def test_a_transfer_tells_the_receiver_who_gave_it(desk: Desk, store: SqlStore) -> None:
    """The receiver's private message opens with "张三把工单 … 转交给您", not "您认领了"."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.TRANSFER_TO, task.id, person_key(LI.user_id)), None)
    [contact] = to(await said(store), LI.user_id)
    assert contact.text.startswith(f"张三把工单 {task.number}（供水）转交给您。")
    assert "您认领了" not in contact.text
    assert f"电话：{PHONE}" in contact.text


async def test_an_escalated_card_names_the_unit_not_a_level(desk: Desk, store: SqlStore) -> None:
    """ "已上报兴安南路社区", never "已上报 1 级"."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.ESCALATE, task.id), None)
    [card] = to(await said(store), COMMUNITY_CHAT)
    assert f"已上报{COMMUNITY}" in card.text
    assert "级" not in card.text


# --- end to end ----------------------------------------------------------------------------------


async def test_an_overdue_reminder_in_the_group_names_the_place(w: World) -> None:
    """Through the follow-up tick and the stand-in: the claim reminder says where."""
    grid = w.group("xingan-1")
    await w.say(w.resident(), NO_PHONE)
    w.clock.advance(timedelta(hours=2, minutes=1))
    await w.bot.followup.tick(w.clock())
    await w.bot.telegram.outbox.settled()
    reminder = next(m for m in w.chat(grid) if "已超过认领时限" in m.content)
    assert f"（路灯照明，{PLACE}）" in reminder.content
