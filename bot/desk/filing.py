"""Filing a resident's complete report: a new task, or words added to the one it repeats.

By the time a report comes here the bot knows what it is about and where (:mod:`bot.desk.intake`
asked whatever it had to). Three outcomes, in one transaction:

- the same resident reported the same problem a little earlier (same category and place within
  ``[intake] merge_window``, the words alike): the new words and photos join that task, its
  card shows them, and the resident hears "已合并到工单 N" — one problem, one task;
- the resident has filed ``[intake] tasks_per_day`` tasks today already: a kind answer, and
  nothing reaches a grid group (urgent reports are never refused);
- otherwise a task with its deadlines (:mod:`bot.followup.plan`), its audit event, the
  resident's receipt (safety advice first when urgent), the card in the holder's group and,
  when urgent, an alert to the community.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Context
from bot.desk.notices import ResidentNotices
from bot.domain import (
    ACTIVE,
    ALLOWED_FROM,
    Button,
    EventKind,
    NewTask,
    Outgoing,
    Resident,
    Task,
    TaskEvent,
    TaskKind,
    Transition,
    UnitKind,
    UnitRef,
)
from bot.ports import TaskChange, Transaction
from nlp.classifier import Classification
from nlp.danger import dangers
from nlp.places import Address
from nlp.privacy import mask_pii
from nlp.questions import is_question_task
from nlp.similarity import similarity
from nlp.taxonomy import Category

ALIKE = 0.25
"""Similarity (:func:`nlp.similarity.similarity`) from which a report of the same category and
place counts as a repeat. Low on purpose: the category, the place and the resident already
agree, and a repeat merged by mistake still reaches the same worker with every word, while a
repeat filed twice puts a second card in front of the grid."""
_RECENT = 50
"""How many of a resident's latest tasks are looked at for a repeat and the daily count."""


@dataclass(frozen=True)
class Report:
    """A report ready to file: the resident's words and photos, what it is, and where."""

    text: str
    photos: tuple[str, ...]
    result: Classification
    grid_id: str
    place: str
    address: Address
    alert_chat: str | None = None
    """Where the urgent alert already went while the place was unknown (the street's group)."""
    placed_by_answer: bool = False
    """The place came from the resident's answer to "where?": the receipt offers to make it
    their home address, which only changes when they say so."""
    receipt: bool = True
    """False: the caller tells the resident itself — the tasks filed from one message that
    named several problems share one receipt (:mod:`bot.desk.several`)."""


class Filing:
    """Turns complete reports into tasks (or into additions to the task they repeat)."""

    def __init__(self, context: Context, merge_window: timedelta, tasks_per_day: int) -> None:
        self.ctx = context
        self.merge_window = merge_window
        self.tasks_per_day = tasks_per_day
        """0: no cap."""

    async def file(self, tx: Transaction, resident: Resident, report: Report) -> Task | None:
        """File ``report`` for ``resident``; the waiting draft, if any, is done with. The new
        task, or None when the words joined a task filed before or the daily cap refused it."""
        await tx.delete_draft(resident.user_id)
        now = self.ctx.clock()
        recent = await tx.tasks_of_resident(resident.user_id, _RECENT)
        repeated = self._repeat_of(recent, report, now)
        if repeated is not None and await self._add(tx, resident, repeated, report):
            return None
        if not report.result.urgent and self._over_cap(recent, now):
            count = self.tasks_per_day
            await tx.enqueue(Outgoing(resident.chat_id, texts.TOO_MANY_TODAY.format(count=count)))
            return None
        return await self._create(tx, resident, report, now)

    def _repeat_of(self, recent: Sequence[Task], report: Report, now: datetime) -> Task | None:
        """The resident's active task this report repeats, if any (the newest)."""
        since = now - self.merge_window
        for task in recent:
            if (
                task.status in ACTIVE
                and task.created_at >= since
                and task.category is report.result.category
                and (task.grid_id, task.place) == (report.grid_id, report.place)
                and _same_building(task.building, report.address.building)
                and (
                    similarity(task.text, report.text) >= ALIKE
                    or set(task.matched) & set(report.result.matched)
                )
            ):
                return task
        return None

    def _over_cap(self, recent: Sequence[Task], now: datetime) -> bool:
        """Whether the resident has filed the day's allowance of tasks already (local day)."""
        if not self.tasks_per_day:
            return False
        today = self.ctx.today(now)
        filed = sum(1 for task in recent if self.ctx.today(task.created_at) == today)
        return filed >= self.tasks_per_day

    async def _add(self, tx: Transaction, resident: Resident, task: Task, report: Report) -> bool:
        """Add a repeat's words and photos to ``task``; False when it left the active
        statuses meanwhile (then the report is filed as a new task)."""
        added = await self.add_to(tx, resident, task, report.text, report.photos)
        if added is None:
            return False
        reply = texts.MERGED_REPEAT.format(number=added.number, category=added.category.zh)
        if report.result.urgent:
            reply = f"{self._advice(report)}\n\n{reply}"
        await tx.enqueue(Outgoing(resident.chat_id, reply))
        return True

    async def add_to(
        self, tx: Transaction, resident: Resident, task: Task, text: str, photos: Sequence[str]
    ) -> Task | None:
        """Add the resident's words and photos to their active ``task``: an event, the card
        shows them, the claimer hears them at once. None when it is no longer active."""
        line = texts.ADDED_LINE.format(text=text or texts.PHOTO)
        added = await tx.change_task(
            task.id,
            TaskChange(text=f"{task.text}\n{line}", photos=(*task.photos, *photos)),
            only_if=ALLOWED_FROM[Transition.ADD],
        )
        if added is None:
            return None
        now = self.ctx.clock()
        await tx.add_event(TaskEvent(task.id, EventKind.ADDED, resident.user_id, now,
                                     note=text))  # fmt: skip
        await tx.enqueue(self.ctx.presenter.live_card(added))
        if added.claimer_id is not None:  # the worker on it hears the new words at once
            note = texts.ADDED_TO_CLAIMER.format(number=added.number, text=text or texts.PHOTO)
            if text:
                await tx.enqueue(Outgoing(added.claimer_id, note))
            for photo in photos:
                await tx.enqueue(Outgoing(added.claimer_id, note, photo=photo))
        return added

    async def _create(
        self, tx: Transaction, resident: Resident, report: Report, now: datetime
    ) -> Task:
        result = report.result
        grid = UnitRef(UnitKind.GRID, report.grid_id)
        community = self.ctx.org.community_of(report.grid_id)
        # `other` is not a grid matter: the community desk triages it (DESIGN.md §4)
        holder = community if result.category is Category.OTHER and community else grid
        kind = TaskKind.QUESTION if is_question_task(report.text, result) else TaskKind.REPAIR
        cycle = self.ctx.plan.cycle(result.category, result.urgent, now, kind)
        task = await tx.add_task(
            NewTask(
                resident_id=resident.user_id,
                text=report.text,
                photo=report.photos[0] if report.photos else None,
                photos=report.photos,
                category=result.category,
                urgent=result.urgent,
                confidence=result.confidence,
                matched=result.matched,
                grid_id=report.grid_id,
                place=report.place,
                building=report.address.building,
                unit=report.address.unit,
                holder=holder,
                created_at=now,
                claim_due_at=cycle.claim_due_at,
                resolve_due_at=cycle.resolve_due_at,
                stage=cycle.move.stage,
                next_followup_at=cycle.move.at,
                kind=kind,
            ),
            self.ctx.today(now),
        )
        await tx.add_event(
            TaskEvent(task.id, EventKind.CREATED, resident.user_id, now, holder=holder,
                      due_at=cycle.claim_due_at)
        )  # fmt: skip
        presenter = self.ctx.presenter
        receipt = ResidentNotices(self.ctx).receipt(
            task, self._advice(report) if task.urgent else None
        )
        if report.receipt:
            home = self._home_offer(resident, report)
            await tx.enqueue(Outgoing(resident.chat_id, receipt, home))
        await tx.enqueue(presenter.live_card(task, new=True))
        if task.urgent:
            await self._alert(tx, task, report, holder, community)
        return task

    async def _alert(
        self,
        tx: Transaction,
        task: Task,
        report: Report,
        holder: UnitRef,
        community: UnitRef | None,
    ) -> None:
        """Tell the community at once; and the chat that heard of it before the place was
        known, that it now has a place and a task."""
        unit = self.ctx.org.unit(holder).name
        alerted: set[str] = set()
        if community is not None and holder != community:
            alert = texts.URGENT_ALERT.format(
                number=task.number,
                category=task.category.zh,
                unit=unit,
                text=texts.shorten(mask_pii(task.text), 40),
            )
            chat = self.ctx.org.unit(community).chat_id
            await tx.enqueue(Outgoing(chat, alert))
            alerted.add(chat)
        if report.alert_chat is not None and report.alert_chat not in alerted:
            place = texts.shorten(mask_pii(self.ctx.presenter.place(task)), 30)
            placed = texts.URGENT_PLACED.format(place=place, number=task.number, unit=unit)
            await tx.enqueue(Outgoing(report.alert_chat, placed))

    def _advice(self, report: Report) -> str:
        return texts.advice(dangers(report.text, report.result.category))

    def _home_offer(self, resident: Resident, report: Report) -> tuple[tuple[Button, ...], ...]:
        """A button to make the place just named the resident's home, when they have none."""
        if not report.placed_by_answer or resident.grid_id is not None:
            return ()
        grid = self.ctx.org.grid(report.grid_id)
        names = [place.name for place in grid.places] if grid else []
        if report.place not in names:
            return ()
        arg = f"{report.grid_id}:{names.index(report.place)}"
        label = texts.SET_HOME.format(place=report.place)
        return ((Button(label, Action(Verb.PICK_PLACE, 0, arg).encode()),),)


def _same_building(first: str | None, second: str | None) -> bool:
    """Two reports can be about one problem unless they name different buildings."""
    return first is None or second is None or first == second
