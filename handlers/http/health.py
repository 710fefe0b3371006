"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work).

Ready means: the database answers (one cheap read, which also gives the backlog figures) and,
when the bot polls, its last successful ``getUpdates`` is recent. In webhook mode silence is
not a failure — Telegram calls only when there is news — and gating on it would be circular:
a load balancer that takes quiet instances out of rotation leaves Telegram nobody to call.
The body says why in either case, as JSON: the database, how long ago Telegram was last heard
from, the inbox backlog and the age of the oldest pending outbox message. Backlogs are
reported, never gated on: an instance that is behind is exactly the one that must keep its
share of the work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.errors import StoreBusy
from bot.ports import Backlog, Store

log = logging.getLogger(__name__)

READY_TIMEOUT = 3.0
"""Seconds the database gets to answer; a database that hangs is not ready either."""


@dataclass(frozen=True)
class Heard:
    """When the channel last brought news, and how long a silence may last."""

    via: str
    """``poll`` or ``webhook``."""
    seconds_ago: float | None
    """Since the last successful poll, or the last update a webhook brought; None: not yet."""
    stale_after: float | None
    """Seconds of silence after which the instance is not ready; None: silence is fine."""

    @property
    def stale(self) -> bool:
        if self.stale_after is None:
            return False
        return self.seconds_ago is None or self.seconds_ago > self.stale_after


class Health:
    """Answers ``/healthz`` and ``/readyz`` for one running bot."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], heard: Callable[[], Heard]
    ) -> None:
        """``clock`` ages the oldest outbox message (its time was written by the same clock);
        ``heard`` says when the channel last brought news (:class:`Heard`)."""
        self._store = store
        self._clock = clock
        self._heard = heard

    async def alive(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def ready(self, request: web.Request) -> web.Response:
        report, ready = await self.report()
        return web.json_response(report, status=200 if ready else 503)

    async def report(self) -> tuple[dict[str, Any], bool]:
        """The readiness report, and whether it says ready."""
        heard = self._heard()
        problems: list[str] = []
        backlog, database = await self._backlog()
        if backlog is None:
            problems.append("database")
        if heard.stale:
            problems.append(f"no successful {heard.via} for over {heard.stale_after:.0f} s")
        oldest = None if backlog is None else backlog.oldest_outbox_at
        report = {
            "ready": not problems,
            "problems": problems,
            "database": database,
            "last_contact": {"via": heard.via, "seconds_ago": _rounded(heard.seconds_ago)},
            "inbox_backlog": None if backlog is None else backlog.inbox,
            "oldest_outbox_seconds": (
                None if oldest is None else _rounded((self._clock() - oldest).total_seconds())
            ),
        }
        return report, not problems

    async def _backlog(self) -> tuple[Backlog | None, str]:
        """The backlog, and ``ok`` — or None and what went wrong (never a secret: the store's
        errors name the trouble, not the URL)."""
        try:
            async with asyncio.timeout(READY_TIMEOUT), self._store.transaction() as tx:
                return await tx.backlog(), "ok"
        except StoreBusy as exc:
            log.warning("readyz: the database did not answer: %s", exc)
            return None, f"unavailable: {exc}"
        except TimeoutError:
            log.warning("readyz: the database did not answer within %.0f s", READY_TIMEOUT)
            return None, f"no answer within {READY_TIMEOUT:.0f} s"


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(max(seconds, 0.0), 1)
