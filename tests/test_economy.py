"""Every message to a resident counts: WeChat allows a handful after each of theirs.

On the happy path a resident receives at most four messages per report — the receipt, the
claim, the result with its rating buttons, the thanks — counted end to end through the Bot
API stand-in, with the messages the bot sent (edits of a sent message are not new messages).
The paths with a question, a slip or a night in between are counted too, so a change that adds
a message to any of them shows here.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from standins.telegram import User
from tests.harness import World

pytestmark = pytest.mark.asyncio

GRID = "xingan-1"
NUMBER = "20261122-0001"


def firsts(w: World, chat_id: int) -> list[str]:
    """The first line of each message the resident received, in order."""
    return [m.content.splitlines()[0] for m in w.chat(chat_id)]


async def claim_resolve_rate(w: World, resident: User) -> None:
    zhang = w.people["张三"]
    await w.press(zhang, w.card(w.group(GRID), NUMBER), "认领")
    await w.resolve(zhang, w.card(w.group(GRID), NUMBER), "已联系供水公司，管道修好了")
    await w.press(resident, w.last(resident.id), "满意")


async def tick(w: World) -> None:
    """What the scheduler does every minute, as of the world's clock."""
    await w.bot.followup.tick(w.clock())
    await w.bot.telegram.outbox.settled()


async def test_the_happy_path_is_four_messages(w: World) -> None:
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼又停水了")
    await claim_resolve_rate(w, resident)
    assert firsts(w, resident.id) == [
        "已收到您反映的问题，已转给网格员处理。",
        f"您反映的问题（{NUMBER}）已由张三接单，正在处理，11月25日 09:00前办好。",
        f"您反映的问题（{NUMBER}）已办结。",
        "谢谢您的评价！有问题随时找我们。",
    ]


async def test_asked_where_adds_only_the_question(w: World) -> None:
    """A report that names no place costs one message more: the question it needed."""
    resident = w.resident()
    await w.say(resident, "3号楼又停水了")
    await w.say(resident, "审计厅小区")
    await claim_resolve_rate(w, resident)
    assert len(w.chat(resident.id)) == 5
    assert firsts(w, resident.id)[0].startswith("收到。为了转给负责的网格员")


async def test_a_slip_adds_one_message_and_a_detail_one_reply(w: World) -> None:
    """Unclaimed past its window: one notice with the reason and the new time, nothing for the
    reminder; a detail the resident adds gets one short reply."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼又停水了")
    await w.say(resident, "从早上就没有")
    for _ in range(3):
        w.clock.advance(timedelta(hours=1, minutes=1))
        await tick(w)
    assert firsts(w, resident.id)[1:] == [
        f"好的，已补充到工单 {NUMBER}，处理的工作人员能看到。",
        f"您反映的问题（{NUMBER}）没能在约定时间内安排上人员，很抱歉，已上报兴安南路社区，"
        "由他们安排人员处理，今天 14:00前有人接单、11月25日 12:00前办好。",
    ]
