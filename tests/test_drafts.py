"""Nothing a resident writes is dropped while the bot waits for an answer (where, which kind).

Every further message joins the waiting report, words and photos in the order sent, and the
task carries all of them; the question is asked again only with words, saying they were added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.desk import Desk
from bot.domain import DraftReason
from bot.followup.drafts import DraftFollowUp
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    RESIDENT,
    act,
    actions,
    clock,
    desk,
    draft_of,
    latest_task,
    said,
    settings,
    store,
    to,
)

pytestmark = pytest.mark.asyncio


async def test_words_and_photos_sent_while_asked_where_all_reach_the_task(
    desk: Desk, store: SqlStore
) -> None:
    """Asked where: a photo, a detail and another photo join the report; the place answer files
    it with every word and every photo, in order."""
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    assert [m.text for m in await said(store)] == [texts.ASK_PLACE]
    await desk.private_message(RESIDENT, "", "photo-1", None)
    assert await said(store) == []  # a photo alone answers nothing: kept without a word
    await desk.private_message(RESIDENT, "从前天晚上就不亮了", "photo-2", None)
    [again] = await said(store)
    assert again.text == texts.ADDED_ASK_PLACE
    assert actions(again) == ["pc:0:xingannanlu:d", "pc:0:siqianmi:d"]
    await desk.private_message(RESIDENT, "", "photo-3", None)
    await desk.private_message(RESIDENT, "审计厅小区4号楼", None, None)

    task = await latest_task(store)
    assert task is not None
    assert task.text == "楼道里的灯坏了\n从前天晚上就不亮了\n审计厅小区4号楼"
    assert task.photos == ("photo-1", "photo-2", "photo-3")
    assert task.photo == "photo-1"
    assert (task.place, task.building) == ("审计厅小区", "4")
    [card] = to(await said(store), GRID1_CHAT)
    assert card.photo == "photo-1"
    assert texts.MORE_PHOTOS.format(count=3) in card.text
    assert await draft_of(store) is None


async def test_words_sent_while_asked_which_kind_join_the_report(
    desk: Desk, store: SqlStore
) -> None:
    """Asked which kind, a further message used to delete the report; now it joins it, and
    when the added words make the kind clear the task is filed without asking again."""
    await desk.private_message(RESIDENT, "审计厅小区那边有点情况想反映一下", None, None)
    [ask] = await said(store)
    assert ask.text == texts.ASK_CATEGORY
    await desk.private_message(RESIDENT, "就是说说", None, None)
    [again] = await said(store)
    assert again.text == texts.ADDED_PICK_CATEGORY
    draft = await draft_of(store)
    assert draft is not None
    assert draft.reason is DraftReason.NEED_CATEGORY
    assert draft.text == "审计厅小区那边有点情况想反映一下\n就是说说"
    await desk.private_message(RESIDENT, "3号楼已经停水两天了", None, None)

    task = await latest_task(store)
    assert task is not None
    assert task.category is Category.WATER_SUPPLY
    assert task.text == "审计厅小区那边有点情况想反映一下\n就是说说\n3号楼已经停水两天了"
    assert await draft_of(store) is None


async def test_a_picked_category_files_every_word_written_meanwhile(
    desk: Desk, store: SqlStore
) -> None:
    """Words added while the category buttons wait are in the task the pick files."""
    await desk.private_message(RESIDENT, "审计厅小区那边有点情况想反映一下", None, None)
    await desk.private_message(RESIDENT, "具体的我也说不好", "photo-9", None)
    await said(store)
    await desk.press(RESIDENT, "pk:0:sanitation", None)
    task = await latest_task(store)
    assert task is not None
    assert task.text == "审计厅小区那边有点情况想反映一下\n具体的我也说不好"
    assert (task.category, task.photos) == (Category.SANITATION, ("photo-9",))


async def test_several_photos_then_words_make_one_task(desk: Desk, store: SqlStore) -> None:
    """An album arrives one photo at a time: one question, every photo kept."""
    await desk.private_message(RESIDENT, "", "a", None)
    await desk.private_message(RESIDENT, "", "b", None)
    assert [m.text for m in await said(store)] == [texts.ASK_TEXT]
    await desk.private_message(RESIDENT, "审计厅小区3号楼楼道里堆满了杂物", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.photos == ("a", "b")


def drafts_of(desk: Desk) -> DraftFollowUp:
    """The follow-up of waiting reports with the example's [intake] times (30 min, 24 h)."""
    return DraftFollowUp(desk.context, timedelta(minutes=30), timedelta(hours=24))


async def test_an_unanswered_question_is_reminded_once_then_expires_with_a_word(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """30 minutes without an answer: one reminder with the buttons that answer it; a day: the
    report expires, and the resident is told so — never silently."""
    follow = drafts_of(desk)
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    await said(store)
    clock.advance(timedelta(minutes=29))
    assert await follow.tick(clock()) == 0
    clock.advance(timedelta(minutes=1))
    assert await follow.tick(clock()) == 1
    [reminder] = await said(store)
    assert reminder.text == texts.DRAFT_REMINDER.format(
        text="楼道里的灯坏了", needs=texts.DRAFT_STILL_NEEDS[DraftReason.NEED_PLACE]
    )
    assert actions(reminder) == ["pc:0:xingannanlu:d", "pc:0:siqianmi:d"]
    clock.advance(timedelta(hours=3))
    assert await follow.tick(clock()) == 0  # once
    clock.advance(timedelta(hours=21))
    assert await follow.tick(clock()) == 1
    [expired] = await said(store)
    assert expired.text.startswith("您11月22日反映的问题（楼道里的灯坏了）一直没能告诉我")
    assert await draft_of(store) is None


async def test_a_reminder_after_the_community_offers_its_places(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """She picked 兴安南路社区, then stopped at which 小区: the reminder, counted from that
    question, offers that community's places (not the communities again), and one of them
    files the report."""
    follow = drafts_of(desk)
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    await said(store)
    clock.advance(timedelta(minutes=20))
    await desk.press(RESIDENT, act(Verb.PICK_COMMUNITY, 0, "xingannanlu:d"), None)
    [places] = await said(store)
    clock.advance(timedelta(minutes=29))
    assert await follow.tick(clock()) == 0, "the wait counts from the second question"
    clock.advance(timedelta(minutes=1))
    assert await follow.tick(clock()) == 1
    [reminder] = await said(store)
    assert texts.DRAFT_STILL_NEEDS[DraftReason.NEED_PLACE] in reminder.text
    assert actions(reminder) == actions(places)
    assert all(action.startswith("pd:") for action in actions(reminder))
    await desk.press(RESIDENT, actions(reminder)[1], None)
    task = await latest_task(store)
    assert task is not None
    assert task.place == "审计厅小区"


async def test_words_after_the_community_ask_again_with_its_places(
    desk: Desk, store: SqlStore
) -> None:
    """She picked 兴安南路社区, then typed a 小区 the bot does not know: the words join the
    report, and the question comes again with that community's places, not the communities she
    has already chosen among."""
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    await said(store)
    await desk.press(RESIDENT, act(Verb.PICK_COMMUNITY, 0, "xingannanlu:d"), None)
    [places] = await said(store)
    await desk.private_message(RESIDENT, "火星小区", None, None)
    [again] = await said(store)
    assert again.text == texts.PLACE_NOT_FOUND.format(text="火星小区")
    assert actions(again) == actions(places)
    assert all(action.startswith("pd:") for action in actions(again))
    await desk.press(RESIDENT, actions(again)[0], None)
    task = await latest_task(store)
    assert task is not None
    assert task.text == "楼道里的灯坏了\n火星小区"


async def test_more_words_restart_the_wait(desk: Desk, store: SqlStore, clock: FakeClock) -> None:
    """A question asked again counts from then: 45 minutes after the first question but 25
    after the second, nothing is due yet."""
    follow = drafts_of(desk)
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    clock.advance(timedelta(minutes=20))
    await desk.private_message(RESIDENT, "一点都不亮", None, None)
    await said(store)
    clock.advance(timedelta(minutes=25))
    assert await follow.tick(clock()) == 0
    clock.advance(timedelta(minutes=5))
    assert await follow.tick(clock()) == 1
    [reminder] = await said(store)
    assert reminder.text.startswith("您好，您刚才反映的问题（楼道里的灯坏了 一点都不亮）")


async def test_quiet_hours_hold_the_reminder_until_morning(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """A reminder due at 22:20 is sent at 07:00, not in the night."""
    follow = drafts_of(desk)
    clock.now = datetime(2026, 11, 22, 13, 50, tzinfo=UTC)  # 21:50 in Hohhot
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    await said(store)
    clock.advance(timedelta(minutes=30))
    assert await follow.tick(clock()) == 0
    clock.now = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # 07:00
    assert await follow.tick(clock()) == 1
    assert len(await said(store)) == 1


async def test_a_message_after_the_expiry_starts_afresh(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """If the tick has not got there yet, the next message still does not join a day-old
    report: the old one expires with its word, the new one is handled on its own."""
    await desk.private_message(RESIDENT, "楼道里的灯坏了", None, None)
    await said(store)
    clock.advance(timedelta(hours=25))
    await desk.private_message(RESIDENT, "审计厅小区3号楼停水了", None, None)
    expired, receipt = [m.text for m in to(await said(store), RESIDENT.chat_id)]
    assert expired.startswith("您11月22日反映的问题（楼道里的灯坏了）")
    assert "工单号：" in receipt
    task = await latest_task(store)
    assert task is not None
    assert task.text == "审计厅小区3号楼停水了"
