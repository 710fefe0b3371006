"""What an export covers: whose tasks (a scope), which days, in which zone, as of when.

The scope is the one ``/stats`` uses (:class:`~bot.figures.stats_command.Scope`), so the web
desk can hand over the viewer's own; the command line builds it from ``--grid`` or
``--community`` with :func:`scope_of`. Reading is one call of the store's statistics read
(:class:`CreatedTasks`), the same that feeds ``/stats``: the ledger and the figures see exactly
the tasks the figures count — those with a grid (a report whose place is still unknown has
none, and is in neither).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config.org import Org
from bot.domain import Task, TaskEvent, UnitKind, UnitRef
from bot.export import headers
from bot.figures.compute import Window
from bot.figures.stats_command import Scope

History = Sequence[tuple[Task, Sequence[TaskEvent]]]
"""Tasks with their audit trails, oldest first."""


class CreatedTasks(Protocol):
    """The one read an export needs (a narrow port of :class:`bot.ports.Transaction`)."""

    async def tasks_created_between(
        self, since: datetime, until: datetime, grid_ids: Sequence[str]
    ) -> History: ...


class HistoryStore(Protocol):
    """A store whose transactions offer that read (:class:`bot.ports.Store` is one)."""

    def transaction(self) -> AbstractAsyncContextManager[CreatedTasks]: ...


async def read_history(store: HistoryStore, request: Request, window: Window) -> History:
    """The scope's tasks created in ``window``, read in one short transaction: the workbook is
    built after it ends, so a big export never holds the database (SQLite's write lock)."""
    async with store.transaction() as tx:
        return await tx.tasks_created_between(window.since, window.until, request.grid_ids)


class UnknownUnit(LookupError):
    """A grid or community id that is not in the config; the message names the known ones."""


@dataclass(frozen=True)
class Request:
    """One export: ``scope``'s tasks reported in ``window``, dated in ``zone``, as of ``now``
    (a deadline not yet come makes nothing overdue)."""

    scope: Scope
    window: Window
    zone: ZoneInfo
    now: datetime

    @property
    def grid_ids(self) -> list[str]:
        return [grid.ref.id for grid in self.scope.grids]


def scope_of(org: Org, *, grid_id: str | None = None, community_id: str | None = None) -> Scope:
    """One grid, one community's grids (with their total), or else the whole street."""
    if grid_id is not None:
        grid = org.grid(grid_id)
        if grid is None:
            known = ", ".join(unit.ref.id for unit in org.grids())
            raise UnknownUnit(f"no grid {grid_id!r} in the config (grids: {known})")
        return Scope(grid.name, (grid,), total=False)
    if community_id is not None:
        ref = UnitRef(UnitKind.COMMUNITY, community_id)
        communities = org.units(UnitKind.COMMUNITY)
        community = next((unit for unit in communities if unit.ref == ref), None)
        if community is None:
            known = ", ".join(unit.ref.id for unit in communities)
            raise UnknownUnit(f"no community {community_id!r} in the config (communities: {known})")
        grids = tuple(unit for unit in org.children(ref) if unit.ref.kind is UnitKind.GRID)
        return Scope(community.name, grids, total=True)
    return Scope(org.street.name, tuple(org.grids()), total=True)


def unit_name(org: Org, ref: UnitRef | None) -> str:
    """A unit's configured name; its id when the config no longer has it."""
    if ref is None:
        return ""
    try:
        return org.unit(ref).name
    except KeyError:
        return ref.id


def about(request: Request, title: str, days: Window, notes: Sequence[str]) -> list[str]:
    """The 说明 sheet's lines: whose, which days, when taken, then how to read the sheet."""
    first, last = days.days(request.zone)
    taken = request.now.astimezone(request.zone)
    return [
        title.format(scope=request.scope.name),
        headers.ABOUT_DAYS.format(first=_day(first), last=_day(last)),
        headers.ABOUT_TAKEN.format(at=f"{taken:%Y-%m-%d %H:%M}", zone=request.zone.key),
        *notes,
    ]


def _day(day: date) -> str:
    return headers.DAY_FORMAT.format(year=day.year, month=day.month, day=day.day)
