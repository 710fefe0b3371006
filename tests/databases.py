"""Real databases for tests: a fresh SQLite file and a fresh PostgreSQL database per test.

Fakes over mocks (STYLE.md): the store is tested, and the desk can be tested, against both
engines it runs on. Use them with ``from tests.databases import database_url, store``; every
test that asks for either runs twice, ids ``sqlite`` and ``postgresql``. PostgreSQL is the
server on 127.0.0.1:5432 (trust auth, user ``postgres``); each test gets its own database,
dropped afterwards, so tests never see each other's rows. When the server does not answer,
the PostgreSQL half is skipped with the reason, and the SQLite half still runs.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from storage.engine import open_store
from storage.sql_store import SqlStore

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DATABASES = ("postgres", "test")
"""Databases to connect to while creating and dropping the test's own."""
PG_CONNECT_TIMEOUT = 5.0


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of the parametrised kind, removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'griddesk.db'}"
        return
    name = f"griddesk_t_{secrets.token_hex(6)}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        admin = await _admin_connection()
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await admin.close()


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
