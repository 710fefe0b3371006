"""The reply sheet: what the 12345 platform needs to close each order it dispatched to us.

One row per imported order received in a window, keyed by the platform's work-order number:
状态, 办理结果 (the worker's result note, masked: it may name a phone or a room), 办结时间,
是否按期 (done by the order's own deadline, whatever later deadlines an escalation gave the
task) and 满意度. The platform's operators call the caller back from it; the caller's own name
and phone were never imported, so the sheet cannot show them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from bot import texts as bot_texts
from bot.domain import EventKind, Task, TaskEvent, TaskStatus
from bot.export import headers
from bot.hotline.ledger import HotlineStore
from nlp.privacy import mask_pii

_DONE = frozenset({TaskStatus.RESOLVED, TaskStatus.CLOSED})
_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ReplyRow:
    """One order's line, as the sheet shows it (:data:`headers.HOTLINE_REPLY_COLUMNS`)."""

    number: str
    status: str
    result: str
    resolved_at: str
    on_time: str
    rating: str


async def reply_rows(
    store: HotlineStore, since: datetime, until: datetime, now: datetime, timezone: ZoneInfo
) -> list[ReplyRow]:
    """The lines of the orders received in ``[since, until)``, earliest first."""
    async with store.transaction() as tx:
        orders = await tx.hotline_orders(since, until)
    return [reply_row(number, due_at, task, events, now=now, timezone=timezone)
            for number, due_at, task, events in orders]  # fmt: skip


def reply_row(
    number: str,
    due_at: datetime,
    task: Task,
    events: Sequence[TaskEvent],
    *,
    now: datetime,
    timezone: ZoneInfo,
) -> ReplyRow:
    """One order's line at ``now``."""
    done = task.status in _DONE
    resolved = [event.at for event in events if event.kind is EventKind.RESOLVED]
    resolved_at = resolved[-1] if done and resolved else None
    if task.status is TaskStatus.MERGED:
        status = headers.HOTLINE_MERGED_INTO.format(number=task.merged_into or "")
    else:
        status = headers.HOTLINE_STATUS[task.status]
    return ReplyRow(
        number=number,
        status=status,
        result=mask_pii(task.result) if done and task.result else "",
        resolved_at=resolved_at.astimezone(timezone).strftime(_TIME) if resolved_at else "",
        on_time=_on_time(task, resolved_at, due_at, now),
        rating=_rating(task) if done else "",
    )


def _on_time(task: Task, resolved_at: datetime | None, due_at: datetime, now: datetime) -> str:
    if resolved_at is not None:
        return headers.HOTLINE_ON_TIME if resolved_at <= due_at else headers.HOTLINE_LATE
    if task.status in {TaskStatus.OPEN, TaskStatus.CLAIMED} and now > due_at:
        return headers.HOTLINE_LATE
    return headers.HOTLINE_NOT_YET_DUE


def _rating(task: Task) -> str:
    return bot_texts.RATING_ZH[task.rating] if task.rating else headers.HOTLINE_UNRATED


def write_reply(rows: Sequence[ReplyRow], path: Path) -> None:
    """Write the sheet to ``path`` whole, or not at all: it is written beside it first and
    then moved into place, so a failure never leaves half a sheet for the platform to read."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = headers.HOTLINE_REPLY_SHEET
    sheet.append(headers.HOTLINE_REPLY_COLUMNS)
    for row in rows:
        sheet.append(astuple(row))
    handle, partial = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        book.save(partial)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
