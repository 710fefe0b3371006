"""One problem, one task: merging duplicates, and the merged tasks following their survivor.

Two neighbours report the same burst pipe; a grid worker presses 合并 on one card and picks the
other. The merged task (status ``merged``) stops being anybody's job: its words and photos
join the survivor, its card says where it went, and its resident is told. It still belongs to
its resident, so it follows the survivor to the end:

- when the survivor is resolved, each merged task is resolved with the same result and its
  resident asked to rate it — their own verdict, counted for their own report (a 不满意 reopens
  it, one level up, as for any task);
- when the survivor is withdrawn by its resident, each merged task is released: open again at
  its own unit, with fresh deadlines and a new card, and its resident told why.

(A resident repeating their *own* report is merged at filing time, :mod:`bot.desk.filing`.)
"""

from __future__ import annotations

from bot import texts
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.notices import ResidentNotices
from bot.desk.work import Work
from bot.domain import (
    ACTIVE,
    ALLOWED_FROM,
    EventKind,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
)
from bot.followup.plan import FINISHED
from bot.ports import TaskChange, Transaction

_CANDIDATES = 8
"""Tasks offered on the card to merge into: the group's latest, a phone screen's worth."""


class Merging:
    """合并 on a task card, and what happens to merged tasks when their survivor moves on."""

    def __init__(self, context: Context, work: Work) -> None:
        self.ctx = context
        self.work = work

    async def offer(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """合并: show the group's other active tasks on the card, to pick the survivor."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self._mergeable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            held = await tx.tasks_held_by(task.holder, ACTIVE, 200)
            others = [other for other in held if other.id != task.id][-_CANDIDATES:]
            if not others:
                return Answer(texts.NO_TASK_TO_MERGE, alert=True)
            await tx.enqueue(self.ctx.presenter.merge_picker(task, others[::-1]))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_MERGE_PICK)

    async def merge(self, actor: Actor, task_id: int, into: str, update_id: int | None) -> Answer:
        """Merge task ``task_id`` into task ``into`` (an id from the picker)."""
        try:
            return await self._merge(actor, task_id, into, update_id)
        except _MovedMeanwhile:  # another press won; the rollback undid the survivor's growth
            return Answer(texts.ANSWER_EXPIRED, alert=True)

    async def _merge(self, actor: Actor, task_id: int, into: str, update_id: int | None) -> Answer:
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self._mergeable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            survivor = await tx.task(int(into)) if into.isdigit() else None
            if (
                survivor is None
                or survivor.id == task.id
                or survivor.holder != task.holder
                or survivor.status not in ALLOWED_FROM[Transition.ADD]
            ):
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            grown = await tx.change_task(
                survivor.id,
                TaskChange(
                    text=f"{survivor.text}\n"
                    + texts.MERGED_LINE.format(number=task.number, text=task.text),
                    photos=(*survivor.photos, *task.photos),
                ),
                only_if=ALLOWED_FROM[Transition.ADD],
            )
            if grown is None:
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            merged = await tx.change_task(
                task.id,
                TaskChange(
                    status=TaskStatus.MERGED,
                    merged_into=survivor.number,
                    stage=FINISHED.stage,
                    stop_followup=True,
                ),
                only_if=ALLOWED_FROM[Transition.MERGE],
            )
            if merged is None:
                raise _MovedMeanwhile
            await self._record(tx, actor, merged, grown)
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_MERGED.format(number=survivor.number))

    async def _record(self, tx: Transaction, actor: Actor, merged: Task, survivor: Task) -> None:
        """The events, both cards, the merged task's resident, and tasks merged into it."""
        now = self.ctx.clock()
        await tx.add_events(
            [
                TaskEvent(merged.id, EventKind.MERGED, actor.user_id, now, note=survivor.number),
                TaskEvent(survivor.id, EventKind.MERGED_IN, actor.user_id, now, note=merged.number),
            ]
        )
        for earlier in await tx.tasks_merged_into(merged.number):  # they follow along
            await tx.change_task(earlier.id, TaskChange(merged_into=survivor.number))
        presenter = self.ctx.presenter
        await tx.enqueue_many([presenter.live_card(merged), presenter.live_card(survivor)])
        notice = texts.NOTICE_MERGED.format(number=merged.number, into=survivor.number)
        await ResidentNotices(self.ctx).tell(tx, merged, notice)

    async def _mergeable(
        self, tx: Transaction, actor: Actor, task_id: int
    ) -> tuple[Task | None, Answer | None]:
        """The task if ``actor`` may merge it: a member of its unit, and its claimer when it
        is claimed."""
        task = await tx.task(task_id)
        refusal = await self.work.refuse_non_member(tx, actor, task)
        if refusal or task is None:
            return None, refusal or Answer(texts.ANSWER_EXPIRED)
        if task.status not in ACTIVE:
            status = texts.STATUS_ZH[task.status]
            return None, Answer(texts.ANSWER_INACTIVE.format(status=status), alert=True)
        if task.status is TaskStatus.CLAIMED and task.claimer_id != actor.user_id:
            worker = self.ctx.org.name(task.claimer_id) if task.claimer_id else ""
            return None, Answer(texts.ANSWER_NOT_CLAIMER.format(worker=worker), alert=True)
        return task, None


class _MovedMeanwhile(Exception):
    """The task left the active statuses between reading and merging it: roll back."""
