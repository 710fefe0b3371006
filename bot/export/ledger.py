"""The 台账: one row per task reported in the days asked for, as a street office files it.

Everything a task's row says comes from the task and its audit trail as they stand when the
ledger is taken (``Request.now``). Residents' words, the place and the worker's 办结说明 are
masked unless the caller decides otherwise (``masked``; the web desk will decide by role): the
phone, ID-card and room numbers of :func:`nlp.privacy.mask_pii`, the shape kept
(``138****1234``) so a reader sees a number was given. Workers are named as the config names
them; residents are not named at all.

是否超期 has two halves. 认领 late is exactly the 按期答复 of the figures
(:func:`bot.figures.compute.compute` on the one task), so the ledger's late claims and the
week's 按期答复率 always agree. 办结 late: the 办结 came after the resolve deadline in force, or
the deadline has passed with nothing resolved — or, at an earlier level, the follow-up engine
reminded the claimer because a resolve deadline had passed (an escalation gives the task a
fresh deadline, which must not wipe out the one missed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpyxl import Workbook

from bot.config.org import Org
from bot.desk.cards import place_of
from bot.domain import ACTIVE, EventKind, Rating, Task, TaskEvent, TaskStatus
from bot.export import headers
from bot.export.request import (
    History,
    HistoryStore,
    Request,
    about,
    read_history,
    unit_name,
)
from bot.export.sheet import DATETIME, Cell, Column, as_bytes, local, notes, table
from bot.figures.compute import Window, compute
from bot.followup.engine import RESOLVE_REMINDED
from nlp.privacy import mask_pii, phone_number

FINISHED = frozenset({TaskStatus.RESOLVED, TaskStatus.CLOSED})
"""Statuses in which the task's 办结 stands (a reopened task's old result does not)."""

_VERDICTS = frozenset(Rating)

COLUMNS = tuple(
    Column(
        header,
        number_format=DATETIME if header in headers.LEDGER_TIMES else None,
        text=header in headers.LEDGER_TEXTS,
    )
    for header in headers.LEDGER_COLUMNS
)


async def ledger_workbook(
    store: HistoryStore, org: Org, request: Request, *, masked: bool = True
) -> bytes:
    """The 台账 of ``request`` as an .xlsx file's content, built on a worker thread: openpyxl
    takes about 1.5 ms a row (a month of a busy street, seconds), which would stall every
    chat the event loop serves."""
    history = await read_history(store, request, request.window)
    return await asyncio.to_thread(ledger_book, history, org, request, masked=masked)


def ledger_book(history: History, org: Org, request: Request, *, masked: bool = True) -> bytes:
    """The 台账 of tasks already read: the sheet, then a 说明 sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = headers.LEDGER_SHEET
    ledger = _Rows(org, request, mask_pii if masked else _as_written)
    rows = (
        ledger.row(index, task, events) for index, (task, events) in enumerate(history, start=1)
    )
    table(sheet, COLUMNS, rows)
    privacy = headers.ABOUT_MASKED if masked else headers.ABOUT_UNMASKED
    lines = about(
        request, headers.ABOUT_TITLE_LEDGER, request.window, [privacy, headers.ABOUT_LEDGER]
    )
    notes(book, headers.ABOUT_SHEET, lines)
    return as_bytes(book)


@dataclass(frozen=True)
class _Rows:
    """What every row of one ledger is written with."""

    org: Org
    request: Request
    mask: Callable[[str], str]

    def row(self, index: int, task: Task, events: Sequence[TaskEvent]) -> tuple[Cell, ...]:
        org, zone, mask = self.org, self.request.zone, self.mask
        finished = task.status in FINISHED
        resolved = _last(events, EventKind.RESOLVED) if finished else None
        late = self.late(task, events)
        phone = phone_number(task.text)
        return (
            index,
            task.number,
            local(task.created_at, zone),
            headers.KIND[task.kind],
            task.category.zh,
            _yes(task.urgent),
            unit_name(org, org.community_of(task.grid_id)),
            _grid_name(org, task.grid_id),
            mask(place_of(task)),
            mask(task.text),
            mask(phone) if phone else None,
            unit_name(org, task.holder),
            headers.STATUS[task.status],
            _worker(org, task.claimer_id),
            local(task.claimed_at, zone),
            local(task.claim_due_at, zone),
            local(task.resolve_due_at, zone),
            local(resolved.at if resolved else None, zone),
            mask(task.result) if finished and task.result else None,
            _yes(bool(late)),
            headers.LATE_JOIN.join(late) or None,
            _satisfaction(task, events),
            _count(events, EventKind.ESCALATED),
            _count(events, EventKind.TRANSFERRED),
            task.reopen_count,
        )

    def late(self, task: Task, events: Sequence[TaskEvent]) -> list[str]:
        """The stages whose deadline the task missed: 认领, 办结, both or none."""
        missed = (
            (headers.LATE_CLAIM, claimed_late(task, events, self.request)),
            (headers.LATE_RESOLVE, resolved_late(task, events, self.request.now)),
        )
        return [stage for stage, late in missed if late]


def claimed_late(task: Task, events: Sequence[TaskEvent], request: Request) -> bool:
    """Claimed after a claim deadline in force, or still unclaimed past it: the task counts
    as due in the figures and not as claimed on time. A withdrawn or merged task is in no
    figure, and never late."""
    if task.grid_id is None:
        return False
    # every event up to now counts, whatever day the window ends
    until = max(request.window.until, request.now + timedelta(microseconds=1))
    window = Window(request.window.since, until)
    one = compute([(task, events)], [task.grid_id], window, request.now).total
    return one.due > one.claimed_on_time


def resolved_late(task: Task, events: Sequence[TaskEvent], now: datetime) -> bool:
    """A resolve deadline missed at any level (see the module)."""
    if any(e.kind is EventKind.REMINDED and e.note == RESOLVE_REMINDED for e in events):
        return True
    if task.status in FINISHED:
        resolved = _last(events, EventKind.RESOLVED)
        return resolved is not None and resolved.at > task.resolve_due_at
    return task.status in ACTIVE and now > task.resolve_due_at


def _satisfaction(task: Task, events: Sequence[TaskEvent]) -> str | None:
    """The resident's latest verdict, as 满意率 counts it: a reopened task keeps its 不满意
    (the task itself forgets it) until the resident rates the next 办结."""
    verdicts = [e.note for e in events if e.kind is EventKind.RATED and e.note in _VERDICTS]
    if verdicts:
        return headers.RATING[Rating(verdicts[-1])]
    return headers.UNRATED if task.status is TaskStatus.CLOSED else None


def _worker(org: Org, user_id: str | None) -> str | None:
    """The claimer as the config names them; never an id, which says nothing on paper."""
    if user_id is None:
        return None
    person = org.people.get(user_id)
    return person.name if person is not None else headers.NOT_ON_ROLL


def _grid_name(org: Org, grid_id: str | None) -> str:
    grid = org.grid(grid_id) if grid_id else None
    return grid.name if grid is not None else grid_id or ""


def _last(events: Sequence[TaskEvent], kind: EventKind) -> TaskEvent | None:
    return next((e for e in reversed(events) if e.kind is kind), None)


def _count(events: Sequence[TaskEvent], kind: EventKind) -> int:
    return sum(e.kind is kind for e in events)


def _yes(flag: bool) -> str:
    return headers.YES if flag else headers.NO


def _as_written(text: str) -> str:
    return text
