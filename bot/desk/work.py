"""The workers' side of the desk: claim, transfer, escalate (吹哨) and give back.

办结 has its own module, :mod:`bot.desk.resolution` (the worker confirms the result first).
转交 and 退回 on a claimed card are the claimer's, and also the staff's above the unit, as a
community's over its grids (改派, DESIGN.md §8; :meth:`~bot.config.org.Org.oversees`): with the
same rules and events, and the claimer who loses the task is told privately.

Every action is checked against the task's current state and the actor's membership inside the
same transaction as its effects; the state change itself is one conditional update, so of two
workers pressing 认领 at once exactly one wins and the other is told who did. A refused press
changes nothing and answers why.
"""

from __future__ import annotations

from datetime import datetime

from bot import texts
from bot.desk.actions import person_key
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.notices import ResidentNotices, Slip
from bot.domain import (
    ACTIVE,
    ALLOWED_FROM,
    EventKind,
    Outgoing,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
)
from bot.followup.plan import Plan
from bot.ports import TaskChange, Transaction


class Work:
    """Grid workers, community staff and department liaisons acting on task cards."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def claim(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        async with self.ctx.store.transaction() as tx:
            task = await tx.task(task_id)
            refusal = await self.refuse_non_member(tx, actor, task)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            now = self.ctx.clock()
            then = self.ctx.plan.claimed(task, now)
            claimed = await tx.change_task(
                task_id,
                TaskChange(
                    status=TaskStatus.CLAIMED,
                    claimer_id=actor.user_id,
                    claimed_at=now,
                    stage=then.stage,
                    next_followup_at=then.at,
                ),
                only_if=ALLOWED_FROM[Transition.CLAIM],
            )
            if claimed is None:
                return await self._why_not_open(tx, task_id)
            await tx.add_event(TaskEvent(task_id, EventKind.CLAIMED, actor.user_id, now))
            await self._after_claim(tx, claimed, actor.user_id, texts.NOTICE_CLAIMED)
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_CLAIMED)

    async def offer_transfer(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """转交: show the unit's members but the claimer as buttons on the card."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.reassignable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            members = self.ctx.org.members(task.holder)
            others = [p for p in members if p.user_id != task.claimer_id]
            if not others:
                return Answer(texts.NO_ONE_TO_TRANSFER, alert=True)
            await tx.enqueue(self.ctx.presenter.transfer_picker(task, others))
            await mark_processed(tx, update_id)
        return Answer(texts.TRANSFER_PICK)

    async def transfer(
        self, actor: Actor, task_id: int, to_key: str, update_id: int | None
    ) -> Answer:
        """转交 to the member the picker's button names by :func:`person_key`."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.reassignable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            members = self.ctx.org.members(task.holder)
            target = next((p.user_id for p in members if person_key(p.user_id) == to_key), "")
            if target in {"", task.claimer_id} or not self.ctx.org.may_act(target, task.holder):
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            now = self.ctx.clock()
            moved = await tx.change_task(
                task_id,
                TaskChange(claimer_id=target, claimed_at=now),
                only_if=ALLOWED_FROM[Transition.HAND_OVER],
                only_if_claimer=task.claimer_id,
            )
            if moved is None:
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            note = self.ctx.org.name(target)
            await tx.add_event(
                TaskEvent(task_id, EventKind.TRANSFERRED, actor.user_id, now, note=note)
            )
            await self._after_claim(
                tx, moved, target, texts.NOTICE_TRANSFERRED, giver=self.ctx.org.name(actor.user_id)
            )
            await self._tell_former(tx, task, actor, texts.REASSIGNED_FROM_YOU, worker=note)
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_TRANSFERRED.format(worker=note))

    async def cancel_transfer(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """取消 under a picker (转交 or 合并): the card as it stands again."""
        async with self.ctx.store.transaction() as tx:
            task = await tx.task(task_id)
            overseen = task is not None and self.ctx.org.oversees(actor.user_id, task.holder)
            refusal = None if overseen else await self.refuse_non_member(tx, actor, task)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            await tx.enqueue(self.ctx.presenter.live_card(task))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_OK)

    async def give_back(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """退回: the claimer (or the staff above the unit) gives the task back; it waits for a
        claim again."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.reassignable(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            now = self.ctx.clock()
            back = await unclaim(tx, self.ctx.plan, task, now)
            if back is None:
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            await tx.add_event(TaskEvent(task_id, EventKind.RETURNED, actor.user_id, now))
            await tx.enqueue(self.ctx.presenter.live_card(back))
            notices = ResidentNotices(self.ctx)
            returned = texts.NOTICE_RETURNED.format(
                number=back.number, claim_by=notices.spoken(back.claim_due_at)
            )
            await notices.tell(tx, back, returned)
            await self._tell_former(tx, task, actor, texts.RETURNED_FROM_YOU)
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_RETURNED)

    async def escalate(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """上报 (吹哨): one level up the chain; the new unit sees the card and can claim it."""
        async with self.ctx.store.transaction() as tx:
            task = await tx.task(task_id)
            refusal = await self.refuse_non_member(tx, actor, task)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            if task.status not in ACTIVE:
                return Answer(
                    texts.ANSWER_INACTIVE.format(status=texts.STATUS_ZH[task.status]), True
                )
            if task.status is TaskStatus.CLAIMED and task.claimer_id != actor.user_id:
                return Answer(texts.ANSWER_NOT_CLAIMER.format(worker=self._claimer(task)), True)
            moved = await self.move_up(tx, task, actor.user_id, EventKind.ESCALATED)
            if moved is None:
                return Answer(texts.ANSWER_TOP_LEVEL, alert=True)
            away = texts.STATUS_ESCALATED_AWAY.format(unit=self.ctx.org.unit(moved.holder).name)
            await tx.enqueue(
                self.ctx.presenter.card(moved, away, chat_id=self.ctx.org.unit(task.holder).chat_id)
            )
            unit = self.ctx.org.unit(moved.holder).name
            notices = ResidentNotices(self.ctx)
            await notices.tell(tx, moved, notices.slip(moved, Slip.ASKED))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_ESCALATED.format(unit=unit))

    async def move_up(
        self,
        tx: Transaction,
        task: Task,
        actor_id: str | None,
        kind: EventKind,
        *,
        at: datetime | None = None,
        note: str = "",
    ) -> Task | None:
        """Hand ``task`` to the next unit up, open and unclaimed, with a new card there.

        Returns None when the task is already at the top. Shared by 上报, a resident's 不满意
        (reopen) and the follow-up engine's escalation (``at``: the step's time), which differ
        only in the event and the words around it. The new unit gets fresh deadlines: a full
        claim window and a full resolve time (:meth:`~bot.followup.plan.Plan.cycle`).
        """
        target = self.ctx.org.escalation_target(task.holder, task.category)
        if target is None:
            return None
        now = at or self.ctx.clock()
        reopening = kind is EventKind.REOPENED
        cycle = self.ctx.plan.cycle(task.category, task.urgent, now, task.kind)
        change = TaskChange(
            status=TaskStatus.OPEN,
            holder=target,
            level=task.level + 1,
            clear_claimer=True,
            clear_result=False,  # a reopened card shows the result the resident disputes
            reopen_count=task.reopen_count + reopening,
            claim_due_at=cycle.claim_due_at,
            resolve_due_at=cycle.resolve_due_at,
            stage=cycle.move.stage,
            next_followup_at=cycle.move.at,
        )
        transition = Transition.REOPEN if reopening else Transition.ESCALATE
        moved = await tx.change_task(task.id, change, only_if=ALLOWED_FROM[transition])
        if moved is None:
            return None
        await tx.add_event(
            TaskEvent(
                task.id, kind, actor_id, now, note=note, holder=target, due_at=cycle.claim_due_at
            )
        )
        await tx.enqueue(self.ctx.presenter.live_card(moved, new=True))
        return moved

    async def _after_claim(
        self, tx: Transaction, task: Task, claimer_id: str, notice: str, *, giver: str = ""
    ) -> None:
        """Card edited in place, resident told, claimer given the unmasked contact (saying who
        transferred it to them, ``giver``, when it was not their own claim)."""
        await tx.enqueue(self.ctx.presenter.live_card(task))
        worker = self.ctx.org.name(claimer_id)
        notices = ResidentNotices(self.ctx)
        resolve_by = notices.spoken(task.resolve_due_at)
        await notices.tell(
            tx, task, notice.format(number=task.number, worker=worker, resolve_by=resolve_by)
        )
        resident = await tx.resident(task.resident_id)
        contact = self.ctx.presenter.claimer_contact(task, resident, claimer_id, giver=giver)
        await tx.enqueue_many(contact)

    async def claimed_by(
        self, tx: Transaction, actor: Actor, task_id: int
    ) -> tuple[Task | None, Answer | None]:
        """The task if ``actor`` holds its claim, else the answer that says why not."""
        task = await tx.task(task_id)
        refusal = await self.refuse_non_member(tx, actor, task)
        if refusal or task is None:
            return None, refusal or Answer(texts.ANSWER_EXPIRED)
        if unclaimed := _not_claimed(task):
            return None, unclaimed
        if task.claimer_id != actor.user_id:
            return None, Answer(texts.ANSWER_NOT_CLAIMER.format(worker=self._claimer(task)), True)
        return task, None

    async def reassignable(
        self, tx: Transaction, actor: Actor, task_id: int
    ) -> tuple[Task | None, Answer | None]:
        """The claimed task if ``actor`` may hand it on (转交, 退回): its claimer, or the staff
        above its unit (:meth:`~bot.config.org.Org.oversees`); else the answer why not."""
        task = await tx.task(task_id)
        if task is None or not self.ctx.org.oversees(actor.user_id, task.holder):
            return await self.claimed_by(tx, actor, task_id)
        unclaimed = _not_claimed(task)
        return (None, unclaimed) if unclaimed else (task, None)

    async def _tell_former(
        self, tx: Transaction, before: Task, actor: Actor, told: str, *, worker: str = ""
    ) -> None:
        """The claimer the task was taken from by someone else (改派): privately, that they
        need not work it any more."""
        former = before.claimer_id
        if former is None or former == actor.user_id:
            return
        staff = self.ctx.org.name(actor.user_id)
        await tx.enqueue(
            Outgoing(former, told.format(number=before.number, staff=staff, worker=worker))
        )

    async def refuse_non_member(
        self, tx: Transaction, actor: Actor, task: Task | None
    ) -> Answer | None:
        """Why ``actor`` may not act on ``task``; "moved" only where the task once was."""
        if task is None:
            return Answer(texts.ANSWER_EXPIRED, alert=True)
        if self.ctx.org.may_act(actor.user_id, task.holder):
            return None
        holder_unit = self.ctx.org.unit(task.holder)
        pressed_in = self.ctx.unit_by_chat(actor.chat_id)
        if pressed_in is not None and pressed_in.ref != task.holder:
            held = any(event.holder == pressed_in.ref for event in await tx.events(task.id))
            if held:  # a stale card where the task was before; else a forged press
                return Answer(texts.ANSWER_MOVED.format(unit=holder_unit.name), alert=True)
        return Answer(texts.ANSWER_NOT_MEMBER.format(unit=holder_unit.name), alert=True)

    async def _why_not_open(self, tx: Transaction, task_id: int) -> Answer:
        task = await tx.task(task_id)
        if task is not None and task.status is TaskStatus.CLAIMED:
            return Answer(texts.ANSWER_TAKEN_BY.format(worker=self._claimer(task)), alert=True)
        status = texts.STATUS_ZH[task.status] if task else ""
        return Answer(texts.ANSWER_NOT_OPEN.format(status=status), alert=True)

    def _claimer(self, task: Task) -> str:
        return self.ctx.org.name(task.claimer_id) if task.claimer_id else ""


def _not_claimed(task: Task) -> Answer | None:
    """Why there is no claim on ``task`` to act on: nobody claimed it yet, or it is done."""
    if task.status is TaskStatus.OPEN:
        return Answer(texts.ANSWER_NOT_CLAIMED, alert=True)
    if task.status is not TaskStatus.CLAIMED:
        status = texts.STATUS_ZH[task.status]
        return Answer(texts.ANSWER_INACTIVE.format(status=status), alert=True)
    return None


async def unclaim(tx: Transaction, plan: Plan, task: Task, now: datetime) -> Task | None:
    """``task`` back to open in its holder's group, waiting for a claim under the deadline of
    its cycle: the change of 退回, and of an admin releasing the claims of someone who left
    (:mod:`bot.desk.leavers`). Conditional on the claim read in ``task`` being the one held
    now, so a claim changed meanwhile is never released by mistake; None then."""
    then = plan.returned(task, now)
    return await tx.change_task(
        task.id,
        TaskChange(
            status=TaskStatus.OPEN,
            clear_claimer=True,
            stage=then.stage,
            next_followup_at=then.at,
        ),
        only_if=ALLOWED_FROM[Transition.GIVE_BACK],
        only_if_claimer=task.claimer_id,
    )
