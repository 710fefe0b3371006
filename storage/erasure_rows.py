"""Forgetting residents: erasure on request and the retention period (PIPL arts. 19 and 47).

A forgotten task keeps what the figures are made of — category, place, holder, status, every
time, the rating, the trail's kinds and times — and loses what is personal: the words, photos,
result note, the trail's notes, and whose task it was (it passes to :data:`ANONYMOUS`, a
resident row with no name, chat or home, which every query that reaches residents skips).
Messages that quoted the resident are deleted from the outbox, and processed updates keep no
raw JSON (:meth:`storage.queues.Queues.mark_update_processed`), so nothing else holds the words.

A photo kept in the database (``media:<id>``, :mod:`storage.media_rows`) goes when its task's
photos are erased, or its waiting report's, unless another task still shows it (a task merged
into another lends it its photos, as it does a platform's file id); one that nothing ever
named (a report that expired as a draft, a message the flood guard dropped) goes with the old
messages.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Executable, and_, case, delete, func, or_, update
from sqlmodel import col, select

from bot.domain import FORGOTTEN, EventKind, TaskStatus
from bot.ports import kept_media_id, kept_photo
from storage import upsert
from storage.card_rows import PlatformCardRow
from storage.choice_rows import OfferedChoiceRow
from storage.inbox_rows import TELEGRAM
from storage.media_rows import KeptMediaRow
from storage.queues import HELD, PENDING, Queues
from storage.tables import (
    AwaitedNoteRow,
    DraftRow,
    InboxRow,
    OutboxRow,
    ResidentRow,
    TaskEventRow,
    TaskRow,
)
from storage.task_rows import stored_photos

ANONYMOUS = FORGOTTEN
"""The resident id forgotten tasks pass to (no channel's id: see :data:`bot.domain.FORGOTTEN`)."""
_FINISHED = (TaskStatus.CLOSED, TaskStatus.CANCELLED, TaskStatus.MERGED)
_NUMBERED_NOTES = (EventKind.MERGED, EventKind.MERGED_IN, EventKind.UNMERGED, EventKind.REMINDED)
"""Trail notes that hold task numbers or whom the bot reminded, never a resident's words."""
_MEDIA_BATCH = 100
"""Kept media looked up at once: one LIKE per medium, in one scan of the tasks."""


class ErasureQueries(Queues):
    """The erasure and retention methods of :class:`bot.ports.Transaction`."""

    async def tasks_finished_before(self, cutoff: datetime, limit: int) -> Sequence[int]:
        """Ids of finished tasks not yet forgotten whose last event is older than ``cutoff``."""
        last = (
            select(TaskEventRow.task_id, func.max(TaskEventRow.at).label("at"))
            .group_by(col(TaskEventRow.task_id))
            .subquery()
        )
        statement = (
            select(TaskRow.id)
            .join(last, last.c.task_id == col(TaskRow.id))
            .where(
                col(TaskRow.status).in_([s.value for s in _FINISHED]),
                col(TaskRow.resident_id) != ANONYMOUS,
                last.c.at < cutoff,
            )
            .order_by(col(TaskRow.id))
            .limit(limit)
        )
        return [task_id for task_id in (await self._session.exec(statement)).all() if task_id]

    async def forget_tasks(self, task_ids: Sequence[int]) -> None:
        """Strip ``task_ids`` of everything personal, the photos they kept too; their figures
        stay (module docstring)."""
        if not task_ids:
            return
        ids = list(task_ids)
        photos = select(TaskRow.photos, TaskRow.photo, TaskRow.result_photo)
        kept = await self._media_named(photos.where(col(TaskRow.id).in_(ids)))
        owners = select(TaskRow.resident_id).where(col(TaskRow.id).in_(ids)).scalar_subquery()
        await self._session.exec(
            update(TaskEventRow)
            .where(col(TaskEventRow.task_id).in_(ids), col(TaskEventRow.actor_id).in_(owners))
            .values(actor_id=None)
        )
        await self._session.exec(
            update(TaskEventRow)
            .where(
                col(TaskEventRow.task_id).in_(ids),
                col(TaskEventRow.kind).not_in([k.value for k in _NUMBERED_NOTES]),
            )
            .values(note="")
        )
        await self._session.exec(delete(AwaitedNoteRow).where(col(AwaitedNoteRow.task_id).in_(ids)))
        await self._anonymous_resident()
        self._tasks_written()
        await self._session.exec(
            update(TaskRow)
            .where(col(TaskRow.id).in_(ids))
            .values(
                resident_id=ANONYMOUS,
                text="",
                photo=None,
                photos=None,
                result=case((col(TaskRow.result).is_(None), None), else_=""),
                result_photo=None,
                next_followup_at=None,  # nobody left to remind or ask for a rating
            )
        )
        await self._drop_media(kept)

    async def forget_resident(self, user_id: str) -> Sequence[str]:
        """Erase the resident ``user_id``: their tasks forgotten, drafts, choices offered to
        them, record and every message to their chat or naming one of their tasks gone. Their
        task numbers, for the caller to tell the groups; call it before queuing what is to be
        said afterwards."""
        tasks = (
            await self._session.exec(
                select(TaskRow.id, TaskRow.number).where(col(TaskRow.resident_id) == user_id)
            )
        ).all()
        numbers = [number for _, number in tasks]
        resident = await self._get(ResidentRow, user_id)
        quoting = [col(OutboxRow.text).contains(number) for number in numbers]
        chats = {user_id}  # a resident's private chat has their own address
        if resident is not None:
            quoting.append(col(OutboxRow.chat_id) == resident.chat_id)
            chats.add(resident.chat_id)
        await self._session.exec(
            delete(OfferedChoiceRow).where(col(OfferedChoiceRow.chat_id).in_(sorted(chats)))
        )
        if quoting:
            await self._session.exec(delete(OutboxRow).where(or_(*quoting)))
        await self.forget_tasks([task_id for task_id, _ in tasks if task_id is not None])
        # their words added to someone else's task (a merged report, feedback) go too
        await self._session.exec(
            update(TaskEventRow)
            .where(col(TaskEventRow.actor_id) == user_id)
            .values(actor_id=None, note="")
        )
        drafted = select(DraftRow.photos, DraftRow.photo)
        kept = await self._media_named(drafted.where(col(DraftRow.resident_id) == user_id))
        await self._session.exec(delete(DraftRow).where(col(DraftRow.resident_id) == user_id))
        await self._drop_media(kept)
        await self._session.exec(delete(ResidentRow).where(col(ResidentRow.user_id) == user_id))
        return numbers

    async def forget_idle_residents(self, cutoff: datetime) -> int:
        """Delete residents whose record has not changed since ``cutoff`` and who have no task
        (left: all forgotten) and no unfinished report; how many."""
        has_task = select(TaskRow.id).where(col(TaskRow.resident_id) == col(ResidentRow.user_id))
        has_draft = select(DraftRow.resident_id).where(
            col(DraftRow.resident_id) == col(ResidentRow.user_id)
        )
        result = await self._session.exec(
            delete(ResidentRow).where(
                col(ResidentRow.user_id) != ANONYMOUS,
                col(ResidentRow.seen_at) < cutoff,
                ~has_task.exists(),
                ~has_draft.exists(),
            )
        )
        return int(result.rowcount or 0)

    async def residents_mentioning(self, fragment: str) -> Sequence[str]:
        """Residents (not yet forgotten) one of whose tasks holds ``fragment`` (a phone number
        given on a call) or has it as its number."""
        statement = (
            select(TaskRow.resident_id)
            .where(
                or_(col(TaskRow.text).contains(fragment), col(TaskRow.number) == fragment),
                col(TaskRow.resident_id) != ANONYMOUS,
            )
            .distinct()
        )
        return list((await self._session.exec(statement)).all())

    async def drop_old_messages(self, cutoff: datetime) -> int:
        """Delete what was sent (or given up) before ``cutoff``, and the processed updates
        received before it but Telegram's newest (the poll offset is read from it), and the
        choices offered before it (an answer to them now would be read as something else), and
        the cards sent before it on platforms that change them by code, and the media kept
        before it that no task or waiting report names; how many rows. The other channels' ids
        come from a counter, which needs no row kept."""
        sent = await self._session.exec(
            delete(OutboxRow).where(
                col(OutboxRow.status).not_in([PENDING, HELD]), col(OutboxRow.created_at) < cutoff
            )
        )
        telegram = col(InboxRow.channel) == TELEGRAM
        newest = select(func.max(InboxRow.update_id)).where(telegram).scalar_subquery()
        updates = await self._session.exec(
            delete(InboxRow).where(
                and_(
                    col(InboxRow.processed).is_(True),
                    col(InboxRow.received_at) < cutoff,
                    or_(~telegram, col(InboxRow.update_id) != newest),
                )
            )
        )
        choices = await self._session.exec(
            delete(OfferedChoiceRow).where(col(OfferedChoiceRow.offered_at) < cutoff)
        )
        cards = await self._session.exec(
            delete(PlatformCardRow).where(col(PlatformCardRow.sent_at) < cutoff)
        )
        old = select(KeptMediaRow.id).where(col(KeptMediaRow.kept_at) < cutoff)
        media = await self._drop_media([i for i in (await self._session.exec(old)).all() if i])
        rows = sum(int(result.rowcount or 0) for result in (sent, updates, choices, cards))
        return rows + media

    async def _media_named(self, photo_columns: Executable) -> set[int]:
        """The kept media named in the rows ``photo_columns`` selects: a JSON list of photos,
        the one photo of a row written before it, then any other single photo columns."""
        named = set()
        for photos, photo, *others in (await self._run(photo_columns)).all():
            for reference in (*stored_photos(photos, photo), *others):
                if (media_id := kept_media_id(reference)) is not None:
                    named.add(media_id)
        return named

    async def _drop_media(self, media_ids: Collection[int]) -> int:
        """Delete those of ``media_ids`` that no task (its photos, its result's) and no waiting
        report names any longer; how many."""
        left, dropped = sorted(media_ids), 0
        for start in range(0, len(left), _MEDIA_BATCH):
            batch = left[start : start + _MEDIA_BATCH]
            references = [kept_photo(media_id) for media_id in batch]
            listed = [json.dumps(reference) for reference in references]  # as the lists hold it
            tasks = select(TaskRow.photos, TaskRow.photo, TaskRow.result_photo).where(
                or_(
                    *(col(TaskRow.photos).contains(item) for item in listed),
                    col(TaskRow.photo).in_(references),
                    col(TaskRow.result_photo).in_(references),
                )
            )
            drafts = select(DraftRow.photos, DraftRow.photo).where(
                or_(
                    *(col(DraftRow.photos).contains(item) for item in listed),
                    col(DraftRow.photo).in_(references),
                )
            )
            named = await self._media_named(tasks) | await self._media_named(drafts)
            unnamed = [media_id for media_id in batch if media_id not in named]
            if unnamed:
                result = await self._session.exec(
                    delete(KeptMediaRow).where(col(KeptMediaRow.id).in_(unnamed))
                )
                dropped += int(result.rowcount or 0)
        return dropped

    async def _anonymous_resident(self) -> None:
        values = {"user_id": ANONYMOUS, "chat_id": ANONYMOUS, "name": ""}
        await self._session.exec(
            upsert.insert(self._session, ResidentRow).values(values).on_conflict_do_nothing()
        )
