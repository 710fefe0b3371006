"""Removed people and staff changes (issue point 7; DESIGN.md §3, §8), at the desk.

A worker taken out of the config (the bot restarted without them) cannot finish a task through
a result note they left waiting, nor post a note on a task through words they left unsorted.
Community staff reassign a claimed task of one of their grids (改派) from the card in the grid's
group, as 转交 and 退回 do, and the claimer who loses it is told. Who may do so is pinned in
tests/test_permissions.py; an admin releasing the claims of someone who left, in
tests/test_claims_cli.py.
"""

from __future__ import annotations

import pytest

from bot import texts
from bot.config.org import Org
from bot.config.settings import Settings
from bot.desk.actions import Verb
from bot.desk.context import Actor, Answer, Context
from bot.desk.desk import Desk
from bot.domain import EventKind, Outgoing, TaskStatus, UnitKind
from bot.language import Language
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    LI,
    LIU,
    NUMBER,
    PHONE,
    RESIDENT,
    ZHANG,
    act,
    actions,
    claimed,
    clock,
    desk,
    events_of,
    kinds,
    labels,
    pressed_in,
    private,
    said,
    settings,
    store,
    task_of,
    to,
)

pytestmark = pytest.mark.asyncio

NOTE = "已联系供水公司，管道修好了"


def _restarted_without(
    actor: Actor, store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> Desk:
    """The bot started again, on the same database, with a config that no longer lists
    ``actor``."""
    org = settings.require_org()
    units = [unit for kind in UnitKind for unit in org.units(kind)]
    people = [person for person in org.people.values() if person.user_id != actor.user_id]
    without = Org(units, people)
    return Desk(Context(store, without, language, settings.deadlines, settings.timezone, clock))


async def _awaited(store: SqlStore) -> int | None:
    async with store.transaction() as tx:
        return await tx.awaited_note(ZHANG.user_id)


# --- 1. a removed worker's waiting note ---------------------------------------------------------


async def test_a_removed_workers_note_is_refused_and_dropped(
    desk: Desk, store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """张三 pressed 办结, then was taken out of the config: his result note is answered kindly
    that he is no longer staff, the task stays claimed, the resident hears nothing, and the
    awaited note is gone (his next words are not taken as a result either)."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await said(store)
    restarted = _restarted_without(ZHANG, store, settings, language, clock)

    await restarted.private_message(private(ZHANG), NOTE, None, None)

    refused = texts.RESULT_NOT_STAFF.format(number=NUMBER)
    assert await said(store) == [Outgoing(ZHANG.user_id, refused)]
    after = await task_of(store, task.id)
    assert (after.status, after.claimer_id, after.result) == (
        TaskStatus.CLAIMED,
        ZHANG.user_id,
        None,
    )
    assert EventKind.RESOLVED not in await kinds(store, task.id)
    assert await _awaited(store) is None


@pytest.mark.parametrize("button", ["确认", "修改", "取消"])
async def test_a_removed_worker_cannot_act_on_a_waiting_preview(
    desk: Desk,
    store: SqlStore,
    settings: Settings,
    language: Language,
    clock: FakeClock,
    button: str,
) -> None:
    """The preview was shown before the restart; 确认, 修改 or 取消 on it afterwards is refused
    in words, resolves nothing, tells the resident nothing, and drops the note, so a second
    确认 finds nothing to send."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await desk.private_message(private(ZHANG), NOTE, None, None)
    [preview] = [m for m in await said(store) if m.buttons]
    pressed = dict(zip(labels(preview), actions(preview), strict=True))
    restarted = _restarted_without(ZHANG, store, settings, language, clock)
    before = await events_of(store, task.id)

    answer = await restarted.press(private(ZHANG), pressed[button], None)

    assert answer == Answer(texts.RESULT_NOT_STAFF.format(number=NUMBER), alert=True)
    assert await said(store) == []
    assert (await task_of(store, task.id)).status is TaskStatus.CLAIMED
    assert await events_of(store, task.id) == before
    assert await _awaited(store) is None
    again = await restarted.press(private(ZHANG), pressed["确认"], None)
    assert again.alert
    assert (await task_of(store, task.id)).status is TaskStatus.CLAIMED


async def test_a_removed_worker_cannot_post_unsorted_words_on_a_task(
    desk: Desk, store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """Words 张三 wrote privately before the restart wait to be sorted; pressing his task's
    button afterwards puts no note on it and posts nothing in the group."""
    task = await claimed(desk, store)
    await desk.private_message(private(ZHANG), "3号楼的阀门明天上午换", None, None)
    [question] = await said(store)
    about = next(a for a in actions(question) if a.startswith(f"{Verb.WORKER_NOTE.value}:"))
    restarted = _restarted_without(ZHANG, store, settings, language, clock)

    answer = await restarted.press(private(ZHANG), about, None)

    assert answer == Answer(texts.WORKER_NOTE_NOT_STAFF.format(number=NUMBER), alert=True)
    assert EventKind.NOTE not in await kinds(store, task.id)
    assert await said(store) == []


# --- 2. community staff reassign (改派) ----------------------------------------------------------

STAFF_ON_CARD = pressed_in(LIU, GRID1_CHAT)  # 刘书记, 兴安南路社区, in the grid's group


async def test_community_staff_reassign_a_claimed_task_to_another_member(
    desk: Desk, store: SqlStore
) -> None:
    """刘书记 presses 转交 on 张三's card in the grid's group and picks 李四: the task is 李四's
    with a TRANSFERRED event by 刘书记, the card is edited, the resident told, 李四 gets the
    contact privately, and 张三 is told privately that he need not work it any more."""
    task = await claimed(desk, store)

    assert await desk.press(STAFF_ON_CARD, act(Verb.TRANSFER, task.id), None) == Answer(
        texts.TRANSFER_PICK
    )
    [picker] = await said(store)
    assert picker.chat_id == GRID1_CHAT
    assert labels(picker) == ["李四", texts.CANCEL_TRANSFER]  # not 张三, who has it
    answer = await desk.press(STAFF_ON_CARD, actions(picker)[0], None)

    assert answer == Answer(texts.ANSWER_TRANSFERRED.format(worker="李四"))
    after = await task_of(store, task.id)
    assert (after.status, after.claimer_id) == (TaskStatus.CLAIMED, LI.user_id)
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id, last.note) == (EventKind.TRANSFERRED, LIU.user_id, "李四")
    written = await said(store)
    [card] = to(written, GRID1_CHAT)
    assert card.edit_card_of == task.id
    assert "李四" in card.text
    [notice] = to(written, RESIDENT.chat_id)
    assert notice.text.startswith(f"您反映的问题（{NUMBER}）已转交给李四继续处理，")
    [contact] = to(written, LI.user_id)
    assert contact.text.startswith(f"刘书记把工单 {NUMBER}")
    assert PHONE in contact.text
    told = texts.REASSIGNED_FROM_YOU.format(number=NUMBER, staff="刘书记", worker="李四")
    assert to(written, ZHANG.user_id) == [Outgoing(ZHANG.user_id, told)]


async def test_community_staff_put_a_claimed_task_back_to_open(desk: Desk, store: SqlStore) -> None:
    """刘书记 presses 退回 on 张三's card: the task waits for a claim again (a RETURNED event
    by 刘书记, the card with 认领), and 张三 is told privately."""
    task = await claimed(desk, store)

    answer = await desk.press(STAFF_ON_CARD, act(Verb.GIVE_BACK, task.id), None)

    assert answer == Answer(texts.ANSWER_RETURNED)
    after = await task_of(store, task.id)
    assert (after.status, after.claimer_id) == (TaskStatus.OPEN, None)
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id) == (EventKind.RETURNED, LIU.user_id)
    written = await said(store)
    [card] = to(written, GRID1_CHAT)
    assert labels(card) == [texts.CLAIM, texts.MERGE, texts.RECATEGORISE]
    told = texts.RETURNED_FROM_YOU.format(number=NUMBER, staff="刘书记")
    assert to(written, ZHANG.user_id) == [Outgoing(ZHANG.user_id, told)]


async def test_the_staffs_picker_can_be_cancelled_and_the_old_claimer_cannot_use_it(
    desk: Desk, store: SqlStore
) -> None:
    """取消 under the staff's picker shows the card again; once 李四 has the task, 张三's press
    on a name is refused as not his any more."""
    task = await claimed(desk, store)
    await desk.press(STAFF_ON_CARD, act(Verb.TRANSFER, task.id), None)
    [picker] = await said(store)
    to_li, cancel = actions(picker)
    assert await desk.press(STAFF_ON_CARD, cancel, None) == Answer(texts.ANSWER_OK)
    [card] = await said(store)
    assert texts.TRANSFER in labels(card)

    await desk.press(STAFF_ON_CARD, to_li, None)
    await said(store)
    answer = await desk.press(ZHANG, to_li, None)
    assert answer == Answer(texts.ANSWER_NOT_CLAIMER.format(worker="李四"), alert=True)
