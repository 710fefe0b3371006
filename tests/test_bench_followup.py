"""The follow-up tick benchmark at a tiny size: its load is valid and its tick is correct.

Correctness only, never timing: the figures of bench/followup_tick.py are worth reading only if
the rows it loads are tasks the desk could have written and the tick it times did its job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.followup_tick import Generator, Workload, measure
from bot.config.settings import load_settings
from bot.language import Language
from storage.tables import TaskRow
from storage.task_rows import task

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
SMALL = Workload(tasks=2_000, due=20, residents=200)


def test_generated_rows_are_tasks_with_exactly_the_due_ones_due() -> None:
    """Every row maps to a domain task, numbers are unique, and exactly ``due`` rows are due."""
    rows = list(Generator(SMALL, load_settings(EXAMPLE)).tasks())
    tasks = [task(TaskRow(**row)) for row in rows]
    assert [t.id for t in tasks] == list(range(1, SMALL.tasks + 1))
    assert len({t.number for t in tasks}) == SMALL.tasks
    due = [t for t in tasks if t.next_followup_at is not None and t.next_followup_at <= SMALL.now]
    assert len(due) == SMALL.due
    assert {(t.status.value, t.stage.value) for t in due} == {("open", "claim_due")}
    assert all(t.created_at <= SMALL.now for t in tasks)


@pytest.mark.asyncio
async def test_tick_takes_every_due_step_once(database_url: str, language: Language) -> None:
    """Tick 1 reminds each of the 20 due tasks exactly once; tick 2 finds nothing to do."""
    figures = await measure(database_url, SMALL, load_settings(EXAMPLE), language)
    assert (figures.rows, figures.due_rows) == (SMALL.tasks, SMALL.due)
    assert (figures.steps, figures.reminded, figures.reminder_events) == (20, 20, 20)
    assert (figures.reminded_twice, figures.still_due, figures.second_steps) == (0, 0, 0)
    rows = [task(TaskRow(**row)) for row in Generator(SMALL, load_settings(EXAMPLE)).tasks()]
    groups = {t.holder for t in rows if t.next_followup_at and t.next_followup_at <= SMALL.now}
    assert figures.outbox == 20 + len(groups)  # each card's update; one reminder per group
