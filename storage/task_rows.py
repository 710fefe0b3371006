"""Tasks and their events as rows and back: the one place that knows how each field is stored.

Enums are stored as their values, a :class:`~bot.domain.UnitRef` as ``kind:id``, word lists as
JSON text; a row read back becomes a frozen domain value, so nothing mutable leaves storage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import col

from bot.domain import EventKind, NewTask, Rating, Stage, Task, TaskEvent, TaskStatus, UnitRef
from bot.ports import TaskChange
from nlp.taxonomy import Category
from storage.tables import TaskEventRow, TaskRow


def task_row(new: NewTask, number: str) -> TaskRow:
    """The row of a new task, open and unclaimed."""
    return TaskRow(
        number=number,
        resident_id=new.resident_id,
        text=new.text,
        photo=new.photo,
        category=new.category.value,
        urgent=new.urgent,
        confidence=new.confidence,
        matched=json_words(new.matched),
        grid_id=new.grid_id,
        place=new.place,
        building=new.building,
        unit=new.unit,
        holder=str(new.holder),
        status=TaskStatus.OPEN.value,
        created_at=new.created_at,
        claim_due_at=new.claim_due_at,
        resolve_due_at=new.resolve_due_at,
        stage=new.stage.value,
        next_followup_at=new.next_followup_at,
    )


def event_row(event: TaskEvent) -> TaskEventRow:
    """The row of an audit event."""
    return TaskEventRow(
        task_id=event.task_id,
        kind=event.kind.value,
        actor_id=event.actor_id,
        at=event.at,
        note=event.note,
        holder=None if event.holder is None else str(event.holder),
    )


def changed_columns(change: TaskChange) -> dict[str, Any]:
    """The SET clause of ``change``: named fields only, and the claim cleared when asked."""
    if change.clear_claimer and change.claimer_id is not None:
        raise ValueError("a change cannot both set and clear the claimer")
    values: dict[str, Any] = {
        "status": None if change.status is None else change.status.value,
        "holder": None if change.holder is None else str(change.holder),
        "level": change.level,
        "claimer_id": change.claimer_id,
        "claimed_at": change.claimed_at,
        "result": change.result,
        "result_photo": change.result_photo,
        "rating": None if change.rating is None else change.rating.value,
        "reopen_count": change.reopen_count,
        "stage": None if change.stage is None else change.stage.value,
        "next_followup_at": change.next_followup_at,
    }
    values = {name: value for name, value in values.items() if value is not None}
    if change.clear_claimer:
        values |= {"claimer_id": None, "claimed_at": None}
    if change.stop_followup:
        values["next_followup_at"] = None
    if change.clear_result:
        values |= {"result": None, "result_photo": None, "rating": None}
    # An empty change still runs the UPDATE: it tests the condition and locks the row.
    return values or {"status": col(TaskRow.status)}


def json_words(words: Sequence[str]) -> str:
    """Words as JSON text, readable (not escaped) in the database."""
    return json.dumps(list(words), ensure_ascii=False)


def task(row: TaskRow) -> Task:
    """The domain value of a task row."""
    assert row.id is not None  # a row read back always has its key
    return Task(
        id=row.id,
        number=row.number,
        resident_id=row.resident_id,
        text=row.text,
        photo=row.photo,
        category=Category(row.category),
        urgent=row.urgent,
        confidence=row.confidence,
        matched=tuple(json.loads(row.matched)),
        grid_id=row.grid_id,
        place=row.place,
        building=row.building,
        unit=row.unit,
        holder=UnitRef.parse(row.holder),
        level=row.level,
        status=TaskStatus(row.status),
        claimer_id=row.claimer_id,
        claimed_at=row.claimed_at,
        created_at=row.created_at,
        claim_due_at=row.claim_due_at,
        resolve_due_at=row.resolve_due_at,
        result=row.result,
        result_photo=row.result_photo,
        rating=None if row.rating is None else Rating(row.rating),
        reopen_count=row.reopen_count,
        stage=Stage(row.stage),
        next_followup_at=row.next_followup_at,
    )


def event(row: TaskEventRow) -> TaskEvent:
    """The domain value of an event row."""
    holder = None if row.holder is None else UnitRef.parse(row.holder)
    return TaskEvent(row.task_id, EventKind(row.kind), row.actor_id, row.at, row.note, holder)
