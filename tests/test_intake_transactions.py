"""A resident's message costs the desk one transaction, and the inbox nothing of its own.

Issue 13, point 4: a text used to take three locking transactions — a read-only "is a result
note awaited?" check, intake, and the inbox's second "mark processed" — each one a turn at
SQLite's single write lock. Now the desk handles the whole text in one transaction that also
marks the update processed; what the desk did not mark (updates that wrote nothing) is marked
in the inbox's next claim. The transactions are watched on the bot's own engine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from storage.sql_store import SqlStore
from tests.harness import world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

_DESK_TABLES = ("awaited_notes", "residents", "drafts", "tasks")


class InboxTransactions:
    """The statements of each transaction the inbox's task runs (the desk's among them)."""

    def __init__(self) -> None:
        self.transactions: list[list[str]] = []

    def begin(self, _connection: Connection) -> None:
        if _in_inbox():
            self.transactions.append([])

    def statement(self, _connection: object, _cursor: object, sql: str, *_: object) -> None:
        if _in_inbox() and self.transactions and not sql.startswith("BEGIN"):
            self.transactions[-1].append(sql)

    def desks(self) -> list[list[str]]:
        """The transactions that read or wrote what the desk keeps."""
        return [t for t in self.transactions if any(_touches_desk(sql) for sql in t)]

    def marks_alone(self) -> list[list[str]]:
        """Transactions that did nothing but mark updates processed."""
        return [
            t
            for t in self.transactions
            if t and all(sql.startswith("UPDATE inbox SET") and "claimed" not in sql for sql in t)
        ]


def _touches_desk(sql: str) -> bool:
    return any(f" {table} " in f" {sql} " or f"{table}." in sql for table in _DESK_TABLES)


def _in_inbox() -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith("griddesk-inbox")


async def test_a_resident_text_is_one_transaction(database_url: str, cache_dir: Path) -> None:
    async with world(database_url, cache_dir) as w:
        store = w.bot.store
        assert isinstance(store, SqlStore)
        engine = store._engine.sync_engine  # the test reaches in for the seam
        watched = InboxTransactions()
        event.listen(engine, "begin", watched.begin)
        event.listen(engine, "after_cursor_execute", watched.statement)
        try:
            for n in range(5):
                replies = await w.say(
                    w.resident(70_000 + n, f"居民{n}"), f"审计厅小区{n + 1}号楼停水了"
                )
                assert any("工单号" in m.content for m in replies)
        finally:
            event.remove(engine, "after_cursor_execute", watched.statement)
            event.remove(engine, "begin", watched.begin)
    desks = watched.desks()
    assert len(desks) == 5  # one per message: the note check, intake and the mark together
    for statements in desks:
        assert any(sql.startswith("SELECT awaited_notes") for sql in statements)
        assert any(sql.startswith("INSERT INTO tasks") for sql in statements)
        assert any(sql.startswith("UPDATE inbox SET raw") for sql in statements)
        # the resident had no draft, as the transaction read: nothing to delete
        assert not any(sql.startswith("DELETE FROM drafts") for sql in statements)
    assert watched.marks_alone() == []
