"""The figures page: 按期答复率, 办结率, 满意率 and the median times, per grid and per week.

Computed by :func:`bot.figures.compute.compute` from the same read ``/stats`` makes, so the
page, ``/stats``, the weekly digest and the Excel export give the same numbers for the same
days. Weeks are whole local weeks, Monday first; the current one is counted up to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.org import Unit
from bot.desk.context import Context
from bot.figures.compute import Stats, Window, compute, days_window
from bot.webdesk.ports import WebStore
from bot.webdesk.viewers import Viewer

WEEKS = 8
"""Weeks on the page: two months, enough to see a trend on a phone."""


@dataclass(frozen=True)
class WeeklyFigures:
    """The viewer's grids and their figures for each week, oldest week first."""

    grids: tuple[Unit, ...]
    weeks: tuple[Stats, ...]


def weeks_to(now: datetime, context: Context, count: int = WEEKS) -> list[Window]:
    """The ``count`` local weeks up to and including the week of ``now``."""
    today = now.astimezone(context.timezone).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    return [days_window(start, start + timedelta(days=7), context.timezone) for start in starts]


async def weekly_figures(context: Context, store: WebStore, viewer: Viewer) -> WeeklyFigures:
    """The figures of every grid ``viewer`` sees, for each of the last :data:`WEEKS` weeks."""
    grid_ids = viewer.grid_ids(context.org)
    grids = tuple(grid for grid in context.org.grids() if grid.ref.id in grid_ids)
    now = context.clock()
    windows = weeks_to(now, context)
    async with store.transaction() as tx:
        history = await tx.tasks_created_between(windows[0].since, windows[-1].until, grid_ids)
    weeks = tuple(compute(history, grid_ids, window, now) for window in windows)
    return WeeklyFigures(grids, weeks)
