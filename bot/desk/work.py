"""The workers' side of the desk: claim, transfer, escalate (吹哨) and give back.

办结 has its own module, :mod:`bot.desk.resolution` (the worker confirms the result first).

Every action is checked against the task's current state and the actor's membership inside the
same transaction as its effects; the state change itself is one conditional update, so of two
workers pressing 认领 at once exactly one wins and the other is told who did. A refused press
changes nothing and answers why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import texts
from bot.desk.cards import masked_place_of
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
from bot.ports import TaskChange, Transaction

_LIST_LIMIT = 20


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
        """转交: show the other members of the unit as buttons on the card."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.claimed_by(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            others = [p for p in self.ctx.org.members(task.holder) if p.user_id != actor.user_id]
            if not others:
                return Answer(texts.NO_ONE_TO_TRANSFER, alert=True)
            await tx.enqueue(self.ctx.presenter.transfer_picker(task, others))
            await mark_processed(tx, update_id)
        return Answer(texts.TRANSFER_PICK)

    async def transfer(
        self, actor: Actor, task_id: int, to_user: str, update_id: int | None
    ) -> Answer:
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.claimed_by(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            target = int(to_user) if to_user.isdigit() else 0
            if target == actor.user_id or not self.ctx.org.may_act(target, task.holder):
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            now = self.ctx.clock()
            moved = await tx.change_task(
                task_id,
                TaskChange(claimer_id=target, claimed_at=now),
                only_if=ALLOWED_FROM[Transition.HAND_OVER],
                only_if_claimer=actor.user_id,
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
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_TRANSFERRED.format(worker=note))

    async def cancel_transfer(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """取消 under a picker (转交 or 合并): the card as it stands again."""
        async with self.ctx.store.transaction() as tx:
            task = await tx.task(task_id)
            refusal = await self.refuse_non_member(tx, actor, task)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            await tx.enqueue(self.ctx.presenter.live_card(task))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_OK)

    async def give_back(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """退回: the claimer gives the task back; it waits for a claim again."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.claimed_by(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            then = self.ctx.plan.returned(task, self.ctx.clock())
            back = await tx.change_task(
                task_id,
                TaskChange(
                    status=TaskStatus.OPEN,
                    clear_claimer=True,
                    stage=then.stage,
                    next_followup_at=then.at,
                ),
                only_if=ALLOWED_FROM[Transition.GIVE_BACK],
                only_if_claimer=actor.user_id,
            )
            if back is None:
                return Answer(texts.ANSWER_EXPIRED, alert=True)
            now = self.ctx.clock()
            await tx.add_event(TaskEvent(task_id, EventKind.RETURNED, actor.user_id, now))
            await tx.enqueue(self.ctx.presenter.live_card(back))
            notices = ResidentNotices(self.ctx)
            returned = texts.NOTICE_RETURNED.format(
                number=back.number, claim_by=notices.spoken(back.claim_due_at)
            )
            await notices.tell(tx, back, returned)
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
        actor_id: int | None,
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
        worker = self._claimer(task)
        said = due.format(at=self.ctx.presenter.when(at), worker=worker)
        return texts.DUE_OVERDUE.format(due=said) if at <= now else said

    async def _after_claim(
        self, tx: Transaction, task: Task, claimer_id: int, notice: str, *, giver: str = ""
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
        if task.status is TaskStatus.OPEN:
            return None, Answer(texts.ANSWER_NOT_CLAIMED, alert=True)
        if task.status is not TaskStatus.CLAIMED:
            status = texts.STATUS_ZH[task.status]
            return None, Answer(texts.ANSWER_INACTIVE.format(status=status), alert=True)
        if task.claimer_id != actor.user_id:
            return None, Answer(texts.ANSWER_NOT_CLAIMER.format(worker=self._claimer(task)), True)
        return task, None

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
