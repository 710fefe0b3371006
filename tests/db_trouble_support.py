"""Database trouble on demand, for tests: a held SQLite write lock, a PostgreSQL connection of
the test's own, the wait for the bot's backend to block on a lock, and the check that nothing
was half-written.

Used by tests/test_db_trouble.py (the store and the bot) and tests/test_db_trouble_desk.py (a
worker's state change); take the fixture by importing it (``from tests.db_trouble_support
import short_lock_wait``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from storage import engine
from storage.engine import create_engine
from tests.harness import STEP_TIMEOUT

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


async def await_lock_wait(
    admin: asyncpg.Connection,
    database: str,
    table: str,
    running: asyncio.Future[Any] | None = None,
) -> int:
    """The pid of the bot's backend once it waits for ``table``'s lock (event, not sleep).

    ``running``: the work expected to block; when it ends instead, its error is raised at once.
    """
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            if running is not None and running.done():
                raise AssertionError(f"ended before waiting for {table}: {running.result()!r}")
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
                " AND query ILIKE $2",
                database,
                f"%{table}%",
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.02)  # polling the server's view; nothing to subscribe to
