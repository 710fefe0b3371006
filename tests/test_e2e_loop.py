"""The whole loop, end to end: real PTB Application ↔ HTTP ↔ Bot API stand-in, real database.

Each test is a dialogue: who does what, and what the bot then shows whom. Runs on SQLite and,
when it answers on 127.0.0.1:5432, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.databases import database_url
from tests.harness import World, world

__all__ = ["database_url"]
pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def w(database_url: str, cache_dir: Path) -> AsyncIterator[World]:
    async with world(database_url, cache_dir) as running:
        yield running


async def test_resident_report_is_claimed_resolved_and_rated(w: World) -> None:
    """A resident's message becomes a card; a worker claims, resolves; the resident rates."""
    resident = w.resident()
    zhang = w.people["张三"]
    grid = w.group("xingan-1")

    replies = await w.say(resident, "审计厅小区3号楼2单元又停水了，电话13804711234")
    receipt = next(m for m in replies if m.chat_id == resident.id)
    assert "工单号：20261122-0001" in receipt.content
    assert "类别：供水" in receipt.content
    assert "负责：兴安南路第一网格" in receipt.content
    card = w.card(grid, "20261122-0001")
    assert "地点：审计厅小区 3号楼2单元" in card.content
    assert "138****1234" in card.content
    assert "13804711234" not in card.content
    assert "识别依据：停水" in card.content
    assert [t for row in card.buttons for t, _ in row] == ["认领"]

    answer = await w.press(zhang, card, "认领")
    assert "认领成功" in (answer.text or "")
    card = w.card(grid, "20261122-0001")
    assert "张三 于" in card.content
    assert "认领，办理中" in card.content
    assert [t for row in card.buttons for t, _ in row] == ["办结", "转交", "上报", "退回"]
    assert "已由张三接单" in w.last(resident.id).content
    contact = w.last(zhang.id).content
    assert "13804711234" in contact
    assert "tg://user?id=1001" in contact

    await w.press(zhang, card, "办结")
    assert "请回复工单 20261122-0001 的办理结果" in w.last(zhang.id).content
    await w.say(zhang, "已联系供水公司，管道抢修完毕，下午两点恢复供水")
    card = w.card(grid, "20261122-0001")
    assert "办理结果：已联系供水公司" in card.content
    rating = w.last(resident.id)
    assert "已办结" in rating.content
    assert [t for row in rating.buttons for t, _ in row] == ["满意", "基本满意", "不满意"]

    await w.press(resident, rating, "满意")
    assert "已完成（居民评价：满意）" in w.card(grid, "20261122-0001").content
    assert "谢谢您的评价" in w.last(resident.id).content
