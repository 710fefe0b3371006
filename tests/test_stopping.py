"""A polite stop finishes the work in hand instead of cutting it off (bot/stopping.py).

Cancelling the inbox or the outbox mid-transaction left asyncpg connections half-way through a
query: SQLAlchemy logged "Exception closing connection" with a traceback when the bot stopped
(found by the crash soak's last, polite stop on PostgreSQL). Now only empty waits are cut.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels import telegram
from bot.domain import Outgoing
from bot.sending.outbox import OutboxDispatcher
from bot.sending.stopping import Stopped, StopSignal
from handlers.telegram.inbox import Inbox
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.clock import nine_am
from tests.harness import PRESENTER, TOKEN, example_settings, populate, world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


async def test_a_wait_returns_its_result_while_the_bot_runs() -> None:
    """Nothing stops: the awaited value comes through unchanged."""
    stop = StopSignal()
    assert await stop.interrupting(asyncio.sleep(0, result="答复")) == "答复"


async def test_stopping_cuts_a_long_wait_short() -> None:
    """A long poll in progress ends with Stopped as soon as the stop is set."""
    stop = StopSignal()
    never = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(stop.interrupting(never))
    await asyncio.sleep(0)
    stop.set()
    with pytest.raises(Stopped):
        await asyncio.wait_for(waiting, 5)
    assert never.cancelled()


async def test_a_wait_begun_after_the_stop_does_not_start() -> None:
    """Once stopped, a new wait raises at once, and the awaitable is not left pending."""
    stop = StopSignal()
    stop.set()
    sleeping = asyncio.ensure_future(asyncio.sleep(30))
    with pytest.raises(Stopped):
        await stop.interrupting(sleeping)
    assert sleeping.cancelled()
    with pytest.raises(Stopped):
        stop.check()


async def test_cancelling_the_waiter_cancels_what_it_waits_for() -> None:
    """The last resort (a task cancelled after the stop timed out) leaves nothing running."""
    stop = StopSignal()
    never = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(stop.interrupting(never))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert never.cancelled()


async def test_a_doze_after_the_stop_leaves_no_wait_unawaited() -> None:
    """The outbox dozed once more after the stop was set: the ``Event.wait()`` made for it was
    cut before it started and Python warned "coroutine ... was never awaited" (a flaky failure)."""
    stop = StopSignal()
    wake = asyncio.Event()
    stop.set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(Stopped):
            await stop.doze(wake, 5)
        for _ in range(3):  # let the loop run what the cut wait left behind
            await asyncio.sleep(0)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []


async def test_a_doze_returns_when_woken_or_when_its_time_is_up() -> None:
    stop = StopSignal()
    wake = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, wake.set)
    await asyncio.wait_for(stop.doze(wake, 30), 5)  # woken long before its 30 s
    wake.clear()
    await asyncio.wait_for(stop.doze(wake, 0.01), 5)  # nobody wakes it: its time runs out
    assert not wake.is_set()


class HeldChannel:
    """A channel whose first send waits until the test lets it go."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        if before_request is not None:  # the request is written at once
            await before_request()
        self.entered.set()
        await self.release.wait()
        self.sent.append(message.text)
        return 500 + len(self.sent)


async def test_the_outbox_finishes_and_records_the_send_in_hand(database_url: str) -> None:
    """Stopped mid-send: that message is recorded as sent, the next waits for the next start."""
    clock = nine_am()
    async with open_store(database_url, clock=clock) as store:
        async with store.transaction() as tx:
            await tx.enqueue_many(
                [Outgoing("telegram:1001", "第一条"), Outgoing("telegram:1001", "第二条")]
            )
        channel, stop = HeldChannel(), StopSignal()
        outbox = OutboxDispatcher(store, channel, clock, PRESENTER, stop=stop)
        running = asyncio.create_task(outbox.run())
        await asyncio.wait_for(channel.entered.wait(), 10)
        stop.set()  # while the first send is in hand
        channel.release.set()
        await asyncio.wait_for(running, 10)
        assert channel.sent == ["第一条"]  # finished, not cut off, and recorded:
        async with store.transaction() as tx:
            pending = await tx.pending_outbox(10)
        assert [item.message.text for item in pending] == ["第二条"]


async def test_the_inbox_finishes_the_update_in_hand(database_url: str) -> None:
    """Stopped while a handler works: the handler completes and its update is marked processed;
    the update behind it stays stored for the next start."""
    entered, release, handled = asyncio.Event(), asyncio.Event(), []

    async def slow_handler(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        entered.set()
        await release.wait()
        handled.append(update.update_id)

    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        resident = standin.add_user(1001, "王阿姨")
        first = standin.send_text(resident, "3号楼停水了")
        standin.send_text(resident, "还是没水")
        application = ApplicationBuilder().token(TOKEN).base_url(standin.base_url).build()
        application.add_handler(TypeHandler(Update, slow_handler))
        stop = StopSignal()
        async with application:
            inbox = Inbox(application, store, poll_timeout=1, after_update=lambda: None, stop=stop)
            running = asyncio.create_task(inbox.run())
            await asyncio.wait_for(entered.wait(), 10)
            stop.set()  # while the first update is in hand
            release.set()
            await asyncio.wait_for(running, 10)
        assert handled == [first]
        async with store.transaction() as tx:
            left = await tx.unprocessed_updates(10)
        assert [update_id for update_id, _ in left] == [first + 1]


async def test_stopping_mid_stream_loses_nothing_and_logs_no_error(
    database_url: str, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot stops while it works through a burst of complaints: no error is logged, and the
    next start turns every remaining message into its task — each one exactly once."""
    complaints = [f"审计厅小区{n}号楼停水了" for n in range(1, 25)]
    async with BotApiStandIn(token=TOKEN) as standin:
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        residents = [standin.add_user(20_000 + n, f"居民{n}") for n in range(len(complaints))]
        clock = nine_am()
        async with world(database_url, cache_dir, standin=standin, people=people, clock=clock) as w:
            ids = [
                standin.send_text(r, text) for r, text in zip(residents, complaints, strict=True)
            ]
            await asyncio.wait_for(w.bot.telegram.inbox.processed(ids[0]), 10)
        async with open_store(database_url) as store, store.transaction() as tx:
            done = sum([len(await tx.tasks_of_resident(telegram(r.id), 10)) for r in residents])
        assert 0 < done < len(complaints)  # it really stopped mid-stream
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        async with world(database_url, cache_dir, standin=standin, people=people, clock=clock) as w:
            await w.say(residents[0], "/my")  # handled after every update before it
            async with w.bot.store.transaction() as tx:
                mine = [await tx.tasks_of_resident(telegram(r.id), 10) for r in residents]
        assert [len(tasks) for tasks in mine] == [1] * len(complaints)
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
