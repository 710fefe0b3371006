"""A worker writing to the bot privately is asked: a report of their own, or about a task?

A grid worker's line about a task they hold ("阀门明天上午换") used to be filed as a resident's
report, a new task in the worker's own group. Now the words are kept (in the database) and the
worker picks: their own report (through intake like anyone's, words and photos kept), one of
their claimed tasks (a note on it, posted in its group), or nothing to keep.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.config.settings import Settings
from bot.desk.actions import Verb
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.domain import DraftReason, EventKind, Outgoing, Task
from bot.followup.drafts import DraftFollowUp
from bot.language import Language
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    LI,
    PHONE,
    RESIDENT,
    ZHANG,
    act,
    actions,
    claimed,
    clock,
    desk,
    draft_of,
    events_of,
    labels,
    latest_task,
    private,
    said,
    settings,
    store,
    task_of,
    to,
)
from tests.harness import World

pytestmark = pytest.mark.asyncio

WORKER = private(ZHANG)
LINE = "阀门明天上午换，已经跟物业说好了"


async def asked(desk: Desk, store: SqlStore, text: str = LINE) -> Outgoing:
    """The worker writes ``text`` privately; the one message they get back."""
    await desk.private_message(WORKER, text, None, None)
    [question] = await said(store)
    assert question.chat_id == WORKER.chat_id
    return question


async def test_a_workers_words_are_kept_and_they_are_asked_which_it_is(
    desk: Desk, store: SqlStore
) -> None:
    """No task is filed; the question lists their claimed task between 自己反映 and 不用记."""
    task = await claimed(desk, store)
    question = await asked(desk, store)
    assert question.text == texts.WORKER_ASK.format(text=texts.shorten(LINE, 30))
    assert labels(question)[0] == texts.WORKER_OWN
    assert labels(question)[1].startswith(f"关于 {task.number}｜供水｜")
    assert labels(question)[2] == texts.WORKER_DROP
    assert actions(question) == [
        act(Verb.WORKER_OWN),
        act(Verb.WORKER_NOTE, task.id),
        act(Verb.WORKER_DROP),
    ]
    assert await latest_task(store, ZHANG) is None
    draft = await draft_of(store, ZHANG)
    assert draft is not None
    assert (draft.text, draft.reason) == (LINE, DraftReason.WORKER_CHOICE)


async def test_about_a_task_the_words_become_a_note_seen_in_its_group(
    desk: Desk, store: SqlStore
) -> None:
    """The note is an event on the task; the group sees it masked; the resident hears nothing;
    the worker is told where it went."""
    task = await claimed(desk, store)
    line = f"联系了居民，电话{PHONE}，明天上午去"
    await asked(desk, store, line)
    answer = await desk.press(WORKER, act(Verb.WORKER_NOTE, task.id), None)
    assert answer == Answer("")

    [*_, note] = await events_of(store, task.id)
    assert (note.kind, note.actor_id, note.note) == (EventKind.NOTE, ZHANG.user_id, line)
    messages = await said(store)
    [posted] = to(messages, GRID1_CHAT)
    assert posted.text.startswith(f"📝 工单 {task.number} 进展（张三）：联系了居民")
    assert PHONE not in posted.text
    assert to(messages, RESIDENT.chat_id) == []
    [saved] = to(messages, WORKER.chat_id)
    assert saved.text == texts.WORKER_NOTE_SAVED.format(number=task.number)
    assert await draft_of(store, ZHANG) is None
    assert await latest_task(store, ZHANG) is None
    assert (await task_of(store, task.id)).text == task.text  # the resident's words unchanged


async def test_their_own_report_goes_through_intake_with_words_and_photos(
    desk: Desk, store: SqlStore
) -> None:
    """自己反映: filed like a resident's report, every word and photo kept."""
    await claimed(desk, store)
    await desk.private_message(WORKER, "林业厅小区2号楼楼道灯不亮了", "photo-1", None)
    await said(store)
    await desk.private_message(WORKER, "", "photo-2", None)
    assert await said(store) == []  # a further photo is kept without a word
    await desk.private_message(WORKER, "好几天了", None, None)
    await said(store)
    assert await desk.press(WORKER, act(Verb.WORKER_OWN), None) == Answer("")

    own = await latest_task(store, ZHANG)
    assert own is not None
    assert own.text == "林业厅小区2号楼楼道灯不亮了\n好几天了"
    assert own.photos == ("photo-1", "photo-2")
    assert own.place == "林业厅小区"
    [receipt] = to(await said(store), WORKER.chat_id)
    assert receipt.text.startswith("已收到您反映的问题")
    assert await draft_of(store, ZHANG) is None


async def test_their_own_report_without_a_place_is_asked_where_like_anyones(
    desk: Desk, store: SqlStore
) -> None:
    """No place named and no home bound: intake asks where, and the answer files it."""
    await asked(desk, store, "楼道里的灯坏了")
    await desk.press(WORKER, act(Verb.WORKER_OWN), None)
    [where] = await said(store)
    assert where.text == texts.ASK_PLACE
    await desk.private_message(WORKER, "审计厅小区4号楼", None, None)
    own = await latest_task(store, ZHANG)
    assert own is not None
    assert (own.text, own.place) == ("楼道里的灯坏了\n审计厅小区4号楼", "审计厅小区")


async def test_not_to_keep_drops_the_words(desk: Desk, store: SqlStore) -> None:
    """不用记: nothing filed, nothing kept, a short word back."""
    await asked(desk, store)
    answer = await desk.press(WORKER, act(Verb.WORKER_DROP), None)
    assert answer == Answer(texts.WORKER_DROPPED)
    assert await draft_of(store, ZHANG) is None
    assert await latest_task(store, ZHANG) is None
    assert await desk.press(WORKER, act(Verb.WORKER_OWN), None) == Answer(texts.ANSWER_EXPIRED)


async def test_a_worker_without_tasks_is_asked_too_but_a_greeting_is_just_answered(
    desk: Desk, store: SqlStore
) -> None:
    """No claimed task: still asked before anything is filed; 你好 gets intake's answer."""
    question = await asked(desk, store, "审计厅小区3号楼停水了")
    assert question.text.startswith("您发来的“审计厅小区3号楼停水了”，是您自己要反映的问题吗？")
    assert labels(question) == [texts.WORKER_OWN, texts.WORKER_DROP]
    assert await latest_task(store, ZHANG) is None
    await desk.press(WORKER, act(Verb.WORKER_DROP), None)
    await said(store)

    greeted = await asked(desk, store, "你好")
    assert not greeted.buttons
    assert not greeted.text.startswith("您发来的")  # intake's kind word, not the question
    assert await draft_of(store, ZHANG) is None


async def test_more_words_while_asked_join_and_the_note_has_them_all(
    desk: Desk, store: SqlStore
) -> None:
    """A second line before choosing joins the first; the question is asked again with both."""
    task = await claimed(desk, store)
    await asked(desk, store, "阀门明天上午换")
    again = await asked(desk, store, "已经跟物业说好了")
    assert "阀门明天上午换 已经跟物业说好了" in again.text
    await desk.press(WORKER, act(Verb.WORKER_NOTE, task.id), None)
    [*_, note] = await events_of(store, task.id)
    assert note.note == "阀门明天上午换\n已经跟物业说好了"


async def test_a_task_no_longer_theirs_takes_no_note_and_keeps_the_words(
    desk: Desk, store: SqlStore
) -> None:
    """Given back meanwhile: an alert, nothing written, the words still waiting for a choice;
    another worker cannot press it either."""
    task = await claimed(desk, store)
    await asked(desk, store)
    await desk.press(ZHANG, act(Verb.GIVE_BACK, task.id), None)
    await said(store)
    events = await events_of(store, task.id)

    answer = await desk.press(WORKER, act(Verb.WORKER_NOTE, task.id), None)
    assert answer == Answer(texts.WORKER_NOTE_NOT_YOURS.format(number=task.number), alert=True)
    assert await events_of(store, task.id) == events
    assert await said(store) == []
    assert await draft_of(store, ZHANG) is not None
    stranger = await desk.press(private(LI), act(Verb.WORKER_NOTE, task.id), None)
    assert stranger == Answer(texts.ANSWER_EXPIRED)  # LI has no words waiting


async def test_unsorted_words_are_not_chased_and_go_stale_after_a_day(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """A worker is not reminded like a resident; a day later new words start afresh instead of
    joining the old ones."""
    await asked(desk, store, "阀门明天上午换")
    clock.advance(timedelta(hours=25))
    follow = DraftFollowUp(desk.context, timedelta(minutes=30), timedelta(hours=24))
    assert await follow.tick(clock()) == 0
    assert await said(store) == []
    again = await asked(desk, store, "审计厅小区3号楼停水了")
    assert "阀门" not in again.text
    draft = await draft_of(store, ZHANG)
    assert draft is not None
    assert draft.text == "审计厅小区3号楼停水了"


async def test_the_words_survive_a_restart(
    desk: Desk,
    store: SqlStore,
    tmp_path: Path,
    settings: Settings,
    language: Language,
) -> None:
    """Asked, then the bot restarts: a new desk on the reopened database still has the words,
    and the press files the note."""
    task: Task = await claimed(desk, store)
    await asked(desk, store)
    context = desk.context
    async with open_store(f"sqlite:///{tmp_path}/d.db", clock=context.clock) as reopened:
        fresh = Desk(Context(reopened, context.org, language, context.deadlines,
                             context.timezone, context.clock))  # fmt: skip
        assert await fresh.press(WORKER, act(Verb.WORKER_NOTE, task.id), None) == Answer("")
        async with reopened.transaction() as tx:
            [*_, note] = await tx.events(task.id)
    assert (note.kind, note.note) == (EventKind.NOTE, LINE)


async def test_through_telegram_a_workers_line_about_a_task_is_a_note_not_a_task(
    w: World,
) -> None:
    """End to end: 张三 claims, writes privately, picks the task; the group sees the note, no
    second card appears, and the resident hears nothing of it."""
    resident, zhang, grid = w.resident(), w.people["张三"], w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼2单元又停水了")
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    heard = len(w.chat(resident.id))

    [question] = await w.say(zhang, "审计厅小区3号楼的阀门明天上午换")
    assert question.content.startswith("您发来的“审计厅小区3号楼的阀门明天上午换”")
    await w.press(zhang, question, "关于 20261122-0001｜供水｜审计厅小区3号…")
    assert (
        w.last(grid).content
        == "📝 工单 20261122-0001 进展（张三）：审计厅小区3号楼的阀门明天上午换"
    )
    assert not [m for m in w.chat(grid) if "20261122-0002" in m.content]
    assert len(w.chat(resident.id)) == heard
