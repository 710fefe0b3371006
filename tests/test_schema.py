"""Databases written by earlier releases are migrated when the store opens, every row kept.

``tests/data/release_0_1.sqlite`` is a real database of release 0.1 (commit b31ee88, the last
before migrations): that release's bot ran a morning against the Telegram stand-in — a task
reported, claimed, resolved and rated; a resident asked where; a note awaited; an unclaimed
task escalated; a broadcast; a group that became a supergroup — and its file was kept. On
SQLite the test opens a copy of that file; on PostgreSQL it writes the same rows into 0.1's
tables (:mod:`storage.migrations.baseline`) and opens that. Either way, what comes out must be
the same data with every Telegram id now a ``telegram:`` address, readable through the store.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Connection, DateTime, inspect, text
from sqlalchemy.engine import make_url

from bot.domain import TaskStatus
from bot.ports import CHANNEL_UPDATE_IDS
from storage.engine import create_engine, migrate, open_store
from storage.migrations.baseline import BASELINE
from storage.schema import BrokenReferences, current_revision, revisions
from storage.tables import METADATA
from tests.conftest import DATA

pytestmark = [pytest.mark.asyncio, pytest.mark.empty_database]  # migrations need nothing there

RELEASE_0_1 = DATA / "release_0_1.sqlite"
ALL = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009"]


def _release_rows() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every table's rows in the 0.1 file, parents before children, typed as 0.1 wrote them."""
    source = sqlite3.connect(f"file:{RELEASE_0_1}?mode=ro", uri=True)
    source.row_factory = sqlite3.Row
    try:
        for table in BASELINE.sorted_tables:
            rows = [dict(row) for row in source.execute(f"SELECT * FROM {table.name}")]
            for row in rows:
                for column in table.columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    if isinstance(column.type, Boolean):
                        row[column.name] = bool(value)
                    elif isinstance(column.type, DateTime):
                        row[column.name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
            yield table.name, rows
    finally:
        source.close()


async def _database_of_release_0_1(url: str) -> None:
    """Put 0.1's database at ``url``: the file itself on SQLite, its rows on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copy(RELEASE_0_1, str(parsed.database))
        return
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(BASELINE.create_all)
            for name, rows in _release_rows():
                if rows:
                    await connection.execute(BASELINE.tables[name].insert(), rows)
    finally:
        await engine.dispose()


async def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), METADATA))


async def _schema_differences(url: str) -> list[Any]:
    """What Alembic finds different between the database and this build's tables."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


def _counts() -> dict[str, int]:
    return {name: len(rows) for name, rows in _release_rows()}


async def test_a_database_of_release_0_1_keeps_every_row_with_channel_addresses(
    database_url: str,
) -> None:
    """Every revision applies; no row is lost; every id reads as a ``telegram:`` address;
    the inbox's updates are Telegram's, and the other channels' messages can join them."""
    await _database_of_release_0_1(database_url)
    before = _counts()
    assert before["tasks"] == 3
    assert before["outbox"] > 30

    assert await migrate(database_url) == ALL
    for table, count in before.items():
        assert await _query(database_url, f"SELECT count(*) FROM {table}") == [(count,)], table
    assert await _schema_differences(database_url) == []

    residents = await _query(database_url, "SELECT user_id, chat_id FROM residents ORDER BY 1")
    assert residents == [(f"telegram:{n}", f"telegram:{n}") for n in (1001, 1002, 1003, 1004)]
    mentions = await _query(database_url, "SELECT mentions FROM outbox WHERE mentions <> '[]'")
    assert '[["telegram:2001", "张三"], ["telegram:2002", "李四"]]' in {m for (m,) in mentions}
    lanes = {lane for (lane,) in await _query(database_url, "SELECT lane FROM inbox")}
    assert "telegram:-1001000000011" in lanes
    assert all(lane.startswith("telegram:") for lane in lanes)
    keys = await _query(database_url, "SELECT DISTINCT channel, message_key FROM inbox")
    assert keys == [("telegram", None)]  # 0.1 stored Telegram's updates alone
    assert await _query(database_url, "SELECT created_by FROM broadcasts") == [("telegram:9001",)]

    async with open_store(database_url) as store, store.transaction() as tx:
        done = await tx.task_by_number("20261122-0001")
        noted = await tx.task_by_number("20261122-0002")
        assert done is not None
        assert noted is not None
        assert (done.resident_id, done.claimer_id, done.status) == (
            "telegram:1001", "telegram:2001", TaskStatus.CLOSED,
        )  # fmt: skip
        assert await tx.awaited_note("telegram:2001") == noted.id
        assert await tx.chat_moves() == {"telegram:-1001000000012": "telegram:-1009876543211"}
        assert (await tx.draft("telegram:1002")) is not None
        events = await tx.events(done.id)
        assert {event.actor_id for event in events} >= {"telegram:1001", "telegram:2001"}
        resident = await tx.resident("telegram:1001")
        assert resident is not None
        assert resident.name == "王阿姨"
        assert await tx.last_update_id() == 15
        assert await tx.store_message("wechat", "m1", "{}", "wechat:o6_a") == CHANNEL_UPDATE_IDS
        assert await tx.store_message("wechat", "m1", "{}", "wechat:o6_a") is None
        assert await tx.last_update_id() == 15


async def test_a_new_database_is_created_at_the_newest_revision(database_url: str) -> None:
    """An empty database gets this build's tables at once, stamped with the newest revision
    (the revisions' own path is the one a 0.1 database takes, above: both end with the same
    tables); opening it again applies nothing."""
    assert await migrate(database_url) == ALL
    assert await migrate(database_url) == []
    assert await _schema_differences(database_url) == []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(current_revision) == revisions().get_current_head()
    finally:
        await engine.dispose()


async def test_a_database_older_than_0_1_gains_what_0_1_added(database_url: str) -> None:
    """Releases before 0.1 lacked some columns and indexes (outbox.live, tasks.kind): revision
    0001 adds them as 0.1 did, old rows take the defaults, and the rest follows."""
    await _database_of_release_0_1(database_url)
    engine = create_engine(database_url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP INDEX ix_outbox_status_id"))
            await connection.execute(text("ALTER TABLE outbox DROP COLUMN live"))
            await connection.execute(text("ALTER TABLE tasks DROP COLUMN kind"))
    finally:
        await engine.dispose()

    assert await migrate(database_url) == ALL
    assert await _schema_differences(database_url) == []
    assert await _query(database_url, "SELECT DISTINCT kind FROM tasks") == [("repair",)]
    assert {live for (live,) in await _query(database_url, "SELECT live FROM outbox")} == {False}


async def test_an_upgrade_that_would_break_references_changes_nothing(tmp_path: Path) -> None:
    """A 0.1 file with a task whose resident row is missing (written with foreign keys off):
    the upgrade refuses at its check and rolls back, so the file is still 0.1's, whole."""
    path = tmp_path / "broken.db"
    shutil.copy(RELEASE_0_1, path)
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM residents WHERE user_id = 1004")
    url = f"sqlite:///{path}"

    with pytest.raises(BrokenReferences):
        await migrate(url)

    assert await _query(url, "SELECT count(*) FROM tasks WHERE resident_id = 1004") == [(1,)]
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(current_revision) is None
            columns = await connection.run_sync(
                lambda sync: {c["name"]: c["type"] for c in inspect(sync).get_columns("tasks")}
            )
    finally:
        await engine.dispose()
    assert str(columns["resident_id"]) == "BIGINT"
