"""A worker writing to the bot privately: a report of their own, or about one of their tasks?

Grid workers and community staff live in the neighbourhood too, and they also write to the bot
about the tasks they hold ("3号楼的阀门明天上午换"). Filed as a resident's report, such a line
would land as a new task in the worker's own group. So a configured person's free text in a
private chat (when no 办结 note is awaited: :meth:`bot.desk.work.Work.note` comes first) is
kept as a draft, which survives a restart, and the worker is asked which it is:

- 我自己要反映的问题: the words and photos go through intake like any resident's;
- one of their claimed tasks, listed as buttons: the words become a ``note`` event on that task
  and are posted (masked) in the task's group; the resident is not told (what a resident hears
  of a task is the worker's confirmed result);
- 不用记: the words are dropped.

A short greeting from a worker with no task to write about goes to intake as from anyone, which
answers it without filing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.intake import Intake
from bot.domain import Button, Draft, DraftReason, EventKind, Outgoing, Task, TaskEvent, TaskStatus
from bot.ports import Transaction
from nlp.normalize import normalize
from nlp.privacy import mask_pii
from nlp.taxonomy import Category

LISTED = 6
"""Claimed tasks offered as buttons at most (the oldest first, as ``/mine`` lists them)."""
_CHAT_MAX_CHARS = 6  # as intake: "你好" / "谢谢" is not a report


class WorkerPort(Protocol):
    """What this flow reads and writes in a transaction."""

    async def draft(self, resident_id: str) -> Draft | None: ...
    async def save_draft(self, draft: Draft) -> None: ...
    async def delete_draft(self, resident_id: str) -> None: ...
    async def tasks_claimed_by(self, worker_id: str, limit: int) -> Sequence[Task]: ...
    async def task(self, task_id: int) -> Task | None: ...
    async def add_event(self, event: TaskEvent) -> None: ...
    async def enqueue(self, message: Outgoing) -> None: ...


class WorkersOwn:
    """Sorts a configured person's private words before anything is filed."""

    def __init__(self, context: Context, intake: Intake, draft_expiry: timedelta) -> None:
        self.ctx = context
        self.intake = intake
        self.draft_expiry = draft_expiry
        """Unsorted words older than this are replaced by new ones, not joined to them."""

    async def message(
        self, tx: Transaction, actor: Actor, text: str, photo: str | None, update_id: int | None
    ) -> bool:
        """Keep a worker's words and ask what they are; False when this is not a configured
        person's, or intake should answer it (nothing to keep, or mid-way through a report of
        their own). Runs in the desk's transaction for the message."""
        if actor.user_id not in self.ctx.org.people:
            return False
        text = text.strip()
        draft = await tx.draft(actor.user_id)
        if draft is not None and draft.reason is not DraftReason.WORKER_CHOICE:
            return False  # their own report is waiting for an answer: intake's
        tasks = await tx.tasks_claimed_by(actor.user_id, LISTED)
        if draft is not None and draft.created_at <= self.ctx.clock() - self.draft_expiry:
            await tx.delete_draft(actor.user_id)  # never sorted: not joined to new words
            draft = None
        if draft is None:
            if not text and not photo:
                return False
            if not photo and not tasks and self._chat(text):
                return False
            draft = Draft(actor.user_id, "", (), DraftReason.WORKER_CHOICE, self.ctx.clock())
        kept = draft.joined(text, photo)
        await tx.save_draft(kept)
        if text or not draft.photos:  # a further photo of an album is kept without a word
            await tx.enqueue(_question(actor.chat_id, kept, tasks))
        await mark_processed(tx, update_id)
        return True

    async def own(self, actor: Actor, update_id: int | None) -> Answer:
        """我自己要反映的问题: the kept words go through intake like any resident's."""
        async with self.ctx.store.transaction() as tx:
            draft = await _waiting(tx, actor)
            if draft is None:
                return Answer(texts.ANSWER_EXPIRED)
            await tx.delete_draft(actor.user_id)
            await self.intake.take(tx, actor, draft.text, draft.photos)
            await mark_processed(tx, update_id)
        return Answer("")

    async def about_task(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """The kept words are about ``task_id``: a note on it, seen in its group, while the
        worker is still staff there (a restart may have taken them out of the config since)."""
        async with self.ctx.store.transaction() as tx:
            draft = await _waiting(tx, actor)
            if draft is None:
                return Answer(texts.ANSWER_EXPIRED)
            task = await tx.task(task_id)
            if (
                task is None
                or task.status is not TaskStatus.CLAIMED
                or task.claimer_id != actor.user_id
            ):
                number = task.number if task else ""
                return Answer(texts.WORKER_NOTE_NOT_YOURS.format(number=number), alert=True)
            if not self.ctx.org.may_act(actor.user_id, task.holder):  # taken out of the config
                return Answer(texts.WORKER_NOTE_NOT_STAFF.format(number=task.number), alert=True)
            await tx.delete_draft(actor.user_id)
            await self._note(tx, actor, task, draft)
            await mark_processed(tx, update_id)
        return Answer("")

    async def drop(self, actor: Actor, update_id: int | None) -> Answer:
        """不用记: the kept words are dropped."""
        async with self.ctx.store.transaction() as tx:
            if await _waiting(tx, actor) is None:
                return Answer(texts.ANSWER_EXPIRED)
            await tx.delete_draft(actor.user_id)
            await mark_processed(tx, update_id)
        return Answer(texts.WORKER_DROPPED)

    async def _note(self, tx: WorkerPort, actor: Actor, task: Task, draft: Draft) -> None:
        now = self.ctx.clock()
        words = draft.text or texts.PHOTO
        await tx.add_event(TaskEvent(task.id, EventKind.NOTE, actor.user_id, now, note=words))
        group = self.ctx.org.unit(task.holder).chat_id
        worker = self.ctx.org.name(actor.user_id)
        post = texts.WORKER_NOTE_GROUP.format(
            number=task.number, worker=worker, text=mask_pii(words)
        )
        first = draft.photos[0] if draft.photos else None
        await tx.enqueue(Outgoing(group, post, photo=first))
        count = len(draft.photos)
        for index, photo in enumerate(draft.photos[1:], start=2):
            caption = texts.CLAIMER_PHOTO.format(number=task.number, index=index, count=count)
            await tx.enqueue(Outgoing(group, caption, photo=photo))
        await tx.enqueue(
            Outgoing(actor.user_id, texts.WORKER_NOTE_SAVED.format(number=task.number))
        )

    def _chat(self, text: str) -> bool:
        """Words too short to be a report, and about no kind of problem (你好, 谢谢)."""
        if len(normalize(text)) > _CHAT_MAX_CHARS:
            return False
        return self.ctx.language.classify(text).category is Category.OTHER


async def _waiting(tx: WorkerPort, actor: Actor) -> Draft | None:
    """The worker's words waiting to be sorted, if any."""
    draft = await tx.draft(actor.user_id)
    return draft if draft is not None and draft.reason is DraftReason.WORKER_CHOICE else None


def _question(chat_id: str, draft: Draft, tasks: Sequence[Task]) -> Outgoing:
    """Which is it: their own report, one of ``tasks``, or nothing to keep."""
    said = texts.shorten(draft.text, 30) if draft.text else texts.PHOTO
    ask = texts.WORKER_ASK if tasks else texts.WORKER_ASK_NO_TASKS
    rows: list[tuple[Button, ...]] = [(_button(texts.WORKER_OWN, Verb.WORKER_OWN),)]
    rows += [
        (
            _button(
                texts.WORKER_TASK.format(
                    number=task.number,
                    category=task.category.zh,
                    text=texts.shorten(task.text, 8),
                ),
                Verb.WORKER_NOTE,
                task.id,
            ),
        )
        for task in tasks
    ]
    rows.append((_button(texts.WORKER_DROP, Verb.WORKER_DROP),))
    return Outgoing(chat_id, ask.format(text=said), tuple(rows))


def _button(label: str, verb: Verb, task_id: int = 0) -> Button:
    return Button(label, Action(verb, task_id).encode())
