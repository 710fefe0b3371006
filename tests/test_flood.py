"""Flood: a resident who writes too fast is slowed kindly, and button-mashing claims once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.actions import Action, Verb
from bot.context import Actor
from bot.domain import EventKind, TaskStatus
from bot.settings import SettingsError, load_settings
from bot.throttle import Throttle, Verdict
from handlers.botapi_standin import User
from tests.clock import nine_am
from tests.harness import EXAMPLE, STEP_TIMEOUT, World

BURST = 10
"""config.example.toml's ``limits.resident_burst``; the world runs on that file."""


async def _flood(w: World, resident: User, texts_: list[str]) -> None:
    """Send all of ``texts_`` at once (no waiting in between), then wait for the bot."""
    last = 0
    for text in texts_:
        last = w.standin.send_text(resident, text)
    async with asyncio.timeout(STEP_TIMEOUT * 3):
        await w.bot.telegram.inbox.processed(last)
        await w.bot.telegram.outbox.settled()


@pytest.mark.asyncio
async def test_one_resident_flooding_is_throttled_without_slowing_anyone(w: World) -> None:
    """100 messages in an instant: a burst becomes tasks, the rest nothing, one kind warning."""
    flood = [f"审计厅小区{i}号楼楼道灯坏了" for i in range(1, 101)]
    flooder, calm = w.resident(1001), w.resident(1002, "李大爷")
    sender = asyncio.create_task(_flood(w, flooder, flood))
    receipt = await w.say(calm, "华建小区门口路灯不亮")
    await sender
    assert any("工单号：" in m.content for m in receipt if m.chat_id == calm.id)

    sent = w.chat(flooder.id)
    assert len([m for m in sent if m.content == texts.SLOW_DOWN]) == 1
    assert len([m for m in sent if "工单号：" in m.content]) == BURST
    async with w.bot.store.transaction() as tx:
        assert len(await tx.tasks_of_resident(1001, 500)) == BURST
        assert await tx.draft(1001) is None
        assert len(await tx.tasks_of_resident(1002, 10)) == 1

    # a minute later the bucket is full again, and a new flood is told once more
    w.clock.advance(timedelta(minutes=1))
    await _flood(w, flooder, [f"审计厅小区{i}号楼电梯坏了" for i in range(1, 16)])
    assert len([m for m in w.chat(1001) if m.content == texts.SLOW_DOWN]) == 2
    async with w.bot.store.transaction() as tx:
        assert len(await tx.tasks_of_resident(1001, 500)) == 2 * BURST


@pytest.mark.asyncio
async def test_workers_are_never_throttled(w: World) -> None:
    """A grid worker's private messages (result notes) are not counted by the flood guard."""
    zhang = w.people["张三"]
    await _flood(w, zhang, ["你好"] * (BURST + 5))
    assert all(m.content != texts.SLOW_DOWN for m in w.chat(zhang.id))


@pytest.mark.asyncio
async def test_button_mashing_claim_gives_one_claim(w: World) -> None:
    """20 presses of 认领 by two members at once, through Telegram: one claim, one event."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼又停水了")
    card = w.card(w.group("xingan-1"), "20261122-0001")
    zhang, li = w.people["张三"], w.people["李四"]
    answers = await asyncio.gather(
        *(w.press(zhang if i % 2 else li, card, texts.CLAIM) for i in range(20))
    )
    assert [a.text for a in answers].count(texts.ANSWER_CLAIMED) == 1
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
        assert task is not None
        assert task.status is TaskStatus.CLAIMED
        kinds = [e.kind for e in await tx.events(task.id)]
    assert kinds.count(EventKind.CLAIMED) == 1
    claimed_notices = [m for m in w.chat(resident.id) if "接单" in m.content]
    assert len(claimed_notices) == 1


@pytest.mark.asyncio
async def test_concurrent_claims_on_the_desk_give_one_claim(w: World) -> None:
    """20 claims racing as concurrent transactions on the store: exactly one wins."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼又停水了")
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    group = w.group("xingan-1")
    members = [Actor(2001, group, "张三"), Actor(2002, group, "李四")]
    data = Action(Verb.CLAIM, task.id).encode()
    answers = await asyncio.gather(
        *(w.bot.desk.press(members[i % 2], data, None) for i in range(20))
    )
    assert [a.text for a in answers].count(texts.ANSWER_CLAIMED) == 1
    async with w.bot.store.transaction() as tx:
        kinds = [e.kind for e in await tx.events(task.id)]
    assert kinds.count(EventKind.CLAIMED) == 1


def test_throttle_refills_on_the_clock_and_warns_once_a_window() -> None:
    """Burst, then the rate; one WARN per minute of flooding, silence in between."""
    clock = nine_am()
    throttle = Throttle(per_minute=6, burst=2, clock=clock)
    assert [throttle.check(1) for _ in range(4)] == [
        Verdict.ACCEPT, Verdict.ACCEPT, Verdict.WARN, Verdict.DROP,
    ]  # fmt: skip
    assert throttle.check(2) is Verdict.ACCEPT  # somebody else is not affected
    clock.advance(timedelta(seconds=10))  # 6 a minute: one token back
    assert throttle.check(1) is Verdict.ACCEPT
    assert throttle.check(1) is Verdict.DROP  # warned less than a minute ago
    clock.advance(timedelta(minutes=1))
    assert [throttle.check(1) for _ in range(3)] == [Verdict.ACCEPT, Verdict.ACCEPT, Verdict.WARN]
    assert Throttle(0, 1, clock).check(1) is Verdict.ACCEPT  # 0 a minute: off


def test_a_backlog_is_counted_by_when_it_was_sent() -> None:
    """After an outage, five messages written ten minutes apart are read in one instant: all
    accepted, because each counts at the time the resident sent it; the same five written in
    one instant would be a flood."""
    clock = nine_am()
    throttle = Throttle(per_minute=1, burst=2, clock=clock)
    written = [clock() - timedelta(minutes=10 * n) for n in range(5, 0, -1)]
    assert [throttle.check(1, at) for at in written] == [Verdict.ACCEPT] * 5
    assert [throttle.check(2, clock()) for _ in range(5)] == [
        Verdict.ACCEPT, Verdict.ACCEPT, Verdict.WARN, Verdict.DROP, Verdict.DROP,
    ]  # fmt: skip


def test_limits_come_from_the_config(tmp_path: Path) -> None:
    """[limits] is read and checked, with the key named in the error."""
    assert load_settings(EXAMPLE).limits.resident_burst == BURST
    text = EXAMPLE.read_text("utf-8")
    config = tmp_path / "c.toml"
    config.write_text(text.replace("resident_burst = 10", "resident_burst = 0"), "utf-8")
    with pytest.raises(SettingsError, match=r"limits\.resident_burst"):
        load_settings(config)
    config.write_text(
        text.replace("resident_messages_per_minute = 20", "resident_messages_per_minute = 5"),
        "utf-8",
    )
    assert load_settings(config).limits.resident_messages_per_minute == 5
