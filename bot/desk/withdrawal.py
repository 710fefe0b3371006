"""A resident calling off what they reported: ``/cancel``, and the same in plain words.

"不用了", "已经好了", "修好了不用来了" (the phrases below) offer to withdraw the resident's most
recent task still being handled, with the reasons as buttons (已解决 / 不需要了 / 其他原因) and
不撤回: one press both confirms and says why, and the worker hears the reason — the claimer
privately, else the group on the task's card — so nobody walks to a problem that is gone, or
wonders why it vanished. ``/cancel`` alone lists what can be withdrawn; ``/cancel N`` withdraws
task N at once, as it always did. Words that call off a report the bot is still asking about
(where is it, which kind) drop that report instead.

A resident only ever touches their own tasks: a number or a press that is not theirs reads as
"not found" or "not yours", and changes nothing.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.followers import release_followers
from bot.desk.plain_words import phrase_matcher, says
from bot.domain import (
    ACTIVE,
    ALLOWED_FROM,
    Button,
    Draft,
    EventKind,
    Outgoing,
    Resident,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
)
from bot.followup.plan import FINISHED
from bot.ports import TaskChange, Transaction

WITHDRAWAL_PHRASES = (
    r"(?:我|俺)?(?:想|要|想要|申请|请|麻烦|帮我|给我)*(?:撤回|撤销|撤单|撤了|取消|销号)"
    r"(?:一下|掉)?(?:我的|那个|这个)?(?:事儿?|事情|问题|工单|单子?|报修)?",
    r"(?:不用|不需要|不必|用不着|无需)(?:再)?(?:来|修|管|处理|办|派人|上门|麻烦|跑一趟)?(?:人)?",
    r"算了|没事了|没事儿了|不麻烦了|不修了|不办了",
    r"(?:已经|都|早就|现在|自己)+(?:修|弄|处理|解决|搞)?好了?",
    r"(?:修|弄|处理|搞|整)好了",
    r"(?:已经|都)?(?:解决|搞定)了",
    r"(?:已经|现在)?(?:来水|来电|有水|有电|来暖气|暖气热|通)了",
    r"(?:已经)?(?:不漏|不响|不堵|不吵)了",
)
"""What residents say to call off a report (whole messages only, see
:mod:`bot.desk.plain_words`)."""
_WITHDRAWAL = phrase_matcher(WITHDRAWAL_PHRASES)
_NUMBER = re.compile(r"^\s*(?:(\d{8})-)?(\d{1,12})\s*$")
_RECENT = 50
_PICK_LIMIT = 6
"""At most this many tasks offered as buttons by ``/cancel``: what fits a phone."""


class Reason(StrEnum):
    """Why the resident withdrew (labels: ``texts.WITHDRAW_REASONS``)."""

    SOLVED = "solved"
    UNNEEDED = "unneeded"
    OTHER = "other"

    @property
    def zh(self) -> str:
        return texts.WITHDRAW_REASONS[self.value]


def calls_off(text: str) -> bool:
    """Whether ``text`` is, as a whole, a resident calling off what they reported."""
    return says(_WITHDRAWAL, text)


class Withdrawal:
    """Withdrawing tasks, by number, by words, or by button."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def words(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """ "不用了" and the like: offer to withdraw the latest task; False for other words, and
        when only a result waits for its rating (that is feedback: :mod:`bot.desk.feedback`)."""
        if photo or not calls_off(text):
            return False
        if draft is not None:  # the report the bot is asking about is called off
            await tx.delete_draft(resident.user_id)
            shown = texts.shorten(draft.text, 20) if draft.text else texts.PHOTO
            await tx.enqueue(Outgoing(resident.chat_id, texts.DRAFT_DROPPED.format(text=shown)))
            return True
        tasks = await tx.tasks_of_resident(resident.user_id, _RECENT)
        active = [t for t in tasks if t.status in ACTIVE]
        if active:
            await tx.enqueue(self._offer(active[0], resident.chat_id))
            return True
        if any(t.status is TaskStatus.RESOLVED for t in tasks):
            return False
        await tx.enqueue(Outgoing(resident.chat_id, texts.NOTHING_TO_WITHDRAW))
        return True

    async def cancel(self, actor: Actor, argument: str, update_id: int | None) -> None:
        """/cancel 20261122-0017 (or just 17 for one of the resident's own recent tasks); /cancel
        alone lists what can be withdrawn."""
        async with self.ctx.store.transaction() as tx:
            if argument.strip():
                text = await self._cancel_number(tx, actor, argument)
                await tx.enqueue(Outgoing(actor.chat_id, text))
            else:
                await tx.enqueue(await self._choices(tx, actor))
            await mark_processed(tx, update_id)

    async def pick(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """A task picked from ``/cancel``'s list: ask why, as for words."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await _own_active(tx, actor, task_id)
            if task is None:
                return refusal
            await tx.enqueue(self._offer(task, actor.chat_id))
            await mark_processed(tx, update_id)
        return Answer("")

    async def withdraw(
        self, actor: Actor, task_id: int, value: str, update_id: int | None
    ) -> Answer:
        """A reason pressed under the offer: withdraw, and tell the worker why."""
        try:
            reason = Reason(value)
        except ValueError:
            return Answer(texts.ANSWER_EXPIRED)
        async with self.ctx.store.transaction() as tx:
            task = await tx.task(task_id)
            if task is None or task.resident_id != actor.user_id:
                return Answer(texts.ANSWER_NOT_YOURS, alert=True)
            if await self._withdraw(tx, actor, task, reason) is None:
                return Answer(_not_active(task), alert=True)
            text = texts.WITHDRAWN.format(number=task.number, reason=reason.zh)
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)
        return Answer("")

    async def keep(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """不撤回: nothing changes; the toast says the task goes on."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await _own_active(tx, actor, task_id)
            if task is None:
                return refusal
            await mark_processed(tx, update_id)
        return Answer(texts.WITHDRAW_KEPT.format(number=task.number))

    def _offer(self, task: Task, chat_id: str) -> Outgoing:
        number, category, words = task.number, task.category.zh, texts.shorten(task.text, 15)
        text = (
            texts.WITHDRAW_OFFER_CLAIMED.format(
                number=number, category=category, text=words, worker=self._claimer(task)
            )
            if task.status is TaskStatus.CLAIMED
            else texts.WITHDRAW_OFFER.format(number=number, category=category, text=words)
        )
        reasons = tuple(
            Button(reason.zh, Action(Verb.WITHDRAW, task.id, reason.value).encode())
            for reason in Reason
        )
        keep = (Button(texts.WITHDRAW_KEEP, Action(Verb.WITHDRAW_KEEP, task.id).encode()),)
        return Outgoing(chat_id, text, (reasons, keep))

    def _claimer(self, task: Task) -> str:
        return self.ctx.org.name(task.claimer_id) if task.claimer_id else ""

    async def _choices(self, tx: Transaction, actor: Actor) -> Outgoing:
        """/cancel alone: the one task to withdraw, or a list to pick from."""
        tasks = await tx.tasks_of_resident(actor.user_id, _RECENT)
        active = [t for t in tasks if t.status in ACTIVE][:_PICK_LIMIT]
        if not active:
            return Outgoing(actor.chat_id, texts.NOTHING_TO_WITHDRAW)
        if len(active) == 1:
            return self._offer(active[0], actor.chat_id)
        rows = tuple(
            (
                Button(
                    texts.CANCEL_PICK_LINE.format(
                        number=t.number, category=t.category.zh, text=texts.shorten(t.text, 8)
                    ),
                    Action(Verb.WITHDRAW_PICK, t.id).encode(),
                ),
            )
            for t in active
        )
        return Outgoing(actor.chat_id, texts.CANCEL_PICK.format(count=len(active)), rows)

    async def _cancel_number(self, tx: Transaction, actor: Actor, argument: str) -> str:
        match = _NUMBER.match(argument)
        if match is None:
            return texts.CANCEL_USAGE
        task = await self._own_task(tx, actor, match.group(1), int(match.group(2)))
        if task is None:
            return texts.CANCEL_NOT_FOUND.format(number=argument.strip())
        if await self._withdraw(tx, actor, task, None) is None:
            return _not_active(task)
        return texts.CANCELLED.format(number=task.number)

    async def _withdraw(
        self, tx: Transaction, actor: Actor, task: Task, reason: Reason | None
    ) -> Task | None:
        """Withdraw ``task`` at the resident's word: its card says so (and why), the claimer
        hears it privately. None when it is no longer active."""
        if reason is None:
            status, notice = None, texts.NOTICE_CANCELLED_TO_WORKER.format(number=task.number)
        else:
            status = texts.STATUS_WITHDRAWN.format(reason=reason.zh)
            notice = texts.NOTICE_WITHDRAWN_TO_WORKER.format(number=task.number, reason=reason.zh)
        note = reason.zh if reason else ""
        return await self.withdraw_task(
            tx, task, actor.user_id, note=note, status_line=status, worker_notice=notice
        )

    async def withdraw_task(
        self,
        tx: Transaction,
        task: Task,
        actor_id: str | None,
        *,
        note: str,
        status_line: str | None,
        worker_notice: str,
    ) -> Task | None:
        """Withdraw ``task``: its card shows ``status_line`` (None: the usual 已撤回), the
        claimer gets ``worker_notice``, tasks merged into it go on alone. None when it is no
        longer active. Also how an erasure ends a resident's open tasks (bot.desk.erasure)."""
        cancelled = await tx.change_task(
            task.id,
            TaskChange(status=TaskStatus.CANCELLED, stage=FINISHED.stage, stop_followup=True),
            only_if=ALLOWED_FROM[Transition.CANCEL],
        )
        if cancelled is None:
            return None
        now = self.ctx.clock()
        await tx.add_event(TaskEvent(task.id, EventKind.CANCELLED, actor_id, now, note=note))
        if status_line is None:
            await tx.enqueue(self.ctx.presenter.live_card(cancelled))
        else:
            await tx.enqueue(self.ctx.presenter.card(cancelled, status_line))
        await release_followers(self.ctx, tx, cancelled, now)
        if task.claimer_id is not None:
            await tx.enqueue(Outgoing(task.claimer_id, worker_notice))
        return cancelled

    async def _own_task(
        self, tx: Transaction, actor: Actor, day: str | None, serial: int
    ) -> Task | None:
        if day is not None:
            task = await tx.task_by_number(f"{day}-{serial:04d}")
            return task if task is not None and task.resident_id == actor.user_id else None
        suffix = f"-{serial:04d}"
        recent = await tx.tasks_of_resident(actor.user_id, _RECENT)
        return next((t for t in recent if t.number.endswith(suffix)), None)


async def _own_active(tx: Transaction, actor: Actor, task_id: int) -> tuple[Task | None, Answer]:
    """The resident's own task while it can still be withdrawn, else the answer that says why."""
    task = await tx.task(task_id)
    if task is None or task.resident_id != actor.user_id:
        return None, Answer(texts.ANSWER_NOT_YOURS, alert=True)
    if task.status not in ACTIVE:
        return None, Answer(_not_active(task), alert=True)
    return task, Answer("")


def _not_active(task: Task) -> str:
    return texts.CANCEL_NOT_ACTIVE.format(number=task.number, status=texts.STATUS_ZH[task.status])
