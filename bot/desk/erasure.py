"""A resident's right to have their data deleted (PIPL art. 47): /forget, and the same for an
operator taking the request on the phone (``griddesk erase``).

/forget says what will go and asks to confirm (buttons); 确认删除 then, in one transaction:
the resident's open tasks are withdrawn (their cards say the resident asked for their data to
be deleted, the claimer is told to stop and to delete the contact details they were sent), a
task waiting for its rating is closed unrated, and every task of theirs is forgotten — words,
photos, notes and owner erased, figures kept (:mod:`storage.erasure_rows`); their draft and
record go, with every stored message to them or naming their tasks. The trail of each task
records that an erasure happened (``EventKind.ERASED``, no note), never what was erased.
The last word, "已删除", is written after the erasure, so it is the one thing left to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.withdrawal import Withdrawal
from bot.domain import ACTIVE, Button, EventKind, Outgoing, TaskEvent, TaskStatus
from bot.followup.plan import FINISHED
from bot.ports import TaskChange, Transaction

ALL_TASKS = 1000
"""More tasks than one person reports in years; all of them are erased."""
_RESOLVED = frozenset({TaskStatus.RESOLVED})


@dataclass(frozen=True)
class Erased:
    """What an erasure did, for whoever asked: counts and task numbers, nothing personal."""

    numbers: Sequence[str]
    withdrawn: int


class Erasure:
    """Deleting one resident's personal data, asked for by them or for them."""

    def __init__(self, context: Context, withdrawal: Withdrawal) -> None:
        self.ctx = context
        self.withdrawal = withdrawal

    async def ask(self, actor: Actor, update_id: int | None) -> None:
        """/forget: what deleting means, and the buttons to confirm or keep."""
        buttons = (
            (
                Button(texts.ERASE_CONFIRM, Action(Verb.ERASE_CONFIRM).encode()),
                Button(texts.ERASE_KEEP, Action(Verb.ERASE_KEEP).encode()),
            ),
        )
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, texts.ERASE_ASK, buttons))
            await mark_processed(tx, update_id)

    async def keep(self, actor: Actor, update_id: int | None) -> Answer:
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, texts.ERASE_KEPT))
            await mark_processed(tx, update_id)
        return Answer("")

    async def confirm(self, actor: Actor, update_id: int | None) -> Answer:
        """确认删除: erase everything of theirs, then say so (the one message left)."""
        async with self.ctx.store.transaction() as tx:
            erased = await self.erase(tx, actor.user_id)
            text = texts.ERASED_DONE.format(count=len(erased.numbers))
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)
        await self.ctx.store.reclaim()
        return Answer("")

    async def erase(self, tx: Transaction, resident_id: str) -> Erased:
        """Erase ``resident_id``'s data inside ``tx`` (module docstring); the desk's /forget and
        the operators' ``griddesk erase`` both come here."""
        tasks = await tx.tasks_of_resident(resident_id, ALL_TASKS)
        numbers = await tx.forget_resident(resident_id)
        now = self.ctx.clock()
        withdrawn = 0
        for before in tasks:
            task = await tx.task(before.id)  # as forgotten: the card shows no words
            if task is None:
                continue
            if task.status in ACTIVE:
                notice = texts.NOTICE_ERASED_TO_WORKER.format(number=task.number)
                done = await self.withdrawal.withdraw_task(
                    tx, task, None, note="", status_line=texts.STATUS_ERASED, worker_notice=notice
                )
                withdrawn += done is not None
            elif task.status is TaskStatus.RESOLVED:  # nobody is left to rate it
                change = TaskChange(
                    status=TaskStatus.CLOSED, stage=FINISHED.stage, stop_followup=True
                )
                closed = await tx.change_task(task.id, change, only_if=_RESOLVED)
                if closed is not None:
                    await tx.add_event(TaskEvent(task.id, EventKind.CLOSED, None, now))
                    await tx.enqueue(self.ctx.presenter.live_card(closed))
        await tx.add_events([TaskEvent(task.id, EventKind.ERASED, None, now) for task in tasks])
        return Erased(numbers, withdrawn)
