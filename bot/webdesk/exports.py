"""The 台账 and the weekly figures as Excel, from the web desk: the viewer's own tasks only.

The workbooks are :mod:`bot.export`'s, the ones ``griddesk export`` writes; the web desk picks
the days (the last four weeks unless the viewer asks for others) and the scope: a street admin
gets the whole street, everyone else the grids they see on the desk, under the name of the
unit they belong to. The files are always masked: a workbook is copied, mailed and printed,
and no per-view audit can follow it.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.config.org import Org
from bot.desk.context import Context
from bot.export.ledger import ledger_workbook
from bot.export.request import Request
from bot.export.weekly import figures_workbook
from bot.figures.compute import days_window
from bot.figures.stats_command import Scope
from bot.webdesk.ports import WebStore
from bot.webdesk.viewers import Viewer

DEFAULT_DAYS = 28
"""The days an export covers when the viewer names none: four weeks, what a monthly 台账 is."""
LEDGER = "ledger"
FIGURES = "figures"


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
    context: Context, store: WebStore, viewer: Viewer, kind: str, days: tuple[date, date]
) -> bytes:
    """The masked .xlsx of ``kind`` (:data:`LEDGER` or :data:`FIGURES`) for ``viewer``."""
    now = context.clock()
    window = days_window(days[0], days[1], context.timezone)
    request = Request(export_scope(context.org, viewer), window, context.timezone, now)
    if kind == FIGURES:
        return await figures_workbook(store, context.org, request)
    return await ledger_workbook(store, context.org, request, masked=True)
