"""Several instances on one database and one Telegram (DESIGN.md §9): each update is handled
exactly once, one instance polls at a time, a dead poller is replaced within seconds, and a 409
that is not ours is named in the log and in ``griddesk doctor``.

The instances are whole running bots (the harness's worlds), each with its own engine, sharing a
database and the Bot API stand-in as instances behind a load balancer share PostgreSQL and
Telegram. The last test is about one runtime's start-up: interrupted, it closes what it opened.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.channels import telegram
from bot.cli.main import main
from bot.config.settings import Settings, TelegramSettings
from bot.desk.context import Context
from bot.desk.desk import Desk
from bot.domain import Outgoing
from bot.errors import AlreadyProcessed
from bot.language import Language
from bot.sending.stopping import StopSignal
from handlers.telegram.polling import LEASE_TIME, Poller
from handlers.telegram.runtime import TelegramRuntime
from handlers.telegram.webhook import chat_lane
from standins.telegram import BotApiStandIn, User
from storage.engine import open_store
from tests.clock import FakeClock, nine_am
from tests.harness import EXAMPLE, STEP_TIMEOUT, TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio

_ANOTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_SET = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class Fleet:
    """Instances of the example org's bot on one database and one stand-in."""

    standin: BotApiStandIn
    clock: FakeClock
    instances: list[World]
    stacks: list[AsyncExitStack]

    def poller(self) -> World:
        """The one instance that polls Telegram."""
        polling = [w for w in self.instances if w.bot.telegram.inbox.polling]
        assert len(polling) == 1, f"{len(polling)} instances poll"
        return polling[0]

    def residents(self, count: int, first_id: int) -> list[User]:
        return [self.standin.add_user(first_id + n, f"居民{n}") for n in range(count)]

    async def receipt(self, user: User) -> None:
        """Until the bot's receipt (a task number) reaches ``user``."""
        await self.standin.wait_for(
            lambda m: m.chat_id == user.id and "工单号" in m.content, timeout=STEP_TIMEOUT
        )


@asynccontextmanager
async def fleet(
    database_url: str, cache_dir: Path, count: int, standin: BotApiStandIn | None = None
) -> AsyncIterator[Fleet]:
    """``count`` instances, all started at once, on ``standin`` (a fresh one by default);
    each can be stopped on its own."""
    clock = nine_am()
    async with AsyncExitStack() as outer:
        if standin is None:
            standin = await outer.enter_async_context(
                BotApiStandIn(token=TOKEN, clock=lambda: clock().timestamp())
            )
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        stacks = [AsyncExitStack() for _ in range(count)]
        for stack in stacks:
            outer.push_async_callback(stack.aclose)  # stopped in reverse order, if still up
        instances = await asyncio.gather(  # at the same moment, as after a deploy
            *(
                stack.enter_async_context(
                    world(database_url, cache_dir, standin=standin, people=people, clock=clock)
                )
                for stack in stacks
            )
        )
        yield Fleet(standin, clock, list(instances), stacks)


async def _tasks_of(database_url: str, users: Sequence[User]) -> list[int]:
    async with open_store(database_url) as store, store.transaction() as tx:
        return [len(await tx.tasks_of_resident(telegram(user.id), 10)) for user in users]


def _receipts(standin: BotApiStandIn, user: User) -> int:
    return sum("工单号" in m.content for m in standin.chat(user.id))


# --- exactly once ------------------------------------------------------------------------------


async def test_three_instances_turn_each_message_into_exactly_one_task(
    database_url: str, cache_dir: Path
) -> None:
    """Updates left stored by a crash (all three start on them at once) and updates polled
    while the three run: every message becomes one task, and its sender hears one receipt
    and nothing else."""
    clock = nine_am()
    async with BotApiStandIn(token=TOKEN, clock=lambda: clock().timestamp()) as standin:
        left = [standin.add_user(30_000 + n, f"早{n}") for n in range(24)]
        for n, user in enumerate(left):
            standin.send_text(user, f"审计厅小区{n + 1}号楼停水了")
        async with Bot(TOKEN, base_url=standin.base_url) as bot:  # fetched, not confirmed
            updates = await bot.get_updates(timeout=0)
        rows = [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
        async with open_store(database_url) as store, store.transaction() as tx:
            await tx.store_updates(rows, {u.update_id: chat_lane(u.to_dict()) for u in updates})
        async with fleet(database_url, cache_dir, 3, standin) as running:
            await asyncio.gather(*(running.receipt(user) for user in left))
            live = running.residents(24, 31_000)
            for n, user in enumerate(live):
                standin.send_text(user, f"审计厅小区{n + 1}号楼没电了")
            await asyncio.gather(*(running.receipt(user) for user in live))
            for w in running.instances:
                await asyncio.wait_for(w.bot.telegram.outbox.settled(), STEP_TIMEOUT)
        receipts = [_receipts(standin, user) for user in (*left, *live)]
        replies = [len(standin.chat(user.id)) for user in (*left, *live)]
    assert await _tasks_of(database_url, [*left, *live]) == [1] * 48
    assert receipts == [1] * 48
    assert replies == [1] * 48  # handled twice, a message would also get "merged into …"


# --- one poller --------------------------------------------------------------------------------


async def test_only_one_instance_polls_and_it_deletes_the_webhook_first(
    database_url: str, cache_dir: Path
) -> None:
    """Three instances: one polls, the others never call getUpdates over it (no long poll is
    ended by another, 409), and the poller called deleteWebhook before its first getUpdates."""
    async with fleet(database_url, cache_dir, 3) as running:
        poller = running.poller()
        for user in running.residents(5, 32_000):
            running.standin.send_text(user, "审计厅小区3号楼停水了")
            await running.receipt(user)
        assert running.poller() is poller
        calls = [call.method for call in running.standin.calls]
        assert calls.count("getUpdates") >= 5
        assert running.standin.conflicts == 0
        assert calls.count("deleteWebhook") == 1
        assert calls.index("deleteWebhook") < calls.index("getUpdates")
        [delete] = [call for call in running.standin.calls if call.method == "deleteWebhook"]
        assert not delete.params.get("drop_pending_updates")  # what waits is kept


async def test_a_webhook_left_set_is_deleted_before_polling(
    database_url: str, cache_dir: Path
) -> None:
    """A deployment that ran in webhook mode left its webhook set: the bot deletes it, polls,
    and serves a resident (otherwise every getUpdates would fail with 409)."""
    async with BotApiStandIn(token=TOKEN) as standin:
        async with Bot(TOKEN, base_url=standin.base_url) as other:
            await other.set_webhook("http://127.0.0.1:9/old-deployment")
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        async with world(database_url, cache_dir, standin=standin, people=people) as w:
            resident = w.resident()
            await w.say(resident, "审计厅小区3号楼停水了")
            assert _receipts(standin, resident) == 1
            assert standin.webhook is None


async def test_a_killed_poller_is_replaced_within_seconds(
    database_url: str, cache_dir: Path
) -> None:
    """The polling instance dies without a word (its inbox task cancelled, its lease left to
    run out): once the lease has run out the other instance polls, within seconds, and a
    resident is served."""
    async with fleet(database_url, cache_dir, 2) as running:
        poller = running.poller()
        other = next(w for w in running.instances if w is not poller)
        [first] = running.residents(1, 33_000)
        running.standin.send_text(first, "审计厅小区3号楼停水了")
        await running.receipt(first)
        assert running.standin.conflicts == 0

        # a crash: the loop stops mid-life; nothing releases its lease (private: no API kills)
        [inbox] = [t for t in poller.bot.telegram._tasks if t.get_name() == "griddesk-inbox"]
        inbox.cancel()
        await asyncio.gather(inbox, return_exceptions=True)
        running.clock.advance(LEASE_TIME + timedelta(seconds=1))
        started = time.monotonic()
        [second] = running.residents(1, 33_100)
        running.standin.send_text(second, "审计厅小区4号楼停水了")
        await running.receipt(second)
        took = time.monotonic() - started
        assert other.bot.telegram.inbox.polling
        assert took < 5.0, f"the other instance took {took:.1f} s to poll"


async def test_a_configured_poll_lease_is_the_one_that_runs_out(database_url: str) -> None:
    """``[telegram] poll_lease``: a dead poller's shorter lease keeps the next instance off
    for that long, not the default's 10 s."""
    lease = timedelta(seconds=4)
    clock = nine_am()
    async with (
        BotApiStandIn(token=TOKEN) as standin,
        Bot(TOKEN, base_url=standin.base_url) as bot,
        open_store(database_url) as store,
    ):
        first, second = (
            Poller(bot, store, clock, poll_timeout=1, instance=name, stop=StopSignal(),
                   lease_time=lease)
            for name in ("first", "second")
        )  # fmt: skip
        assert await first.poll() == []  # then it dies: nothing renews its lease
        clock.advance(lease - timedelta(seconds=1))
        assert await second.poll() is None
        clock.advance(timedelta(seconds=2))
        assert await second.poll() == []
        assert second.polling


async def test_a_clean_stop_hands_polling_over_at_once(database_url: str, cache_dir: Path) -> None:
    """The polling instance stops cleanly and releases its lease: the other polls without
    waiting for it to run out (the clock does not move here at all)."""
    async with fleet(database_url, cache_dir, 2) as running:
        poller = running.poller()
        index = running.instances.index(poller)
        other = running.instances[1 - index]
        await running.stacks[index].aclose()
        [resident] = running.residents(1, 34_000)
        running.standin.send_text(resident, "审计厅小区3号楼停水了")
        await running.receipt(resident)
        assert other.bot.telegram.inbox.polling


# --- a 409 that is not ours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "said"),
    [
        (_ANOTHER_POLLER, "another client is polling with this token (409)"),
        (_WEBHOOK_SET, "a webhook is set for this token (409)"),
    ],
    ids=["poller", "webhook"],
)
async def test_a_foreign_conflict_is_named_once_and_shown_by_doctor(
    database_url: str,
    cache_dir: Path,
    tmp_path: Path,
    description: str,
    said: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Telegram answers the poll with 409 twice (a stray copy polling with our token, or a
    webhook set by another deployment): one WARNING says what it likely is and what to do,
    polling goes on, and ``griddesk doctor`` shows when it happened."""
    async with world(database_url, cache_dir) as w:
        w.standin.fail_next("getUpdates", 409, description, times=2)
        resident = w.resident()
        await w.say(resident, "审计厅小区3号楼停水了")  # the poll in flight brings it; the next
        await w.say(resident, "/my")  # two polls meet the 409s, the one after brings this
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and r.name == "handlers.telegram.polling"
        ]
    assert len(warnings) == 1, warnings
    what = "a webhook is set" if description == _WEBHOOK_SET else "another client is polling"
    assert "Conflict" in warnings[0]
    assert what in warnings[0]
    assert "\n" not in warnings[0]

    config = tmp_path / "griddesk.toml"
    example = EXAMPLE.read_text("utf-8")
    config.write_text(example.replace('url = "sqlite:///griddesk.db"', f'url = "{database_url}"'))
    capsys.readouterr()
    command = ["doctor", "--config", str(config), "--since", "2026-11-22"]
    assert await asyncio.to_thread(main, command) == 0
    report = capsys.readouterr().out
    assert f"Telegram said {said} at 2026-11-22 09:00:00 +0800" in report


# --- the store's two guards ----------------------------------------------------------------------


async def test_a_second_mark_rolls_its_transaction_back(database_url: str) -> None:
    """Marking an update processed twice: the second transaction raises and writes nothing."""
    async with open_store(database_url) as store:
        async with store.transaction() as tx:
            await tx.store_updates([(7, "{}")])
        async with store.transaction() as tx:
            await tx.enqueue(Outgoing("telegram:1001", "第一次"))
            await tx.mark_update_processed(7)

        async def again() -> None:
            async with store.transaction() as tx:
                await tx.enqueue(Outgoing("telegram:1001", "第二次"))
                await tx.mark_update_processed(7)

        with pytest.raises(AlreadyProcessed):
            await again()
        async with store.transaction() as tx:
            pending = await tx.pending_outbox(10)
        assert [item.message.text for item in pending] == ["第一次"]


async def test_two_racing_marks_let_exactly_one_commit(database_url: str) -> None:
    """Two instances act on one update at the same moment, each in its own transaction on its
    own connection: the one that marks second waits for the first, then rolls back."""
    async with open_store(database_url) as one, open_store(database_url) as two:
        async with one.transaction() as tx:
            await tx.store_updates([(7, "{}")])
        marked, go_on = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with one.transaction() as tx:
                await tx.enqueue(Outgoing("telegram:1001", "一号实例"))
                await tx.mark_update_processed(7)
                marked.set()
                await go_on.wait()  # holds the row (PostgreSQL) or the write lock (SQLite)

        async def second() -> None:
            await marked.wait()
            async with two.transaction() as tx:
                go_on.set()  # the first commits while this one waits for it (SQLite: to write)
                await tx.enqueue(Outgoing("telegram:1001", "二号实例"))
                await tx.mark_update_processed(7)

        results = await asyncio.wait_for(
            asyncio.gather(first(), second(), return_exceptions=True), STEP_TIMEOUT
        )
        assert results[0] is None
        assert isinstance(results[1], AlreadyProcessed)
        async with one.transaction() as tx:
            pending = await tx.pending_outbox(10)
        assert [item.message.text for item in pending] == ["一号实例"]


async def test_claims_share_chats_out_and_keep_each_chat_in_order(database_url: str) -> None:
    """Chat 1 has updates 1, 3, 5; chat 2 has 2, 4; chat 3 has 6. What one instance claimed
    holds the rest of its chat back from the other; expired or released claims are taken."""
    clock = nine_am()
    one, two, three = telegram(-1), telegram(-2), telegram(-3)
    lanes = {1: one, 3: one, 5: one, 2: two, 4: two, 6: three}
    until = clock() + timedelta(seconds=30)

    async def claim(holder: str, limit: int = 10) -> list[int]:
        async with store.transaction() as tx:
            claimed = await tx.claim_updates(holder, until, clock(), limit)
        return [update_id for update_id, _, _ in claimed]

    async with open_store(database_url, clock=clock) as store:
        async with store.transaction() as tx:
            await tx.store_updates([(n, f'{{"n": {n}}}') for n in lanes], lanes)
        assert await claim("a", limit=2) == [1, 2]
        assert await claim("b") == [6]  # 3 and 5 wait behind 1, 4 behind 2
        async with store.transaction() as tx:
            await tx.mark_update_processed(1)
        assert await claim("b") == [3, 5, 6]
        assert await claim("a") == [2, 4]  # its own claim renewed, and what follows it
        clock.advance(timedelta(seconds=31))  # a's claim runs out (until stays as it was)
        assert await claim("b") == [2, 3, 4, 5, 6]
        async with store.transaction() as tx:
            await tx.release_updates("b")
        assert await claim("a") == [2, 3, 4, 5, 6]


# --- start-up ------------------------------------------------------------------------------------


async def test_an_interrupted_start_closes_the_bot_api_clients(
    database_url: str, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """Start-up cut short while the Bot API is slow to answer getMe (Ctrl+C, a deploy timeout):
    the runtime closes the HTTP clients it opened, as PTB's own ``__aenter__`` does."""
    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        standin.stall_next("getMe")
        org = settings.require_org()
        desk = Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))
        runtime = TelegramRuntime(
            TOKEN, TelegramSettings(standin.base_url, poll_timeout=1), desk, store, clock
        )
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await runtime.__aenter__()
        with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps RuntimeError
            await runtime.application.bot.get_me()


async def test_a_poll_answered_with_entries_that_are_not_updates_is_survived(
    database_url: str, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """getUpdates answers things that are not updates (no update_id, not an object): they are
    skipped with a warning, and the bot goes on polling and handling real messages."""
    async with world(database_url, cache_dir) as w:
        with caplog.at_level(logging.WARNING, logger="handlers.telegram.polling"):
            w.standin.answer_next("getUpdates", [{"message": {"text": "无编号"}}, "垃圾", 7])
            first = await w.say(w.resident(73_001, "王阿姨"), "审计厅小区3号楼停水了")
            assert any("工单号" in m.content for m in first)
            async with asyncio.timeout(STEP_TIMEOUT):
                while not any("not updates" in r.getMessage() for r in caplog.records):
                    await asyncio.sleep(0.05)  # the poll after that message took the junk
            later = await w.say(w.resident(73_002, "李大爷"), "审计厅小区5号楼路灯坏了")
            assert any("工单号" in m.content for m in later)
