"""The follow-up plan: every deadline and every follow-up decision, as pure functions.

When must a task be claimed and done, and what happens when it is not (DESIGN.md §6)? The
answers live here and nowhere else; the desk and the follow-up tick only apply them:

- :meth:`Plan.cycle` — a fresh claim window and resolve deadline at a level: when a task is
  created, when it goes up a level (上报, or overdue), and when a resident reopens it. Each
  level gets its own full time: a community member who takes over an escalated task is not
  told it is overdue a minute later. Outside urgent cases the clock starts after quiet hours.
- :meth:`Plan.claimed`, :meth:`Plan.returned`, :meth:`Plan.resolved` — the next follow-up after
  a worker's action;
- :meth:`Plan.next_step` — what the tick does for a task whose follow-up is due, and when it
  looks again::

    open     ──claim deadline──▶ remind the group ──interval──▶ escalate one level ─┐
    claimed  ─resolve deadline─▶ remind the claimer ─interval─▶ escalate (unclaimed) ┘ (repeat)
    resolved ───────1 day──────▶ ask the resident again ──until day 15──▶ close as unrated

Everything takes ``now`` (or the moment a step was due) as an argument and reads no clock, so
it is tested as a table, without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.config.settings import DeadlineSettings, FollowupSettings
from bot.domain import ACTIVE, Stage, Task, TaskKind, TaskStatus
from bot.followup.notice_times import QuietHours
from nlp.taxonomy import Category


@dataclass(frozen=True)
class Move:
    """Where a task's follow-up goes next: the stage it waits in, and when that is due
    (None: the engine has nothing more to do with it)."""

    stage: Stage
    at: datetime | None


QUESTION_ANSWER = timedelta(days=1)
"""A question (咨询) has no repair to wait for: it is answered within a day (in working time when
``[deadlines] working_hours`` is set), at every level it reaches."""

FINISHED = Move(Stage.DONE, None)
"""Closed, withdrawn or merged: nothing more to follow up."""


@dataclass(frozen=True)
class Cycle:
    """The deadlines of one claim window at one level, and the follow-up they start."""

    claim_due_at: datetime
    resolve_due_at: datetime

    @property
    def move(self) -> Move:
        return Move(Stage.CLAIM_DUE, self.claim_due_at)


class StepKind(StrEnum):
    """What the tick does when a task's follow-up is due."""

    REMIND_CLAIM = "remind_claim"  # the holder's group: nobody has claimed it in time
    REMIND_RESOLVE = "remind_resolve"  # the claimer, privately and in the group
    ESCALATE = "escalate"  # one level up, with a fresh cycle there (Plan.cycle)
    ASK_RATING = "ask_rating"  # the resident, once more
    WAIT = "wait"  # nothing now: the step is due again later (quiet hours)
    CLOSE_UNRATED = "close_unrated"  # 回访 window over without a rating
    STOP = "stop"  # the schedule no longer fits the task: stop following it


@dataclass(frozen=True)
class Step:
    """A due step and the follow-up after it. For :attr:`StepKind.ESCALATE` ``then`` applies
    only at the top of the chain, where there is nobody left to escalate to."""

    kind: StepKind
    then: Move


class Plan:
    """Deadlines and follow-up moves for one configuration."""

    def __init__(
        self,
        deadlines: DeadlineSettings,
        followup: FollowupSettings,
        timezone: ZoneInfo,
        quiet_hours: QuietHours,
    ) -> None:
        self.deadlines = deadlines
        self.followup = followup
        self.timezone = timezone
        self.quiet_hours = quiet_hours

    def cycle(
        self, category: Category, urgent: bool, start: datetime, kind: TaskKind = TaskKind.REPAIR
    ) -> Cycle:
        """A full claim window and resolve time from ``start``, in working time unless the task
        is urgent (``[deadlines]``). A task that is not urgent, filed or moved in quiet hours,
        starts its clock when they end: nobody is expected to take up a blocked drain at 1 a.m.,
        and the resident is told "明天 X点前有人联系您" rather than a time in the night."""
        deadline = self.deadlines.of(category, urgent)
        if not urgent:
            start = self.quiet_hours.release(start, self.timezone)
        resolve = QUESTION_ANSWER if kind is TaskKind.QUESTION and not urgent else deadline.resolve
        return Cycle(
            self.deadlines.due(start, deadline.claim, urgent, self.timezone),
            self.deadlines.due(start, resolve, urgent, self.timezone),
        )

    def claimed(self, task: Task, now: datetime) -> Move:
        """After a claim (or a transfer): the resolve deadline of the current cycle."""
        return Move(Stage.RESOLVE_DUE, max(task.resolve_due_at, now))

    def returned(self, task: Task, now: datetime) -> Move:
        """After 退回: the claim deadline of the current cycle, at once if it has passed."""
        return Move(Stage.CLAIM_DUE, max(task.claim_due_at, now))

    def resolved(self, now: datetime) -> Move:
        """After 办结: ask the resident again if no rating has come by then."""
        return Move(Stage.RATING_DUE, now + self.followup.ask_rating_again)

    def next_step(self, task: Task, at: datetime) -> Step:  # noqa: PLR0911 - a decision table
        """The step ``task`` takes when its follow-up falls due at ``at``.

        ``at`` is the moment it was due, not the moment the tick runs: after downtime every
        missed step is replayed once, in order, each timed as it should have been.
        """
        wait = self.followup.escalation_wait(task.urgent)
        status, stage = task.status, task.stage
        if stage is Stage.CLAIM_DUE and status is TaskStatus.OPEN:
            return Step(StepKind.REMIND_CLAIM, Move(Stage.CLAIM_REMINDED, at + wait))
        if stage is Stage.RESOLVE_DUE and status is TaskStatus.CLAIMED:
            return Step(StepKind.REMIND_RESOLVE, Move(Stage.RESOLVE_REMINDED, at + wait))
        if stage in {Stage.CLAIM_REMINDED, Stage.RESOLVE_REMINDED} and status in ACTIVE:
            return Step(StepKind.ESCALATE, Move(stage, None))
        if stage is Stage.RATING_DUE and status is TaskStatus.RESOLVED:
            morning = self.quiet_hours.release(at, self.timezone)
            if morning > at:  # residents are not asked at night: the same step, in the morning
                return Step(StepKind.WAIT, Move(Stage.RATING_DUE, morning))
            followup = self.followup
            close_at = at - followup.ask_rating_again + followup.close_unrated_after
            return Step(StepKind.ASK_RATING, Move(Stage.RATING_ASKED, close_at))
        if stage is Stage.RATING_ASKED and status is TaskStatus.RESOLVED:
            return Step(StepKind.CLOSE_UNRATED, FINISHED)
        return Step(StepKind.STOP, FINISHED)
