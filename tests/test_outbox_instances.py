"""Two bot instances on one database (a rolling restart, a crash): every message is sent once.

Two dispatchers with their own connections drain the same outbox; only the holder of the outbox
lease sends, a dispatcher that dies without letting go is replaced within seconds, and a send
that outlasts the lease is never made again by the other (:mod:`bot.sending.lease`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from telegram import Bot

from bot import texts
from bot.channels import telegram
from bot.domain import Outgoing
from bot.errors import StoreBusy
from bot.ports import Store, Transaction
from bot.sending.outbox import OutboxDispatcher
from handlers.telegram.sender import AnnouncingRequest, TelegramSender
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.clock import FakeClock, nine_am
from tests.harness import PRESENTER
from tests.outbox_support import running, wall_clock
from tests.store_support import ALICE, DAY, new_task

pytestmark = pytest.mark.asyncio

GROUP = -1001  # a Telegram chat id, as the stand-in knows it; the desk says telegram(GROUP)


async def test_two_dispatchers_send_each_message_once(database_url: str) -> None:
    """Both drain at the same moment; the stand-in receives every message exactly once."""
    clock = nine_am()
    async with (
        BotApiStandIn(token="1:TWO") as standin,
        open_store(database_url, clock=clock) as one,
        open_store(database_url, clock=clock) as two,
    ):
        residents = [standin.add_user(1000 + n, f"居民{n}") for n in range(40)]
        async with one.transaction() as tx:
            for user in residents:
                await tx.enqueue(Outgoing(telegram(user.id), f"通知 {user.id}"))
        async with Bot("1:TWO", base_url=standin.base_url) as bot:
            sender = TelegramSender(bot)
            first = OutboxDispatcher(one, sender, clock, PRESENTER)
            second = OutboxDispatcher(two, sender, clock, PRESENTER)
            sent = await asyncio.gather(first.drain(), second.drain())
            assert sorted(sent) == [0, 40]
            assert [len(standin.chat(user.id)) for user in residents] == [1] * 40

            # the holder dies without releasing: the other takes over once the lease is out
            async with one.transaction() as tx:
                await tx.enqueue(Outgoing(telegram(residents[0].id), "后来的通知"))
            idle = second if sent[0] else first
            assert await idle.drain() == 0
            clock.advance(timedelta(seconds=31))
            assert await idle.drain() == 1
            assert [m.content for m in standin.chat(residents[0].id)][-1] == "后来的通知"


class Recorder:
    """A channel shared by both instances: records who sent what, and when (monotonic)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, float]] = []
        self.changed = asyncio.Event()

    def channel(self, name: str) -> Channel:
        return Channel(name, self)

    def texts(self) -> list[str]:
        return [text for _, text, _ in self.sent]

    async def until(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self.changed.clear()
                await self.changed.wait()


class Channel:
    """One instance's channel: a send to a chat in ``stuck`` waits until it is cancelled (a
    rate limiter's wait that outlasts the lease); ``cut`` lists the sends cut off so."""

    def __init__(self, name: str, recorder: Recorder) -> None:
        self.name = name
        self.recorder = recorder
        self.stuck: set[str] = set()
        self.stuck_written: set[str] = set()
        """Chats whose send is written and then waits for an answer until cancelled."""
        self.entered = asyncio.Event()
        """Set when a send to a ``stuck`` chat has begun."""
        self.cut: list[tuple[str, float]] = []
        self.step: Callable[[], Awaitable[None]] | None = None

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        if message.chat_id in self.stuck:
            self.entered.set()
            try:
                await asyncio.get_running_loop().create_future()  # until cancelled
            except asyncio.CancelledError:
                self.cut.append((message.text, time.monotonic()))
                self.recorder.changed.set()
                raise
        if before_request is not None:  # past the rate limiter: the request is written
            await before_request()
        if message.chat_id in self.stuck_written:
            self.entered.set()
            await asyncio.get_running_loop().create_future()  # no answer, until cancelled
        if self.step is not None:
            await self.step()
        self.recorder.sent.append((self.name, message.text, time.monotonic()))
        self.recorder.changed.set()
        return len(self.recorder.sent)


async def test_the_others_send_within_5_s_of_the_holders_death(database_url: str) -> None:
    """The holder dies (cancelled, its lease not released) in the middle of a send: the other
    instance sends that message and the ones queued after it within 5 s, on the wall clock."""
    recorder = Recorder()
    async with (
        open_store(database_url) as one,
        open_store(database_url) as two,
    ):
        first = OutboxDispatcher(one, recorder.channel("first"), wall_clock, PRESENTER)
        first_channel = first.sender
        assert isinstance(first_channel, Channel)
        first_channel.stuck.add(telegram(1002))
        second = OutboxDispatcher(two, recorder.channel("second"), wall_clock, PRESENTER)
        async with running(first) as holder:
            async with one.transaction() as tx:
                await tx.enqueue(Outgoing(telegram(1001), "到达"))
            first.wake()
            await asyncio.wait_for(first.settled(), 5)  # sent and recorded: it holds the lease
            async with running(second):
                async with one.transaction() as tx:
                    await tx.enqueue(Outgoing(telegram(1002), "卡住的"))
                first.wake()
                await asyncio.wait_for(first_channel.entered.wait(), 5)
                holder.cancel()
                await asyncio.gather(holder, return_exceptions=True)
                died = time.monotonic()
                async with two.transaction() as tx:
                    await tx.enqueue_many(
                        [Outgoing(telegram(1000 + n), f"之后 {n}") for n in range(3, 8)]
                    )
                second.wake()
                wanted = {"卡住的", *(f"之后 {n}" for n in range(3, 8))}
                await recorder.until(lambda: wanted <= set(recorder.texts()), 10)
        taken_over = [at for name, text, at in recorder.sent if text in wanted]
        assert {name for name, text, _ in recorder.sent if text in wanted} == {"second"}
        took = max(taken_over) - died
        assert took < 5.0, f"the last one went out {took:.2f} s after the death"
        assert sorted(recorder.texts()) == sorted(["到达", *wanted])  # each once


@pytest.mark.parametrize("written", [False, True], ids=["in-the-rate-limiter", "written"])
async def test_a_card_says_it_is_posted_again_only_if_a_request_was_written(
    database_url: str, written: bool
) -> None:
    """The holder dies while a card waits: in the rate limiter, its request not written (the
    other instance posts it plainly: no copy can be in the group), or for Telegram's answer to
    a written request (the group may hold it: the repost says it stands in for that copy)."""
    recorder = Recorder()
    async with open_store(database_url) as one, open_store(database_url) as two:
        async with one.transaction() as tx:
            await tx.save_resident(ALICE)
            task = await tx.add_task(new_task(), DAY)
        first = OutboxDispatcher(one, recorder.channel("first"), wall_clock, PRESENTER)
        first_channel = first.sender
        assert isinstance(first_channel, Channel)
        (first_channel.stuck_written if written else first_channel.stuck).add(telegram(GROUP))
        async with running(first) as holder:
            async with one.transaction() as tx:
                await tx.enqueue(Outgoing(telegram(GROUP), "📋工单 卡片", card_of=task.id))
            first.wake()
            await asyncio.wait_for(first_channel.entered.wait(), 5)
            holder.cancel()
            await asyncio.gather(holder, return_exceptions=True)
        second = OutboxDispatcher(two, recorder.channel("second"), wall_clock, PRESENTER)
        async with running(second):
            await recorder.until(lambda: bool(recorder.sent), 10)
        [(by, text, _)] = recorder.sent
        assert by == "second"
        assert text.startswith(texts.CARD_REPOSTED) is written


async def test_the_telegram_sender_announces_a_request_as_it_is_written() -> None:
    """``before_request`` runs once per send, before Telegram has the request; plain sends and
    the bot's other calls (answers to presses) do not touch it."""
    async with BotApiStandIn(token="1:HOOK") as standin:
        standin.add_group(GROUP, "兴安南路1网格")
        request = AnnouncingRequest(read_timeout=5)
        async with Bot("1:HOOK", base_url=standin.base_url, request=request) as bot:
            seen: list[int] = []

            async def before_request() -> None:
                seen.append(len(standin.calls))

            sender = TelegramSender(bot)
            before = len(standin.calls)  # getMe, on the way in
            await sender.send(
                Outgoing(telegram(GROUP), "卡片"), None, before_request=before_request
            )
            await sender.send(Outgoing(telegram(GROUP), "通知"), None)
            await bot.send_message(GROUP, "别的调用")
        assert seen == [before]  # the stand-in had not seen the request yet
        assert [c.method for c in standin.calls[before:]] == ["sendMessage"] * 3


class SlowSends:
    """Each send takes ``seconds`` of the fake clock, which moves in small steps while the
    event loop runs (a send waiting in Telegram's rate limiter, or on a slow answer)."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds

    async def step(self) -> None:
        passed = 0.0
        while passed < self.seconds:
            self.clock.advance(timedelta(seconds=0.2))
            passed += 0.2
            await asyncio.sleep(0.01)  # what the send would be waiting for: real time passes


async def test_a_send_that_outlasts_the_lease_is_not_sent_again(database_url: str) -> None:
    """Sends of 20 s each (the lease is 3 s) while the other instance tries to take over every
    few milliseconds: the holder keeps the lease through every send, and each message goes
    out exactly once."""
    clock = nine_am()
    recorder = Recorder()
    async with (
        open_store(database_url, clock=clock) as one,
        open_store(database_url, clock=clock) as two,
    ):
        async with one.transaction() as tx:
            await tx.enqueue_many(
                [Outgoing(telegram(1001), f"第{n}条") for n in range(3)]
                + [Outgoing(telegram(1002), "另一人")]
            )
        dispatchers = [
            OutboxDispatcher(store, recorder.channel(name), clock, PRESENTER, idle_seconds=0.005)
            for name, store in (("first", one), ("second", two))
        ]
        for dispatcher in dispatchers:
            channel = dispatcher.sender
            assert isinstance(channel, Channel)
            channel.step = SlowSends(clock, 20).step
        async with running(dispatchers[0]), running(dispatchers[1]):
            await recorder.until(lambda: len(recorder.sent) >= 4, 60)
            for dispatcher in dispatchers:
                await asyncio.wait_for(dispatcher.settled(), 10)
        assert sorted(recorder.texts()) == ["另一人", "第0条", "第1条", "第2条"]
        assert len({name for name, _, _ in recorder.sent}) == 1  # one holder throughout
        assert clock() - nine_am()() > timedelta(seconds=40)  # the sends did outlast it


async def test_a_dispatcher_whose_lanes_are_all_busy_waits_instead_of_spinning(
    database_url: str,
) -> None:
    """Every lane waits (40 chats whose sends Telegram's rate limiter holds back): the
    dispatcher waits for a lane to end, or its tick, before it looks again. It once went round
    its loop with a zero-second wait instead, thousands of times a second: most of a core at a
    paced 50 messages/s. Counted over a second of rounds (``_drains_started``, private)."""
    recorder = Recorder()
    chats = [telegram(chat) for chat in range(2001, 2041)]
    async with open_store(database_url) as store:
        dispatcher = OutboxDispatcher(store, recorder.channel("one"), wall_clock, PRESENTER)
        channel = dispatcher.sender
        assert isinstance(channel, Channel)
        channel.stuck.update(chats)
        async with store.transaction() as tx:
            await tx.enqueue_many([Outgoing(chat, "回执") for chat in chats])
        async with running(dispatcher):
            async with asyncio.timeout(5):
                while len(dispatcher._lanes) < dispatcher.batch:
                    await asyncio.sleep(0.01)  # polling the test's own condition
            before = dispatcher._drains_started
            await asyncio.sleep(1.0)  # a second of the dispatcher's life, its rounds counted
            rounds = dispatcher._drains_started - before
        assert rounds < 20, f"{rounds} rounds in a second with every lane busy"


class Unreachable:
    """A store that refuses every transaction once ``down`` is set (its database lost)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        if self.down:
            raise StoreBusy("connection refused")
        return self.store.transaction()

    async def reclaim(self) -> None:
        await self.store.reclaim()


async def test_a_holder_that_loses_the_database_cuts_its_waiting_send_first(
    database_url: str,
) -> None:
    """The holder's send waits (in the rate limiter) when it loses the database, so it can
    renew the lease no more: it cancels that send before the lease runs out, and only then
    does the other instance take over and send the message, once."""
    recorder = Recorder()
    async with (
        open_store(database_url) as one_store,
        open_store(database_url) as two,
    ):
        one = Unreachable(one_store)
        first = OutboxDispatcher(one, recorder.channel("first"), wall_clock, PRESENTER)
        first_channel = first.sender
        assert isinstance(first_channel, Channel)
        first_channel.stuck.add(telegram(1001))
        second = OutboxDispatcher(two, recorder.channel("second"), wall_clock, PRESENTER)
        async with two.transaction() as tx:
            await tx.enqueue(Outgoing(telegram(1001), "等待中的"))
        async with running(first) as holder:
            await asyncio.wait_for(first_channel.entered.wait(), 5)
            async with running(second):
                one.down = True
                await recorder.until(lambda: recorder.texts() == ["等待中的"], 10)
                with pytest.raises(StoreBusy):
                    await asyncio.wait_for(holder, 10)
        [(name, _, sent_at)] = recorder.sent
        [(_, cut_at)] = first_channel.cut
        assert name == "second"
        assert cut_at < sent_at
