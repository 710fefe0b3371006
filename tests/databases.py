"""Real databases for tests: a fresh SQLite file and an empty PostgreSQL database per test.

Fakes over mocks (STYLE.md): the store is tested, and the desk can be tested, against both
engines it runs on. Use them with ``from tests.databases import database_url, store``; every
test that asks for either runs twice, ids ``sqlite`` and ``postgresql``. PostgreSQL is the
server on 127.0.0.1:5432 (trust auth, user ``postgres``); each test gets a database of its
own, empty, so tests never see each other's rows. When the server does not answer, the
PostgreSQL half is skipped with the reason, and the SQLite half still runs.

A database is not created and dropped for every test: ``CREATE DATABASE`` copies the template
(PostgreSQL 15 writes all of it to the WAL) and ``DROP DATABASE`` waits for the files to go, a
second or more per test on a busy disk, for more than a thousand tests. Each test process keeps
the databases its finished tests used: after a test, every connection to its database is ended
and the ``public`` schema (all the tables, sequences and types griddesk makes) dropped and made
anew, so the next test there starts as empty as on a new database. One that cannot be emptied
is dropped; all of them are dropped when the test process ends.

Most tests only open a store on their database, which creates this build's tables first (some
170 ms on PostgreSQL, a third of such a test's set-up). So a database left exactly at this
build's tables (the newest revision, the same table names) is kept *ready* instead: its rows are
deleted (id sequences restarted, the revision row kept) and the next test gets it, and finds
its tables there, as a running deployment's database would have them. A test about the schema
itself — migrations, backups, racing starters, which must see a database with nothing in it —
says so with ``pytest.mark.empty_database`` and gets an empty one as before.

SQLite the same: creating this build's tables in a new file takes 70-100 ms, copying a file
that has them (made once per test process, by the same upgrade, and never opened by a test)
a millisecond. So a test gets a copy of that ready file unless it is marked
``empty_database``; then its file does not exist yet, as before.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from storage.engine import migrate, open_store
from storage.schema import revisions
from storage.sql_store import SqlStore
from storage.tables import METADATA

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DATABASES = ("postgres", "test")
"""Databases to connect to while creating and dropping the test's own."""
PG_CONNECT_TIMEOUT = 5.0

_EMPTIED: list[str] = []
"""This test process's PostgreSQL databases that are empty and free for its next test."""
_READY: list[str] = []
"""Those at this build's tables, every row truncated, free for a test that needs no emptiness."""
EMPTY_DATABASE = "empty_database"
"""The marker of a test whose database must hold nothing at all, not even the tables."""
_SQLITE_READY: list[Path] = []
"""This test process's SQLite file at this build's tables, with no rows: copied, never used."""


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The URL of an empty database of the parametrised kind, emptied or removed after."""
    empty = request.node.get_closest_marker(EMPTY_DATABASE) is not None
    if request.param == "sqlite":
        path = tmp_path / "griddesk.db"
        if not empty:
            shutil.copyfile(await _sqlite_ready(tmp_path_factory), path)
        yield f"sqlite:///{path}"
        return
    admin = await _admin_connection()
    try:
        if not empty and _READY:
            name = _READY.pop()
        elif _EMPTIED:
            name = _EMPTIED.pop()
        else:
            name = await _create(admin)
    finally:
        await admin.close()
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        if await _cleared(name):
            _READY.append(name)
        elif await _emptied(name):
            _EMPTIED.append(name)
        else:
            await _drop(name)


@pytest.fixture(scope="session", autouse=True)
def _drop_emptied_databases() -> Iterator[None]:
    """When the test process ends, the databases it kept go."""
    yield
    if _EMPTIED or _READY:
        asyncio.run(_drop_all([*_EMPTIED, *_READY]))
        _EMPTIED.clear()
        _READY.clear()


async def _sqlite_ready(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ready SQLite file, made on first use by the upgrade a new database gets
    (:func:`storage.engine.migrate`), its engine disposed: no journal beside it."""
    if not _SQLITE_READY:
        path = tmp_path_factory.mktemp("sqlite-ready") / "griddesk.db"
        await migrate(f"sqlite:///{path}")
        _SQLITE_READY.append(path)
    return _SQLITE_READY[0]


async def _create(admin: asyncpg.Connection) -> str:
    """A new database whose commits do not wait for the disk (``synchronous_commit`` off).

    A commit is still atomic and at once seen by every connection, so no test can tell,
    short of crashing the PostgreSQL server, which none does; it spares a flush of the WAL
    per commit, 1-2 ms on an idle disk and tens of ms on a busy one."""
    name = f"griddesk_t_{secrets.token_hex(6)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    return name


async def _emptied(name: str) -> bool:
    """Drop what a test made in ``name``; False when that failed (the database is then not
    used again)."""

    async def empty(own: asyncpg.Connection) -> bool:
        await own.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        return bool(await own.fetchval(_LEFT_OUTSIDE_PUBLIC) == 0)

    return await _alone_in(name, empty)


async def _cleared(name: str) -> bool:
    """If ``name`` holds exactly this build's tables at the newest revision, delete the rows of
    every one of them but the revision's and restart the id sequences; False otherwise (or on
    any trouble): then it is emptied the slow way.

    Deleted, not truncated: ``TRUNCATE`` gives every table and index new files, 0.1 s a test
    on an idle disk and 0.5 s on a busy one (more than a thousand tests), where deleting a
    test's few rows takes milliseconds. A table that held many rows (ten thousand residents)
    is truncated after all, so that the next test does not read past their dead versions."""

    async def clear(own: asyncpg.Connection) -> bool:
        tables = {row[0] for row in await own.fetch(_TABLES)}
        if tables != _THIS_BUILDS_TABLES:
            return False
        if await own.fetchval("SELECT version_num FROM alembic_version") != _HEAD:
            return False
        async with own.transaction():
            crowded = []
            for table in reversed(METADATA.sorted_tables):  # rows that refer to others first
                deleted = await own.execute(f'DELETE FROM "{table.name}"')  # "DELETE <count>"
                if int(deleted.split()[-1]) > _MANY_ROWS:
                    crowded.append(f'"{table.name}"')
            if crowded:
                await own.execute(f"TRUNCATE {', '.join(crowded)} CASCADE")
            await own.execute(_RESTART_SEQUENCES)
        return True

    return await _alone_in(name, clear)


async def _alone_in(name: str, work: Callable[[asyncpg.Connection], Awaitable[bool]]) -> bool:
    """End every connection to ``name`` (a test's bot may have left some), then ``work`` on
    one of our own; False on any trouble."""
    try:
        admin = await _admin_connection()
        try:
            await admin.execute(_END_CONNECTIONS, name)
        finally:
            await admin.close()
        own = await asyncpg.connect(f"{PG_SERVER}/{name}", timeout=PG_CONNECT_TIMEOUT)
        try:
            return await work(own)
        finally:
            await own.close()
    except (OSError, TimeoutError, asyncpg.PostgresError):
        return False


async def _drop(name: str) -> None:
    admin = await _admin_connection()
    try:
        await admin.execute(_END_CONNECTIONS, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()


async def _drop_all(names: list[str]) -> None:
    """Drop ``names`` at once. Each ``DROP DATABASE`` waits for a checkpoint, seconds apiece
    on a busy disk at the end of every test process, and drops that ask together share one
    (four took 2-3 s one after another, 0.1 s together)."""
    dropped = await asyncio.gather(*(_drop(name) for name in names), return_exceptions=True)
    if failures := [failure for failure in dropped if isinstance(failure, BaseException)]:
        raise failures[0]


_END_CONNECTIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1"
_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
_THIS_BUILDS_TABLES = {*METADATA.tables, "alembic_version"}
_MANY_ROWS = 1000
_RESTART_SEQUENCES = """
    SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
    FROM pg_sequences WHERE schemaname = 'public'
"""
"""Each id sequence as on a new database: its next value is its first (TRUNCATE's RESTART
IDENTITY)."""
_HEAD = revisions().get_current_head()
_LEFT_OUTSIDE_PUBLIC = """
    SELECT count(*) FROM pg_namespace
    WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
"""
"""Schemas a test made besides ``public`` (none of griddesk's do): such a database is dropped."""


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    """An opened store on the test's database (tables created, engine disposed afterwards)."""
    async with open_store(database_url) as opened:
        yield opened


async def _admin_connection() -> asyncpg.Connection:
    """A connection to a database that exists already; skips the test when there is none."""
    error: BaseException | None = None
    for database in PG_ADMIN_DATABASES:
        try:
            return await asyncpg.connect(f"{PG_SERVER}/{database}", timeout=PG_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            error = exc
    pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {error}")
