"""Bring any database of release 0.1 or earlier, or an empty one, to 0.1's tables.

Release 0.1 and those before it had no migration tool: each created the tables it lacked and
added the columns and indexes that were new when the store opened, so a database they wrote
has 0.1's tables or a subset of their columns, and no ``alembic_version``. This revision does
the same, once, against 0.1's tables frozen in :mod:`storage.migrations.baseline`: missing
tables are created with their indexes, missing columns added (old rows take the default:
every column 0.1 added was nullable or had a server default), missing indexes created. An
empty database gets every table; a current 0.1 database gets nothing.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect
from sqlalchemy.schema import CreateColumn, CreateIndex

from storage.migrations.baseline import BASELINE

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    BASELINE.create_all(connection)
    inspector = inspect(connection)
    for table in BASELINE.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                spec = CreateColumn(column).compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {spec}")
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                connection.execute(CreateIndex(index))
