"""The follow-up plan as a table: every deadline and follow-up decision, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.settings import Deadline, DeadlineSettings, FollowupSettings
from bot.config.workhours import WorkingHours
from bot.domain import Stage, Task, TaskStatus, UnitKind, UnitRef
from bot.followup.notice_times import QuietHours
from bot.followup.plan import FINISHED, Cycle, Move, Plan, StepKind
from nlp.taxonomy import Category

HOHHOT = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Hohhot
H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
PLAN = Plan(
    DeadlineSettings(by_category={(Category.GAS, True): Deadline(10 * M, 4 * H)}),
    FollowupSettings(),
    HOHHOT,
    QuietHours(),
)


def task(status: TaskStatus, stage: Stage, *, urgent: bool = False, **fields: object) -> Task:
    values: dict[str, object] = {
        "resident_id": 1, "text": "停水了", "photo": None, "category": Category.WATER_SUPPLY,
        "urgent": urgent, "confidence": 0.9, "matched": ("停水",), "grid_id": "g",
        "place": "p", "building": None, "unit": None, "holder": UnitRef(UnitKind.GRID, "g"),
        "created_at": NOW, "claim_due_at": NOW + 2 * H, "resolve_due_at": NOW + 3 * D,
        "stage": stage, "next_followup_at": NOW, "id": 1, "number": "20261123-0001",
        "level": 0, "status": status, "claimer_id": None, "claimed_at": None,
    }  # fmt: skip
    values.update(fields)
    return Task(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("category", "urgent", "claim", "resolve"),
    [
        (Category.WATER_SUPPLY, False, 2 * H, 3 * D),
        (Category.WATER_SUPPLY, True, 15 * M, 4 * H),
        (Category.GAS, True, 10 * M, 4 * H),  # a category's own urgent deadline
    ],
)
def test_a_cycle_is_a_full_claim_window_and_resolve_time(
    category: Category, urgent: bool, claim: timedelta, resolve: timedelta
) -> None:
    """Creation, escalation and reopening all start the same full cycle from their moment."""
    assert PLAN.cycle(category, urgent, NOW) == Cycle(NOW + claim, NOW + resolve)
    assert PLAN.cycle(category, urgent, NOW).move == Move(Stage.CLAIM_DUE, NOW + claim)


def test_a_cycle_counts_working_time_but_never_for_urgent_tasks() -> None:
    """With office hours, Friday 17:00 + 2h is Monday 10:00; an urgent task does not wait."""
    office = WorkingHours(time(8, 30), time(17, 30), holidays=frozenset({date(2026, 11, 30)}))
    plan = Plan(DeadlineSettings(working_hours=office), FollowupSettings(), HOHHOT, QuietHours())
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=HOHHOT)
    cycle = plan.cycle(Category.WATER_SUPPLY, False, friday)
    assert cycle.claim_due_at == datetime(2026, 12, 1, 10, 0, tzinfo=HOHHOT)  # Monday off
    assert plan.cycle(Category.WATER_SUPPLY, True, friday).claim_due_at == friday + 15 * M


@pytest.mark.parametrize(
    ("status", "stage", "urgent", "kind", "then"),
    [
        (TaskStatus.OPEN, Stage.CLAIM_DUE, False, StepKind.REMIND_CLAIM,
         Move(Stage.CLAIM_REMINDED, NOW + H)),
        (TaskStatus.OPEN, Stage.CLAIM_DUE, True, StepKind.REMIND_CLAIM,
         Move(Stage.CLAIM_REMINDED, NOW + 15 * M)),
        (TaskStatus.CLAIMED, Stage.RESOLVE_DUE, False, StepKind.REMIND_RESOLVE,
         Move(Stage.RESOLVE_REMINDED, NOW + H)),
        (TaskStatus.OPEN, Stage.CLAIM_REMINDED, False, StepKind.ESCALATE,
         Move(Stage.CLAIM_REMINDED, None)),
        (TaskStatus.CLAIMED, Stage.RESOLVE_REMINDED, False, StepKind.ESCALATE,
         Move(Stage.RESOLVE_REMINDED, None)),
        (TaskStatus.RESOLVED, Stage.RATING_DUE, False, StepKind.ASK_RATING,
         Move(Stage.RATING_ASKED, NOW + 14 * D)),
        (TaskStatus.RESOLVED, Stage.RATING_ASKED, False, StepKind.CLOSE_UNRATED, FINISHED),
        # schedules that no longer fit the task: stop following it
        (TaskStatus.CLAIMED, Stage.CLAIM_DUE, False, StepKind.STOP, FINISHED),
        (TaskStatus.CANCELLED, Stage.RESOLVE_DUE, False, StepKind.STOP, FINISHED),
        (TaskStatus.MERGED, Stage.CLAIM_REMINDED, False, StepKind.STOP, FINISHED),
        (TaskStatus.CLOSED, Stage.RATING_DUE, False, StepKind.STOP, FINISHED),
    ],
)  # fmt: skip
def test_next_step(
    status: TaskStatus, stage: Stage, urgent: bool, kind: StepKind, then: Move
) -> None:
    """What the tick does for a due task, and when it looks again, by status and stage."""
    step = PLAN.next_step(task(status, stage, urgent=urgent), NOW)
    assert (step.kind, step.then) == (kind, then)


def test_a_rating_question_due_at_night_waits_for_the_morning() -> None:
    """Residents are not asked at 23:00: the same step is due again at 07:00."""
    night = datetime(2026, 11, 23, 23, 0, tzinfo=HOHHOT)
    step = PLAN.next_step(task(TaskStatus.RESOLVED, Stage.RATING_DUE), night)
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=HOHHOT)
    assert (step.kind, step.then) == (StepKind.WAIT, Move(Stage.RATING_DUE, morning))


def test_moves_after_a_workers_action() -> None:
    """Claim waits for the resolve deadline, 退回 for the claim deadline (at once when it has
    passed), 办结 asks for the rating a day later."""
    claimed = task(TaskStatus.CLAIMED, Stage.RESOLVE_DUE)
    assert PLAN.claimed(claimed, NOW) == Move(Stage.RESOLVE_DUE, NOW + 3 * D)
    assert PLAN.claimed(claimed, NOW + 4 * D) == Move(Stage.RESOLVE_DUE, NOW + 4 * D)
    assert PLAN.returned(claimed, NOW) == Move(Stage.CLAIM_DUE, NOW + 2 * H)
    assert PLAN.returned(claimed, NOW + 5 * H) == Move(Stage.CLAIM_DUE, NOW + 5 * H)
    assert PLAN.resolved(NOW) == Move(Stage.RATING_DUE, NOW + D)
