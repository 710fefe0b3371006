"""The outbox dispatcher: sends what the desk wrote, in order, until it is delivered or given up.

The desk writes every message in the same transaction as the change that causes it; this
dispatcher is the only thing that talks to the channel (DESIGN.md §7). Per chat, messages go out
in the order they were written — a card before its edits — so one slow or failing chat never
reorders another's messages and never blocks anyone else: each drain takes only messages that
are due, at most ``per_chat`` from each chat, every chat's first before any chat's second, so a
chat with a backlog or waiting out a 429 cannot crowd the others out of the batch. Rate limits
and 429s are the channel's business (PTB's AIORateLimiter); what reaches here as
:class:`~bot.errors.RetryLater` is tried again after the wait it names, a network error or a
server error after an exponential backoff capped at a few minutes.

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
one is skipped.

A crash between sending and recording the platform message id sends that message again after a
restart: delivery is at least once. A polite stop (:class:`~bot.sending.stopping.StopSignal`)
finishes the sends in hand and records them before :meth:`OutboxDispatcher.run` returns. With
several instances on one database only the holder of the outbox lease sends, so a message is
never sent by two of them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot import texts
from bot.desk.cards import Presenter
from bot.domain import ACTIVE, Outgoing, Task
from bot.errors import (
    ChatMoved,
    ChatUnreachable,
    RetryLater,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import OutboxItem, Sender, Store, Transaction
from bot.sending.chats import ChatMoves
from bot.sending.stopping import Stopped, StopSignal

log = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(minutes=5)
"""The longest wait between two tries after network or server errors: a message that must
arrive goes out at most this long after the trouble ends."""
_LEASE = "outbox"
_NOT_HELD = datetime.min.replace(tzinfo=UTC)
_LEASE_TIME = timedelta(seconds=15)
"""How long a dead holder keeps the others waiting (after a crash, replies wait this long).

Taken at every drain (at least every idle tick) and renewed between sends once half of it has
passed: a drain under Telegram's rate limits can take minutes, and a lease that ran out
mid-drain would let another instance send the same rows again."""


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
        batch: int = 200,
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
        self.per_chat = per_chat
        self.chat_moves = chat_moves if chat_moves is not None else ChatMoves()
        """Where moved groups live now; shared with the desk, which reads their messages."""
        self.idle_seconds = idle_seconds
        self.stop = stop if stop is not None else StopSignal()
        """Set when the bot stops: :meth:`run` finishes the sends in hand and returns."""
        self.instance = uuid.uuid4().hex
        """This dispatcher's name on the outbox lease (one sender at a time, DESIGN.md §9)."""
        self._wake = asyncio.Event()
        self._drains_started = 0
        self._last_idle_drain = 0
        self._drained = asyncio.Condition()
        self._lease_until = _NOT_HELD
        self._renewing = asyncio.Lock()
        self._unreachable: set[int] = set()
        """Chats with cards given up as unreachable, read at each drain: a send elsewhere need
        not ask the database for cards to post again."""

    def wake(self) -> None:
        """Something was written: drain now rather than at the next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        """Drain until the bot stops (:attr:`stop`); then return with nothing half-recorded."""
        try:
            while True:
                self.stop.check()
                self._wake.clear()
                self._drains_started += 1
                drain = self._drains_started
                if await self.drain():
                    continue
                async with self._drained:
                    self._last_idle_drain = drain
                    self._drained.notify_all()
                with contextlib.suppress(TimeoutError):  # the idle tick: retries now due
                    await self.stop.interrupting(
                        asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                    )
        except Stopped:
            return

    async def release(self) -> None:
        """Stop being the sender now, so another instance need not wait for the lease to end."""
        async with self.store.transaction() as tx:
            await tx.release_lease(_LEASE, self.instance)

    async def settled(self) -> None:
        """Return once a drain that began after this call found nothing due.

        Everything written before the call that could be sent has then been sent (or
        scheduled for a retry); the shell and the tests wait on this instead of sleeping.
        """
        started = self._drains_started
        self.wake()
        async with self._drained:
            await self._drained.wait_for(lambda: self._last_idle_drain > started)

    async def drain(self) -> int:
        """Send every message that is due now; return how many were attempted.

        Only the holder of the outbox lease sends: with two instances on one database (a
        rolling restart) the other waits, and takes over when the lease runs out.
        """
        now = self.clock()
        async with self.store.transaction() as tx:
            if not await tx.take_lease(_LEASE, self.instance, now + _LEASE_TIME, now):
                return 0
            self._lease_until = now + _LEASE_TIME
            pending = await tx.pending_outbox(self.batch, due_at=now, per_chat=self.per_chat)
            if pending:
                for old_id, new_id in (await tx.chat_moves()).items():  # other instances'
                    self.chat_moves.add(old_id, new_id)
                self._unreachable = set(await tx.unreachable_card_chats())
        by_chat: dict[int, list[OutboxItem]] = {}
        for item in sorted(pending, key=lambda item: item.id):
            by_chat.setdefault(self.chat_moves.current(item.message.chat_id), []).append(item)
        counts = await asyncio.gather(*(self._drain_chat(items, now) for items in by_chat.values()))
        return sum(counts)

    async def _drain_chat(self, items: Sequence[OutboxItem], now: datetime) -> int:
        """One chat's messages in order, stopping at the first one that must wait."""
        attempted = 0
        for item in items:
            if self.stop.is_set() or item.next_attempt_at > now:
                break
            if not await self._still_holding():
                break
            attempted += 1
            if not await self._deliver(item):
                break
        return attempted

    async def _still_holding(self) -> bool:
        """Whether this instance still holds the lease, renewing it once half has passed."""
        async with self._renewing:  # the chats of a drain send concurrently: renew once
            now = self.clock()
            if now < self._lease_until - _LEASE_TIME / 2:
                return True
            async with self.store.transaction() as tx:
                held = await tx.take_lease(_LEASE, self.instance, now + _LEASE_TIME, now)
            if not held:
                log.warning("outbox lease lost mid-drain; another instance sends from here")
                self._lease_until = _NOT_HELD
                return False
            self._lease_until = now + _LEASE_TIME
            return True

    async def _deliver(self, item: OutboxItem) -> bool:
        """Try one message; True when the chat may go on with its next message."""
        prepared = await self._prepare(item)
        if prepared is None:  # a live card of a task that moved on: its move wrote this one's
            async with self.store.transaction() as tx:
                await tx.outbox_sent(item.id, None)
            return True
        message, edit_id = prepared
        posting = message.card_of is not None and edit_id is None
        if posting:
            message = await self._before_posting(item, message)
        try:
            message_id = await self.sender.send(message, edit_id)
        except ChatMoved as exc:
            if self.chat_moves.current(exc.new_chat_id) == message.chat_id:  # back and forth?
                return await self._give_up(item, message.chat_id, exc)
            log.warning(
                "chat %d moved to %d (a group became a supergroup): sending there from now on",
                message.chat_id, exc.new_chat_id,
            )  # fmt: skip
            async with self.store.transaction() as tx:
                await tx.record_chat_move(message.chat_id, exc.new_chat_id)
            self.chat_moves.add(message.chat_id, exc.new_chat_id)
            return await self._deliver(item)
        except (RetryLater, TransientDeliveryError) as exc:
            refused = isinstance(exc, RetryLater)  # Telegram said no: surely not posted
            await self._retry(item, exc, not_posted=posting and refused)
            return False
        except Undeliverable as exc:
            return await self._give_up(item, message.chat_id, exc)
        async with self.store.transaction() as tx:
            await tx.outbox_sent(item.id, message_id)
            card = message.card_of if message.card_of is not None else message.edit_card_of
            if card is not None and message_id != edit_id:  # a new card, or a card posted anew
                await tx.remember_card(card, message.chat_id, message_id)
            await self._repost_unreachable_cards(tx, message.chat_id)
        return True

    async def _repost_unreachable_cards(self, tx: Transaction, chat_id: int) -> None:
        """``chat_id`` took a message: queue again, once, the cards it could not be reached for.

        Each card goes out as a live card, rendered from the task when it is sent, so it shows
        the task as it stands, not as it stood when it was lost; a card already there (only an
        edit was lost) is brought up to date instead of posted twice. Only a task that is still
        somebody's job gets its card back: a finished one's card is history, and a group that
        comes back after weeks should not be flooded with it.
        """
        lost = {named for named in self._unreachable if self.chat_moves.current(named) == chat_id}
        if not lost:  # nearly always: no database round trip on the way
            return
        self._unreachable -= lost  # a failed commit leaves the rows, and the next drain reads them
        for task_id in await tx.take_unreachable_cards(sorted(lost)):
            task = await tx.task(task_id)
            if task is None or task.status not in ACTIVE:
                continue
            log.info("chat %d takes messages again: posting the card of task %d there again",
                     chat_id, task_id)  # fmt: skip
            await tx.enqueue(Outgoing(chat_id, "", edit_card_of=task_id, live=True))

    async def _before_posting(self, item: OutboxItem, message: Outgoing) -> Outgoing:
        """A new card: note that it is being posted — or, when an earlier attempt may have
        reached the chat, say on the card that it stands in for a possible earlier copy.

        Telegram has no idempotency key: a crash, or a reply lost on the way back, between
        posting a card and recording its message id leaves us unable to tell whether the chat
        has it. A card must never be lost, so it is posted again, saying so; pressing the old
        copy's buttons takes that copy down (:meth:`bot.desk.desk.Desk.superseded_card`).
        """
        if item.maybe_posted:
            return replace(message, text=texts.CARD_REPOSTED + message.text)
        async with self.store.transaction() as tx:
            await tx.outbox_posting(item.id, self.clock())
        return message

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
        async with self.store.transaction() as tx:
            edit_id = await tx.card_message_id(message.edit_card_of, message.chat_id)
            if message.live:
                rendered = self._live_card(await tx.task(message.edit_card_of), message.chat_id)
                if rendered is None:
                    return None
                message = rendered
        if edit_id is None:  # the card never went out: this edit becomes the card
            message = replace(message, card_of=message.edit_card_of, edit_card_of=None)
        return message, edit_id

    def _live_card(self, task: Task | None, chat_id: int) -> Outgoing | None:
        """The live card of ``task`` for ``chat_id``; None if ``chat_id`` no longer holds it."""
        if task is None:
            return None
        card = self.presenter.live_card(task)
        if self.chat_moves.current(card.chat_id) != chat_id:
            return None
        return replace(card, chat_id=chat_id)

    async def _give_up(self, item: OutboxItem, chat_id: int, exc: Undeliverable) -> bool:
        """Give up for a permanent reason; a card lost to an unreachable chat waits to return."""
        is_card = item.message.card_of is not None or item.message.edit_card_of is not None
        if is_card and isinstance(exc, ChatUnreachable):
            log.warning("outbox %d to chat %d given up: %s; the card is posted again once the "
                        "chat takes messages", item.id, chat_id, exc)  # fmt: skip
            async with self.store.transaction() as tx:
                await tx.outbox_unreachable(item.id, str(exc))
            self._unreachable.add(item.message.chat_id)
            return True
        log.warning("outbox %d to chat %d given up: %s", item.id, chat_id, exc)
        async with self.store.transaction() as tx:
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
            log.error("outbox %d to chat %d given up after %d attempts: %s",
                      item.id, chat_id, failures, error)  # fmt: skip
            async with self.store.transaction() as tx:
                await tx.outbox_failed(item.id, error)
            return
        if counted and failures == self.max_attempts:
            log.warning("outbox %d to chat %d still failing after %d attempts: %s; it is not "
                        "given up, retrying at least every %s", item.id, chat_id, failures,
                        error, _MAX_BACKOFF)  # fmt: skip
        else:
            log.info("outbox %d to chat %d: %s; retrying in %s", item.id, chat_id, error,
                     delay)  # fmt: skip
        async with self.store.transaction() as tx:
            await tx.outbox_retry(item.id, error, self.clock() + delay, counted=counted)
            if not_posted and not item.maybe_posted:
                await tx.outbox_posting(item.id, None)


def _backoff(failures_before: int) -> timedelta:
    """The wait after a failure that followed ``failures_before`` others: 1, 2, 4 … s, then
    :data:`_MAX_BACKOFF` (the exponent is bounded first: ``2**n`` seconds overflows a
    timedelta long before a message that waits out a day-long outage stops retrying)."""
    return min(_MAX_BACKOFF, timedelta(seconds=2 ** min(failures_before, 20)))
