"""A resident answering a result: words about it, 不满意 and what is wrong, the reopened card."""

from __future__ import annotations

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.context import Answer
from bot.desk.desk import Desk
from bot.desk.feedback import ANSWER_WINDOW, not_fixed
from bot.domain import EventKind, TaskStatus
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY,
    COMMUNITY_CHAT,
    GRID1_CHAT,
    LIU,
    RESIDENT,
    act,
    actions,
    desk,
    events_of,
    labels,
    latest_task,
    resolved,
    said,
    settings,
    store,
    task_of,
    to,
)
from tests.harness import World

HEATING = "审计厅小区3号楼暖气不热"
COMPLAINT = "还是不热！根本没人来过！"

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (COMPLAINT, True),
        ("水管又坏了", True),
        ("不行，还在漏", True),
        ("谢谢，修好了", False),
        ("挺好的，辛苦了", False),
    ],
)
async def test_not_fixed_words(text: str, complaint: bool) -> None:
    """Words that say the problem is still there are told from thanks."""
    assert not_fixed(text) is complaint


async def test_complaint_after_a_result_is_feedback_not_a_new_task(
    desk: Desk, store: SqlStore
) -> None:
    """ "还是不热！根本没人来过！" after 办结: kept on that task, no second task; the resident is
    offered 不满意，重新办理 first, and the ratings."""
    task = await resolved(desk, store, HEATING)
    await desk.private_message(RESIDENT, COMPLAINT, None, None)
    messages = await said(store)
    assert await latest_task(store) == task
    assert to(messages, GRID1_CHAT) == []
    [reply] = messages
    assert reply.text == texts.FEEDBACK_NOT_FIXED.format(number=task.number)
    assert labels(reply) == [texts.REOPEN_BUTTON, "满意", "基本满意"]
    assert actions(reply)[0] == act(Verb.RATE, task.id, "unsatisfied")
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id, last.note) == (
        EventKind.FEEDBACK,
        RESIDENT.user_id,
        COMPLAINT,
    )
    assert (await task_of(store, task.id)).status is TaskStatus.RESOLVED


async def test_reopen_after_a_complaint_carries_it_without_asking_again(
    desk: Desk, store: SqlStore
) -> None:
    """不满意，重新办理 after the words: reopened at the community; its card keeps the disputed
    result and the complaint and says why it is back; the resident is not asked again."""
    task = await resolved(desk, store, HEATING)
    await desk.private_message(RESIDENT, COMPLAINT, None, None)
    await said(store)
    answer = await desk.press(RESIDENT, act(Verb.RATE, task.id, "unsatisfied"), None)
    assert answer == Answer(texts.ANSWER_REOPENED)
    messages = await said(store)
    [card] = to(messages, COMMUNITY_CHAT)
    assert card.card_of == task.id
    assert f"上次办理结果：{task.result}" in card.text
    assert texts.COMPLAINT_LINE.format(text=COMPLAINT) in card.text
    assert f"状态：{texts.STATUS_REOPENED}" in card.text
    assert "已上报" not in card.text  # not the wording of a late escalation
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.REOPENED_WITH_WORDS.format(number=task.number, unit=COMMUNITY)
    ]
    await desk.private_message(RESIDENT, "麻烦快点", None, None)  # no question waits
    assert not any(m.text == texts.COMPLAINT_NOTED.format(number=task.number)
                   for m in await said(store))  # fmt: skip


async def test_thanks_after_a_result_asks_for_the_rating(desk: Desk, store: SqlStore) -> None:
    """ "谢谢，修好了" after 办结: kept on the task, and the three ratings offered; a second word
    is added without the buttons again."""
    task = await resolved(desk, store)
    await desk.private_message(RESIDENT, "谢谢，修好了", None, None)
    [reply] = await said(store)
    assert reply.text == texts.FEEDBACK_ASK_RATING.format(number=task.number)
    assert labels(reply) == ["满意", "基本满意", "不满意"]
    await desk.private_message(RESIDENT, "师傅辛苦了", None, None)
    [again] = await said(store)
    assert (again.text, again.buttons) == (texts.ADDED_TO_RESULT.format(number=task.number), ())
    notes = [e.note for e in await events_of(store, task.id) if e.kind is EventKind.FEEDBACK]
    assert notes == ["谢谢，修好了", "师傅辛苦了"]


async def test_another_problem_after_a_result_is_a_new_report(desk: Desk, store: SqlStore) -> None:
    """Words about a different kind of problem are filed as a new task."""
    task = await resolved(desk, store)
    await desk.private_message(RESIDENT, "审计厅小区3号楼楼道灯坏了", None, None)
    new = await latest_task(store)
    assert new is not None
    assert new.id != task.id
    assert EventKind.FEEDBACK not in [e.kind for e in await events_of(store, task.id)]


async def test_unsatisfied_asks_what_is_wrong_and_attaches_the_answer(
    desk: Desk, store: SqlStore
) -> None:
    """不满意 straight away: reopened, one question; the answer is added to the task and its
    card, the claimer (once there is one) hears it, and the resident is told."""
    task = await resolved(desk, store, HEATING)
    await desk.press(RESIDENT, act(Verb.RATE, task.id, "unsatisfied"), None)
    messages = await said(store)
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.REOPENED_ASK_WHY.format(number=task.number, unit=COMMUNITY)
    ]
    await desk.press(LIU, act(Verb.CLAIM, task.id), None)
    await said(store)
    await desk.private_message(RESIDENT, "根本没人来过", None, None)
    messages = await said(store)
    now = await task_of(store, task.id)
    assert now.text.endswith(texts.COMPLAINT_LINE.format(text="根本没人来过"))
    assert now.status is TaskStatus.CLAIMED
    [card] = to(messages, COMMUNITY_CHAT)
    assert card.edit_card_of == task.id
    assert "居民不满意：根本没人来过" in card.text
    assert [m.text for m in to(messages, LIU.user_id)] == [
        texts.COMPLAINT_TO_CLAIMER.format(number=task.number, text="根本没人来过")
    ]
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.COMPLAINT_NOTED.format(number=task.number)
    ]
    assert await latest_task(store) == now  # not a new task
    assert (await events_of(store, task.id))[-1].kind is EventKind.FEEDBACK


async def test_words_long_after_the_question_are_not_taken_as_the_answer(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Past the answer window, the resident's next words are a message like any other."""
    task = await resolved(desk, store, HEATING)
    await desk.press(RESIDENT, act(Verb.RATE, task.id, "unsatisfied"), None)
    await said(store)
    clock.advance(ANSWER_WINDOW)
    await desk.private_message(RESIDENT, "审计厅小区3号楼楼道灯坏了", None, None)
    assert COMPLAINT not in (await task_of(store, task.id)).text
    assert EventKind.FEEDBACK not in [e.kind for e in await events_of(store, task.id)]
    new = await latest_task(store)
    assert new is not None
    assert new.id != task.id


async def test_reply_to_a_result_end_to_end(w: World) -> None:
    """Through the stand-in, the issue's dialogue: 办结, "还是不热！根本没人来过！", one press."""
    resident, zhang = w.resident(), w.people["张三"]
    grid, community = w.group("xingan-1"), w.group("xingannanlu")
    await w.say(resident, HEATING)
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    await w.resolve(zhang, w.card(grid, "20261122-0001"), "已调整阀门")
    [reply] = await w.say(resident, COMPLAINT)
    assert "记在工单 20261122-0001 上" in reply.content
    assert [m for m in w.chat(grid) if "工单 20261122-0002" in m.content] == []
    await w.press(resident, reply, texts.REOPEN_BUTTON)
    assert "您说的情况已经转告" in w.last(resident.id).content
    card = w.card(community, "20261122-0001").content
    assert "上次办理结果：已调整阀门" in card
    assert f"居民不满意：{COMPLAINT}" in card
    assert "居民不满意，重新办理" in card
