"""The inbox: updates are committed to the database before Telegram is told they arrived.

python-telegram-bot's own Updater confirms a batch of updates (by asking for the next offset)
before its handlers have run, so a crash there would lose a resident's message. This poller
stores each batch first, asks for the next offset only after the commit, and then processes the
stored updates in order through the real :class:`~telegram.ext.Application`. After a restart it
processes whatever was stored but not yet processed. The desk marks an update processed in the
same transaction as its effects, so an update is applied once even if it is fetched or
processed twice.

An update whose handler fails is retried (the rest wait behind it, to keep order); after
``max_failures`` tries it is logged as poison and skipped, so one bad update cannot stop the bot.
Its sender is not left wondering: the skip writes one kind message to the chat the error handler
named (:attr:`Inbox.tell`) into the outbox, in the same transaction that marks the update
processed, so it is said once even across a restart; a button press gets a toast instead.
A handler that failed because the database was busy (:class:`~bot.retry.StoreBusy`: nothing was
committed) is not poison: the whole update is handled again from the start, with backoff, and
it never counts towards ``max_failures`` — a locked or restarting database delays a resident's
message, it does not drop it. The inbox's own transactions back off the same way.

When the bot stops (:class:`~bot.sending.stopping.StopSignal`), the update in hand is finished
and the poller returns; a long poll or a backoff is cut short, since it holds nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot import texts
from bot.domain import Outgoing
from bot.ports import Store
from bot.retry import StoreBusy, retrying
from bot.sending.stopping import Stopped, StopSignal

log = logging.getLogger(__name__)

T = TypeVar("T")

_BATCH = 100
_ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class Inbox:
    """Long-polls ``getUpdates``, stores, then processes."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        store: Store,
        *,
        poll_timeout: int,
        after_update: Callable[[], None],
        max_failures: int = 3,
        stop: StopSignal | None = None,
    ) -> None:
        self.application = application
        self.store = store
        self.poll_timeout = poll_timeout
        self.after_update = after_update
        self.max_failures = max_failures
        self.stop = stop if stop is not None else StopSignal()
        self.failed: set[int] = set()
        """Update ids whose handler raised; filled by the application's error handler."""
        self.busy: dict[int, StoreBusy] = {}
        """Of those, the ones that raised :class:`StoreBusy`: handled again, never poison."""
        self.tell: dict[int, int] = {}
        """Of those, the chat to tell should the update be given up (see :func:`sender_chat`);
        filled by the error handler, which knows the groups the bot serves. Absent: nobody."""
        self._failures: dict[int, int] = {}
        self._last_processed = 0
        self._processed = asyncio.Condition()

    async def run(self) -> None:
        """Process what a previous run left, then poll until the bot stops."""
        try:
            await self._poll()
        except Stopped:
            return

    async def _poll(self) -> None:
        await self._busy_safe(self.process_stored)
        offset = await self._retrying(self._next_offset, "inbox offset")
        backoff = 1.0
        while True:
            try:
                updates = await self.stop.interrupting(
                    self.application.bot.get_updates(
                        offset=offset, timeout=self.poll_timeout, allowed_updates=_ALLOWED_UPDATES
                    )
                )
            except RetryAfter as exc:
                await self.stop.sleep(_seconds(exc.retry_after))
                continue
            except (TimedOut, NetworkError, Conflict) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await self.stop.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if updates:
                rows = [(u.update_id, json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
                if not await self._busy_safe(partial(self._store, rows)):
                    continue  # not stored: fetch the same updates again (no new offset)
                offset = max(u.update_id for u in updates) + 1
            while not await self._busy_safe(self.process_stored):
                # a handler failed, or the database stayed busy: try again in a moment, before
                # the next long poll (which could hold a poisoned update back for its timeout)
                await self.stop.sleep(1.0)

    async def _retrying(self, work: Callable[[], Awaitable[T]], what: str) -> T:
        """:func:`~bot.retry.retrying`, with its backoff cut short when the bot stops."""
        return await retrying(work, what, sleep=self.stop.sleep)

    async def _next_offset(self) -> int | None:
        async with self.store.transaction() as tx:
            last = await tx.last_update_id()
        return None if last is None else last + 1

    async def _store(self, rows: list[tuple[int, str]]) -> bool:
        async with self.store.transaction() as tx:
            await tx.store_updates(rows)
        return True

    async def _busy_safe(self, work: Callable[[], Awaitable[bool]]) -> bool:
        """``work`` retried while the database is busy; False when it stayed busy throughout."""
        try:
            return await self._retrying(work, "inbox")
        except StoreBusy:
            return False

    async def process_stored(self) -> bool:
        """Process stored updates in order; False when one failed and must be retried."""
        while True:
            self.stop.check()
            async with self.store.transaction() as tx:
                rows = await tx.unprocessed_updates(_BATCH)
            if not rows:
                return True
            for update_id, raw in rows:
                self.stop.check()
                if not await self._process(update_id, raw):
                    return False

    async def _process(self, update_id: int, raw: str) -> bool:
        update = Update.de_json(json.loads(raw), self.application.bot)

        async def handle() -> None:
            """Handle the update once; its StoreBusy (nothing committed) is raised to redo it."""
            self.failed.discard(update_id)
            self.busy.pop(update_id, None)
            self.tell.pop(update_id, None)
            await self.application.process_update(update)
            if busy := self.busy.pop(update_id, None):
                raise busy

        try:
            await self._retrying(handle, f"update {update_id}")
        except StoreBusy:
            return False  # the database is in trouble, not the update: try again later
        if update_id in self.failed:
            failures = self._failures.get(update_id, 0) + 1
            self._failures[update_id] = failures
            if failures < self.max_failures:
                return False
            await self._give_up(update, update_id, failures)
        else:
            await self._retrying(lambda: self._mark_processed(update_id), f"update {update_id}")
        self._failures.pop(update_id, None)
        self.tell.pop(update_id, None)
        self.after_update()
        async with self._processed:
            self._last_processed = max(self._last_processed, update_id)
            self._processed.notify_all()
        return True

    async def _give_up(self, update: Update, update_id: int, failures: int) -> None:
        """Skip a poisoned update, and tell its sender once (bot/errors.py: a kind message).

        The message goes through the outbox, written in the transaction that marks the update
        processed. A button press is answered with a toast instead, directly as the button
        handler answers (a toast is no chat message, and Telegram takes it only for seconds),
        after that commit: at most once, so a crash in between loses the toast, never repeats it.
        """
        chat_id = self.tell.get(update_id)
        skipped = await self._retrying(
            lambda: self._skip(update_id, chat_id), f"update {update_id}"
        )
        log.error("update %d failed %d times; skipped", update_id, failures)
        query = update.callback_query
        if not skipped or query is None:
            return
        try:
            await query.answer(texts.ANSWER_NOT_HANDLED)
        except TelegramError as exc:  # too old by now, most likely: the press stays unanswered
            log.info("press %s (update %d) not answered: %s", query.id, update_id, exc)

    async def _skip(self, update_id: int, chat_id: int | None) -> bool:
        """Mark the update processed, writing the apology to ``chat_id`` if it is still due.

        Updates are processed in id order, so one still waiting is the first unprocessed; if
        it is not (the desk marked it processed before its handler failed: the work was done;
        or it was given up already), nobody is told, and False says so.
        """
        async with self.store.transaction() as tx:
            waiting = await tx.unprocessed_updates(1)
            due = bool(waiting) and waiting[0][0] == update_id
            if due and chat_id is not None:
                await tx.enqueue(Outgoing(chat_id, texts.NOT_HANDLED))
            await tx.mark_update_processed(update_id)
        return due

    async def _mark_processed(self, update_id: int) -> None:
        async with self.store.transaction() as tx:
            await tx.mark_update_processed(update_id)

    async def processed(self, update_id: int) -> None:
        """Return once the update ``update_id`` (and every one before it) is processed.

        The shell and the tests wait on this instead of sleeping.
        """
        async with self._processed:
            await self._processed.wait_for(lambda: self._last_processed >= update_id)


def sender_chat(update: Update, serves_group: Callable[[int], bool]) -> int | None:
    """The chat to tell that ``update`` was given up, or None to tell nobody there.

    The chat a person wrote in: their private chat, or a group the bot serves
    (``serves_group``). Not a button press (a message out of nowhere would puzzle; its toast
    answers it), not a bot, and not a group the bot does not serve: strangers hear nothing.
    """
    message, user = update.effective_message, update.effective_user
    if update.callback_query is not None or message is None or user is None or user.is_bot:
        return None
    chat = message.chat
    if chat.type == ChatType.PRIVATE or serves_group(chat.id):
        return chat.id
    return None


def _seconds(retry_after: Any) -> float:
    return float(
        retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
    )
