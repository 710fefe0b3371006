"""Database trouble: a locked SQLite file and a dropped PostgreSQL connection are retried, and
no task is ever half-written (a task without its event, an event without its task, a change
without the messages that announce it)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.domain import EventKind, Outgoing, TaskEvent
from bot.retry import StoreBusy, retrying
from storage import engine
from storage.engine import create_engine
from storage.sql_store import SqlStore
from tests.databases import database_url, store
from tests.harness import STEP_TIMEOUT, World, world
from tests.test_storage import ALICE, DAY, NOW, new_task

__all__ = ["database_url", "store"]  # the fixtures, imported so that pytest finds them here

pytestmark = pytest.mark.asyncio

LOCK_WAIT_MS = 150
"""The busy timeout in these tests, so "database is locked" comes in a blink, not 10 s."""

_HALF_WRITTEN = {
    "task without its created event": """
        SELECT t.number FROM tasks t WHERE NOT EXISTS
          (SELECT 1 FROM task_events e WHERE e.task_id = t.id AND e.kind = 'created')""",
    "event without its task": """
        SELECT e.id FROM task_events e LEFT JOIN tasks t ON t.id = e.task_id
        WHERE t.id IS NULL""",
    "task without its group card": """
        SELECT t.number FROM tasks t WHERE NOT EXISTS
          (SELECT 1 FROM outbox o WHERE o.card_of = t.id)""",
    "task without the resident's receipt": """
        SELECT t.number FROM tasks t JOIN residents r ON r.user_id = t.resident_id
        WHERE NOT EXISTS (SELECT 1 FROM outbox o
                          WHERE o.chat_id = r.chat_id AND o.text LIKE '%' || t.number || '%')""",
    "claim without its claimed event": """
        SELECT t.number FROM tasks t WHERE t.status = 'claimed' AND (SELECT count(*)
          FROM task_events e WHERE e.task_id = t.id AND e.kind = 'claimed') <> 1""",
}


async def half_written(url: str) -> dict[str, list[object]]:
    """Every broken invariant, read on a connection of its own: empty when all is whole."""
    checker = create_engine(url)
    try:
        async with checker.connect() as connection:
            found = {
                name: list((await connection.execute(text(sql))).scalars())
                for name, sql in _HALF_WRITTEN.items()
            }
    finally:
        await checker.dispose()
    return {name: rows for name, rows in found.items() if rows}


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite connections opened from now on wait LOCK_WAIT_MS for a lock, then fail."""
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", LOCK_WAIT_MS)


@contextmanager
def sqlite_writer(url: str) -> Iterator[sqlite3.Connection]:
    """A second connection holding the file's write lock (BEGIN IMMEDIATE) until released."""
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


@asynccontextmanager
async def pg_admin(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own to the database at ``url`` (trust auth, superuser)."""
    admin = await asyncpg.connect(url)
    try:
        yield admin
    finally:
        await admin.close()


async def _create_whole_task(store: SqlStore, attempts: list[int], midway: object) -> int:
    """A task, its event and its two messages in one transaction; ``midway`` runs in between."""
    attempts.append(len(attempts) + 1)
    async with store.transaction() as tx:
        await tx.save_resident(ALICE)
        task = await tx.add_task(new_task(), DAY)
        if callable(midway):
            await midway(tx)
        await tx.add_event(TaskEvent(task.id, EventKind.CREATED, ALICE.user_id, NOW))
        await tx.enqueue(Outgoing(ALICE.chat_id, f"已受理，工单号：{task.number}"))
        await tx.enqueue(Outgoing(-100, f"工单 {task.number}", card_of=task.id))
    return task.id


async def test_locked_sqlite_is_retried_with_backoff(
    tmp_path: Path, short_lock_wait: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Another connection holds the write lock past the busy timeout: the work waits and redoes."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    async with engine.open_store(url) as opened:
        attempts: list[int] = []
        with sqlite_writer(url) as other:

            async def release_after_second_try(seconds: float) -> None:
                if len(attempts) == 2:
                    other.execute("ROLLBACK")  # the other writer commits nothing and lets go
                await asyncio.sleep(seconds)

            task_id = await retrying(
                lambda: _create_whole_task(opened, attempts, None),
                "test",
                sleep=release_after_second_try,
            )
        assert attempts == [1, 2, 3]
        assert task_id == 1
        assert await half_written(url) == {}
    retries = [r for r in caplog.records if r.name == "bot.retry"]
    assert len(retries) == 2
    assert "database is locked" in retries[0].getMessage()


async def test_retries_are_bounded(tmp_path: Path, short_lock_wait: None) -> None:
    """A lock that never goes away: StoreBusy after the last try, and nothing was written."""
    url = f"sqlite:///{tmp_path / 'stuck.db'}"
    async with engine.open_store(url) as opened:
        attempts: list[int] = []
        with sqlite_writer(url), pytest.raises(StoreBusy, match="database is locked"):
            await retrying(lambda: _create_whole_task(opened, attempts, None), "test", attempts=3)
        assert attempts == [1, 2, 3]
        async with opened.transaction() as tx:
            assert await tx.task(1) is None


async def test_errors_that_may_have_written_are_not_retried(store: SqlStore) -> None:
    """A constraint violation is a bug, not weather: raised as it is, on the first try."""
    attempts: list[int] = []

    async def work() -> None:
        attempts.append(1)
        async with store.transaction() as tx:
            await tx.save_resident(ALICE)
        async with store.transaction() as tx:
            task = await tx.add_task(new_task(), DAY)
            await tx.add_event(TaskEvent(task.id, EventKind.CREATED, ALICE.user_id, NOW))
            await tx.add_event(TaskEvent(task.id + 999, EventKind.CREATED, ALICE.user_id, NOW))

    with pytest.raises(IntegrityError):
        await retrying(work, "test")
    assert attempts == [1]


async def test_dropped_postgresql_connection_redoes_the_whole_transaction(
    database_url: str, store: SqlStore
) -> None:
    """The backend is terminated between the task and its event: rolled back, redone whole."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a connection to drop is PostgreSQL's; SQLite's trouble is the lock")
    attempts: list[int] = []

    async def terminate_first_time(tx: object) -> None:
        if len(attempts) > 1:
            return
        session = tx._session  # type: ignore[attr-defined]  # the test reaches in for the pid
        pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar()
        async with pg_admin(database_url) as admin:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)

    task_id = await retrying(
        lambda: _create_whole_task(store, attempts, terminate_first_time), "test"
    )
    assert attempts == [1, 2]
    assert await half_written(database_url) == {}
    async with store.transaction() as tx:
        task = await tx.task(task_id)
        assert task is not None
        assert task.number == f"{DAY}-0001"  # the first try's number was rolled back with it
        assert [e.kind for e in await tx.events(task_id)] == [EventKind.CREATED]


async def _await_lock_wait(admin: asyncpg.Connection, database: str, table: str) -> int:
    """The pid of the bot's backend once it waits for ``table``'s lock (event, not sleep)."""
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
                " AND query ILIKE $2",
                database,
                f"%{table}%",
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.02)  # polling the server's view; nothing to subscribe to


async def test_resident_message_survives_a_dropped_connection_end_to_end(
    database_url: str, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Mid-intake the bot's PostgreSQL backend is killed: the update is redone, one whole task."""
    if not database_url.startswith("postgresql"):
        pytest.skip("see test_resident_message_survives_a_locked_sqlite_end_to_end")
    database = database_url.rsplit("/", 1)[1]
    async with world(database_url, cache_dir) as w, pg_admin(database_url) as locker:
        async with pg_admin(database_url) as admin:
            resident = w.resident()
            await locker.execute("BEGIN")
            await locker.execute("LOCK TABLE task_events IN ACCESS EXCLUSIVE MODE")
            saying = asyncio.create_task(w.say(resident, "审计厅小区3号楼又停水了"))
            pid = await _await_lock_wait(admin, database, "task_events")
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            await locker.execute("ROLLBACK")
            replies = await saying
        assert any("工单号：20261122-0001" in m.content for m in replies)
        await _assert_one_whole_task(w, database_url)
    assert any("database busy" in r.getMessage() for r in caplog.records)


async def test_resident_message_survives_a_locked_sqlite_end_to_end(
    database_url: str, cache_dir: Path, short_lock_wait: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock for a while: the bot backs off, loses nothing."""
    if not database_url.startswith("sqlite"):
        pytest.skip("see test_resident_message_survives_a_dropped_connection_end_to_end")
    caplog.set_level(logging.WARNING)
    async with world(database_url, cache_dir) as w:
        resident = w.resident()
        with sqlite_writer(database_url) as other:
            saying = asyncio.create_task(w.say(resident, "审计厅小区3号楼又停水了"))
            async with asyncio.timeout(STEP_TIMEOUT):
                while not any("database busy" in r.getMessage() for r in caplog.records):
                    await asyncio.sleep(0.02)  # waiting for the log line the retry writes
            other.execute("ROLLBACK")
        replies = await saying
        assert any("工单号：20261122-0001" in m.content for m in replies)
        await _assert_one_whole_task(w, database_url)


async def _assert_one_whole_task(w: World, url: str) -> None:
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert "停水" in card.content
    assert await half_written(url) == {}
    async with w.bot.store.transaction() as tx:
        tasks = await tx.tasks_of_resident(1001, 10)
        assert [t.number for t in tasks] == ["20261122-0001"]
        assert [e.kind for e in await tx.events(tasks[0].id)] == [EventKind.CREATED]
