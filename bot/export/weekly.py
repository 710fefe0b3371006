"""The weekly figures: one row per grid per ISO week (Monday to Sunday), and a 合计 per week.

The numbers are :func:`bot.figures.compute.compute`'s, week by week — the figures ``/stats``,
the weekly digest and ``griddesk stats`` give for the same days, never computed a second way.
Weeks are whole: the days asked for are widened to the Monday before the first and the Sunday
after the last, because a week's rate over four of its days is not the week's rate anyone
files. A week still running is taken as of ``Request.now`` (a claim deadline still ahead
decides nothing yet). Rates are Excel percentages and medians hours, so the sheet can be
summed and charted; a rate with nothing to divide by is ``—``, never a made-up 0%.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.config.org import Org
from bot.domain import Task, TaskEvent
from bot.export import headers
from bot.export.request import History, HistoryStore, Request, about, read_history, unit_name
from bot.export.sheet import DATE, DECIMAL, PERCENT, Cell, Column, as_bytes, emphasise, notes
from bot.export.sheet import table as write_table
from bot.figures.compute import Figures, Window, compute, days_window

_FORMATS = {
    headers.WEEK_START: DATE,
    headers.WEEK_END: DATE,
    headers.ON_TIME_RATE: PERCENT,
    headers.RESOLVE_RATE: PERCENT,
    headers.SATISFACTION_RATE: PERCENT,
    headers.CLAIM_HOURS: DECIMAL,
    headers.RESOLVE_HOURS: DECIMAL,
}
COLUMNS = tuple(
    Column(header, number_format=_FORMATS.get(header)) for header in headers.FIGURES_COLUMNS
)


def iso_weeks(window: Window, zone: ZoneInfo) -> list[Window]:
    """The whole local weeks, Monday first, that the days of ``window`` touch."""
    first, last = window.days(zone)
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(days_window(monday, monday + timedelta(days=7), zone))
        monday += timedelta(days=7)
    return weeks


def weeks_span(request: Request) -> Window:
    """The whole weeks the figures of ``request`` cover: what to read for them."""
    weeks = iso_weeks(request.window, request.zone)
    return Window(weeks[0].since, weeks[-1].until)


async def figures_workbook(store: HistoryStore, org: Org, request: Request) -> bytes:
    """The weekly figures of ``request`` as an .xlsx file's content, built on a worker thread
    as the 台账 is (:func:`bot.export.ledger.ledger_workbook`): the figures of a year of
    weeks take a while."""
    history = await read_history(store, request, weeks_span(request))
    return await asyncio.to_thread(figures_book, history, org, request)


def figures_book(history: History, org: Org, request: Request) -> bytes:
    """The weekly figures of tasks already read (covering the whole weeks): the sheet, then a
    说明 sheet."""
    weeks = iso_weeks(request.window, request.zone)
    scope = request.scope
    rows: list[tuple[Cell, ...]] = []
    totals: list[int] = []
    for week, tasks in zip(weeks, _by_week(history, weeks), strict=True):
        stats = compute(tasks, request.grid_ids, week, request.now)
        monday = week.since.astimezone(request.zone).date()
        for grid, figures in zip(scope.grids, stats.grids, strict=True):
            rows.append(_row(monday, unit_name(org, grid.parent), grid.name, figures))
        if scope.total:
            rows.append(_row(monday, "", headers.TOTAL, stats.total))
            totals.append(len(rows) + 1)  # below the header row
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = headers.FIGURES_SHEET
    write_table(sheet, COLUMNS, rows)
    for row in totals:
        emphasise(sheet, row)
    span = weeks_span(request)
    lines = about(request, headers.ABOUT_TITLE_FIGURES, span, [headers.ABOUT_FIGURES])
    notes(book, headers.ABOUT_SHEET, lines)
    return as_bytes(book)


def _by_week(history: History, weeks: Sequence[Window]) -> list[History]:
    """The tasks of each week, by the moment they were reported: each task goes to one week's
    :func:`compute` only, rather than every week's (which would skip it in all but one)."""
    starts = [week.since for week in weeks]
    parts: list[list[tuple[Task, Sequence[TaskEvent]]]] = [[] for _ in weeks]
    for task, events in history:
        index = bisect_right(starts, task.created_at) - 1
        if index >= 0 and task.created_at < weeks[index].until:
            parts[index].append((task, events))
    return list(parts)


def _row(monday: date, community: str, grid: str, figures: Figures) -> tuple[Cell, ...]:
    year, week, _ = monday.isocalendar()
    return (
        headers.WEEK.format(year=year, week=week),
        monday,
        monday + timedelta(days=6),
        community,
        grid,
        figures.received,
        figures.due,
        figures.claimed_on_time,
        _or_nothing(figures.on_time_rate),
        figures.resolved,
        _or_nothing(figures.resolve_rate),
        figures.rated,
        figures.satisfied,
        _or_nothing(figures.satisfaction_rate),
        _hours(figures.minutes_to_claim),
        _hours(figures.minutes_to_resolve),
        figures.withdrawn,
        figures.merged,
    )


def _or_nothing(rate: float | None) -> Cell:
    return headers.NOTHING if rate is None else rate


def _hours(minutes: float | None) -> Cell:
    return headers.NOTHING if minutes is None else minutes / 60
