"""The morning digest per grid group and the weekly figures per community group (DESIGN.md §6).

The scheduler (PTB's JobQueue, wired in handlers/) only says *now*; the functions here take it
as an argument, so tests drive them with a fake clock. Periods are local: the morning digest
belongs to the local day of ``now``, the weekly figures to the seven local days before it.

Sent exactly once per unit and period, across restarts, retried jobs and several instances:
each digest is claimed in the ledger (:meth:`bot.ports.Transaction.claim_digest`, a unique
(unit, period) row) in the same transaction that queues it in the outbox. The one insert that
succeeds sends; a rollback takes the claim back with the message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from bot import texts
from bot.config.org import Unit
from bot.config.settings import DigestSettings
from bot.desk.context import Context
from bot.domain import ACTIVE, Outgoing, Task, TaskStatus, UnitKind
from bot.figures.compute import week_before
from bot.figures.stats_command import Scope, figures_messages
from nlp.privacy import mask_pii

log = logging.getLogger(__name__)

EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
_FETCH = 500
_SHOWN = 15
"""Tasks listed per section of a morning digest; the rest are counted."""


@dataclass(frozen=True)
class DailyJob:
    """What the scheduler runs at a local time of day, on some weekdays."""

    name: str
    at: time
    """Aware: carries the configured zone."""
    weekdays: tuple[int, ...]
    """As :meth:`datetime.date.weekday`: 0 = Monday."""
    run: Callable[[], Awaitable[object]]


class Digests:
    """Sends the digests due at a given moment, each once."""

    def __init__(self, context: Context, settings: DigestSettings) -> None:
        self.ctx = context
        self.settings = settings

    def jobs(self, clock: Callable[[], datetime]) -> tuple[DailyJob, ...]:
        """The two daily jobs for the scheduler; each asks ``clock`` for now when it runs."""
        zone = self.ctx.timezone
        return (
            DailyJob(
                "griddesk-morning-digest",
                self.settings.morning.replace(tzinfo=zone),
                EVERY_DAY,
                lambda: self.morning(clock()),
            ),
            DailyJob(
                "griddesk-weekly-digest",
                self.settings.weekly_time.replace(tzinfo=zone),
                (self.settings.weekly_day,),
                lambda: self.weekly(clock()),
            ),
        )

    async def catch_up(self, now: datetime) -> int:
        """At start-up: today's digests whose time has passed while the bot was down.

        The scheduler does not replay runs it missed; the ledger keeps a digest single even if
        it did go out before the restart. A database that never recorded a digest is a new
        install, not one that was down: started after the digest hour, it must not greet every
        group with a digest at once, so it waits for the next scheduled run.
        """
        local = now.astimezone(self.ctx.timezone)
        morning = local.time() >= self.settings.morning
        weekly = (
            local.weekday() == self.settings.weekly_day
            and local.time() >= self.settings.weekly_time
        )
        if not (morning or weekly):
            return 0
        async with self.ctx.store.transaction() as tx:
            if not await tx.any_digest_claimed():
                log.info("new install: today's digests are skipped; the next go out on time")
                return 0
        sent = await self.morning(now) if morning else 0
        return sent + (await self.weekly(now) if weekly else 0)

    async def morning(self, now: datetime) -> int:
        """Each grid group's open, overdue and claimed tasks, once per local day; how many sent."""
        today = now.astimezone(self.ctx.timezone).date()
        sent = 0
        for grid in self.ctx.org.grids():
            async with self.ctx.store.transaction() as tx:
                if not await tx.claim_digest(grid.ref, f"morning:{today.isoformat()}", now):
                    continue
                tasks = await tx.tasks_held_by(grid.ref, ACTIVE, _FETCH)
                await tx.enqueue(Outgoing(grid.chat_id, self.morning_text(grid, tasks, now, today)))
            sent += 1
        if sent:
            log.info("sent %d morning digests for %s", sent, today.isoformat())
        return sent

    async def weekly(self, now: datetime) -> int:
        """Each community group's per-grid figures of the week before, once; how many sent."""
        window = week_before(now, self.ctx.timezone)
        first, _ = window.days(self.ctx.timezone)
        org = self.ctx.org
        sent = 0
        for community in org.units(UnitKind.COMMUNITY):
            grids = tuple(u for u in org.children(community.ref) if u.ref.kind is UnitKind.GRID)
            scope = Scope(community.name, grids, total=True)
            async with self.ctx.store.transaction() as tx:
                if not await tx.claim_digest(community.ref, f"week:{first.isoformat()}", now):
                    continue
                weekly = texts.WEEKLY_TITLE
                for text in await figures_messages(tx, self.ctx, scope, window, weekly, now=now):
                    await tx.enqueue(Outgoing(community.chat_id, text))
            sent += 1
        if sent:
            log.info("sent %d weekly digests for the week from %s", sent, first.isoformat())
        return sent

    def morning_text(self, grid: Unit, tasks: Sequence[Task], now: datetime, today: date) -> str:
        """The digest of one grid: overdue first, then waiting for a claim, then in hand."""
        title = texts.MORNING_TITLE.format(grid=grid.name, day=texts.day(today))
        overdue = [t for t in tasks if _overdue(t, now)]
        waiting = [t for t in tasks if t.status is TaskStatus.OPEN and not _overdue(t, now)]
        in_hand = [t for t in tasks if t.status is TaskStatus.CLAIMED and not _overdue(t, now)]
        if not tasks:
            return f"{title}\n{texts.MORNING_NOTHING}"
        lines = [title]
        for header, group in (
            (texts.MORNING_OVERDUE, overdue),
            (texts.MORNING_OPEN, waiting),
            (texts.MORNING_CLAIMED, in_hand),
        ):
            if group:
                lines.append(header.format(count=len(group)))
                lines += [self._line(task, now) for task in group[:_SHOWN]]
                if len(group) > _SHOWN:
                    lines.append(texts.MORNING_MORE.format(count=len(group) - _SHOWN))
        return "\n".join(lines)

    def _line(self, task: Task, now: datetime) -> str:
        presenter = self.ctx.presenter
        worker = self.ctx.org.name(task.claimer_id) if task.claimer_id else ""
        if task.status is TaskStatus.OPEN:
            at = presenter.when(task.claim_due_at)
            template = (
                texts.MORNING_OVERDUE_CLAIM if _overdue(task, now) else texts.MORNING_CLAIM_BY
            )
        else:
            at = presenter.when(task.resolve_due_at)
            template = (
                texts.MORNING_OVERDUE_RESOLVE if _overdue(task, now) else texts.MORNING_RESOLVE_BY
            )
        place = texts.shorten(mask_pii(presenter.place(task)), 20)
        return texts.digest_line(
            task.number, task.category, place, template.format(at=at, worker=worker)
        )


def _overdue(task: Task, now: datetime) -> bool:
    """Past the claim deadline unclaimed, or past the resolve deadline unresolved."""
    if task.status is TaskStatus.OPEN:
        return now >= task.claim_due_at
    return task.status is TaskStatus.CLAIMED and now >= task.resolve_due_at
