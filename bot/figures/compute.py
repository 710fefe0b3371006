"""The figures of 接诉即办, computed from the audit trail alone: pure, no I/O (DESIGN.md §3, §6).

For a window ``[since, until)`` and a set of grids, per grid and in total:

- received: tasks whose ``created`` event falls in the window (counted in the grid the problem
  is in, ``Task.grid_id``, wherever the task went later);
- claimed on time: tasks whose first ``claimed`` event is at or before ``claim_due_at``;
- 按期答复率 = claimed on time / received; 办结率 = tasks with a ``resolved`` event / received;
- 满意率 = (满意 + 基本满意) / rated tasks, each rated task counted once with its latest verdict
  (the ``rated`` event's note is the :class:`~bot.domain.Rating` value);
- the median minutes from creation to the first claim and to the first 办结.

Only events before ``until`` count, so the figures of a closed window never change: the weekly
digest, ``/stats`` and ``griddesk stats`` give the same numbers for the same days, whenever they
are asked. A rate whose denominator is zero is None, never a made-up 0% or 100%.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import EventKind, Rating, Task, TaskEvent

SATISFIED = frozenset({Rating.SATISFIED, Rating.BASICALLY})
"""The verdicts that count towards 满意率."""


@dataclass(frozen=True)
class Window:
    """A span of time, ``since`` included and ``until`` excluded (aware datetimes)."""

    since: datetime
    until: datetime

    def days(self, timezone: ZoneInfo) -> tuple[date, date]:
        """The first and the last local day the window touches."""
        last = (self.until - timedelta(microseconds=1)).astimezone(timezone).date()
        return self.since.astimezone(timezone).date(), last


def local_midnight(day: date, timezone: ZoneInfo) -> datetime:
    """The moment local ``day`` begins (aware, in ``timezone``)."""
    return datetime.combine(day, time(0), tzinfo=timezone)


def days_window(first: date, end: date, timezone: ZoneInfo) -> Window:
    """Local days ``first`` up to, not including, ``end``."""
    return Window(local_midnight(first, timezone), local_midnight(end, timezone))


def last_days(now: datetime, timezone: ZoneInfo, days: int = 7) -> Window:
    """Today and the ``days - 1`` local days before it (what ``/stats`` shows): the window
    ends with today, so everything up to ``now``, ``now`` included, counts."""
    today = now.astimezone(timezone).date()
    return days_window(today - timedelta(days=days - 1), today + timedelta(days=1), timezone)


def week_before(now: datetime, timezone: ZoneInfo) -> Window:
    """The seven whole local days before the day of ``now`` (what the weekly digest reports)."""
    today = now.astimezone(timezone).date()
    return days_window(today - timedelta(days=7), today, timezone)


@dataclass(frozen=True)
class Figures:
    """One grid's figures over a window; ``grid_id`` None for the total of several grids."""

    grid_id: str | None
    received: int = 0
    claimed_on_time: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    """Rated 满意 or 基本满意."""
    minutes_to_claim: float | None = None
    """Median minutes from creation to the first claim, over the tasks claimed."""
    minutes_to_resolve: float | None = None
    """Median minutes from creation to the first 办结, over the tasks resolved."""

    @property
    def on_time_rate(self) -> float | None:
        """按期答复率."""
        return _rate(self.claimed_on_time, self.received)

    @property
    def resolve_rate(self) -> float | None:
        """办结率."""
        return _rate(self.resolved, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率."""
        return _rate(self.satisfied, self.rated)


@dataclass(frozen=True)
class Stats:
    """The figures of each grid asked for (in the order asked), and their total."""

    window: Window
    grids: tuple[Figures, ...]
    total: Figures


@dataclass(frozen=True)
class _Outcome:
    """What one received task did within the window."""

    grid_id: str
    on_time: bool
    minutes_to_claim: float | None
    minutes_to_resolve: float | None
    rating: Rating | None


def compute(
    history: Iterable[tuple[Task, Sequence[TaskEvent]]], grid_ids: Sequence[str], window: Window
) -> Stats:
    """The figures of ``grid_ids`` from tasks and their events; other grids' tasks are ignored."""
    wanted = set(grid_ids)
    outcomes: dict[str, list[_Outcome]] = {grid_id: [] for grid_id in grid_ids}
    for task, events in history:
        if task.grid_id in wanted:
            outcome = _outcome(task, events, window)
            if outcome is not None:
                outcomes[outcome.grid_id].append(outcome)
    grids = tuple(_figures(grid_id, outcomes[grid_id]) for grid_id in grid_ids)
    everything = [outcome for grid_id in outcomes for outcome in outcomes[grid_id]]
    return Stats(window, grids, _figures(None, everything))


def _outcome(task: Task, events: Sequence[TaskEvent], window: Window) -> _Outcome | None:
    """None when the task was not received in the window (or has no ``created`` event)."""
    ordered = sorted((e for e in events if e.at < window.until), key=lambda e: e.at)
    created = _first(ordered, EventKind.CREATED)
    if created is None or not window.since <= created.at < window.until or task.grid_id is None:
        return None
    claimed = _first(ordered, EventKind.CLAIMED)
    resolved = _first(ordered, EventKind.RESOLVED)
    ratings = [_rating(e.note) for e in ordered if e.kind is EventKind.RATED]
    verdicts = [r for r in ratings if r is not None]
    return _Outcome(
        grid_id=task.grid_id,
        on_time=claimed is not None and claimed.at <= task.claim_due_at,
        minutes_to_claim=None if claimed is None else _minutes(created.at, claimed.at),
        minutes_to_resolve=None if resolved is None else _minutes(created.at, resolved.at),
        rating=verdicts[-1] if verdicts else None,
    )


def _figures(grid_id: str | None, outcomes: Sequence[_Outcome]) -> Figures:
    to_claim = [o.minutes_to_claim for o in outcomes if o.minutes_to_claim is not None]
    to_resolve = [o.minutes_to_resolve for o in outcomes if o.minutes_to_resolve is not None]
    rated = [o.rating for o in outcomes if o.rating is not None]
    return Figures(
        grid_id=grid_id,
        received=len(outcomes),
        claimed_on_time=sum(o.on_time for o in outcomes),
        resolved=len(to_resolve),
        rated=len(rated),
        satisfied=sum(r in SATISFIED for r in rated),
        minutes_to_claim=statistics.median(to_claim) if to_claim else None,
        minutes_to_resolve=statistics.median(to_resolve) if to_resolve else None,
    )


def _first(events: Sequence[TaskEvent], kind: EventKind) -> TaskEvent | None:
    return next((e for e in events if e.kind is kind), None)


def _rating(note: str) -> Rating | None:
    try:
        return Rating(note)
    except ValueError:
        return None


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


# --- the plain table `griddesk stats` prints ------------------------------------------------


def table(stats: Stats, names: Mapping[str, str], timezone: ZoneInfo) -> str:
    """Per-grid figures and the total as an aligned plain-text table, for operators."""
    first, last = stats.window.days(timezone)
    header = ("grid", "received", "on time", "on-time %", "resolved %", "satisfied %",
              "claim median", "resolve median")  # fmt: skip
    rows = [header]
    for figures in (*stats.grids, stats.total):
        grid = figures.grid_id
        label = "total" if grid is None else f"{names.get(grid, grid)} ({grid})"
        rows.append(
            (
                label,
                str(figures.received),
                str(figures.claimed_on_time),
                percent(figures.on_time_rate),
                percent(figures.resolve_rate),
                percent(figures.satisfaction_rate),
                span(figures.minutes_to_claim),
                span(figures.minutes_to_resolve),
            )
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"tasks received {first} … {last} ({timezone.key}); events up to "
        f"{stats.window.until.astimezone(timezone):%Y-%m-%d %H:%M}",
        "on-time % = 按期答复率, resolved % = 办结率, satisfied % = 满意率 (of rated tasks)",
        "",
    ]
    for row in rows:
        cells = [_pad(row[0], widths[0], left=True)]
        cells += [_pad(cell, widths[i]) for i, cell in enumerate(row) if i > 0]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def percent(rate: float | None) -> str:
    """``80%``, ``66.7%``; ``—`` when there is nothing to divide by."""
    if rate is None:
        return "—"
    text = f"{rate * 100:.1f}"
    return f"{text.removesuffix('.0')}%"


def span(minutes: float | None) -> str:
    """``25m``, ``2h 5m``, ``1d 3h``; ``—`` when nothing was measured."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    days, rest = divmod(whole, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return len(text) + sum(1 for ch in text if ord(ch) >= 0x2E80)


def _pad(text: str, width: int, *, left: bool = False) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text
