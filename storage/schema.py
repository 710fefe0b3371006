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
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, inspect
from sqlalchemy.schema import CreateColumn, CreateIndex

from storage.tables import METADATA

log = logging.getLogger(__name__)


def upgrade(connection: Connection) -> list[str]:
    """Create or add what the database lacks; return what was added (``table.column``, index
    names), empty when it was up to date. Runs inside the caller's transaction."""
    METADATA.create_all(connection)
    inspector = inspect(connection)
    # Two instances starting at once on PostgreSQL may both see a column missing; SQLite's
    # BEGIN IMMEDIATE (storage.engine) serialises them, and it has no IF NOT EXISTS here.
    if_new = "IF NOT EXISTS " if connection.dialect.name == "postgresql" else ""
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
