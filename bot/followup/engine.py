"""The follow-up engine: nothing is forgotten (事事有回应、件件有着落, DESIGN.md §6).

One function, :meth:`FollowUp.tick`, takes ``now`` and asks the database which tasks are due
through the indexed ``next_followup_at``; each due task takes the step the plan names
(:meth:`bot.followup.plan.Plan.next_step`: remind, escalate, ask for a rating, close), which
is a task event, and the plan's next move is written to the row.

Reminders due in the same batch for the same chat are said in one message
(:mod:`bot.followup.reminders`); each task's card is still edited to show it is overdue.

A step is computed from the time it was due, not from ``now``, so after hours of downtime a
tick replays every missed step once, in order. Due rows are locked for the transaction that
acts on them (PostgreSQL ``FOR UPDATE SKIP LOCKED``), so two instances never take the same step.
The schedule itself lives on the task rows; a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from bot import texts
from bot.desk.context import Context
from bot.desk.notices import ResidentNotices, Slip
from bot.desk.work import Work
from bot.domain import (
    ALLOWED_FROM,
    EventKind,
    Outgoing,
    Stage,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
    UnitRef,
)
from bot.followup.plan import Move, Plan, StepKind
from bot.followup.reminders import Reminders
from bot.ports import TaskChange, Transaction

log = logging.getLogger(__name__)

_BATCH = 5000
"""Due tasks per transaction. Larger batches mean fewer commits and round trips (1,000 took
a third longer for 10,000 steps) and one overdue reminder per group for more tasks; a batch
holds SQLite's write lock, or its rows' locks on PostgreSQL, for about half a second."""
_MAX_STEPS_PER_TASK = 12  # a guard: a full chain is at most about six steps

RESOLVE_REMINDED = "resolve"
"""The note of the reminder logged when a claimed task's resolve deadline passed: the 台账 reads
it as a missed 办结 even after an escalation set a later deadline (:mod:`bot.export.ledger`)."""


@dataclass(frozen=True)
class _Group:
    """A unit's group chat and whom a claim reminder there asks (names, and mentions)."""

    chat_id: str
    names: tuple[str, ...]
    mentions: tuple[tuple[str, str], ...]


class FollowUp:
    """Takes every due follow-up step."""

    def __init__(self, context: Context, work: Work) -> None:
        self.ctx = context
        self.work = work
        self._ticking = asyncio.Lock()  # one tick at a time per engine: the buffer is shared
        self._moves: list[tuple[int, Stage, datetime]] = []
        self._outbox: list[Outgoing] = []
        self._events: list[TaskEvent] = []
        self._reminders = Reminders()
        """What the current batch's steps did, written in a few round trips (:meth:`_flush`)."""
        self._groups: dict[UnitRef, _Group] = {}
        self._plan: Plan = context.plan

    async def tick(self, now: datetime) -> int:
        """Take every step due at ``now``; return how many were taken."""
        async with self._ticking:
            return await self._tick(now)

    async def _tick(self, now: datetime) -> int:
        steps = 0
        while True:
            async with self.ctx.store.transaction() as tx:
                due = await tx.due_tasks(now, _BATCH)
                self._moves.clear()
                self._outbox.clear()
                self._events.clear()
                self._reminders.take()  # left over only if the last batch failed
                for task in due:
                    steps += await self._catch_up(tx, task, now)
                await self._flush(tx)
            if len(due) < _BATCH:
                break
        if steps:
            log.info("follow-up tick at %s took %d steps", now.isoformat(), steps)
        return steps

    async def _catch_up(self, tx: Transaction, task: Task, now: datetime) -> int:
        """Every step of one task that is due by ``now``, oldest first."""
        taken = 0
        current: Task | None = task
        while (
            current is not None
            and current.next_followup_at is not None
            and current.next_followup_at <= now
            and taken < _MAX_STEPS_PER_TASK
        ):
            current = await self._step(tx, current, current.next_followup_at)
            taken += 1
        return taken

    async def _step(  # noqa: PLR0911 - one return per step kind reads as the table it is
        self, tx: Transaction, task: Task, at: datetime
    ) -> Task | None:
        """Take the step the plan names for ``task``, as of ``at``; return the task after it."""
        step = self._plan.next_step(task, at)
        match step.kind:
            case StepKind.REMIND_CLAIM:
                return await self._remind_claim(tx, task, at, step.then)
            case StepKind.REMIND_RESOLVE:
                return await self._remind_resolve(tx, task, at, step.then)
            case StepKind.ESCALATE:
                return await self._escalate(tx, task, at, step.then)
            case StepKind.WAIT:
                return await self._advance(tx, task, step.then)
            case StepKind.ASK_RATING:
                return await self._ask_rating_again(tx, task, at, step.then)
            case StepKind.CLOSE_UNRATED:
                return await self._close_unrated(tx, task, at)
        # a schedule that no longer fits the task's status: nothing more to do
        log.warning("task %d: stage %s does not fit status %s", task.id, task.stage, task.status)
        await self._flush(tx)
        then = step.then
        return await tx.change_task(task.id, TaskChange(stage=then.stage, stop_followup=True))

    async def _remind_claim(
        self, tx: Transaction, task: Task, at: datetime, then: Move
    ) -> Task | None:
        group = self._group(task.holder)
        reminded = await self._advance(tx, task, then)
        if reminded is not None:
            self._reminders.add(
                group.chat_id,
                texts.REMIND_CLAIM,
                texts.REMIND_CLAIM_MANY,
                task,
                names=group.names,
                mentions=group.mentions,
            )
            self._say(self.ctx.presenter.live_card_later(reminded))
            self._log(TaskEvent(task.id, EventKind.REMINDED, None, at, note="claim"))
        return reminded

    def _group(self, holder: UnitRef) -> _Group:
        """Whom a claim reminder in ``holder``'s group asks (the organisation never changes
        while the bot runs, so each unit is worked out once)."""
        group = self._groups.get(holder)
        if group is None:
            unit = self.ctx.org.unit(holder)
            members = self.ctx.org.members(holder)
            group = _Group(
                unit.chat_id,
                tuple(p.name for p in members) or (unit.name,),
                tuple((p.user_id, p.name) for p in members),
            )
            self._groups[holder] = group
        return group

    async def _remind_resolve(
        self, tx: Transaction, task: Task, at: datetime, then: Move
    ) -> Task | None:
        claimer = task.claimer_id
        reminded = await self._advance(tx, task, then)
        if reminded is None:
            return None
        chat = self.ctx.org.unit(task.holder).chat_id
        if claimer:
            name = self.ctx.org.name(claimer)
            group, many = texts.REMIND_RESOLVE_GROUP, texts.REMIND_RESOLVE_GROUP_MANY
            self._reminders.add(chat, group, many, task, names=(name,), mentions=((claimer, name),))
            private, many = texts.REMIND_RESOLVE_PRIVATE, texts.REMIND_RESOLVE_PRIVATE_MANY
            self._reminders.add(claimer, private, many, task)
        else:
            group, many = texts.REMIND_RESOLVE_GROUP, texts.REMIND_RESOLVE_GROUP_MANY
            self._reminders.add(chat, group, many, task)
        self._say(self.ctx.presenter.live_card_later(reminded))
        self._log(TaskEvent(task.id, EventKind.REMINDED, None, at, note=RESOLVE_REMINDED))
        return reminded

    async def _escalate(self, tx: Transaction, task: Task, at: datetime, top: Move) -> Task | None:
        overdue = (
            texts.OVERDUE_RESOLVE if task.stage is Stage.RESOLVE_REMINDED else texts.OVERDUE_CLAIM
        )
        await self._flush(tx)
        moved = await self.work.move_up(tx, task, None, EventKind.ESCALATED, at=at, note=overdue)
        if moved is None:  # at the top already: the top unit has been reminded; stop here
            return await tx.change_task(task.id, TaskChange(stage=top.stage, stop_followup=True))
        unit = self.ctx.org.unit(moved.holder).name
        old_chat = self.ctx.org.unit(task.holder).chat_id
        away = texts.STATUS_OVERDUE_AWAY.format(overdue=overdue, unit=unit)
        self._say(self.ctx.presenter.card(moved, away, chat_id=old_chat))
        resident = await tx.resident(task.resident_id)
        if resident is not None:
            why = Slip.RESOLVE if task.stage is Stage.RESOLVE_REMINDED else Slip.CLAIM
            notices = ResidentNotices(self.ctx)
            notice = notices.slip(moved, why)
            self._say(notices.notice(resident.chat_id, notice, urgent=moved.urgent))
        return moved

    async def _ask_rating_again(
        self, tx: Transaction, task: Task, at: datetime, then: Move
    ) -> Task | None:
        asked = await self._advance(tx, task, then)
        resident = await tx.resident(task.resident_id)
        if asked is not None and resident is not None:
            request = self.ctx.presenter.rating_request(asked, resident.chat_id)
            text = texts.RATING_AGAIN.format(number=task.number)
            self._say(Outgoing(resident.chat_id, text, request.buttons))
            self._log(TaskEvent(task.id, EventKind.REMINDED, None, at, note="rating"))
        return asked

    async def _close_unrated(self, tx: Transaction, task: Task, at: datetime) -> Task | None:
        await self._flush(tx)
        closed = await tx.change_task(
            task.id,
            TaskChange(status=TaskStatus.CLOSED, stage=Stage.DONE, stop_followup=True),
            only_if=ALLOWED_FROM[Transition.CLOSE],
        )
        if closed is not None:
            self._log(TaskEvent(task.id, EventKind.CLOSED, None, at, note="unrated"))
            self._say(self.ctx.presenter.live_card(closed))
        return closed

    async def _advance(self, tx: Transaction, task: Task, then: Move) -> Task | None:
        """Move the schedule on. The row is locked by :meth:`tick`'s ``due_tasks`` for the
        whole transaction, so nothing can have changed it: the move is buffered and written
        with the batch's others in one round trip, not one statement per step."""
        assert then.at is not None  # a reminder or a rating question always has a next step
        self._moves.append((task.id, then.stage, then.at))
        return task.rescheduled(then.stage, then.at)

    def _say(self, message: Outgoing) -> None:
        self._outbox.append(message)

    def _log(self, event: TaskEvent) -> None:
        self._events.append(event)

    async def _flush(self, tx: Transaction) -> None:
        """Write what the batch's steps buffered: schedule moves, messages, events — before any
        other update of those rows, and in the order the steps made them."""
        if self._moves:
            await tx.move_schedules(self._moves)
            self._moves.clear()
        self._outbox.extend(self._reminders.take())
        if self._outbox:
            await tx.enqueue_many(self._outbox)
            self._outbox.clear()
        if self._events:
            await tx.add_events(self._events)
            self._events.clear()
