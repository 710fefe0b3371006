"""办结, confirmed: the claimer writes the result, sees what the resident will be told, and only
then resolves the task.

What a worker writes after 办结 reaches the resident as the official 办理结果, and workers type
on the move: "好的马上去" meant for a colleague must not become the outcome of a resident's
request. So a note that says nothing (:func:`nlp.result_notes.is_thin`) is refused with a
question, and a good one is shown back as "将告知居民：…" with 确认 / 修改 / 取消. The note
waits in the store (:class:`~bot.domain.ResultNote`), so a restart between writing and 确认
loses nothing; a photo sent first waits there for its words.

Every press is checked against the note held now and the task as it stands: a 确认 on an
outdated preview, or on a task that was meanwhile transferred or resolved, changes nothing
and says so. The worker is checked again too: someone taken out of the config (the bot
restarted without them) may have left a note waiting, and that note no longer speaks for the
community; it is dropped, and they are told kindly why.
"""

from __future__ import annotations

import hashlib

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.followers import resolve_followers
from bot.desk.notices import ResidentNotices
from bot.desk.work import Work
from bot.domain import (
    ALLOWED_FROM,
    Button,
    EventKind,
    Outgoing,
    ResultNote,
    Task,
    TaskEvent,
    TaskKind,
    TaskStatus,
    Transition,
)
from bot.ports import TaskChange, Transaction
from nlp.result_notes import is_thin

_DONE = frozenset({TaskStatus.RESOLVED, TaskStatus.CLOSED})


class Resolution:
    """The claimer's way from 办结 to a resolved task."""

    def __init__(self, context: Context, work: Work) -> None:
        self.ctx = context
        self.work = work

    async def ask(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """办结 on the card: ask the claimer for the result in their private chat."""
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.work.claimed_by(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            await tx.await_note(actor.user_id, task_id)
            await tx.enqueue(Outgoing(actor.user_id, texts.ASK_RESULT.format(number=task.number)))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_ASK_RESULT, alert=True, repeats_a_message=True)

    async def note(
        self, tx: Transaction, actor: Actor, text: str, photo: str | None, update_id: int | None
    ) -> bool:
        """The claimer's private message after 办结; False when no note is awaited from them
        (then nothing was written). Runs in the desk's transaction for the message.

        A message while a preview waits replaces the note (the worker thought better of it).
        """
        held = await tx.result_note(actor.user_id)
        if held is None:
            return False
        task = await tx.task(held.task_id)
        words, photo = text.strip(), photo or held.photo
        reply: Outgoing
        if task is not None and not self.ctx.org.may_act(actor.user_id, task.holder):
            await tx.clear_awaited_note(actor.user_id)
            reply = Outgoing(actor.chat_id, texts.RESULT_NOT_STAFF.format(number=task.number))
        elif task is None or not _held_by(task, actor):
            await tx.clear_awaited_note(actor.user_id)
            reply = Outgoing(actor.chat_id, self._void(task, actor))
        elif not words or is_thin(words):
            await tx.save_result_note(actor.user_id, ResultNote(task.id, None, photo))
            reply = Outgoing(actor.chat_id, _ask_again(task, words, photo))
        else:
            written = ResultNote(task.id, words, photo)
            await tx.save_result_note(actor.user_id, written)
            reply = _preview(actor.chat_id, task, written)
        await tx.enqueue(reply)
        await mark_processed(tx, update_id)
        return True

    async def confirm(
        self, actor: Actor, task_id: int, shown: str, update_id: int | None
    ) -> Answer:
        """确认 on the preview: resolve the task and tell the resident, in one transaction."""
        async with self.ctx.store.transaction() as tx:
            held, refusal = await self._previewed(tx, actor, task_id, shown)
            if refusal or held is None or held.result is None:
                return refusal or Answer(texts.ANSWER_EXPIRED, alert=True)
            await tx.clear_awaited_note(actor.user_id)
            resolved = await self._resolve(tx, actor, task_id, held.result, held.photo)
            if resolved is None:  # the task moved on since the preview: nothing is sent
                stale = self._void(await tx.task(task_id), actor)
                await tx.enqueue(Outgoing(actor.chat_id, stale))
                await mark_processed(tx, update_id)
                return Answer(stale, alert=True)
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_RESULT_SENT)

    async def written(self, actor: Actor, task_id: int, words: str) -> Answer:
        """办结 with the result already written and previewed (the web desk's form shows
        "将告知居民：…" before it sends this): the chat's checks — the claimer only, a result that
        says what was done — then the same resolution, in one transaction."""
        words = words.strip()
        async with self.ctx.store.transaction() as tx:
            task, refusal = await self.work.claimed_by(tx, actor, task_id)
            if refusal or task is None:
                return refusal or Answer(texts.ANSWER_EXPIRED)
            if thin := too_thin(task, words):
                return Answer(thin, alert=True)
            held = await tx.result_note(actor.user_id)
            if held is not None and held.task_id == task_id:  # one begun in chat: done here
                await tx.clear_awaited_note(actor.user_id)
            if await self._resolve(tx, actor, task_id, words, None) is None:
                return Answer(self._void(await tx.task(task_id), actor), alert=True)
        return Answer(texts.ANSWER_RESULT_SENT)

    async def revise(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """修改: write the note again; a photo already sent stays unless a new one comes."""
        async with self.ctx.store.transaction() as tx:
            held, refusal = await self._previewed(tx, actor, task_id, None)
            if refusal or held is None:
                return refusal or Answer(texts.ANSWER_EXPIRED, alert=True)
            task = await tx.task(task_id)
            number = task.number if task else ""
            await tx.save_result_note(actor.user_id, ResultNote(task_id, None, held.photo))
            again = texts.RESULT_REWRITE_PHOTO if held.photo else texts.RESULT_REWRITE
            await tx.enqueue(Outgoing(actor.chat_id, again.format(number=number)))
            await mark_processed(tx, update_id)
        return Answer(texts.ANSWER_OK)

    async def discard(self, actor: Actor, task_id: int, update_id: int | None) -> Answer:
        """取消: no result now; the task stays claimed by the worker, the resident hears nothing."""
        async with self.ctx.store.transaction() as tx:
            held, refusal = await self._previewed(tx, actor, task_id, None)
            if refusal or held is None:
                return refusal or Answer(texts.ANSWER_EXPIRED, alert=True)
            task = await tx.task(task_id)
            await tx.clear_awaited_note(actor.user_id)
            said = texts.RESULT_DISCARDED.format(number=task.number if task else "")
            await tx.enqueue(Outgoing(actor.chat_id, said))
            await mark_processed(tx, update_id)
        return Answer(said)

    async def _previewed(
        self, tx: Transaction, actor: Actor, task_id: int, shown: str | None
    ) -> tuple[ResultNote | None, Answer | None]:
        """The note ``actor`` holds for ``task_id``, or why a press on its preview is void:
        confirmed or cancelled already, ``actor`` no longer staff where the task is (the note
        is dropped), or (``shown``: the :func:`fingerprint` on the pressed preview) a later
        preview replaced it.
        """
        held = await tx.result_note(actor.user_id)
        if held is None or held.task_id != task_id:
            return None, Answer(self._void(await tx.task(task_id), actor), alert=True)
        task = await tx.task(task_id)
        if task is not None and not self.ctx.org.may_act(actor.user_id, task.holder):
            await tx.clear_awaited_note(actor.user_id)  # no one else can finish it: dropped
            return None, Answer(texts.RESULT_NOT_STAFF.format(number=task.number), alert=True)
        if shown is not None and (held.result is None or fingerprint(held) != shown):
            return None, Answer(texts.RESULT_OUTDATED, alert=True)
        return held, None

    def _void(self, task: Task | None, actor: Actor) -> str:
        """Why a note or a press on its preview does nothing now, as the task stands."""
        if task is None:
            return texts.ANSWER_EXPIRED
        if _held_by(task, actor):  # confirmed, cancelled or asked again meanwhile
            return texts.RESULT_GONE
        if task.status in _DONE and task.claimer_id == actor.user_id:
            return texts.RESULT_ALREADY_SENT.format(number=task.number)
        if task.status is TaskStatus.CLAIMED and task.claimer_id is not None:
            worker = self.ctx.org.name(task.claimer_id)
            return texts.RESULT_NOW_WITH.format(number=task.number, worker=worker)
        status = texts.STATUS_ZH[task.status]
        return texts.RESULT_STALE.format(number=task.number, status=status)

    async def _resolve(
        self, tx: Transaction, actor: Actor, task_id: int, result: str, photo: str | None
    ) -> Task | None:
        """Resolve the task with ``result`` if ``actor`` still holds its claim; card, resident,
        merged followers and the worker are told. None when the task moved on."""
        now = self.ctx.clock()
        then = self.ctx.plan.resolved(now)
        resolved = await tx.change_task(
            task_id,
            TaskChange(
                status=TaskStatus.RESOLVED,
                result=result,
                result_photo=photo,
                stage=then.stage,
                next_followup_at=then.at,
            ),
            only_if=ALLOWED_FROM[Transition.RESOLVE],
            only_if_claimer=actor.user_id,
        )
        if resolved is None:
            return None
        await tx.add_event(TaskEvent(task_id, EventKind.RESOLVED, actor.user_id, now, note=result))
        await tx.enqueue(self.ctx.presenter.live_card(resolved))
        await resolve_followers(self.ctx, tx, resolved, now)
        resident = await tx.resident(resolved.resident_id)
        if resident is not None:  # the result waits for the morning unless it is urgent
            request = self.ctx.presenter.rating_request(resolved, resident.chat_id)
            await tx.enqueue(
                ResidentNotices(self.ctx).notice(
                    request.chat_id,
                    request.text,
                    urgent=resolved.urgent,
                    buttons=request.buttons,
                    photo=request.photo,
                )
            )
        await tx.enqueue(Outgoing(actor.chat_id, texts.RESULT_SAVED.format(number=resolved.number)))
        return resolved


def _held_by(task: Task, actor: Actor) -> bool:
    return task.status is TaskStatus.CLAIMED and task.claimer_id == actor.user_id


def too_thin(task: Task, words: str) -> str | None:
    """Why ``words`` cannot be the result of ``task`` (empty, or saying nothing a resident
    could understand: :func:`nlp.result_notes.is_thin`), in the chat's words; None when they
    can."""
    if not words:
        return texts.ASK_RESULT.format(number=task.number)
    if is_thin(words):
        return texts.RESULT_TOO_THIN.format(number=task.number, result=texts.shorten(words, 20))
    return None


def _ask_again(task: Task, words: str, photo: str | None) -> str:
    if words:
        return texts.RESULT_TOO_THIN.format(number=task.number, result=texts.shorten(words, 20))
    if photo:
        return texts.RESULT_ASK_WORDS.format(number=task.number)
    return texts.ASK_RESULT.format(number=task.number)


def _preview(chat_id: str, task: Task, note: ResultNote) -> Outgoing:
    """ "将告知居民：…" with the photo the resident will see, and 确认 / 修改 / 取消."""
    preview = (
        texts.RESULT_PREVIEW_ANSWER if task.kind is TaskKind.QUESTION else texts.RESULT_PREVIEW
    )
    text = preview.format(number=task.number, result=note.result)
    buttons = (
        (
            Button(
                texts.RESULT_CONFIRM,
                Action(Verb.RESULT_CONFIRM, task.id, fingerprint(note)).encode(),
            ),
            Button(texts.RESULT_REVISE, Action(Verb.RESULT_REVISE, task.id).encode()),
            Button(texts.RESULT_DISCARD, Action(Verb.RESULT_DISCARD, task.id).encode()),
        ),
    )
    return Outgoing(chat_id, text, buttons, photo=note.photo)


def fingerprint(note: ResultNote) -> str:
    """Which preview a 确认 was pressed on: a later note makes earlier previews' 确认 void."""
    written = f"{note.result}\0{note.photo or ''}".encode()
    return hashlib.sha256(written).hexdigest()[:10]
