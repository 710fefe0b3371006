"""Questions that are not repairs, answered from the operator's FAQ (issue 11, point 7).

物业费怎么交 or 社区几点下班 asks for information; filing it as a repair puts it on a grid
worker's list with a repair deadline, and makes the resident wait a day for one sentence. A
question (:func:`nlp.questions.is_consultation`) that an ``[[faq]]`` entry answers gets that
answer at once, with no task. The answer may miss what the resident meant, so it carries a
button that hands the question to staff after all; until then the question is kept as a draft
(:attr:`bot.domain.DraftReason.FAQ`, never reminded: nothing is missing from it), and the
resident's next message replaces it. A question no entry answers is filed as before.
"""

from __future__ import annotations

from typing import Protocol

from bot import texts
from bot.config.faq import FaqEntry, find_answer
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.intake import Intake
from bot.domain import Button, Draft, DraftReason, Outgoing, Resident
from nlp.questions import is_consultation


class FaqPort(Protocol):
    """The narrow port: answering from the FAQ keeps the question and says the answer."""

    async def save_draft(self, draft: Draft) -> None: ...
    async def enqueue(self, message: Outgoing) -> None: ...


class Consultation:
    """Answers common questions at once; hands the rest to staff when the resident asks."""

    def __init__(self, context: Context, faq: tuple[FaqEntry, ...]) -> None:
        self.ctx = context
        self.faq = faq

    async def answer(
        self, tx: FaqPort, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """Answer a new question from the FAQ (True), or leave it to intake (False): words
        that join a waiting report, a photo, and a question that names a fault are not asked
        here."""
        if not self.faq or draft is not None or photo is not None or not text:
            return False
        entry = find_answer(self.faq, text)
        if entry is None or not is_consultation(text, self.ctx.language.classify(text)):
            return False
        kept = Draft(resident.user_id, text, (), DraftReason.FAQ, self.ctx.clock())
        await tx.save_draft(kept)
        reply = texts.FAQ_ANSWER.format(question=entry.question, answer=entry.answer)
        button = Button(texts.FAQ_TO_STAFF, Action(Verb.FAQ_TO_STAFF).encode())
        await tx.enqueue(Outgoing(resident.chat_id, reply, ((button,),)))
        return True

    async def to_staff(self, actor: Actor, intake: Intake, update_id: int | None) -> Answer:
        """The answer did not help: file the kept question for staff to answer. A press with
        nothing kept (pressed twice, or the resident has written since) changes nothing."""
        async with self.ctx.store.transaction() as tx:
            resident = await tx.resident(actor.user_id)
            draft = await tx.draft(actor.user_id)
            if resident is None or draft is None or draft.reason is not DraftReason.FAQ:
                return Answer(texts.ANSWER_EXPIRED)
            await tx.delete_draft(actor.user_id)
            await intake.file_question(tx, resident, draft)
            await mark_processed(tx, update_id)
        return Answer("")
