"""The intake benchmark counts what it claims to count: every message once, and only when done.

Correctness only, never timing: bench/intake.py's figures mean something only if a griddesk
message is counted once its task, receipt and card are all committed, and every message fed is
counted exactly once, for the anchor as for griddesk, on both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bench.intake import AnchorRows, Bench, GriddeskTasks, Phase, complaints
from bot.channels import telegram
from bot.config.settings import Settings
from bot.language import Language


class _Tables:
    """An honest in-memory stand-in for the bench's database reader: rows appear when committed."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {"tasks": [], "outbox": [], "messages": []}

    async def rows(self, query: str) -> Sequence[Sequence[Any]]:
        table = query.partition(" FROM ")[2].split(maxsplit=1)[0]
        floor = int(query.rsplit(">", 1)[1])
        return [row for row in self.tables[table] if row[0] > floor]


@pytest.mark.asyncio
async def test_a_griddesk_message_counts_once_its_task_receipt_and_card_are_in() -> None:
    """Whatever order the three rows are seen in, the message is reported once, at the last."""
    db, observer = _Tables(), GriddeskTasks()
    db.tables["outbox"].append((1, telegram(7), None))  # the receipt to resident 7
    assert list(await observer.poll(db)) == []
    db.tables["outbox"].append((2, telegram(-1001000000011), 5))  # the card of task 5, not yet seen
    assert list(await observer.poll(db)) == []
    db.tables["tasks"].append((5, telegram(7)))
    assert list(await observer.poll(db)) == [7]
    assert list(await observer.poll(db)) == []


@pytest.mark.asyncio
async def test_rows_committed_out_of_id_order_are_still_seen() -> None:
    """A row whose id was drawn earlier but committed later (PostgreSQL) is not skipped."""
    db, observer = _Tables(), AnchorRows()
    db.tables["messages"] += [(1, 101), (3, 103)]
    assert sorted(await observer.poll(db)) == [101, 103]
    db.tables["messages"].append((2, 102))
    assert list(await observer.poll(db)) == [102]


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("system", ["anchor", "griddesk"])
@pytest.mark.parametrize(
    "phase", [Phase("burst", 25, None), Phase("paced", 12, 30.0)], ids=lambda p: p.name
)
async def test_every_message_fed_is_counted_once(
    system: str,
    phase: Phase,
    database_url: str,
    settings: Settings,
    language: Language,
    cache_dir: Path,
    tmp_path: Path,
) -> None:
    """A small burst and a short paced run: all of them committed, each by its own resident."""
    org = settings.require_org()
    bench = Bench(tmp_path, org, complaints(org, language), cache_home=cache_dir)
    run = await bench.measure(system, database_url, phase)
    assert run.complete, f"{len(run.committed)} of {phase.count} committed"
    assert run.committed.keys() == run.queued.keys()
    assert all(run.committed[r] >= run.queued[r] for r in run.committed)
    assert run.errors == ()
