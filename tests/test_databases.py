"""The tests' databases (tests/databases.py): a PostgreSQL one kept ready for the next test
holds nothing of the last one's, and numbers its rows from 1 again, as a new database would; a
SQLite one is a copy of a file at this build's tables with no rows, or no file at all when the
test asks for an empty database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.channels import telegram
from bot.domain import Outgoing
from storage.engine import migrate, open_store
from storage.tables import METADATA
from tests.databases import PG_SERVER, _admin_connection, _cleared, _create, _drop
from tests.store_support import ALICE, DAY, new_task

pytestmark = pytest.mark.asyncio


async def _rows(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        return {
            table: int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))
            for table in METADATA.tables
        }
    finally:
        await connection.close()


async def test_a_database_kept_ready_is_empty_and_counts_from_one_again() -> None:
    """A test's rows, a table of more than a thousand among them, are gone; the next task
    and the next outbox row are number 1, and the revision is kept."""
    admin = await _admin_connection()
    try:
        name = await _create(admin)
    finally:
        await admin.close()
    url = f"{PG_SERVER}/{name}"
    try:
        async with open_store(url) as store, store.transaction() as tx:
            await tx.save_resident(ALICE)
            await tx.add_task(new_task(), DAY)
            await tx.enqueue_many([Outgoing(telegram(1001), f"第{n}条") for n in range(1500)])
        assert (await _rows(url))["outbox"] == 1500

        assert await _cleared(name)

        assert set((await _rows(url)).values()) == {0}
        assert await migrate(url) == []  # at this build's revision still
        async with open_store(url) as store, store.transaction() as tx:
            await tx.save_resident(ALICE)
            task = await tx.add_task(new_task(), DAY)
            await tx.enqueue(Outgoing(telegram(1001), "又一条"))
        assert task.id == 1
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT min(id) FROM outbox") == 1
        finally:
            await connection.close()
    finally:
        await _drop(name)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_sqlite_database_is_ready_and_empty(database_url: str) -> None:
    """A test's SQLite file is at this build's revision already, every table empty, and its
    first task and outbox row are number 1."""
    assert await migrate(database_url) == []
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        for table in METADATA.tables:
            assert connection.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,)
    async with open_store(database_url) as store, store.transaction() as tx:
        await tx.save_resident(ALICE)
        task = await tx.add_task(new_task(), DAY)
        await tx.enqueue(Outgoing(telegram(1001), "第一条"))
        [outgoing] = await tx.pending_outbox(10)
    assert task.id == 1
    assert outgoing.id == 1


@pytest.mark.empty_database
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_empty_sqlite_database_is_no_file_yet(database_url: str) -> None:
    """Marked ``empty_database``: the SQLite file does not exist until the test opens it, and
    opening it creates the tables."""
    assert not Path(database_url.removeprefix("sqlite:///")).exists()
    assert await migrate(database_url) != []
