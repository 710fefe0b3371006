"""Telegram faults, end to end through the Bot API stand-in (issue 5, point 1; DESIGN.md §7).

For each fault Telegram can answer with, the outbox retries when it should (429 after
``retry_after``; 5xx, timeouts, dropped and reset connections after a backoff), gives up when it
should (a blocked resident, a chat that is gone) and says so to operators, and one failing chat
holds nobody else up. A card whose message is gone is posted anew; a group that became a
supergroup keeps receiving its cards, across a restart. Time moves only on the fake clock; the
outbox is awaited, never slept on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.channels import telegram
from bot.cli.main import main
from bot.config.settings import Settings
from bot.domain import Outgoing, TaskStatus
from bot.ports import OutboxHealth
from standins.telegram import FAULTS, BotApiStandIn
from tests.clock import nine_am
from tests.harness import EXAMPLE, TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio

NUMBER = "20261122-0001"
COMPLAINT = "审计厅小区3号楼停水了"
FIRST_BACKOFF = timedelta(seconds=1)
"""The outbox's first backoff after a network or server error (2**0 s)."""
SETTLE_LONG = 60.0
"""Seconds to let a 500-message backlog drain (one drain per ``per_chat`` messages)."""

Inject = Callable[[BotApiStandIn, int], None]
TRANSIENT: dict[str, Inject] = {
    "500": lambda s, chat: s.fail_next("sendMessage", *FAULTS["internal"], chat_id=chat),
    "502": lambda s, chat: s.gateway_error_next("sendMessage", chat_id=chat),
    "timeout": lambda s, chat: s.stall_next("sendMessage", chat_id=chat),
    "dropped": lambda s, chat: s.drop_next("sendMessage", chat_id=chat),
    "reset": lambda s, chat: s.reset_next("sendMessage", chat_id=chat),
}
GIVE_UP: dict[str, Inject] = {
    "blocked": lambda s, chat: s.fail_next("sendMessage", *FAULTS["blocked"], chat_id=chat),
    "chat_gone": lambda s, chat: s.fail_next("sendMessage", *FAULTS["chat_gone"], chat_id=chat),
}


def quick_world(database_url: str, cache_dir: Path) -> AbstractAsyncContextManager[World]:
    """The harness's world, but the bot waits 1 s (not 5) for an answer: timeouts come fast."""

    def quick(settings: Settings) -> Settings:
        return replace(settings, telegram=replace(settings.telegram, send_timeout=1))

    return world(database_url, cache_dir, change=quick)


async def _settle(w: World, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        await w.bot.telegram.outbox.settled()


async def _later(w: World, delay: timedelta) -> None:
    """Move the fake clock on and let the outbox send whatever became due."""
    w.clock.advance(delay)
    await _settle(w)


async def _health(w: World) -> OutboxHealth:
    now = w.clock()
    async with w.bot.store.transaction() as tx:
        return await tx.outbox_health(now - timedelta(days=7), now)


async def _status(w: World, number: str = NUMBER) -> TaskStatus:
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number(number)
    assert task is not None
    return task.status


def _receipts(w: World, chat_id: int) -> list[str]:
    return [m.content for m in w.chat(chat_id) if "工单号" in m.content]


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_network_and_server_errors_are_retried_after_a_backoff(
    database_url: str, cache_dir: Path, fault: str
) -> None:
    """5xx, a timeout, a dropped or reset connection: the receipt waits, then goes; the card
    to the group is not held up and the task stays open."""
    async with quick_world(database_url, cache_dir) as w:
        resident = w.resident()
        TRANSIENT[fault](w.standin, resident.id)
        await w.say(resident, COMPLAINT)
        assert _receipts(w, resident.id) == []
        assert len(w.chat(w.group("xingan-1"))) == 1  # the card went out regardless
        assert await _health(w) == OutboxHealth(pending=1, retrying=1, failed=())
        await _later(w, FIRST_BACKOFF)
        assert len(_receipts(w, resident.id)) == 1
        assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())
        assert await _status(w) is TaskStatus.OPEN


async def test_server_errors_give_a_broadcast_copy_up_after_max_attempts(
    w: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Five 500s in a row on one copy of a broadcast: backoffs of 1, 2, 4, 8 s, then an ERROR
    line and a failed count (a receipt or a card is never given up for transient trouble:
    tests/test_outbox_transient.py)."""
    resident = w.resident()
    w.standin.fail_next("sendMessage", *FAULTS["internal"], chat_id=resident.id, times=5)
    async with w.bot.store.transaction() as tx:
        await tx.enqueue_once([(Outgoing(telegram(resident.id), "明天上午停水"), "broadcast-copy")])
    await _settle(w)
    for seconds in (1, 2, 4, 8):
        assert (await _health(w)).pending == 1
        await _later(w, timedelta(seconds=seconds))
    assert w.chat(resident.id) == []
    assert await _health(w) == OutboxHealth(0, 0, (("Internal Server Error", 1),))
    assert any(
        r.levelno == logging.ERROR and "given up after 5 attempts" in r.getMessage()
        for r in caplog.records
    )


async def test_flood_wait_is_respected_to_the_second(w: World) -> None:
    """A 429 with retry_after 30 is not retried at 29 s, and is at 31 s."""
    resident = w.resident()
    flood, text = FAULTS["flood"]
    w.standin.fail_next(
        "sendMessage", flood, text.format(retry_after=30), retry_after=30, chat_id=resident.id
    )
    await w.say(resident, COMPLAINT)
    await _later(w, timedelta(seconds=29))
    assert _receipts(w, resident.id) == []
    assert (await _health(w)).retrying == 1
    await _later(w, timedelta(seconds=2))
    assert len(_receipts(w, resident.id)) == 1


@pytest.mark.parametrize("fault", GIVE_UP)
async def test_undeliverable_messages_are_given_up_and_counted(
    database_url: str,
    cache_dir: Path,
    fault: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Blocked, or chat not found: given up at once with a WARNING, counted by reason in
    ``griddesk doctor``; the task and everyone else's messages go on."""
    async with world(database_url, cache_dir) as w:
        resident, other = w.resident(1001, "王阿姨"), w.resident(1002, "李大爷")
        GIVE_UP[fault](w.standin, resident.id)
        await w.say(resident, COMPLAINT)
        await w.say(other, "审计厅小区门口路灯不亮")
        assert _receipts(w, resident.id) == []
        assert len(_receipts(w, other.id)) == 1
        assert len(w.chat(w.group("xingan-1"))) == 2
        assert await _status(w) is TaskStatus.OPEN
        reason = FAULTS[fault][1].removeprefix("Bad Request: ").capitalize()
        assert await _health(w) == OutboxHealth(0, 0, ((reason, 1),))
        assert any(
            r.levelno == logging.WARNING and "given up" in r.getMessage() for r in caplog.records
        )
    config = tmp_path / "griddesk.toml"
    example = EXAMPLE.read_text("utf-8")
    config.write_text(example.replace('url = "sqlite:///griddesk.db"', f'url = "{database_url}"'))
    assert database_url in config.read_text()
    capsys.readouterr()
    # the world's clock stands on 2026-11-22 whatever the date: the window is named
    command = ["doctor", "--config", str(config), "--since", "2026-11-22"]
    assert await asyncio.to_thread(main, command) == 0
    report = capsys.readouterr().out
    assert "outbox pending: 0" in report
    assert "outbox failed since 2026-11-22: 1" in report
    assert f"    1  {reason}" in report


async def test_an_edit_that_changes_nothing_counts_as_delivered(w: World) -> None:
    """ "Message is not modified" on a card edit is success: nothing retried, nothing failed."""
    resident, grid = w.resident(), w.group("xingan-1")
    await w.say(resident, COMPLAINT)
    w.standin.fail_next("editMessageText", *FAULTS["not_modified"], chat_id=grid)
    await w.press(w.people["张三"], w.card(grid, NUMBER), "认领")
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())
    assert await _status(w) is TaskStatus.CLAIMED


async def test_a_card_whose_message_is_gone_is_posted_anew(w: World) -> None:
    """ "Message to edit not found": the card is posted again, remembered, and edited later."""
    resident, grid, zhang = w.resident(), w.group("xingan-1"), w.people["张三"]
    await w.say(resident, COMPLAINT)
    w.standin.fail_next("editMessageText", *FAULTS["edit_gone"], chat_id=grid)
    await w.press(zhang, w.card(grid, NUMBER), "认领")
    cards = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert len(cards) == 2  # the stand-in still shows the "deleted" one
    reposted = cards[-1]
    assert "张三 于" in reposted.content
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number(NUMBER)
        assert task is not None
        assert await tx.card_message_id(task.id, telegram(grid)) == reposted.message_id
    await w.resolve(zhang, reposted, "已联系供水公司，管道抢修完毕")
    cards = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert len(cards) == 2  # edited in place, not posted a third time
    assert "办理结果：已联系供水公司" in w.latest(reposted).content
    assert await _health(w) == OutboxHealth(pending=0, retrying=0, failed=())


async def test_a_card_whose_reply_was_lost_is_posted_again_saying_so(w: World) -> None:
    """Telegram posted the card but the answer never came back: the outbox cannot tell, so it
    posts the card again, opening with the note that it stands in for an earlier copy; the
    second is the card kept current, and a press on the first acts on the task and takes the
    first down."""
    grid, zhang = w.group("xingan-1"), w.people["张三"]
    w.standin.lose_reply_next("sendMessage", chat_id=grid)
    await w.say(w.resident(), COMPLAINT)
    [first] = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert not first.content.startswith(texts.CARD_REPOSTED)
    await _later(w, FIRST_BACKOFF)
    both = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert [m.message_id for m in both[:1]] == [first.message_id]
    second = both[-1]
    assert second.message_id != first.message_id
    assert second.content.startswith(texts.CARD_REPOSTED)
    await w.press(zhang, first, "认领")
    cards = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert [m.message_id for m in cards] == [second.message_id]  # the old copy is gone
    assert "张三 于" in cards[0].content
    assert not cards[0].content.startswith(texts.CARD_REPOSTED)  # edits show the card alone
    async with w.bot.store.transaction() as tx:
        claimed = await tx.task_by_number(NUMBER)
        assert claimed is not None
        assert claimed.status is TaskStatus.CLAIMED
    await w.press(zhang, w.latest(second), "办结")  # the kept card is never taken down
    assert [m.message_id for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content] == [
        second.message_id
    ]


async def test_a_card_refused_with_429_is_posted_once_without_a_note(w: World) -> None:
    """A 429 means Telegram did not take the card: it goes out once, after the wait, plain."""
    grid = w.group("xingan-1")
    flood, text = FAULTS["flood"]
    w.standin.fail_next(
        "sendMessage", flood, text.format(retry_after=3), retry_after=3, chat_id=grid
    )
    await w.say(w.resident(), COMPLAINT)
    assert [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content] == []
    await _later(w, timedelta(seconds=4))
    [card] = [m for m in w.chat(grid) if f"工单 {NUMBER}｜" in m.content]
    assert not card.content.startswith(texts.CARD_REPOSTED)


async def test_a_migrated_group_keeps_its_cards_across_a_restart(
    database_url: str, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A group that became a supergroup: the card is re-sent to the new id, the move is stored
    and logged, and after a restart cards go straight to the new id (config names the old)."""
    async with BotApiStandIn(token=TOKEN, bot_username="griddesk_bot") as standin:
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        clock = nine_am()
        resident = standin.add_user(1001, "王阿姨")
        async with world(database_url, cache_dir, standin=standin, people=people, clock=clock) as w:
            old = w.group("xingan-1")
            new = standin.migrate_group(old, -1009876543210).id
            await w.say(resident, COMPLAINT)
            assert w.chat(old) == []
            card = w.card(new, NUMBER)
            await w.press(w.people["张三"], card, "认领")
            assert "张三 于" in w.card(new, NUMBER).content
            async with w.bot.store.transaction() as tx:
                assert await tx.chat_moves() == {telegram(old): telegram(new)}
            assert any(
                r.levelno == logging.WARNING
                and f"chat {telegram(old)} moved to {telegram(new)}" in r.getMessage()
                for r in caplog.records
            )
        async with world(
            database_url, cache_dir, standin=standin, people=people, clock=clock
        ) as again:
            await again.say(resident, "审计厅小区门口路灯不亮")
            assert len([m for m in again.chat(new) if "工单 " in m.content]) == 2
            to_old = [
                c for c in standin.calls if c.method == "sendMessage" and c.params["chat_id"] == old
            ]
            assert len(to_old) == 1  # only the first card ever tried the old id
            assert await _health(again) == OutboxHealth(pending=0, retrying=0, failed=())


async def test_a_group_announced_as_moved_is_served_under_its_new_id(w: World) -> None:
    """Telegram's service messages say the group moved: the bot remembers it, so cards go
    straight to the new id and /tasks typed there lists the grid's tasks."""
    old, zhang = w.group("xingan-1"), w.people["张三"]
    new = w.standin.migrate_group(old, -1009876543211, by=zhang).id
    announced = max(u["update_id"] for u in w.standin.pending_updates)  # both service messages
    await w.bot.telegram.inbox.processed(announced)
    async with w.bot.store.transaction() as tx:
        assert await tx.chat_moves() == {telegram(old): telegram(new)}
    await w.say(w.resident(), COMPLAINT)
    assert f"工单 {NUMBER}｜" in w.card(new, NUMBER).content
    assert not [c for c in w.standin.calls if c.params.get("chat_id") == old]  # never tried
    [listing] = await w.say(zhang, "/tasks", chat_id=new)
    assert NUMBER in listing.content
    await w.press(zhang, w.card(new, NUMBER), "认领")
    assert "张三 于" in w.card(new, NUMBER).content


async def test_a_flooded_group_backlog_does_not_delay_a_resident(w: World) -> None:
    """500 queued group messages under a 429 do not hold up a resident's receipt; when the
    wait is over they all go, in the order written."""
    resident, grid = w.resident(), w.group("xingan-1")
    async with w.bot.store.transaction() as tx:
        await tx.enqueue_many([Outgoing(telegram(grid), f"通知 {i}") for i in range(500)])
    flood, text = FAULTS["flood"]
    w.standin.fail_next(
        "sendMessage", flood, text.format(retry_after=60), retry_after=60, chat_id=grid
    )
    await w.say(resident, COMPLAINT)
    assert len(_receipts(w, resident.id)) == 1
    assert w.chat(grid) == []
    w.clock.advance(timedelta(seconds=61))
    await _settle(w, SETTLE_LONG)
    sent = [m.content for m in w.chat(grid)]
    assert sent[:500] == [f"通知 {i}" for i in range(500)]
    assert f"工单 {NUMBER}｜" in sent[500]
