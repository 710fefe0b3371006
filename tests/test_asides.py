"""Messages that are not a new report: thanks get a kind word, details join the task just filed.

Before: "谢谢" got the hint on how to report, "从早上就没有" a minute after a report too, and a
second photo of the same problem opened a new "what does the photo show?" question.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb
from bot.desk.asides import is_courtesy
from bot.desk.desk import Desk
from bot.domain import EventKind
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    RESIDENT,
    ZHANG,
    act,
    clock,
    desk,
    draft_of,
    events_of,
    latest_task,
    said,
    settings,
    store,
    task_of,
    to,
)

REPORT = "审计厅小区3号楼又停水了"


@pytest.mark.parametrize(
    "text",
    [
        "谢谢",
        "谢谢！",
        "好的",
        "好的，谢谢您",
        "嗯嗯",
        "收到",
        "辛苦了！！",
        "OK",
        "👍",
        "🙏🙏",
        "👍🏻",
    ],
)
def test_thanks_and_acknowledgements_are_courtesies(text: str) -> None:
    assert is_courtesy(text)


@pytest.mark.parametrize(
    "text",
    [
        "谢谢你们上次修水管",
        "好的停水了",
        "不好",
        "还没好",
        "没水",
        "3号楼",
        "",
        "😡🔥",
        "\u200b\u202e",
    ],
)
def test_anything_more_is_not_a_courtesy(text: str) -> None:
    assert not is_courtesy(text)


@pytest.mark.asyncio
async def test_thanks_get_a_kind_word_naming_the_open_task(desk: Desk, store: SqlStore) -> None:
    await desk.private_message(RESIDENT, "谢谢", None, None)
    assert [m.text for m in await said(store)] == [texts.WELCOME_THANKS]
    await desk.private_message(RESIDENT, REPORT, None, None)
    await said(store)
    await desk.private_message(RESIDENT, "好的，谢谢！", None, None)
    assert [m.text for m in await said(store)] == [
        texts.WELCOME_THANKS_PENDING.format(number="20261122-0001")
    ]


@pytest.mark.asyncio
async def test_a_detail_minutes_later_joins_the_task_just_filed(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """ "从早上就没有" and a building, then a photo: added to the task, the card shows them, the
    claimer hears them, the resident is told once each; no second task, no question."""
    await desk.private_message(RESIDENT, REPORT, None, None)
    task = await latest_task(store)
    assert task is not None
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    await said(store)

    clock.advance(timedelta(minutes=3))
    await desk.private_message(RESIDENT, "从早上就没有", None, None)
    messages = await said(store)
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.DETAIL_ADDED.format(number=task.number)
    ]
    assert to(messages, ZHANG.user_id)[0].text == "工单 20261122-0001 居民补充：从早上就没有"
    [card] = to(messages, GRID1_CHAT)
    assert card.edit_card_of == task.id

    clock.advance(timedelta(minutes=3))
    await desk.private_message(RESIDENT, "", "photo-tap", None)
    assert [m.text for m in to(await said(store), RESIDENT.chat_id)] == [
        texts.DETAIL_ADDED.format(number=task.number)
    ]
    assert await draft_of(store) is None
    now = await task_of(store, task.id)
    assert now.text == f"{REPORT}\n补充：从早上就没有\n补充：照片"
    assert now.photos == ("photo-tap",)
    assert [e.note for e in await events_of(store, task.id) if e.kind is EventKind.ADDED] == [
        "从早上就没有",
        "",
    ]
    assert (await latest_task(store)) == now  # still one task


@pytest.mark.asyncio
async def test_what_is_not_a_detail_is_a_report_of_its_own(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Another problem, another place, a long message, or an hour later: not added."""
    await desk.private_message(RESIDENT, REPORT, None, None)
    first = await latest_task(store)
    assert first is not None
    await said(store)
    await desk.private_message(RESIDENT, "审计厅小区3号楼楼道灯也坏了", None, None)
    second = await latest_task(store)
    assert second is not None
    assert second.id != first.id  # a problem of its own
    await said(store)
    await desk.private_message(RESIDENT, "华建小区那边", None, None)
    assert "补充" not in (await task_of(store, second.id)).text  # another place
    await said(store)
    clock.advance(timedelta(hours=1))
    await desk.private_message(RESIDENT, "", "photo-later", None)
    assert [m.text for m in to(await said(store), RESIDENT.chat_id)] == [texts.ASK_TEXT]
    assert (await task_of(store, second.id)).photos == ()
