"""A resident and a typical task for tests that drive the store directly (no desk, no org).

Shared by tests/test_storage.py and tests/test_db_trouble.py; the store itself comes from the
``store`` fixture of tests/databases.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain import NewTask, Resident, Stage, UnitKind, UnitRef
from nlp.taxonomy import Category

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
DAY = "20261122"
GRID = UnitRef(UnitKind.GRID, "xingan-1")
ALICE = Resident(
    user_id="telegram:5000000001", chat_id="telegram:5000000001", name="张阿姨", grid_id="xingan-1"
)


def new_task(text: str = "3号楼下水堵了", **changes: object) -> NewTask:
    """A typical intake result for ALICE in GRID; keyword arguments override fields."""
    task = NewTask(
        resident_id=ALICE.user_id,
        text=text,
        photo=None,
        category=Category.DRAINAGE,
        urgent=False,
        confidence=0.82,
        matched=("下水", "堵"),
        grid_id="xingan-1",
        place="审计厅小区",
        building="3",
        unit="2",
        holder=GRID,
        created_at=NOW,
        claim_due_at=NOW + timedelta(hours=2),
        resolve_due_at=NOW + timedelta(days=3),
        stage=Stage.CLAIM_DUE,
        next_followup_at=NOW + timedelta(hours=2),
    )
    return replace(task, **changes)  # type: ignore[arg-type]
