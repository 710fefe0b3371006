"""SQLite on the event loop's own thread, under SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call — a cursor, an execute, a fetch, a close, a commit — in a worker
thread and wakes the event loop with the result. A statement is four such hops, a transaction
with one SELECT about ten, and each hop costs far more than the work: SQLite answers an indexed
query in microseconds, the hop takes 50–100 µs of GIL hand-over and loop wake-up. Measured on
this machine, a one-SELECT transaction cost 1.65 ms through aiosqlite and the bot spent most of
its time on them (issue 13: intake at a fifth of a bare python-telegram-bot app).

So this module gives the dialect a connection that has aiosqlite's shape but runs each call at
once, on the loop's thread. Blocking the loop for a statement is cheaper than a thread hop;
what must not block it is waiting for another writer's lock, so the connection is opened with
no busy timeout and a statement SQLite refuses as *busy* — which changed nothing — is tried
again after an asynchronous sleep, until ``busy_timeout_ms`` have passed. Transactions begin
with ``BEGIN IMMEDIATE`` (see :mod:`storage.engine`), so only that first statement can meet a
held lock; a busy answer inside a transaction is raised as it is, as SQLite would.

Plug it in with :func:`connect` as the engine's ``async_creator``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, Self

_FIRST_BACKOFF = 0.001
_LONGEST_BACKOFF = 0.05


class LoopCursor:
    """An aiosqlite-shaped cursor over a :class:`sqlite3.Cursor`."""

    def __init__(self, connection: LoopConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Self:
        await self._connection.unbusy(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Self:
        rows = list(rows)  # a generator could not be replayed after a busy answer
        await self._connection.unbusy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class LoopConnection:
    """An aiosqlite-shaped connection over a :class:`sqlite3.Connection` (see the module)."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
        self._conn = connection
        self._busy_timeout = busy_timeout_ms / 1000
        self._connection: sqlite3.Connection | None = connection
        """aiosqlite's name for the open connection, None once closed: SQLAlchemy's adapter
        looks at it before a commit or rollback."""

    async def unbusy(self, statement: Callable[[], object]) -> None:
        """Run ``statement``; while SQLite answers *busy* outside a transaction (another
        writer holds the lock, and nothing was done), sleep and try again, up to the busy
        timeout."""
        deadline, backoff = time.monotonic() + self._busy_timeout, _FIRST_BACKOFF
        while True:
            try:
                statement()
                return
            except sqlite3.OperationalError as error:
                busy = error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
                if not busy or self._conn.in_transaction or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _LONGEST_BACKOFF)

    def cursor(self) -> LoopCursor:
        return LoopCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> LoopCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate): there is no thread to stop."""
        self._conn.close()
        self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


async def connect(path: str, busy_timeout_ms: int, pragmas: Sequence[str]) -> LoopConnection:
    """A connection to the database file ``path`` in autocommit mode (the engine issues
    ``BEGIN IMMEDIATE`` itself), with ``pragmas`` run on it."""
    raw = sqlite3.connect(
        path,
        timeout=0,  # a held lock is waited for in LoopConnection.unbusy, off the loop's back
        isolation_level=None,
        check_same_thread=False,  # the pool may close it from the thread that disposes it
    )
    connection = LoopConnection(raw, busy_timeout_ms)
    try:
        for pragma in pragmas:  # switching to WAL needs the lock for a moment
            await connection.unbusy(partial(raw.execute, pragma))
    except BaseException:
        raw.close()
        raise
    return connection
