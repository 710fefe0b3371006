"""The claims of someone who left: seen and released by an admin (``griddesk claims``).

A worker taken out of the config can no longer act on their tasks, and the tasks they had
claimed would wait on nobody until their resolve deadlines escalate them. An admin lists them
and puts each back to open in its holder's group, where the unit sees it waiting for a claim
again; the resident is not told (their request is in hand as before, with the same deadline).

It runs beside a live bot on the same database: every release is its own transaction and the
conditional update of 退回 (:func:`~bot.desk.work.unclaim`), so a task the worker resolved,
or that was handed to a colleague meanwhile, is left alone, and a second run releases nothing
twice. What it says goes to the outbox, which the running bot sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot import texts
from bot.desk.cards import Presenter
from bot.desk.context import utc_now
from bot.desk.work import unclaim
from bot.domain import EventKind, Outgoing, Task, TaskEvent
from bot.followup.plan import Plan
from bot.ports import Store

_ALL = 10_000
"""More claims than one person can hold: the whole list, never a page of it."""


class Leavers:
    """One person's claims, from outside the bot: no press, no actor but "an admin"."""

    def __init__(
        self,
        store: Store,
        presenter: Presenter,
        plan: Plan,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.presenter = presenter
        self.plan = plan
        self.clock = clock

    async def claims(self, worker_id: str) -> Sequence[Task]:
        """The tasks ``worker_id`` holds a claim on now, oldest first."""
        async with self.store.transaction() as tx:
            return await tx.tasks_claimed_by(worker_id, _ALL)

    async def release(self, worker_id: str) -> tuple[list[Task], list[Task]]:
        """Every claim of ``worker_id`` back to open, one transaction each: the tasks
        released, and those that changed between the listing and their release (left alone)."""
        released, moved_on = [], []
        for task in await self.claims(worker_id):
            async with self.store.transaction() as tx:
                now = self.clock()
                back = await unclaim(tx, self.plan, task, now)
                if back is None:
                    moved_on.append(task)
                    continue
                note = texts.CLAIM_RELEASED_NOTE
                await tx.add_event(TaskEvent(task.id, EventKind.RETURNED, None, now, note=note))
                await tx.enqueue(self.presenter.live_card(back))
                group = self.presenter.org.unit(back.holder).chat_id
                said = texts.CLAIM_RELEASED.format(number=back.number, category=back.category.zh)
                await tx.enqueue(Outgoing(group, said))
            released.append(back)
        return released, moved_on
