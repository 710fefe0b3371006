"""Several problems in one message: one task per problem, or one task — the resident chooses.

A resident who writes 3号楼停水两天了，楼下垃圾也没人清，楼道灯还坏了 has told three things, each
perhaps another worker's or department's job. :func:`nlp.problems.problems` finds them (strong,
distinct evidence for each); once the place is known the bot names every one and asks, with two
buttons, whether to file one task per problem or one task for all. Until the resident chooses,
the report waits as a draft (:attr:`bot.domain.DraftReason.SEVERAL`): stored, so a restart
loses nothing, reminded and then expired like any unanswered question
(:mod:`bot.followup.drafts`); words written meanwhile join it and the question is asked again.
An urgent report is never held up by this question (it is filed at once, as one task).

Nothing the resident named is dropped:

- one task per problem: each task carries the resident's words about its problem, followed by
  the whole message (居民原话), so its worker reads their part first and still has what was
  said only once — the building, the phone number, how long it has been; every photo goes with
  every task (a photo cannot be told apart by problem, and no worker must miss one); each card
  goes to the group that holds its category there; one receipt lists all the tasks;
- one task: filed under the problem the classifier puts first, its words and card listing every
  problem named, and its receipt saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from textwrap import indent

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Context, mark_processed
from bot.desk.filing import Filing, Report
from bot.desk.notices import ResidentNotices
from bot.domain import Button, Draft, DraftReason, Outgoing, Resident, Task
from bot.ports import Transaction
from nlp.classifier import Classification
from nlp.places import Address
from nlp.problems import Problem, problems

Where = tuple[str, str, Address]
"""(grid id, place, address): where a report is, as intake finds it."""
Locate = Callable[[Resident, str], Where | None]
"""Where a resident's words are about: the place they name, else the resident's home."""
EACH = "each"
"""The choice: one task per problem."""
ONE = "one"
"""The choice: one task for everything named."""
_SHOWN_CHARS = 24
"""How much of the words about each problem the question quotes."""


class Several:
    """Offers one task per problem when a report names several, and files what was chosen."""

    def __init__(self, context: Context, filing: Filing, locate: Locate) -> None:
        self.ctx = context
        self.filing = filing
        self.locate = locate

    def named(self, text: str, whole: Classification | None = None) -> tuple[Problem, ...]:
        """The problems ``text`` names when it names several; ``()`` otherwise."""
        language = self.ctx.language
        return problems(text, language.rules, language.tokenizer, whole)

    async def offer(
        self, tx: Transaction, resident: Resident, draft: Draft, where: Where, whole: Classification
    ) -> bool:
        """Name the problems and ask how to file them, keeping the report as a draft; False,
        having done nothing, when the report names one problem. ``whole``: the draft's words
        classified."""
        found = self.named(draft.text, whole)
        if not found:
            return False
        located = self.locate(resident, draft.text)
        if located is None or located[:2] != where[:2]:
            # the place was picked from buttons: kept in the words, as a typed answer is, so
            # the choice files the report there too
            draft = draft.joined(where[1], None)
        kept = replace(draft, reason=DraftReason.SEVERAL, asked_at=self.ctx.clock(), reminded=False)
        await tx.save_draft(kept)
        lines = "\n".join(
            texts.SEVERAL_ASK_LINE.format(
                index=index,
                category=problem.category.zh,
                words=texts.shorten(problem.text, _SHOWN_CHARS),
            )
            for index, problem in enumerate(found, 1)
        )
        question = texts.SEVERAL_ASK.format(count=len(found), lines=lines)
        await tx.enqueue(Outgoing(resident.chat_id, question, choice_buttons(len(found))))
        return True

    async def choose(self, actor: Actor, choice: str, update_id: int | None) -> bool:
        """File the waiting report as the resident chose; False for a stale or forged press."""
        if choice not in (EACH, ONE):
            return False
        async with self.ctx.store.transaction() as tx:
            resident = await tx.resident(actor.user_id)
            draft = await tx.draft(actor.user_id)
            if resident is None or draft is None or draft.reason is not DraftReason.SEVERAL:
                return False
            where = self.locate(resident, draft.text)
            if where is None:
                return False
            found = self.named(draft.text)
            if choice == EACH and found:
                await self._each(tx, resident, draft, found, where)
            else:
                await self._one(tx, resident, draft, found, where)
            await mark_processed(tx, update_id)
        return True

    async def _each(
        self,
        tx: Transaction,
        resident: Resident,
        draft: Draft,
        found: Sequence[Problem],
        where: Where,
    ) -> None:
        """One task per problem, and one receipt for them all."""
        whole = texts.SEVERAL_WHOLE.format(text=draft.text)
        filed: list[Task] = []
        for problem in found:
            result = replace(
                self.ctx.language.classify(problem.text),
                category=problem.category,
                also=(),
                matched=problem.matched,
                urgent=False,  # an urgent message is never offered a split
                urgent_trigger=None,
                ask=False,
            )
            report = Report(f"{problem.text}\n{whole}", draft.photos, result, *where, receipt=False)
            if (task := await self.filing.file(tx, resident, report)) is not None:
                filed.append(task)
        if filed:  # else each problem joined a task filed before, and the resident was told
            await tx.enqueue(Outgoing(resident.chat_id, self._receipt(filed)))

    async def _one(
        self,
        tx: Transaction,
        resident: Resident,
        draft: Draft,
        found: Sequence[Problem],
        where: Where,
    ) -> None:
        """One task for everything named; its words and its receipt list every problem."""
        whole = self.ctx.language.classify(draft.text)
        categories = [problem.category for problem in found]
        if categories and whole.category not in categories:
            whole = replace(whole, category=categories[0])
        names = "、".join(category.zh for category in categories)
        text = draft.text
        if len(categories) > 1:
            text += "\n" + texts.SEVERAL_ONE_LINE.format(count=len(categories), categories=names)
        report = Report(text, draft.photos, replace(whole, ask=False), *where, receipt=False)
        task = await self.filing.file(tx, resident, report)
        if task is not None:
            receipt = ResidentNotices(self.ctx).receipt(task, None)
            if len(categories) > 1:
                named = texts.SEVERAL_ONE_NAMED.format(count=len(categories), categories=names)
                receipt = f"{receipt}\n{named}"
            await tx.enqueue(Outgoing(resident.chat_id, receipt))

    def _receipt(self, filed: Sequence[Task]) -> str:
        """The one 受理告知 for the tasks filed from one message, in the order named."""
        notices = ResidentNotices(self.ctx)
        if len(filed) == 1:
            return notices.receipt(filed[0], None)
        duties = [
            texts.SEVERAL_RECEIVED_DUTY.format(
                handler=notices.handler(task.holder),
                claim_by=notices.spoken(task.claim_due_at),
                resolve_by=notices.spoken(task.resolve_due_at),
            )
            for task in filed
        ]
        lines = [
            texts.SEVERAL_RECEIVED_LINE.format(
                index=index, category=task.category.zh, number=task.number
            )
            for index, task in enumerate(filed, 1)
        ]
        if len(set(duties)) == 1:  # the same people, the same times: said once
            lines.append(duties[0])
        else:
            lines = [
                f"{line}\n{indent(duty, '   ')}" for line, duty in zip(lines, duties, strict=True)
            ]
        night = notices.at_night(filed[0].created_at)
        head = texts.SEVERAL_RECEIVED_NIGHT if night else texts.SEVERAL_RECEIVED
        return "\n".join([head.format(count=len(filed)), *lines, texts.SEVERAL_RECEIVED_END])


def choice_buttons(count: int | None = None) -> tuple[tuple[Button, ...], ...]:
    """分开办 / 合成一个工单, side by side; ``count`` None (the reminder) leaves it uncounted."""
    each = texts.SEVERAL_EACH.format(count=count) if count else texts.SEVERAL_EACH_ANY
    return (
        (
            Button(each, Action(Verb.SEVERAL, 0, EACH).encode()),
            Button(texts.SEVERAL_ONE, Action(Verb.SEVERAL, 0, ONE).encode()),
        ),
    )
