"""The inbox: updates are committed to the database before Telegram is told they arrived.

python-telegram-bot's own Updater confirms a batch of updates (by asking for the next offset)
before its handlers have run, so a crash there would lose a resident's message. Here the
poller (:mod:`handlers.telegram.polling`) hands each batch to the inbox, which stores it first;
the next offset is asked for only after the commit. The stored updates are then processed in
order through the real :class:`~telegram.ext.Application`. After a restart whatever was stored
but not yet processed is processed.

Several instances may share one database (DESIGN.md §9); each update is handled by exactly one:

- an instance handles only updates it has *claimed* (:meth:`~bot.ports.InboxTransaction.
  claim_updates`): claims run out after :data:`CLAIM_TIME`, so a dead instance's updates are
  taken over, and the living renew theirs as they go; a clean stop releases them;
- the desk marks an update processed in the same transaction as its effects, on the condition
  that nobody did before; if somebody did, that transaction rolls back
  (:class:`~bot.errors.AlreadyProcessed`) and the inbox takes the update as done elsewhere.

Order: one chat's updates are handled in the order they arrived, by whichever instances; the
claims see to it (:mod:`storage.inbox_rows` says how, and when it could slip). Different chats
have no order between them: on PostgreSQL an instance handles several chats' updates at once
(:meth:`Inbox._handle_claimed`). Only one instance polls Telegram at a time; the others look at the
database every :data:`IDLE_TICK` for updates nobody holds.

In webhook mode nothing polls: the webhook stores each update (:mod:`handlers.telegram.webhook`)
and wakes the inbox (:meth:`Inbox.wake`), whose :meth:`Inbox.run_stored` handles what is
stored — when woken, and on a short idle tick for what another instance's webhook stored.

An update whose handler fails is retried (the rest of its chat's updates wait behind it, to
keep order; with one chat at a time, on SQLite, the rest of the claim too); after
``max_failures`` tries it is logged as poison and skipped, so one bad update cannot stop the
bot. Its sender is not left wondering: the skip writes one kind message
to the chat the error handler named (:meth:`Inbox.record_failure`) into the outbox, in the
same transaction that marks the update processed, so it is said once even across a restart; a
button press gets a toast instead. A handler that failed because the database was busy
(:class:`~bot.retry.StoreBusy`: nothing was committed) is not poison: the whole update is
handled again from the start, with backoff, and it never counts towards ``max_failures`` — a
locked or restarting database delays a resident's message, it does not drop it. The inbox's own
transactions back off the same way.

When the bot stops (:class:`~bot.sending.stopping.StopSignal`), the update in hand is finished
and the loop returns; a long poll or a backoff is cut short, since it holds nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot import texts
from bot.channels import Channel, channel_of, telegram
from bot.desk.context import utc_now
from bot.domain import Outgoing
from bot.errors import AlreadyProcessed
from bot.ports import CHANNEL_UPDATE_IDS, Store
from bot.retry import StoreBusy, retrying
from bot.sending.stopping import Stopped, StopSignal
from handlers.callback_channel import CallbackChannel
from handlers.http.metrics import UpdateMeter
from handlers.telegram.polling import LEASE_TIME, Poller
from handlers.telegram.webhook import chat_lane

log = logging.getLogger(__name__)

T = TypeVar("T")

CLAIM_TIME = timedelta(seconds=15)
"""How long a claim keeps other instances off an update (renewed once half has passed): after
a crash, the dead instance's claimed updates wait this long for another to take them."""
IDLE_TICK = 1.0
"""Seconds between looks at the inbox when nothing woke it and this instance does not poll
(another instance's poll or webhook may have stored an update that this one should handle)."""
_BATCH = 100


class Inbox:
    """Stores what the poller (or a webhook) brings, claims it, and processes it in order."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        store: Store,
        *,
        poll_timeout: int,
        after_update: Callable[[], None],
        max_failures: int = 3,
        stop: StopSignal | None = None,
        clock: Callable[[], datetime] = utc_now,
        metrics: UpdateMeter | None = None,
        chats_at_once: int = 1,
        callbacks: Mapping[Channel, CallbackChannel] | None = None,
        poll_lease: timedelta = LEASE_TIME,
    ) -> None:
        """``chats_at_once``: how many chats' updates are handled at the same time, each chat's
        in order (:meth:`_handle_claimed`). ``callbacks``: the callback channels (WeChat,
        WeCom) whose stored messages this inbox hands to them. ``poll_lease``: how long the
        poll lease lasts unrenewed (:class:`Poller`)."""
        self.callbacks = dict(callbacks or {})
        self.application = application
        self.store = store
        self.after_update = after_update
        self.max_failures = max_failures
        self.stop = stop if stop is not None else StopSignal()
        self.clock = clock
        self.instance = uuid.uuid4().hex
        """This instance's name on its claims and on the poll lease."""
        self.poller = Poller(
            application.bot,
            store,
            clock,
            poll_timeout=poll_timeout,
            instance=self.instance,
            stop=self.stop,
            lease_time=poll_lease,
        )
        """Polls Telegram while this instance holds the poll lease (not in webhook mode)."""
        self.metrics = metrics
        """Told of every update processed or given up as poison (``/metrics``)."""
        self.chats_at_once = max(1, chats_at_once)
        self._failed: set[int] = set()
        """Update ids whose handler raised (:meth:`record_failure`)."""
        self._busy: dict[int, StoreBusy] = {}
        """Of those, the ones that raised :class:`StoreBusy`: handled again, never poison."""
        self._tell: dict[int, str] = {}
        """Of those, the chat to tell should the update be given up. Absent: nobody."""
        self._elsewhere: set[int] = set()
        """Update ids another instance turned out to have processed (:class:`AlreadyProcessed`)."""
        self._failures: dict[int, int] = {}
        self._done: list[int] = []
        """Updates handled since the last :meth:`_mark_done`."""
        self._last_processed: dict[bool, int] = {}
        """The highest update id handled, by id space (:func:`_numbered_here`)."""
        self._in_hand: set[int] = set()
        """The claimed updates not yet handled: :meth:`processed` waits for those before."""
        self._processed = asyncio.Condition()
        self._woken = asyncio.Event()
        self._turn = asyncio.Lock()

    @property
    def failed(self) -> frozenset[int]:
        """Update ids whose last handling failed (and may be retried)."""
        return frozenset(self._failed)

    @property
    def polling(self) -> bool:
        """Whether this instance is the one polling Telegram now."""
        return self.poller.polling

    @property
    def polled_at(self) -> float | None:
        """``time.monotonic()`` when polling was last known to work (``/readyz``): this
        instance's last successful ``getUpdates``, or, while another instance polls, the last
        time the lease showed that one alive. None: neither since start."""
        return self.poller.polled_at

    def record_failure(self, update_id: int, error: BaseException, tell: str | None) -> None:
        """What the error handler learnt: handling ``update_id`` raised ``error``.

        PTB's ``process_update`` hands a handler's exception to the error handler instead of
        raising it, so this is how the inbox hears of it. :class:`AlreadyProcessed`: another
        instance did the work, nothing to retry. :class:`StoreBusy`: redo the update. Anything
        else is a failure, and ``tell`` is the chat to tell should the update be given up
        (:func:`sender_chat`; None: nobody).
        """
        if isinstance(error, AlreadyProcessed):
            self._elsewhere.add(update_id)
            return
        self._failed.add(update_id)
        if isinstance(error, StoreBusy):
            self._busy[update_id] = error
        elif tell is not None:
            self._tell[update_id] = tell

    def wake(self) -> None:
        """An update was stored (by the webhook): handle it now, not at the next idle tick."""
        self._woken.set()

    async def run(self) -> None:
        """Polling mode: process what a previous run left, then poll (while this instance
        holds the poll lease) or look for stored updates (while another does), until the bot
        stops. With callback channels, their messages are handled as they are stored, beside
        the long poll (:meth:`_answer_wakes`)."""
        wakes = (
            asyncio.create_task(self._answer_wakes(), name="griddesk-inbox-callbacks")
            if self.callbacks
            else None
        )
        try:
            await self._busy_safe(self._process_in_turn)
            while True:
                if (updates := await self.poller.poll()) is None:
                    await self._idle()  # another instance polls: handle what nobody holds
                elif updates:
                    if not await self._busy_safe(partial(self._store, updates)):
                        continue  # not stored: fetch the same updates again (no new offset)
                    self.poller.confirm(updates)
                while not await self._busy_safe(self._process_in_turn):
                    # a handler failed, or the database stayed busy: try again in a moment,
                    # before the next long poll (which could hold a poisoned update back)
                    await self.stop.sleep(1.0)
        except Stopped:
            return
        finally:
            if wakes is not None:
                if not self.stop.is_set():
                    wakes.cancel()  # an error ended the loop; on a stop it finishes its update
                with contextlib.suppress(asyncio.CancelledError):
                    await wakes

    async def _answer_wakes(self) -> None:
        """Polling mode with callback channels: a callback's message is handled as soon as it
        is stored, not when Telegram's long poll next returns. Takes turns with the polling
        loop (:meth:`_process_in_turn`): one claimer per instance."""
        try:
            while True:
                await self.stop.doze(self._woken, IDLE_TICK)
                if not self._woken.is_set():
                    continue
                self._woken.clear()
                while not await self._busy_safe(self._process_in_turn):
                    await self.stop.sleep(1.0)
        except Stopped:
            return

    async def _process_in_turn(self) -> bool:
        """:meth:`process_stored`, never two at a time in this instance: its claims are one
        holder's, and a holder's own claims are handed out to it again."""
        async with self._turn:
            return await self.process_stored()

    async def run_stored(self) -> None:
        """Webhook mode: handle stored updates when woken and every :data:`IDLE_TICK`, never
        polling Telegram, until the bot stops."""
        try:
            while True:
                self._woken.clear()  # before the look: a wake during it means look again
                while not await self._busy_safe(self._process_in_turn):
                    await self.stop.sleep(1.0)  # as after a failed handler in polling mode
                await self._idle()
        except Stopped:
            return

    async def release(self) -> None:
        """On a clean stop: give up the poll lease and the claims on unprocessed updates, so
        other instances take over at once instead of when they run out."""
        await self.poller.release()
        async with self.store.transaction() as tx:
            await tx.release_updates(self.instance)

    async def _idle(self) -> None:
        """Wait :data:`IDLE_TICK` seconds, or less when woken."""
        await self.stop.doze(self._woken, IDLE_TICK)

    async def _retrying(self, work: Callable[[], Awaitable[T]], what: str) -> T:
        """:func:`~bot.retry.retrying`, with its backoff cut short when the bot stops."""
        return await retrying(work, what, sleep=self.stop.sleep)

    async def _store(self, updates: Sequence[dict[str, Any]]) -> bool:
        rows, lanes = [], {}
        for update in updates:
            update_id = int(update["update_id"])
            rows.append((update_id, json.dumps(update, ensure_ascii=False)))
            lanes[update_id] = chat_lane(update)
        async with self.store.transaction() as tx:
            await tx.store_updates(rows, lanes)
        return True

    async def _busy_safe(self, work: Callable[[], Awaitable[bool]]) -> bool:
        """``work`` retried while the database is busy; False when it stayed busy throughout."""
        try:
            return await self._retrying(work, "inbox")
        except StoreBusy:
            return False

    async def process_stored(self) -> bool:
        """Claim stored updates and process them in order; False when one failed and must be
        retried (this instance keeps its claim on it meanwhile)."""
        while True:
            self.stop.check()
            claimed_at = self.clock()
            rows = await self._claim(claimed_at)
            self._in_hand = {update_id for update_id, _, _ in rows}
            if not rows:
                return True
            try:
                if not await self._handle_claimed(rows, claimed_at + CLAIM_TIME / 2):
                    await self._mark_done()
                    return False
            except BaseException:
                await self._mark_done()
                raise

    async def _handle_claimed(
        self, rows: Sequence[tuple[int, str, str]], renew_at: datetime
    ) -> bool:
        """Handle claimed updates, each chat's in order; False when one failed (the rest of its
        chat waits behind it). At ``renew_at`` each chat stops after the update in hand, to be
        claimed again (renewing the claim) before the claim can run out.

        With ``chats_at_once`` above one, the chats are shared out among that many sequences
        run at the same time: on PostgreSQL a transaction spends most of its time waiting for
        the server, and another chat's can run meanwhile. (On SQLite one write lock serialises
        them anyway, so there it is one.) A stop lets every sequence finish its update in hand.
        """

        async def in_order(sequence: Sequence[tuple[int, str, str]]) -> bool:
            for update_id, raw, lane in sequence:
                self.stop.check()
                if not await self._process(update_id, raw, lane):
                    return False
                if self.clock() >= renew_at:
                    break
            return True

        if self.chats_at_once == 1:
            return await in_order(rows)
        parts = _share_out(rows, self.chats_at_once)
        outcomes = await asyncio.gather(
            *(
                asyncio.create_task(in_order(part), name=f"griddesk-inbox-{n}")
                for n, part in enumerate(parts, 1)
            ),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return all(outcomes)

    async def _claim(self, now: datetime) -> Sequence[tuple[int, str, str]]:
        """Claim what is next, marking what was handled since the last claim on the way (see
        :meth:`_mark_done`): no transaction of its own for that."""
        done, self._done = self._done, []
        try:
            async with self.store.transaction() as tx:
                await tx.mark_updates_done(done)
                return await tx.claim_updates(self.instance, now + CLAIM_TIME, now, _BATCH)
        except BaseException:
            self._done = done + self._done  # not marked: try again with the next claim
            raise

    async def _process(self, update_id: int, raw: str, lane: str) -> bool:
        """Handle one claimed update; False when it failed and is to be tried again.

        A callback channel's message (its lane is one of that channel's addresses) goes to
        that channel (:mod:`handlers.callback_channel`); anything else is Telegram's, for the
        Application's handlers.
        """
        callback = self.callbacks.get(_channel(lane))
        query: CallbackQuery | None = None
        if callback is None:
            update = Update.de_json(json.loads(raw), self.application.bot)
            query = update.callback_query
            run = partial(self.application.process_update, update)
        else:
            run = partial(self._run_callback, callback, update_id, raw)

        async def handle() -> None:
            """Handle the update once; its StoreBusy (nothing committed) is raised to redo it."""
            self._forget(update_id)
            await run()
            if busy := self._busy.pop(update_id, None):
                raise busy

        try:
            await self._retrying(handle, f"update {update_id}")
        except StoreBusy:
            return False  # the database is in trouble, not the update: try again later
        if update_id in self._elsewhere:
            log.info("update %d was processed by another instance", update_id)
        elif update_id in self._failed:
            failures = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = failures
            if failures < self.max_failures:
                return False
            await self._give_up(query, update_id, failures)
            if self.metrics is not None:
                self.metrics.update_poisoned()
        else:
            self._done.append(update_id)  # marked by :meth:`_mark_done` if the desk did not
            if self.metrics is not None:
                self.metrics.update_processed()
        self._failures.pop(update_id, None)
        self._forget(update_id)
        self.after_update()  # what the desk wrote may be due: the outbox reads now
        await self._processed_up_to(update_id)
        return True

    async def _mark_done(self) -> None:
        """Mark the updates handled since the last claim, when no claim follows (a failed
        update, the bot stopping).

        The desk marks an update in the transaction that acted on it, so this marks only those
        that wrote nothing (ignored, dropped, answered by a toast), with one statement, usually
        in the next claim's transaction (:meth:`_claim`): a message costs the desk's one
        transaction and nothing more. Until then such an update is still claimed by this
        instance; should it die first, the update is handled again elsewhere, which is safe,
        since handling it wrote nothing.
        """
        done, self._done = self._done, []
        if not done:
            return
        await self._retrying(lambda: self._marking(done), "inbox")

    async def _marking(self, done: Sequence[int]) -> None:
        async with self.store.transaction() as tx:
            await tx.mark_updates_done(done)

    async def _processed_up_to(self, update_id: int) -> None:
        """Tell :meth:`processed`'s waiters that ``update_id`` was handled (an update whose
        handling wrote nothing is marked in the database a little later, by
        :meth:`_mark_done`)."""
        async with self._processed:
            self._in_hand.discard(update_id)
            space = _numbered_here(update_id)
            self._last_processed[space] = max(self._last_processed.get(space, 0), update_id)
            self._processed.notify_all()

    def _forget(self, update_id: int) -> None:
        """Clear what the error handler recorded about ``update_id`` (before a new try)."""
        self._failed.discard(update_id)
        self._busy.pop(update_id, None)
        self._tell.pop(update_id, None)
        self._elsewhere.discard(update_id)

    async def _run_callback(self, callback: CallbackChannel, update_id: int, raw: str) -> None:
        """A callback channel's message, its failure told to :meth:`record_failure` as PTB's
        error handler tells it of a Telegram update's."""
        try:
            await callback.handle(update_id, raw)
        except Exception as error:
            tell = None
            if not isinstance(error, StoreBusy | AlreadyProcessed):
                log.error("handling %s message %d failed", callback.channel, update_id,
                          exc_info=error)  # fmt: skip
                tell = callback.apologise_to(raw)
            self.record_failure(update_id, error, tell)

    async def _give_up(self, query: CallbackQuery | None, update_id: int, failures: int) -> None:
        """Skip a poisoned update, and tell its sender once (bot/errors.py: a kind message).

        The message goes through the outbox, written in the transaction that marks the update
        processed. A button press is answered with a toast instead, directly as the button
        handler answers (a toast is no chat message, and Telegram takes it only for seconds),
        after that commit: at most once, so a crash in between loses the toast, never repeats it.
        """
        chat_id = self._tell.get(update_id)
        skipped = await self._retrying(
            lambda: self._skip(update_id, chat_id), f"update {update_id}"
        )
        log.error("update %d failed %d times; skipped", update_id, failures)
        if not skipped or query is None:
            return
        try:
            await query.answer(texts.ANSWER_NOT_HANDLED)
        except TelegramError as exc:  # too old by now, most likely: the press stays unanswered
            log.info("press %s (update %d) not answered: %s", query.id, update_id, exc)

    async def _skip(self, update_id: int, chat_id: str | None) -> bool:
        """Mark the update processed, writing the apology to ``chat_id`` if it is still due.

        If the update was marked already (the desk marked it with its work before its handler
        failed, or another instance processed it), the conditional mark rolls the apology back
        and False says nobody was told.
        """
        try:
            async with self.store.transaction() as tx:
                if chat_id is not None:
                    await tx.enqueue(Outgoing(chat_id, texts.NOT_HANDLED))
                await tx.mark_update_processed(update_id)
        except AlreadyProcessed:
            return False
        return True

    async def processed(self, update_id: int) -> None:
        """Return once this instance processed the update ``update_id`` or a later one.

        Alone on its database an instance processes every update, so that is every update up
        to ``update_id``: none of those it holds is still waiting (several chats' updates may
        be handled at once). The shell and the tests wait on this instead of sleeping. "Later"
        counts within one numbering: Telegram's update ids, or the ids the inbox gave callback
        channels' messages (:data:`~bot.ports.CHANNEL_UPDATE_IDS`), which are not comparable.
        """
        space = _numbered_here(update_id)

        def reached() -> bool:
            return self._last_processed.get(space, 0) >= update_id and all(
                held > update_id for held in self._in_hand if _numbered_here(held) == space
            )

        async with self._processed:
            await self._processed.wait_for(reached)


def _numbered_here(update_id: int) -> bool:
    """Whether ``update_id`` was given by the inbox (a callback channel's message) rather
    than by Telegram."""
    return update_id >= CHANNEL_UPDATE_IDS


def _channel(lane: str) -> Channel:
    """The channel of an update's lane (its chat's address); Telegram's when it has none."""
    try:
        return channel_of(lane)
    except ValueError:
        return Channel.TELEGRAM


def _share_out(
    rows: Sequence[tuple[int, str, str]], parts: int
) -> list[list[tuple[int, str, str]]]:
    """``rows`` in at most ``parts`` sequences, each chat's (lane's) updates in one of them in
    their order; chats are dealt out in turn as they first appear."""
    part_of: dict[str, int] = {}
    shared: list[list[tuple[int, str, str]]] = [[] for _ in range(parts)]
    for row in rows:
        lane = row[2]
        shared[part_of.setdefault(lane, len(part_of) % parts)].append(row)
    return [part for part in shared if part]


def sender_chat(update: Update, serves_group: Callable[[str], bool]) -> str | None:
    """The chat to tell that ``update`` was given up, or None to tell nobody there.

    The chat a person wrote in: their private chat, or a group the bot serves
    (``serves_group``). Not a button press (a message out of nowhere would puzzle; its toast
    answers it), not a bot, and not a group the bot does not serve: strangers hear nothing.
    """
    message, user = update.effective_message, update.effective_user
    if update.callback_query is not None or message is None or user is None or user.is_bot:
        return None
    chat = telegram(message.chat.id)
    if message.chat.type == ChatType.PRIVATE or serves_group(chat):
        return chat
    return None
