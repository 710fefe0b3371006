"""Bringing a database up to this build's tables: create what is missing, add what is new.

griddesk changes its tables only by adding — a table, a column that is nullable or has a
server default, an index — so a database written by an earlier build is brought up to date in
place when the store opens, and keeps every row:

- missing tables are created, with their indexes (``create_all``);
- missing columns are added (``ALTER TABLE … ADD COLUMN``), old rows taking the default;
- missing indexes of existing tables are created.

A change that is not additive (a renamed or retyped column, a dropped one) would need a real
migration tool; none has been needed yet, and a new NOT NULL column without a server default
fails here with the database's own error rather than half-applied.

Several instances may start at once on one empty database. On PostgreSQL two transactions that
both find a table missing both create it, and the second fails on ``pg_type_typname_nsp_index``
when the first commits; so the upgrade first takes a transaction-level advisory lock
(:data:`SCHEMA_LOCK`), and the starters take turns, each later one finding the work done. On
SQLite, ``BEGIN IMMEDIATE`` (:mod:`storage.engine`) already gives the upgrade's transaction the
write lock before it looks.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, inspect, text
from sqlalchemy.schema import CreateColumn, CreateIndex

from storage.tables import METADATA

log = logging.getLogger(__name__)

SCHEMA_LOCK = int.from_bytes(b"griddesk", "big")
"""The PostgreSQL advisory lock key (a bigint) held while the tables are brought up to date.
Advisory locks are per database, so instances on other databases never wait for it."""


def upgrade(connection: Connection) -> list[str]:
    """Create or add what the database lacks; return what was added (``table.column``, index
    names), empty when it was up to date. Runs inside the caller's transaction, which on
    PostgreSQL holds :data:`SCHEMA_LOCK` from here until it ends."""
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        # Released at commit or rollback: a starter that dies mid-upgrade frees it too.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
    METADATA.create_all(connection)
    inspector = inspect(connection)
    # Redundant under the lock, but an older build without it may be starting alongside
    # (SQLite has no IF NOT EXISTS here, nor needs it).
    if_new = "IF NOT EXISTS " if postgresql else ""
    added: list[str] = []
    for table in METADATA.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                spec = CreateColumn(column).compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {if_new}{spec}")
                added.append(f"{table.name}.{column.name}")
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                connection.execute(CreateIndex(index, if_not_exists=True))
                added.append(str(index.name))
    if added:
        log.info("database brought up to date: added %s", ", ".join(added))
    return added
