"""What workers list in chat: /tasks (a unit's open and claimed tasks) and /mine (a worker's own).

Read-only views, masked like the cards (the place down to the building, never the room); each
line says the deadline that applies now and whether it has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import texts
from bot.desk.cards import masked_place_of
from bot.desk.context import Actor, Context, mark_processed
from bot.domain import ACTIVE, Outgoing, Task, TaskStatus

_LIST_LIMIT = 20


class Listings:
    """/tasks and /mine."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def open_tasks(self, actor: Actor, update_id: int | None) -> None:
        """/tasks in a group: the unit's open and claimed tasks."""
        async with self.ctx.store.transaction() as tx:
            unit = self.ctx.unit_by_chat(actor.chat_id)
            if unit is None:
                text = texts.NOT_A_KNOWN_GROUP
            else:
                tasks = await tx.tasks_held_by(unit.ref, ACTIVE, _LIST_LIMIT)
                text = (
                    self._list(
                        texts.OPEN_TASKS_HEADER.format(unit=unit.name, count=len(tasks)), tasks
                    )
                    if tasks
                    else texts.NO_OPEN_TASKS
                )
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    async def my_work(self, actor: Actor, update_id: int | None) -> None:
        """/mine: the tasks the worker is handling now."""
        async with self.ctx.store.transaction() as tx:
            if actor.user_id not in self.ctx.org.people:
                text = texts.NOT_STAFF
            else:
                tasks = [
                    t
                    for t in await tx.tasks_claimed_by(actor.user_id, _LIST_LIMIT)
                    if t.status is TaskStatus.CLAIMED
                ]
                name = self.ctx.org.name(actor.user_id)
                text = (
                    self._list(texts.MINE_HEADER.format(worker=name, count=len(tasks)), tasks)
                    if tasks
                    else texts.NO_MINE
                )
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    def _list(self, header: str, tasks: Sequence[Task]) -> str:
        lines = [header]
        now = self.ctx.clock()
        for task in tasks:
            lines.append(
                texts.task_line(
                    task.number,
                    task.category,
                    task.status,
                    texts.shorten(masked_place_of(task), 20),
                    self._due(task, now),
                )
            )
        return "\n".join(lines)

    def _due(self, task: Task, now: datetime) -> str:
        """The deadline that applies now: the claim while 待认领, the resolve once claimed."""
        if task.status is TaskStatus.OPEN:
            due, at = texts.DUE_CLAIM, task.claim_due_at
        else:
            due, at = texts.DUE_RESOLVE, task.resolve_due_at
        worker = self.ctx.org.name(task.claimer_id) if task.claimer_id else ""
        said = due.format(at=self.ctx.presenter.when(at), worker=worker)
        return texts.DUE_OVERDUE.format(due=said) if at <= now else said
