"""Opening the database: one async engine per store, owned by the ``async with`` that opens it.

SQLite (``sqlite+aiosqlite:///griddesk.db``) is the embedded default, PostgreSQL
(``postgresql+asyncpg://…``) the shared engine several instances run on (DESIGN.md §9). Plain
``sqlite://`` and ``postgresql://`` URLs are accepted and given their async driver, so the same
URL can be written in the configuration for either.

SQLite needs per-connection settings for the guarantees the store relies on:

- WAL, so readers are not blocked by the one writer;
- a wait for the lock, so a second writer waits its turn instead of failing at once (up to
  :data:`BUSY_TIMEOUT_MS`, asleep on the event loop: see :mod:`storage.sqlite_driver`, which
  runs SQLite on the loop's thread rather than aiosqlite's worker thread);
- ``foreign_keys``, which SQLite leaves off unless asked on every connection;
- ``BEGIN IMMEDIATE``: a transaction takes the write lock when it starts. With the default
  deferred BEGIN, two transactions that both read and then write cannot both upgrade, and
  one fails with "database is locked" instead of waiting; taken up front, the second simply
  waits its turn, and then sees the first one's commit (which is what decides a double
  claim). The cost, serialised transactions, is nothing at a community's load.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import schema, sqlite_driver
from storage.sql_store import SqlStore, utc_now

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for the lock before giving up."""

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    # deleted and overwritten content is zeroed, so an erased resident's words do not linger
    # in free pages of the file (see SqlStore.reclaim for the WAL)
    "PRAGMA secure_delete=ON",
)

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

UNAVAILABLE: tuple[type[Exception], ...] = (OSError, DBAPIError)
"""What opening or reading a database raises when it cannot be reached or refuses us: a network
error, or the driver's error as SQLAlchemy wraps it."""


def driver_reason(error: Exception) -> str:
    """One of :data:`UNAVAILABLE` in the driver's words, without the SQL SQLAlchemy adds."""
    return str(error.orig) if isinstance(error, DBAPIError) else str(error)


def async_url(url: str) -> URL:
    """``url`` with the async driver this store uses (a driver already named is kept).

    A URL that does not parse is a ``ValueError`` whose message never quotes it (it may hold a
    password).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("not a database URL") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def create_engine(url: str, *, foreign_keys: bool = True) -> AsyncEngine:
    """An async engine for ``url``, with SQLite's per-connection settings installed.

    ``foreign_keys=False`` leaves SQLite's references unenforced: only for the schema upgrade
    (:mod:`storage.schema`), which checks them itself."""
    parsed = async_url(url)
    # hide_parameters: a failing statement's error names its values — a resident's complaint,
    # phone number and all — and errors are logged; the SQL alone is enough to debug.
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, hide_parameters=True)
    path = parsed.database or ":memory:"
    pragmas = (
        _SQLITE_PRAGMAS
        if foreign_keys
        else tuple(pragma for pragma in _SQLITE_PRAGMAS if "foreign_keys" not in pragma)
    )
    engine = create_async_engine(
        parsed,
        hide_parameters=True,
        # read at each connect, so a test can shorten the wait (tests/db_trouble_support.py)
        async_creator=lambda: sqlite_driver.connect(path, BUSY_TIMEOUT_MS, pragmas),
    )
    event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def transactions_at_once(url: str) -> int:
    """How many transactions of one instance are worth running at the same time on ``url``'s
    database: SQLite takes one writer at a time; a PostgreSQL transaction spends most of its
    time waiting for the server's answers, during which others can run (four: below the
    connection pool's five, which the outbox and the leases share)."""
    return 1 if async_url(url).get_backend_name() == "sqlite" else 4


@asynccontextmanager
async def open_store(
    url: str, *, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[SqlStore]:
    """Open the database at ``url``, bring its tables up to date (:mod:`storage.schema`), yield
    the store, dispose on exit.

    Safe to race: instances opening one empty database at once take turns at the upgrade (an
    advisory lock on PostgreSQL, the write lock on SQLite), and every one of them starts.

    ``clock`` is the store's (see :class:`~storage.sql_store.SqlStore`).
    """
    await migrate(url)
    engine = create_engine(url)
    try:
        yield SqlStore(engine, clock)
    finally:
        await engine.dispose()


async def migrate(url: str) -> list[str]:
    """Bring the database at ``url`` up to this build's tables (:func:`storage.schema.upgrade`)
    and return the revisions applied, on an engine of its own (SQLite: without foreign keys
    enforced, as the upgrade needs)."""
    engine = create_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(schema.upgrade)
    finally:
        await engine.dispose()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
