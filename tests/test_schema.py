"""A database written by an earlier build is brought up to date when the store opens.

Simulated on both engines by taking a column and an index away from a current database (as it
looked before they were added) with a message already queued: opening adds them back, the old
row reads with the column's default, and a second look finds nothing to do.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.domain import Outgoing, TaskKind
from storage.engine import create_engine, open_store
from storage.schema import upgrade
from tests.store_support import ALICE, new_task

pytestmark = pytest.mark.asyncio


async def test_an_older_database_gains_the_new_column_and_index_and_keeps_its_rows(
    database_url: str,
) -> None:
    """outbox.live and an index go missing; open_store restores both, nothing is lost."""
    async with open_store(database_url) as store, store.transaction() as tx:
        await tx.enqueue(Outgoing(1001, "旧版本写下的消息"))
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_outbox_status_id"))
            await connection.execute(text("ALTER TABLE outbox DROP COLUMN live"))
    finally:
        await engine.dispose()

    async with open_store(database_url) as store, store.transaction() as tx:
        [item] = await tx.pending_outbox(10)
    assert (item.message.text, item.message.live) == ("旧版本写下的消息", False)

    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            assert await connection.run_sync(upgrade) == []
    finally:
        await engine.dispose()


async def test_tasks_of_an_older_release_read_as_repairs(database_url: str) -> None:
    """tasks.kind is new: an older database gains it, and its tasks are repairs."""
    async with open_store(database_url) as store, store.transaction() as tx:
        await tx.save_resident(ALICE)
        await tx.add_task(new_task(), "20261122")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE tasks DROP COLUMN kind"))
    finally:
        await engine.dispose()
    async with open_store(database_url) as store, store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert task.kind is TaskKind.REPAIR


async def test_upgrade_reports_what_it_added(database_url: str) -> None:
    """The log line and the return value name each column and index added."""
    async with open_store(database_url):
        pass
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_outbox_status_id"))
            await connection.execute(text("ALTER TABLE outbox DROP COLUMN live"))
        async with engine.begin() as connection:
            assert await connection.run_sync(upgrade) == ["outbox.live", "ix_outbox_status_id"]
    finally:
        await engine.dispose()
