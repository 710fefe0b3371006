"""The 台账 and the weekly figures as Excel, from the web desk: the viewer's own tasks only.

The workbooks are :mod:`bot.export`'s, the ones ``griddesk export`` writes; the web desk picks
the days (the last four weeks unless the viewer asks for others) and the scope: a street admin
gets the whole street, everyone else the grids they see on the desk, under the name of the
unit they belong to.

A 台账 is masked unless the viewer's role allows contact details (community staff and admins,
as on a task's page) and they ask for them: then every task in the file gets a 查看了联系方式
event in its trail, written in the transaction that reads the tasks — a workbook is copied,
mailed and printed, so the download is the view that is recorded.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from bot.config.org import Org
from bot.desk.context import Context
from bot.domain import EventKind, TaskEvent
from bot.export.ledger import ledger_book
from bot.export.request import History, Request
from bot.export.weekly import figures_workbook
from bot.figures.compute import days_window
from bot.figures.stats_command import Scope
from bot.webdesk.ports import WebStore
from bot.webdesk.viewers import CONTACT_ROLES, Viewer

DEFAULT_DAYS = 28
"""The days an export covers when the viewer names none: four weeks, what a monthly 台账 is."""
LEDGER = "ledger"
FIGURES = "figures"
EXPORTED = "台账导出"
"""The note of the 查看了联系方式 event an unmasked 台账 writes for each of its tasks."""


def export_scope(org: Org, viewer: Viewer) -> Scope:
    """The grids ``viewer`` sees, named after the street (admins) or their first unit."""
    grid_ids = viewer.grid_ids(org)
    grids = tuple(grid for grid in org.grids() if grid.ref.id in grid_ids)
    if viewer.scope is None or not viewer.person.units:
        return Scope(org.street.name, grids, total=True)
    return Scope(org.unit(viewer.person.units[0]).name, grids, total=len(grids) > 1)


def export_days(since: str, until: str, today: date) -> tuple[date, date]:
    """The first day and the day after the last, from the form (ISO dates, the last one
    included); a day that does not parse, or an empty or reversed span, falls back to the last
    :data:`DEFAULT_DAYS` days up to today."""
    try:
        first, last = date.fromisoformat(since), date.fromisoformat(until)
    except ValueError:
        return today - timedelta(days=DEFAULT_DAYS - 1), today + timedelta(days=1)
    if last < first:
        return today - timedelta(days=DEFAULT_DAYS - 1), today + timedelta(days=1)
    return first, last + timedelta(days=1)


async def workbook(
    context: Context,
    store: WebStore,
    viewer: Viewer,
    kind: str,
    days: tuple[date, date],
    *,
    contacts: bool = False,
) -> bytes:
    """The .xlsx of ``kind`` (:data:`LEDGER` or :data:`FIGURES`) for ``viewer``; ``contacts``:
    the 台账 unmasked, when the viewer's role allows it (:func:`unmasked_for`; audited)."""
    now = context.clock()
    window = days_window(days[0], days[1], context.timezone)
    request = Request(export_scope(context.org, viewer), window, context.timezone, now)
    if kind == FIGURES:
        return await figures_workbook(store, context.org, request)
    unmasked = contacts and unmasked_for(viewer)
    async with store.transaction() as tx:
        history: History = await tx.tasks_created_between(
            window.since, window.until, request.grid_ids
        )
        if unmasked:
            for task, _ in history:
                await tx.add_event(
                    TaskEvent(task.id, EventKind.CONTACT_VIEWED, viewer.user_id, now, EXPORTED)
                )
    return await asyncio.to_thread(ledger_book, history, context.org, request, masked=not unmasked)


def unmasked_for(viewer: Viewer) -> bool:
    """Whether ``viewer``'s role may take a 台账 with contact details (all tasks in scope)."""
    return viewer.person.role in CONTACT_ROLES
