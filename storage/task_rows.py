"""Tasks and their events as rows and back: the one place that knows how each field is stored.

Enums are stored as their values, a :class:`~bot.domain.UnitRef` as ``kind:id``, word lists as
JSON text; a row read back becomes a frozen domain value, so nothing mutable leaves storage.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col

from bot.domain import (
    EventKind,
    NewTask,
    Rating,
    Stage,
    Task,
    TaskEvent,
    TaskKind,
    TaskStatus,
    UnitRef,
)
from bot.ports import TaskChange
from nlp.taxonomy import Category
from storage.tables import TaskEventRow, TaskRow, read_utc


def new_task_values(new: NewTask, number: str) -> dict[str, Any]:
    """The columns of a new task, open and unclaimed: every one of :data:`COLUMNS` but ``id``
    (so the task can be built from them once the INSERT returns its id)."""
    return {
        "number": number,
        "resident_id": new.resident_id,
        "text": new.text,
        "photo": new.photo,
        "photos": json_words(new.photos),
        "category": new.category.value,
        "urgent": new.urgent,
        "confidence": new.confidence,
        "matched": json_words(new.matched),
        "grid_id": new.grid_id,
        "place": new.place,
        "building": new.building,
        "unit": new.unit,
        "holder": str(new.holder),
        "level": 0,
        "status": TaskStatus.OPEN.value,
        "claimer_id": None,
        "claimed_at": None,
        "created_at": new.created_at,
        "claim_due_at": new.claim_due_at,
        "resolve_due_at": new.resolve_due_at,
        "result": None,
        "result_photo": None,
        "rating": None,
        "reopen_count": 0,
        "merged_into": None,
        "stage": new.stage.value,
        "next_followup_at": new.next_followup_at,
        "kind": new.kind.value,
    }


def event_values(event: TaskEvent) -> dict[str, Any]:
    """The columns of an audit event, for a bulk INSERT (no model instance to build)."""
    return {
        "task_id": event.task_id,
        "kind": event.kind.value,
        "actor_id": event.actor_id,
        "at": event.at,
        "note": event.note,
        "holder": None if event.holder is None else str(event.holder),
        "due_at": event.due_at,
    }


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
        "claim_due_at": change.claim_due_at,
        "resolve_due_at": change.resolve_due_at,
        "merged_into": change.merged_into,
        "text": change.text,
        "category": None if change.category is None else change.category.value,
    }
    values = {name: value for name, value in values.items() if value is not None}
    if change.clear_claimer:
        values |= {"claimer_id": None, "claimed_at": None}
    if change.stop_followup:
        values["next_followup_at"] = None
    if change.photos is not None:
        values["photos"] = json_words(change.photos)
    if change.clear_merge:
        values["merged_into"] = None
    if change.clear_result:
        values |= {"result": None, "result_photo": None, "rating": None}
    # An empty change still runs the UPDATE: it tests the condition and locks the row.
    return values or {"status": col(TaskRow.status)}


def json_words(words: Sequence[str]) -> str:
    """Words as JSON text, readable (not escaped) in the database."""
    return json.dumps(list(words), ensure_ascii=False)


COLUMNS = (
    "id", "number", "resident_id", "text", "photo", "photos", "category", "urgent",
    "confidence", "matched", "grid_id", "place", "building", "unit", "holder", "level",
    "status", "claimer_id", "claimed_at", "created_at", "claim_due_at", "resolve_due_at",
    "result", "result_photo", "rating", "reopen_count", "merged_into", "stage",
    "next_followup_at", "kind",
)  # fmt: skip
"""The columns :func:`task_of` reads, in its order: select these to map plain rows."""


def task(row: TaskRow) -> Task:
    """The domain value of a task row."""
    return task_of(tuple(getattr(row, name) for name in COLUMNS))


def task_of(values: Sequence[Any]) -> Task:
    """The domain value of the tasks-table ``COLUMNS``, in that order: a model's values, or a
    plain driver row as stored (SQLite's timestamps as text and booleans as 0/1, read with
    :func:`~storage.tables.read_utc`) — thousands at a time for the follow-up tick."""
    (
        task_id, number, resident_id, text, photo, photos, category, urgent,
        confidence, matched, grid_id, place, building, unit, holder, level,
        status, claimer_id, claimed_at, created_at, claim_due_at, resolve_due_at,
        result, result_photo, rating, reopen_count, merged_into, stage,
        next_followup_at, kind,
    ) = values  # fmt: skip
    assert task_id is not None  # a row read back always has its key
    return Task.of_fields(
        id=task_id,
        number=number,
        resident_id=resident_id,
        text=text,
        photo=photo,
        photos=stored_photos(photos, photo),
        category=_CATEGORIES[category],
        urgent=bool(urgent),
        confidence=confidence,
        matched=_words(matched),
        grid_id=grid_id,
        place=place,
        building=building,
        unit=unit,
        holder=_unit(holder),
        level=level,
        status=_STATUSES[status],
        claimer_id=claimer_id,
        claimed_at=read_utc(claimed_at),
        created_at=_required(read_utc(created_at)),
        claim_due_at=_required(read_utc(claim_due_at)),
        resolve_due_at=_required(read_utc(resolve_due_at)),
        result=result,
        result_photo=result_photo,
        rating=None if rating is None else _RATINGS[rating],
        reopen_count=reopen_count,
        merged_into=merged_into,
        stage=_STAGES[stage],
        next_followup_at=read_utc(next_followup_at),
        kind=TaskKind(kind or TaskKind.REPAIR),
    )


def _required(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("a task's creation time and deadlines are never NULL")
    return value


def event(row: TaskEventRow) -> TaskEvent:
    """The domain value of an event row."""
    holder = None if row.holder is None else _unit(row.holder)
    kind = EventKind(row.kind)
    return TaskEvent(row.task_id, kind, row.actor_id, row.at, row.note, holder, row.due_at)


def stored_photos(photos: str | None, photo: str | None) -> tuple[str, ...]:
    """The photos of a row: its JSON list, or its one ``photo`` in a row written before."""
    if photos is not None:
        return tuple(json.loads(photos))
    return () if photo is None else (photo,)


# Stored enum values to members by dictionary: the enum's own lookup costs several times more,
# and the follow-up tick reads thousands of tasks at once.
_CATEGORIES = {member.value: member for member in Category}
_STATUSES = {member.value: member for member in TaskStatus}
_RATINGS = {member.value: member for member in Rating}
_STAGES = {member.value: member for member in Stage}


@functools.lru_cache(maxsize=4096)
def _words(stored: str) -> tuple[str, ...]:
    """Matched words from their JSON text; the same few lists recur across tasks."""
    return tuple(json.loads(stored))


@functools.lru_cache(maxsize=1024)
def _unit(stored: str) -> UnitRef:
    """A stored ``kind:id`` as a unit; there are few units, so each is parsed once."""
    return UnitRef.parse(stored)
