"""Database trouble: a locked SQLite file and a dropped PostgreSQL connection are retried, and
no task is ever half-written (a task without its event, an event without its task, a change
without the messages that announce it)."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.util import await_only

from bot.domain import EventKind, Outgoing, TaskEvent
from bot.retry import ATTEMPTS, StoreBusy, retrying
from storage import engine
from storage.engine import create_engine
from storage.sql_store import SqlStore
from tests.databases import database_url, store
from tests.db_trouble_support import (
    await_lock_wait,
    half_written,
    pg_admin,
    short_lock_wait,
    sqlite_writer,
)
from tests.harness import STEP_TIMEOUT, World, world
from tests.store_support import ALICE, DAY, NOW, new_task

# the fixtures, imported so that pytest finds them here
__all__ = ["database_url", "short_lock_wait", "store"]

pytestmark = pytest.mark.asyncio


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
        await tx.enqueue(Outgoing("telegram:-100", f"工单 {task.number}", card_of=task.id))
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


@pytest.mark.parametrize(
    ("tries", "waits"),
    [
        (ATTEMPTS, [0.05, 0.1, 0.2, 0.4, 0.8]),
        (9, [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]),
    ],
    ids=["default", "capped"],
)
async def test_waits_double_from_50_ms_up_to_2_s_then_the_caller_is_told(
    tmp_path: Path,
    short_lock_wait: None,
    caplog: pytest.LogCaptureFixture,
    tries: int,
    waits: list[float],
) -> None:
    """The waits between tries are 0.05, 0.1, 0.2 … s, never over 2 s; then StoreBusy and ERROR."""
    url = f"sqlite:///{tmp_path / 'backoff.db'}"
    asked: list[float] = []

    async def record(seconds: float) -> None:
        asked.append(seconds)

    async with engine.open_store(url) as opened:
        attempts: list[int] = []
        with sqlite_writer(url), pytest.raises(StoreBusy, match="database is locked"):
            await retrying(
                lambda: _create_whole_task(opened, attempts, None),
                "update 7",
                attempts=tries,
                sleep=record,
            )
        async with opened.transaction() as tx:
            assert await tx.task(1) is None
    assert asked == pytest.approx(waits)
    assert len(attempts) == tries
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.retry"]
    assert lines[:-1] == [
        (
            logging.WARNING,
            f"update 7: database busy (OperationalError: database is locked); "
            f"try {n + 1} of {tries} again in {wait:.2f} s",
        )
        for n, wait in enumerate(waits, start=1)
    ]
    assert lines[-1] == (
        logging.ERROR,
        f"update 7: database busy, gave up after {tries} tries "
        "(OperationalError: database is locked)",
    )


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


async def test_a_database_that_refuses_connections_is_retried_like_a_dropped_one() -> None:
    """A PostgreSQL that does not take connections (restarting, network gone) is StoreBusy."""
    with socket.socket() as unused:  # bound, never listening: a connection to it is refused
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        down = create_engine(f"postgresql://postgres@127.0.0.1:{port}/griddesk")
        attempts: list[int] = []

        async def no_wait(_: float) -> None:
            pass

        try:
            with pytest.raises(StoreBusy):
                await retrying(
                    lambda: _create_whole_task(SqlStore(down), attempts, None),
                    "test",
                    attempts=2,
                    sleep=no_wait,
                )
        finally:
            await down.dispose()
    assert attempts == [1, 2]


_COMMIT_GATE = """
    CREATE FUNCTION wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$;
    CREATE CONSTRAINT TRIGGER commit_gate AFTER INSERT ON task_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_at_commit();
"""
"""The test's seam in its own database: a deferred trigger, so COMMIT waits for lock 4242."""


async def test_connection_lost_during_commit_is_not_redone(
    database_url: str, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The backend is killed while COMMIT runs: raised as it is, never redone (it may have
    committed, and a redo would write the task twice)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite cannot lose its connection; its lock is retried even at COMMIT")
    database = database_url.rsplit("/", 1)[1]
    attempts: list[int] = []
    async with pg_admin(database_url) as admin, pg_admin(database_url) as gatekeeper:
        await admin.execute(_COMMIT_GATE)
        await gatekeeper.execute("SELECT pg_advisory_lock(4242)")
        trying = asyncio.ensure_future(
            retrying(lambda: _create_whole_task(store, attempts, None), "test")
        )
        pid = await await_lock_wait(admin, database, "COMMIT", trying)
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
        with pytest.raises(DBAPIError) as raised:
            await trying
    assert raised.value.connection_invalidated
    assert attempts == [1]
    assert [r for r in caplog.records if r.name == "bot.retry"] == []
    async with store.transaction() as tx:  # this time the server had not committed yet
        assert await tx.task(1) is None


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
            pid = await await_lock_wait(admin, database, "task_events")
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


class LockAtIntake:
    """SQLite's write lock, taken by a second connection the moment the inbox begins the desk's
    transaction for a resident's text, and given back as the inbox begins the redo.

    The seam is the bot's own engine: its pool's ``checkout`` event (a transaction takes its
    connection there, before its ``BEGIN IMMEDIATE``) and the statements it runs. After the
    inbox stores the polled update it claims it in a transaction of its own, then hands it to
    the desk, which handles the whole text in one transaction (the check for an awaited result
    note, then intake): so the second checkout after the store is the desk's, and none of the
    inbox's own transactions meets the lock.
    """

    def __init__(self, url: str) -> None:
        self.other = sqlite3.connect(
            url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        self.state = "waiting for the store"
        self.note_checks = 0

    def statement(self, _connection: object, _cursor: object, sql: str, *_: object) -> None:
        """after_cursor_execute: arm once the update is stored; count the note checks."""
        if not _in_inbox():
            return
        if "FROM awaited_notes" in sql:
            self.note_checks += 1
        if self.state == "waiting for the store" and sql.startswith("INSERT INTO inbox"):
            self.state = "stored"

    def checkout(self, *_: object) -> None:
        """checkout: let the claim pass, lock as the desk's transaction starts, unlock as the
        next one (the redo's) starts."""
        if not _in_inbox():
            return
        if self.state == "stored":
            self.state = "claiming"
        elif self.state == "claiming":
            # in a thread: an outbox transaction holding the lock this instant must finish
            await_only(asyncio.to_thread(self.other.execute, "BEGIN IMMEDIATE"))
            self.state = "locked"
        elif self.state == "locked":
            self.other.execute("ROLLBACK")
            self.state = "released"

    def close(self) -> None:
        if self.other.in_transaction:
            self.other.execute("ROLLBACK")
        self.other.close()


def _in_inbox() -> bool:
    """Whether the running task is the inbox's (named by the runtime) rather than the outbox's."""
    task = asyncio.current_task()
    return task is not None and task.get_name() == "griddesk-inbox"


async def test_locked_sqlite_meets_intake_itself_end_to_end(
    database_url: str, cache_dir: Path, short_lock_wait: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock meets intake's own transaction, not the inbox's: the update is redone, one task."""
    if not database_url.startswith("sqlite"):
        pytest.skip("see test_resident_message_survives_a_dropped_connection_end_to_end")
    caplog.set_level(logging.WARNING)
    async with world(database_url, cache_dir) as w:
        bot_store = w.bot.store
        assert isinstance(bot_store, SqlStore)
        bot_engine = bot_store._engine.sync_engine  # the test reaches in for the seam
        lock = LockAtIntake(database_url)
        event.listen(bot_engine, "after_cursor_execute", lock.statement)
        event.listen(bot_engine, "checkout", lock.checkout)
        try:
            replies = await w.say(w.resident(), "审计厅小区3号楼又停水了")
        finally:
            event.remove(bot_engine, "checkout", lock.checkout)
            event.remove(bot_engine, "after_cursor_execute", lock.statement)
            lock.close()
        # the first try met the lock as it began, before its note check: one check, the redo's
        assert (lock.state, lock.note_checks) == ("released", 1)
        retries = [r.getMessage() for r in caplog.records if r.name == "bot.retry"]
        assert len(retries) == 1
        assert retries[0].startswith("update ")
        assert "database is locked" in retries[0]
        assert any("工单号：20261122-0001" in m.content for m in replies)
        await _assert_one_whole_task(w, database_url)


async def _assert_one_whole_task(w: World, url: str) -> None:
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert "停水" in card.content
    assert await half_written(url) == {}
    async with w.bot.store.transaction() as tx:
        tasks = await tx.tasks_of_resident("telegram:1001", 10)
        assert [t.number for t in tasks] == ["20261122-0001"]
        assert [e.kind for e in await tx.events(tasks[0].id)] == [EventKind.CREATED]
