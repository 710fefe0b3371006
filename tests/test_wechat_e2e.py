"""Residents on WeChat, grid workers on Telegram, end to end (issue 14, point 2).

Tencent's calls come signed and encrypted (safe mode) from the callback driver into the bot's
real HTTP server; what the bot says to residents reaches the WeChat API stand-in, which keeps
WeChat's customer-service quota; the workers press real buttons on the Telegram stand-in. Runs
on SQLite and, when it answers, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.channels import Channel, address
from bot.config.wechat import NoticeTemplate
from bot.domain import Outgoing
from handlers.tencent.xml import XmlValue
from tests.wechat_world import WeChatWorld, wechat_world

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def ww(database_url: str, cache_dir: Path) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url, cache_dir) as running:
        yield running


async def test_wechat_resident_reports_and_rates_while_workers_use_telegram(
    ww: WeChatWorld,
) -> None:
    """A follower writes; the task reaches the grid's Telegram group; a worker claims and
    resolves it there; every notice reaches the resident on WeChat, choices as numbers."""
    w, resident = ww.w, ww.follower()
    replies = await ww.says(resident, "审计厅小区3号楼2单元又停水了")
    assert len(replies) == 1
    assert "工单号：20261122-0001" in replies[0]
    assert "负责：兴安南路第一网格" in replies[0]
    grid = w.group("xingan-1")
    card = w.card(grid, "20261122-0001")
    assert "地点：审计厅小区 3号楼2单元" in card.content

    zhang = w.people["张三"]
    await w.press(zhang, card, "认领")
    await ww.settle()
    assert "已由张三接单" in ww.texts(resident)[-1]
    assert "联系：没有可以直接联系居民的方式" in w.last(zhang.id).content

    await w.press(zhang, w.card(grid, "20261122-0001"), "办结")
    await w.say(zhang, "已联系供水公司，管道抢修完毕，下午两点恢复供水")
    await w.press(zhang, w.last(zhang.id), "确认")
    await ww.settle()
    rating = ww.texts(resident)[-1]
    assert "已办结" in rating
    assert "回复数字即可：\n1. 满意\n2. 基本满意\n3. 不满意" in rating

    thanks = await ww.says(resident, "1")
    assert any("谢谢您的评价" in text for text in thanks)
    assert "已完成（居民评价：满意）" in w.card(grid, "20261122-0001").content
    assert len(ww.wx.sent_to(resident)) <= 5, "within one window's customer-service quota"


async def test_a_retried_callback_is_one_message(ww: WeChatWorld) -> None:
    """WeChat repeats a message it thinks we missed (same MsgId): one task, one receipt."""
    resident = ww.follower()
    ww.wx.user_message(resident)
    fields: dict[str, XmlValue] = {"MsgType": "text", "Content": "华建小区路灯不亮了", "MsgId": 777}
    for _ in range(3):
        assert (await ww.post(resident, dict(fields))).outcome == "success"
    await ww.settle()
    receipts = [text for text in ww.texts(resident) if "工单号" in text]
    assert len(receipts) == 1


async def test_choices_by_number_by_words_and_by_a_new_follower(ww: WeChatWorld) -> None:
    """Following sends the welcome with numbered communities; a number or a choice's own words
    answer it, as a button press would."""
    resident = "oNEW1"
    welcome = await ww.event(resident, "subscribe")
    assert len(welcome) == 1
    assert "1. 兴安南路社区\n2. 四千米社区" in welcome[0]
    places = await ww.says(resident, "１")  # a full-width digit, as Chinese keyboards type it
    assert "1. 电影制片厂小区" in places[-1]
    bound = await ww.says(resident, "林业厅小区")
    assert "已登记您的地址：林业厅小区" in bound[-1]
    receipt = await ww.says(resident, "楼上天天半夜剁肉，吵得睡不着")
    assert "类别：噪音扰民" in receipt[-1]


async def test_a_number_answers_the_newest_message_only(ww: WeChatWorld) -> None:
    """Once a message without choices followed (the receipt), a "1" is not an answer to the
    choices of before: the resident's home stays as she chose it."""
    resident = "oNEW2"
    await ww.event(resident, "subscribe")
    await ww.says(resident, "1")
    bound = await ww.says(resident, "2")
    assert "已登记您的地址：审计厅小区" in bound[-1]
    await ww.says(resident, "3号楼又停水了")
    later = await ww.says(resident, "1")
    assert not any("已登记您的地址" in text for text in later)
    again = await ww.event(resident, "CLICK", "START")
    assert "您登记的地址是：审计厅小区" in again[-1]


async def test_commands_typed_on_wechat(ww: WeChatWorld) -> None:
    resident = ww.follower()
    await ww.says(resident, "审计厅小区3号楼又停水了")
    mine = await ww.says(resident, "/my")
    assert "20261122-0001" in mine[-1]
    helped = await ww.event(resident, "CLICK", "HELP")
    assert "使用说明" in helped[-1]


async def test_voice_with_and_without_recognition(ww: WeChatWorld) -> None:
    resident = ww.follower()
    typed = await ww.sends(resident, "voice", {"MediaId": "v1", "Format": "amr", "MsgId": 9001})
    assert "打字告诉我" in typed[-1]
    heard = await ww.sends(
        resident,
        "voice",
        {"MediaId": "v2", "Format": "amr", "Recognition": "审计厅小区3号楼停水了", "MsgId": 9002},
    )
    assert "工单号：20261122-0001" in heard[-1]


async def test_a_resident_beyond_the_window_is_recorded_not_lost(ww: WeChatWorld) -> None:
    """WeChat refuses a customer-service message once the resident's window has closed: the
    outbox gives it up with WeChat's reason, where ``griddesk doctor`` reads it."""
    w, resident = ww.w, ww.follower()
    await ww.says(resident, "审计厅小区3号楼2单元又停水了")
    w.clock.advance(timedelta(hours=49))
    card = w.card(w.group("xingan-1"), "20261122-0001")
    await w.press(w.people["张三"], card, "认领")
    await ww.settle()
    assert not any("已由张三接单" in text for text in ww.texts(resident))
    async with w.bot.store.transaction() as tx:
        health = await tx.outbox_health(w.clock() - timedelta(days=1), w.clock())
    reasons = [reason for reason, _ in health.failed]
    assert any("45015" in reason for reason in reasons), reasons


PROGRESS = NoticeTemplate(
    "TPL_progress_0001", "character_string1", "thing2", remark="thing3", time="time4"
)


async def test_notices_beyond_the_window_go_as_the_template(
    database_url: str, cache_dir: Path
) -> None:
    """Two days after the report the customer-service window is closed: the claim notice and
    the result go as template messages, the rating's choices in the remark; the resident's
    answer by number opens a new window and is read as the rating."""
    async with wechat_world(database_url, cache_dir, template=PROGRESS) as ww:
        w, resident = ww.w, ww.follower()
        await ww.says(resident, "审计厅小区3号楼2单元又停水了")
        w.clock.advance(timedelta(hours=49))
        grid, zhang = w.group("xingan-1"), w.people["张三"]
        await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
        await ww.settle()
        claimed = ww.wx.sent_to(resident)[-1]
        assert claimed.kind == "template"
        assert claimed.template_id == "TPL_progress_0001"
        assert claimed.data["character_string1"] == "20261122-0001"
        assert claimed.data["thing2"].startswith("已由张三接单")
        assert len(claimed.data["thing2"]) <= 20
        assert claimed.data["thing3"] == "发送 /my 查看详情"
        assert claimed.data["time4"] == "2026年11月24日 10:00"

        await w.press(zhang, w.card(grid, "20261122-0001"), "办结")
        await w.say(zhang, "已联系供水公司，管道抢修完毕")
        await w.press(zhang, w.last(zhang.id), "确认")
        await ww.settle()
        resolved = ww.wx.sent_to(resident)[-1]
        assert resolved.kind == "template"
        assert resolved.data["thing2"] == "已办结"
        assert resolved.data["thing3"] == "回复数字：1满意 2基本满意 3不满意"

        thanks = await ww.says(resident, "1")
        assert any("谢谢您的评价" in text for text in thanks)
        assert "居民评价：满意" in w.card(grid, "20261122-0001").content


async def test_a_broadcast_never_goes_as_a_template(database_url: str, cache_dir: Path) -> None:
    """A notice naming no task of the resident's is not theirs alone: outside the window it
    is recorded as not sent, not pushed as a template (WeChat's rules forbid that)."""
    async with wechat_world(database_url, cache_dir, template=PROGRESS) as ww:
        w, resident = ww.w, ww.follower()
        ww.wx.user_message(resident)
        w.clock.advance(timedelta(hours=49))
        async with w.bot.store.transaction() as tx:
            await tx.enqueue(Outgoing(address(Channel.WECHAT, resident), "明天上午停水检修。"))
        w.bot.telegram.outbox.wake()
        await ww.settle()
        assert ww.wx.sent_to(resident) == []
        async with w.bot.store.transaction() as tx:
            health = await tx.outbox_health(w.clock() - timedelta(days=1), w.clock())
        assert any("45015" in reason for reason, _ in health.failed)


async def test_a_wechat_message_does_not_wait_for_telegrams_long_poll(
    database_url: str, cache_dir: Path
) -> None:
    """While this instance long-polls Telegram (30 s here), a message WeChat brings is handled
    as soon as it is stored: the step's 10 s limit would run out otherwise."""
    async with wechat_world(database_url, cache_dir, poll_timeout=30) as ww:
        resident = ww.follower()
        replies = await ww.says(resident, "审计厅小区3号楼2单元又停水了")
        assert "工单号：20261122-0001" in replies[0]


@pytest_asyncio.fixture
async def both(database_url: str, cache_dir: Path) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url, cache_dir, workers_on_wecom=True) as running:
        yield running


async def test_wechat_resident_and_wecom_workers_close_the_loop(both: WeChatWorld) -> None:
    """The whole loop where it is practised: a resident on the 公众号, the grid's workers on
    WeCom. The card reaches each member of the grid; one claims it and the card changes for
    both; the result is confirmed in the worker's chat with the app; the resident rates."""
    ww, resident = both, both.follower()
    receipt = await ww.says(resident, "审计厅小区3号楼2单元又停水了")
    assert "工单号：20261122-0001" in receipt[0]
    for member in ("u2001", "u2002"):  # 张三 and 李四, the grid's members
        card = ww.card(member, "20261122-0001")
        assert [b.text for b in card.face.buttons] == ["认领", "合并", "改类别"]
        assert ("地点", "审计厅小区 3号楼2单元") in card.face.rows

    await ww.press("u2001", "20261122-0001", "认领")
    for member in ("u2001", "u2002"):
        card = ww.card(member, "20261122-0001")
        assert "认领，办理中" in " ".join(v for _, v in card.face.rows) + (card.face.desc or "")
        assert [b.text for b in card.face.buttons][:4] == ["办结", "转交", "上报", "退回"]
    assert "已由张三接单" in ww.texts(resident)[-1]

    await ww.press("u2001", "20261122-0001", "办结")
    assert "请回复工单 20261122-0001 的办理结果" in ww.texts_to("u2001")[-1]
    await ww.member_says("u2001", "已联系供水公司，管道抢修完毕，下午两点恢复供水")
    assert ww.wecom is not None
    preview = ww.wecom.cards("u2001")[-1]
    assert preview.face.title.startswith("将告知居民")
    await ww.press_on("u2001", preview, "确认")
    rating = ww.texts(resident)[-1]
    assert "已办结" in rating
    thanks = await ww.says(resident, "1")
    assert any("谢谢您的评价" in text for text in thanks)


async def test_doctor_counts_unsent_notices_under_one_reason(ww: WeChatWorld) -> None:
    """Two residents out of their window: two notices given up, counted under one reason
    (WeChat's per-request ``rid`` is not part of it), as ``griddesk doctor`` shows them."""
    w = ww.w
    for openid, text in (("oA", "审计厅小区3号楼2单元又停水了"), ("oB", "华建小区路灯不亮了")):
        ww.follower(openid)
        await ww.says(openid, text)
    w.clock.advance(timedelta(hours=49))
    await w.press(w.people["张三"], w.card(w.group("xingan-1"), "20261122-0001"), "认领")
    await w.press(w.people["王芳"], w.card(w.group("xingan-2"), "20261122-0002"), "认领")
    await ww.settle()
    async with w.bot.store.transaction() as tx:
        health = await tx.outbox_health(w.clock() - timedelta(days=1), w.clock())
    assert [count for reason, count in health.failed if "45015" in reason] == [2]
    assert not any("rid:" in reason for reason, _ in health.failed)
