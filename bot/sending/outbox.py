"""The outbox dispatcher: sends what the desk wrote, in order, until it is delivered or given up.

The desk writes every message in the same transaction as the change that causes it; this
dispatcher is the only thing that talks to the channel (DESIGN.md §7). Per chat, messages go out
in the order they were written — a card before its edits — and each chat has its own *lane*: a
task that sends that chat's messages one after the other while the other lanes go on. A reader
loop hands out what is due: each read takes at most ``per_chat`` messages from each chat, every
chat's first before any chat's second, and gives each message to its chat's lane (started if
the chat has none); it does not wait for the lanes, so a message for an idle chat goes out as
soon as it is written, even while another chat's lane waits out a 429 or the group limit of 20
messages a minute. Rate limits are the channel's business (PTB's AIORateLimiter holds each send
back as long as the chat's and the bot's limits require; the bot-wide 30 a second is shared by
all lanes); what reaches here as :class:`~bot.errors.RetryLater` is tried again after the wait
it names, a network error or a server error after an exponential backoff capped at a few
minutes. A lane stops at the first message that must wait, and its later messages are read
again when that one is due, so a chat's order holds across retries too. At most ``batch`` lanes
run at once.

A message is given up at once for a permanent reason (:class:`~bot.errors.Undeliverable`: the
bot was blocked or removed, the chat is gone, Telegram refuses the message itself), with a log
line operators can see (and counted by ``griddesk doctor``). Transient trouble never loses
a message that is addressed to somebody about their own business — a resident's receipt and
every other notice, a task's card and its edits — it waits the trouble out, however long
(``griddesk doctor`` shows it as retrying, and a WARNING says so once it has failed
``max_attempts`` times). Only one copy of a message sent to many (a broadcast run ×
recipient, :attr:`~bot.ports.OutboxItem.fan_out`) is given up after ``max_attempts`` transient
failures: hundreds of copies retrying through an outage would only crowd the queue. A 429 is
never a failure: Telegram asked us to wait, so the wait counts towards nothing.

A card lost because its chat could not be reached (:class:`~bot.errors.ChatUnreachable`: the
bot was removed from the group, the chat was not found) is posted again when that chat takes a
message again: the next successful send there hands it back, once, and the card goes out as
the task stands then (a live card), if the task is still somebody's job. That trigger needs no
new update type and covers every way a chat comes back (re-added, unblocked, restored): a grid's
group hears from the bot at the latest with its next card, reminder, morning digest or
``/tasks`` answer (the bot asks Telegram for no ``my_chat_member`` updates, which would be
quicker but need a handler and a stand-in for them). An edit of a card that never went out
posts it as well (below).

This is the one place a destination is decided: a chat that moved (a group became a
supergroup, :class:`~bot.errors.ChatMoved`) is stored as moved and every message to its old id,
queued before or after, goes to the new one. An edit of a card whose message is gone posts the
card anew (the sender does that), and the new message is remembered as the card. A live card
(:attr:`~bot.domain.Outgoing.live`) is rendered here from the task as it stands; when the task
has moved to another unit's group meanwhile, the move wrote this chat's card itself, so the live
one is skipped. Deleting a message (an old copy of a card) is an outbox message too
(:attr:`~bot.domain.Outgoing.delete_message_id`), so no handler ever waits on the channel.

A crash between sending and recording the platform message id sends that message again after a
restart: delivery is at least once. A polite stop (:class:`~bot.sending.stopping.StopSignal`)
finishes the sends in hand and records them before :meth:`OutboxDispatcher.run` returns. With
several instances on one database only the holder of the outbox lease sends, a dead holder is
replaced within seconds, and a send that outlasts the lease is never made again by another
instance (:mod:`bot.sending.lease`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from bot import texts
from bot.desk.cards import Presenter
from bot.domain import ACTIVE, Outgoing, Task
from bot.errors import (
    ChatMoved,
    ChatUnreachable,
    RetryLater,
    StoreBusy,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import OutboxItem, Sender, Store, Transaction
from bot.sending import merging
from bot.sending.chats import ChatMoves
from bot.sending.lease import RENEW_EVERY, Fenced, SendingLease
from bot.sending.stopping import Stopped, StopSignal

log = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(minutes=5)
"""The longest wait between two tries after network or server errors: a message that must
arrive goes out at most this long after the trouble ends."""
_LEASE = "outbox"
_READ_SHARE = 4
"""A read waits this many times the last read's length after it (see _timed_read)."""
_WRITERS = 4
"""Lanes in a transaction at once. The database takes one writer at a time anyway (SQLite) or
needs few (PostgreSQL: a record is a couple of milliseconds); what more lanes would add is
waiting in the connection pool and for SQLite's lock — where the reads that renew the lease,
and the intake, would queue behind them."""


@dataclass
class _Lane:
    """One chat's messages in hand, each with the lease term it was read in, sent in order by
    one task."""

    queue: deque[tuple[OutboxItem, int]] = field(default_factory=deque)
    more: bool = False
    """A read found as many of the chat's messages as it takes: there may be more after them."""
    merging: bool = True
    """Waiting messages go out as one where the channel counts each (until one is refused)."""
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True)
class _Read:
    handed: int
    """Messages given to lanes."""
    again: bool = False
    """Some were left out because a lane settled them while the read ran: read again now."""


class OutboxDispatcher:
    """Drains the outbox whenever woken, and on its own every ``idle_seconds``."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        clock: Callable[[], datetime],
        presenter: Presenter,
        *,
        max_attempts: int = 5,
        batch: int = 32,
        per_chat: int = 10,
        idle_seconds: float = 1.0,
        chat_moves: ChatMoves | None = None,
        stop: StopSignal | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.presenter = presenter
        """Renders live cards (:attr:`~bot.domain.Outgoing.live`) when they are sent."""
        self.max_attempts = max_attempts
        """Transient failures after which a fan-out copy is given up, and any other message's
        retrying is logged as a WARNING (it goes on retrying)."""
        self.batch = batch
        """The most messages one read hands out, and the most lanes (chats) sending at once."""
        self.per_chat = per_chat
        self.chat_moves = chat_moves if chat_moves is not None else ChatMoves()
        """Where moved groups live now; shared with the desk, which reads their messages."""
        self.idle_seconds = idle_seconds
        self.stop = stop if stop is not None else StopSignal()
        """Set when the bot stops: :meth:`run` finishes the sends in hand and returns."""
        self.instance = uuid.uuid4().hex
        """This dispatcher's name on the outbox lease (one sender at a time, DESIGN.md §9)."""
        self.lease = SendingLease(_LEASE, self.instance, clock)
        self._wake = asyncio.Event()
        self._drains_started = 0
        self._last_idle_drain = 0
        self._drained = asyncio.Condition()
        self._lanes: dict[str, _Lane] = {}
        """The lanes sending now, by the chat they send to."""
        self._in_hand: dict[int, int | None] = {}
        """Outbox ids given to a lane: None while there, then the number of reads begun when
        the lane let go of it (sent, retried, dropped), kept until a read begun later has seen
        the outcome committed."""
        self._reads = 0
        self._next_read_at = 0.0
        """``time.monotonic()`` before which :meth:`run` does not read again."""
        self._crowded = False
        """A read found chats it could not start a lane for (``batch`` lanes running)."""
        self._winding_down = False
        self._failure: BaseException | None = None
        self._attempted = 0
        self._writers = asyncio.Semaphore(_WRITERS)
        self._unreachable: set[str] = set()
        """Chats with cards given up as unreachable, read at each drain: a send elsewhere need
        not ask the database for cards to post again."""

    def wake(self) -> None:
        """Something was written: read the outbox now rather than at the next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        """Send until the bot stops (:attr:`stop`); then return with nothing half-recorded.

        Reads at every wake and every idle tick, but not while every lane is busy nor more
        than a fifth of the time (:meth:`_timed_read`); renews the lease as it falls due
        (at least every :data:`~bot.sending.lease.RENEW_EVERY` while it holds it); lanes send
        on their own. A failure (the database busy, a bug) stops the lanes
        after the send each has in hand and is raised.
        """
        try:
            while True:
                self.stop.check()
                self._raise_failure()
                self._wake.clear()
                self._drains_started += 1
                drain = self._drains_started
                too_soon = self._next_read_at - time.monotonic()
                crowded = len(self._lanes) >= self.batch
                if crowded or too_soon > 0:
                    # every lane is busy (a read could hand nothing out; a lane that ends
                    # wakes the loop), or a read now would take more than its share of the
                    # time (see _timed_read): renew the lease if due, read later
                    self._crowded |= crowded
                    await self._keep_lease()
                    wait = self._tick() if crowded else min(self._tick(), too_soon)
                    await self.stop.doze(self._wake, wait)
                    continue
                read = await self._timed_read()
                if read.again:
                    continue
                if not read.handed and not self._lanes:
                    async with self._drained:
                        self._last_idle_drain = drain
                        self._drained.notify_all()
                await self.stop.doze(self._wake, self._tick())  # the tick: retries due, the lease
        except Stopped:
            await self._finish_lanes()
            self._raise_failure()
        except Exception:
            self._winding_down = True
            await self._finish_lanes()
            self._failure = None  # the one raised now is enough
            raise
        finally:
            self._winding_down = False
            await self._cancel_lanes()

    async def release(self) -> None:
        """Stop being the sender now, so another instance need not wait for the lease to end."""
        async with self.store.transaction() as tx:
            await self.lease.release(tx)

    async def settled(self) -> None:
        """Return once a drain that began after this call found nothing due and no lane busy.

        Everything written before the call that could be sent has then been sent (or
        scheduled for a retry); the shell and the tests wait on this instead of sleeping.
        """
        started = self._drains_started
        self.wake()
        async with self._drained:
            await self._drained.wait_for(lambda: self._last_idle_drain > started)

    async def _timed_read(self) -> _Read:
        """:meth:`_read`, noting when the next read may start so reads take at most a fifth
        of the time.

        A read ranks the pending messages of every chat whose lane could take more, so its
        cost grows with the backlog: after a burst of a thousand messages, receipts held to
        Telegram's 30 a second and cards to a group's 20 a minute, one read took 6 ms (a fifth
        of that once the groups' full lanes were left out of it), and reading at every wake
        (each message the desk handles wakes the outbox) took a third of the bot's time from
        intake. Waiting :data:`_READ_SHARE` times the last read's length before the next one
        (:meth:`run`) keeps the reads to a fifth of the time whatever the backlog; after a
        short read the wait is a millisecond or two. The lease is renewed meanwhile as it
        falls due.
        """
        started = time.monotonic()
        read = await self._read()
        ended = time.monotonic()
        self._next_read_at = ended + _READ_SHARE * (ended - started)
        return read

    async def drain(self) -> int:
        """Send every message that is due now and wait until each was tried; return how many
        were attempted (none when another instance holds the lease).

        For callers without :meth:`run` (tests, one-off tools); the lease is renewed while the
        sends take their time."""
        attempted = self._attempted
        try:
            while True:  # a read hands out at most ``batch`` chats' messages: read again
                read = await self._read()
                await self._finish_lanes()
                if not (read.handed or read.again):
                    break
        finally:
            await self._finish_lanes()
        self._raise_failure()
        return self._attempted - attempted

    def _tick(self) -> float:
        """Seconds until the next read when nothing wakes the loop: while this instance holds
        the lease, often enough to renew it in time (each read renews when due)."""
        if self.lease.holding:
            return min(self.idle_seconds, RENEW_EVERY.total_seconds())
        return self.idle_seconds

    async def _read(self) -> _Read:
        """Hold the lease and read what is due in one transaction; hand it to the lanes."""
        self._reads += 1
        reading = self._reads
        pending: Sequence[OutboxItem] = ()
        async with self.store.transaction() as tx:
            ticket = await self.lease.hold(tx)
            if ticket.held:
                full = [chat for chat, lane in self._lanes.items()
                        if len(lane.queue) >= self.per_chat]  # fmt: skip
                pending = await tx.pending_outbox(
                    self.batch, due_at=ticket.now, per_chat=self.per_chat, skip_chats=full
                )
                if pending:
                    for old_id, new_id in (await tx.chat_moves()).items():  # other instances'
                        self.chat_moves.add(old_id, new_id)
                    self._unreachable = set(await tx.unreachable_card_chats())
        self._in_hand = {  # what was settled before this read began, it has seen settled
            item_id: settled
            for item_id, settled in self._in_hand.items()
            if settled is None or settled >= reading
        }
        if not self.lease.settle(ticket):
            return _Read(0)
        return self._hand_out(pending, self.lease.term)

    def _hand_out(self, pending: Sequence[OutboxItem], term: int) -> _Read:
        """Give each chat's new messages to its lane, in order; skip those a lane holds."""
        by_chat: dict[str, list[OutboxItem]] = {}
        for item in sorted(pending, key=lambda item: item.id):
            by_chat.setdefault(self.chat_moves.current(item.message.chat_id), []).append(item)
        handed, again = 0, False
        for chat_id, items in by_chat.items():
            fresh: list[OutboxItem] = []
            for place, item in enumerate(items, 1):
                if item.id not in self._in_hand:
                    fresh.append(item)
                elif self._in_hand[item.id] is not None:  # settled while this read ran: it
                    again = again or place < len(items)  # may wait for a retry now, and
                    break  # what follows it with it: read those again, now
            lane = self._lanes.get(chat_id)
            if lane is None and fresh and len(self._lanes) >= self.batch:
                self._crowded = True
                continue
            if lane is None and fresh:
                lane = self._lanes[chat_id] = _Lane()
                lane.task = asyncio.create_task(self._run_lane(chat_id, lane))
                lane.task.add_done_callback(self._lane_done)
            if lane is not None:
                lane.more = lane.more or len(items) >= self.per_chat
                lane.queue.extend((item, term) for item in fresh)
            for item in fresh:
                self._in_hand[item.id] = None
            handed += len(fresh)
        return _Read(handed, again)

    async def _run_lane(self, chat_id: str, lane: _Lane) -> None:
        """Send one chat's messages in order until none is left, one must wait, the lease
        term they were read in ends, or the dispatcher stops."""
        try:
            while lane.queue and not (self.stop.is_set() or self._winding_down):
                run = self._next_run(chat_id, lane)
                if not run:
                    break
                self._attempted += 1
                done = 1
                try:
                    if len(run) > 1:
                        done, go_on = await self._deliver_together(run)
                        lane.merging = done == len(run)
                    else:
                        go_on = await self._deliver(run[0])
                except Fenced:
                    log.info("outbox %d to chat %s: send cut off as the lease term ended; it "
                             "stays pending", run[0].id, chat_id)  # fmt: skip
                    go_on = False
                finally:
                    for _ in range(done):
                        item, _term = lane.queue.popleft()
                        self._in_hand[item.id] = self._reads
                if not go_on:
                    break
        finally:
            for item, _ in lane.queue:
                self._in_hand[item.id] = self._reads
            lane.queue.clear()
            if self._lanes.get(chat_id) is lane:
                del self._lanes[chat_id]
            if lane.more or self._crowded or not self._lanes:
                self._crowded = False
                self.wake()

    def _next_run(self, chat_id: str, lane: _Lane) -> list[OutboxItem]:
        """The lane's next message and those that go out with it as one (on a channel where
        each message counts, :mod:`bot.sending.merging`); none when its lease term is over."""
        length = 1
        if lane.merging and merging.merges(chat_id):
            length = merging.run_length(item.message for item, _ in lane.queue)
        run = []
        for item, term in itertools.islice(lane.queue, length):
            if not self.lease.may_send(term):
                break
            run.append(item)
        return run

    async def _deliver_together(self, run: Sequence[OutboxItem]) -> tuple[int, bool]:
        """Send ``run`` as one message: how many of it are settled, and whether the chat may
        go on. Refused for good as a whole (WeChat's window or quota), only the first is tried
        on its own, and the rest after it the same way: each may go as it can (a template)."""
        message = merging.merged([item.message for item in run])
        message = replace(message, chat_id=self.chat_moves.current(message.chat_id))
        try:
            async with self.lease.fence():
                message_id = await self.sender.send(message, None)
        except (RetryLater, TransientDeliveryError) as exc:
            await self._retry(run[0], exc)  # the rest wait behind it, in order
            return 1, False
        except Undeliverable as exc:
            log.info("outbox %s to chat %s as one message: %s; sending them one by one",
                     [item.id for item in run], message.chat_id, exc)  # fmt: skip
            return 1, await self._deliver(run[0])
        async with self._recording() as tx:
            for item in run:
                await tx.outbox_sent(item.id, message_id)
            reposting = await self._repost_unreachable_cards(tx, message.chat_id)
        if reposting:
            self.wake()
        return len(run), True

    def _lane_done(self, task: asyncio.Task[None]) -> None:
        """Keep a lane's failure for the loop to raise (the first one is enough)."""
        if task.cancelled() or task.exception() is None:
            return
        if self._failure is None:
            self._failure = task.exception()
        self.wake()

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    async def _finish_lanes(self) -> None:
        """Wait for every lane to end (they stop after their send in hand when stopping),
        renewing the lease meanwhile so no send in hand is cut off while this instance lives."""
        while self._lanes:
            tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
            await asyncio.wait(tasks, timeout=self._tick())
            if self._lanes:
                with contextlib.suppress(StoreBusy):  # the fence covers a lease not renewed
                    await self._keep_lease()

    async def _keep_lease(self) -> None:
        """Renew the lease if it is due, for the sends the lanes have in hand."""
        if self.lease.holding and self.lease.due():
            async with self.store.transaction() as tx:
                ticket = await self.lease.hold(tx)
            self.lease.settle(ticket)

    @contextlib.asynccontextmanager
    async def _recording(self) -> AsyncIterator[Transaction]:
        """A lane's transaction, taken in turn with the other lanes (:data:`_WRITERS`)."""
        async with self._writers, self.store.transaction() as tx:
            yield tx

    async def _cancel_lanes(self) -> None:
        """Cancel what still runs (the dispatcher itself was cancelled) and wait for it."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _deliver(self, item: OutboxItem) -> bool:
        """Try one message; True when the chat may go on with its next message."""
        prepared = await self._prepare(item)
        if prepared is None:  # a live card of a task that moved on: its move wrote this one's
            async with self._recording() as tx:
                await tx.outbox_sent(item.id, None)
            return True
        message, edit_id = prepared
        posting = message.card_of is not None and edit_id is None
        mark_posting = None
        if posting and item.maybe_posted:
            message = replace(message, text=texts.CARD_REPOSTED + message.text)
        elif posting:
            mark_posting = partial(self._mark_posting, item)
        try:
            async with self.lease.fence():
                message_id = await self.sender.send(message, edit_id, before_request=mark_posting)
        except ChatMoved as exc:
            if self.chat_moves.current(exc.new_chat_id) == message.chat_id:  # back and forth?
                return await self._give_up(item, message.chat_id, exc)
            log.warning(
                "chat %s moved to %s (a group became a supergroup): sending there from now on",
                message.chat_id, exc.new_chat_id,
            )  # fmt: skip
            async with self._recording() as tx:
                await tx.record_chat_move(message.chat_id, exc.new_chat_id)
            self.chat_moves.add(message.chat_id, exc.new_chat_id)
            return await self._deliver(item)
        except (RetryLater, TransientDeliveryError) as exc:
            refused = isinstance(exc, RetryLater)  # Telegram said no: surely not posted
            await self._retry(item, exc, not_posted=posting and refused)
            return False
        except Undeliverable as exc:
            return await self._give_up(item, message.chat_id, exc)
        async with self._recording() as tx:
            await tx.outbox_sent(item.id, message_id)
            card = message.card_of if message.card_of is not None else message.edit_card_of
            if card is not None and message_id != edit_id:  # a new card, or a card posted anew
                await tx.remember_card(card, message.chat_id, message_id)
            reposting = await self._repost_unreachable_cards(tx, message.chat_id)
        if reposting:  # committed: the next read finds the cards
            self.wake()
        return True

    async def _repost_unreachable_cards(self, tx: Transaction, chat_id: str) -> bool:
        """``chat_id`` took a message: queue again, once, the cards it could not be reached for;
        whether any was.

        Each card goes out as a live card, rendered from the task when it is sent, so it shows
        the task as it stands, not as it stood when it was lost; a card already there (only an
        edit was lost) is brought up to date instead of posted twice. Only a task that is still
        somebody's job gets its card back: a finished one's card is history, and a group that
        comes back after weeks should not be flooded with it.
        """
        lost = {named for named in self._unreachable if self.chat_moves.current(named) == chat_id}
        if not lost:  # nearly always: no database round trip on the way
            return False
        self._unreachable -= lost  # a failed commit leaves the rows, and the next drain reads them
        queued = False
        for task_id in await tx.take_unreachable_cards(sorted(lost)):
            task = await tx.task(task_id)
            if task is None or task.status not in ACTIVE:
                continue
            log.info("chat %s takes messages again: posting the card of task %d there again",
                     chat_id, task_id)  # fmt: skip
            await tx.enqueue(Outgoing(chat_id, "", edit_card_of=task_id, live=True))
            queued = True
        return queued

    async def _mark_posting(self, item: OutboxItem) -> None:
        """A new card's request is about to be written: note that it may reach the chat.

        Telegram has no idempotency key: a crash, or a reply lost on the way back, between
        posting a card and recording its message id leaves us unable to tell whether the chat
        has it. A card must never be lost, so it is posted again, saying on the card that it
        stands in for a possible earlier copy; pressing the old copy's buttons takes that copy
        down (:meth:`bot.desk.desk.Desk.take_down_old_copy`). The note is written when the
        request is, not before: a card that waited for the group's rate limit when the
        instance died never reached the chat, and goes out again without the note.
        """
        async with self._recording() as tx:
            await tx.outbox_posting(item.id, self.clock())

    async def _prepare(self, item: OutboxItem) -> tuple[Outgoing, int | None] | None:
        """The message as it goes out now, and the card message it edits (None: a new one).

        It goes to where its chat moved; an edit of a card that never went out becomes the
        card; a live card is rendered from the task (None when the chat no longer holds it).
        """
        message = item.message
        destination = self.chat_moves.current(message.chat_id)
        if destination != message.chat_id:
            message = replace(message, chat_id=destination)
        if message.edit_card_of is None:
            return message, None
        async with self._recording() as tx:
            edit_id = await tx.card_message_id(message.edit_card_of, message.chat_id)
            if message.live:
                rendered = self._live_card(await tx.task(message.edit_card_of), message.chat_id)
                if rendered is None:
                    return None
                message = rendered
        if edit_id is None:  # the card never went out: this edit becomes the card
            message = replace(message, card_of=message.edit_card_of, edit_card_of=None)
        return message, edit_id

    def _live_card(self, task: Task | None, chat_id: str) -> Outgoing | None:
        """The live card of ``task`` for ``chat_id``; None if ``chat_id`` no longer holds it."""
        if task is None:
            return None
        card = self.presenter.live_card(task)
        if self.chat_moves.current(card.chat_id) != chat_id:
            return None
        return replace(card, chat_id=chat_id)

    async def _give_up(self, item: OutboxItem, chat_id: str, exc: Undeliverable) -> bool:
        """Give up for a permanent reason; a card lost to an unreachable chat waits to return."""
        is_card = item.message.card_of is not None or item.message.edit_card_of is not None
        if is_card and isinstance(exc, ChatUnreachable):
            log.warning("outbox %d to chat %s given up: %s; the card is posted again once the "
                        "chat takes messages", item.id, chat_id, exc)  # fmt: skip
            async with self._recording() as tx:
                await tx.outbox_unreachable(item.id, str(exc))
            self._unreachable.add(item.message.chat_id)
            return True
        log.warning("outbox %d to chat %s given up: %s", item.id, chat_id, exc)
        async with self._recording() as tx:
            await tx.outbox_failed(item.id, str(exc))
        return True

    async def _retry(
        self,
        item: OutboxItem,
        exc: RetryLater | TransientDeliveryError,
        *,
        not_posted: bool = False,
    ) -> None:
        """Schedule the next try: after the wait a 429 named, which counts as no attempt, or
        after a backoff for a failure, which does; a fan-out copy is given up after
        ``max_attempts`` failures, anything else only logged louder (see the module doc).

        ``not_posted``: the attempt surely did not reach the chat, so the card's posting note
        is taken back (unless an earlier attempt left it)."""
        error, chat_id = str(exc), item.message.chat_id
        if isinstance(exc, RetryLater):
            failures, delay = item.attempts, timedelta(seconds=exc.seconds)
        else:
            failures, delay = item.attempts + 1, _backoff(item.attempts)
        counted = failures > item.attempts
        if counted and item.fan_out and failures >= self.max_attempts:
            log.error("outbox %d to chat %s given up after %d attempts: %s",
                      item.id, chat_id, failures, error)  # fmt: skip
            async with self._recording() as tx:
                await tx.outbox_failed(item.id, error)
            return
        if counted and failures == self.max_attempts:
            log.warning("outbox %d to chat %s still failing after %d attempts: %s; it is not "
                        "given up, retrying at least every %s", item.id, chat_id, failures,
                        error, _MAX_BACKOFF)  # fmt: skip
        else:
            log.info("outbox %d to chat %s: %s; retrying in %s", item.id, chat_id, error,
                     delay)  # fmt: skip
        async with self._recording() as tx:
            await tx.outbox_retry(item.id, error, self.clock() + delay, counted=counted)
            if not_posted and not item.maybe_posted:
                await tx.outbox_posting(item.id, None)


def _backoff(failures_before: int) -> timedelta:
    """The wait after a failure that followed ``failures_before`` others: 1, 2, 4 … s, then
    :data:`_MAX_BACKOFF` (the exponent is bounded first: ``2**n`` seconds overflows a
    timedelta long before a message that waits out a day-long outage stops retrying)."""
    return min(_MAX_BACKOFF, timedelta(seconds=2 ** min(failures_before, 20)))
