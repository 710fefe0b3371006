"""Waiting messages to a WeChat resident go as one (issue 14, point 2: every message counts).

The rules of a run (:mod:`bot.sending.merging`) on their own, then the real bot: notices held
through the night reach the resident as one customer-service message in the morning, choices
last; a merged message refused for the window goes as each notice's own template; Telegram's
messages are never merged. Runs on SQLite and, when it answers, PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.channels import Channel, address
from bot.config.wechat import NoticeTemplate
from bot.desk.actions import Action, Verb
from bot.domain import Button, Outgoing
from bot.sending import merging
from tests.wechat_world import WeChatWorld, wechat_world

RESIDENT = address(Channel.WECHAT, "oRES1")
PROGRESS = NoticeTemplate("TPL_progress_0001", "character_string1", "thing2")
RATE = ((Button("满意", Action(Verb.RATE, 1, "satisfied").encode()),),)


def _text(words: str, **fields: object) -> Outgoing:
    return Outgoing(RESIDENT, words, **fields)  # type: ignore[arg-type]


def test_plain_messages_run_together_until_one_offers_choices() -> None:
    messages = [_text("甲"), _text("乙", buttons=RATE), _text("丙")]
    assert merging.run_length(messages) == 2
    together = merging.merged(messages[:2])
    assert together.text == "甲\n\n乙"
    assert together.buttons == RATE
    assert together.parts == 2


@pytest.mark.parametrize(
    "other",
    [
        _text("卡片", card_of=7),
        _text("", edit_card_of=7, live=True),
        _text("", delete_message_id=5),
        _text("照片", photo="file-1"),
    ],
    ids=["card", "live edit", "deletion", "photo"],
)
def test_a_card_an_edit_a_deletion_or_a_photo_goes_on_its_own(other: Outgoing) -> None:
    assert merging.run_length([_text("甲"), other, _text("乙")]) == 1
    assert merging.run_length([other, _text("甲")]) == 1


def test_choices_first_end_the_run_at_once() -> None:
    assert merging.run_length([_text("请选择", buttons=RATE), _text("甲")]) == 1


def test_a_run_stays_under_the_text_limit() -> None:
    half = "字" * (merging.MAX_MERGED_CHARACTERS // 2)
    assert merging.run_length([_text(half), _text(half), _text("甲")]) == 1
    assert merging.run_length([_text("字" * 2000), _text("甲")]) == 1, "a long one still goes"


def test_only_counted_channels_merge() -> None:
    assert merging.merges(RESIDENT)
    assert not merging.merges(address(Channel.TELEGRAM, 1001))
    assert not merging.merges(address(Channel.WECOM, "zhangsan"))
    assert not merging.merges("not an address")


async def _night_claim_and_result(ww: WeChatWorld) -> str:
    """A report at 09:00; 张三 claims and resolves it at 23:00, in quiet hours; the held notices
    are released at 07:00 and the outbox settles. The resident's OpenID."""
    w, resident = ww.w, ww.follower()
    await ww.says(resident, "审计厅小区3号楼2单元又停水了")
    w.clock.advance(timedelta(hours=14))  # 23:00
    grid, zhang = w.group("xingan-1"), w.people["张三"]
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    await w.press(zhang, w.card(grid, "20261122-0001"), "办结")
    await w.say(zhang, "已联系供水公司，管道抢修完毕")
    await w.press(zhang, w.last(zhang.id), "确认")
    await ww.settle()
    assert len(ww.wx.sent_to(resident)) == 1, "only the receipt before the morning"
    w.clock.advance(timedelta(hours=8, minutes=1))  # 07:01
    async with w.bot.store.transaction() as tx:
        assert await tx.release_held(w.clock()) == 2
    w.bot.telegram.outbox.wake()
    await ww.settle()
    return resident


@pytest.mark.asyncio
async def test_notices_held_through_the_night_reach_the_resident_as_one(
    database_url: str, cache_dir: Path
) -> None:
    """The claim and the result, both written at night, cost the resident's quota one
    message, not two: the claim first, the result and its rating choices last."""
    async with wechat_world(database_url, cache_dir) as ww:
        resident = await _night_claim_and_result(ww)
        sent = ww.wx.sent_to(resident)
        assert len(sent) == 2, [item.text for item in sent]
        morning = sent[-1].text or ""
        assert morning.index("已由张三接单") < morning.index("已办结")
        assert morning.endswith("回复数字即可：\n1. 满意\n2. 基本满意\n3. 不满意")

        thanks = await ww.says(resident, "1")
        assert any("谢谢您的评价" in text for text in thanks), "the number answers the rating"
        grid = ww.w.group("xingan-1")
        assert "居民评价：满意" in ww.w.card(grid, "20261122-0001").content
        async with ww.w.bot.store.transaction() as tx:
            health = await tx.outbox_health(ww.w.clock() - timedelta(days=2), ww.w.clock())
        assert (health.pending, health.failed) == (0, ()), "both rows recorded as sent"


@pytest.mark.asyncio
async def test_merged_notices_refused_for_the_window_go_as_their_own_templates(
    database_url: str, cache_dir: Path
) -> None:
    """Two days later the window is closed: the merged message is refused, and each notice
    goes as its own template (one template carries one notice), nothing lost."""
    async with wechat_world(database_url, cache_dir, template=PROGRESS) as ww:
        w, resident = ww.w, ww.follower()
        await ww.says(resident, "审计厅小区3号楼2单元又停水了")
        w.clock.advance(timedelta(hours=49))
        async with w.bot.store.transaction() as tx:
            await tx.enqueue(_resident(resident, "您反映的问题（20261122-0001）已由张三接单。"))
            await tx.enqueue(_resident(resident, "您反映的问题（20261122-0001）已办结。"))
        w.bot.telegram.outbox.wake()
        await ww.settle()
        templates = [item for item in ww.wx.sent_to(resident) if item.kind == "template"]
        assert [item.data["thing2"] for item in templates] == ["已由张三接单", "已办结"]


def _resident(openid: str, words: str) -> Outgoing:
    return Outgoing(address(Channel.WECHAT, openid), words)


@pytest.mark.asyncio
async def test_telegram_messages_are_never_merged(database_url: str, cache_dir: Path) -> None:
    async with wechat_world(database_url, cache_dir) as ww:
        w = ww.w
        zhang = w.people["张三"]
        before = len(w.chat(zhang.id))
        async with w.bot.store.transaction() as tx:
            await tx.enqueue(Outgoing(address(Channel.TELEGRAM, zhang.id), "第一条"))
            await tx.enqueue(Outgoing(address(Channel.TELEGRAM, zhang.id), "第二条"))
        w.bot.telegram.outbox.wake()
        await ww.settle()
        assert [m.content for m in w.chat(zhang.id)[before:]] == ["第一条", "第二条"]
