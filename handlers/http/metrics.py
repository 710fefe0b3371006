"""``/metrics``: what the bot did and what waits, in Prometheus' text format.

prometheus-client writes the exposition format (escaping, histogram buckets, ``# HELP`` and
``# TYPE`` lines): a small, well-kept library by the Prometheus authors, so a format this
important to get exactly right is not ours to maintain.

Each :class:`Metrics` has its own :class:`~prometheus_client.CollectorRegistry`, never the
library's global default: several bots in one process (the tests, the shell) would otherwise
collide on the same names, and a scrape shows exactly one bot. Counters are this instance's
since it started (Prometheus sums instances and handles restarts); the figures read from the
database at scrape time — each grid's open and overdue tasks, the inbox backlog, the oldest
pending message — are the whole deployment's, the same on every instance.

The core (bot/) imports no prometheus: the inbox counts through :class:`UpdateMeter`, the
outbox's sends are counted by :class:`MeteredSender` wrapped around its sender, and the
follow-up tick is timed by the composition root (:meth:`Metrics.timed`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.domain import Outgoing
from bot.errors import (
    ChatMoved,
    ChatUnreachable,
    RetryLater,
    StoreBusy,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import Sender, Store

log = logging.getLogger(__name__)

T = TypeVar("T")

SCRAPE_TIMEOUT = 3.0
"""Seconds the database gets to answer a scrape's reads; after that the counters are served
without the database's figures (``griddesk_database_up`` 0)."""
_NO_GRID = "none"
"""The ``grid`` label of tasks whose place is unknown (held by the community desk)."""


class UpdateMeter(Protocol):
    """What the inbox reports about each update it finishes with."""

    def update_processed(self) -> None: ...
    def update_poisoned(self) -> None: ...


class Metrics:
    """One bot's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._processed = Counter(
            "griddesk_updates_processed", "Updates handled and marked processed.",
            registry=registry,
        )  # fmt: skip
        self._poisoned = Counter(
            "griddesk_updates_poisoned",
            "Updates whose handler kept failing, skipped (their sender was told).",
            registry=registry,
        )
        self._sent = Counter(
            "griddesk_outbox_sent", "Messages and edits the channel took.", registry=registry
        )
        self._retried = Counter(
            "griddesk_outbox_retried",
            "Send attempts that failed and will be tried again, by reason.",
            ["reason"],
            registry=registry,
        )
        self._given_up = Counter(
            "griddesk_outbox_given_up", "Messages given up, by reason.", ["reason"],
            registry=registry,
        )  # fmt: skip
        self._tick = Histogram(
            "griddesk_followup_tick_seconds", "How long one follow-up tick took.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=registry,
        )  # fmt: skip
        self._open = Gauge(
            "griddesk_tasks_open", "Tasks open or claimed, by grid (read at scrape).",
            ["grid"], registry=registry,
        )  # fmt: skip
        self._overdue = Gauge(
            "griddesk_tasks_overdue",
            "Tasks past their claim (open) or resolve (claimed) deadline, by grid.",
            ["grid"], registry=registry,
        )  # fmt: skip
        self._backlog = Gauge(
            "griddesk_inbox_backlog", "Updates stored, not yet handled.", registry=registry
        )
        self._oldest = Gauge(
            "griddesk_outbox_oldest_pending_seconds",
            "Age of the oldest message waiting in the outbox; 0 when none waits.",
            registry=registry,
        )
        self._database_up = Gauge(
            "griddesk_database_up", "1 when the scrape's database reads answered.",
            registry=registry,
        )  # fmt: skip

    # what the inbox reports (UpdateMeter)

    def update_processed(self) -> None:
        self._processed.inc()

    def update_poisoned(self) -> None:
        self._poisoned.inc()

    # what the outbox's sender reports (MeteredSender)

    def sent(self) -> None:
        self._sent.inc()

    def retried(self, reason: str) -> None:
        self._retried.labels(reason).inc()

    def given_up(self, reason: str) -> None:
        self._given_up.labels(reason).inc()

    def timed(self, work: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
        """``work`` (the follow-up tick), its duration observed each time it runs."""

        async def run() -> T:
            started = time.perf_counter()
            try:
                return await work()
            finally:
                self._tick.observe(time.perf_counter() - started)

        return run

    async def page(self, store: Store, clock: Callable[[], datetime]) -> web.Response:
        """The exposition, with the database's figures read now."""
        self._database_up.set(1 if await self._read_database(store, clock) else 0)
        return web.Response(body=generate_latest(self.registry), headers=_CONTENT_TYPE)

    async def _read_database(self, store: Store, clock: Callable[[], datetime]) -> bool:
        """Refresh the gauges read from the database; False (gauges as they were) when it did
        not answer in time."""
        now = clock()
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT), store.transaction() as tx:
                backlog = await tx.backlog()
                loads = await tx.grid_loads(now)
        except (StoreBusy, TimeoutError) as exc:
            log.warning("metrics: the database did not answer (%s)", exc or "timed out")
            return False
        # no await from here on: a concurrent scrape never sees the gauges half refreshed
        self._open.clear()
        self._overdue.clear()
        for load in loads:
            grid = load.grid_id or _NO_GRID
            self._open.labels(grid).set(load.open)
            self._overdue.labels(grid).set(load.overdue)
        self._backlog.set(backlog.inbox)
        oldest = backlog.oldest_outbox_at
        self._oldest.set(0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        return True


_CONTENT_TYPE = {"Content-Type": CONTENT_TYPE_LATEST}


class MeteredSender:
    """A :class:`~bot.ports.Sender` that counts what became of each send attempt.

    Counted at the seam between the outbox and the channel, by :mod:`bot.errors`' hierarchy,
    so the dispatcher stays free of metrics: ``retried`` by ``retry_after`` (a 429),
    ``transient`` (network, 5xx) or ``chat_moved`` (sent again to the supergroup);
    ``given_up`` by ``chat_unreachable`` or ``undeliverable``. One decision is the
    dispatcher's alone and not seen here: a broadcast copy given up after its last transient
    failure counts as ``retried``/``transient`` (``griddesk doctor`` lists it as given up).
    """

    def __init__(self, sender: Sender, metrics: Metrics) -> None:
        self._sender = sender
        self._metrics = metrics

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        try:
            message_id = await self._sender.send(
                message, edit_message_id, before_request=before_request
            )
        except RetryLater:
            self._metrics.retried("retry_after")
            raise
        except TransientDeliveryError:
            self._metrics.retried("transient")
            raise
        except ChatMoved:
            self._metrics.retried("chat_moved")
            raise
        except ChatUnreachable:
            self._metrics.given_up("chat_unreachable")
            raise
        except Undeliverable:
            self._metrics.given_up("undeliverable")
            raise
        self._metrics.sent()
        return message_id
