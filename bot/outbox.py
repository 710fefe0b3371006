"""The outbox dispatcher: sends what the desk wrote, in order, until it is delivered or given up.

The desk writes every message in the same transaction as the change that causes it; this
dispatcher is the only thing that talks to the channel (DESIGN.md §7). Per chat, messages go out
in the order they were written — a card before its edits — so one slow or failing chat never
reorders another's messages and never blocks anyone else. Rate limits and 429s are the
channel's business (PTB's AIORateLimiter); what reaches here as :class:`~bot.errors.RetryLater`
or a network error is scheduled again with backoff; after ``max_attempts`` tries, or at once for
an undeliverable message, it is marked failed with a log line operators can see.

A crash between sending and recording the platform message id sends that message again after a
restart: delivery is at least once. With several instances on one database only the holder of
the outbox lease sends, so a message is never sent by two of them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.errors import RetryLater, TransientDeliveryError, Undeliverable
from bot.ports import OutboxItem, Sender, Store

log = logging.getLogger(__name__)

_MAX_BACKOFF = timedelta(minutes=5)
_LEASE = "outbox"
_LEASE_TIME = timedelta(seconds=30)
"""Renewed at every drain (at least every idle tick); a dead holder is replaced after this."""


class OutboxDispatcher:
    """Drains the outbox whenever woken, and on its own every ``idle_seconds``."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        clock: Callable[[], datetime],
        *,
        max_attempts: int = 5,
        batch: int = 200,
        idle_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.instance = uuid.uuid4().hex
        """This dispatcher's name on the outbox lease (one sender at a time, DESIGN.md §9)."""
        self._wake = asyncio.Event()
        self._drains_started = 0
        self._last_idle_drain = 0
        self._drained = asyncio.Condition()

    def wake(self) -> None:
        """Something was written: drain now rather than at the next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        """Drain until cancelled."""
        while True:
            self._wake.clear()
            self._drains_started += 1
            drain = self._drains_started
            if await self.drain():
                continue
            async with self._drained:
                self._last_idle_drain = drain
                self._drained.notify_all()
            with contextlib.suppress(TimeoutError):  # the idle tick: retries that became due
                await asyncio.wait_for(self._wake.wait(), self.idle_seconds)

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
            pending = await tx.pending_outbox(self.batch)
        by_chat: dict[int, list[OutboxItem]] = {}
        for item in pending:
            by_chat.setdefault(item.message.chat_id, []).append(item)
        counts = await asyncio.gather(*(self._drain_chat(items, now) for items in by_chat.values()))
        return sum(counts)

    async def _drain_chat(self, items: Sequence[OutboxItem], now: datetime) -> int:
        """One chat's messages in order, stopping at the first one that must wait."""
        attempted = 0
        for item in items:
            if item.next_attempt_at > now:
                break
            attempted += 1
            if not await self._deliver(item):
                break
        return attempted

    async def _deliver(self, item: OutboxItem) -> bool:
        """Try one message; True when the chat may go on with its next message."""
        message = item.message
        edit_id = None
        if message.edit_card_of is not None:
            async with self.store.transaction() as tx:
                edit_id = await tx.card_message_id(message.edit_card_of, message.chat_id)
            if edit_id is None:  # the card never went out: this edit becomes the card
                message = replace(message, card_of=message.edit_card_of, edit_card_of=None)
        try:
            message_id = await self.sender.send(message, edit_id)
        except RetryLater as exc:
            await self._retry(item, str(exc), timedelta(seconds=exc.seconds))
            return False
        except TransientDeliveryError as exc:
            await self._retry(
                item, str(exc), min(_MAX_BACKOFF, timedelta(seconds=2**item.attempts))
            )
            return False
        except Undeliverable as exc:
            log.warning("outbox %d to chat %d given up: %s", item.id, message.chat_id, exc)
            async with self.store.transaction() as tx:
                await tx.outbox_failed(item.id, str(exc))
            return True
        async with self.store.transaction() as tx:
            await tx.outbox_sent(item.id, message_id)
            if message.card_of is not None and item.message.card_of is None:
                await tx.remember_card(message.card_of, message.chat_id, message_id)
        return True

    async def _retry(self, item: OutboxItem, error: str, delay: timedelta) -> None:
        if item.attempts + 1 >= self.max_attempts:
            log.error(
                "outbox %d to chat %d given up after %d attempts: %s",
                item.id, item.message.chat_id, item.attempts + 1, error,
            )  # fmt: skip
            async with self.store.transaction() as tx:
                await tx.outbox_failed(item.id, error)
            return
        log.info("outbox %d to chat %d: %s; retrying in %s", item.id, item.message.chat_id,
                 error, delay)  # fmt: skip
        async with self.store.transaction() as tx:
            await tx.outbox_retry(item.id, error, self.clock() + delay)
