"""The figures of 接诉即办, computed from the audit trail alone: pure, no I/O (DESIGN.md §3, §6).

For a window ``[since, until)`` and a set of grids, per grid and in total (these definitions
are the README's, word for word in meaning):

- received (收到): tasks whose ``created`` event falls in the window, counted in the grid the
  problem is in (``Task.grid_id``) wherever the task went later — except those the resident
  withdrew (撤回) and those merged into another task (合并), which are counted apart and in no
  rate: a withdrawn report was not the workers' to answer, a merged one is answered by its
  survivor;
- due (到期): received tasks whose answer is decided — claimed, or still unclaimed when a
  claim deadline passed. A task still inside its claim window is not yet counted either way;
- claimed on time (按时认领): claimed before the claim deadline in force, with no earlier
  deadline missed. Each level a task reaches (上报, or a reopening) gets a fresh claim window,
  recorded on the event that starts it (:attr:`~bot.domain.TaskEvent.due_at`); a deadline that
  passed while the task waited unclaimed makes it late, whoever claims it later;
- 按期答复率 = claimed on time / due; 办结率 = tasks with a ``resolved`` event / received;
- 满意率 = (满意 + 基本满意) / rated tasks, each rated task counted once with its latest verdict
  (the ``rated`` event's note is the :class:`~bot.domain.Rating` value);
- the median minutes from creation to the first claim and to the first 办结.

Only events before ``until`` (and before ``now``, for a window still running) count, so the
figures of a closed window never change: the weekly digest, ``/stats`` and ``griddesk stats``
give the same numbers for the same days, whenever they are asked. A rate whose denominator is
zero is None, never a made-up 0% or 100%.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
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
    due: int = 0
    """Received tasks whose claim is decided: claimed, or a claim deadline passed unclaimed."""
    claimed_on_time: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    """Rated 满意 or 基本满意."""
    minutes_to_claim: float | None = None
    """Median minutes from creation to the first claim, over the tasks claimed."""
    minutes_to_resolve: float | None = None
    """Median minutes from creation to the first 办结, over the tasks resolved."""
    withdrawn: int = 0
    """Created in the window and withdrawn by the resident: apart from ``received``."""
    merged: int = 0
    """Created in the window and merged into another task: apart from ``received``."""

    @property
    def on_time_rate(self) -> float | None:
        """按期答复率."""
        return _rate(self.claimed_on_time, self.due)

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


class _Answer(Enum):
    """How a received task's claim stands at the end of the window."""

    ON_TIME = "on_time"
    LATE = "late"
    PENDING = "pending"  # unclaimed, and its claim deadline has not passed yet


class _Apart(Enum):
    """Why a task created in the window is not counted as received."""

    WITHDRAWN = "withdrawn"
    MERGED = "merged"


@dataclass(frozen=True)
class _Outcome:
    """What one task created in the window did by its end."""

    grid_id: str
    apart: _Apart | None
    answer: _Answer
    minutes_to_claim: float | None
    minutes_to_resolve: float | None
    rating: Rating | None


def compute(
    history: Iterable[tuple[Task, Sequence[TaskEvent]]],
    grid_ids: Sequence[str],
    window: Window,
    now: datetime | None = None,
) -> Stats:
    """The figures of ``grid_ids`` from tasks and their events; other grids' tasks are ignored.

    ``now``: for a window still running, the moment the figures are taken (a claim deadline
    that has not come yet decides nothing)."""
    wanted = set(grid_ids)
    outcomes: dict[str, list[_Outcome]] = {grid_id: [] for grid_id in grid_ids}
    for task, events in history:
        if task.grid_id in wanted:
            outcome = _outcome(task, events, window, now)
            if outcome is not None:
                outcomes[outcome.grid_id].append(outcome)
    grids = tuple(_figures(grid_id, outcomes[grid_id]) for grid_id in grid_ids)
    everything = [outcome for grid_id in outcomes for outcome in outcomes[grid_id]]
    return Stats(window, grids, _figures(None, everything))


def _outcome(
    task: Task, events: Sequence[TaskEvent], window: Window, now: datetime | None
) -> _Outcome | None:
    """None when the task was not created in the window (or has no ``created`` event)."""
    seen = [e for e in events if e.at < window.until and (now is None or e.at <= now)]
    ordered = sorted(seen, key=lambda e: e.at)
    cutoff = window.until if now is None or now >= window.until else now
    created = _first(ordered, EventKind.CREATED)
    if created is None or not window.since <= created.at < window.until or task.grid_id is None:
        return None
    claimed = _first(ordered, EventKind.CLAIMED)
    resolved = _first(ordered, EventKind.RESOLVED)
    ratings = [_rating(e.note) for e in ordered if e.kind is EventKind.RATED]
    verdicts = [r for r in ratings if r is not None]
    return _Outcome(
        grid_id=task.grid_id,
        apart=_apart(ordered),
        answer=_answer(task, ordered, cutoff),
        minutes_to_claim=None if claimed is None else _minutes(created.at, claimed.at),
        minutes_to_resolve=None if resolved is None else _minutes(created.at, resolved.at),
        rating=verdicts[-1] if verdicts else None,
    )


def _apart(ordered: Sequence[TaskEvent]) -> _Apart | None:
    """Withdrawn or merged away by the window's end (a task released again counts again)."""
    state: _Apart | None = None
    for event in ordered:
        if event.kind is EventKind.CANCELLED:
            state = _Apart.WITHDRAWN
        elif event.kind is EventKind.MERGED:
            state = _Apart.MERGED
        elif event.kind is EventKind.UNMERGED:
            state = None
    return state


def _answer(task: Task, ordered: Sequence[TaskEvent], cutoff: datetime) -> _Answer:
    """Whether the task was claimed in time, late, or cannot be said yet (see the module)."""
    created = ordered[0]
    deadline = created.due_at or task.claim_due_at  # events before due_at: the task's own
    late = False
    for event in ordered[1:]:
        if event.kind is EventKind.CLAIMED:
            return _Answer.LATE if late or event.at > deadline else _Answer.ON_TIME
        if event.due_at is not None:  # a fresh claim window at a new level
            late = late or event.at > deadline
            deadline = event.due_at
    return _Answer.LATE if late or deadline < cutoff else _Answer.PENDING


def _figures(grid_id: str | None, everything: Sequence[_Outcome]) -> Figures:
    outcomes = [o for o in everything if o.apart is None]
    to_claim = [o.minutes_to_claim for o in outcomes if o.minutes_to_claim is not None]
    to_resolve = [o.minutes_to_resolve for o in outcomes if o.minutes_to_resolve is not None]
    rated = [o.rating for o in outcomes if o.rating is not None]
    return Figures(
        grid_id=grid_id,
        received=len(outcomes),
        due=sum(o.answer is not _Answer.PENDING for o in outcomes),
        claimed_on_time=sum(o.answer is _Answer.ON_TIME for o in outcomes),
        resolved=len(to_resolve),
        rated=len(rated),
        satisfied=sum(r in SATISFIED for r in rated),
        minutes_to_claim=statistics.median(to_claim) if to_claim else None,
        minutes_to_resolve=statistics.median(to_resolve) if to_resolve else None,
        withdrawn=sum(o.apart is _Apart.WITHDRAWN for o in everything),
        merged=sum(o.apart is _Apart.MERGED for o in everything),
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
    header = ("grid", "received", "due", "on time", "on-time %", "resolved %", "satisfied %",
              "claim median", "resolve median", "withdrawn", "merged")  # fmt: skip
    rows = [header]
    for figures in (*stats.grids, stats.total):
        grid = figures.grid_id
        label = "total" if grid is None else f"{names.get(grid, grid)} ({grid})"
        rows.append(
            (
                label,
                str(figures.received),
                str(figures.due),
                str(figures.claimed_on_time),
                percent(figures.on_time_rate),
                percent(figures.resolve_rate),
                percent(figures.satisfaction_rate),
                span(figures.minutes_to_claim),
                span(figures.minutes_to_resolve),
                str(figures.withdrawn),
                str(figures.merged),
            )
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"tasks received {first} … {last} ({timezone.key}); events up to "
        f"{stats.window.until.astimezone(timezone):%Y-%m-%d %H:%M}",
        "on-time % = 按期答复率 (on time / due: claim deadline reached), resolved % = 办结率, "
        "satisfied % = 满意率 (of rated tasks); withdrawn and merged tasks are not received",
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
