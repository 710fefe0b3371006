"""办结 is confirmed (issue 11, point 5): the worker sees "将告知居民：…" with 确认 / 修改 / 取消
before the resident is told anything; a note that says nothing is refused with a question.

Through the desk on a real SQLite store, and end to end through the Bot API stand-in (a
restart between the note and the 确认, and the "好的马上去" of the issue).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts
from bot.config.settings import Settings
from bot.desk.actions import Verb, person_key
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.domain import EventKind, Outgoing, ResultNote, TaskStatus
from bot.language import Language
from nlp.result_notes import is_thin
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock, nine_am
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    LI,
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
    private,
    said,
    settings,
    store,
    task_of,
    to,
)
from tests.harness import TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio

NOTE = "已联系物业更换灯泡，楼道灯已经亮了"


async def _noted(desk: Desk, store: SqlStore, note: str = NOTE, photo: str | None = None) -> int:
    """A claimed task whose claimer pressed 办结 and wrote ``note``; the outbox is read."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await said(store)
    await desk.private_message(private(ZHANG), note, photo, None)
    return task.id


async def _note_held(store: SqlStore) -> ResultNote | None:
    async with store.transaction() as tx:
        return await tx.result_note(ZHANG.user_id)


def _preview(messages: list[Outgoing]) -> Outgoing:
    [preview] = messages
    assert preview.chat_id == ZHANG.user_id
    assert labels(preview) == ["确认", "修改", "取消"]
    return preview


async def test_the_resident_is_told_only_after_the_worker_confirms(
    desk: Desk, store: SqlStore
) -> None:
    """A good note is shown back as "将告知居民：…"; the task stays claimed and the resident
    hears nothing until 确认, which resolves the task and sends the result."""
    task_id = await _noted(desk, store)
    preview = _preview(await said(store))
    assert preview.text.startswith("将告知居民：")
    assert f"办理结果：{NOTE}" in preview.text
    task = await task_of(store, task_id)
    assert (task.status, task.result) == (TaskStatus.CLAIMED, None)
    assert EventKind.RESOLVED not in await kinds(store, task_id)

    confirm, _, _ = actions(preview)
    assert await desk.press(private(ZHANG), confirm, None) == Answer(texts.ANSWER_RESULT_SENT)
    task = await task_of(store, task_id)
    assert (task.status, task.result) == (TaskStatus.RESOLVED, NOTE)
    messages = await said(store)
    [rating] = to(messages, RESIDENT.chat_id)
    assert f"办理结果：{NOTE}" in rating.text
    assert labels(rating) == ["满意", "基本满意", "不满意"]
    assert [m.text for m in to(messages, ZHANG.user_id)] == [
        texts.RESULT_SAVED.format(number=task.number)
    ]
    assert await _note_held(store) is None


@pytest.mark.parametrize("thin", ["好的", "已处理", "马上去", "好的马上去", "收到", "ok", "1"])
async def test_a_note_that_says_nothing_is_asked_again(
    desk: Desk, store: SqlStore, thin: str
) -> None:
    """ "好的马上去" and the like never reach the resident: the worker is asked what was done,
    and the next, real note is previewed."""
    task_id = await _noted(desk, store, thin)
    [ask] = await said(store)
    number = (await task_of(store, task_id)).number
    assert (ask.chat_id, ask.buttons) == (ZHANG.user_id, ())
    assert ask.text == texts.RESULT_TOO_THIN.format(number=number, result=thin)
    assert "具体是怎么处理的" in ask.text
    assert (await task_of(store, task_id)).status is TaskStatus.CLAIMED

    await desk.private_message(private(ZHANG), NOTE, None, None)
    assert NOTE in _preview(await said(store)).text


async def test_thin_notes_are_told_from_short_real_ones() -> None:
    """Only acknowledgement words are thin; a short note that names what was done is not."""
    for thin in ("好的，马上去！", "OK", "收到，已处理", "👍", "处理完毕", "好的好的", "11"):
        assert is_thin(thin), thin
    for real in ("已修好", "已清运", "修好了", "阀门换好了，已恢复供水", "已联系物业更换灯泡"):
        assert not is_thin(real), real


async def test_revise_writes_again_and_an_older_preview_cannot_confirm(
    desk: Desk, store: SqlStore
) -> None:
    """修改 asks for the note again; the 确认 of the first preview is then void (it would send
    words the worker replaced), the newest preview's 确认 sends the new words."""
    task_id = await _noted(desk, store, "已更换灯泡")
    first = _preview(await said(store))
    confirm_first, revise, _ = actions(first)
    assert await desk.press(private(ZHANG), revise, None) == Answer(texts.ANSWER_OK)
    number = (await task_of(store, task_id)).number
    assert [m.text for m in await said(store)] == [texts.RESULT_REWRITE.format(number=number)]
    await desk.private_message(private(ZHANG), NOTE, None, None)
    second = _preview(await said(store))

    answer = await desk.press(private(ZHANG), confirm_first, None)
    assert answer == Answer(texts.RESULT_OUTDATED, alert=True)
    assert (await task_of(store, task_id)).status is TaskStatus.CLAIMED
    assert await said(store) == []

    await desk.press(private(ZHANG), actions(second)[0], None)
    assert (await task_of(store, task_id)).result == NOTE


async def test_cancel_leaves_the_task_claimed_and_tells_nobody(desk: Desk, store: SqlStore) -> None:
    """取消 on the preview: still claimed by the worker, no note awaited, the resident hears
    nothing; the old 确认 pressed afterwards changes nothing and says so."""
    task_id = await _noted(desk, store)
    confirm, _, cancel = actions(_preview(await said(store)))
    before = await task_of(store, task_id)
    number = before.number
    answer = await desk.press(private(ZHANG), cancel, None)
    assert answer == Answer(texts.RESULT_DISCARDED.format(number=number))
    messages = await said(store)
    assert [(m.chat_id, m.text) for m in messages] == [
        (ZHANG.user_id, texts.RESULT_DISCARDED.format(number=number))
    ]
    assert await task_of(store, task_id) == before
    assert await _note_held(store) is None

    assert await desk.press(private(ZHANG), confirm, None) == Answer(texts.RESULT_GONE, True)
    assert await task_of(store, task_id) == before
    assert await said(store) == []


async def test_a_photo_first_waits_for_its_words_and_goes_with_the_result(
    desk: Desk, store: SqlStore
) -> None:
    """A photo without words is kept and the worker asked for the words; a thin caption keeps
    the photo too; the preview and the resident's result carry it."""
    task_id = await _noted(desk, store, "", "AgAC-after")
    number = (await task_of(store, task_id)).number
    assert [m.text for m in await said(store)] == [texts.RESULT_ASK_WORDS.format(number=number)]
    await desk.private_message(private(ZHANG), "好的", None, None)
    await said(store)
    assert await _note_held(store) == ResultNote(task_id, None, "AgAC-after")

    await desk.private_message(private(ZHANG), NOTE, None, None)
    preview = _preview(await said(store))
    assert preview.photo == "AgAC-after"
    await desk.press(private(ZHANG), actions(preview)[0], None)
    task = await task_of(store, task_id)
    assert (task.result, task.result_photo) == (NOTE, "AgAC-after")
    [rating] = to(await said(store), RESIDENT.chat_id)
    assert rating.photo == "AgAC-after"


async def test_a_stale_confirm_after_a_transfer_changes_nothing(
    desk: Desk, store: SqlStore
) -> None:
    """The worker transferred the task after writing the note: 确认 resolves nothing, tells the
    resident nothing, and says who holds the task now."""
    task_id = await _noted(desk, store)
    confirm = actions(_preview(await said(store)))[0]
    await desk.press(ZHANG, act(Verb.TRANSFER_TO, task_id, person_key(LI.user_id)), None)
    await said(store)
    before = (await task_of(store, task_id), await events_of(store, task_id))

    answer = await desk.press(private(ZHANG), confirm, None)
    number = before[0].number
    assert answer == Answer(texts.RESULT_NOW_WITH.format(number=number, worker="李四"), True)
    assert (await task_of(store, task_id), await events_of(store, task_id)) == before
    messages = await said(store)
    assert to(messages, RESIDENT.chat_id) == []
    assert [m.text for m in messages] == [answer.text]
    assert await _note_held(store) is None


async def test_a_second_confirm_or_a_forged_one_changes_nothing(
    desk: Desk, store: SqlStore
) -> None:
    """确认 twice tells the resident once; another worker pressing the same data does nothing."""
    task_id = await _noted(desk, store)
    confirm = actions(_preview(await said(store)))[0]
    number = (await task_of(store, task_id)).number
    forged = await desk.press(private(LI), confirm, None)
    assert forged == Answer(texts.RESULT_NOW_WITH.format(number=number, worker="张三"), True)
    assert (await task_of(store, task_id)).status is TaskStatus.CLAIMED
    await desk.press(private(ZHANG), confirm, None)
    assert len(to(await said(store), RESIDENT.chat_id)) == 1
    before = await events_of(store, task_id)
    assert await desk.press(private(ZHANG), confirm, None) == Answer(
        texts.RESULT_ALREADY_SENT.format(number=number), alert=True
    )
    assert await events_of(store, task_id) == before
    assert await said(store) == []


async def test_a_written_note_survives_a_restart(
    desk: Desk, store: SqlStore, tmp_path: Path, settings: Settings, language: Language
) -> None:
    """The note waiting for 确认 is stored: a desk on a freshly opened store confirms it."""
    task_id = await _noted(desk, store)
    confirm = actions(_preview(await said(store)))[0]
    clock = FakeClock(desk.context.clock())
    async with open_store(f"sqlite:///{tmp_path}/d.db", clock=clock) as reopened:
        context = Context(
            reopened, settings.require_org(), language, settings.deadlines, settings.timezone, clock
        )
        answer = await Desk(context).press(private(ZHANG), confirm, None)
    assert answer == Answer(texts.ANSWER_RESULT_SENT)
    assert (await task_of(store, task_id)).result == NOTE


# --- end to end ----------------------------------------------------------------------------------


async def test_a_colleagues_ack_never_reaches_the_resident(w: World) -> None:
    """The issue's case: "好的马上去" after 办结 is not a result; the resident first hears of the
    result when the worker confirms a real one."""
    resident, zhang = w.resident(), w.people["张三"]
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼2单元楼道灯坏了")
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    heard = len(w.chat(resident.id))
    await w.press(zhang, w.card(grid, "20261122-0001"), "办结")
    await w.say(zhang, "好的马上去")
    assert "具体是怎么处理的" in w.last(zhang.id).content
    await w.say(zhang, NOTE)
    preview = w.last(zhang.id)
    assert preview.content.startswith("将告知居民")
    assert len(w.chat(resident.id)) == heard
    assert "办理中" in w.card(grid, "20261122-0001").content

    await w.press(zhang, preview, "确认")
    result = w.last(resident.id)
    assert f"办理结果：{NOTE}" in result.content
    assert "好的马上去" not in "\n".join(m.content for m in w.chat(resident.id))
    assert f"办理结果：{NOTE}" in w.card(grid, "20261122-0001").content


async def test_the_preview_survives_a_restart_of_the_bot(
    database_url: str, cache_dir: Path
) -> None:
    """The bot restarts between the worker's note and the 确认: the 确认 still resolves."""
    async with BotApiStandIn(token=TOKEN) as standin:
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        resident, zhang, clock = standin.add_user(1001, "王阿姨"), people["张三"], nine_am()
        async with world(
            database_url, cache_dir, standin=standin, people=people, clock=clock
        ) as first:
            grid = first.group("xingan-1")
            await first.say(resident, "审计厅小区3号楼2单元楼道灯坏了")
            await first.press(zhang, first.card(grid, "20261122-0001"), "认领")
            await first.press(zhang, first.card(grid, "20261122-0001"), "办结")
            await first.say(zhang, NOTE)
            preview = first.last(zhang.id)
        async with world(
            database_url, cache_dir, standin=standin, people=people, clock=clock
        ) as second:
            await second.press(zhang, preview, "确认")
            assert f"办理结果：{NOTE}" in second.last(resident.id).content
