"""The figures of bot/stats.py from hand-built tasks and events: pure, no database, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.domain import EventKind, Stage, Task, TaskEvent, TaskStatus, UnitKind, UnitRef
from bot.figures.compute import (
    Figures,
    Window,
    compute,
    last_days,
    percent,
    span,
    table,
    week_before,
)
from nlp.taxonomy import Category

ZONE = ZoneInfo("Asia/Shanghai")
SINCE = datetime(2026, 11, 16, tzinfo=ZONE)
WINDOW = Window(SINCE, SINCE + timedelta(days=7))


@dataclass(frozen=True)
class Spec:
    """A task by minutes from the window's start: created, claim deadline, then its events."""

    created: float = 0
    claim_due: float = 120
    events: tuple[tuple[EventKind, float, str], ...] = ()
    grid: str = "g1"
    windows: tuple[tuple[EventKind, float, float], ...] = ()
    """Events that open a fresh claim window: (kind, at, its claim deadline), in minutes."""


def at(minutes: float) -> datetime:
    return SINCE + timedelta(minutes=minutes)


def history(specs: list[Spec]) -> list[tuple[Task, list[TaskEvent]]]:
    built = []
    for task_id, spec in enumerate(specs, start=1):
        task = Task(
            resident_id="telegram:1001",
            text="3号楼停水",
            photo=None,
            category=Category.WATER_SUPPLY,
            urgent=False,
            confidence=0.9,
            matched=("停水",),
            grid_id=spec.grid,
            place="审计厅小区",
            building="3",
            unit=None,
            holder=UnitRef(UnitKind.GRID, spec.grid),
            created_at=at(spec.created),
            claim_due_at=at(spec.claim_due),
            resolve_due_at=at(spec.created + 3 * 24 * 60),
            stage=Stage.CLAIM_DUE,
            next_followup_at=None,
            id=task_id,
            number=f"20261116-{task_id:04d}",
            level=0,
            status=TaskStatus.OPEN,
            claimer_id=None,
            claimed_at=None,
        )
        created = TaskEvent(
            task_id, EventKind.CREATED, "telegram:1001", at(spec.created), due_at=at(spec.claim_due)
        )
        events = [created]
        events += [
            TaskEvent(task_id, kind, "telegram:2001", at(m), note) for kind, m, note in spec.events
        ]
        events += [
            TaskEvent(task_id, kind, None, at(m), due_at=at(due)) for kind, m, due in spec.windows
        ]
        built.append((task, events))
    return built


def figures(
    specs: list[Spec], grids: tuple[str, ...] = ("g1",), now: float | None = None
) -> Figures:
    moment = None if now is None else at(now)
    return compute(history(specs), list(grids), WINDOW, moment).grids[0]


WEEK = 7 * 24 * 60
"""The window's length in minutes."""


def cl(minutes: float) -> tuple[EventKind, float, str]:
    return (EventKind.CLAIMED, minutes, "")


def rs(minutes: float) -> tuple[EventKind, float, str]:
    return (EventKind.RESOLVED, minutes, "")


def rt(minutes: float, note: str) -> tuple[EventKind, float, str]:
    return (EventKind.RATED, minutes, note)


def back(minutes: float) -> tuple[EventKind, float, str]:
    return (EventKind.RETURNED, minutes, "")


CASES = [
    pytest.param([], Figures("g1"), id="nothing-received"),
    pytest.param(
        [Spec(events=(cl(30),)), Spec(events=(cl(150),))],
        Figures("g1", received=2, due=2, claimed_on_time=1, minutes_to_claim=90),
        id="on-time-and-late",
    ),
    pytest.param(
        [Spec(events=(cl(120),))],
        Figures("g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=120),
        id="claimed-at-the-deadline-is-on-time",
    ),
    pytest.param(
        [Spec(events=(cl(30), back(40), cl(300)))],
        Figures("g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=30),
        id="the-first-claim-counts",
    ),
    pytest.param(
        [Spec(), *(Spec(events=(cl(10), rs(m))) for m in (100, 200, 600))],
        Figures(
            "g1",
            received=4,
            due=4,
            claimed_on_time=3,
            resolved=3,
            minutes_to_claim=10,
            minutes_to_resolve=200,
        ),
        id="resolved-odd-median",
    ),
    pytest.param(
        [
            Spec(events=(rs(60), rt(70, "unsatisfied"), rs(90), rt(95, "satisfied"))),
            Spec(events=(rs(60), rt(61, "basically"))),
            Spec(events=(rs(60), rt(61, "unsatisfied"))),
        ],
        Figures("g1", received=3, due=3, resolved=3, rated=3, satisfied=2, minutes_to_resolve=60),
        id="ratings-latest-verdict-per-task",
    ),
    pytest.param(
        [Spec(events=(rs(60), rt(61, "five stars")))],
        Figures("g1", received=1, due=1, resolved=1, minutes_to_resolve=60),
        id="a-note-that-is-no-rating-is-ignored",
    ),
    pytest.param(
        [Spec(created=-1), Spec(created=0), Spec(created=WEEK - 1), Spec(created=WEEK)],
        Figures("g1", received=2, due=2),
        id="since-included-until-excluded",
    ),
    pytest.param(
        [Spec(created=WEEK - 10, claim_due=WEEK + 60, events=(cl(WEEK + 5), rs(WEEK + 6)))],
        Figures("g1", received=1),
        id="events-after-the-window-do-not-count",
    ),
    pytest.param(
        [Spec(grid="g2", events=(cl(5),)), Spec(events=(cl(5),))],
        Figures("g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=5),
        id="other-grids-are-ignored",
    ),
]


@pytest.mark.parametrize(("specs", "expected"), CASES)
def test_figures_of_one_grid(specs: list[Spec], expected: Figures) -> None:
    """Each figure counts what the events say, within the window, for the grid asked."""
    assert figures(specs) == expected


def esc(minutes: float, claim_due: float) -> tuple[EventKind, float, float]:
    """上报 (or overdue) at ``minutes``: a fresh claim window until ``claim_due``."""
    return (EventKind.ESCALATED, minutes, claim_due)


ON_TIME_CASES = [
    pytest.param(
        [Spec(), Spec(events=(cl(30),))],
        60,
        Figures("g1", received=2, due=1, claimed_on_time=1, minutes_to_claim=30),
        id="inside-its-claim-window-is-not-yet-late",
    ),
    pytest.param(
        [Spec()],
        121,
        Figures("g1", received=1, due=1),
        id="unclaimed-past-the-deadline-is-late",
    ),
    pytest.param(
        [Spec(windows=(esc(10, 130),), events=(cl(125),))],
        None,
        Figures("g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=125),
        id="escalated-in-time-then-claimed-in-the-new-window-is-on-time",
    ),
    pytest.param(
        [Spec(windows=(esc(180, 300),), events=(cl(200),))],
        None,
        Figures("g1", received=1, due=1, minutes_to_claim=200),
        id="escalated-because-overdue-stays-late",
    ),
    pytest.param(
        [Spec(windows=(esc(10, 130),))],
        125,
        Figures("g1", received=1),
        id="escalated-and-still-inside-the-new-window-is-pending",
    ),
    pytest.param(
        [
            Spec(events=((EventKind.CANCELLED, 5, ""),)),
            Spec(events=((EventKind.MERGED, 5, "20261116-0003"),)),
            Spec(events=((EventKind.MERGED_IN, 5, "20261116-0002"), cl(6))),
        ],
        None,
        Figures(
            "g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=6, withdrawn=1, merged=1
        ),
        id="withdrawn-and-merged-are-apart",
    ),
    pytest.param(
        [Spec(events=((EventKind.MERGED, 5, "x"), (EventKind.UNMERGED, 50, "x"), cl(60)))],
        None,
        Figures("g1", received=1, due=1, claimed_on_time=1, minutes_to_claim=60),
        id="released-from-a-merge-counts-again",
    ),
]


@pytest.mark.parametrize(("specs", "now", "expected"), ON_TIME_CASES)
def test_on_time_counts_only_decided_claims(
    specs: list[Spec], now: float | None, expected: Figures
) -> None:
    """按期答复率: late only once a claim deadline in force passed unclaimed; every level's
    fresh window counts; withdrawn and merged tasks are shown apart and in no rate."""
    assert figures(specs, now=now) == expected


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        (Figures("g1"), (None, None, None)),
        (Figures("g1", received=3, due=3, claimed_on_time=2, resolved=3), (2 / 3, 1.0, None)),
        (Figures("g1", received=4, due=4, resolved=1, rated=2, satisfied=0), (0.0, 0.25, 0.0)),
    ],
)  # fmt: skip
def test_rates_are_none_without_a_denominator(
    value: Figures, rate: tuple[float | None, float | None, float | None]
) -> None:
    """按期答复率, 办结率, 满意率: None, not 0% or 100%, when nothing was received or rated."""
    assert (value.on_time_rate, value.resolve_rate, value.satisfaction_rate) == rate


def test_the_total_pools_every_task_not_the_grid_medians() -> None:
    """The total's median is over all tasks of the grids; grids come back in the order asked."""
    specs = [Spec(events=(cl(m),)) for m in (10, 20, 30)]
    specs.append(Spec(grid="g2", claim_due=2000, events=(cl(1000),)))
    stats = compute(history(specs), ["g2", "g1", "g3"], WINDOW)
    assert [f.grid_id for f in stats.grids] == ["g2", "g1", "g3"]
    assert [f.minutes_to_claim for f in stats.grids] == [1000, 20, None]
    assert stats.total == Figures(None, received=4, due=4, claimed_on_time=4, minutes_to_claim=25)


def test_a_task_without_a_created_event_is_not_received() -> None:
    """Only the audit trail counts: a task row alone is no figure."""
    [(task, _)] = history([Spec()])
    assert compute([(task, [])], ["g1"], WINDOW).total.received == 0


def test_windows_follow_local_days() -> None:
    """/stats: today and six days before; weekly: the seven local days before today."""
    nine_am = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert last_days(nine_am, ZONE) == Window(
        datetime(2026, 11, 16, tzinfo=ZONE), datetime(2026, 11, 23, tzinfo=ZONE)
    )
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)
    assert week_before(monday, ZONE) == Window(
        datetime(2026, 11, 16, tzinfo=ZONE), datetime(2026, 11, 23, tzinfo=ZONE)
    )
    assert week_before(monday, ZONE).days(ZONE) == (SINCE.date(), datetime(2026, 11, 22).date())


def test_the_local_day_boundary_decides_the_week() -> None:
    """23:59 on Sunday 22nd (Shanghai) is in the week reported on the 23rd; 00:00 is not."""
    late = datetime(2026, 11, 22, 23, 59, tzinfo=ZONE)
    midnight = datetime(2026, 11, 23, 0, 0, tzinfo=ZONE)
    assert late.astimezone(UTC).date() == midnight.astimezone(UTC).date()  # one UTC day
    reported = week_before(midnight, ZONE)
    assert reported.since <= late < reported.until
    assert not reported.since <= midnight < reported.until
    assert week_before(late, ZONE) != reported


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(None, "—"), (0.0, "0%"), (0.8, "80%"), (2 / 3, "66.7%"), (1.0, "100%"), (0.9995, "100%")],
)
def test_percent(rate: float | None, shown: str) -> None:
    """Rates read as people write them: no trailing .0, one decimal otherwise."""
    assert percent(rate) == shown


@pytest.mark.parametrize(
    ("minutes", "chinese", "plain"),
    [
        (None, "—", "—"),
        (0.4, "不到1分钟", "0m"),
        (25, "25分钟", "25m"),
        (60, "1小时", "1h"),
        (125.4, "2小时5分钟", "2h 5m"),
        (24 * 60, "1天", "1d"),
        (27 * 60 + 10, "1天3小时", "1d 3h"),
    ],
)
def test_durations(minutes: float | None, chinese: str, plain: str) -> None:
    """Medians read in the largest sensible units, in the chat and in the CLI table."""
    assert texts.duration(minutes) == chinese
    assert span(minutes) == plain


def test_figures_block_and_table() -> None:
    """The chat block and the operators' table show the same figures, — for no denominator."""
    specs = [
        Spec(events=(cl(30), rs(90), rt(100, "satisfied"))),
        Spec(),
        Spec(events=((EventKind.CANCELLED, 3, ""),)),
    ]
    stats = compute(history(specs), ["g1", "g2"], WINDOW)
    block = texts.figures_block("第一网格", stats.grids[0])
    assert block.splitlines() == [
        "【第一网格】",
        "收到 2 件（另有撤回 1 件），按时认领 1 件（已到时限 2 件），办结 1 件，评价 1 件",
        "按期答复率 50%｜办结率 50%｜满意率 100%",
        "用时中位数：认领 30分钟，办结 1小时30分钟",
    ]
    assert "按期答复率 —｜办结率 —｜满意率 —" in texts.figures_block(None, stats.grids[1])
    lines = table(stats, {"g1": "第一网格"}, ZONE).splitlines()
    assert lines[0].startswith("tasks received 2026-11-16 … 2026-11-22 (Asia/Shanghai)")
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert rows["第一网格"][1:] == [
        "(g1)", "2", "2", "1", "50%", "50%", "100%", "30m", "1h", "30m", "1", "0"
    ]  # fmt: skip
    assert rows["g2"][1:] == ["(g2)", "0", "0", "0", "—", "—", "—", "—", "—", "0", "0"]
    assert rows["total"][1:] == ["2", "2", "1", "50%", "50%", "100%", "30m", "1h", "30m", "1", "0"]
    assert len({len(line) + sum(ord(c) >= 0x2E80 for c in line) for line in lines[3:]}) == 1
