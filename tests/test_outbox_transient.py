"""A 429 is not a failure, and transient trouble loses nothing that matters (issue point 8).

End to end through the Bot API stand-in, on SQLite and PostgreSQL: a wait Telegram asks for
never counts towards giving a message up; a resident's receipt and a task's card wait out an
outage of any length (backing off to at most five minutes, shown as retrying meanwhile) and are
given up only for a permanent reason; a card lost because the bot was removed from its group,
or the group was not found, is posted again — once, as the task stands then — when that group
takes a message again. Time moves only on the fake clock; the outbox is awaited, never slept on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot import texts
from bot.channels import telegram
from bot.domain import Outgoing
from bot.ports import OutboxHealth
from standins.telegram import FAULTS, BotApiStandIn
from tests.harness import World

pytestmark = pytest.mark.asyncio

NUMBER = "20261122-0001"
COMPLAINT = "审计厅小区3号楼停水了"
DETAIL = "从早上就没有"
MAX_ATTEMPTS = 5
"""The outbox's default ``max_attempts``."""
OUTAGE = (1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300)
"""The backoffs, in seconds, after the first eleven of twelve failures: doubling, capped at
five minutes (the twelfth is followed by another 300)."""
KICKED = (403, "Forbidden: bot was kicked from the group chat")

Inject = Callable[[BotApiStandIn, int, int], None]
TRANSIENT: dict[str, Inject] = {
    "500": lambda s, chat, n: s.fail_next(
        "sendMessage", *FAULTS["internal"], chat_id=chat, times=n
    ),
    "502": lambda s, chat, n: s.gateway_error_next("sendMessage", chat_id=chat, times=n),
    "dropped": lambda s, chat, n: s.drop_next("sendMessage", chat_id=chat, times=n),
    "reset": lambda s, chat, n: s.reset_next("sendMessage", chat_id=chat, times=n),
    "401": lambda s, chat, n: s.fail_next(
        "sendMessage", 401, "Unauthorized", chat_id=chat, times=n
    ),
}
UNREACHABLE: dict[str, tuple[int, str]] = {"kicked": KICKED, "chat_gone": FAULTS["chat_gone"]}


async def _settle(w: World) -> None:
    async with asyncio.timeout(10.0):
        await w.bot.telegram.outbox.settled()


async def _later(w: World, seconds: float) -> None:
    """Move the fake clock on and let the outbox send whatever became due."""
    w.clock.advance(timedelta(seconds=seconds))
    await _settle(w)


async def _health(w: World) -> OutboxHealth:
    now = w.clock()
    async with w.bot.store.transaction() as tx:
        return await tx.outbox_health(now - timedelta(days=7), now)


def _receipts(w: World, chat_id: int) -> list[str]:
    return [m.content for m in w.chat(chat_id) if "工单号" in m.content]


def _cards(w: World, chat_id: int, number: str = NUMBER) -> list[str]:
    return [m.content for m in w.chat(chat_id) if f"工单 {number}｜" in m.content]


def _flood(standin: BotApiStandIn, chat_id: int, times: int, seconds: int = 2) -> None:
    flood, text = FAULTS["flood"]
    standin.fail_next(
        "sendMessage",
        flood,
        text.format(retry_after=seconds),
        retry_after=seconds,
        chat_id=chat_id,
        times=times,
    )


async def _send_to_many(w: World, chat_id: int, text: str) -> None:
    """Queue one copy of a broadcast (a fan-out message, keyed like a broadcast run's)."""
    async with w.bot.store.transaction() as tx:
        await tx.enqueue_once([(Outgoing(telegram(chat_id), text), f"test:{chat_id}")])
    await _settle(w)


async def test_429s_beyond_max_attempts_never_give_a_receipt_up(
    w: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Eight 429s in a row, more than ``max_attempts``: each wait is kept, none counts, and the
    receipt arrives; nothing is given up and nothing is reported as failing."""
    resident = w.resident()
    _flood(w.standin, resident.id, times=8)
    await w.say(resident, COMPLAINT)
    for _ in range(8):
        assert _receipts(w, resident.id) == []
        assert await _health(w) == OutboxHealth(pending=1, retrying=1, failed=())
        await _later(w, 2)
    assert len(_receipts(w, resident.id)) == 1
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_429s_never_give_up_even_one_copy_of_a_broadcast(w: World) -> None:
    """A 429 is no failure for any message: a broadcast copy, which transient failures may
    give up, still waits out more 429s than ``max_attempts``."""
    resident = w.resident()
    _flood(w.standin, resident.id, times=MAX_ATTEMPTS + 2)
    await _send_to_many(w, resident.id, "明天上午停水")
    for _ in range(MAX_ATTEMPTS + 2):
        await _later(w, 2)
    assert [m.content for m in w.chat(resident.id)] == ["明天上午停水"]
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_a_receipt_waits_out_a_long_outage(
    w: World, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Twelve transient failures (5xx, dropped or reset connections, a refused token): the
    receipt is retried after 1, 2, 4 … s, then every 5 min, shown as retrying throughout,
    with one WARNING once it failed ``max_attempts`` times; it arrives when Telegram does."""
    resident = w.resident()
    TRANSIENT[fault](w.standin, resident.id, len(OUTAGE) + 1)
    await w.say(resident, COMPLAINT)
    for seconds in OUTAGE:
        assert _receipts(w, resident.id) == []
        assert await _health(w) == OutboxHealth(pending=1, retrying=1, failed=())
        await _later(w, seconds)
    await _later(w, 299)  # the twelfth failure waits the capped five minutes too
    assert _receipts(w, resident.id) == []
    await _later(w, 1)
    assert len(_receipts(w, resident.id)) == 1
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m for m in warnings if "still failing" in m] == [
        m for m in warnings if f"still failing after {MAX_ATTEMPTS} attempts" in m
    ]
    assert len([m for m in warnings if "still failing" in m]) == 1


async def test_a_card_waits_out_a_long_outage_and_is_posted_once(w: World) -> None:
    """Ten 502s on the group: the card is never given up; it is posted once when the group's
    Telegram answers again, and the task can be claimed from it."""
    grid = w.group("xingan-1")
    w.standin.gateway_error_next("sendMessage", chat_id=grid, times=10)
    await w.say(w.resident(), COMPLAINT)
    for seconds in OUTAGE[:10]:
        assert _cards(w, grid) == []
        assert await _health(w) == OutboxHealth(pending=1, retrying=1, failed=())
        await _later(w, seconds)
    assert len(_cards(w, grid)) == 1
    await w.press(w.people["张三"], w.card(grid, NUMBER), "认领")
    assert "张三 于" in w.card(grid, NUMBER).content
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())


@pytest.mark.parametrize("fault", UNREACHABLE)
async def test_a_card_lost_to_an_unreachable_group_is_posted_again_when_it_is_back(
    w: World, fault: str
) -> None:
    """The bot was removed from the group (or it was not found) when the card and then the
    resident's detail went out: both are given up and counted. The next message the group
    takes (a worker's /tasks) brings the card back once, as the task stands now (with the
    detail); it is the card later edits go to, and further sends do not post it again."""
    grid, zhang, resident = w.group("xingan-1"), w.people["张三"], w.resident()
    code, description = UNREACHABLE[fault]
    w.standin.fail_next("sendMessage", code, description, chat_id=grid, times=2)
    await w.say(resident, COMPLAINT)
    w.clock.advance(timedelta(minutes=3))
    await w.say(resident, DETAIL)  # the card's edit: no card to edit, so it is posted: refused
    assert _cards(w, grid) == []
    reason = description.removeprefix("Bad Request: ").capitalize()
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=((reason, 2),))

    await w.say(zhang, "/tasks", chat_id=grid)  # the group is back: the listing goes out
    [card] = _cards(w, grid)
    assert DETAIL in card
    assert not card.startswith(texts.CARD_REPOSTED)  # Telegram refused the first: no copy
    await w.press(zhang, w.card(grid, NUMBER), "认领")
    assert "张三 于" in w.card(grid, NUMBER).content  # edited in place
    await w.say(zhang, "/tasks", chat_id=grid)
    assert len(_cards(w, grid)) == 1
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=((reason, 2),))
