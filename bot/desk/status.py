"""A resident asking where their reports stand: ``/my``, and the same question in plain words.

A good 12345 operator asked "我那个事咋样了" looks the case up and says who has it and by when;
the bot does the same for "进度", "有人管吗", "怎么样了" (the phrases below), instead of filing the
question as a new task. For each task still being handled the answer names who holds it — the
worker once claimed, else the unit "（待认领）" — and the deadline that applies now (to be taken
up while unclaimed, to be done once claimed). A report the bot is still asking about (where is
it, which kind) is a problem the grid does not know of yet: it is shown first, as unfinished,
with what the bot waits for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot import texts
from bot.desk.context import Actor, Context, mark_processed
from bot.desk.intake import question_buttons
from bot.desk.notices import ResidentNotices
from bot.desk.plain_words import phrase_matcher, says
from bot.domain import ACTIVE, Button, Draft, Outgoing, Resident, Task, TaskStatus

STATUS_PHRASES = (
    r"(?:查|查询|查查|查一下|看看|看一下|问问)?(?:一下)?(?:办理|处理|维修)?(?:进度|进展)"
    r"(?:如何|怎样|怎么样|咋样|到哪了|到哪一步了)?",
    r"(?:怎么|咋|怎)样了?|如何了|啥情况|什么情况|咋回事",
    r"有(?:没有)?人(?:管|来|处理|理|接|接单|回|看)了?(?:吗|没|没有|不)?",
    r"有没有人(?:管|来|处理|理|接)",
    r"(?:怎么|咋)?(?:还|一直)(?:没|没有|不)人?(?:来|管|处理|修|办|动静|回复|消息)人?",
    r"(?:处理|办理|办|修|弄|解决|受理)(?:好|完)?了?(?:吗|没|没有|么)|好了(?:吗|没|没有|么)",
    r"(?:什么|啥)时候(?:能|可以|才)?(?:来|到)?(?:修|处理|办|看|好|修好|弄好|解决)?",
    r"(?:多久|多长时间|几天)(?:能|可以|才)?(?:来|修好|处理|处理好|好|解决)",
    r"(?:到|在)?哪一步了?",
    r"有(?:消息|回音|回复|结果|信儿|动静|进展)了?(?:吗|没|没有)?",
)
"""What residents say when they ask how their report is going (whole messages only, see
:mod:`bot.desk.plain_words`)."""
_STATUS = phrase_matcher(STATUS_PHRASES)
_MY_LIMIT = 10
_BEING_HANDLED = ACTIVE | {TaskStatus.RESOLVED, TaskStatus.MERGED}
"""What a status question lists: tasks not over yet (a merged one follows its survivor)."""


class ResidentTasks(Protocol):
    """The narrow port: what answering "how is it going" reads and writes."""

    async def draft(self, resident_id: str) -> Draft | None: ...
    async def tasks_of_resident(self, resident_id: str, limit: int) -> Sequence[Task]: ...
    async def enqueue(self, message: Outgoing) -> None: ...


def asks_status(text: str) -> bool:
    """Whether ``text`` is, as a whole, a question about how the resident's reports stand."""
    return says(_STATUS, text)


class Status:
    """Answers ``/my`` and status questions from a resident's own tasks."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def my_tasks(self, actor: Actor, update_id: int | None) -> None:
        """/my: the resident's latest tasks, newest first, each open one with who and when."""
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(
                await self._overview(tx, actor.chat_id, actor.user_id, open_only=False)
            )
            await mark_processed(tx, update_id)

    async def question(
        self,
        tx: ResidentTasks,
        resident: Resident,
        draft: Draft | None,
        text: str,
        photo: str | None,
    ) -> bool:
        """A status question in plain words is answered with the open tasks; False for any
        other message (intake goes on with it)."""
        if photo or not asks_status(text):
            return False
        await tx.enqueue(await self._overview(tx, resident.chat_id, resident.user_id))
        return True

    async def _overview(
        self, tx: ResidentTasks, chat_id: str, resident_id: str, *, open_only: bool = True
    ) -> Outgoing:
        """The resident's reports, newest first: the one still waiting for an answer (with the
        buttons that answer it), then the tasks — only those being handled, or all recent."""
        draft = await tx.draft(resident_id)
        recent = await tx.tasks_of_resident(resident_id, _MY_LIMIT)
        tasks = [t for t in recent if t.status in _BEING_HANDLED] if open_only else recent
        lines = [self._draft_line(draft)] if draft is not None else []
        lines += [self._line(task) for task in tasks]
        if not lines:
            return Outgoing(chat_id, texts.NOTHING_OPEN if recent else texts.NO_TASKS)
        header = (
            texts.OPEN_TASKS_OF_RESIDENT.format(count=len(lines))
            if open_only
            else texts.MY_TASKS_HEADER.format(count=len(lines))
        )
        buttons = self._answers(draft) if draft is not None else ()
        return Outgoing(chat_id, "\n".join([header, *lines]), buttons)

    def _answers(self, draft: Draft) -> tuple[tuple[Button, ...], ...]:
        result = self.ctx.language.classify(draft.text) if draft.text else None
        return question_buttons(self.ctx.org, draft, result)

    def _draft_line(self, draft: Draft) -> str:
        return texts.DRAFT_WAITING.format(
            text=texts.shorten(draft.text, 20) if draft.text else texts.PHOTO,
            needs=texts.DRAFT_STILL_NEEDS[draft.reason],
        )

    def _line(self, task: Task) -> str:
        return texts.resident_task_line(
            task.number, task.status, task.category, task.text, self._holder(task)
        )

    def _holder(self, task: Task) -> str | None:
        """Who has the task and by when, in words a resident knows; None once it is over."""
        unit = self.ctx.org.unit(task.holder).name
        now = self.ctx.clock()
        if task.status is TaskStatus.OPEN:
            return texts.HOLDER_OPEN.format(unit=unit, due=self._due(task.claim_due_at)) + (
                self._late(task.claim_due_at, now)
            )
        if task.status is TaskStatus.CLAIMED and task.claimer_id is not None:
            worker = self.ctx.org.name(task.claimer_id)
            due = self._due(task.resolve_due_at)
            return texts.HOLDER_CLAIMED.format(worker=worker, unit=unit, due=due) + self._late(
                task.resolve_due_at, now
            )
        if task.status is TaskStatus.RESOLVED:
            return texts.HOLDER_RESOLVED
        if task.status is TaskStatus.MERGED and task.merged_into:
            return texts.HOLDER_MERGED.format(into=task.merged_into)
        return None

    def _due(self, moment: datetime) -> str:
        """In the receipt's words (今天 11:00, 明天 09:00), so the promise reads the same."""
        return ResidentNotices(self.ctx).spoken(moment)

    @staticmethod
    def _late(due: datetime, now: datetime) -> str:
        return texts.HOLDER_LATE if due < now else ""
