"""A resident answering a result: the rating, and the words they send about it.

What a good 12345 operator does at the 回访:

- words sent while a result waits for its rating ("还是不热！根本没人来过！") are about that task,
  not a new one: they are kept on it (a ``feedback`` event) and the resident is asked to rate.
  When the words say it is not fixed (the phrases below), the first button is
  "不满意，重新办理" — one press, and it goes back with their words attached. Words about another
  kind of problem (a different category) are a new report, and intake files them;
- 满意 / 基本满意 close the task;
- 不满意 reopens it one level up, at once (nothing waits on the resident), and asks one
  question — what is wrong — unless they said so already; the answer, sent within
  ``ANSWER_WINDOW``, is added to the task and shown on its card. The reopened card keeps the
  result the resident disputes (上次办理结果) and says 居民不满意，重新办理, so the next worker
  starts from what was done and why it was not enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.work import Work
from bot.domain import (
    ACTIVE,
    ALLOWED_FROM,
    Button,
    Draft,
    EventKind,
    Outgoing,
    Rating,
    Resident,
    Task,
    TaskEvent,
    TaskStatus,
    Transition,
)
from bot.followup.plan import FINISHED
from bot.ports import TaskChange, Transaction
from nlp.normalize import normalize
from nlp.taxonomy import Category

NOT_FIXED_WORDS = (
    "还是", "还没", "没修", "没好", "没弄好", "没人来", "没有人来", "没来", "没见人", "根本",
    "又坏", "又漏", "又停", "又不", "不行", "没解决", "没有解决", "没处理", "没用", "没变化",
    "糊弄", "敷衍", "不满意", "仍然", "依然", "照样", "跟以前一样", "和原来一样", "瞎说", "胡说",
)  # fmt: skip
"""Words that say a result did not fix the problem (matched anywhere in the message)."""
ANSWER_WINDOW = timedelta(hours=2)
"""How long after 不满意 the resident's next words count as the answer to "what is wrong?"."""
UNRELATED_CHARS = 30
"""Longer words of no kind, that do not say the result failed, are a new report."""
_RECENT = 10


def not_fixed(text: str) -> bool:
    """Whether ``text`` says the problem is still there."""
    words = normalize(text)
    return any(word in words for word in NOT_FIXED_WORDS)


class Feedback:
    """Ratings, and the resident's words about a result."""

    def __init__(self, context: Context, work: Work) -> None:
        self.ctx = context
        self.work = work

    async def complaint(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """The answer to "what is wrong?" after 不满意: added to the reopened task; False when
        no such question waits."""
        if draft is not None or not text:
            return False
        task = await self._asked_why(tx, resident.user_id)
        if task is None:
            return False
        change = TaskChange(
            text=f"{task.text}\n{texts.COMPLAINT_LINE.format(text=text)}",
            photos=(*task.photos, photo) if photo else None,
        )
        changed = await tx.change_task(task.id, change, only_if=ACTIVE)
        if changed is None:
            return False
        now = self.ctx.clock()
        await tx.add_event(TaskEvent(task.id, EventKind.FEEDBACK, resident.user_id, now, note=text))
        await tx.enqueue(self.ctx.presenter.live_card(changed))
        if changed.claimer_id is not None:
            notice = texts.COMPLAINT_TO_CLAIMER.format(number=changed.number, text=text)
            await tx.enqueue(Outgoing(changed.claimer_id, notice, photo=photo))
        await tx.enqueue(
            Outgoing(resident.chat_id, texts.COMPLAINT_NOTED.format(number=changed.number))
        )
        return True

    async def reply(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """Words while a result waits for the resident's rating: kept on that task, and the
        rating asked for; False when none waits, or the words are about another problem."""
        if draft is not None or photo or not text:
            return False
        tasks = await tx.tasks_of_resident(resident.user_id, _RECENT)
        task = next((t for t in tasks if t.status is TaskStatus.RESOLVED), None)
        if task is None:
            return False
        if not self._about(task, text):
            return False
        said_before = bool(_feedback_since_result(await tx.events(task.id)))
        now = self.ctx.clock()
        await tx.add_event(TaskEvent(task.id, EventKind.FEEDBACK, resident.user_id, now, note=text))
        if said_before:  # the buttons are already there
            answer = Outgoing(resident.chat_id, texts.ADDED_TO_RESULT.format(number=task.number))
        elif not_fixed(text):
            reopen = (_rate(task, texts.REOPEN_BUTTON, Rating.UNSATISFIED),)
            rate = tuple(
                _rate(task, texts.RATING_ZH[r], r) for r in (Rating.SATISFIED, Rating.BASICALLY)
            )
            text = texts.FEEDBACK_NOT_FIXED.format(number=task.number)
            answer = Outgoing(resident.chat_id, text, (reopen, rate))
        else:
            answer = Outgoing(
                resident.chat_id,
                texts.FEEDBACK_ASK_RATING.format(number=task.number),
                (tuple(_rate(task, texts.RATING_ZH[r], r) for r in Rating),),
            )
        await tx.enqueue(answer)
        return True

    def _about(self, task: Task, text: str) -> bool:
        """Whether words sent while ``task`` waits for its rating are about it: the same kind
        of problem, or no kind at all — unless a long message of no kind reads as a new
        report rather than a complaint (the community desk triages those)."""
        category = self.ctx.language.classify(text).category
        if category is task.category:
            return True
        return category is Category.OTHER and (
            not_fixed(text) or len(normalize(text)) <= UNRELATED_CHARS
        )

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
        if rating is Rating.UNSATISFIED:
            return Answer(texts.ANSWER_REOPENED)
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
        """不满意: open again one level up (or where it is, at the top), with what the resident
        said about the result on it; say so to the resident and in both groups."""
        old_chat = self.ctx.org.unit(task.holder).chat_id
        words = _feedback_since_result(await tx.events(task.id))
        if words:
            lines = "\n".join(texts.COMPLAINT_LINE.format(text=word) for word in words)
            with_words = await tx.change_task(
                task.id,
                TaskChange(text=f"{task.text}\n{lines}"),
                only_if=ALLOWED_FROM[Transition.REOPEN],
            )
            if with_words is None:
                raise _RatedMeanwhile
            task = with_words
        moved = await self.work.move_up(tx, task, actor.user_id, EventKind.REOPENED)
        if moved is None:  # already at the top: reopen where it is, with fresh deadlines
            moved = await self._reopen_in_place(tx, actor, task)
        unit = self.ctx.org.unit(moved.holder).name
        if self.ctx.org.unit(moved.holder).chat_id != old_chat:
            away = texts.STATUS_REOPENED_AWAY.format(unit=unit)
            await tx.enqueue(self.ctx.presenter.card(moved, away, chat_id=old_chat))
        await tx.enqueue(
            Outgoing(old_chat, texts.REOPENED_ALERT.format(number=moved.number, unit=unit))
        )
        told = texts.REOPENED_WITH_WORDS if words else texts.REOPENED_ASK_WHY
        await tx.enqueue(Outgoing(actor.chat_id, told.format(number=moved.number, unit=unit)))

    async def _reopen_in_place(self, tx: Transaction, actor: Actor, task: Task) -> Task:
        now = self.ctx.clock()
        cycle = self.ctx.plan.cycle(task.category, task.urgent, now, task.kind)
        moved = await tx.change_task(
            task.id,
            TaskChange(
                status=TaskStatus.OPEN,
                clear_claimer=True,
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
            TaskEvent(task.id, EventKind.REOPENED, actor.user_id, now, due_at=cycle.claim_due_at)
        )
        await tx.enqueue(self.ctx.presenter.live_card(moved, new=True))
        return moved

    async def _asked_why(self, tx: Transaction, resident_id: str) -> Task | None:
        """The task the resident reopened with 不满意 within ``ANSWER_WINDOW`` and has not yet
        said what is wrong with (before or after pressing)."""
        since = self.ctx.clock() - ANSWER_WINDOW
        for task in await tx.tasks_of_resident(resident_id, _RECENT):
            if task.status not in ACTIVE or not task.reopen_count:
                continue
            events = await tx.events(task.id)
            after = _since_result(events)
            reopened = [e for e in after if e.kind is EventKind.REOPENED]
            if (
                reopened
                and reopened[-1].actor_id == resident_id
                and reopened[-1].at > since
                and not any(e.kind is EventKind.FEEDBACK for e in after)
            ):
                return task
        return None


def _since_result(events: Sequence[TaskEvent]) -> Sequence[TaskEvent]:
    """The events after the task's latest 办结."""
    resolved = [i for i, e in enumerate(events) if e.kind is EventKind.RESOLVED]
    return events[resolved[-1] + 1 :] if resolved else ()


def _feedback_since_result(events: Sequence[TaskEvent]) -> list[str]:
    return [e.note for e in _since_result(events) if e.kind is EventKind.FEEDBACK]


def _rate(task: Task, label: str, rating: Rating) -> Button:
    return Button(label, Action(Verb.RATE, task.id, rating.value).encode())


class _RatedMeanwhile(Exception):
    """The task left "resolved" between reading it and changing it: roll the rating back."""
