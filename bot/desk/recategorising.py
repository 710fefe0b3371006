"""改类别: a worker corrects the classifier, and the correction is kept for the rules to learn.

The rules guess a task's kind from the resident's words; the people who go and look know
better. The claimer, or the community staff above the task (and admins), press 改类别 on the
card and pick the right kind. The task's category changes — the figures count it under the
corrected kind from then on — and the trail records the old and the new kind
(:attr:`~bot.domain.EventKind.RECATEGORISED`, note ``old→new``), which ``griddesk
corrections`` exports for ``rules-check`` and ``rules-suggest``. The task stays where it is
held and keeps its deadlines: a correction is not a reassignment, and the resident, who was
told the kind in the receipt, is not sent another message for it.

A grid worker who has not claimed the task may not: whoever corrects it should be the one who
knows the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import texts
from bot.config.org import Role
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.domain import ACTIVE, EventKind, Task, TaskEvent
from bot.ports import TaskChange, Transaction
from nlp.privacy import mask_pii
from nlp.taxonomy import Category


class Recategorising:
    """改类别 on a task card: the picker, and the change."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def offer(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """改类别: show every other category on the card."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self._correctable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            await tx.enqueue(self.ctx.presenter.category_picker(task))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_RECATEGORISE_PICK)

    async def change(
        self, actor: Actor, task_id: int, category_id: str, update_id: int | None
    ) -> Answer:
        """A category picked: the task takes it, the trail records old and new, the card is
        shown again as it stands."""
        try:
            new = Category(category_id)
        except ValueError:  # forged or from a build with other categories
            return Answer(texts.ANSWER_EXPIRED, alert=True)
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self._correctable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            if new is task.category:
                return Answer(texts.ANSWER_SAME_CATEGORY)
            # on the task as read: a claim or 办结 in between makes this press stale
            changed = await tx.change_task(
                task.id, TaskChange(category=new), only_if=frozenset({task.status})
            )
            if changed is None:
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            note = f"{task.category.value}→{new.value}"
            await tx.add_event(
                TaskEvent(task.id, EventKind.RECATEGORISED, actor.user_id, self.ctx.clock(), note)
            )
            await tx.enqueue(self.ctx.presenter.live_card(changed))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_RECATEGORISED.format(category=new.zh))

    async def _correctable(
        self, tx: Transaction, actor: Actor, task_id: int
    ) -> tuple[Task | None, Answer | None]:
        """The task if it is still somebody's job and ``actor`` may correct it; else why not."""
        task = await tx.task(task_id)
        if task is None:
            return None, Answer(texts.ANSWER_EXPIRED, alert=True)
        if task.status not in ACTIVE:
            status = texts.STATUS_ZH[task.status]
            return None, Answer(texts.ANSWER_INACTIVE.format(status=status), alert=True)
        org, who = self.ctx.org, actor.user_id
        person = org.people.get(who)
        staff_here = (
            person is not None
            and person.role is not Role.GRID_WORKER
            and org.may_act(who, task.holder)
        )
        if task.claimer_id == who or staff_here or org.oversees(who, task.holder):
            return task, None
        if person is None or not org.may_act(who, task.holder):
            return None, Answer(
                texts.ANSWER_NOT_MEMBER.format(unit=org.unit(task.holder).name), alert=True
            )
        return None, Answer(texts.ANSWER_RECATEGORISE_WHO, alert=True)


@dataclass(frozen=True)
class Correction:
    """A task whose kind a worker corrected: what the rules said and what it was."""

    number: str
    text: str
    """The resident's words, masked (an export leaves the desk)."""
    predicted: Category
    corrected: Category


def corrections_of(history: Iterable[tuple[Task, Sequence[TaskEvent]]]) -> list[Correction]:
    """The corrections among ``history`` (tasks with their trails): the kind first predicted
    (the first change's old kind) against the task's kind now. A task changed back to what
    the rules said is no correction; an erased task has no words left to learn from."""
    found = []
    for task, events in history:
        changes = [event for event in events if event.kind is EventKind.RECATEGORISED]
        if not changes or not task.text:
            continue
        old, _, _ = changes[0].note.partition("→")
        try:
            predicted = Category(old)
        except ValueError:
            continue  # a note this build cannot read: no evidence either way
        if predicted is not task.category:
            found.append(Correction(task.number, mask_pii(task.text), predicted, task.category))
    return found
