"""The task list's filters, read from a query string into a :class:`TaskQuery`.

Whatever arrives in a URL is untrusted: an unknown status, category or unit, or a date that is
not one, is dropped from the query and named in ``problems`` (the page says which filter was
ignored), never passed on to the database. A unit outside the viewer's scope filters to
nothing rather than widening what they see: the scope is always applied as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.config.org import Org
from bot.domain import TaskStatus, UnitKind, UnitRef
from bot.webdesk.ports import TaskQuery
from bot.webdesk.viewers import Viewer
from nlp.taxonomy import Category

MAX_WORDS = 50
"""Characters of search words kept: a number or a few words, not a paragraph."""


@dataclass(frozen=True)
class Filters:
    """The filters as the viewer set them (to show the form again) and the query they make."""

    values: Mapping[str, str]
    query: TaskQuery
    problems: tuple[str, ...] = field(default=())


def read_filters(
    params: Mapping[str, str], viewer: Viewer, org: Org, now: datetime, zone: ZoneInfo
) -> Filters:
    """The query ``params`` (``status``, ``category``, ``unit``, ``overdue``, ``urgent``,
    ``from``, ``to``, ``q``) ask for, within ``viewer``'s scope."""
    problems: list[str] = []
    values = {key: params.get(key, "").strip() for key in _KEYS}
    values["q"] = values["q"][:MAX_WORDS]
    status = _enum(TaskStatus, values["status"], "status", problems)
    category = _enum(Category, values["category"], "category", problems)
    first = _day(values["from"], "from", problems)
    last = _day(values["to"], "to", problems)
    query = TaskQuery(
        scope=viewer.scope,
        statuses=frozenset({status}) if status else frozenset(),
        category=category,
        grid_ids=_grids(values["unit"], org, problems),
        overdue_at=now if values["overdue"] == "1" else None,
        urgent=values["urgent"] == "1",
        created_from=datetime.combine(first, datetime.min.time(), zone) if first else None,
        created_until=(
            datetime.combine(last + timedelta(days=1), datetime.min.time(), zone) if last else None
        ),
        words=values["q"],
    )
    return Filters(values, query, tuple(problems))


E = TypeVar("E", TaskStatus, Category)
_KEYS = ("status", "category", "unit", "overdue", "urgent", "from", "to", "q")


def _enum(kind: type[E], value: str, key: str, problems: list[str]) -> E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        problems.append(key)
        return None


def _day(value: str, key: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(key)
        return None


def _grids(value: str, org: Org, problems: list[str]) -> frozenset[str] | None:
    """The grids a ``grid:…`` or ``community:…`` filter stands for."""
    if not value:
        return None
    try:
        ref = UnitRef.parse(value)
        org.unit(ref)
    except (ValueError, KeyError):
        problems.append("unit")
        return None
    if ref.kind is UnitKind.GRID:
        return frozenset({ref.id})
    return frozenset(u.ref.id for u in org.children(ref) if u.ref.kind is UnitKind.GRID)
