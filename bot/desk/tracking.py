"""A resident following their own tasks: /my, /cancel N, and the rating after 办结.

A resident only ever sees and touches their own tasks: a number that is not theirs reads as
"not found", the same as one that does not exist.
"""

from __future__ import annotations

import re

from bot import texts
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.followers import release_followers
from bot.desk.work import Work
from bot.domain import (
    ALLOWED_FROM,
    EventKind,
    Outgoing,
    Rating,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
)
from bot.followup.plan import FINISHED
from bot.ports import TaskChange, Transaction

_MY_LIMIT = 10
_NUMBER = re.compile(r"^\s*(?:(\d{8})-)?(\d{1,12})\s*$")


class Tracking:
    """What residents do with tasks they already reported."""

    def __init__(self, context: Context, work: Work) -> None:
        self.ctx = context
        self.work = work

    async def my_tasks(self, actor: Actor, update_id: int | None) -> None:
        async with self.ctx.store.transaction() as tx:
            tasks = await tx.tasks_of_resident(actor.user_id, _MY_LIMIT)
            if not tasks:
                text = texts.NO_TASKS
            else:
                lines = [texts.MY_TASKS_HEADER.format(count=len(tasks))]
                lines += [texts.my_task_line(t.number, t.status, t.category, t.text) for t in tasks]
                text = "\n".join(lines)
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    async def cancel(self, actor: Actor, argument: str, update_id: int | None) -> None:
        """/cancel 20261122-0017 (or just 17 for one of the resident's own recent tasks)."""
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, await self._cancel(tx, actor, argument)))
            await mark_processed(tx, update_id)

    async def _cancel(self, tx: Transaction, actor: Actor, argument: str) -> str:
        match = _NUMBER.match(argument)
        if not argument.strip() or match is None:
            return texts.CANCEL_USAGE
        task = await self._own_task(tx, actor, match.group(1), int(match.group(2)))
        shown = argument.strip()
        if task is None:
            return texts.CANCEL_NOT_FOUND.format(number=shown)
        cancelled = await tx.change_task(
            task.id,
            TaskChange(status=TaskStatus.CANCELLED, stage=FINISHED.stage, stop_followup=True),
            only_if=ALLOWED_FROM[Transition.CANCEL],
        )
        if cancelled is None:
            status = texts.STATUS_ZH[task.status]
            return texts.CANCEL_NOT_ACTIVE.format(number=task.number, status=status)
        now = self.ctx.clock()
        await tx.add_event(TaskEvent(task.id, EventKind.CANCELLED, actor.user_id, now))
        await tx.enqueue(self.ctx.presenter.live_card(cancelled))
        await release_followers(self.ctx, tx, cancelled, now)
        if task.claimer_id is not None:
            notice = texts.NOTICE_CANCELLED_TO_WORKER.format(number=task.number)
            await tx.enqueue(Outgoing(task.claimer_id, notice))
        return texts.CANCELLED.format(number=task.number)

    async def _own_task(
        self, tx: Transaction, actor: Actor, day: str | None, serial: int
    ) -> Task | None:
        if day is not None:
            task = await tx.task_by_number(f"{day}-{serial:04d}")
            return task if task is not None and task.resident_id == actor.user_id else None
        suffix = f"-{serial:04d}"
        recent = await tx.tasks_of_resident(actor.user_id, 50)
        return next((t for t in recent if t.number.endswith(suffix)), None)

    async def rate(self, actor: Actor, task_id: int, value: str, update_id: int | None) -> Answer:
        """满意 / 基本满意 close the task; 不满意 reopens it one level higher."""
        try:
            rating = Rating(value)
        except ValueError:
            return Answer(texts.ANSWER_EXPIRED)
        try:
            async with self.ctx.store.transaction() as tx:
                task = await tx.task(task_id)
                if task is None or task.resident_id != actor.user_id:
                    return Answer(texts.ANSWER_NOT_YOURS, alert=True)
                if task.status is not TaskStatus.RESOLVED:
                    return Answer(texts.ALREADY_RATED)
                now = self.ctx.clock()
                await tx.add_event(
                    TaskEvent(task_id, EventKind.RATED, actor.user_id, now, note=rating.value)
                )
                if rating is Rating.UNSATISFIED:
                    await self._reopen(tx, actor, task)
                else:
                    await self._close(tx, actor, task, rating)
                await mark_processed(tx, update_id)
        except _RatedMeanwhile:  # another press won the race; the rollback undid this one
            return Answer(texts.ALREADY_RATED)
        return Answer(texts.THANKS_FOR_RATING)

    async def _close(self, tx: Transaction, actor: Actor, task: Task, rating: Rating) -> None:
        closed = await tx.change_task(
            task.id,
            TaskChange(
                status=TaskStatus.CLOSED, rating=rating, stage=FINISHED.stage, stop_followup=True
            ),
            only_if=ALLOWED_FROM[Transition.CLOSE],
        )
        if closed is None:
            raise _RatedMeanwhile
        await tx.add_event(TaskEvent(task.id, EventKind.CLOSED, None, self.ctx.clock()))
        await tx.enqueue(self.ctx.presenter.live_card(closed))
        await tx.enqueue(Outgoing(actor.chat_id, texts.THANKS_FOR_RATING))

    async def _reopen(self, tx: Transaction, actor: Actor, task: Task) -> None:
        """不满意: open again one level up, and say so to the resident and in both groups."""
        old_chat = self.ctx.org.unit(task.holder).chat_id
        moved = await self.work.move_up(tx, task, actor.user_id, EventKind.REOPENED)
        if moved is None:  # already at the top: reopen where it is, with fresh deadlines
            now = self.ctx.clock()
            cycle = self.ctx.plan.cycle(task.category, task.urgent, now)
            moved = await tx.change_task(
                task.id,
                TaskChange(
                    status=TaskStatus.OPEN,
                    clear_claimer=True,
                    clear_result=True,
                    reopen_count=task.reopen_count + 1,
                    claim_due_at=cycle.claim_due_at,
                    resolve_due_at=cycle.resolve_due_at,
                    stage=cycle.move.stage,
                    next_followup_at=cycle.move.at,
                ),
                only_if=ALLOWED_FROM[Transition.REOPEN],
            )
            if moved is None:
                raise _RatedMeanwhile
            await tx.add_event(
                TaskEvent(
                    task.id, EventKind.REOPENED, actor.user_id, now, due_at=cycle.claim_due_at
                )
            )
            await tx.enqueue(self.ctx.presenter.live_card(moved, new=True))
        unit = self.ctx.org.unit(moved.holder).name
        if self.ctx.org.unit(moved.holder).chat_id != old_chat:
            away = texts.STATUS_REOPENED_AWAY.format(unit=unit)
            await tx.enqueue(self.ctx.presenter.card(moved, away, chat_id=old_chat))
        await tx.enqueue(
            Outgoing(old_chat, texts.REOPENED_ALERT.format(number=moved.number, unit=unit))
        )
        await tx.enqueue(
            Outgoing(
                actor.chat_id, texts.REOPENED_TO_RESIDENT.format(number=moved.number, unit=unit)
            )
        )


class _RatedMeanwhile(Exception):
    """The task left "resolved" between reading it and changing it: roll the rating back."""
