"""Many rows in one statement: the follow-up tick writes thousands per batch.

SQLAlchemy's ``executemany`` costs a few microseconds of Python per row on every database and,
on PostgreSQL, one statement execution per row on the server (about 40 µs a row for an INSERT,
60 µs for an UPDATE through asyncpg). On PostgreSQL these helpers send one statement with one
array per column instead — ``INSERT … SELECT FROM unnest(…)`` and ``UPDATE … FROM unnest(…)``
— whose text never changes, so it is prepared once. SQLite runs in-process, where
``executemany`` is already the fast path; there they use it.

Values go through each column's own bind processing (``UtcDateTime`` refuses a naive
datetime either way). Columns left out get their Python-side defaults, as with Core's INSERT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, bindparam, insert, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``, in order."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        await connection.execute(insert(table), list(rows))
        return
    columns = _columns_with_defaults(table, rows[0].keys())
    names = ", ".join(c.name for c in columns)
    arrays = _arrays(connection, columns)
    statement = text(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})")
    await connection.execute(_typed(statement, columns), _column_values(columns, rows))


async def update_rows(
    connection: AsyncConnection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Set each row's other columns on the row of ``table`` whose ``key`` column matches."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if connection.dialect.name != "postgresql":
        renamed = [{f"new_{name}": value for name, value in row.items()} for row in rows]
        by_key = (
            update(table)
            .where(table.c[key] == bindparam(f"new_{key}"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        await connection.execute(by_key, renamed)
        return
    columns = [table.c[key], *(table.c[name] for name in names)]
    assignments = ", ".join(f"{name} = changed.{name}" for name in names)
    aliases = ", ".join(c.name for c in columns)
    statement = text(
        f"UPDATE {table.name} SET {assignments} "
        f"FROM unnest({_arrays(connection, columns)}) AS changed({aliases}) "
        f"WHERE {table.name}.{key} = changed.{key} "
        # the same keys again, as a condition the planner can look up in the key's index
        # (joined against the function scan alone it may hash the whole table)
        f"AND {table.name}.{key} = ANY({_arrays(connection, columns[:1])})"
    )
    await connection.execute(_typed(statement, columns), _column_values(columns, rows))


def _columns_with_defaults(table: Table, given: Any) -> list[Column[Any]]:
    """The given columns, and every other column with a Python-side scalar default."""
    extra = [
        column
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    ]
    return [table.c[name] for name in given] + extra


def _arrays(connection: AsyncConnection, columns: Sequence[Column[Any]]) -> str:
    """``CAST(:name AS type[])`` per column: ``unnest`` needs to know each array's type."""
    return ", ".join(
        f"CAST(:{c.name} AS {c.type.compile(dialect=connection.dialect)}[])" for c in columns
    )


def _typed(statement: TextClause, columns: Sequence[Column[Any]]) -> TextClause:
    """Each parameter an array of its column's type: every value gets the column's own bind
    processing (``UtcDateTime`` refuses a naive datetime)."""
    return statement.bindparams(*(bindparam(c.name, type_=ARRAY(c.type)) for c in columns))


def _column_values(
    columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """One list per column, in row order, with defaults filled in."""
    result: dict[str, list[Any]] = {}
    for column in columns:
        default = column.default.arg if column.default is not None else None  # type: ignore[attr-defined]
        result[column.name] = [row.get(column.name, default) for row in rows]
    return result
