"""Flood: a resident who writes too fast is slowed kindly, and button-mashing claims once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.channels import telegram
from bot.config.settings import LimitSettings, Settings, SettingsError, load_settings
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor
from bot.desk.throttle import Throttle, Verdict
from bot.domain import EventKind, TaskStatus
from standins.telegram import User
from tests.clock import nine_am
from tests.harness import EXAMPLE, STEP_TIMEOUT, World, world

BURST = 10
"""config.example.toml's ``limits.resident_burst``; the world runs on that file."""


async def _flood(w: World, user: User, texts_: list[str], chat_id: int | None = None) -> None:
    """Send all of ``texts_`` at once (no waiting in between), then wait for the bot."""
    last = 0
    for text in texts_:
        last = w.standin.send_text(user, text, chat_id=chat_id)
    async with asyncio.timeout(STEP_TIMEOUT * 3):
        await w.bot.telegram.inbox.processed(last)
        await w.bot.telegram.outbox.settled()


def _limited(limits: LimitSettings) -> Callable[[Settings], Settings]:
    """The example settings with ``limits`` instead of their own."""
    return lambda settings: replace(settings, limits=limits)


def _replies(w: World, chat_id: int) -> list[str]:
    """What the bot said in ``chat_id`` other than the kind warning."""
    return [m.content for m in w.chat(chat_id) if not m.content.startswith(texts.SLOW_DOWN)]


def _warnings(w: World, chat_id: int) -> int:
    """How many times the bot asked ``chat_id`` to slow down."""
    return sum(m.content.startswith(texts.SLOW_DOWN) for m in w.chat(chat_id))


@pytest.mark.asyncio
async def test_one_resident_flooding_is_throttled_without_slowing_anyone(w: World) -> None:
    """100 messages in an instant: a burst becomes tasks, the rest nothing, one kind warning;
    a calm resident writing behind the whole flood is served as usual."""
    flooder, calm = w.resident(1001), w.resident(1002, "李大爷")
    for i in range(1, 101):
        w.standin.send_text(flooder, f"审计厅小区{i}号楼楼道灯坏了")
    queued = [u["message"]["from"]["id"] for u in w.standin.pending_updates]
    assert queued == [flooder.id] * 100  # the whole flood waits in Telegram, ahead of the calm
    receipt = await w.say(calm, "华建小区门口路灯不亮")
    assert any("工单号：" in m.content for m in receipt if m.chat_id == calm.id)
    assert _warnings(w, calm.id) == 0

    assert _warnings(w, flooder.id) == 1
    assert len([m for m in w.chat(flooder.id) if "工单号：" in m.content]) == BURST
    async with w.bot.store.transaction() as tx:
        assert len(await tx.tasks_of_resident(telegram(flooder.id), 500)) == BURST
        assert await tx.draft(telegram(flooder.id)) is None
        assert len(await tx.tasks_of_resident(telegram(calm.id), 10)) == 1

    # a minute later the bucket is full again, and a new flood is told once more
    w.clock.advance(timedelta(minutes=1))
    await _flood(w, flooder, [f"审计厅小区{i}号楼电梯坏了" for i in range(1, 16)])
    assert _warnings(w, flooder.id) == 2
    async with w.bot.store.transaction() as tx:
        assert len(await tx.tasks_of_resident(telegram(flooder.id), 500)) == 2 * BURST


@pytest.mark.asyncio
async def test_limits_from_the_config_reach_the_running_bot(
    database_url: str, cache_dir: Path, tmp_path: Path
) -> None:
    """A config with a burst of 3 and 2 a minute, not the defaults: the running bot takes 3 of
    8 messages at once, then one more after 30 seconds."""
    config = tmp_path / "c.toml"
    config.write_text(
        EXAMPLE.read_text("utf-8")
        .replace("resident_burst = 10", "resident_burst = 3")
        .replace("resident_messages_per_minute = 20", "resident_messages_per_minute = 2"),
        "utf-8",
    )
    limits = load_settings(config).limits
    assert limits != LimitSettings()  # the defaults would take all 8 messages below
    async with world(database_url, cache_dir, change=_limited(limits)) as w:
        resident = w.resident()
        await _flood(w, resident, [f"审计厅小区{i}号楼楼道灯坏了" for i in range(1, 9)])
        assert _warnings(w, resident.id) == 1
        async with w.bot.store.transaction() as tx:
            assert len(await tx.tasks_of_resident(telegram(resident.id), 50)) == 3

        w.clock.advance(timedelta(seconds=30))  # 2 a minute: one message's worth is back
        await _flood(w, resident, [f"审计厅小区{i}号楼电梯坏了" for i in range(1, 4)])
        assert _warnings(w, resident.id) == 1  # told less than a minute ago
        async with w.bot.store.transaction() as tx:
            assert len(await tx.tasks_of_resident(telegram(resident.id), 50)) == 4


@pytest.mark.asyncio
async def test_limits_of_zero_switch_the_guard_off_in_the_running_bot(
    database_url: str, cache_dir: Path
) -> None:
    """``resident_messages_per_minute = 0``: 15 messages at once, more than any burst, all
    become tasks and nobody is asked to slow down."""
    limits = LimitSettings(resident_messages_per_minute=0)
    async with world(database_url, cache_dir, change=_limited(limits)) as w:
        resident = w.resident()
        await _flood(w, resident, [f"审计厅小区{i}号楼楼道灯坏了" for i in range(1, 16)])
        assert _warnings(w, resident.id) == 0
        async with w.bot.store.transaction() as tx:
            assert len(await tx.tasks_of_resident(telegram(resident.id), 50)) == 15


@pytest.mark.asyncio
async def test_a_resident_flooding_commands_is_throttled(w: World) -> None:
    """40 commands at once (/my, /help, /start, /cancel, a mistyped one, and the workers' and
    admins' /tasks, /stats, /broadcasts typed by a resident): a burst is answered, the rest
    dropped after one kind warning, as with texts."""
    resident = w.resident()
    commands = ["/my", "/help", "/start", "/cancel 17", "/mistyped", "/tasks", "/stats"]
    commands = [*commands, "/broadcasts"] * 5
    await _flood(w, resident, commands)
    assert _warnings(w, resident.id) == 1
    assert len(_replies(w, resident.id)) == BURST
    assert w.last(resident.id).content == texts.SLOW_DOWN  # nothing answered after it
    # nothing reported yet: nothing to repeat, so no "不用重复发送"


@pytest.mark.asyncio
async def test_texts_and_commands_share_one_bucket(w: World) -> None:
    """A resident who used up the burst with texts is not answered /my until they slow down."""
    resident = w.resident()
    await _flood(w, resident, [f"审计厅小区{i}号楼楼道灯坏了" for i in range(1, BURST + 1)])
    assert _warnings(w, resident.id) == 0
    await _flood(w, resident, ["/my"] * 3)
    assert _warnings(w, resident.id) == 1
    assert w.last(resident.id).content == texts.SLOW_DOWN + texts.SLOW_DOWN_NO_REPEATS

    w.clock.advance(timedelta(minutes=1))
    reply = await w.say(resident, "/my")
    assert reply[-1].content.startswith(texts.MY_TASKS_HEADER.format(count=BURST))


@pytest.mark.asyncio
async def test_a_throttled_resident_presses_after_the_bucket_refills(w: World) -> None:
    """Presses take from the same bucket: after flooding /start (warned once), picking a
    community is silent until a minute has passed, then answers."""
    resident = w.resident()
    await _flood(w, resident, ["/start"] * (BURST + 5))
    assert _warnings(w, resident.id) == 1
    welcome = next(m for m in w.chat(resident.id) if m.content == texts.WELCOME)
    community = welcome.buttons[0][0][0]
    assert (await w.press(resident, welcome, community)).text in (None, "")
    assert w.last(resident.id).content == texts.SLOW_DOWN  # the press did nothing
    w.clock.advance(timedelta(minutes=1))
    answer = await w.press(resident, welcome, community)
    assert answer.text in (None, "")
    assert w.last(resident.id).content == texts.PICK_GRID


@pytest.mark.asyncio
async def test_a_pressing_loop_gets_one_toast_then_silence(w: World) -> None:
    """30 presses of a community button in an instant: a burst is answered, then one toast
    asks to slow down, then silence; nothing is written for the presses dropped."""
    resident = w.resident()
    [welcome] = await w.say(resident, "/start")  # one token
    community = welcome.buttons[0][0][0]
    answers = [(await w.press(resident, welcome, community)).text for _ in range(30)]
    assert answers[: BURST - 1] == [None] * (BURST - 1)
    assert answers[BURST - 1 :] == [texts.SLOW_DOWN_PRESS] + [None] * (30 - BURST)
    assert [m.content for m in w.chat(resident.id)].count(texts.PICK_GRID) == BURST - 1


@pytest.mark.asyncio
async def test_edits_are_counted_and_never_answered(w: World) -> None:
    """A resident editing a /my 30 times (PTB's command handlers also match edits): no edit
    is answered as a command, and the flood of edits earns the one kind warning."""
    resident = w.resident()
    await w.say(resident, "/my")
    last = 0
    for i in range(30):
        last = w.standin.edit_text(resident, 1, "/my" if i % 2 else "/my ")
    async with asyncio.timeout(STEP_TIMEOUT * 3):
        await w.bot.telegram.inbox.processed(last)
        await w.bot.telegram.outbox.settled()
    assert len(_replies(w, resident.id)) == 1  # the original /my
    assert _warnings(w, resident.id) == 1


@pytest.mark.asyncio
async def test_commands_in_a_group_we_do_not_serve_are_ignored(w: World) -> None:
    """Someone adds the bot to their own group and floods its commands: no reply at all, not
    even "this group is not known", and nothing is queued to send."""
    stranger, group = w.resident(5555, "路人甲"), -1009999999999
    w.standin.add_group(group, "闲聊群")
    commands = ["/tasks", "/mine", "/stats", "/my", "/broadcasts", "/start", "/nonsense"] * 5
    await _flood(w, stranger, commands, chat_id=group)
    assert w.chat(group) == []
    async with w.bot.store.transaction() as tx:
        assert await tx.pending_outbox(10) == []


@pytest.mark.asyncio
async def test_a_stranger_flooding_commands_in_a_served_group_is_dropped_quietly(
    w: World,
) -> None:
    """Someone in a grid's group who is in no config types /mine 30 times: a burst is answered
    (that they are not staff), the rest dropped without a warning in the group."""
    stranger, group = w.resident(5555, "路人甲"), w.group("xingan-1")
    await _flood(w, stranger, ["/mine"] * 30, chat_id=group)
    assert [m.content for m in w.chat(group)] == [texts.NOT_STAFF] * BURST


@pytest.mark.asyncio
async def test_workers_are_never_throttled(w: World) -> None:
    """A grid worker's private messages and commands, and commands in the group, are not
    counted by the flood guard: every one is answered."""
    zhang = w.people["张三"]
    await _flood(w, zhang, ["你好"] * (BURST + 5))
    await _flood(w, zhang, ["/help"] * (BURST + 5))
    assert _warnings(w, zhang.id) == 0
    assert _replies(w, zhang.id).count(texts.HELP) == BURST + 5

    group = w.group("xingan-1")
    await _flood(w, zhang, ["/tasks"] * (BURST + 5), chat_id=group)
    assert _warnings(w, group) == 0
    assert _replies(w, group).count(texts.NO_OPEN_TASKS) == BURST + 5


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
    claimed_notices = [m for m in w.chat(resident.id) if "接单，正在处理" in m.content]
    assert len(claimed_notices) == 1


@pytest.mark.asyncio
async def test_concurrent_claims_on_the_desk_give_one_claim(w: World) -> None:
    """20 claims racing as concurrent transactions on the store: exactly one wins."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼又停水了")
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    group = telegram(w.group("xingan-1"))
    members = [Actor(telegram(2001), group, "张三"), Actor(telegram(2002), group, "李四")]
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
    assert [throttle.check(telegram(1)) for _ in range(4)] == [
        Verdict.ACCEPT, Verdict.ACCEPT, Verdict.WARN, Verdict.DROP,
    ]  # fmt: skip
    assert throttle.check(telegram(2)) is Verdict.ACCEPT  # somebody else is not affected
    clock.advance(timedelta(seconds=10))  # 6 a minute: one token back
    assert throttle.check(telegram(1)) is Verdict.ACCEPT
    assert throttle.check(telegram(1)) is Verdict.DROP  # warned less than a minute ago
    clock.advance(timedelta(minutes=1))
    assert [throttle.check(telegram(1)) for _ in range(3)] == [
        Verdict.ACCEPT, Verdict.ACCEPT, Verdict.WARN,
    ]  # fmt: skip
    assert Throttle(0, 1, clock).check(telegram(1)) is Verdict.ACCEPT  # 0 a minute: off


def test_a_backlog_is_counted_by_when_it_was_sent() -> None:
    """After an outage, five messages written ten minutes apart are read in one instant: all
    accepted, because each counts at the time the resident sent it; the same five written in
    one instant would be a flood."""
    clock = nine_am()
    throttle = Throttle(per_minute=1, burst=2, clock=clock)
    written = [clock() - timedelta(minutes=10 * n) for n in range(5, 0, -1)]
    assert [throttle.check(telegram(1), at) for at in written] == [Verdict.ACCEPT] * 5
    assert [throttle.check(telegram(2), clock()) for _ in range(5)] == [
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
