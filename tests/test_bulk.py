"""Bulk writes (storage/bulk.py) on both engines: one array statement on PostgreSQL,
executemany on SQLite, and the same rows either way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.bulk import insert_rows, update_rows
from storage.engine import create_engine
from storage.tables import UtcDateTime

pytestmark = pytest.mark.asyncio
METADATA = MetaData()
NOTES = Table(
    "bulk_notes",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("text", String, nullable=False),
    Column("status", String, nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("at", UtcDateTime(), nullable=True),
)
T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    opened = create_engine(database_url)
    async with opened.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    yield opened
    await opened.dispose()


async def rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(NOTES).order_by(NOTES.c.id))
        return [tuple(row) for row in result]


async def test_insert_keeps_order_values_and_fills_defaults(engine: AsyncEngine) -> None:
    """Text with quotes, commas and Chinese, NULLs, aware times in another zone: all kept,
    in order, with the columns left out set to their defaults."""
    texts = ["停水了", 'it\'s, "quoted"', "{a,b}", "", "第五条"]
    new = [
        {"text": text, "at": None if n == 3 else T0 + timedelta(minutes=n)}
        for n, text in enumerate(texts)
    ]
    async with engine.begin() as connection:
        await insert_rows(connection, NOTES, new)
        await insert_rows(connection, NOTES, [])  # nothing to write: no statement, no error
    stored = await rows(engine)
    assert [row[1:4] for row in stored] == [(text, "pending", 0) for text in texts]
    assert [row[4] for row in stored] == [
        None if n == 3 else T0 + timedelta(minutes=n) for n in range(5)
    ]


async def test_a_naive_time_is_refused_and_nothing_is_written(engine: AsyncEngine) -> None:
    """A naive time would be local here and UTC there: the whole statement is refused."""
    good, naive = {"text": "有时区", "at": T0}, {"text": "无时区", "at": T0.replace(tzinfo=None)}
    async with engine.begin() as connection:
        with pytest.raises(ValueError, match="naive datetime"):
            await insert_rows(connection, NOTES, [good, naive])
    assert await rows(engine) == []


async def test_update_sets_each_row_by_key_and_touches_no_other(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await insert_rows(connection, NOTES, [{"text": f"第{n}条", "at": T0} for n in range(1, 6)])
    async with engine.begin() as connection:
        changes = [
            {"id": 4, "status": "sent", "at": T0 + timedelta(hours=4)},
            {"id": 2, "status": "failed", "at": None},
            {"id": 99, "status": "sent", "at": T0},  # no such row: nothing happens
        ]
        await update_rows(connection, NOTES, "id", changes)
    stored = {row[0]: (row[2], row[4]) for row in await rows(engine)}
    assert stored == {
        1: ("pending", T0),
        2: ("failed", None),
        3: ("pending", T0),
        4: ("sent", T0 + timedelta(hours=4)),
        5: ("pending", T0),
    }
