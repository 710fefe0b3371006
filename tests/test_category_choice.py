"""The category question fits a phone: the likeliest few kinds and 其他, then 现在有危险吗.

Nineteen buttons were a wall nobody reads on a phone. A resident asked which kind now sees at
most six, the classifier's likeliest first, and 其他 (which files the report for the community
desk to sort). Picking gas, a lift or power asks one yes/no question; a yes is urgent, with the
safety advice first and the community alerted, a no an ordinary report of that kind.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.category_choice import COMMON, OFFERED, UNSURE, likely
from bot.desk.context import Answer
from bot.desk.desk import Desk
from bot.domain import DraftReason, Outgoing, UnitKind
from bot.followup.drafts import DraftFollowUp
from nlp.danger import Danger
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY_CHAT,
    GRID1_CHAT,
    RESIDENT,
    act,
    actions,
    clock,
    desk,
    draft_of,
    labels,
    latest_task,
    said,
    settings,
    store,
    to,
)

pytestmark = pytest.mark.asyncio

SMELL = "审计厅小区3号楼楼道里有股味"
"""Unsure between gas and sanitation: the resident is asked which kind."""
UNCLEAR = "审计厅小区那边有点情况想反映一下"
"""A matter announced, not named: the commonest kinds are offered."""
UNKNOWN_MATTER = "审计厅小区3号楼有人在家里养了一大群鸡"
"""A matter named in words no grid kind knows: the community desk reads it, nobody is asked."""


async def ask_kind(desk: Desk, store: SqlStore, text: str = SMELL) -> Outgoing:
    await desk.private_message(RESIDENT, text, None, None)
    [question] = await said(store)
    assert question.text == texts.ASK_CATEGORY
    return question


async def test_the_question_offers_the_likeliest_kinds_first_and_other(
    desk: Desk, store: SqlStore
) -> None:
    """Gas and sanitation (the classifier's) first, topped up with the commonest, six in two
    rows of three, and 其他 on its own row: seven buttons, not nineteen."""
    question = await ask_kind(desk, store)
    assert labels(question) == ["燃气", "环境卫生", "供水", "供暖", "供电", "物业服务", "其他"]
    assert [len(row) for row in question.buttons] == [3, 3, 1]
    assert actions(question)[-1] == act(Verb.PICK_CATEGORY, 0, "other")


async def test_a_report_nothing_is_known_about_is_offered_the_commonest_kinds(
    desk: Desk, store: SqlStore
) -> None:
    """No scores at all: the six commonest kinds of report, and 其他."""
    question = await ask_kind(desk, store, UNCLEAR)
    assert labels(question) == [*(c.zh for c in COMMON[:OFFERED]), "其他"]
    assert likely(UNSURE) == COMMON[:OFFERED]


async def test_other_files_the_report_for_the_community_desk_to_sort(
    desk: Desk, store: SqlStore
) -> None:
    """其他 is one press: the report is filed as 其他 and the community desk holds it."""
    await ask_kind(desk, store, UNCLEAR)
    assert await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "other"), None) == Answer("")
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.holder.kind) == (Category.OTHER, UnitKind.COMMUNITY)
    assert await draft_of(store) is None


async def test_a_matter_no_grid_kind_knows_goes_to_the_community_desk_unasked(
    desk: Desk, store: SqlStore
) -> None:
    """Offered only the commonest kinds, which its words did not name, the resident would be
    asked a guess list: the report is filed as 其他 at once, for the community desk to sort,
    and the resident hears it is in hand, not a question."""
    await desk.private_message(RESIDENT, UNKNOWN_MATTER, None, None)
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text != texts.ASK_CATEGORY
    assert not actions(receipt)
    [card] = to(messages, COMMUNITY_CHAT)
    assert "其他" in card.text
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.holder.kind) == (Category.OTHER, UnitKind.COMMUNITY)
    assert await draft_of(store) is None


async def test_a_dangerous_kind_asks_whether_there_is_danger_now(
    desk: Desk, store: SqlStore
) -> None:
    """燃气 picked: one yes/no question, nothing filed yet, the words still kept."""
    await ask_kind(desk, store)
    assert await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas"), None) == Answer("")
    [question] = await said(store)
    assert question.text.startswith("好的，是燃气方面的问题。现在有危险吗？")
    assert labels(question) == ["有危险", "没有危险"]
    assert actions(question) == [
        act(Verb.PICK_CATEGORY, 0, "gas:y"),
        act(Verb.PICK_CATEGORY, 0, "gas:n"),
    ]
    assert await latest_task(store) is None
    draft = await draft_of(store)
    assert draft is not None
    assert (draft.text, draft.reason) == (SMELL, DraftReason.NEED_CATEGORY)


@pytest.mark.parametrize("kind", ["elevator", "power"])
async def test_a_lift_or_power_asks_too(desk: Desk, store: SqlStore, kind: str) -> None:
    """电梯 and 供电 are dangerous kinds as well; each question gives its own examples."""
    await ask_kind(desk, store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, kind), None)
    [question] = await said(store)
    assert question.text == texts.ask_danger(Category(kind))
    assert texts.DANGER_EXAMPLES[Category(kind)] in question.text
    assert await latest_task(store) is None


async def test_yes_files_an_urgent_task_with_its_advice_and_alerts_the_community(
    desk: Desk, store: SqlStore
) -> None:
    """有危险: an urgent gas task; the receipt opens with the gas advice; the community hears."""
    await ask_kind(desk, store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas"), None)
    await said(store)
    assert await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas:y"), None) == Answer("")
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.urgent) == (Category.GAS, True)
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith(texts.ADVICE[Danger.GAS])
    [alert] = to(messages, COMMUNITY_CHAT)
    assert alert.text.startswith("🔴 紧急工单")
    [card] = to(messages, GRID1_CHAT)
    assert card.text.startswith("🔴【紧急】")
    urgent_cycle = desk.context.plan.cycle(Category.GAS, True, task.created_at)
    assert task.claim_due_at == urgent_cycle.claim_due_at  # the urgent deadlines


async def test_no_files_an_ordinary_task_of_that_kind(desk: Desk, store: SqlStore) -> None:
    """没有危险: a gas task with the normal deadlines, no advice, no alert."""
    await ask_kind(desk, store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas"), None)
    await said(store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas:n"), None)
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.urgent) == (Category.GAS, False)
    messages = await said(store)
    assert to(messages, COMMUNITY_CHAT) == []
    [receipt] = to(messages, RESIDENT.chat_id)
    assert "⚠️" not in receipt.text


async def test_a_kind_that_is_not_dangerous_files_at_once(desk: Desk, store: SqlStore) -> None:
    """环境卫生 asks nothing more: the task is filed on the press."""
    await ask_kind(desk, store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "sanitation"), None)
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.urgent) == (Category.SANITATION, False)


@pytest.mark.parametrize("arg", ["sanitation:y", "gas:maybe", "gas:y:y", "fire:y"])
async def test_a_forged_danger_answer_changes_nothing(
    desk: Desk, store: SqlStore, arg: str
) -> None:
    """A yes/no on a kind that is not dangerous, or a malformed answer: expired, no task."""
    await ask_kind(desk, store)
    answer = await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, arg), None)
    assert answer == Answer(texts.ANSWER_EXPIRED)
    assert await latest_task(store) is None
    assert await said(store) == []
    assert await draft_of(store) is not None


async def test_a_danger_answer_with_nothing_waiting_is_expired(desk: Desk, store: SqlStore) -> None:
    """Pressed again after the task was filed: nothing more happens."""
    await ask_kind(desk, store)
    await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas:y"), None)
    await said(store)
    answer = await desk.press(RESIDENT, act(Verb.PICK_CATEGORY, 0, "gas:y"), None)
    assert answer == Answer(texts.ANSWER_EXPIRED)
    assert await said(store) == []


async def test_the_reminder_offers_the_same_likely_kinds(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """The one reminder of an unanswered kind question carries the same few buttons."""
    question = await ask_kind(desk, store)
    clock.advance(timedelta(minutes=31))
    follow = DraftFollowUp(desk.context, timedelta(minutes=30), timedelta(hours=24))
    assert await follow.tick(clock()) == 1
    [reminder] = await said(store)
    assert labels(reminder) == labels(question)
