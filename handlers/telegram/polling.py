"""Long polling Telegram from one instance at a time, and naming a 409 that is not ours.

Telegram hands a bot's updates to one ``getUpdates`` caller: a second caller ends the first's
long poll with 409 Conflict, and two pollers trade conflicts for as long as both run. So of the
instances on one database only the holder of the :data:`LEASE` lease polls (DESIGN.md §9). It
renews the lease every third of its time (:data:`LEASE_TIME` unless ``[telegram] poll_lease``
says otherwise) while it polls, and a clean stop releases it (:meth:`Poller.release`). When the
holder dies its lease runs out, and the next instance to ask — each asks every second or so —
polls from then on, from the offset after the last update stored. Instances without the lease
still handle stored updates (:mod:`handlers.telegram.inbox`); they do not wait for the poller to
do it.

Before its first poll as holder an instance calls ``deleteWebhook`` (keeping pending updates):
a webhook left set would make every ``getUpdates`` fail with 409.

A 409 while this instance holds the lease is not one of ours, since ours poll only while they
hold it: another client polls with this token (a second deployment, a copy on a developer's
machine), or something set a webhook again. It is named in one WARNING per run of conflicts,
saying what it likely is and what to do, and recorded for ``griddesk doctor``
(:meth:`~bot.ports.InboxTransaction.record_poll_conflict`); polling goes on with backoff, since
the other client may go away. A 409 after the lease was lost is the new holder's poll ending
ours: quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import Conflict, NetworkError, RetryAfter
from telegram.warnings import PTBUserWarning

from bot.ports import Store
from bot.retry import StoreBusy, retrying
from bot.sending.stopping import StopSignal
from handlers.telegram.webhook import is_update

log = logging.getLogger(__name__)

T = TypeVar("T")

LEASE = "telegram-poll"
"""The lease's name (the outbox has its own, ``outbox``)."""
LEASE_TIME = timedelta(seconds=10)
"""How long a dead poller keeps the others from polling, by default (``[telegram] poll_lease``):
updates wait at most about this long. It is renewed every third of it while polling, so two
renewals may fail."""
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
_READ_MARGIN = 5.0
"""Seconds past the long poll's own timeout to wait for Telegram's answer (PTB's get_updates
adds its read timeout, 5 s by default, in the same way)."""
JsonDict = dict[str, Any]

# getUpdates is called through do_api_request on purpose, for the JSON as it came (see
# Poller._get_updates); PTB suggests its get_updates for a method it knows. Only that advice is
# silenced (pyproject.toml's pytest filterwarnings says the same).
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.getUpdates' instead", category=PTBUserWarning
)
_MAX_BACKOFF = 30.0

# No "409" in these: the log's redacting filter masks runs of digits (bot.redact).
_ANOTHER_POLLER = (
    "Telegram refused getUpdates with a Conflict: another client is polling with this bot's "
    "token. It is not one of the instances on this database (they take turns), so most likely "
    "a second deployment or a copy running elsewhere (an old server, a developer's machine): "
    "stop it or give it its own bot token; until then the two split the updates. "
    "Telegram said: %s"
)
_WEBHOOK_SET = (
    "Telegram refused getUpdates with a Conflict: a webhook is set for this bot's token. "
    "griddesk deleted it before polling, so something set it again, most likely another "
    "deployment running in webhook mode: stop it, or run this one in webhook mode too; until "
    "then updates go to the webhook. Telegram said: %s"
)


class _LeaseLost(Exception):
    """Another instance holds the poll lease now: stop polling."""


class Poller:
    """``getUpdates`` for one instance, while it holds the poll lease."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        clock: Callable[[], datetime],
        *,
        poll_timeout: int,
        instance: str,
        stop: StopSignal,
        lease_time: timedelta = LEASE_TIME,
    ) -> None:
        self.bot = bot
        self.store = store
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.instance = instance
        """This instance's name on the lease."""
        self.stop = stop
        self.lease_time = lease_time
        """How long the lease lasts unless renewed: a dead holder keeps the others off so long."""
        self._renew_every = lease_time.total_seconds() / 3
        """Seconds between renewals while polling."""
        self._held = False
        self._renewed_at = 0.0  # time.monotonic() of the last renewal: renewals keep real time
        self._offset: int | None = None
        self._webhook_deleted = False
        self._backoff = 1.0
        self._conflicts = 0
        """409s in a row while holding the lease: the first is a WARNING, the rest are not."""
        self.polled_at: float | None = None
        """``time.monotonic()`` when polling last worked: this instance's last successful
        ``getUpdates``, or the last look at the lease that found another instance holding it
        (``/readyz``). None: neither since start."""

    @property
    def polling(self) -> bool:
        """Whether this instance holds the poll lease (as of its last renewal)."""
        return self._held

    async def poll(self) -> Sequence[JsonDict] | None:
        """The next updates if this instance may poll, else None (another instance polls).

        Empty when the long poll timed out, or failed and was waited out (network trouble,
        429, a 409): the caller simply asks again. Stored updates are confirmed to Telegram by
        the next call, which asks for what follows them (:meth:`confirm`).
        """
        if not await self._hold():
            return None
        try:
            if not self._webhook_deleted:
                await self.stop.interrupting(self.bot.delete_webhook(drop_pending_updates=False))
                self._webhook_deleted = True
            if self._offset is None:
                self._offset = await self._store_call(self._next_offset)
            updates = await self._long_poll(self._offset)
        except _LeaseLost:
            return None
        except (RetryAfter, Conflict, NetworkError) as exc:  # NetworkError: TimedOut too
            await self._wait_out(exc)
            return []
        self._backoff, self._conflicts = 1.0, 0
        self.polled_at = time.monotonic()
        return updates

    def confirm(self, updates: Sequence[JsonDict]) -> None:
        """``updates`` are stored: the next poll asks for the ones after them."""
        if updates:
            self._offset = max(int(update["update_id"]) for update in updates) + 1

    async def release(self) -> None:
        """Give the lease up (a clean stop), so another instance polls without waiting for it
        to run out. Harmless when another holds it: only this instance's lease is released."""
        self._held = False
        async with self.store.transaction() as tx:
            await tx.release_lease(LEASE, self.instance)

    async def _hold(self, *, now_please: bool = False) -> bool:
        """Whether this instance holds the lease, taking or renewing it when due.

        While held it is renewed every third of the lease (``now_please``: at once);
        a database that stays busy counts as lost, to be safe — another instance may take
        the lease meanwhile, and two pollers must not overlap for long.
        """
        due = self._renewed_at + self._renew_every
        if self._held and not now_please and time.monotonic() < due:
            return True
        was_held = self._held
        try:
            self._held = await self._store_call(self._take)
        except StoreBusy:
            self._held = False
            return False
        if self._held:
            self._renewed_at = time.monotonic()
            if not was_held:
                log.info("this instance polls Telegram now (%s)", self.instance)
                self._offset = None  # another instance may have stored more meanwhile
                self._webhook_deleted = False
        else:
            self.polled_at = time.monotonic()  # another instance's lease is running
            if was_held:
                log.info("another instance polls Telegram now")
        return self._held

    async def _take(self) -> bool:
        now = self.clock()
        async with self.store.transaction() as tx:
            return await tx.take_lease(LEASE, self.instance, now + self.lease_time, now)

    async def _next_offset(self) -> int | None:
        async with self.store.transaction() as tx:
            last = await tx.last_update_id()
        return None if last is None else last + 1

    async def _long_poll(self, offset: int | None) -> Sequence[JsonDict]:
        """One ``getUpdates`` long poll, renewing the lease while it waits.

        The wait is cut short when the bot stops or the lease is lost (``_LeaseLost``); the
        renewals themselves are never cut, as they are database work.
        """
        fetch = asyncio.ensure_future(self._get_updates(offset))
        try:
            while True:
                waiting = asyncio.wait({fetch}, timeout=self._renew_every)
                done, _ = await self.stop.interrupting(waiting)
                if done:
                    return fetch.result()
                if not await self._hold():
                    raise _LeaseLost
        finally:
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch

    async def _get_updates(self, offset: int | None) -> list[JsonDict]:
        """``getUpdates``, each update kept as Telegram's JSON: the inbox stores it as it came
        and parses it once, to handle it. (PTB's ``get_updates`` parses every update into
        objects, which the inbox would only turn back into JSON to store: a tenth of a
        message's cost in a burst.) Anything in the answer that is not an update is skipped
        with a warning."""
        arguments = {"offset": offset, "timeout": self.poll_timeout,
                     "allowed_updates": ALLOWED_UPDATES}  # fmt: skip
        result = await self.bot.do_api_request(
            "getUpdates", arguments, read_timeout=self.poll_timeout + _READ_MARGIN
        )
        answer = result if isinstance(result, list) else []
        updates = [update for update in answer if is_update(update)]
        if len(updates) < len(answer) or not isinstance(result, list):
            log.warning("getUpdates answered entries that are not updates; skipped them")
        return updates

    async def _wait_out(self, error: RetryAfter | Conflict | NetworkError) -> None:
        """Wait before the next call as ``error`` asks: Telegram's ``retry_after``, or backoff
        (any other Telegram error, a revoked token say, ends the poller: the bot stops)."""
        if isinstance(error, RetryAfter):
            await self.stop.sleep(_seconds(error.retry_after))
        elif isinstance(error, Conflict):
            await self._conflict(error)
        else:
            log.warning("polling failed (%s); retrying in %.0f s", error, self._backoff)
            await self._back_off()

    async def _conflict(self, error: Conflict) -> None:
        """A 409: the new holder's poll ending ours (quiet), or someone else's (named)."""
        if not await self._hold(now_please=True):
            return
        webhook = "webhook" in error.message.lower()
        if self._conflicts == 0:
            log.warning(_WEBHOOK_SET if webhook else _ANOTHER_POLLER, error.message)
        else:
            log.info("getUpdates: Conflict again (%s)", error.message)
        self._conflicts += 1
        at = self.clock()

        async def record() -> None:
            async with self.store.transaction() as tx:
                await tx.record_poll_conflict(at, webhook=webhook)

        with contextlib.suppress(StoreBusy):  # only the record for doctor waits for the next
            await self._store_call(record)
        await self._back_off()

    async def _back_off(self) -> None:
        await self.stop.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, _MAX_BACKOFF)

    async def _store_call(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work`` retried while the database is busy, its backoff cut short by a stop."""
        return await retrying(work, "telegram poll", sleep=self.stop.sleep)


def _seconds(retry_after: Any) -> float:
    return float(
        retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after
    )
