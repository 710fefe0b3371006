"""Several instances opening one empty database at the same moment all start.

On PostgreSQL, two transactions that both find a table missing both run ``CREATE TABLE``; the
second fails on ``pg_type_typname_nsp_index`` once the first commits, so without a lock two of
three starters crashed. The schema upgrade now holds an advisory lock (:mod:`storage.schema`);
on SQLite, ``BEGIN IMMEDIATE`` already makes the starters take turns. Each starter here has its
own engine and connection, as separate processes would.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import inspect

from storage.engine import create_engine, open_store
from storage.tables import METADATA

pytestmark = [pytest.mark.asyncio, pytest.mark.empty_database]  # migrations need nothing there

STARTERS = 4
RACE_TIMEOUT = 60.0
"""Generous: the starters queue behind one another's schema upgrade."""


async def _start(url: str) -> int:
    """Open the store as an instance starting up does, and read a table."""
    async with open_store(url) as store, store.transaction() as tx:
        return len(await tx.pending_outbox(10))


async def test_starters_racing_on_an_empty_database_all_start(database_url: str) -> None:
    """Four open_store calls at once on a fresh database: none fails, every table is there."""
    starters = asyncio.gather(*(_start(database_url) for _ in range(STARTERS)))
    assert await asyncio.wait_for(starters, RACE_TIMEOUT) == [0] * STARTERS
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert set(METADATA.tables) <= tables
