"""Cards posted with a photo are edited through their caption, at every step of the loop.

Telegram refuses ``editMessageText`` on a photo ("there is no text in the message to edit"),
and the stand-in answers the same; a photo card must still follow its task to the end.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.domain import TaskStatus
from standins.telegram import MAX_CAPTION
from tests.harness import World

pytestmark = pytest.mark.asyncio

NUMBER = "20261122-0001"
REPORT = "审计厅小区3号楼2单元又停水了，电话13804711234"


async def _tick(w: World) -> None:
    await w.bot.followup.tick(w.clock())
    await w.bot.telegram.outbox.settled()


async def test_a_photo_report_is_claimed_resolved_rated_and_closed(w: World) -> None:
    """Every step edits the photo card's caption: claim, 办结 with a note, the rating."""
    resident, zhang, grid = w.resident(), w.people["张三"], w.group("xingan-1")
    await w.send_photo(resident, caption=REPORT)
    card = w.card(grid, NUMBER)
    assert card.photo is not None
    assert "138****1234" in card.content

    await w.press(zhang, card, "认领")
    card = w.card(grid, NUMBER)
    assert "张三 于" in card.content
    assert [t for row in card.buttons for t, _ in row] == [
        "办结",
        "转交",
        "上报",
        "退回",
        "合并",
        "改类别",
    ]

    await w.resolve(zhang, card, "已联系供水公司，管道抢修完毕")
    card = w.card(grid, NUMBER)
    assert "办理结果：已联系供水公司" in card.content
    assert "已办结，等待居民评价" in card.content

    await w.press(resident, w.last(resident.id), "满意")
    card = w.card(grid, NUMBER)
    assert "已完成（居民评价：满意）" in card.content
    assert card.photo is not None
    assert [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content] == [card]
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number(NUMBER)
    assert task is not None
    assert task.status is TaskStatus.CLOSED


async def test_reminders_and_escalation_edit_a_photo_card(w: World) -> None:
    """The follow-up engine's live cards reach a photo card too: overdue, then escalated away."""
    grid = w.group("xingan-1")
    await w.send_photo(w.resident(), caption=REPORT)
    w.clock.advance(timedelta(hours=2))
    await _tick(w)
    assert texts.OVERDUE_CLAIM in w.card(grid, NUMBER).content
    w.clock.advance(timedelta(hours=1))
    await _tick(w)
    assert "已上报至兴安南路社区" in w.card(grid, NUMBER).content
    community = w.card(w.group("xingannanlu"), NUMBER)
    assert community.photo is not None
    await w.press(w.people["刘书记"], community, "认领")
    assert "刘书记 于" in w.card(w.group("xingannanlu"), NUMBER).content


async def test_a_photo_card_whose_reply_was_lost_is_reposted_with_its_photo(w: World) -> None:
    """The re-post path sends the photo again, and later edits reach the kept copy's caption."""
    grid, zhang = w.group("xingan-1"), w.people["张三"]
    w.standin.lose_reply_next("sendPhoto", chat_id=grid)
    await w.send_photo(w.resident(), caption=REPORT)
    w.clock.advance(timedelta(seconds=5))
    await w.bot.telegram.outbox.settled()
    first, second = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert first.photo is not None
    assert second.photo is not None
    assert second.content.startswith(texts.CARD_REPOSTED)
    await w.press(zhang, second, "认领")
    assert "张三 于" in w.latest(second).content


async def test_a_long_caption_cuts_the_residents_words_never_the_status(w: World) -> None:
    """A caption holds 1,024 characters: the resident's text is cut with …, the deadline,
    status and buttons stay."""
    grid, zhang = w.group("xingan-1"), w.people["张三"]
    long_report = (
        "审计厅小区3号楼2单元又停水了，" + "从早上到现在一直没有水，家里老人孩子都等着用水。" * 40
    )
    await w.send_photo(w.resident(), caption=long_report)
    card = w.card(grid, NUMBER)
    assert len(card.content) <= MAX_CAPTION
    assert "…" in card.content
    assert "时限：" in card.content
    assert card.content.rstrip().endswith("状态：待认领")
    await w.press(zhang, card, "认领")
    card = w.card(grid, NUMBER)
    assert len(card.content) <= MAX_CAPTION
    assert "张三 于" in card.content
    await w.resolve(zhang, card, "已修好。" * 150)
    card = w.card(grid, NUMBER)
    assert len(card.content) <= MAX_CAPTION
    assert "已办结，等待居民评价" in card.content
